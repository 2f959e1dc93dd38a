"""The pre-encoded clip the aiortc publisher passes through: made once with ffmpeg, then cached.

1280x720 30 fps H.264 Constrained Baseline (no B-frames, an IDR every second, ~2 Mbit/s) + Opus, in MPEG-TS: the
container keeps H.264 in Annex B, which aiortc's MediaPlayer(decode=False) needs (shared/PEERS.md). The player
does not loop usefully (a seek restarts the timestamps and it then sends without pacing), so the clip is longer than
any publish in the suite.
"""

import hashlib
import os
import pathlib
import shutil
import subprocess

CLIP_SECONDS = 45

FFMPEG_ARGS = [
    "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30",
    "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
    "-t", str(CLIP_SECONDS), "-map", "0:v", "-map", "1:a",
    "-c:v", "libx264", "-profile:v", "baseline", "-level", "3.1", "-preset", "veryfast", "-pix_fmt", "yuv420p",
    "-bf", "0", "-g", "30", "-keyint_min", "30", "-sc_threshold", "0",
    "-b:v", "2M", "-maxrate", "2.2M", "-bufsize", "1M",
    "-c:a", "libopus", "-b:a", "64k", "-ac", "2",
    "-f", "mpegts",
]


def cache_dir() -> pathlib.Path:
    default = pathlib.Path(__file__).resolve().parents[1] / ".cache"
    path = pathlib.Path(os.environ.get("MEDIA_POD_TEST_CACHE", default))
    path.mkdir(parents=True, exist_ok=True)
    return path


def ensure_clip() -> pathlib.Path:
    """Path of the cached clip, made first if missing (about 10 s on 2 cores)."""
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise RuntimeError("ffmpeg not found: install the Debian package ffmpeg")
    digest = hashlib.sha256(" ".join(FFMPEG_ARGS).encode()).hexdigest()[:12]
    clip = cache_dir() / f"clip-720p30-h264cb-opus-{digest}.ts"
    if clip.exists() and clip.stat().st_size > 0:
        return clip
    partial = clip.with_suffix(f".partial-{os.getpid()}.ts")
    result = subprocess.run([ffmpeg, "-hide_banner", "-loglevel", "error", "-y", *FFMPEG_ARGS, str(partial)],
                            capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        partial.unlink(missing_ok=True)
        raise RuntimeError(f"ffmpeg could not make the test clip: {result.stderr.strip()[-2000:]}")
    partial.rename(clip)
    return clip
