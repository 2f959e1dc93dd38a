"""Watching a broadcast's ingest counters (GET /v1/broadcasts) while a publisher runs, and the checks every
publisher must pass."""

import dataclasses
import logging
import time

import requests

from .peers import PublisherProcess
from .pod import MediaPod

POLL_INTERVAL = 0.5
logger = logging.getLogger("ingest")


@dataclasses.dataclass
class Sample:
    at: float  # seconds since the ingest became connected
    ingest: dict

    def line(self) -> str:
        i = self.ingest
        return (f"t={self.at:5.1f}s state={i.get('state')} videoFrames={i.get('videoFrames')} "
                f"corrupt={i.get('corruptFrames')} keyframes={i.get('keyframes')} fps={i.get('fps')} "
                f"{i.get('width')}x{i.get('height')} audioFrames={i.get('audioFrames')} "
                f"kbps={i.get('bitrateKbps')} pkts={i.get('packetsReceived')} lost={i.get('packetsLost')} "
                f"nacks={i.get('nacksSent')} rtx={i.get('rtxRecovered')} srtpAuthFail={i.get('srtpAuthFailures')}")


@dataclasses.dataclass
class Observation:
    samples: list
    final: dict = None

    def table(self) -> str:
        lines = [s.line() for s in self.samples]
        if self.final is not None:
            lines.append("after the publisher ended: " + Sample(float("nan"), self.final).line())
        return "\n".join(lines)

    @property
    def last(self) -> dict:
        return self.samples[-1].ingest


def wait_until_connected(pod: MediaPod, publisher: PublisherProcess, namespace: str, name: str,
                         timeout: float) -> float:
    """Polls until the pod reports the ingest connected; returns that moment (time.monotonic())."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if not pod.alive():
            raise AssertionError(f"media-pod exited (code {pod.process.returncode}) while {publisher.kind} "
                                 f"was connecting; publisher said: {publisher.result_line()}")
        try:
            last = pod.ingest(namespace, name)
        except (requests.RequestException, KeyError) as error:
            last = {"error": str(error)}
        if last.get("state") == "connected":
            return time.monotonic()
        if not publisher.running():
            raise AssertionError(f"{publisher.kind} publisher ended (code {publisher.process.returncode}) before "
                                 f"the pod reported the ingest connected; publisher said: "
                                 f"{publisher.result_line()}; last ingest: {last}")
        time.sleep(0.2)
    raise AssertionError(f"pod never reported {namespace}/{name} connected within {timeout:.0f} s; last ingest: "
                         f"{last}; {publisher.kind} publisher said: {publisher.result_line()}")


def observe(pod: MediaPod, publisher: PublisherProcess, namespace: str = "studio", name: str = "show",
            duration: float = 10.0, connect_timeout: float = 30.0) -> Observation:
    """Samples the ingest from the moment it is connected until shortly before the publisher's end (so the last
    sample is read while media still flows), then waits for the publisher and takes a final snapshot."""
    connected_at = wait_until_connected(pod, publisher, namespace, name, connect_timeout)
    samples = []
    stop_at = connected_at + duration - 1.0
    while True:
        now = time.monotonic()
        samples.append(Sample(now - connected_at, pod.ingest(namespace, name)))
        if now + POLL_INTERVAL > stop_at:
            break
        time.sleep(POLL_INTERVAL)
    observation = Observation(samples)
    publisher.wait(timeout=duration + 30)
    observation.final = pod.ingest(namespace, name)
    logger.info("%s publisher exited %s; ingest of %s/%s:\n%s", publisher.kind, publisher.process.returncode,
                namespace, name, observation.table())
    return observation


def check_healthy_ingest(observation: Observation, publisher: PublisherProcess) -> list:
    """The checks every publisher of ~10 s of 1280x720@30 + Opus must pass. Returns the failures (empty: ok)."""
    failures = []
    last, final = observation.last, observation.final
    if publisher.process.returncode != 0:
        failures.append(f"{publisher.kind} publisher exited {publisher.process.returncode}: "
                        f"{publisher.result_line()}")
    not_connected = [s.line() for s in observation.samples if s.ingest.get("state") != "connected"]
    if not_connected:
        failures.append(f"state not 'connected' while publishing: {not_connected[:3]}")
    if not (last.get("fps") or 0) >= 25:
        failures.append(f"fps {last.get('fps')} < 25 near the end of the publish")
    if (last.get("width"), last.get("height")) != (1280, 720):
        failures.append(f"resolution {last.get('width')}x{last.get('height')} != 1280x720")
    if not (final.get("videoFrames") or 0) >= 250:
        failures.append(f"videoFrames {final.get('videoFrames')} < 250")
    if not (final.get("keyframes") or 0) >= 1:
        failures.append(f"keyframes {final.get('keyframes')} < 1")
    if not (final.get("audioFrames") or 0) >= 450:
        failures.append(f"audioFrames {final.get('audioFrames')} < 450")
    if final.get("srtpAuthFailures") != 0 or last.get("srtpAuthFailures") != 0:
        failures.append(f"srtpAuthFailures {final.get('srtpAuthFailures')} != 0")
    for counter in ("videoFrames", "audioFrames", "packetsReceived", "bytesReceived"):
        if (final.get(counter) or 0) < (last.get(counter) or 0):
            failures.append(f"{counter} went down after the publisher ended ({last.get(counter)} → "
                            f"{final.get(counter)}): counters must be cumulative per broadcast")
    return failures
