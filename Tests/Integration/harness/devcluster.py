"""Starting devcluster (the local Kubernetes API server, shared/DESIGN.md §6) and talking to it the way users do:
with an unmodified kubectl and with the Python `kubernetes` client, both through the kubeconfig it writes.

The tests that use this are the specification of the server: each asserts what a real Kubernetes 1.32 API server
does, as seen through kubectl 1.32 and the Python client.
"""

import base64
import json
import os
import pathlib
import queue
import secrets
import signal
import subprocess
import threading
import time

import requests
import yaml

from .ports import free_port

REPO_ROOT = pathlib.Path(__file__).resolve().parents[3]
START_TIMEOUT = 20.0
STOP_TIMEOUT = 5.0


# Watch events the server keeps (--watch-history); older resourceVersions get 410 Expired.
WATCH_HISTORY = 1000


def devcluster_binary() -> pathlib.Path:
    return pathlib.Path(os.environ.get("DEVCLUSTER_BIN", REPO_ROOT / ".build/debug/devcluster"))


def kubectl_binary() -> str:
    """kubectl 1.32 (on these machines /usr/bin/kubectl is gcloud's dispatcher, which runs the kubectl release that
    matches the server's /version minor: devcluster reports 1.32)."""
    return os.environ.get("KUBECTL", "/usr/bin/kubectl")


def any_line(line: str) -> bool:
    """A Background.wait_for_line predicate: the next line, whatever it is."""
    return True


def terminate(process: subprocess.Popen, timeout: float) -> None:
    """SIGTERM, then SIGKILL when the process has not exited after `timeout` seconds."""
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


class KubectlError(AssertionError):
    """kubectl exited non-zero where the test expected success. The message has the command, stdout and stderr."""

    def __init__(self, result: subprocess.CompletedProcess) -> None:
        self.result = result
        super().__init__(f"`{' '.join(result.args)}` exited with code {result.returncode}\n"
                         f"--- stdout ---\n{result.stdout}\n--- stderr ---\n{result.stderr}")


class Background:
    """A kubectl process running in the background (a watch, a wait, a blocking delete): its stdout lines are read
    on a thread so a test can wait for one line at a time without blocking forever."""

    def __init__(self, command: list, log_path: pathlib.Path) -> None:
        self.command = command
        self.log_path = log_path
        self._stderr = open(log_path, "wb")
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=self._stderr, text=True, bufsize=1)
        self.lines = []
        self._queue = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def next_line(self, timeout: float) -> str:
        """The next stdout line; None when stdout ended. Raises TimeoutError after `timeout` seconds."""
        try:
            line = self._queue.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError(f"no output line from `{' '.join(self.command)}` within {timeout} s; so far:\n"
                               + "\n".join(self.lines) + "\n--- stderr ---\n" + self.stderr()) from None
        if line is not None:
            self.lines.append(line)
        else:
            self._queue.put(None)  # stays at the end for later calls
        return line

    def wait_for_line(self, predicate, timeout: float) -> str:
        """Reads lines until one satisfies `predicate`; fails with everything read when stdout ends or time is up."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no matching line from `{' '.join(self.command)}` within {timeout} s; got:\n"
                                   + "\n".join(self.lines) + "\n--- stderr ---\n" + self.stderr())
            line = self.next_line(remaining)
            if line is None:
                raise AssertionError(f"`{' '.join(self.command)}` ended (code {self.process.poll()}) before a "
                                     "matching line; got:\n" + "\n".join(self.lines)
                                     + "\n--- stderr ---\n" + self.stderr())
            if predicate(line):
                return line

    def wait(self, timeout: float) -> int:
        """The exit code; raises subprocess.TimeoutExpired if still running after `timeout` seconds."""
        code = self.process.wait(timeout=timeout)
        self._reader.join(timeout=2)
        return code

    def stdout(self) -> str:
        while True:
            try:
                line = self._queue.get_nowait()
            except queue.Empty:
                break
            if line is None:
                self._queue.put(None)
                break
            self.lines.append(line)
        return "\n".join(self.lines)

    def stderr(self) -> str:
        if not self._stderr.closed:
            self._stderr.flush()
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=3)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self._stderr.close()


class DevCluster:
    """A devcluster process on a free loopback port, with its kubeconfig, data dir and log in `work_dir`."""

    def __init__(self, work_dir: pathlib.Path, port: int = None, persistent: bool = True) -> None:
        self.work_dir = pathlib.Path(work_dir)
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.kubeconfig = self.work_dir / "kubeconfig"
        self.data_dir = self.work_dir / "data" if persistent else None
        self.log_path = self.work_dir / "devcluster.log"
        # kubectl's discovery and OpenAPI cache: private to this server (a shared ~/.kube/cache would remember
        # another run's server on the same port).
        self.cache_dir = self.work_dir / "kube-cache"
        self.process = None
        self.stopped_by_test = False
        self.starts = 0
        self._clients = []
        self._background = []

    # --- life cycle ---

    @property
    def base_url(self) -> str:
        """The server URL from the kubeconfig (https://127.0.0.1:PORT with the server's CA in
        certificate-authority-data: kubectl sends a bearer token only over TLS)."""
        try:
            return self._cluster_entry()["server"].rstrip("/")
        except (OSError, KeyError, StopIteration, TypeError, yaml.YAMLError):
            return f"http://127.0.0.1:{self.port}"

    def requests_verify(self):
        """`verify` for requests: the kubeconfig's CA when it has one."""
        try:
            data = self._cluster_entry().get("certificate-authority-data")
        except (OSError, KeyError, StopIteration, TypeError, yaml.YAMLError):
            data = None
        if not data:
            return True
        path = self.work_dir / "ca.crt"
        path.write_bytes(base64.b64decode(data))
        return str(path)

    def _cluster_entry(self) -> dict:
        config = self.kubeconfig_dict()
        context_name = config["current-context"]
        context = next(c["context"] for c in config["contexts"] if c["name"] == context_name)
        return next(c["cluster"] for c in config["clusters"] if c["name"] == context["cluster"])

    def command(self) -> list:
        command = [str(devcluster_binary()), "serve", "--port", str(self.port),
                   "--kubeconfig-out", str(self.kubeconfig), "--bind-address", "127.0.0.1",
                   # A short history, so the 410 Expired test needs only ~1000 writes (docs/devcluster.md).
                   "--watch-history", str(WATCH_HISTORY)]
        if self.data_dir is not None:
            command += ["--data-dir", str(self.data_dir)]
        return command

    def start(self) -> None:
        binary = devcluster_binary()
        if not os.access(binary, os.X_OK):
            raise RuntimeError(f"devcluster binary not found at {binary}: build it (`swift build --product "
                               f"devcluster` in {REPO_ROOT}) or point DEVCLUSTER_BIN at it")
        self.starts += 1
        self.stopped_by_test = False
        with open(self.log_path, "ab") as log:
            log.write((f"\n=== start {self.starts}: $ " + " ".join(self.command()) + "\n").encode())
            log.flush()
            self.process = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT)
        try:
            self.wait_ready()
        except BaseException:
            self.kill()  # never leave a half-started server behind
            raise

    def wait_ready(self) -> None:
        """Until GET /version with the kubeconfig's token answers 200 with a version, for START_TIMEOUT seconds."""
        deadline = time.monotonic() + START_TIMEOUT
        last_error = "no kubeconfig written yet"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"devcluster exited with code {self.process.returncode} during start-up:\n"
                                   + self.log_tail())
            token = self._token_or_none()
            if token is not None:
                try:
                    response = requests.get(self.base_url + "/version", timeout=1, verify=self.requests_verify(),
                                            headers={"Authorization": f"Bearer {token}"})
                    if response.status_code == 200 and "gitVersion" in response.json():
                        return
                    last_error = f"/version answered {response.status_code}: {response.text[:200]!r}"
                except (requests.RequestException, ValueError) as error:
                    last_error = str(error)
            time.sleep(0.05)
        raise RuntimeError(f"devcluster not ready after {START_TIMEOUT:.0f} s ({last_error}):\n" + self.log_tail())

    def _token_or_none(self):
        try:
            return self.token()
        except (OSError, KeyError, IndexError, TypeError, yaml.YAMLError):
            return None

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after STOP_TIMEOUT seconds."""
        self._close_clients()
        if self.process is None or self.process.poll() is not None:
            return
        self.stopped_by_test = True
        terminate(self.process, STOP_TIMEOUT)

    def kill(self) -> None:
        """SIGKILL: no chance to flush anything that was not already durable."""
        self._close_clients()
        if self.process is None or self.process.poll() is not None:
            return
        self.stopped_by_test = True
        self.process.kill()
        self.process.wait(timeout=5)

    def restart(self) -> None:
        """stop() then start() on the same port with the same data dir."""
        self.stop()
        self.start()

    def close(self) -> None:
        for background in self._background:
            background.stop()
        self.stop()

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def log_size(self) -> int:
        return self.log_path.stat().st_size if self.log_path.exists() else 0

    def log_tail(self, lines: int = 60, since: int = 0) -> str:
        if not self.log_path.exists():
            return ""
        with open(self.log_path, "rb") as log:
            log.seek(since)
            text = log.read().decode(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    # --- kubeconfig ---

    def kubeconfig_dict(self) -> dict:
        return yaml.safe_load(self.kubeconfig.read_text())

    def token(self) -> str:
        config = self.kubeconfig_dict()
        context_name = config["current-context"]
        context = next(c["context"] for c in config["contexts"] if c["name"] == context_name)
        user = next(u["user"] for u in config["users"] if u["name"] == context["user"])
        return user["token"]

    # --- kubectl ---

    def kubectl_command(self, *args) -> list:
        return [kubectl_binary(), "--kubeconfig", str(self.kubeconfig), "--cache-dir", str(self.cache_dir),
                *[str(a) for a in args]]

    def kubectl(self, *args, input: str = None, check: bool = True, timeout: float = 30
                ) -> subprocess.CompletedProcess:
        """Runs `kubectl --kubeconfig <file> ARGS` with text output; raises KubectlError (stdout and stderr in the
        message) when it exits non-zero and `check`."""
        command = self.kubectl_command(*args)
        try:
            result = subprocess.run(command, input=input, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired as error:
            raise AssertionError(f"`{' '.join(command)}` did not finish within {timeout} s\n"
                                 f"--- stdout ---\n{error.stdout}\n--- stderr ---\n{error.stderr}") from None
        if check and result.returncode != 0:
            raise KubectlError(result)
        return result

    def kubectl_json(self, *args, **kwargs):
        """`kubectl ARGS -o json`, parsed."""
        return json.loads(self.kubectl(*args, "-o", "json", **kwargs).stdout)

    def kubectl_background(self, *args) -> Background:
        """Starts `kubectl ARGS` without waiting; stopped when the cluster is closed (or by the test)."""
        log_path = self.work_dir / f"kubectl-bg-{secrets.token_hex(4)}.stderr"
        background = Background(self.kubectl_command(*args), log_path)
        self._background.append(background)
        return background

    def create_namespace(self, name: str) -> None:
        """Creates a namespace with `kubectl apply` (a JSON body). The fixtures use this rather than `kubectl create
        namespace`, which sends protobuf: that path has tests of its own, and should not decide every test's fate."""
        self.kubectl("apply", "-f", "-", input=json.dumps(
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}))

    def apply(self, manifest: str, *args) -> subprocess.CompletedProcess:
        """`kubectl apply -f - ARGS` with `manifest` on stdin."""
        return self.kubectl("apply", "-f", "-", *args, input=manifest)

    # --- Python client ---

    def api_client(self):
        """A kubernetes.client.ApiClient from the kubeconfig as it is now (re-read on each call: a restarted server
        may have written a new token). Closed when the cluster stops."""
        from kubernetes import config as kube_config

        client = kube_config.new_client_from_config(config_file=str(self.kubeconfig), persist_config=False)
        self._clients.append(client)
        return client

    def _close_clients(self) -> None:
        for client in self._clients:
            try:
                client.close()
            except Exception:
                pass
        self._clients = []
