"""The publishers alone, against a stub WHIP endpoint that records the offer and answers 500 (harness/stub_whip.py).

No media pod needed: when an ingest test fails, these tell whether the peer itself still works on this machine
(H.264 packetization-mode 1 and Opus offered, Chromium's cross-origin preflight sent, GStreamer gathering in a
namespace).
"""

import json
import pathlib
import re
import subprocess
import sys
import time

import pytest
import requests

from harness import peers
from harness.ports import free_port

pytestmark = pytest.mark.peers
HERE = pathlib.Path(__file__).resolve().parent


class Stub:
    def __init__(self, tmp_path: pathlib.Path, pair=None) -> None:
        self.port = free_port()
        self.record_dir = tmp_path / "offers"
        self.host = pair.pod.address if pair else "127.0.0.1"
        self.log_path = tmp_path / "stub.log"
        command = [sys.executable, "-m", "harness.stub_whip", "--port", str(self.port),
                   "--record-dir", str(self.record_dir)]
        prefix = pair.pod.exec_prefix() if pair else []
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(prefix + command, cwd=HERE, stdout=log, stderr=subprocess.STDOUT)
        self.pair = pair
        self.wait_listening()

    @property
    def whip_url(self) -> str:
        return f"http://{self.host}:{self.port}/whip/studio/show"

    def wait_listening(self) -> None:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                get = lambda: requests.options(self.whip_url, timeout=1)
                (self.pair.call_in(self.pair.pod, get) if self.pair else get())
                return
            except requests.RequestException:
                time.sleep(0.1)
        raise AssertionError(f"stub WHIP server did not start: {self.log_path.read_text()}")

    def offer(self) -> str:
        offers = sorted(self.record_dir.glob("offer-*.sdp"))
        assert offers, f"the stub received no offer; stub log:\n{self.log_path.read_text()}"
        return offers[-1].read_text()

    def request_headers(self) -> dict:
        return json.loads(sorted(self.record_dir.glob("offer-*.json"))[-1].read_text())["headers"]

    def log(self) -> str:
        return self.log_path.read_text()

    def stop(self) -> None:
        self.process.kill()
        self.process.wait()


@pytest.fixture
def stub(tmp_path):
    stubs = []

    def start(pair=None) -> Stub:
        stubs.append(Stub(tmp_path, pair))
        return stubs[-1]

    yield start
    for s in stubs:
        s.stop()


def assert_h264_mode1_and_opus(offer: str) -> None:
    h264 = re.findall(r"^a=rtpmap:(\d+) H264/90000", offer, re.M)
    assert h264, f"no H.264 in the offer:\n{offer}"
    mode1 = [pt for pt in h264 if re.search(rf"^a=fmtp:{pt} .*packetization-mode=1", offer, re.M)]
    assert mode1, f"no H.264 with packetization-mode=1:\n{offer}"
    assert re.search(r"^a=rtpmap:\d+ opus/48000/2", offer, re.M | re.I), f"no Opus in the offer:\n{offer}"
    assert re.search(r"^a=candidate:", offer, re.M), f"no ICE candidate in the offer:\n{offer}"


def test_aiortc_publisher_offers_h264_and_opus(stub, tmp_path, clip):
    server = stub()
    log_path = tmp_path / "aiortc.log"
    process = peers.PublisherProcess("aiortc", peers.aiortc_command(server.whip_url, "tok", 2, clip, "127.0.0.1"),
                                     log_path)
    assert process.wait(timeout=30) == 2, process.output()  # 2: the POST was refused, as the stub does
    offer = server.offer()
    assert_h264_mode1_and_opus(offer)
    video = offer.split("m=audio")[0]
    first_video_pt = re.search(r"^m=video \d+ \S+ (\d+)", video, re.M).group(1)
    assert re.search(rf"^a=rtpmap:{first_video_pt} H264/90000", video, re.M), f"H.264 not first:\n{offer}"
    assert "127.0.0.1" in re.search(r"^a=candidate:.*$", offer, re.M).group(0)
    assert server.request_headers().get("Authorization") == "Bearer tok"


def test_chromium_page_offers_h264_first_from_another_origin(stub, tmp_path):
    problem = peers.check_chromium()
    if problem:
        pytest.fail(problem)
    server = stub()
    process = peers.PublisherProcess("chromium", peers.chromium_command(server.whip_url, "tok", 2,
                                                                        tmp_path / "chromium"),
                                     tmp_path / "chromium.log")
    assert process.wait(timeout=60) == 1, process.output()
    assert "WHIP POST answered 500" in process.output(), process.output()
    offer = server.offer()
    assert_h264_mode1_and_opus(offer)
    first_video_pt = re.search(r"^m=video \d+ \S+ (\d+)", offer, re.M).group(1)
    assert re.search(rf"^a=fmtp:{first_video_pt} .*packetization-mode=1", offer, re.M), \
        f"H.264 packetization-mode=1 is not the first video codec:\n{offer}"
    assert "OPTIONS /whip/studio/show" in server.log(), f"no CORS preflight:\n{server.log()}"
    origin = server.request_headers().get("Origin", "")
    assert origin.startswith("http://127.0.0.1:") and not origin.endswith(f":{server.port}"), origin


def test_gstreamer_publisher_offers_h264_in_a_namespace(stub, netns, tmp_path):
    problem = peers.check_gstreamer()
    if problem:
        pytest.fail(problem)
    pair = netns()
    server = stub(pair)
    process = peers.PublisherProcess("gst", peers.gst_command(server.whip_url, "tok", 2, pair.publisher),
                                     tmp_path / "gst.log")
    assert process.wait(timeout=30) == 2, process.output()
    offer = server.offer()
    assert_h264_mode1_and_opus(offer)
    assert pair.publisher.address in offer, f"no candidate on the namespace address:\n{offer}"
    assert "a=end-of-candidates" in offer
