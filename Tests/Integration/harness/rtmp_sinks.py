"""RTMP servers the pod's egress publishes to: a private nginx with libnginx-mod-rtmp that records every publish, and
`ffmpeg -listen 1` writing one FLV.

nginx (shared/PEERS.md): installing it does not start it here, and the system instance is never used. Each NginxRtmp
runs its own process from a generated config, with its prefix, error log, pid file and recordings in a folder of
the test: `daemon off; master_process off;` keeps it one process the test owns (start, stop, restart on the same
port). `record_unique on` gives every publish its own file (`KEY-<unix time>.flv`), so a destination that reconnects
after a restart leaves a second recording beside the first.

With `allowed_keys`, nginx asks a small HTTP endpoint in this process before it accepts a publish
(`on_publish`): a key outside the set is refused, as a platform refuses a wrong stream key.

With `side` (a netns.Side), nginx runs inside that network namespace (`ip netns exec`), listening on that
namespace's 127.0.0.1: the sink for a pod that runs in the pod namespace of a NetnsPair. Its listening socket is
then looked up in that namespace's /proc/net/tcp.

ffmpeg (shared/PEERS.md): `-listen 1` accepts exactly one publish; when the publisher leaves, ffmpeg finishes the
file and exits, and a reconnect finds nothing listening. It needs `-analyzeduration 5000000` when the first video
arrives after audio, or it fails with "Could not find codec parameters … unspecified size". Found here: ffmpeg 5.1
blocked reading an RTMP connection that stays open but idle ignores SIGINT (killed after 5 s, the FLV keeps
duration 0 in its header). The pod keeps a destination's connection open after the publisher leaves, so the sink
reads with `-rw_timeout`: a publish idle for `idle_timeout` seconds ends it with a proper trailer (the wait for the
first publish is not affected).
"""

import http.server
import os
import pathlib
import shutil
import signal
import subprocess
import threading
import time
import urllib.parse

NGINX = os.environ.get("NGINX_BIN", "/usr/sbin/nginx")
RTMP_MODULE = os.environ.get("NGINX_RTMP_MODULE", "/usr/lib/nginx/modules/ngx_rtmp_module.so")
START_TIMEOUT = 10.0


def check_nginx_rtmp() -> str:
    """"" when nginx with the RTMP module can run, else what is missing."""
    if not os.access(NGINX, os.X_OK):
        return f"nginx not found at {NGINX} (Debian package nginx)"
    if not os.path.exists(RTMP_MODULE):
        return f"{RTMP_MODULE} not found (Debian package libnginx-mod-rtmp)"
    return ""


def check_ffmpeg() -> str:
    missing = [tool for tool in ("ffmpeg", "ffprobe") if shutil.which(tool) is None]
    return f"{' and '.join(missing)} not found (Debian package ffmpeg)" if missing else ""


def tcp_listening(port: int, host: str = "127.0.0.1", namespace: str = None) -> bool:
    """Whether something listens on host:port, read from /proc/net/tcp (a probe connection would look like a
    publisher to the RTMP server and land in its log); with `namespace`, that network namespace's table."""
    wanted_port = f"{port:04X}"
    wanted_hosts = {"00000000", "".join(f"{int(part):02X}" for part in reversed(host.split(".")))}
    try:
        if namespace is None:
            lines = pathlib.Path("/proc/net/tcp").read_text().splitlines()[1:]
        else:
            result = subprocess.run(["ip", "netns", "exec", namespace, "cat", "/proc/net/tcp"],
                                    capture_output=True, text=True, timeout=5)
            if result.returncode != 0:
                return False
            lines = result.stdout.splitlines()[1:]
    except (OSError, subprocess.TimeoutExpired):
        return False
    for line in lines:
        fields = line.split()
        local, state = fields[1], fields[3]
        address, local_port = local.split(":")
        if state == "0A" and local_port == wanted_port and address in wanted_hosts:
            return True
    return False


def tail(path: pathlib.Path, lines: int = 40) -> str:
    if not path.exists():
        return f"({path} does not exist)"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


class _PublishAuthHandler(http.server.BaseHTTPRequestHandler):
    """nginx-rtmp's on_publish: a POST with the publish's arguments form-encoded in the body; 2xx accepts."""

    def log_message(self, format: str, *args) -> None:
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode(errors="replace")
        fields = urllib.parse.parse_qs(body)
        key = (fields.get("name") or [""])[0]
        allowed = key in self.server.allowed_keys
        self.server.decisions.append((time.monotonic(), key, allowed))
        self.send_response(200 if allowed else 403)
        self.send_header("Content-Length", "0")
        self.end_headers()


class NginxRtmp:
    """A private nginx-rtmp server on 127.0.0.1:port recording application `live` to FLV files."""

    def __init__(self, work_dir: pathlib.Path, port: int, allowed_keys=None, side=None) -> None:
        if side is not None and allowed_keys is not None:
            raise ValueError("allowed_keys needs nginx in this process's namespace (its on_publish endpoint "
                             "listens on this namespace's 127.0.0.1)")
        self.work_dir = work_dir
        self.port = port
        self.side = side
        self.record_dir = work_dir / "recordings"
        self.error_log = work_dir / "error.log"
        self.config_path = work_dir / "nginx.conf"
        self.output_log = work_dir / "nginx.out"
        self.allowed_keys = set(allowed_keys) if allowed_keys is not None else None
        self.auth_server = None
        self.process = None
        self.starts = 0

    @property
    def url(self) -> str:
        """The destination URL (the pod appends "/" + stream key)."""
        return f"rtmp://127.0.0.1:{self.port}/live"

    def config(self) -> str:
        on_publish = ""
        if self.auth_server is not None:
            on_publish = f"on_publish http://127.0.0.1:{self.auth_server.server_address[1]}/on_publish;"
        return f"""load_module {RTMP_MODULE};
daemon off;
master_process off;
worker_processes 1;
pid {self.work_dir / 'nginx.pid'};
error_log {self.error_log} info;
events {{ worker_connections 64; }}
rtmp {{
    server {{
        listen 127.0.0.1:{self.port};
        chunk_size 4096;
        application live {{
            live on;
            record all;
            record_path {self.record_dir};
            record_suffix .flv;
            record_unique on;
            {on_publish}
        }}
    }}
}}
"""

    def start(self) -> None:
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self.record_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.record_dir, 0o777)  # nginx may write as its worker user
        if self.allowed_keys is not None and self.auth_server is None:
            self.auth_server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _PublishAuthHandler)
            self.auth_server.daemon_threads = True
            self.auth_server.allowed_keys = self.allowed_keys
            self.auth_server.decisions = []
            threading.Thread(target=self.auth_server.serve_forever, daemon=True).start()
        self.config_path.write_text(self.config())
        self.starts += 1
        with open(self.output_log, "ab") as out:
            out.write(f"--- start {self.starts} at {time.monotonic():.3f}\n".encode())
            out.flush()
            prefix = self.side.exec_prefix() if self.side is not None else []
            self.process = subprocess.Popen([*prefix, NGINX, "-p", str(self.work_dir), "-e", str(self.error_log),
                                             "-c", str(self.config_path)],
                                            stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT
        while not self.listening():
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx exited with code {self.process.returncode} at start:\n"
                                   f"{tail(self.output_log)}\n{tail(self.error_log)}")
            if time.monotonic() > deadline:
                where = f" in namespace {self.side.namespace}" if self.side is not None else ""
                raise RuntimeError(f"nginx not listening on 127.0.0.1:{self.port}{where} after "
                                   f"{START_TIMEOUT:.0f} s:\n"
                                   f"{tail(self.error_log)}")
            time.sleep(0.05)

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def listening(self) -> bool:
        return tcp_listening(self.port, namespace=self.side.namespace if self.side is not None else None)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        """SIGTERM is nginx's fast shutdown: open connections are closed at once (what a crashed or restarted
        ingest server looks like to the pod); recordings are closed."""
        if not self.running():
            return
        self.process.send_signal(sig)
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
        deadline = time.monotonic() + 5
        while self.listening() and time.monotonic() < deadline:
            time.sleep(0.05)

    def restart(self) -> None:
        self.stop()
        self.start()

    def close(self) -> None:
        self.stop()
        if self.auth_server is not None:
            self.auth_server.shutdown()
            self.auth_server.server_close()

    def recordings(self, key: str = None) -> list:
        """Recorded FLV files (of one stream key, when given), oldest first."""
        pattern = f"{key}-*.flv" if key else "*.flv"
        return sorted(self.record_dir.glob(pattern), key=lambda path: (path.stat().st_mtime, path.name))

    def auth_decisions(self) -> list:
        """(time, key, accepted) for every on_publish request nginx made."""
        return list(self.auth_server.decisions) if self.auth_server is not None else []

    def log_tail(self, lines: int = 40) -> str:
        return (f"{tail(self.error_log, lines)}\nrecordings: "
                f"{[(p.name, p.stat().st_size) for p in self.recordings()] if self.record_dir.exists() else []}")


class FfmpegRtmpSink:
    """`ffmpeg -listen 1` on 127.0.0.1:port for one publish to /live/KEY, copied into one FLV file."""

    def __init__(self, work_dir: pathlib.Path, port: int, key: str, idle_timeout: float = 3.0) -> None:
        self.work_dir = work_dir
        self.port = port
        self.key = key
        self.idle_timeout = idle_timeout
        self.output = work_dir / "ffmpeg-sink.flv"
        self.log_path = work_dir / "ffmpeg-sink.log"
        self.process = None

    @property
    def url(self) -> str:
        return f"rtmp://127.0.0.1:{self.port}/live"

    def command(self) -> list:
        return ["ffmpeg", "-hide_banner", "-nostdin", "-y", "-loglevel", "info",
                "-rw_timeout", str(int(self.idle_timeout * 1_000_000)), "-listen", "1", "-analyzeduration", "5000000",
                "-i", f"rtmp://127.0.0.1:{self.port}/live/{self.key}",
                "-map", "0", "-c", "copy", "-f", "flv", str(self.output)]

    def start(self) -> None:
        self.work_dir.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT
        while not tcp_listening(self.port):
            if self.process.poll() is not None:
                raise RuntimeError(f"ffmpeg sink exited with code {self.process.returncode} at start:\n"
                                   f"{tail(self.log_path)}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"ffmpeg sink not listening after {START_TIMEOUT:.0f} s:\n{tail(self.log_path)}")
            time.sleep(0.05)

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def finish(self, timeout: float = 10.0) -> int:
        """Waits for ffmpeg to end by itself (it does when the publisher disconnects or stays idle for
        `idle_timeout`), else ends it with SIGINT (and SIGKILL after 5 s). Returns its exit code."""
        if self.process is None:
            return None
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.stop()
            return self.process.returncode

    def stop(self) -> None:
        if not self.running():
            return
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def log_tail(self, lines: int = 40) -> str:
        size = self.output.stat().st_size if self.output.exists() else None
        return f"{tail(self.log_path, lines)}\noutput: {self.output} ({size} bytes)"
