"""Each real publisher (Chromium, GStreamer webrtcbin, aiortc) publishes ~10 s of 1280x720@30 H.264 + Opus over WHIP;
the pod must receive it whole: frames, keyframes, resolution, frame rate, audio, no SRTP authentication failures."""

from harness.ingest import check_healthy_ingest, observe

PUBLISH_SECONDS = 10


def assert_healthy(observation, process) -> None:
    failures = check_healthy_ingest(observation, process)
    assert not failures, ("\n".join(failures) + "\n\ningest samples:\n" + observation.table())


def test_chromium_publishes_720p30_on_loopback(media_pod, publisher):
    pod = media_pod()
    process = publisher("chromium", pod, duration=PUBLISH_SECONDS)
    observation = observe(pod, process, duration=PUBLISH_SECONDS, connect_timeout=40)
    assert_healthy(observation, process)


def test_gstreamer_publishes_720p30_across_namespaces(media_pod, publisher, netns):
    pair = netns()
    pod = media_pod(pair=pair)
    process = publisher("gst", pod, duration=PUBLISH_SECONDS, pair=pair)
    observation = observe(pod, process, duration=PUBLISH_SECONDS)
    assert_healthy(observation, process)


def test_aiortc_publishes_720p30_on_loopback(media_pod, publisher):
    pod = media_pod()
    process = publisher("aiortc", pod, duration=PUBLISH_SECONDS)
    observation = observe(pod, process, duration=PUBLISH_SECONDS)
    assert_healthy(observation, process)
