"""The pre-encoded clip the aiortc publisher passes through: made once with ffmpeg, then cached.

1280x720 30 fps H.264 Constrained Baseline (no B-frames, an IDR every second, ~2 Mbit/s) + Opus, in MPEG-TS: the
container keeps H.264 in Annex B, which aiortc's MediaPlayer(decode=False) needs (shared/PEERS.md). The player
does not loop usefully (a seek restarts the timestamps and it then sends without pacing), so the clip is longer than
any publish in the suite. The A/V sync clip (flash + beep every second) is made the same way.
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


def _ensure(stem: str, args: list) -> pathlib.Path:
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise RuntimeError("ffmpeg not found: install the Debian package ffmpeg")
    digest = hashlib.sha256(" ".join(args).encode()).hexdigest()[:12]
    clip = cache_dir() / f"{stem}-{digest}.ts"
    if clip.exists() and clip.stat().st_size > 0:
        return clip
    partial = clip.with_suffix(f".partial-{os.getpid()}.ts")
    result = subprocess.run([ffmpeg, "-hide_banner", "-loglevel", "error", "-y", *args, str(partial)],
                            capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        partial.unlink(missing_ok=True)
        raise RuntimeError(f"ffmpeg could not make the clip {stem}: {result.stderr.strip()[-2000:]}")
    partial.rename(clip)
    return clip
