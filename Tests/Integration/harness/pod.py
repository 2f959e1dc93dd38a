"""Starting the media pod in static mode and talking to its HTTP interface (shared/DESIGN.md §4)."""

import dataclasses
import os
import pathlib
import re
import secrets
import signal
import subprocess
import time

import requests

from .netns import NetnsPair, Side

REPO_ROOT = pathlib.Path(__file__).resolve().parents[3]
HEALTH_TIMEOUT = 20.0


def media_pod_binary() -> pathlib.Path:
    return pathlib.Path(os.environ.get("MEDIA_POD_BIN", REPO_ROOT / ".build/debug/media-pod"))


@dataclasses.dataclass
class Destination:
    """One RTMP destination of a Broadcast and the Secret holding its stream key. The pod publishes to
    `url + "/" + stream_key`. With `write_secret=False` the Secret is referenced but not in the manifests."""

    name: str
    url: str
    stream_key: str = dataclasses.field(default_factory=lambda: "sk-" + secrets.token_hex(10))
    secret_name: str = None
    write_secret: bool = True
    enabled: bool = None

    def __post_init__(self) -> None:
        if self.secret_name is None:
            self.secret_name = f"{self.name}-key"

    def spec_line(self) -> str:
        enabled = "" if self.enabled is None else f", enabled: {str(self.enabled).lower()}"
        return (f'    - {{name: {self.name}, url: "{self.url}", '
                f"streamKeySecretRef: {{name: {self.secret_name}, key: streamKey}}{enabled}}}\n")


@dataclasses.dataclass
class Broadcast:
    """One Broadcast and the Secrets holding its ingest token and stream keys, as the manifests folder will hold
    them."""

    namespace: str = "studio"
    name: str = "show"
    token: str = dataclasses.field(default_factory=lambda: "tok-" + secrets.token_hex(8))
    max_bitrate_kbps: int = 4500
    destinations: list = dataclasses.field(default_factory=list)
    rtp_export: tuple = None  # (host, videoPort, audioPort) → spec.egress.rtpExport

    @property
    def secret_name(self) -> str:
        return f"{self.name}-ingest"

    @property
    def secret_values(self) -> list:
        """Every secret this broadcast hands the pod: the ingest token and each stream key."""
        return [self.token] + [d.stream_key for d in self.destinations if d.write_secret]

    def manifest(self) -> str:
        text = f"""apiVersion: v1
kind: Secret
metadata: {{name: {self.secret_name}, namespace: {self.namespace}}}
stringData: {{token: "{self.token}"}}
---
"""
        for destination in self.destinations:
            if destination.write_secret:
                text += f"""apiVersion: v1
kind: Secret
metadata: {{name: {destination.secret_name}, namespace: {self.namespace}}}
stringData: {{streamKey: "{destination.stream_key}"}}
---
"""
        text += f"""apiVersion: media.streamlick.io/v1alpha1
kind: Broadcast
metadata: {{name: {self.name}, namespace: {self.namespace}}}
spec:
  ingest: {{tokenSecretRef: {{name: {self.secret_name}, key: token}}}}
  video: {{maxBitrateKbps: {self.max_bitrate_kbps}}}
"""
        if self.rtp_export is not None:
            host, video_port, audio_port = self.rtp_export
            text += (f"  egress: {{rtpExport: {{host: \"{host}\", videoPort: {video_port}, "
                     f"audioPort: {audio_port}}}}}\n")
        if self.destinations:
            text += "  destinations:\n" + "".join(d.spec_line() for d in self.destinations)
        return text


def parse_prometheus(text: str) -> dict:
    """Prometheus text format → {metric name: {((label, value), ...): sample value}}."""
    metrics = {}
    pattern = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+\S+)?$')
    label_pattern = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = pattern.match(line)
        if match is None:
            raise ValueError(f"not a Prometheus sample line: {line!r}")
        name, _, labels, value = match.group(1), match.group(2), match.group(3), match.group(4)
        key = tuple(sorted(label_pattern.findall(labels or "")))
        metrics.setdefault(name, {})[key] = float(value)
    return metrics


class MediaPod:
    """A running media pod. HTTP goes through the pod's namespace when it runs in one."""

    def __init__(self, work_dir: pathlib.Path, broadcasts: list, http_port: int, udp_port: int,
                 announced_ip: str, pair: NetnsPair = None, side: Side = None, extra_args: list = ()) -> None:
        self.work_dir = work_dir
        self.broadcasts_config = list(broadcasts)
        self.http_port = http_port
        self.udp_port = udp_port
        self.announced_ip = announced_ip
        self.pair = pair
        self.side = side
        self.extra_args = list(extra_args)
        self.manifests_dir = work_dir / "manifests"
        self.log_path = work_dir / "media-pod.log"
        self.process = None
        self.stopped_by_test = False
        self.pod_name = "itest-" + secrets.token_hex(3)

    # --- addresses ---

    @property
    def http_host(self) -> str:
        return self.side.address if self.side else "127.0.0.1"

    @property
    def base_url(self) -> str:
        return f"http://{self.http_host}:{self.http_port}"

    def whip_url(self, namespace: str = "studio", name: str = "show") -> str:
        return f"{self.base_url}/whip/{namespace}/{name}"

    def token(self, namespace: str = "studio", name: str = "show") -> str:
        for broadcast in self.broadcasts_config:
            if (broadcast.namespace, broadcast.name) == (namespace, name):
                return broadcast.token
        raise KeyError(f"{namespace}/{name} is not configured in this pod")

    @property
    def tokens(self) -> dict:
        return {(b.namespace, b.name): b.token for b in self.broadcasts_config}

    # --- life cycle ---

    def write_manifests(self) -> None:
        self.manifests_dir.mkdir(parents=True, exist_ok=True)
        for broadcast in self.broadcasts_config:
            path = self.manifests_dir / f"{broadcast.namespace}-{broadcast.name}.yaml"
            path.write_text(broadcast.manifest())

    def command(self) -> list:
        command = [str(media_pod_binary()), "--manifests", str(self.manifests_dir),
                   "--http-port", str(self.http_port), "--udp-port", str(self.udp_port),
                   "--announced-ip", self.announced_ip, "--pod-name", self.pod_name,
                   "--log-level", "debug", *self.extra_args]
        return (self.side.exec_prefix() if self.side else []) + command

    def start(self) -> None:
        binary = media_pod_binary()
        if not os.access(binary, os.X_OK):
            raise RuntimeError(f"media-pod binary not found at {binary}: build it (`swift build` in {REPO_ROOT}) "
                               "or point MEDIA_POD_BIN at it")
        self.write_manifests()
        with open(self.log_path, "wb") as log:
            log.write(("$ " + " ".join(self.command()) + "\n").encode())
            log.flush()
            self.process = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT)
        self.wait_healthy()

    def wait_healthy(self) -> None:
        deadline = time.monotonic() + HEALTH_TIMEOUT
        last_error = None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"media-pod exited with code {self.process.returncode} during start-up:\n"
                                   + self.log_tail())
            try:
                response = self.request("GET", "/health", timeout=1)
                if response.status_code == 200 and response.json().get("status") == "ok":
                    return
                last_error = f"/health answered {response.status_code}: {response.text[:200]!r}"
            except (requests.RequestException, ValueError) as error:
                last_error = str(error)
            time.sleep(0.1)
        raise RuntimeError(f"media-pod not healthy after {HEALTH_TIMEOUT:.0f} s ({last_error}):\n" + self.log_tail())

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        """SIGTERM (the pod drains), then SIGKILL: a test never waits for a drain."""
        if self.process is None or self.process.poll() is not None:
            return
        self.stopped_by_test = True
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=3)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def log_tail(self, lines: int = 60) -> str:
        text = self.log_text().splitlines()
        return "\n".join(text[-lines:])

    # --- HTTP ---

    def request(self, method: str, path_or_url: str, timeout: float = 5, **kwargs) -> requests.Response:
        url = path_or_url if "://" in path_or_url else self.base_url + path_or_url
        if self.side is None:
            return requests.request(method, url, timeout=timeout, **kwargs)
        return self.pair.call_in(self.side, requests.request, method, url, timeout=timeout, **kwargs)

    def health(self) -> dict:
        response = self.request("GET", "/health")
        response.raise_for_status()
        return response.json()

    def broadcasts(self) -> list:
        response = self.request("GET", "/v1/broadcasts")
        response.raise_for_status()
        return response.json()["broadcasts"]

    def broadcast(self, namespace: str = "studio", name: str = "show") -> dict:
        for broadcast in self.broadcasts():
            if (broadcast.get("namespace"), broadcast.get("name")) == (namespace, name):
                return broadcast
        raise KeyError(f"{namespace}/{name} not in /v1/broadcasts")

    def ingest(self, namespace: str = "studio", name: str = "show") -> dict:
        return self.broadcast(namespace, name)["ingest"]

    def destinations(self, namespace: str = "studio", name: str = "show") -> dict:
        """{destination name: its entry in /v1/broadcasts}."""
        return {d.get("name"): d for d in self.broadcast(namespace, name).get("destinations") or []}

    def metrics_text(self) -> str:
        response = self.request("GET", "/metrics")
        response.raise_for_status()
        return response.text

    @property
    def secret_values(self) -> list:
        return [value for broadcast in self.broadcasts_config for value in broadcast.secret_values]

    def metrics(self) -> dict:
        response = self.request("GET", "/metrics")
        response.raise_for_status()
        return parse_prometheus(response.text)

    def metric_sum(self, name: str) -> float:
        """Sum of a metric over all its label sets (0 when absent)."""
        return sum(self.metrics().get(name, {}).values())
