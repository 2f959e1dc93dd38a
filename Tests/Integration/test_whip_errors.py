"""The WHIP endpoint's HTTP contract (shared/DESIGN.md §4): the success path and every error status.

Offers are real ones made in-process by aiortc (harness/offers.py); only the 409 test connects a real publisher.
"""

import re
import time

import pytest

from harness import offers
from harness.ingest import wait_until_connected
from harness.pod import Broadcast

ORIGIN = "http://127.0.0.1:9"  # any other origin than the pod's: what a browser page would send


def post_offer(pod, body, token=None, namespace="studio", name="show", content_type="application/sdp",
               headers=None):
    all_headers = {"Origin": ORIGIN, **(headers or {})}
    if content_type is not None:
        all_headers["Content-Type"] = content_type
    if token is not None:
        all_headers["Authorization"] = f"Bearer {token}"
    data = body.encode() if isinstance(body, str) else body
    return pod.request("POST", f"/whip/{namespace}/{name}", data=data, headers=all_headers)


def header_list(response, name: str) -> set:
    return {item.strip().lower() for item in response.headers.get(name, "").split(",") if item.strip()}


def describe(response) -> str:
    return f"{response.status_code} {dict(response.headers)} {response.text[:300]!r}"


def test_post_answers_ice_lite_then_patch_and_delete(media_pod):
    pod = media_pod()
    offer = offers.h264_opus_offer()
    response = post_offer(pod, offer, token=pod.token())
    assert response.status_code == 201, describe(response)

    location = response.headers.get("Location", "")
    assert re.fullmatch(r"/whip/studio/show/sessions/[^/\s]+", location), f"Location {location!r}"
    assert response.headers.get("Content-Type", "").split(";")[0].strip() == "application/sdp", describe(response)
    assert response.headers.get("Access-Control-Allow-Origin") in ("*", ORIGIN), describe(response)
    assert "location" in header_list(response, "Access-Control-Expose-Headers"), describe(response)

    answer = response.text
    assert answer.startswith("v=0"), answer
    assert "a=ice-lite" in answer, f"answer is not ICE-lite:\n{answer}"
    # a=candidate:<foundation> <component> <transport> <priority> <address> <port> typ <type>
    candidates = {(f[2].lower(), f[4], f[5], f[7]) for f in (line.split() for line in answer.splitlines()
                                                               if line.startswith("a=candidate:"))}
    assert candidates == {("udp", pod.announced_ip, str(pod.udp_port), "host")}, \
        f"candidates {candidates}, expected one udp host candidate {pod.announced_ip}:{pod.udp_port}:\n{answer}"
    setups = {line.strip() for line in answer.splitlines() if line.startswith("a=setup:")}
    assert setups == {"a=setup:passive"}, f"setup lines {setups}:\n{answer}"
    assert re.search(r"^a=rtpmap:\d+ H264/90000", answer, re.M), f"answer without H.264:\n{answer}"
    assert re.search(r"^a=rtpmap:\d+ opus/48000/2", answer, re.M | re.I), f"answer without Opus:\n{answer}"

    ufrag = re.search(r"^a=ice-ufrag:(\S+)", offer, re.M).group(1)
    password = re.search(r"^a=ice-pwd:(\S+)", offer, re.M).group(1)
    fragment = (f"a=ice-ufrag:{ufrag}\r\na=ice-pwd:{password}\r\nm=video 9 UDP/TLS/RTP/SAVPF 99\r\na=mid:0\r\n"
                "a=candidate:2 1 udp 2130706175 127.0.0.1 9 typ host\r\na=end-of-candidates\r\n")
    patched = pod.request("PATCH", location, data=fragment.encode(),
                          headers={"Content-Type": "application/trickle-ice-sdpfrag",
                                   "Authorization": f"Bearer {pod.token()}", "Origin": ORIGIN})
    assert patched.status_code == 204, describe(patched)

    deleted = pod.request("DELETE", location, headers={"Authorization": f"Bearer {pod.token()}", "Origin": ORIGIN})
    assert deleted.status_code == 200, describe(deleted)


def test_options_preflight_allows_cross_origin_whip(media_pod):
    pod = media_pod()
    response = pod.request("OPTIONS", "/whip/studio/show", headers={
        "Origin": ORIGIN, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type"})
    assert response.status_code == 204, describe(response)
    assert response.headers.get("Access-Control-Allow-Origin") in ("*", ORIGIN), describe(response)
    assert "post" in header_list(response, "Access-Control-Allow-Methods"), describe(response)
    assert {"authorization", "content-type"} <= header_list(response, "Access-Control-Allow-Headers"), \
        describe(response)
    assert "location" in header_list(response, "Access-Control-Expose-Headers"), describe(response)


def test_missing_or_wrong_token_is_401(media_pod):
    pod = media_pod()
    offer = offers.h264_opus_offer()
    missing = post_offer(pod, offer, token=None)
    assert missing.status_code == 401, describe(missing)
    wrong = post_offer(pod, offer, token=pod.token() + "-wrong")
    assert wrong.status_code == 401, describe(wrong)
    other_scheme = post_offer(pod, offer, headers={"Authorization": f"Basic {pod.token()}"})
    assert other_scheme.status_code == 401, describe(other_scheme)
    assert pod.ingest()["state"] == "waiting", pod.broadcast()


def test_unknown_broadcast_is_404(media_pod):
    pod = media_pod()
    response = post_offer(pod, offers.h264_opus_offer(), token=pod.token(), name="no-such-show")
    assert response.status_code == 404, describe(response)
    other_namespace = post_offer(pod, offers.h264_opus_offer(), token=pod.token(), namespace="elsewhere")
    assert other_namespace.status_code == 404, describe(other_namespace)


@pytest.mark.parametrize("body", [
    "this is not an SDP offer",
    "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=video\r\n",
    "\x00\x01\x02 binary \xff garbage",
], ids=["prose", "broken-m-line", "binary"])
def test_malformed_sdp_is_400_with_one_line_reason(media_pod, body):
    pod = media_pod()
    response = post_offer(pod, body, token=pod.token())
    assert response.status_code == 400, describe(response)
    reason = response.text
    if reason.endswith("\r\n"):
        reason = reason[:-2]
    elif reason.endswith("\n"):
        reason = reason[:-1]
    assert reason.strip(), "400 without a reason in the body"
    assert "\n" not in reason and "\r" not in reason, f"reason is not one line: {response.text!r}"


def test_offer_without_h264_mode1_or_opus_is_406(media_pod):
    pod = media_pod()
    cases = {
        "VP8 only": offers.vp8_only_offer(),
        "H.264 without Opus (PCMU)": offers.h264_without_opus_offer(),
        "H.264 packetization-mode 0 only": offers.h264_mode0_only_offer(),
    }
    results = {case: post_offer(pod, offer, token=pod.token()) for case, offer in cases.items()}
    wrong = {case: describe(r) for case, r in results.items() if r.status_code != 406}
    assert not wrong, f"expected 406 for: {wrong}"


@pytest.mark.parametrize("content_type", ["text/plain", "application/json", None])
def test_wrong_content_type_is_415(media_pod, content_type):
    pod = media_pod()
    response = post_offer(pod, offers.h264_opus_offer(), token=pod.token(), content_type=content_type)
    assert response.status_code == 415, describe(response)


def test_body_over_64_kib_is_413(media_pod):
    pod = media_pod()
    offer = offers.h264_opus_offer()
    padding = "".join(f"a=x-padding-{i}:{'p' * 60}\r\n" for i in range(1100))
    body = offer + padding
    assert len(body.encode()) > 64 * 1024
    response = post_offer(pod, body, token=pod.token())
    assert response.status_code == 413, describe(response)


def test_more_than_n_posts_from_one_ip_is_429_with_retry_after(media_pod):
    pod = media_pod(rate_limit=5)
    offer = offers.h264_opus_offer()
    # Every POST counts, a bad token too.
    first = [post_offer(pod, offer, token="wrong-token").status_code for _ in range(5)]
    assert first == [401] * 5, f"the first 5 POSTs (bad token) answered {first}"
    limited = post_offer(pod, offer, token=pod.token())
    assert limited.status_code == 429, describe(limited)
    retry_after = limited.headers.get("Retry-After")
    assert retry_after is not None, f"429 without Retry-After: {describe(limited)}"
    assert re.fullmatch(r"\d+", retry_after.strip()) and int(retry_after) > 0 or re.search(r"GMT$", retry_after), \
        f"Retry-After {retry_after!r} is neither delay-seconds nor an HTTP-date"
    assert pod.request("GET", "/health").status_code == 200, "/health must not be rate-limited"
    assert pod.ingest()["state"] == "waiting"


def test_second_publisher_gets_409_and_live_session_is_unaffected(media_pod, publisher):
    pod = media_pod(broadcasts=[Broadcast("studio", "show")])
    process = publisher("aiortc", pod, duration=10)
    wait_until_connected(pod, process, "studio", "show", timeout=20)
    time.sleep(1.0)
    before = pod.ingest()

    conflict = post_offer(pod, offers.h264_opus_offer(), token=pod.token())
    assert conflict.status_code == 409, describe(conflict)

    time.sleep(2.0)
    after = pod.ingest()
    assert after["state"] == "connected", f"after the 409: {after}"
    assert after["videoFrames"] >= before["videoFrames"] + 30, \
        f"video stalled after the 409: {before['videoFrames']} → {after['videoFrames']} frames in 2 s"
    assert after["audioFrames"] > before["audioFrames"], f"audio stalled after the 409: {before} → {after}"
    assert after["srtpAuthFailures"] == 0, after
    assert process.wait(timeout=30) == 0, f"publisher failed: {process.result_line()}"
