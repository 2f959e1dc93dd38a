"""Running the publishers (publishers/*.py) as subprocesses, each with its output in a log file."""

import os
import pathlib
import re
import shutil
import signal
import subprocess
import sys
import time

from .netns import Side

PUBLISHERS_DIR = pathlib.Path(__file__).resolve().parents[1] / "publishers"
SYSTEM_PYTHON = "/usr/bin/python3"  # Debian's, with python3-gi and python3-gst-1.0 (shared/PEERS.md)
CHROMIUM = os.environ.get("CHROMIUM_BIN", "/usr/lib/chromium/chromium")


def check_gstreamer() -> str:
    """"" when Debian's Python can run webrtcbin, else what is missing."""
    if not os.access(SYSTEM_PYTHON, os.X_OK):
        return f"{SYSTEM_PYTHON} not found (Debian python3)"
    probe = ("import gi; gi.require_version('Gst', '1.0'); gi.require_version('GstWebRTC', '1.0');"
             "from gi.repository import Gst; Gst.init(None);"
             "missing = [n for n in ('webrtcbin', 'x264enc', 'rtph264pay', 'opusenc', 'rtpopuspay', 'nicesrc')"
             " if Gst.ElementFactory.find(n) is None]; print(' '.join(missing))")
    result = subprocess.run([SYSTEM_PYTHON, "-c", probe], capture_output=True, text=True)
    if result.returncode != 0:
        return f"{SYSTEM_PYTHON} cannot load GStreamer (python3-gi, python3-gst-1.0): {result.stderr.strip()[-500:]}"
    if result.stdout.strip():
        return (f"GStreamer elements missing: {result.stdout.strip()} (gstreamer1.0-plugins-bad/-ugly/-good, "
                "gstreamer1.0-nice)")
    return ""


def check_chromium() -> str:
    return "" if os.access(CHROMIUM, os.X_OK) else f"Chromium not found at {CHROMIUM} (Debian package chromium)"


def check_ip() -> str:
    return "" if shutil.which("ip") else "`ip` not found (Debian package iproute2)"


class PublisherProcess:
    """A publisher CLI running in the background; its output goes to `log_path`."""

    def __init__(self, kind: str, command: list, log_path: pathlib.Path) -> None:
        self.kind = kind
        self.command = command
        self.log_path = log_path
        with open(log_path, "wb") as log:
            log.write(("$ " + " ".join(command) + "\n").encode())
            log.flush()
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.started = time.monotonic()

    def running(self) -> bool:
        return self.process.poll() is None

    def wait(self, timeout: float) -> int:
        """Exit code; kills the publisher (and its children) when it overruns."""
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"{self.kind} publisher still running after {timeout:.0f} s:\n{self.output_tail()}")

    def terminate(self) -> None:
        """SIGTERM: the aiortc publisher then ends its publish early and cleanly (WHIP DELETE)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)

    def step_time(self, marker: str) -> float:
        """The time.monotonic() stamp of the first output line containing `marker` (every publisher prefixes its
        lines with "[kind <monotonic>]", the same clock as the test's), or None."""
        for line in self.output().splitlines():
            if marker in line:
                match = re.match(r"^\[\S+ (\d+\.\d+)\]", line)
                if match:
                    return float(match.group(1))
        return None

    def kill(self) -> None:
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.wait(timeout=5)

    def output(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def output_tail(self, lines: int = 60) -> str:
        return "\n".join(self.output().splitlines()[-lines:])

    def result_line(self) -> str:
        for line in reversed(self.output().splitlines()):
            if "RESULT:" in line:
                return line.split("RESULT:", 1)[1].strip()
        return "(no RESULT line)"


def aiortc_command(whip_url: str, token: str, duration: float, clip: pathlib.Path, ice_address: str,
                   side: Side = None, extra: list = ()) -> list:
    command = [sys.executable, str(PUBLISHERS_DIR / "aiortc_publisher.py"), "--whip-url", whip_url,
               "--token", token, "--clip", str(clip), "--duration", str(duration), "--ice-address", ice_address,
               *extra]
    return (side.exec_prefix() if side else []) + command


def aiortc_follow_command(broadcast: str, kubeconfig, duration: float, clip: pathlib.Path, ice_address: str,
                          extra: list = ()) -> list:
    """The aiortc publisher following a Broadcast's status (docs/publishers.md) instead of a fixed URL and token."""
    return [sys.executable, str(PUBLISHERS_DIR / "aiortc_publisher.py"), "--broadcast", broadcast,
            "--kubeconfig", str(kubeconfig), "--clip", str(clip), "--duration", str(duration),
            "--ice-address", ice_address, *extra]


def gst_command(whip_url: str, token: str, duration: float, side: Side, extra: list = ()) -> list:
    command = [SYSTEM_PYTHON, str(PUBLISHERS_DIR / "gst_publisher.py"), "--whip-url", whip_url,
               "--token", token, "--duration", str(duration), *extra]
    return side.exec_prefix() + command


def chromium_command(whip_url: str, token: str, duration: float, work_dir: pathlib.Path, extra: list = ()) -> list:
    return [sys.executable, str(PUBLISHERS_DIR / "chromium_publisher.py"), "--whip-url", whip_url,
            "--token", token, "--duration", str(duration), "--work-dir", str(work_dir), *extra]
