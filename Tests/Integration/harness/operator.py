"""Starting `broadcast-operator run` against a devcluster and reading its /healthz and /metrics (the operator's
contract: /work/notes/operator-contract.md, DESIGN.md §5)."""

import math
import os
import pathlib
import re
import subprocess
import time

import requests

from .devcluster import terminate
from .ports import free_port

REPO_ROOT = pathlib.Path(__file__).resolve().parents[3]
START_TIMEOUT = 30.0
STOP_TIMEOUT = 5.0
STARTED_LINE = "controllers started"


def operator_binary() -> pathlib.Path:
    return pathlib.Path(os.environ.get("OPERATOR_BIN", REPO_ROOT / ".build/debug/broadcast-operator"))


class Metrics:
    """One scrape of Prometheus text: samples as (name, labels, value)."""

    _SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\S+)?$")
    _LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*,?')

    def __init__(self, text: str) -> None:
        self.text = text
        self.samples = []
        for line in text.splitlines():
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            match = self._SAMPLE.match(line)
            if match is None:
                raise ValueError(f"not a Prometheus sample line: {line!r}")
            name, label_text, value = match.groups()
            labels = {key: raw.replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")
                      for key, raw in self._LABEL.findall(label_text or "")}
            self.samples.append((name, labels, float(value)))

    def names(self) -> set:
        return {name for name, _, _ in self.samples}

    def matching(self, name: str, **labels) -> list:
        """The samples of `name` whose labels include `labels`."""
        return [(sample_labels, value) for sample_name, sample_labels, value in self.samples
                if sample_name == name and all(sample_labels.get(k) == v for k, v in labels.items())]

    def value(self, name: str, **labels):
        """The value of the one sample of `name` with exactly these labels (other than none); None when absent."""
        found = [value for sample_labels, value in self.matching(name, **labels) if set(sample_labels) == set(labels)]
        if len(found) > 1:
            raise AssertionError(f"{len(found)} samples of {name}{labels} in:\n{self.text}")
        return found[0] if found else None

    def total(self, name: str, **labels) -> float:
        """The sum over every sample of `name` whose labels include `labels` (0 when there is none)."""
        return sum(value for _, value in self.matching(name, **labels))

    def histogram(self, name: str) -> dict:
        """{"buckets": [(le, cumulative count)] sorted by le, "sum": s, "count": c} of a histogram without labels
        other than `le`."""
        buckets = sorted(((math.inf if labels["le"] == "+Inf" else float(labels["le"])), value)
                         for labels, value in self.matching(name + "_bucket"))
        return {"buckets": buckets, "sum": self.value(name + "_sum"), "count": self.value(name + "_count")}


class Operator:
    """A `broadcast-operator run` process with its own metrics port; everything it writes goes to `log_path`."""

    def __init__(self, work_dir: pathlib.Path, kubeconfig: pathlib.Path, flags=(), identity: str = None,
                 metrics_port: int = None) -> None:
        self.work_dir = pathlib.Path(work_dir)
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self.kubeconfig = pathlib.Path(kubeconfig)
        self.flags = [str(flag) for flag in flags]
        self.identity = identity
        self.metrics_port = metrics_port or free_port()
        self.log_path = self.work_dir / "operator.log"
        self.process = None
        # Set when the test stopped or killed it on purpose: any other exit is a crash.
        self.ended_by_test = False

    def command(self) -> list:
        command = [str(operator_binary()), "run", "--kubeconfig", str(self.kubeconfig),
                   "--metrics-port", str(self.metrics_port)]
        if self.identity is not None:
            command += ["--identity", self.identity]
        return command + self.flags

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.metrics_port}"

    # --- life cycle ---

    def start(self, wait: str = "started", timeout: float = START_TIMEOUT) -> None:
        """Starts the process, then waits for the "controllers started" log line (`wait="started"`), for /healthz to
        answer 200 (`wait="healthy"`: a standby of leader election never logs that line) or for nothing (None)."""
        binary = operator_binary()
        if not os.access(binary, os.X_OK):
            raise RuntimeError(f"broadcast-operator binary not found at {binary}: build it (`swift build --product "
                               f"broadcast-operator` in {REPO_ROOT}) or point OPERATOR_BIN at it")
        with open(self.log_path, "ab") as log:
            log.write(("$ " + " ".join(self.command()) + "\n").encode())
            log.flush()
            self.process = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, start_new_session=True)
        if wait == "started":
            self.wait_for_log(STARTED_LINE, timeout)
        elif wait == "healthy":
            self.wait_healthy(timeout)
        elif wait is not None:
            raise ValueError(f"unknown wait {wait!r}")

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def _check_alive(self, doing: str) -> None:
        if not self.alive():
            code = self.process.returncode if self.process is not None else None
            raise RuntimeError(f"broadcast-operator exited with code {code} while {doing}:\n{self.log_tail()}")

    def wait_for_log(self, text: str, timeout: float, since: int = 0) -> float:
        """Waits until the log (from byte `since`) contains `text`; returns the seconds waited."""
        start = time.monotonic()
        while text not in self.log_text(since):
            self._check_alive(f"waiting for {text!r} in its log")
            if time.monotonic() - start > timeout:
                raise RuntimeError(f"no {text!r} in the operator's log within {timeout:.0f} s:\n{self.log_tail()}")
            time.sleep(0.05)
        return time.monotonic() - start

    def wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last = "no answer"
        while time.monotonic() < deadline:
            self._check_alive("waiting for /healthz")
            try:
                response = self.healthz()
                if response.status_code == 200:
                    return
                last = f"{response.status_code} {response.text[:200]!r}"
            except requests.RequestException as error:
                last = str(error)
            time.sleep(0.05)
        raise RuntimeError(f"/healthz not 200 within {timeout:.0f} s ({last}):\n{self.log_tail()}")

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after STOP_TIMEOUT seconds."""
        if not self.alive():
            return
        self.ended_by_test = True
        terminate(self.process, STOP_TIMEOUT)

    def kill9(self) -> None:
        """SIGKILL: the Lease is neither released nor renewed."""
        if not self.alive():
            return
        self.ended_by_test = True
        self.process.kill()
        self.process.wait(timeout=5)

    # --- HTTP ---

    def healthz(self) -> requests.Response:
        return requests.get(self.base_url + "/healthz", timeout=2)

    def metrics(self) -> Metrics:
        response = requests.get(self.base_url + "/metrics", timeout=2)
        response.raise_for_status()
        return Metrics(response.text)

    # --- log ---

    def log_size(self) -> int:
        return self.log_path.stat().st_size if self.log_path.exists() else 0

    def log_text(self, since: int = 0) -> str:
        if not self.log_path.exists():
            return ""
        with open(self.log_path, "rb") as log:
            log.seek(since)
            return log.read().decode(errors="replace")

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])
