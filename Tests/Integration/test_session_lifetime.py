"""How long a publisher session lives: past the 30 s consent window while media flows, and no longer than that
once a publisher vanishes without a WHIP DELETE."""
import time

from harness.ingest import observe, wait_until_connected

CONSENT_TIMEOUT = 30.0


def test_gstreamer_session_outlives_the_consent_window(media_pod, publisher, netns):
    # libnice sends no connectivity checks once connected; authenticated media must keep the session.
    pair = netns()
    pod = media_pod(pair=pair)
    duration = CONSENT_TIMEOUT + 10
    process = publisher("gst", pod, duration=duration, pair=pair)
    observation = observe(pod, process, duration=duration)
    late = [s for s in observation.samples if s.at > CONSENT_TIMEOUT + 3]
    assert late, observation.table()
    assert all(s.ingest["state"] == "connected" for s in late), observation.table()
    assert late[-1].ingest["videoFrames"] > late[0].ingest["videoFrames"], observation.table()


def test_vanished_publisher_is_dropped_and_replaced(media_pod, publisher):
    pod = media_pod()
    first = publisher("aiortc", pod, duration=40)
    wait_until_connected(pod, first, "studio", "show", 30)
    first.kill()  # no WHIP DELETE, no DTLS close: the session just goes silent
    killed_at = time.monotonic()

    second = publisher("aiortc", pod, duration=5)
    # While the old session's consent is fresh the broadcast is taken (409); the second publisher fails.
    assert second.wait(timeout=30) != 0, second.output_tail()
    assert "409" in second.output(), second.output_tail()

    while pod.ingest()["state"] == "connected":
        assert time.monotonic() - killed_at < CONSENT_TIMEOUT + 5, "the silent session was never dropped"
        time.sleep(0.5)
    assert time.monotonic() - killed_at > CONSENT_TIMEOUT - 2

    third = publisher("aiortc", pod, duration=5)
    wait_until_connected(pod, third, "studio", "show", 30)
    assert third.wait(timeout=30) == 0, third.output_tail()
    assert "RESULT: ok" in third.output()
