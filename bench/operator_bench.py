#!/usr/bin/env python3
"""`make bench`, operator part: 10 000 Broadcasts over 500 media pods, created as fast as the API server takes them;
how long each waits to be scheduled, and what the operator costs (RSS, CPU). Goals (the issue): create→Scheduled
p99 < 50 ms, operator RSS < 60 MB.

Everything runs on this machine: the release devcluster (.build/release/devcluster, in memory), the release operator
(.build/release/broadcast-operator run --kubeconfig … --metrics-port …, default flags) and this Python client. The
client is the one of bench/devcluster_bench.py: threads, each with its own keep-alive http.client HTTPS connection
(the Python kubernetes client is far too slow to create objects at the server's pace). The watch that times the
assignments runs in a process of its own, so the creating threads never hold the GIL it needs to read an event.

  set-up      devcluster; the Broadcast CRD of manifests/crd; namespaces; `--pods` P media Pods in bench-media
              (label app.kubernetes.io/component=media-pod, annotations media.streamlick.io/capacity = `--capacity`
              (default ceil(N/P): exactly full at the end) and media.streamlick.io/public-url; bound to node
              bench-node, so nothing runs them) and their status (Running, podIP, Ready) through pods/status, as
              kubelet would.
  baseline    before the operator exists, in namespace bench-floor: one watch on the namespace's Broadcasts is opened,
              then N Broadcasts are created over `--concurrency` C connections, and right after each create's
              answer the same thread writes the status the operator would write (phase Scheduled, assignment, ingest,
              condition Scheduled) through the status subresource. Latency = create answer received → the watch
              event carrying status.assignment received: one status write plus one watch delivery, on the same
              server under the same create load: the floor the API server and its watch put under any controller.
              Then the N are deleted (one DELETE of the collection).
  operator    the operator is started (ready when it logs "controllers started" and /healthz answers 200); once it
              has written controller.kubernetes.io/pod-deletion-cost on every media pod the watch on namespace bench
              is opened and N Broadcasts (spec.title only) are created over C connections, as fast as the server
              answers. Latency = create answer received (time.monotonic() in the creating thread) → arrival of the
              first watch event in which status.assignment is set (time.monotonic() right after the recv that
              completed the event, in the watch process).
  checks      every Broadcast received an assignment within `--schedule-timeout` s; afterwards each has phase
              Scheduled, condition Scheduled True, epoch 1, a whipURL, and a pod of bench-media; replaying the watch's
              events in order, no pod ever held more than its capacity; each pod's pod-deletion-cost equals its
              number of Broadcasts (given 15 s to settle).

Figures: latency p50/p90/p99/max; creates/s (N / first create sent → last create answered) and scheduled/s
(N / first create sent → last assignment seen); operator RSS (VmRSS of /proc/<pid>/status) idle with the P pods,
peak (VmHWM) and at the end; CPU seconds (utime + stime from /proc/<pid>/stat) of the operator, devcluster, this
client and its watch process during each phase; the operator's own broadcast_operator_schedule_latency_seconds (its
HELP: first sight of an unscheduled Broadcast → assignment written) from /metrics.

Run from the repository root after `swift build -c release --product devcluster` and
`swift build -c release --product broadcast-operator`:
    python3 bench/operator_bench.py [--broadcasts 10000] [--pods 500] [--capacity N] [--concurrency 8]
                                    [--rate 0] [--operator-flag=--workers=8 …] [--skip-baseline]
Quick check: --broadcasts 1000 --pods 50. Created as fast as answered, the latency of an operator slower than the
creates is mostly its backlog (see the p50 by quarter); `--rate R` paces the creates (both runs) to see the latency of
one that keeps up. Prints one table and merges the figures into bench/results/latest.json under
"operator" (every other key is kept).
"""

import argparse
import datetime
import http.client
import json
import math
import multiprocessing
import os
import pathlib
import platform
import re
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request

import yaml

BENCH_DIR = pathlib.Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
sys.path.insert(0, str(REPO_ROOT / "Tests/Integration"))
sys.path.insert(0, str(BENCH_DIR))

from harness.ports import free_port  # noqa: E402
from bench_results import BenchProcess, merge_results, render_table  # noqa: E402
from devcluster_bench import (DevclusterServer, Endpoint, Phases, WatchStream, cpu_of, fmt,  # noqa: E402
                              load_kubeconfig, ms, percentile, process_cpu_seconds, process_memory_kib)

GROUP, VERSION, PLURAL = "media.streamlick.io", "v1alpha1", "broadcasts"
CRD_FILE = REPO_ROOT / "manifests/crd/broadcasts.media.streamlick.io.yaml"
CRD_PATH = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
POD_NAMESPACE, OPERATOR_NAMESPACE, FLOOR_NAMESPACE = "bench-media", "bench", "bench-floor"
JSON, MERGE_PATCH = "application/json", "application/merge-patch+json"
DELETION_COST = "controller.kubernetes.io/pod-deletion-cost"
STARTED_LINE = "controllers started"
GOAL_P99_MS, GOAL_RSS_MIB = 50.0, 60.0
OPERATOR_START_TIMEOUT = 60.0
SETTLE_TIMEOUT = 15.0
ERROR_SAMPLES = 5
CLIENT_SATURATED = 0.85   # client CPU / wall time of a phase from which the client is the limit: flagged


def log(message: str) -> None:
    print(f"[operator-bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def collection(namespace: str) -> str:
    return f"/apis/{GROUP}/{VERSION}/namespaces/{namespace}/{PLURAL}"


def now_rfc3339() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def summary(latencies: list) -> dict:
    return {"p50Ms": ms(percentile(latencies, 0.50)), "p90Ms": ms(percentile(latencies, 0.90)),
            "p99Ms": ms(percentile(latencies, 0.99)), "maxMs": ms(max(latencies)) if latencies else None,
            "minMs": ms(min(latencies)) if latencies else None, "count": len(latencies)}


# --- HTTP ---

def send(endpoint, connection, method: str, path: str, body: bytes = None, content_type: str = JSON) -> tuple:
    """(status, body) on a keep-alive connection, with `content_type` for the body."""
    headers = dict(endpoint.headers)
    headers["Content-Type"] = content_type
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    return response.status, response.read()


def run_parallel(endpoint, count: int, concurrency: int, job) -> dict:
    """Runs job(call, index) for index in 0..count-1 over `concurrency` threads, each with its own keep-alive
    connection (index i on thread i % concurrency; all connected before the clock starts). `call(method, path,
    body, content_type)` → (status, body), or (None, error text) after a dropped connection (reconnected). Returns
    the wall time and the errors job reported (job returns None or an error dict)."""
    connections = [endpoint.connection() for _ in range(concurrency)]
    errors = [[] for _ in range(concurrency)]
    barrier = threading.Barrier(concurrency + 1)

    def worker(slot: int) -> None:
        state = {"connection": connections[slot]}

        def call(method, path, body=None, content_type=JSON):
            try:
                return send(endpoint, state["connection"], method, path, body, content_type)
            except (OSError, http.client.HTTPException) as error:
                state["connection"].close()
                state["connection"] = endpoint.connection()
                return None, f"{type(error).__name__}: {error}".encode()

        barrier.wait()
        for index in range(slot, count, concurrency):
            error = job(call, index)
            if error is not None:
                errors[slot].append(error)
        state["connection"].close()

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    barrier.wait()
    began = time.monotonic()
    for thread in threads:
        thread.join()
    all_errors = [e for slot in errors for e in slot]
    return {"began": began, "wallSeconds": time.monotonic() - began, "errors": len(all_errors),
            "errorSamples": all_errors[:ERROR_SAMPLES]}


def expect(endpoint, method: str, path: str, body=None, status=(200, 201), content_type: str = JSON) -> dict:
    connection = endpoint.connection(timeout=120)
    try:
        code, answer = send(endpoint, connection, method, path, body, content_type)
    finally:
        connection.close()
    if code not in status:
        raise RuntimeError(f"{method} {path} answered {code}: {answer[:800].decode(errors='replace')}")
    return json.loads(answer) if answer else {}


def list_all(endpoint, path: str) -> list:
    items, token = [], ""
    while True:
        page = expect(endpoint, "GET", f"{path}?limit=1000" + (f"&continue={urllib.parse.quote(token)}"
                                                               if token else ""))
        items += page.get("items") or []
        token = (page.get("metadata") or {}).get("continue") or ""
        if not token:
            return items


# --- the watch ---

class AssignmentWatch(threading.Thread):
    """One watch on a namespace's Broadcasts (its own TLS connection, chunked framing decoded by devcluster_bench's
    WatchStream). For each Broadcast: the arrival time of the first event whose status has an assignment; and the
    timeline of assignment changes (in the watch's order, which is resourceVersion order) for the capacity check.
    Only events whose bytes contain "assignment" (and DELETED/ERROR ones) are parsed, so a version that drops an
    assignment without deleting the Broadcast is not seen: the capacity replay can then overcount a pod, never miss
    an excess (and no assignment is dropped in this benchmark: `reassignments` and the final epochs show it)."""

    def __init__(self, endpoint, namespace: str, resource_version: str) -> None:
        super().__init__(daemon=True)
        self.endpoint, self.namespace = endpoint, namespace
        self.resource_version = resource_version
        self.first_assigned = {}     # name → monotonic arrival
        self.timeline = []           # (name, pod or None, epoch)
        self.current = {}            # name → (pod, epoch)
        self.events = 0
        self.parsed = 0
        self.errors = []
        self.reconnects = 0
        self.opened = threading.Event()
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self._received = 0.0
        self._last_line = b""

    def _open(self) -> tuple:
        stream = WatchStream(0, set(), {})
        stream.event = self._event
        plain = socket.create_connection((self.endpoint.host, self.endpoint.port), timeout=10)
        plain.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock = self.endpoint.context.wrap_socket(plain, server_hostname=self.endpoint.host)
        path = f"{collection(self.namespace)}?watch=1&resourceVersion={self.resource_version}"
        request = (f"GET {path} HTTP/1.1\r\nHost: {self.endpoint.host}:{self.endpoint.port}\r\n"
                   + "".join(f"{k}: {v}\r\n" for k, v in self.endpoint.headers.items() if k != "Content-Type")
                   + "\r\n").encode()
        sock.sendall(request)
        sock.settimeout(0.5)
        return stream, sock

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                stream, sock = self._open()
            except OSError as error:
                self.errors.append(f"open: {type(error).__name__}: {error}")
                time.sleep(0.5)
                continue
            began = time.perf_counter()
            try:
                while not self.stopping.is_set():
                    try:
                        data = sock.recv(262144)
                    except (socket.timeout, ssl.SSLWantReadError):
                        continue
                    if not data:
                        break
                    self._received = time.monotonic()
                    stream.feed(data, began)
                    if stream.headers_done:
                        if stream.status != 200 or stream.error:
                            self.errors.append(stream.error or f"watch answered {stream.status}")
                            break
                        self.opened.set()
                    if stream.ended:
                        break
            except OSError as error:
                self.errors.append(f"{type(error).__name__}: {error}")
            finally:
                sock.close()
            if self.stopping.is_set():
                break
            # The server ended the stream: resume after the last event seen.
            self.reconnects += 1
            match = re.search(rb'"resourceVersion":"(\d+)"', self._last_line)
            if match:
                self.resource_version = match.group(1).decode()

    def _event(self, line: bytes) -> None:
        self.events += 1
        self._last_line = line
        if b'"assignment"' not in line and b'"DELETED"' not in line[:40] and b'"ERROR"' not in line[:40]:
            return
        arrived = self._received
        event = json.loads(line)
        self.parsed += 1
        kind, obj = event.get("type"), event.get("object") or {}
        if kind == "ERROR":
            self.errors.append(f"ERROR event: {line[:300].decode(errors='replace')}")
            return
        name = (obj.get("metadata") or {}).get("name")
        found = (obj.get("status") or {}).get("assignment") or {}
        placed = (found["pod"], found.get("epoch")) if kind != "DELETED" and found.get("pod") else None
        with self.lock:
            if placed is not None and name not in self.first_assigned:
                self.first_assigned[name] = arrived
            if self.current.get(name) != placed:
                self.current[name] = placed
                self.timeline.append((name, placed[0] if placed else None, placed[1] if placed else None))

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=5)


def watch_process_main(server: str, ca_pem: str, token: str, namespace: str, resource_version: str, connection,
                       assigned, opened, stop) -> None:
    """The watch of a WatchProcess, in its own process (its own GIL: the creating threads cannot delay its reads).
    Publishes the number of Broadcasts seen assigned in `assigned` (every 5 ms), sets `opened` once the watch
    answered 200, and sends everything it recorded through `connection` when `stop` is set."""
    url = urllib.parse.urlsplit(server)
    watch = AssignmentWatch(Endpoint(url.hostname, url.port, ca_pem, token), namespace, resource_version)
    watch.start()
    while not stop.wait(0.005):
        if watch.opened.is_set():
            opened.set()
        with watch.lock:
            assigned.value = len(watch.first_assigned)
    watch.stop()
    with watch.lock:
        connection.send({"firstAssigned": watch.first_assigned, "timeline": watch.timeline, "events": watch.events,
                         "parsed": watch.parsed, "errors": watch.errors, "reconnects": watch.reconnects,
                         "cpuSeconds": time.process_time()})
    connection.close()


class WatchProcess:
    """An AssignmentWatch in a child process (spawned: a fresh interpreter). Its arrival times are time.monotonic()
    of that process: CLOCK_MONOTONIC, the same clock as this process's."""

    def __init__(self, kubeconfig: pathlib.Path, namespace: str, resource_version: str) -> None:
        server, ca_pem, token = load_kubeconfig(kubeconfig)
        context = multiprocessing.get_context("spawn")
        self.assigned = context.Value("i", 0, lock=False)
        self.opened, self.stopping = context.Event(), context.Event()
        self.receiver, sender = context.Pipe(duplex=False)
        self.process = context.Process(target=watch_process_main, daemon=True,
                                       args=(server, ca_pem, token, namespace, resource_version, sender,
                                             self.assigned, self.opened, self.stopping))
        self.process.start()
        sender.close()

    def wait_opened(self, timeout: float) -> bool:
        return self.opened.wait(timeout)

    def wait_for(self, count: int, timeout: float) -> bool:
        """Until `count` Broadcasts were seen assigned (the namespace holds only the benchmark's)."""
        deadline = time.monotonic() + timeout
        while self.assigned.value < count:
            if time.monotonic() > deadline or not self.process.is_alive():
                return False
            time.sleep(0.005)
        return True

    def stop(self) -> dict:
        self.stopping.set()
        result = self.receiver.recv() if self.receiver.poll(30) else None
        self.process.join(timeout=10)
        if result is None:
            raise RuntimeError(f"the watch process sent no results (exit code {self.process.exitcode})")
        return result


def capacity_violations(timeline: list, capacity: int) -> list:
    """Replays the assignment changes in order; every moment a pod held more than `capacity`."""
    load, current, found = {}, {}, []
    for name, pod, _epoch in timeline:
        previous = current.get(name)
        if previous is not None:
            load[previous] -= 1
        current[name] = pod
        if pod is not None:
            load[pod] = load.get(pod, 0) + 1
            if load[pod] > capacity:
                found.append(f"{pod} held {load[pod]} (> {capacity}) when {name} was placed")
    return found


# --- the objects ---

def media_pod(name: str, index: int, capacity: int) -> tuple:
    ip = f"10.{64 + index // 65536}.{index // 256 % 256}.{index % 256}"
    pod = {"apiVersion": "v1", "kind": "Pod",
           "metadata": {"name": name, "namespace": POD_NAMESPACE,
                        "labels": {"app.kubernetes.io/component": "media-pod"},
                        "annotations": {"media.streamlick.io/capacity": str(capacity),
                                        "media.streamlick.io/public-url": f"http://{ip}:8080"}},
           "spec": {"nodeName": "bench-node", "containers": [{"name": "media", "image": "media-pod"}]}}
    status = {"status": {"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}],
                         "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": now_rfc3339()}]}}
    return json.dumps(pod).encode(), json.dumps(status).encode(), ip


def broadcast_body(namespace: str, name: str) -> bytes:
    return json.dumps({"apiVersion": f"{GROUP}/{VERSION}", "kind": "Broadcast",
                       "metadata": {"name": name, "namespace": namespace}, "spec": {"title": f"show {name}"}},
                      separators=(",", ":")).encode()


def floor_status(namespace: str, name: str, pod: str, ip: str) -> bytes:
    """What the operator writes for a scheduled Broadcast, written by the benchmark itself for the baseline."""
    since = now_rfc3339()
    base = f"http://{ip}:8080"
    return json.dumps({"status": {
        "phase": "Scheduled", "observedGeneration": 1,
        "assignment": {"pod": pod, "epoch": 1, "since": since},
        "ingest": {"whipURL": f"{base}/whip/{namespace}/{name}", "whepURL": f"{base}/whep/{namespace}/{name}",
                   "tokenSecretName": f"{name}-ingest"},
        "conditions": [{"type": "Scheduled", "status": "True", "reason": "Scheduled", "observedGeneration": 1,
                        "message": f"assigned to media pod {pod}", "lastTransitionTime": since}]}},
        separators=(",", ":")).encode()


# --- the operator process ---

class OperatorProcess(BenchProcess):
    def __init__(self, binary: pathlib.Path, kubeconfig: pathlib.Path, work_dir: pathlib.Path, flags: list) -> None:
        self.metrics_port = free_port()
        self.command = [str(binary), "run", "--kubeconfig", str(kubeconfig), "--metrics-port",
                        str(self.metrics_port)] + flags
        self.log_path = work_dir / "operator.log"
        self.process = None

    def start(self) -> float:
        began = time.monotonic()
        with open(self.log_path, "wb") as out:
            self.process = subprocess.Popen(self.command, stdout=out, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = began + OPERATOR_START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"broadcast-operator exited ({self.process.returncode}) on start:\n"
                                   f"{self.log_tail()}")
            if STARTED_LINE in self.log_path.read_text(errors="replace") and self.healthz() == 200:
                return time.monotonic() - began
            time.sleep(0.05)
        raise RuntimeError(f"broadcast-operator not started within {OPERATOR_START_TIMEOUT:.0f} s (no "
                           f"{STARTED_LINE!r} line or /healthz not 200):\n{self.log_tail()}")

    def healthz(self):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.metrics_port}/healthz", timeout=2) as response:
                return response.status
        except OSError:
            return None

    def metrics(self) -> str:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.metrics_port}/metrics", timeout=5) as response:
            return response.read().decode()



def own_latency(metrics) -> str:
    if not metrics or not metrics.get("scheduleLatencyCount"):
        return "-"
    p99 = metrics.get("scheduleLatencyP99AtMostMs")
    bucket = f"≤ {p99:g} ms" if p99 is not None else f"> {fmt(metrics.get('scheduleLatencyLargestBucketMs'), '{:g}')} ms"
    return fmt(metrics.get("scheduleLatencyMeanMs"), "{:.1f} ms") + " | " + bucket


def metric_samples(text: str) -> list:
    samples = []
    for line in text.splitlines():
        match = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)", line)
        if match and not line.startswith("#"):
            labels = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', match.group(2) or ""))
            samples.append((match.group(1), labels, float(match.group(3))))
    return samples


def operator_metrics(text: str) -> dict:
    """The operator's own view: its schedule-latency histogram (mean; the bucket holding p50/p99), reconcile
    counts, Broadcasts per phase."""
    samples = metric_samples(text)
    name = "broadcast_operator_schedule_latency_seconds"
    buckets = sorted((math.inf if labels.get("le") == "+Inf" else float(labels["le"]), value)
                     for sample, labels, value in samples if sample == name + "_bucket")
    total = next((v for s, _, v in samples if s == name + "_sum"), None)
    count = next((v for s, _, v in samples if s == name + "_count"), None)

    def bucket_of(q: float):
        """The upper bound (ms) of the bucket holding quantile q; math.inf when beyond the largest bound."""
        if not buckets or not count:
            return None
        for upper, cumulative in buckets:
            if cumulative >= q * count:
                return math.inf if upper == math.inf else ms(upper)
        return None

    finite = [upper for upper, _ in buckets if upper != math.inf]
    p50, p99 = bucket_of(0.5), bucket_of(0.99)
    return {
        "scheduleLatencyCount": count,
        "scheduleLatencyMeanMs": ms(total / count) if total is not None and count else None,
        "scheduleLatencyLargestBucketMs": ms(max(finite)) if finite else None,
        # null with the largest bucket: beyond it
        "scheduleLatencyP50AtMostMs": None if p50 == math.inf else p50,
        "scheduleLatencyP99AtMostMs": None if p99 == math.inf else p99,
        "reconciles": {f"{l.get('controller')}/{l.get('result')}": v for s, l, v in samples
                       if s == "broadcast_operator_reconciles_total"},
        "broadcasts": {l.get("phase"): v for s, l, v in samples if s == "broadcast_operator_broadcasts"},
        "queueDepth": {l.get("controller"): v for s, l, v in samples if s == "broadcast_operator_queue_depth"},
    }


class RssSampler(threading.Thread):
    """VmRSS of a process every 0.25 s: the largest seen (VmHWM is the authority for the peak)."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.max_kib, self.stopping = pid, 0, threading.Event()

    def run(self) -> None:
        while not self.stopping.wait(0.25):
            self.max_kib = max(self.max_kib, process_memory_kib(self.pid).get("VmRSS", 0))


# --- phases ---

def create_and_measure(endpoint, kubeconfig: pathlib.Path, namespace: str, names: list, concurrency: int,
                       timeout: float, pods: list, capacity: int, write_status: bool, rate: float = 0.0) -> dict:
    """Opens the watch, creates the Broadcasts over `concurrency` connections (and, for the baseline, writes each
    one's status right after its create), waits until each one's assignment has been seen (or `timeout`).
    With `rate` > 0, create i is sent no earlier than i / rate seconds after the first."""
    listed = expect(endpoint, "GET", collection(namespace) + "?limit=1")
    watch = WatchProcess(kubeconfig, namespace, listed["metadata"]["resourceVersion"])
    if not watch.wait_opened(30):
        result = watch.stop()
        raise RuntimeError(f"the watch on {namespace} did not open within 30 s: {result['errors'][:2]}")
    created_at, create_latencies, status_latencies = {}, [], []
    path = collection(namespace)
    bodies = [broadcast_body(namespace, name) for name in names]
    statuses = [floor_status(namespace, name, pods[i // capacity][0], pods[i // capacity][1])
                for i, name in enumerate(names)] if write_status else None

    pace = {"start": None}

    def job(call, index: int):
        name = names[index]
        if rate > 0:
            if pace["start"] is None:
                pace["start"] = time.monotonic()
            pause = pace["start"] + index / rate - time.monotonic()
            if pause > 0:
                time.sleep(pause)
        sent = time.monotonic()
        status, answer = call("POST", path, bodies[index])
        answered = time.monotonic()
        if status != 201:
            return {"name": name, "status": status, "body": answer[:400].decode(errors="replace")}
        created_at[name] = answered
        create_latencies.append(answered - sent)
        if write_status:
            status, answer = call("PATCH", f"{path}/{name}/status", statuses[index], MERGE_PATCH)
            status_latencies.append(time.monotonic() - answered)
            if status != 200:
                return {"name": name, "status": status, "body": answer[:400].decode(errors="replace"),
                        "during": "status write"}
        return None

    run = run_parallel(endpoint, len(names), concurrency, job)
    complete = watch.wait_for(len(created_at), timeout)
    done = time.monotonic()
    seen = watch.stop()
    first_assigned, timeline = seen["firstAssigned"], seen["timeline"]
    latencies = [first_assigned[n] - created_at[n] for n in created_at if n in first_assigned]
    # By quarter of the creation order: flat when the status writer keeps up with the creates, growing when a
    # backlog builds up.
    quarters = [[] for _ in range(4)]
    for index, name in enumerate(names):
        if name in created_at and name in first_assigned:
            quarters[4 * index // len(names)].append(first_assigned[name] - created_at[name])
    last_seen = max(first_assigned.values(), default=None)
    missing = sorted(set(names) - set(first_assigned))
    return {
        "broadcasts": len(names), "created": len(created_at), "createErrors": run["errors"],
        "createErrorSamples": run["errorSamples"],
        "createSeconds": round(run["wallSeconds"], 3),
        "createsPerSecond": round(len(created_at) / run["wallSeconds"], 1) if run["wallSeconds"] else None,
        "createLatency": summary(create_latencies),
        "statusWriteLatency": summary(status_latencies) if write_status else None,
        "latency": summary(latencies),
        "latencyMeanMs": ms(sum(latencies) / len(latencies)) if latencies else None,
        "latencyP50MsByQuarterOfCreates": [ms(percentile(q, 0.5)) for q in quarters],
        "assignedSeen": len(first_assigned), "missing": len(missing), "missingSamples": missing[:10],
        "allSeenWithinTimeout": complete,
        "lastAssignmentAfterSeconds": round(last_seen - run["began"], 3) if last_seen else None,
        "scheduledPerSecond": round(len(first_assigned) / (last_seen - run["began"]), 1)
        if last_seen and last_seen > run["began"] else None,
        "waitedAfterCreatesSeconds": round(done - run["began"] - run["wallSeconds"], 3),
        "watchEvents": seen["events"], "watchEventsParsed": seen["parsed"], "watchReconnects": seen["reconnects"],
        "watchErrors": seen["errors"][:ERROR_SAMPLES], "watchProcessCpuSeconds": round(seen["cpuSeconds"], 3),
        "capacityViolations": capacity_violations(timeline, capacity)[:ERROR_SAMPLES],
        "reassignments": sum(1 for name, pod, epoch in timeline if pod is not None and epoch != 1),
    }


def count_watch_cpu(phases: Phases, name: str, result: dict) -> None:
    """Adds the watch process's CPU (it lived inside the phase, so Phases could not sample it) to the phase, so that
    it is not counted as other load."""
    phase = phases.results.get(name)
    if not phase or result.get("watchProcessCpuSeconds") is None:
        return
    phase["cpuSeconds"]["watch"] = result["watchProcessCpuSeconds"]
    other = max(0.0, phase["machineCpuSeconds"] - sum(phase["cpuSeconds"].values()))
    phase["otherLoadPercent"] = round(100 * other / phase["wallSeconds"], 1) if phase["wallSeconds"] > 0 else 0.0


def check_final_state(endpoint, names: list, pods: list, capacity: int) -> dict:
    """The Broadcasts as listed at the end, and the pods' deletion costs (given SETTLE_TIMEOUT s to catch up)."""
    items = list_all(endpoint, collection(OPERATOR_NAMESPACE))
    pod_names = {name for name, _ in pods}
    load, problems = {}, []
    by_name = {item["metadata"]["name"]: item for item in items}
    for name in names:
        item = by_name.get(name)
        if item is None:
            problems.append(f"{name}: missing")
            continue
        status = item.get("status") or {}
        scheduled = next((c for c in status.get("conditions") or [] if c.get("type") == "Scheduled"), {})
        assignment = status.get("assignment") or {}
        pod = assignment.get("pod")
        if status.get("phase") != "Scheduled" or scheduled.get("status") != "True":
            problems.append(f"{name}: phase {status.get('phase')}, Scheduled={scheduled.get('status')} "
                            f"({scheduled.get('reason')}: {scheduled.get('message')})")
        if pod not in pod_names:
            problems.append(f"{name}: assigned to {pod!r}, not a media pod")
        elif assignment.get("epoch") != 1:
            problems.append(f"{name}: epoch {assignment.get('epoch')}")
        if not (status.get("ingest") or {}).get("whipURL"):
            problems.append(f"{name}: no status.ingest.whipURL")
        if pod:
            load[pod] = load.get(pod, 0) + 1
    over = {pod: count for pod, count in load.items() if count > capacity}
    deadline = time.monotonic() + SETTLE_TIMEOUT
    while True:
        listed = list_all(endpoint, f"/api/v1/namespaces/{POD_NAMESPACE}/pods")
        costs = {p["metadata"]["name"]: (p["metadata"].get("annotations") or {}).get(DELETION_COST) for p in listed}
        wrong = {pod: costs.get(pod) for pod in pod_names if costs.get(pod) != str(load.get(pod, 0))}
        if not wrong or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    return {"listed": len(items), "notScheduledOrWrong": len(problems), "problemSamples": problems[:ERROR_SAMPLES],
            "podsOverCapacity": over, "podsUsed": len(load), "maxPerPod": max(load.values(), default=0),
            "deletionCostMismatches": len(wrong),
            "deletionCostSamples": dict(list(wrong.items())[:ERROR_SAMPLES])}


def wait_deletion_costs(endpoint, count: int, timeout: float) -> tuple:
    """Until every media pod carries pod-deletion-cost (the operator has seen them all): (seconds, how many)."""
    began = time.monotonic()
    while True:
        listed = list_all(endpoint, f"/api/v1/namespaces/{POD_NAMESPACE}/pods")
        marked = sum(1 for p in listed if DELETION_COST in (p["metadata"].get("annotations") or {}))
        if marked >= count or time.monotonic() - began > timeout:
            return time.monotonic() - began, marked
        time.sleep(0.2)


def setup(endpoint, pods: int, capacity: int, concurrency: int) -> list:
    """The CRD, the namespaces and the media pods (Ready); returns [(pod name, IP)]."""
    crd = yaml.safe_load(CRD_FILE.read_text())
    expect(endpoint, "POST", CRD_PATH, json.dumps(crd).encode(), status=(201,))
    deadline = time.monotonic() + 30
    while True:
        connection = endpoint.connection()
        code, _ = send(endpoint, connection, "GET", collection("default"))
        connection.close()
        if code == 200:
            break
        if time.monotonic() > deadline:
            raise RuntimeError(f"the Broadcast collection still answers {code} 30 s after the CRD")
        time.sleep(0.02)
    for namespace in (POD_NAMESPACE, OPERATOR_NAMESPACE, FLOOR_NAMESPACE):
        expect(endpoint, "POST", "/api/v1/namespaces", json.dumps(
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}}).encode(), status=(201,))
    names = [f"media-{i:04d}" for i in range(pods)]
    objects = [media_pod(name, i, capacity) for i, name in enumerate(names)]

    def job(call, index):
        body, status, _ip = objects[index]
        code, answer = call("POST", f"/api/v1/namespaces/{POD_NAMESPACE}/pods", body)
        if code != 201:
            return {"pod": names[index], "status": code, "body": answer[:300].decode(errors="replace")}
        code, answer = call("PATCH", f"/api/v1/namespaces/{POD_NAMESPACE}/pods/{names[index]}/status", status,
                            MERGE_PATCH)
        if code != 200:
            return {"pod": names[index], "status": code, "body": answer[:300].decode(errors="replace")}
        return None

    run = run_parallel(endpoint, pods, concurrency, job)
    if run["errors"]:
        raise RuntimeError(f"media pods: {run['errors']} errors, e.g. {run['errorSamples'][:2]}")
    return [(name, ip) for name, (_body, _status, ip) in zip(names, objects)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--broadcasts", type=int, default=10000, help="Broadcasts created (N)")
    parser.add_argument("--pods", type=int, default=500, help="media pods (P)")
    parser.add_argument("--capacity", type=int, default=None, help="capacity of each pod (default ceil(N/P))")
    parser.add_argument("--concurrency", type=int, default=8, help="keep-alive connections for the creates (C)")
    parser.add_argument("--rate", type=float, default=0.0,
                        help="creates per second (default 0: as fast as the server answers); to see the latency "
                             "of an operator that keeps up")
    parser.add_argument("--schedule-timeout", type=float, default=180.0,
                        help="seconds after the last create for every assignment to be seen")
    parser.add_argument("--operator-flag", action="append", default=[],
                        help="passed on to `broadcast-operator run` (repeatable), e.g. --operator-flag=--workers=8")
    parser.add_argument("--skip-baseline", action="store_true", help="only the operator run")
    parser.add_argument("--operator-bin", type=pathlib.Path, default=REPO_ROOT / ".build/release/broadcast-operator")
    parser.add_argument("--devcluster-bin", type=pathlib.Path, default=REPO_ROOT / ".build/release/devcluster")
    parser.add_argument("--watch-history", type=int, default=None, help="passed to devcluster when given")
    parser.add_argument("--output", type=pathlib.Path, default=REPO_ROOT / "bench/results/latest.json")
    parser.add_argument("--work-dir", type=pathlib.Path, default=REPO_ROOT / ".build/operator-bench")
    args = parser.parse_args()
    if min(args.broadcasts, args.pods, args.concurrency) < 1:
        parser.error("counts must be positive")
    N, P, C = args.broadcasts, args.pods, args.concurrency
    capacity = args.capacity or math.ceil(N / P)
    if capacity * P < N:
        parser.error(f"{P} pods × capacity {capacity} < {N} Broadcasts: they would not all fit")
    for binary, product in ((args.devcluster_bin, "devcluster"), (args.operator_bin, "broadcast-operator")):
        if not os.access(binary, os.X_OK):
            log(f"{binary} not found: `swift build -c release --product {product}` first")
            return 2

    started = time.monotonic()
    shutil.rmtree(args.work_dir, ignore_errors=True)
    args.work_dir.mkdir(parents=True)
    log(f"N={N} Broadcasts, P={P} media pods × capacity {capacity}, C={C} connections"
        + (f", {args.rate:g} creates/s" if args.rate > 0 else "") + f"; {os.cpu_count()} cores, "
        f"load average {os.getloadavg()}")

    phases = Phases()
    failures, results, memory = [], {}, {}
    server = DevclusterServer(args.devcluster_bin, args.work_dir, False, args.watch_history)
    operator = OperatorProcess(args.operator_bin, args.work_dir / "kubeconfig", args.work_dir, args.operator_flag)
    sampler = None
    try:
        endpoint = phases.run("start", server.start)
        phases.pids["devcluster"] = server.process.pid
        log(f"devcluster {server.version} pid {server.process.pid}")
        pods = phases.run("setup", lambda: setup(endpoint, P, capacity, C))
        log(f"CRD, namespaces and {P} Ready media pods created")

        if not args.skip_baseline:
            names = [f"floor-{i:05d}" for i in range(N)]
            floor = phases.run("baseline", lambda: create_and_measure(
                endpoint, server.kubeconfig, FLOOR_NAMESPACE, names, C, args.schedule_timeout, pods, capacity, write_status=True,
            rate=args.rate))
            results["baseline"] = floor
            count_watch_cpu(phases, "baseline", floor)
            log(f"baseline (status written by the benchmark): create→status event p50 {floor['latency']['p50Ms']} "
                f"ms p99 {floor['latency']['p99Ms']} ms max {floor['latency']['maxMs']} ms; "
                f"{floor['createsPerSecond']} creates+status/s; {floor['missing']} missing")
            if floor["missing"] or floor["createErrors"]:
                failures.append(f"baseline: {floor['missing']} status events missing, {floor['createErrors']} "
                                f"errors, e.g. {floor['createErrorSamples'][:2]}")
            expect(endpoint, "DELETE", collection(FLOOR_NAMESPACE))
            left = len(list_all(endpoint, collection(FLOOR_NAMESPACE)))
            if left:
                failures.append(f"baseline: {left} Broadcasts left after DELETE of the collection")
        memory["devclusterBeforeOperator"] = process_memory_kib(server.process.pid)

        startup = phases.run("operatorStart", operator.start)
        phases.pids["operator"] = operator.process.pid
        sampler = RssSampler(operator.process.pid)
        sampler.start()
        settle, marked = phases.run("operatorSeesPods", lambda: wait_deletion_costs(endpoint, P, 60))
        results["operatorStartSeconds"] = round(startup, 3)
        results["podsAnnotatedAfterSeconds"] = round(settle, 3)
        log(f"operator pid {operator.process.pid} started in {startup:.2f} s; pod-deletion-cost on {marked}/{P} "
            f"pods after {settle:.2f} s more")
        if marked < P:
            failures.append(f"only {marked} of {P} media pods got {DELETION_COST} within 60 s of the start")
        time.sleep(1.0)
        memory["operatorIdle"] = process_memory_kib(operator.process.pid)

        names = [f"bc-{i:05d}" for i in range(N)]
        run = phases.run("operator", lambda: create_and_measure(
            endpoint, server.kubeconfig, OPERATOR_NAMESPACE, names, C, args.schedule_timeout, pods, capacity, write_status=False,
            rate=args.rate))
        results["operator"] = run
        count_watch_cpu(phases, "operator", run)
        memory["operatorAfterScheduling"] = process_memory_kib(operator.process.pid)
        log(f"operator: create→Scheduled p50 {run['latency']['p50Ms']} ms p90 {run['latency']['p90Ms']} ms "
            f"p99 {run['latency']['p99Ms']} ms max {run['latency']['maxMs']} ms; {run['createsPerSecond']} "
            f"creates/s, {run['scheduledPerSecond']} scheduled/s; {run['missing']} never assigned")
        if run["createErrors"]:
            failures.append(f"operator run: {run['createErrors']} creates failed, e.g. {run['createErrorSamples'][:2]}")
        if run["missing"]:
            failures.append(f"operator run: {run['missing']} of {run['created']} Broadcasts not assigned within "
                            f"{args.schedule_timeout:g} s of the last create, e.g. {run['missingSamples'][:5]}")
        if run["capacityViolations"]:
            failures.append(f"capacity exceeded: {run['capacityViolations']}")
        if run["watchErrors"]:
            failures.append(f"watch errors: {run['watchErrors']}")

        final = phases.run("checks", lambda: check_final_state(endpoint, names, pods, capacity))
        results["checks"] = final
        log(f"checks: {final['listed']} listed, {final['notScheduledOrWrong']} not Scheduled or wrong, "
            f"{len(final['podsOverCapacity'])} pods over capacity, max {final['maxPerPod']} per pod on "
            f"{final['podsUsed']} pods, {final['deletionCostMismatches']} deletion-cost mismatches")
        if final["notScheduledOrWrong"]:
            failures.append(f"final state: {final['notScheduledOrWrong']} Broadcasts not as expected, e.g. "
                            f"{final['problemSamples']}")
        if final["podsOverCapacity"]:
            failures.append(f"final state: pods over capacity {final['podsOverCapacity']}")
        if final["deletionCostMismatches"]:
            failures.append(f"{DELETION_COST}: {final['deletionCostMismatches']} pods differ from their number of "
                            f"Broadcasts {SETTLE_TIMEOUT:.0f} s after the run, e.g. {final['deletionCostSamples']}")
        try:
            results["operatorMetrics"] = operator_metrics(operator.metrics())
        except OSError as error:
            failures.append(f"GET /metrics: {error}")
        memory["operatorFinal"] = process_memory_kib(operator.process.pid)
        memory["operatorSampledMaxRssKiB"] = sampler.max_kib
        memory["devclusterFinal"] = process_memory_kib(server.process.pid)
        results["operatorCpuSecondsTotal"] = process_cpu_seconds(operator.process.pid)
        if not operator.alive():
            failures.append(f"broadcast-operator exited ({operator.process.returncode}):\n{operator.log_tail()}")
    except Exception as error:
        failures.append(f"{type(error).__name__}: {error}"[:3000])
        log(f"failed: {failures[-1]}")
        if operator.process is not None:
            log(f"operator log tail:\n{operator.log_tail(15)}")
    finally:
        if sampler is not None:
            sampler.stopping.set()
        operator.stop()
        server.stop()

    op, fl = results.get("operator") or {}, results.get("baseline") or {}
    opl, fll = op.get("latency") or {}, fl.get("latency") or {}
    mib = lambda kib: None if kib is None else kib / 1024  # noqa: E731
    peak = (memory.get("operatorFinal") or {}).get("VmHWM")
    final_rss = (memory.get("operatorFinal") or {}).get("VmRSS")
    idle_rss = (memory.get("operatorIdle") or {}).get("VmRSS")
    checks = results.get("checks") or {}
    goals = {"p99Ms": GOAL_P99_MS, "rssMiB": GOAL_RSS_MIB,
             "p99Met": None if opl.get("p99Ms") is None else opl["p99Ms"] < GOAL_P99_MS,
             "rssMet": None if peak is None else mib(peak) < GOAL_RSS_MIB}
    rows = [
        [f"create {N} Broadcasts, C={C} (baseline: create + status write)",
         fmt(op.get("createsPerSecond"), "{:.0f}/s"), fmt(fl.get("createsPerSecond"), "{:.0f}/s"), "-"],
        ["  create request p50 | p99",
         fmt((op.get("createLatency") or {}).get("p50Ms"), "{:.1f}") + " | "
         + fmt((op.get("createLatency") or {}).get("p99Ms"), "{:.1f} ms"),
         fmt((fl.get("createLatency") or {}).get("p50Ms"), "{:.1f}") + " | "
         + fmt((fl.get("createLatency") or {}).get("p99Ms"), "{:.1f} ms"), "-"],
        ["create answered → assignment seen in a watch: p50", fmt(opl.get("p50Ms"), "{:.1f} ms"),
         fmt(fll.get("p50Ms"), "{:.1f} ms"), "-"],
        ["  p90", fmt(opl.get("p90Ms"), "{:.1f} ms"), fmt(fll.get("p90Ms"), "{:.1f} ms"), "-"],
        ["  p99", fmt(opl.get("p99Ms"), "{:.1f} ms"), fmt(fll.get("p99Ms"), "{:.1f} ms"), f"< {GOAL_P99_MS:g} ms"],
        ["  max", fmt(opl.get("maxMs"), "{:.1f} ms"), fmt(fll.get("maxMs"), "{:.1f} ms"), "-"],
        ["scheduled/s (first create → last assignment seen)", fmt(op.get("scheduledPerSecond"), "{:.0f}/s"),
         fmt(fl.get("scheduledPerSecond"), "{:.0f}/s"), "-"],
        ["assigned / created (never assigned)",
         f"{op.get('assignedSeen', '-')}/{op.get('created', '-')} ({op.get('missing', '-')})",
         f"{fl.get('assignedSeen', '-')}/{fl.get('created', '-')} ({fl.get('missing', '-')})", "all"],
        [f"final: Scheduled, epoch 1, whipURL; pods over capacity {capacity}",
         f"{checks.get('listed', 0) - checks.get('notScheduledOrWrong', 0) if checks else '-'}/{N}; "
         f"{len(checks.get('podsOverCapacity') or {}) if checks else '-'}", "-", f"{N}/{N}; 0"],
        [f"operator RSS: idle with {P} pods | peak (VmHWM) | end",
         fmt(mib(idle_rss), "{:.1f}") + " | " + fmt(mib(peak), "{:.1f}") + " | " + fmt(mib(final_rss), "{:.1f} MiB"),
         "-", f"< {GOAL_RSS_MIB:g} MB"],
        ["CPU s during the run: operator | devcluster | client | its watch",
         " | ".join([fmt(cpu_of(phases, "operator", p), "{:.1f}") for p in ("operator", "devcluster", "client")]
                    + [fmt(op.get("watchProcessCpuSeconds"), "{:.1f}")]),
         " | ".join(["-"] + [fmt(cpu_of(phases, "baseline", p), "{:.1f}") for p in ("devcluster", "client")]
                    + [fmt(fl.get("watchProcessCpuSeconds"), "{:.1f}")]), "-"],
        ["  operator CPU per Broadcast",
         fmt(None if cpu_of(phases, "operator", "operator") is None or not op.get("created")
             else 1000 * cpu_of(phases, "operator", "operator") / op["created"], "{:.2f} ms"), "-", "-"],
        ["  p50 by quarter of the creates",
         " ".join(fmt(v, "{:.0f}") for v in op.get("latencyP50MsByQuarterOfCreates") or []) + " ms",
         " ".join(fmt(v, "{:.0f}") for v in fl.get("latencyP50MsByQuarterOfCreates") or []) + " ms", "-"],
        ["operator's /metrics schedule latency: mean | p99 bucket", own_latency(results.get("operatorMetrics")),
         "-", "-"],
    ]
    figures = {
        "benchmark": "operator-bench",
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "host": {"cores": os.cpu_count(), "system": platform.platform(), "python": platform.python_version()},
        "binaries": {"operator": str(args.operator_bin), "devcluster": str(args.devcluster_bin),
                     "devclusterVersion": getattr(server, "version", None),
                     "operatorCommand": [args.operator_bin.name, "run", "--kubeconfig", "…", "--metrics-port", "…"]
                     + args.operator_flag},
        "parameters": {"broadcasts": N, "pods": P, "capacity": capacity, "concurrency": C, "rate": args.rate,
                       "scheduleTimeout": args.schedule_timeout, "baseline": not args.skip_baseline,
                       "watchHistory": args.watch_history},
        "client": "Python http.client, one keep-alive HTTPS connection per thread; one watch on its own TLS "
                  "connection, read in a separate process",
        **results,
        "goals": goals,
        "memoryKiB": memory,
        "phases": phases.results,
        "notes": ("latency: create answer received (creating thread) → arrival of the first watch event whose "
                  "status has an assignment (watch thread), both time.monotonic(); baseline: the benchmark writes "
                  "that status itself right after each create (no operator running); RSS from /proc/<pid>/status, "
                  "CPU from /proc/<pid>/stat"),
        "failures": failures,
        "runSeconds": round(time.monotonic() - started, 1),
    }
    merge_results(args.output, "operator", figures)

    print()
    print(f"operator: N={N} Broadcasts over P={P} media pods (capacity {capacity}), C={C} connections"
          + (f", paced at {args.rate:g} creates/s" if args.rate > 0 else ", creates as fast as answered")
          + f" ({os.cpu_count()} cores; devcluster, operator and this Python client share them)")
    print(render_table(["", "operator", "baseline", "goal"], rows, left_align_first=True))
    busy = [(name, r["otherLoadPercent"]) for name, r in phases.results.items()
            if r["otherLoadPercent"] > 15 and r["wallSeconds"] > 0.5]
    if busy:
        print("note: other processes used > 15 % of a core during "
              + ", ".join(f"{n} ({o:.0f} %)" for n, o in busy) + ": those figures are skewed")
    saturated = [(name, r["cpuSeconds"]["client"] / r["wallSeconds"]) for name, r in phases.results.items()
                 if name in ("baseline", "operator") and r["wallSeconds"] > 0.5
                 and r["cpuSeconds"].get("client", 0) / r["wallSeconds"] >= CLIENT_SATURATED]
    if saturated:
        print("note: this Python client used most of a core (its GIL's limit) during "
              + ", ".join(f"{n} ({100 * f:.0f} %)" for n, f in saturated)
              + ": there its watch thread may read events late, which lengthens the latencies measured")
    print(f"written to {args.output} (key \"operator\"); run took {figures['runSeconds']:.0f} s")
    for failure in failures:
        print(f"FAILED: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
