#!/usr/bin/env python3
"""`make bench`, devcluster part: the local Kubernetes API server (.build/release/devcluster) under a custom resource
workload, each figure beside a floor measured in the same run with the same client code.

Client: Python threads, each with its own keep-alive `http.client.HTTPSConnection` (TLS 1.3, verified against the
kubeconfig's certificate-authority-data, bearer token from the kubeconfig). http.client rather than a
requests.Session per thread: against the same server, 8 threads of GET /version made ~2 400-3 300 requests/s with
http.client and ~600/s with requests (2 cores). The client is Python on the same cores as the server, so what it
costs is in every figure; the baselines below are measured with the same code to show how much.

  start       `devcluster serve --port P --kubeconfig-out F` (in memory; `--data-dir` to measure with a data dir),
              ready when GET /version answers 200. RSS (VmRSS of /proc/<pid>/status) idle is the baseline of the
              RSS after the creates.
  request     baseline: GET /version, `--objects` requests over `--concurrency` connections, after a short warm-up:
  floor       the HTTPS round trip of this client against this server doing (almost) nothing: requests/s and
              p50/p99 latency.
  create      POST /apis/apiextensions.k8s.io/v1/customresourcedefinitions (Gadget, bench.streamlick.io/v1,
              namespaced, structural schema: spec.size integer 0..100 default 1, spec.color enum, status subresource,
              a printer column), then GET …/namespaces/default/gadgets until it answers 200 (time kept), then
              `--objects` POSTs of Gadgets (bodies built beforehand) over `--concurrency` connections (connected
              before the clock starts): objects/s = N / wall time from the first POST to the last answer; latency =
              request written → body read, per POST. Every answer must be 201.
  list        full list of all N, `--list-runs` times: p50 of request → body read (the body's bytes are kept, and
              the client's json.loads of it is timed apart and not in the figure); paged list with limit
              `--page-size` following metadata.continue until it is empty, `--paged-runs` times: p50 of the total.
              Both must return exactly N items.
  fan-out     `--watchers` W watch streams, each its own HTTPS connection (opened one after another), GET
              …/gadgets?watch=1&resourceVersion=RV (RV of a list taken just before), all read by one thread with a
              selector (non-blocking TLS sockets, chunked framing and event lines decoded by hand: W reader threads
              would mostly measure the GIL hand-offs between them); once every stream has its 200 headers,
              `--fanout-events` M POSTs on one keep-alive connection from another thread, paced at `--fanout-rate`
              per second. For each event and watcher: delay = perf_counter() just after the reader json.loads-ed
              the event line − perf_counter() just before the POST was written (matched by metadata.name).
              p50/p99/max over all M × W deliveries, and the count: every watcher must receive all M ADDED events
              within `--fanout-timeout` s of the last POST; what is missing is reported per watcher.
  baselines   a Python TLS server in its own process (bench/devcluster_bench.py --floor-server, ThreadingHTTPServer,
  (Python)    TCP_NODELAY, an EC P-256 self-signed certificate from `openssl`, TLS 1.3 like devcluster) holding the
              very bytes devcluster answered: the full list body and every page (served with Content-Length; the
              same client code fetches them the same number of times: the floor is moving those bytes over TLS into
              this client, no server work), and the watch events: the same reader holds W chunked HTTP/1.1 streams
              to it, and the same pacer POSTs the same create bodies to /fire/<i>, on which it writes the i-th event
              line devcluster sent (one chunk, the same bytes) to the W sockets one after another, then answers 201.
              So the fan-out floor = this client's POST + one Python process looping sendall over W TLS sockets +
              this client's reader receiving and parsing W copies: what any server would cost this client, with no
              store, encoding or watch bookkeeping. devcluster is stopped (idle) while the baselines run.

CPU: utime + stime (/proc/<pid>/stat) of devcluster, of this process (the client) and of the floor server, per phase.
The whole machine's busy CPU is sampled too; what none of them used is "other load".

Run from the repository root after `swift build -c release --product devcluster`:
    python3 bench/devcluster_bench.py [--objects 10000] [--concurrency 8] [--watchers 200] [--fanout-events 200]
                                      [--devcluster-bin PATH] [--data-dir]
Prints one table and merges the figures into bench/results/latest.json under "devcluster" (every other key is kept).
"""

import argparse
import base64
import datetime
import http.client
import http.server
import json
import math
import os
import pathlib
import platform
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse

REPO_ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT / "Tests/Integration"))

from harness.ports import free_port  # noqa: E402
from bench_results import BenchProcess, merge_results, render_table  # noqa: E402

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
GROUP = "bench.streamlick.io"
VERSION = "v1"
PLURAL = "gadgets"
NAMESPACE = "default"
COLLECTION = f"/apis/{GROUP}/{VERSION}/namespaces/{NAMESPACE}/{PLURAL}"
CRD_PATH = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
COLORS = ["red", "green", "blue", "yellow"]
START_TIMEOUT = 30.0
CRD_TIMEOUT = 30.0
WATCH_OPEN_TIMEOUT = 60.0
VERSION_WARMUP = 200
ERROR_SAMPLES = 5
CLIENT_SATURATED = 0.85   # client CPU / wall time of a phase from which the client is the limit: flagged
OTHER_LOAD_WARNING = 15.0  # % of one core used outside the bench's processes during a phase: flagged


def log(message: str) -> None:
    print(f"[devcluster-bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- accounting ---

def process_cpu_seconds(pid: int):
    """utime + stime of a whole process (all its threads) from /proc/<pid>/stat; None when it is gone."""
    try:
        text = pathlib.Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def process_memory_kib(pid: int) -> dict:
    """VmRSS and VmHWM (peak RSS) in KiB from /proc/<pid>/status."""
    result = {}
    try:
        for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                result[key] = int(value.split()[0])
    except OSError:
        pass
    return result


def machine_busy_seconds() -> float:
    fields = [int(v) for v in pathlib.Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS


class Phases:
    """CPU seconds per named phase of the processes in `pids` (name → pid), and the machine's."""

    def __init__(self) -> None:
        self.pids = {"client": os.getpid()}
        self.results = {}

    def _sample(self) -> tuple:
        return (time.monotonic(), machine_busy_seconds(),
                {name: process_cpu_seconds(pid) for name, pid in self.pids.items()})

    def run(self, name: str, function):
        begin = self._sample()
        try:
            return function()
        finally:
            end = self._sample()
            wall = end[0] - begin[0]
            cpu = {}
            for process in self.pids:
                before, after = begin[2].get(process), end[2].get(process)
                if before is not None and after is not None:
                    cpu[process] = round(after - before, 3)
            machine = end[1] - begin[1]
            other = max(0.0, machine - sum(cpu.values()))
            self.results[name] = {"wallSeconds": round(wall, 3), "cpuSeconds": cpu,
                                  "machineCpuSeconds": round(machine, 3),
                                  "otherLoadPercent": round(100 * other / wall, 1) if wall > 0 else 0.0}


def percentile(values: list, q: float):
    """Nearest-rank percentile (q in 0..1) of `values`; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1))]


def ms(seconds):
    return None if seconds is None else round(1000 * seconds, 3)


def latency_summary(latencies: list) -> dict:
    return {"p50Ms": ms(percentile(latencies, 0.50)), "p99Ms": ms(percentile(latencies, 0.99)),
            "maxMs": ms(max(latencies)) if latencies else None, "count": len(latencies)}


# --- HTTP client ---

class Endpoint:
    """Host, port, TLS context and headers of an HTTPS server; connections are http.client keep-alive ones."""

    def __init__(self, host: str, port: int, ca_pem: str, token: str = None, timeout: float = 30.0) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self.context = ssl.create_default_context(cadata=ca_pem)
        self.headers = {"Accept": "application/json", "Content-Type": "application/json"}
        if token:
            self.headers["Authorization"] = f"Bearer {token}"

    def connection(self, timeout: float = None) -> http.client.HTTPSConnection:
        connection = http.client.HTTPSConnection(self.host, self.port, context=self.context,
                                                 timeout=self.timeout if timeout is None else timeout)
        connection.connect()
        connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return connection

    def request(self, connection, method: str, path: str, body: bytes = None) -> tuple:
        """(status, body) on a keep-alive connection."""
        connection.request(method, path, body=body, headers=self.headers)
        response = connection.getresponse()
        return response.status, response.read()


def load_kubeconfig(path: pathlib.Path) -> tuple:
    """(server URL, CA PEM, token) of the kubeconfig's current context."""
    import yaml

    config = yaml.safe_load(path.read_text())
    context = next(c["context"] for c in config["contexts"] if c["name"] == config["current-context"])
    cluster = next(c["cluster"] for c in config["clusters"] if c["name"] == context["cluster"])
    user = next(u["user"] for u in config["users"] if u["name"] == context["user"])
    return cluster["server"], base64.b64decode(cluster["certificate-authority-data"]).decode(), user["token"]


def concurrent_requests(endpoint: Endpoint, method: str, paths_and_bodies: list, concurrency: int,
                        expected_status: int) -> dict:
    """Sends the requests over `concurrency` connections (request i on connection i % concurrency, all connected
    before the clock starts); latency of each = request written → body read. A dropped connection is reconnected
    (counted as an error)."""
    connections = [endpoint.connection() for _ in range(concurrency)]
    latencies = [[] for _ in range(concurrency)]
    errors = [[] for _ in range(concurrency)]
    start = threading.Barrier(concurrency + 1)

    def worker(worker_index: int) -> None:
        connection = connections[worker_index]
        start.wait()
        for index in range(worker_index, len(paths_and_bodies), concurrency):
            path, body = paths_and_bodies[index]
            began = time.perf_counter()
            try:
                status, answer = endpoint.request(connection, method, path, body)
            except (OSError, http.client.HTTPException) as error:
                errors[worker_index].append({"index": index, "error": f"{type(error).__name__}: {error}",
                                             "afterMs": ms(time.perf_counter() - began)})
                connection.close()
                connection = endpoint.connection()
                continue
            latencies[worker_index].append(time.perf_counter() - began)
            if status != expected_status:
                errors[worker_index].append({"index": index, "status": status, "body": answer[:500].decode(
                    errors="replace")})

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - began
    for connection in connections:
        connection.close()
    all_latencies = [value for values in latencies for value in values]
    all_errors = [error for values in errors for error in values]
    ok = len(paths_and_bodies) - len(all_errors)
    return {"requests": len(paths_and_bodies), "ok": ok, "errors": len(all_errors),
            "errorSamples": all_errors[:ERROR_SAMPLES], "wallSeconds": round(wall, 3),
            "perSecond": round(ok / wall, 1) if wall > 0 else None, "concurrency": concurrency,
            **latency_summary(all_latencies)}


# --- devcluster ---

class DevclusterServer(BenchProcess):
    def __init__(self, binary: pathlib.Path, work_dir: pathlib.Path, data_dir: bool, watch_history) -> None:
        self.binary = binary
        self.work_dir = work_dir
        self.port = free_port()
        self.kubeconfig = work_dir / "kubeconfig"
        self.log_path = work_dir / "devcluster.log"
        self.command = [str(binary), "serve", "--port", str(self.port), "--kubeconfig-out", str(self.kubeconfig)]
        if data_dir:
            self.command += ["--data-dir", str(work_dir / "data")]
        if watch_history is not None:
            self.command += ["--watch-history", str(watch_history)]
        self.process = None

    def start(self) -> Endpoint:
        with open(self.log_path, "wb") as out:
            self.process = subprocess.Popen(self.command, stdout=out, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT
        last = "no kubeconfig yet"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"devcluster exited ({self.process.returncode}) on start:\n{self.log_tail()}")
            if self.kubeconfig.exists():
                try:
                    server, ca, token = load_kubeconfig(self.kubeconfig)
                    url = urllib.parse.urlsplit(server)
                    endpoint = Endpoint(url.hostname, url.port, ca, token)
                    connection = endpoint.connection(timeout=2)
                    status, body = endpoint.request(connection, "GET", "/version")
                    connection.close()
                    if status == 200:
                        self.server_url, self.version = server, json.loads(body).get("gitVersion")
                        return endpoint
                    last = f"/version answered {status}: {body[:200]!r}"
                except Exception as error:  # not written completely yet, not listening yet
                    last = f"{type(error).__name__}: {error}"
            time.sleep(0.05)
        raise RuntimeError(f"devcluster not ready after {START_TIMEOUT:.0f} s ({last}):\n{self.log_tail()}")



def gadget_crd() -> dict:
    return {
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{PLURAL}.{GROUP}"},
        "spec": {
            "group": GROUP, "scope": "Namespaced",
            "names": {"plural": PLURAL, "singular": "gadget", "kind": "Gadget", "listKind": "GadgetList"},
            "versions": [{
                "name": VERSION, "served": True, "storage": True,
                "subresources": {"status": {}},
                "additionalPrinterColumns": [{"name": "Color", "type": "string", "jsonPath": ".spec.color"}],
                "schema": {"openAPIV3Schema": {
                    "type": "object",
                    "properties": {
                        "spec": {"type": "object", "properties": {
                            "size": {"type": "integer", "minimum": 0, "maximum": 100, "default": 1},
                            "color": {"type": "string", "enum": COLORS},
                        }},
                        "status": {"type": "object", "properties": {"ready": {"type": "boolean"}}},
                    },
                }},
            }],
        },
    }


def gadget_body(name: str, index: int) -> bytes:
    spec = {"color": COLORS[index % len(COLORS)]}
    if index % 5:  # every fifth one takes the schema's default size
        spec["size"] = index % 101
    return json.dumps({"apiVersion": f"{GROUP}/{VERSION}", "kind": "Gadget",
                       "metadata": {"name": name, "namespace": NAMESPACE, "labels": {"bench": "devcluster"}},
                       "spec": spec}, separators=(",", ":")).encode()


def create_crd(endpoint: Endpoint) -> dict:
    connection = endpoint.connection()
    began = time.perf_counter()
    status, body = endpoint.request(connection, "POST", CRD_PATH, json.dumps(gadget_crd()).encode())
    created = time.perf_counter() - began
    if status != 201:
        raise RuntimeError(f"POST {CRD_PATH} answered {status}: {body[:1000].decode(errors='replace')}")
    polls, last = 0, None
    deadline = time.monotonic() + CRD_TIMEOUT
    while True:
        polls += 1
        status, body = endpoint.request(connection, "GET", COLLECTION)
        if status == 200:
            break
        last = f"{status}: {body[:300].decode(errors='replace')}"
        if time.monotonic() > deadline:
            raise RuntimeError(f"GET {COLLECTION} still not 200 {CRD_TIMEOUT:.0f} s after the CRD: {last}")
        time.sleep(0.01)
    served = time.perf_counter() - began
    connection.close()
    return {"createMs": ms(created), "servedAfterMs": ms(served), "polls": polls, "lastNot200": last}


# --- list ---

def timed_get(endpoint: Endpoint, connection, path: str) -> tuple:
    began = time.perf_counter()
    status, body = endpoint.request(connection, "GET", path)
    return time.perf_counter() - began, status, body


def run_full_list(endpoint: Endpoint, path: str, runs: int, expected_items) -> dict:
    connection = endpoint.connection(timeout=120)
    times, sizes, errors, body = [], [], [], b""
    for _ in range(runs):
        elapsed, status, body = timed_get(endpoint, connection, path)
        if status != 200:
            errors.append({"status": status, "body": body[:500].decode(errors="replace")})
            continue
        times.append(elapsed)
        sizes.append(len(body))
    connection.close()
    result = {"runs": runs, "timesMs": [ms(t) for t in times], "p50Ms": ms(percentile(times, 0.5)),
              "bytes": sizes[-1] if sizes else None, "errors": errors, "_body": body}
    if expected_items is not None and times:
        began = time.perf_counter()
        items = len(json.loads(body)["items"])
        result["clientJsonParseMs"] = ms(time.perf_counter() - began)
        result["items"] = items
        if items != expected_items:
            errors.append({"items": items, "expected": expected_items})
    return result


def run_paged_list(endpoint: Endpoint, page_size: int, runs: int, expected_items: int) -> dict:
    connection = endpoint.connection(timeout=120)
    totals, errors, pages_bytes = [], [], []
    pages = items = 0
    for _ in range(runs):
        token, pages, items, pages_bytes, total = "", 0, 0, [], 0.0
        while True:
            path = f"{COLLECTION}?limit={page_size}"
            if token:
                path += "&continue=" + urllib.parse.quote(token, safe="")
            elapsed, status, body = timed_get(endpoint, connection, path)
            total += elapsed
            if status != 200:
                errors.append({"page": pages, "status": status, "body": body[:500].decode(errors="replace")})
                break
            pages += 1
            pages_bytes.append(body)
            page = json.loads(body)  # needed for the continue token: part of following the pages
            items += len(page.get("items") or [])
            token = (page.get("metadata") or {}).get("continue") or ""
            if not token or pages > expected_items // max(1, page_size) + 5:
                break
        totals.append(total)
        if items != expected_items:
            errors.append({"items": items, "expected": expected_items, "pages": pages})
    connection.close()
    return {"runs": runs, "pageSize": page_size, "pages": pages, "items": items,
            "bytes": sum(len(b) for b in pages_bytes), "totalsMs": [ms(t) for t in totals],
            "p50Ms": ms(percentile(totals, 0.5)), "errors": errors, "_pages": pages_bytes}


def run_floor_paged(endpoint: Endpoint, page_count: int, runs: int) -> dict:
    connection = endpoint.connection(timeout=120)
    totals, errors = [], []
    for _ in range(runs):
        total = 0.0
        for page in range(page_count):
            elapsed, status, body = timed_get(endpoint, connection, f"/blob/page-{page:04d}.json")
            total += elapsed
            if status != 200:
                errors.append({"page": page, "status": status})
            json.loads(body)  # the devcluster run parses each page too (for its continue token)
        totals.append(total)
    connection.close()
    return {"runs": runs, "pages": page_count, "totalsMs": [ms(t) for t in totals],
            "p50Ms": ms(percentile(totals, 0.5)), "errors": errors}


# --- watch fan-out ---

class WatchStream:
    """One watch: its own TLS connection, non-blocking, decoded by hand (HTTP/1.1 headers, chunked framing,
    newline-separated JSON events). Records, per object name of interest, perf_counter() just after the event line
    was json.loads-ed."""

    def __init__(self, index: int, names: set, raw_lines: dict) -> None:
        self.index, self.names, self.raw_lines = index, names, raw_lines
        self.sock = None
        self.raw = b""          # TLS-decrypted bytes not yet decoded
        self.lines = b""        # decoded body bytes not yet ending in a newline
        self.headers_done = False
        self.chunked = True
        self.data_left = 0      # chunk data still to come
        self.crlf_left = 0      # CRLF after a chunk still to come
        self.status = None
        self.error = None
        self.ended = None
        self.opened_after = None
        self.times = {}
        self.other_events = {}
        self.unexpected = 0
        self.duplicates = 0

    @property
    def finished(self) -> bool:
        return self.error is not None or self.ended is not None or len(self.times) >= len(self.names)

    def feed(self, data: bytes, began: float) -> None:
        if self.ended is not None or self.error is not None:
            return
        raw = self.raw + data
        if not self.headers_done:
            end = raw.find(b"\r\n\r\n")
            if end < 0:
                self.raw = raw
                return
            head, raw = raw[:end].decode("latin-1").split("\r\n"), raw[end + 4:]
            self.status = int(head[0].split()[1])
            headers = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in head[1:])}
            self.chunked = "chunked" in headers.get("transfer-encoding", "").lower()
            self.headers_done = True
            if self.status != 200:
                self.error = f"{head[0]}: {raw[:500].decode(errors='replace')}"
                return
            self.opened_after = time.perf_counter() - began
        if not self.chunked:
            body, raw = raw, b""
        else:
            parts, position = [], 0
            while position < len(raw):
                if self.data_left:
                    take = min(self.data_left, len(raw) - position)
                    parts.append(raw[position:position + take])
                    position += take
                    self.data_left -= take
                    if not self.data_left:
                        self.crlf_left = 2
                elif self.crlf_left:
                    take = min(self.crlf_left, len(raw) - position)
                    position += take
                    self.crlf_left -= take
                else:
                    newline = raw.find(b"\r\n", position)
                    if newline < 0:
                        break
                    size = int(raw[position:newline].split(b";")[0].strip(), 16)
                    position = newline + 2
                    if size == 0:
                        self.ended = "the server ended the stream (last chunk)"
                        break
                    self.data_left = size
            body, raw = b"".join(parts), raw[position:]
        self.raw = raw
        lines = (self.lines + body).split(b"\n")
        self.lines = lines.pop()
        for line in lines:
            if line.strip():
                self.event(line)

    def event(self, line: bytes) -> None:
        event = json.loads(line)
        parsed = time.perf_counter()
        kind = event.get("type")
        if kind != "ADDED":
            self.other_events[kind] = self.other_events.get(kind, 0) + 1
            if kind == "ERROR":
                self.error = f"ERROR event: {line[:500].decode(errors='replace')}"
            return
        name = ((event.get("object") or {}).get("metadata") or {}).get("name")
        if name not in self.names:
            self.unexpected += 1
        elif name in self.times:
            self.duplicates += 1
        else:
            self.times[name] = parsed
            self.raw_lines.setdefault(name, line + b"\n")


class WatchGroup(threading.Thread):
    """W watch streams read by one thread with a selector (no GIL hand-offs between W reader threads: the client's
    cost per delivered event is then a recv, a TLS record, a json.loads). The streams are opened one after another
    (connect, TLS handshake, request written); `ready` is set when every one has its response headers."""

    def __init__(self, endpoint: Endpoint, path: str, names: set, count: int) -> None:
        super().__init__(daemon=True)
        self.endpoint, self.path = endpoint, path
        self.raw_lines = {}
        self.streams = [WatchStream(i, names, self.raw_lines) for i in range(count)]
        self.ready = threading.Event()
        self.stopping = threading.Event()
        self.open_seconds = None
        self.error = None

    def run(self) -> None:
        import selectors

        selector = selectors.DefaultSelector()
        began = time.perf_counter()
        request = (f"GET {self.path} HTTP/1.1\r\nHost: {self.endpoint.host}:{self.endpoint.port}\r\n"
                   + "".join(f"{k}: {v}\r\n" for k, v in self.endpoint.headers.items() if k != "Content-Type")
                   + "\r\n").encode()
        try:
            for stream in self.streams:
                try:
                    plain = socket.create_connection((self.endpoint.host, self.endpoint.port), timeout=10)
                    plain.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    stream.sock = self.endpoint.context.wrap_socket(plain, server_hostname=self.endpoint.host)
                    stream.sock.sendall(request)
                    stream.sock.setblocking(False)
                    selector.register(stream.sock, selectors.EVENT_READ, stream)
                except OSError as error:
                    stream.error = f"open: {type(error).__name__}: {error}"
            open_pending = True
            live = sum(1 for s in self.streams if s.sock is not None and s.error is None)
            while live and not self.stopping.is_set():
                for key, _ in selector.select(timeout=0.2):
                    stream = key.data
                    while True:
                        try:
                            data = stream.sock.recv(262144)
                        except (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError):
                            break
                        except OSError as error:
                            stream.error = f"{type(error).__name__}: {error}"
                            break
                        if not data:
                            stream.ended = stream.ended or "the server closed the connection"
                            break
                        stream.feed(data, began)
                        if stream.finished:
                            break
                    if stream.finished:
                        selector.unregister(stream.sock)
                        live -= 1
                if open_pending and all(s.headers_done or s.finished for s in self.streams):
                    open_pending = False
                    self.open_seconds = time.perf_counter() - began
                    self.ready.set()
        except Exception as error:  # reported with the results
            self.error = f"{type(error).__name__}: {error}"
        finally:
            self.ready.set()
            for stream in self.streams:
                if stream.sock is not None:
                    try:
                        stream.sock.close()
                    except OSError:
                        pass
            selector.close()


def run_fanout(endpoint: Endpoint, watch_path: str, post_path, bodies: list, names: list, watchers: int,
               rate: float, timeout: float, phases: Phases, label: str) -> dict:
    """Opens `watchers` watches, then POSTs `bodies` paced at `rate`/s on one connection; `post_path(i)` is the
    path of the i-th POST. Returns delays and counts (and the raw event lines seen, by name)."""
    group = WatchGroup(endpoint, watch_path, set(names), watchers)

    def open_watches() -> None:
        group.start()
        group.ready.wait(WATCH_OPEN_TIMEOUT)

    phases.run(f"{label}WatchOpen", open_watches)
    sent = {}
    post_errors = []
    post_latencies = []

    def post_all() -> dict:
        connection = endpoint.connection()
        began = time.perf_counter()
        for index, (name, body) in enumerate(zip(names, bodies)):
            target = began + index / rate
            pause = target - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            before = time.perf_counter()
            sent[name] = before
            try:
                status, answer = endpoint.request(connection, "POST", post_path(index), body)
            except (OSError, http.client.HTTPException) as error:
                post_errors.append({"name": name, "error": f"{type(error).__name__}: {error}"})
                connection.close()
                connection = endpoint.connection()
                continue
            post_latencies.append(time.perf_counter() - before)
            if status != 201:
                post_errors.append({"name": name, "status": status, "body": answer[:500].decode(errors="replace")})
        posting = time.perf_counter() - began
        connection.close()
        group.join(timeout)  # everything delivered, or `timeout` seconds after the last POST
        return {"postingSeconds": posting, "waitedSeconds": time.perf_counter() - began - posting}

    timing = phases.run(f"{label}FanOut", post_all)
    group.stopping.set()
    group.join(5)

    streams = group.streams
    delays = [parsed - sent[name] for stream in streams for name, parsed in stream.times.items() if name in sent]
    position = {name: index for index, name in enumerate(names)}
    quarters = [[] for _ in range(4)]
    for stream in streams:
        for name, parsed in stream.times.items():
            if name in sent:
                quarters[4 * position[name] // len(names)].append(parsed - sent[name])
    received = [len(s.times) for s in streams]
    expected = len(names) * watchers
    incomplete = [{"watcher": s.index, "received": len(s.times), "status": s.status, "error": s.error,
                   "ended": s.ended} for s in streams if len(s.times) < len(names)]
    not_open = [s for s in streams if s.opened_after is None]
    return {
        "watchers": watchers, "events": len(names), "targetRate": rate,
        "achievedRate": round(len(names) / timing["postingSeconds"], 1) if timing["postingSeconds"] else None,
        "watchOpenSeconds": None if group.open_seconds is None else round(group.open_seconds, 3),
        "watchersNotOpen": len(not_open),
        "watchOpenP50Ms": ms(percentile([s.opened_after for s in streams if s.opened_after is not None], 0.5)),
        "postLatency": latency_summary(post_latencies), "postErrors": post_errors[:ERROR_SAMPLES],
        "postErrorCount": len(post_errors),
        "delay": latency_summary(delays),
        "delayMeanMs": ms(sum(delays) / len(delays)) if delays else None,
        "delayP50MsByQuarterOfEvents": [ms(percentile(q, 0.5)) for q in quarters],
        "deliveries": sum(received), "expectedDeliveries": expected, "missing": expected - sum(received),
        "minPerWatcher": min(received) if received else 0,
        "incompleteWatchers": len(incomplete), "incompleteSamples": incomplete[:ERROR_SAMPLES],
        "watcherErrors": sorted({s.error for s in streams if s.error} | ({group.error} if group.error else set()))[
            :ERROR_SAMPLES],
        "otherEventTypes": _sum_dicts(s.other_events for s in streams),
        "unexpectedEvents": sum(s.unexpected for s in streams),
        "duplicateEvents": sum(s.duplicates for s in streams),
        "waitedAfterLastPostSeconds": round(timing["waitedSeconds"], 3),
        "_rawLines": group.raw_lines,
    }


def _sum_dicts(dicts) -> dict:
    total = {}
    for d in dicts:
        for key, value in d.items():
            total[key] = total.get(key, 0) + value
    return total


# --- the Python floor server (a separate process) ---

def make_certificate(directory: pathlib.Path) -> tuple:
    key, cert = directory / "floor.key", directory / "floor.crt"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=floor",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True, timeout=30)
    return key, cert


def floor_server_main(directory: pathlib.Path) -> int:
    """Serves /blob/<file> (files of `directory`, Content-Length) and chunked /watch streams; POST /fire/<i> writes
    line i of events.jsonl to every open watch stream, then answers 201. Prints its port, then serves until
    killed."""
    blobs = {p.name: p.read_bytes() for p in directory.glob("*.json")}
    events_path = directory / "events.jsonl"
    events = events_path.read_bytes().splitlines(keepends=True) if events_path.exists() else []
    chunks = [f"{len(line):x}\r\n".encode() + line + b"\r\n" for line in events]
    streams, lock, stop = [], threading.Lock(), threading.Event()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:
            if self.path.startswith("/blob/") and self.path[6:] in blobs:
                body = blobs[self.path[6:]]
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            elif self.path == "/watch":
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                with lock:
                    streams.append(self.connection)
                stop.wait()
                self.close_connection = True
            else:
                self.send_error(404)

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            index = int(self.path.rsplit("/", 1)[1])
            chunk = chunks[index]
            with lock:
                targets = list(streams)
            for stream in targets:
                try:
                    stream.sendall(chunk)
                except OSError:
                    pass
            line = events[index]
            body = line[line.find(b'"object":') + 9:line.rfind(b"}")]
            self.send_response(201)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    class Server(http.server.ThreadingHTTPServer):
        request_queue_size = 1024
        daemon_threads = True

    server = Server(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(directory / "floor.crt", directory / "floor.key")
    server.socket = context.wrap_socket(server.socket, server_side=True)
    print(server.server_address[1], flush=True)
    signal.signal(signal.SIGTERM, lambda *_: (stop.set(), os._exit(0)))
    server.serve_forever()
    return 0


class FloorServer:
    def __init__(self, directory: pathlib.Path) -> None:
        self.directory = directory
        _key, cert = make_certificate(directory)
        self.ca = cert.read_text()
        self.process = subprocess.Popen([sys.executable, str(pathlib.Path(__file__).resolve()), "--floor-server",
                                         str(directory)], stdout=subprocess.PIPE, stdin=subprocess.DEVNULL,
                                        text=True, start_new_session=True)
        line = self.process.stdout.readline()
        if not line.strip().isdigit():
            raise RuntimeError(f"floor server did not start (exit {self.process.poll()}): {line!r}")
        self.endpoint = Endpoint("127.0.0.1", int(line), self.ca)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


# --- report ---

def fmt(value, pattern: str = "{:.1f}") -> str:
    return "-" if value is None else pattern.format(value)


def table(rows: list) -> str:
    return render_table(["phase", "devcluster", "baseline"], rows, left_align_first=True)


def public(result: dict) -> dict:
    """The result without its private (underscore) entries: bodies and raw lines are not figures."""
    return {k: v for k, v in result.items() if not k.startswith("_")}


def per_request(phases: Phases, name: str, count):
    """devcluster CPU milliseconds per request of a phase."""
    cpu = cpu_of(phases, name, "devcluster")
    return None if cpu is None or not count else 1000 * cpu / count


def per_delivery(cpu_seconds, deliveries):
    return None if cpu_seconds is None or not deliveries else 1e6 * cpu_seconds / deliveries


def cpu_of(phases: Phases, name: str, process: str):
    return (phases.results.get(name) or {}).get("cpuSeconds", {}).get(process)


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "--floor-server":
        return floor_server_main(pathlib.Path(sys.argv[2]))
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--objects", type=int, default=10000, help="Gadgets created (N)")
    parser.add_argument("--concurrency", type=int, default=8, help="keep-alive connections for the creates (C)")
    parser.add_argument("--watchers", type=int, default=200, help="watch streams for the fan-out (W)")
    parser.add_argument("--fanout-events", type=int, default=200, help="objects created while watched (M)")
    parser.add_argument("--fanout-rate", type=float, default=100.0, help="POSTs per second during the fan-out")
    parser.add_argument("--fanout-timeout", type=float, default=15.0,
                        help="seconds after the last fan-out POST for every event to arrive")
    parser.add_argument("--list-runs", type=int, default=5, help="full lists (p50 reported)")
    parser.add_argument("--paged-runs", type=int, default=3, help="paged lists (p50 of the totals reported)")
    parser.add_argument("--page-size", type=int, default=500)
    parser.add_argument("--devcluster-bin", type=pathlib.Path, default=REPO_ROOT / ".build/release/devcluster")
    parser.add_argument("--data-dir", action="store_true", help="run devcluster with a --data-dir (persistence)")
    parser.add_argument("--watch-history", type=int, default=None, help="passed to devcluster when given")
    parser.add_argument("--output", type=pathlib.Path, default=REPO_ROOT / "bench/results/latest.json")
    parser.add_argument("--work-dir", type=pathlib.Path, default=REPO_ROOT / ".build/devcluster-bench")
    args = parser.parse_args()
    if min(args.objects, args.concurrency, args.watchers, args.fanout_events, args.list_runs, args.paged_runs,
           args.page_size) < 1 or args.fanout_rate <= 0:
        parser.error("counts and the rate must be positive")
    if not os.access(args.devcluster_bin, os.X_OK):
        log(f"{args.devcluster_bin} not found: `swift build -c release --product devcluster` first")
        return 2
    if shutil.which("openssl") is None:
        log("cannot run: openssl (for the floor server's certificate) is not installed")
        return 2

    started = time.monotonic()
    shutil.rmtree(args.work_dir, ignore_errors=True)
    args.work_dir.mkdir(parents=True)
    floor_dir = args.work_dir / "floor"
    floor_dir.mkdir()
    N, C, W, M = args.objects, args.concurrency, args.watchers, args.fanout_events
    log(f"N={N} C={C} W={W} M={M} at {args.fanout_rate:g}/s; {os.cpu_count()} cores, load average "
        f"{os.getloadavg()}; {args.devcluster_bin}")

    phases = Phases()
    failures = []
    results = {}
    memory = {}
    server = DevclusterServer(args.devcluster_bin, args.work_dir, args.data_dir, args.watch_history)
    floor = None
    try:
        endpoint = phases.run("start", server.start)
        phases.pids["devcluster"] = server.process.pid
        log(f"devcluster {server.version} pid {server.process.pid} at {server.server_url}")
        time.sleep(0.5)
        memory["idle"] = process_memory_kib(server.process.pid)

        # request floor: GET /version, same client machinery and concurrency
        concurrent_requests(endpoint, "GET", [("/version", None)] * VERSION_WARMUP, C, 200)
        version = phases.run("versionFloor", lambda: concurrent_requests(
            endpoint, "GET", [("/version", None)] * N, C, 200))
        results["versionFloor"] = public(version)
        log(f"GET /version: {version['perSecond']}/s p50 {version['p50Ms']} ms p99 {version['p99Ms']} ms")
        if version["errors"]:
            failures.append(f"GET /version: {version['errors']} errors, e.g. {version['errorSamples'][:2]}")
        memory["afterVersionFloor"] = process_memory_kib(server.process.pid)

        results["crd"] = phases.run("crd", lambda: create_crd(endpoint))
        log(f"CRD: created in {results['crd']['createMs']} ms, collection served after "
            f"{results['crd']['servedAfterMs']} ms ({results['crd']['polls']} GETs)")

        names = [f"gadget-{i:05d}" for i in range(N)]
        create_requests = [(COLLECTION, gadget_body(name, i)) for i, name in enumerate(names)]
        creates = phases.run("create", lambda: concurrent_requests(endpoint, "POST", create_requests, C, 201))
        results["create"] = public(creates)
        memory["afterCreates"] = process_memory_kib(server.process.pid)
        log(f"create: {creates['perSecond']} objects/s p50 {creates['p50Ms']} ms p99 {creates['p99Ms']} ms, "
            f"{creates['errors']} errors; devcluster RSS {memory['afterCreates'].get('VmRSS')} KiB")
        if creates["errors"]:
            failures.append(f"create: {creates['errors']} of {N} not 201, e.g. {creates['errorSamples'][:2]}")
        created = N - creates["errors"]

        full = phases.run("list", lambda: run_full_list(endpoint, COLLECTION, args.list_runs, created))
        results["list"] = public(full)
        log(f"full list: p50 {full['p50Ms']} ms, {full['bytes']} bytes, {full.get('items')} items")
        if full["errors"]:
            failures.append(f"full list: {full['errors'][:2]}")
        paged = phases.run("pagedList", lambda: run_paged_list(endpoint, args.page_size, args.paged_runs, created))
        results["pagedList"] = public(paged)
        log(f"paged list (limit {args.page_size}): p50 total {paged['p50Ms']} ms, {paged['pages']} pages, "
            f"{paged['items']} items")
        if paged["errors"]:
            failures.append(f"paged list: {paged['errors'][:2]}")
        memory["afterLists"] = process_memory_kib(server.process.pid)

        connection = endpoint.connection()
        status, body = endpoint.request(connection, "GET", f"{COLLECTION}?limit=1")
        connection.close()
        if status != 200:
            raise RuntimeError(f"GET {COLLECTION}?limit=1 answered {status}: {body[:300]!r}")
        resource_version = json.loads(body)["metadata"]["resourceVersion"]
        fan_names = [f"fan-{i:05d}" for i in range(M)]
        fan_bodies = [gadget_body(name, i) for i, name in enumerate(fan_names)]
        watch_path = f"{COLLECTION}?watch=1&resourceVersion={resource_version}"
        log(f"fan-out: {W} watchers from resourceVersion {resource_version}, then {M} creates")
        fanout = run_fanout(endpoint, watch_path, lambda i: COLLECTION, fan_bodies, fan_names, W, args.fanout_rate,
                            args.fanout_timeout, phases, "devcluster")
        results["fanout"] = public(fanout)
        memory["afterFanout"] = process_memory_kib(server.process.pid)
        log(f"fan-out: delay p50 {fanout['delay']['p50Ms']} ms p99 {fanout['delay']['p99Ms']} ms max "
            f"{fanout['delay']['maxMs']} ms; {fanout['deliveries']}/{fanout['expectedDeliveries']} delivered; "
            f"watches open in {fanout['watchOpenSeconds']} s")
        if fanout["missing"] or fanout["watchersNotOpen"] or fanout["postErrorCount"]:
            failures.append(f"fan-out: {fanout['missing']} of {fanout['expectedDeliveries']} deliveries missing, "
                            f"{fanout['watchersNotOpen']} watchers not open, {fanout['postErrorCount']} POST errors; "
                            f"incomplete e.g. {fanout['incompleteSamples'][:2]}, POST errors e.g. "
                            f"{fanout['postErrors'][:2]}, watcher errors {fanout['watcherErrors'][:2]}")
        if not server.alive():
            failures.append(f"devcluster exited ({server.process.returncode}):\n{server.log_tail()}")
        else:
            connection = endpoint.connection()
            status, _ = endpoint.request(connection, "GET", "/version")
            connection.close()
            if status != 200:
                failures.append(f"GET /version after the fan-out answered {status}")

        # floors for the list and the fan-out: the same bytes from a Python TLS server
        (floor_dir / "list.json").write_bytes(full["_body"])
        for index, page in enumerate(paged["_pages"]):
            (floor_dir / f"page-{index:04d}.json").write_bytes(page)
        lines = []
        for name, created_body in zip(fan_names, fan_bodies):
            line = fanout["_rawLines"].get(name)
            if line is None:  # devcluster never delivered it: an event of the same shape
                line = b'{"type":"ADDED","object":' + created_body + b"}\n"
            lines.append(line)
        (floor_dir / "events.jsonl").write_bytes(b"".join(lines))
        results["floorEventsFromDevcluster"] = sum(1 for n in fan_names if n in fanout["_rawLines"])
        server.stop()  # idle from here; stopped so that the floors run on a quiet machine as devcluster's runs did
        floor = FloorServer(floor_dir)
        phases.pids["floorServer"] = floor.process.pid
        phases.pids.pop("devcluster", None)
        floor_list = phases.run("listFloor", lambda: run_full_list(floor.endpoint, "/blob/list.json",
                                                                    args.list_runs, None))
        results["listFloor"] = public(floor_list)
        floor_paged = phases.run("pagedListFloor", lambda: run_floor_paged(floor.endpoint, len(paged["_pages"]),
                                                                           args.paged_runs))
        results["pagedListFloor"] = floor_paged
        log(f"floor: same list bytes p50 {floor_list['p50Ms']} ms, same pages p50 total {floor_paged['p50Ms']} ms")
        floor_fanout = run_fanout(floor.endpoint, "/watch", lambda i: f"/fire/{i}", fan_bodies, fan_names, W,
                                  args.fanout_rate, args.fanout_timeout, phases, "floor")
        results["fanoutFloor"] = public(floor_fanout)
        log(f"floor fan-out: delay p50 {floor_fanout['delay']['p50Ms']} ms p99 {floor_fanout['delay']['p99Ms']} ms "
            f"max {floor_fanout['delay']['maxMs']} ms; {floor_fanout['deliveries']}/"
            f"{floor_fanout['expectedDeliveries']} delivered")
        if floor_fanout["missing"]:
            failures.append(f"floor fan-out: {floor_fanout['missing']} deliveries missing (client or machine "
                            f"overloaded: the devcluster fan-out figures are suspect too)")
    except Exception as error:
        failures.append(f"{type(error).__name__}: {error}"[:3000])
        log(f"failed: {failures[-1]}")
    finally:
        if floor is not None:
            floor.stop()
        server.stop()

    v = results.get("versionFloor") or {}
    c = results.get("create") or {}
    lst, lfl = results.get("list") or {}, results.get("listFloor") or {}
    pg, pfl = results.get("pagedList") or {}, results.get("pagedListFloor") or {}
    fo, ff = results.get("fanout") or {}, results.get("fanoutFloor") or {}
    fod, ffd = fo.get("delay") or {}, ff.get("delay") or {}
    idle_rss, created_rss = (memory.get("afterVersionFloor") or {}).get("VmRSS"), \
        (memory.get("afterCreates") or {}).get("VmRSS")
    mib = lambda kib: None if kib is None else kib / 1024  # noqa: E731
    rows = [
        [f"create {N} Gadgets, C={C} (objects/s | GET /version req/s)",
         fmt(c.get("perSecond"), "{:.0f}/s"), fmt(v.get("perSecond"), "{:.0f}/s")],
        ["  latency p50", fmt(c.get("p50Ms"), "{:.2f} ms"), fmt(v.get("p50Ms"), "{:.2f} ms")],
        ["  latency p99", fmt(c.get("p99Ms"), "{:.2f} ms"), fmt(v.get("p99Ms"), "{:.2f} ms")],
        ["  devcluster CPU s | client CPU s",
         fmt(cpu_of(phases, "create", "devcluster"), "{:.2f} s") + " | " + fmt(cpu_of(phases, "create", "client"),
                                                                              "{:.2f} s"),
         fmt(cpu_of(phases, "versionFloor", "devcluster"), "{:.2f} s") + " | "
         + fmt(cpu_of(phases, "versionFloor", "client"), "{:.2f} s")],
        ["  devcluster CPU per request", fmt(per_request(phases, "create", c.get("ok")), "{:.3f} ms"),
         fmt(per_request(phases, "versionFloor", v.get("ok")), "{:.3f} ms")],
        ["devcluster RSS after creates (baseline: before them)", fmt(mib(created_rss), "{:.1f} MiB"),
         fmt(mib(idle_rss), "{:.1f} MiB")],
        [f"full list p50 ({fmt(mib((lst.get('bytes') or 0) / 1024), '{:.2f}')} MiB; baseline: same bytes, Python)",
         fmt(lst.get("p50Ms"), "{:.1f} ms"), fmt(lfl.get("p50Ms"), "{:.1f} ms")],
        [f"paged list limit={args.page_size}, {pg.get('pages')} pages, total p50",
         fmt(pg.get("p50Ms"), "{:.1f} ms"), fmt(pfl.get("p50Ms"), "{:.1f} ms")],
        ["  devcluster CPU per full list | per paged traversal",
         fmt(per_request(phases, "list", len(lst.get("timesMs") or [])), "{:.0f} ms") + " | "
         + fmt(per_request(phases, "pagedList", len(pg.get("totalsMs") or [])), "{:.0f} ms"), "-"],
        [f"watch fan-out W={W} M={M} @{args.fanout_rate:g}/s: delay p50 (baseline: Python broadcaster)",
         fmt(fod.get("p50Ms"), "{:.2f} ms"), fmt(ffd.get("p50Ms"), "{:.2f} ms")],
        ["  delay p99", fmt(fod.get("p99Ms"), "{:.2f} ms"), fmt(ffd.get("p99Ms"), "{:.2f} ms")],
        ["  delay max", fmt(fod.get("maxMs"), "{:.2f} ms"), fmt(ffd.get("maxMs"), "{:.2f} ms")],
        ["  events received / expected (missing)",
         f"{fo.get('deliveries', '-')}/{fo.get('expectedDeliveries', '-')} ({fo.get('missing', '-')})",
         f"{ff.get('deliveries', '-')}/{ff.get('expectedDeliveries', '-')} ({ff.get('missing', '-')})"],
        ["  server CPU s during the events | client CPU s",
         fmt(cpu_of(phases, "devclusterFanOut", "devcluster"), "{:.2f} s") + " | "
         + fmt(cpu_of(phases, "devclusterFanOut", "client"), "{:.2f} s"),
         fmt(cpu_of(phases, "floorFanOut", "floorServer"), "{:.2f} s") + " | "
         + fmt(cpu_of(phases, "floorFanOut", "client"), "{:.2f} s")],
        ["  server CPU per delivered event (CPU s during the events / (M × W))",
         fmt(per_delivery(cpu_of(phases, "devclusterFanOut", "devcluster"), fo.get("deliveries")), "{:.0f} µs"),
         fmt(per_delivery(cpu_of(phases, "floorFanOut", "floorServer"), ff.get("deliveries")), "{:.0f} µs")],
        ["  open the W watches one by one | server CPU s",
         fmt(fo.get("watchOpenSeconds"), "{:.2f} s") + " | "
         + fmt(cpu_of(phases, "devclusterWatchOpen", "devcluster"), "{:.2f} s"),
         fmt(ff.get("watchOpenSeconds"), "{:.2f} s") + " | "
         + fmt(cpu_of(phases, "floorWatchOpen", "floorServer"), "{:.2f} s")],
    ]

    figures = {
        "benchmark": "devcluster-bench",
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "host": {"cores": os.cpu_count(), "system": platform.platform(), "python": platform.python_version()},
        "server": {"binary": str(args.devcluster_bin), "version": getattr(server, "version", None),
                       "command": server.command[:1] + ["serve", "…"] + [a for a in server.command[2:]
                                                                         if a.startswith("--")]},
        "parameters": {"objects": N, "concurrency": C, "watchers": W, "fanoutEvents": M,
                       "fanoutRate": args.fanout_rate, "fanoutTimeout": args.fanout_timeout,
                       "listRuns": args.list_runs, "pagedRuns": args.paged_runs, "pageSize": args.page_size,
                       "dataDir": args.data_dir, "watchHistory": args.watch_history},
        "client": ("Python http.client, one keep-alive HTTPS connection per thread; watch streams: one TLS "
                   "connection each, all read by one selector thread"),
        **results,
        "memoryKiB": memory,
        "phases": phases.results,
        "notes": ("latencies: request written → body read; fan-out delay: watcher thread parsed the event − just "
                  "before the POST; baselines: GET /version on the same server and client, and a Python TLS server "
                  "(separate process) serving the same list bytes and broadcasting the same event lines; "
                  "cpuSeconds per phase from /proc/<pid>/stat"),
        "failures": failures,
        "runSeconds": round(time.monotonic() - started, 1),
    }
    merge_results(args.output, "devcluster", figures)

    print()
    print(f"devcluster: N={N} Gadgets, C={C} connections, W={W} watchers × M={M} events "
          f"({os.cpu_count()} cores; client: Python, http.client threads, watches read by one selector thread)")
    print(table(rows))
    busy = [(name, r["otherLoadPercent"]) for name, r in phases.results.items()
            if r["otherLoadPercent"] > OTHER_LOAD_WARNING and r["wallSeconds"] > 0.5]
    if busy:
        print(f"note: other processes used > {OTHER_LOAD_WARNING:.0f} % of a core during "
              + ", ".join(f"{n} ({o:.0f} %)" for n, o in busy) + ": those figures are skewed")
    saturated = [(name, r["cpuSeconds"]["client"] / r["wallSeconds"]) for name, r in phases.results.items()
                 if r["wallSeconds"] > 0.5 and r["cpuSeconds"].get("client", 0) / r["wallSeconds"] >= CLIENT_SATURATED]
    if saturated:
        print("note: the Python client used most of a core (its GIL's limit) during "
              + ", ".join(f"{n} ({100 * f:.0f} %)" for n, f in saturated)
              + ": there the figures are bounded by the client; the baseline beside them is measured the same way")
    print(f"written to {args.output} (key \"devcluster\"); run took {figures['runSeconds']:.0f} s")
    for failure in failures:
        print(f"FAILED: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
