"""Watching a broadcast's egress destinations (GET /v1/broadcasts) while a test publishes and breaks things, and the
checks shared by the egress tests.

EgressWatch samples the destinations in a background thread (every 0.1 s), so a test can stop and restart sinks
while the history keeps being recorded; `table()` prints that history (one line per change, and one per second
otherwise) for failure messages.
"""

import dataclasses
import threading
import time

import requests

from .pod import MediaPod

POLL_INTERVAL = 0.1


@dataclasses.dataclass
class EgressSample:
    at: float          # time.monotonic()
    ingest_state: str
    destinations: dict  # name → entry of /v1/broadcasts
    error: str = ""

    def state(self, name: str) -> str:
        return (self.destinations.get(name) or {}).get("state")

    def line(self, origin: float) -> str:
        if self.error:
            return f"t={self.at - origin:6.2f}s error: {self.error}"
        parts = []
        for name, d in sorted(self.destinations.items()):
            parts.append(f"{name}={d.get('state')} kbps={d.get('bitrateKbps')} bytes={d.get('bytesSent')} "
                         f"reconnects={d.get('reconnects')} lastError={d.get('lastError')!r}")
        return f"t={self.at - origin:6.2f}s ingest={self.ingest_state} | " + " | ".join(parts)

    def key(self) -> tuple:
        """What counts as a change worth a line of its own."""
        return (self.ingest_state, self.error,
                tuple((n, d.get("state"), d.get("reconnects"), d.get("lastError"))
                      for n, d in sorted(self.destinations.items())))


class EgressWatch:
    """`with EgressWatch(pod) as watch:` samples the destinations of one broadcast until the block ends."""

    def __init__(self, pod: MediaPod, namespace: str = "studio", name: str = "show") -> None:
        self.pod = pod
        self.namespace = namespace
        self.name = name
        self.samples = []
        self.origin = time.monotonic()
        self.events = []  # (time, text): what the test did, shown in the table
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "EgressWatch":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            now = time.monotonic()
            try:
                broadcast = self.pod.broadcast(self.namespace, self.name)
                destinations = {d.get("name"): d for d in broadcast.get("destinations") or []}
                sample = EgressSample(now, (broadcast.get("ingest") or {}).get("state"), destinations)
            except (requests.RequestException, KeyError, ValueError) as error:
                sample = EgressSample(now, None, {}, error=f"{type(error).__name__}: {error}")
            with self._lock:
                self.samples.append(sample)
            self._stop.wait(POLL_INTERVAL)

    def note(self, text: str) -> float:
        """Records something the test did, for the table; returns the moment."""
        now = time.monotonic()
        with self._lock:
            self.events.append((now, text))
        return now

    def snapshot(self) -> list:
        with self._lock:
            return list(self.samples)

    @property
    def latest(self) -> EgressSample:
        samples = self.snapshot()
        return samples[-1] if samples else None

    def first(self, name: str, state: str, after: float = 0.0) -> float:
        """When `name` was first seen in `state` (at or after `after`), or None."""
        for sample in self.snapshot():
            if sample.at >= after and sample.state(name) == state:
                return sample.at
        return None

    def between(self, start: float, end: float) -> list:
        return [s for s in self.snapshot() if start <= s.at <= end]

    def wait_for(self, what: str, predicate, timeout: float, publisher=None) -> EgressSample:
        """Waits until predicate(latest sample) holds; AssertionError with the history otherwise."""
        deadline = time.monotonic() + timeout
        seen = 0
        while time.monotonic() < deadline:
            samples = self.snapshot()
            for sample in samples[seen:]:
                if not sample.error and predicate(sample):
                    return sample
            seen = len(samples)
            if not self.pod.alive():
                raise AssertionError(f"media-pod exited (code {self.pod.process.returncode}) while waiting for "
                                     f"{what}\n{self.table()}")
            if publisher is not None and not publisher.running():
                raise AssertionError(f"the {publisher.kind} publisher ended ({publisher.result_line()}) while "
                                     f"waiting for {what}\n{self.table()}")
            time.sleep(POLL_INTERVAL / 2)
        raise AssertionError(f"{what}: not seen within {timeout:.0f} s\n{self.table()}")

    def wait_state(self, name: str, states, timeout: float, publisher=None) -> EgressSample:
        states = {states} if isinstance(states, str) else set(states)
        return self.wait_for(f"destination {name!r} in state {'/'.join(sorted(states))}",
                             lambda s: s.state(name) in states, timeout, publisher)

    def table(self, limit: int = 120) -> str:
        """The history: a line whenever something changed, otherwise one per second; the test's notes in between."""
        lines, last_key, last_at = [], None, None
        events = list(self.events)
        for sample in self.snapshot():
            while events and events[0][0] <= sample.at:
                at, text = events.pop(0)
                lines.append(f"t={at - self.origin:6.2f}s >>> {text}")
            if sample.key() != last_key or last_at is None or sample.at - last_at >= 1.0:
                lines.append(sample.line(self.origin))
                last_key, last_at = sample.key(), sample.at
        lines += [f"t={at - self.origin:6.2f}s >>> {text}" for at, text in events]
        if len(lines) > limit:
            lines = lines[:limit // 2] + [f"... ({len(lines) - limit} lines left out) ..."] + lines[-limit // 2:]
        return "destinations seen in /v1/broadcasts:\n" + "\n".join(lines)


def secret_leaks(pod: MediaPod, extra_texts: dict = None) -> list:
    """Where any stream key or ingest token of the pod's broadcasts shows up: the pod's whole log, /metrics and
    /v1/broadcasts (plus `extra_texts`, {title: text}). Empty: no leak."""
    texts = {"media-pod log": pod.log_text()}
    if pod.alive():
        try:
            texts["/metrics"] = pod.metrics_text()
            texts["/v1/broadcasts"] = pod.request("GET", "/v1/broadcasts").text
        except requests.RequestException as error:
            texts["(HTTP)"] = f"could not read /metrics or /v1/broadcasts: {error}"
    texts.update(extra_texts or {})
    # The first line of the pod's log is the test's own record of the command line (no secret is on it).
    leaks = []
    for title, text in texts.items():
        for secret in pod.secret_values:
            for line in text.splitlines():
                if secret in line:
                    leaks.append(f"{title}: {line.strip()[:300]}")
    return leaks


def key_free(text: str, destination) -> bool:
    return destination.stream_key not in (text or "")
