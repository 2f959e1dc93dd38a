"""The pre-encoded clip the aiortc publisher passes through: made once with ffmpeg, then cached.

1280x720 30 fps H.264 Constrained Baseline (no B-frames, an IDR every second, ~2 Mbit/s) + Opus, in MPEG-TS: the
container keeps H.264 in Annex B, which aiortc's MediaPlayer(decode=False) needs (shared/PEERS.md). The player
does not loop usefully (a seek restarts the timestamps and it then sends without pacing), so the clip is longer than
any publish in the suite. The A/V sync clip (flash + beep every second) is made the same way.

Two more inputs (test_rtmp_egress_more.py):
- a *busy* 720p30 Y4M (noisy test pattern, ~125 MB for 3 s) for Chromium's `--use-file-for-fake-video-capture`
  (Chromium loops it); noise keeps the encoder's output large, so the bitrate the sink sees follows Chrome's
  bandwidth estimate instead of the content;
- a resolution-change clip: 5 s of 1280x720 then 5 s of 640x360, each encoded separately with the same H.264
  settings (Constrained Baseline, level 3.1, no B-frames, so the fmtp aiortc announces fits both halves) and joined
  with ffmpeg's concat demuxer without re-encoding: the second half starts with its own SPS/PPS + IDR.
"""

import hashlib
import os
import pathlib
import shutil
import subprocess

CLIP_SECONDS = 45
LONG_CLIP_SECONDS = 90  # the egress fault test may publish for up to 80 s (the clip must outlast it by 3 s)
SYNC_CLIP_SECONDS = 45

H264_ARGS = ["-c:v", "libx264", "-profile:v", "baseline", "-level", "3.1", "-preset", "veryfast", "-pix_fmt", "yuv420p",
             "-bf", "0", "-g", "30", "-keyint_min", "30", "-sc_threshold", "0"]
OPUS_ARGS = ["-c:a", "libopus", "-b:a", "64k", "-ac", "2"]


def clip_args(seconds: int = CLIP_SECONDS) -> list:
    return [
        "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30",
        "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
        "-t", str(seconds), "-map", "0:v", "-map", "1:a",
        *H264_ARGS, "-b:v", "2M", "-maxrate", "2.2M", "-bufsize", "1M",
        *OPUS_ARGS, "-f", "mpegts",
    ]


# A/V sync clip: black 720p30 with one white picture at every whole second (frame numbers 0, 30, 60, ...) and a
# 1 kHz beep (half scale) starting at every whole second, lasting 50 ms: sample-exact with aevalsrc. Both start at
# the same instant, so at a sink the flash and the beep onset must coincide (up to Opus's ~6.5 ms lookahead).
SYNC_FFMPEG_ARGS = [
    "-f", "lavfi", "-i", "color=c=black:size=1280x720:rate=30,format=yuv420p,"
                         "drawbox=x=0:y=0:w=iw:h=ih:color=white:t=fill:enable='eq(mod(n,30),0)'",
    "-f", "lavfi", "-i", "aevalsrc='if(lt(mod(t,1),0.05),0.5*sin(2*PI*1000*t),0)':s=48000:c=stereo",
    "-t", str(SYNC_CLIP_SECONDS), "-map", "0:v", "-map", "1:a",
    *H264_ARGS, "-b:v", "1M",
    *OPUS_ARGS, "-f", "mpegts",
]

FFMPEG_ARGS = clip_args(CLIP_SECONDS)

BUSY_Y4M_SECONDS = 3
BUSY_Y4M_ARGS = ["-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30,noise=alls=25:allf=t+u",
                 "-t", str(BUSY_Y4M_SECONDS), "-pix_fmt", "yuv420p", "-f", "yuv4mpegpipe"]

# (width, height, seconds, video bitrate) of each part of the resolution-change clip, in order.
RESOLUTION_CHANGE_PARTS = ((1280, 720, 5, "2M"), (640, 360, 5, "800k"))


def resolution_part_args(width: int, height: int, seconds: int, bitrate: str) -> list:
    return [
        "-f", "lavfi", "-i", f"testsrc2=size={width}x{height}:rate=30",
        "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
        "-t", str(seconds), "-map", "0:v", "-map", "1:a",
        *H264_ARGS, "-b:v", bitrate, "-maxrate", bitrate, "-bufsize", "1M",
        *OPUS_ARGS, "-f", "mpegts",
    ]


def cache_dir() -> pathlib.Path:
    default = pathlib.Path(__file__).resolve().parents[1] / ".cache"
    path = pathlib.Path(os.environ.get("MEDIA_POD_TEST_CACHE", default))
    path.mkdir(parents=True, exist_ok=True)
    return path


def ensure_clip(seconds: int = CLIP_SECONDS) -> pathlib.Path:
    """Path of the cached clip, made first if missing (about 10 s per 45 s of clip on 2 cores)."""
    return _ensure(f"clip-720p30-h264cb-opus-{seconds}s" if seconds != CLIP_SECONDS else "clip-720p30-h264cb-opus",
                   clip_args(seconds))


def ensure_sync_clip() -> pathlib.Path:
    """Path of the cached A/V sync clip (flash + beep every second), made first if missing."""
    return _ensure("sync-720p30-flash-beep", SYNC_FFMPEG_ARGS)


def ensure_busy_y4m() -> pathlib.Path:
    """Path of the cached busy 720p30 Y4M (3 s, ~125 MB) for Chromium's fake camera, made first if missing."""
    return _ensure("busy-720p30", BUSY_Y4M_ARGS, suffix=".y4m")


def ensure_resolution_change_clip() -> pathlib.Path:
    """Path of the cached clip that switches from 1280x720 to 640x360 after 5 s (MPEG-TS, H.264 CB + Opus)."""
    parts = [resolution_part_args(*part) for part in RESOLUTION_CHANGE_PARTS]
    key = " | ".join(" ".join(args) for args in parts) + " | concat -c copy"

    def make(output: pathlib.Path) -> None:
        made = []
        try:
            for number, args in enumerate(parts):
                part = output.with_name(f"{output.name}.part{number}.ts")
                made.append(part)
                _ffmpeg([*args, str(part)], f"part {number} of the resolution-change clip")
            listing = output.with_name(f"{output.name}.concat.txt")
            made.append(listing)
            listing.write_text("".join(f"file '{part}'\n" for part in made if part.suffix == ".ts"))
            _ffmpeg(["-f", "concat", "-safe", "0", "-i", str(listing), "-map", "0", "-c", "copy", "-f", "mpegts",
                     str(output)], "the resolution-change clip (concat)")
        finally:
            for path in made:
                path.unlink(missing_ok=True)

    return _cached("resolution-change-720p-360p", key, ".ts", make)


def _ffmpeg(args: list, what: str) -> None:
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise RuntimeError("ffmpeg not found: install the Debian package ffmpeg")
    result = subprocess.run([ffmpeg, "-hide_banner", "-loglevel", "error", "-y", *args],
                            capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        raise RuntimeError(f"ffmpeg could not make {what}: {result.stderr.strip()[-2000:]}")


def _ensure(stem: str, args: list, suffix: str = ".ts") -> pathlib.Path:
    return _cached(stem, " ".join(args), suffix, lambda output: _ffmpeg([*args, str(output)], f"the clip {stem}"))


def _cached(stem: str, key: str, suffix: str, make) -> pathlib.Path:
    """cache_dir()/STEM-<hash of key>SUFFIX, made by make(partial path) when missing, then renamed into place (a
    killed run never leaves a half-made file under the final name)."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:12]
    clip = cache_dir() / f"{stem}-{digest}{suffix}"
    if clip.exists() and clip.stat().st_size > 0:
        return clip
    partial = clip.with_name(f"{clip.stem}.partial-{os.getpid()}{suffix}")
    try:
        make(partial)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    partial.rename(clip)
    return clip
