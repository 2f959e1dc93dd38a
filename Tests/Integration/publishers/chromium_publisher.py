#!/usr/bin/env python3
"""WHIP publisher driven by headless Chromium (its fake camera and microphone, H.264 via OpenH264).

Usage:
    chromium_publisher.py --whip-url URL --token TOKEN --duration SECONDS [--work-dir DIR]

Serves chromium/publish.html from its own small HTTP server on another port than the WHIP endpoint, so the page is
cross-origin and the pod's CORS answers are exercised. The page reports every step as JSON to /report; each report
is printed here as one line ("page: {...}"). Chromium's own console (CORS errors land there) goes to
WORK_DIR/chromium.log; its relevant lines are printed when the page fails.

Ends with "RESULT: ok" or "RESULT: error <reason>"; exit code 0 or 1. Chromium is killed when the page is done or
after the time limit, whichever comes first.
"""

import argparse
import functools
import http.server
import json
import os
import pathlib
import queue
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

PAGE_DIR = pathlib.Path(__file__).resolve().parent / "chromium"
CHROMIUM = os.environ.get("CHROMIUM_BIN", "/usr/lib/chromium/chromium")


def log(message: str) -> None:
    print(f"[chromium {time.monotonic():.3f}] {message}", flush=True)


class PageServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, reports: "queue.Queue[dict]") -> None:
        super().__init__(address, functools.partial(PageHandler, directory=str(PAGE_DIR)))
        self.reports = reports


class PageHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args) -> None:
        pass

    def do_POST(self) -> None:
        if self.path != "/report":
            self.send_error(404)
            return
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        try:
            self.server.reports.put(json.loads(body))
        except ValueError:
            self.server.reports.put({"event": "bad-report", "body": body.decode(errors="replace")})
        self.send_response(204)
        self.end_headers()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def summarize(report: dict) -> str:
    """One readable line per report; SDPs are shortened to their codec lines."""
    shown = dict(report)
    for key in ("sdp",):
        if key in shown and shown[key]:
            lines = shown[key].splitlines()
            keep = [l for l in lines if l.startswith(("m=", "a=rtpmap", "a=fmtp", "a=candidate", "a=setup",
                                                      "a=group"))]
            shown[key] = f"<{len(lines)} lines> " + " | ".join(keep)
    return json.dumps(shown)


def console_lines(chromium_log: pathlib.Path, limit: int = 40) -> list:
    if not chromium_log.exists():
        return []
    lines = chromium_log.read_text(errors="replace").splitlines()
    wanted = [l for l in lines if ("CONSOLE" in l or "CORS" in l or "ERROR" in l or "FATAL" in l or "webrtc" in l.lower())
              and "dbus" not in l and "zygote" not in l and "cpufreq" not in l]
    return wanted[-limit:]


def stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    # Chromium starts helper processes in its own process group (start_new_session below).
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=5)
    except (subprocess.TimeoutExpired, ProcessLookupError):
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait(timeout=5)


def publish(args: argparse.Namespace, work_dir: pathlib.Path) -> str:
    """Returns "" on success, else the reason."""
    if not os.access(CHROMIUM, os.X_OK):
        return f"Chromium not found at {CHROMIUM} (install the Debian chromium package)"
    reports: "queue.Queue[dict]" = queue.Queue()
    page_port = args.page_port or free_port()
    server = PageServer((args.page_host, page_port), reports)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    query = urllib.parse.urlencode({"whip": args.whip_url, "token": args.token, "duration": args.duration})
    page_url = f"http://{args.page_host}:{page_port}/publish.html?{query}"
    log(f"page {page_url}")

    chromium_log = work_dir / "chromium.log"
    # Chromium leaves /tmp/org.chromium.* behind, so it gets its own TMPDIR; a short one, because its
    # SingletonSocket lives there and a UNIX socket path is limited to 108 bytes (a pytest tmp_path is too long).
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="mpc-", dir="/tmp"))
    command = [
        CHROMIUM, "--headless=new", "--no-sandbox",
        "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream=fps=30",
        "--autoplay-policy=no-user-gesture-required",
        # Lets Chromium also gather 127.0.0.1 (it otherwise uses the machine's other addresses, shared/PEERS.md).
        "--allow-loopback-in-peer-connection",
        "--no-first-run", "--no-default-browser-check", "--disable-extensions",
        f"--user-data-dir={work_dir / 'profile'}",
        "--enable-logging=stderr", "--v=0",
        *args.chromium_arg,
        page_url,
    ]
    env = {**os.environ, "TMPDIR": str(tmp)}
    with open(chromium_log, "wb") as log_file:
        process = subprocess.Popen(command, stdout=log_file, stderr=subprocess.STDOUT, env=env,
                                   start_new_session=True)
    log(f"started Chromium pid {process.pid}, log {chromium_log}")
    deadline = time.monotonic() + args.duration + args.startup_timeout
    result = None
    try:
        while result is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                result = {"ok": False, "error": f"page did not finish within {args.duration + args.startup_timeout:.0f} s"}
                break
            if process.poll() is not None:
                result = {"ok": False, "error": f"Chromium exited with code {process.returncode}"}
                break
            try:
                report = reports.get(timeout=min(remaining, 0.5))
            except queue.Empty:
                continue
            log("page: " + summarize(report))
            if args.offer_file and report.get("event") == "offer":
                pathlib.Path(args.offer_file).write_text(report["sdp"])
            if report.get("event") == "result":
                result = report
    finally:
        stop(process)
        server.shutdown()
        server.server_close()
        shutil.rmtree(tmp, ignore_errors=True)
    if result.get("ok"):
        return ""
    for line in console_lines(chromium_log):
        log("chromium-console: " + line)
    return result.get("error") or "unknown page error"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--whip-url", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds to publish once connected")
    parser.add_argument("--startup-timeout", type=float, default=30.0,
                        help="seconds allowed, beyond --duration, for launch, connect and DELETE")
    parser.add_argument("--page-host", default="127.0.0.1")
    parser.add_argument("--page-port", type=int, default=0, help="default: a free port")
    parser.add_argument("--work-dir", help="Chromium profile and log (default: a temporary folder)")
    parser.add_argument("--offer-file", help="write the page's SDP offer here")
    parser.add_argument("--chromium-arg", action="append", default=[], help="extra Chromium flag")
    args = parser.parse_args()

    if args.work_dir:
        work_dir = pathlib.Path(args.work_dir)
        work_dir.mkdir(parents=True, exist_ok=True)
        cleanup = None
    else:
        work_dir = pathlib.Path(tempfile.mkdtemp(prefix="chromium-publisher-"))
        cleanup = work_dir
    try:
        error = publish(args, work_dir)
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
    finally:
        if cleanup is not None:
            shutil.rmtree(cleanup, ignore_errors=True)
    if error:
        log(f"RESULT: error {error}")
        return 1
    log("RESULT: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
