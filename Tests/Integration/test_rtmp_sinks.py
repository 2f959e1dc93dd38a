"""The RTMP sinks and the recording checks, without the media pod: ffmpeg plays a correct egress, and the checks the
egress tests rely on must pass for it and fail for what they are meant to catch (a re-encode, audio out of sync).

Run alone: python3 -m pytest Tests/Integration -m sinks
"""

import subprocess

import pytest

from harness import recordings

pytestmark = pytest.mark.sinks


def ffmpeg(*args: str, timeout: float = 60) -> None:
    result = subprocess.run(["ffmpeg", "-hide_banner", "-nostdin", "-v", "error", "-y", *args],
                            capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"ffmpeg {' '.join(args)} failed: {result.stderr[-2000:]}"


def test_both_sinks_record_a_passthrough_publish(nginx_rtmp, ffmpeg_rtmp_sink, clip):
    """ffmpeg publishes 5 s of the clip (video copied, Opus → AAC) to nginx and to `ffmpeg -listen` at once; both
    recordings pass the checks and their slices are the clip's, byte for byte, from an IDR on."""
    nginx = nginx_rtmp()
    sink = ffmpeg_rtmp_sink("sink-key")
    publishers = [subprocess.Popen(["ffmpeg", "-hide_banner", "-nostdin", "-v", "error", "-re", "-ss", "2.5", "-t", "5",
                                    "-i", str(clip), "-c:v", "copy", "-c:a", "aac", "-b:a", "128k", "-f", "flv", url],
                                   stderr=subprocess.PIPE, text=True)
                  for url in (nginx.url + "/nginx-key", sink.url + "/sink-key")]
    for process in publishers:
        _, errors = process.communicate(timeout=30)
        assert process.returncode == 0, errors
    sink.finish(timeout=10)
    nginx.stop()

    files = nginx.recordings("nginx-key") + [sink.output]
    assert len(files) == 2, nginx.log_tail()
    for path in files:
        probe = recordings.probe(path)
        assert probe.video["codec_name"] == "h264" and (probe.video["width"], probe.video["height"]) == (1280, 720)
        assert (probe.audio["codec_name"], probe.audio["sample_rate"], probe.audio["channels"]) == ("aac", "48000", 2)
        assert 4.0 <= probe.media_span <= 5.5, probe.summary()
        assert not probe.dts_problems(), probe.dts_problems()
        assert not recordings.non_monotonic_lines(probe.warnings, recordings.remux_warnings(path))
        assert (probe.video_packets[0].get("flags") or "").startswith("K")
        match = recordings.match_slices(recordings.video_nals(path), recordings.reference_slices(str(clip)))
        assert match.identical, match.describe()
        assert match.start % 30 == 0, f"starts at clip slice {match.start}, not on a keyframe of the 1 s GOP"


def test_byte_identity_check_catches_a_reencode(tmp_path, clip):
    path = tmp_path / "reencoded.flv"
    ffmpeg("-ss", "2", "-t", "2", "-i", str(clip), "-c:v", "libx264", "-profile:v", "baseline", "-preset", "veryfast",
           "-bf", "0", "-g", "30", "-b:v", "2M", "-c:a", "aac", "-f", "flv", str(path))
    match = recordings.match_slices(recordings.video_nals(path), recordings.reference_slices(str(clip)))
    assert not match.identical and match.start is None, match.describe()


@pytest.mark.parametrize("audio_delay_ms", [0, 100])
def test_sync_analysis_measures_a_known_offset(tmp_path, sync_clip, audio_delay_ms):
    """The flash/beep analysis on an FLV with the clip's video copied and its audio re-encoded to AAC, shifted by a
    known delay: it must measure that delay within a few milliseconds."""
    path = tmp_path / f"sync-{audio_delay_ms}.flv"
    ffmpeg("-t", "6", "-i", str(sync_clip), "-itsoffset", f"{audio_delay_ms / 1000:.3f}", "-t", "6",
           "-i", str(sync_clip), "-map", "0:v", "-map", "1:a", "-c:v", "copy", "-c:a", "aac", "-b:a", "128k",
           "-f", "flv", str(path))
    flashes = recordings.flash_times(list(recordings.video_frames(path)))
    beeps = recordings.beep_onsets(*recordings.audio_windows(path))
    offsets = [min(beeps, key=lambda b: abs(b - f)) - f for f in flashes]
    assert len(flashes) >= 5, flashes
    assert all(abs(o * 1000 - audio_delay_ms) <= 8 for o in offsets), [round(o * 1000, 1) for o in offsets]
