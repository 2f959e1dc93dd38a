"""10 % packet loss between publisher and pod: the pod must NACK, the publisher's RTX must fill the gaps, and most
frames must come out whole.

aiortc is the publisher: it negotiates RTX and answers NACKs from its send history (GStreamer's webrtcbin offers no
RTX, shared/PEERS.md). The loss sits on the publisher's veth egress: netem where the kernel has it, else an nftables
egress rule with the same effect (harness/netns.py).
"""

from harness.ingest import observe

PUBLISH_SECONDS = 12


def test_nack_rtx_recover_ten_percent_loss(media_pod, publisher, netns):
    pair = netns(loss_percent=10)
    pod = media_pod(pair=pair)
    process = publisher("aiortc", pod, duration=PUBLISH_SECONDS, pair=pair)
    observation = observe(pod, process, duration=PUBLISH_SECONDS, connect_timeout=30)
    final = observation.final
    context = (f"\nloss: {pair.loss_method}: {pair.loss_counter()}\ningest samples:\n{observation.table()}")

    assert process.process.returncode == 0, f"publisher failed under loss: {process.result_line()}{context}"
    assert "corruptFrames" in final, f"ingest has no corruptFrames field{context}"
    assert (final.get("nacksSent") or 0) > 0, f"the pod sent no NACK under 10 % loss{context}"
    assert (final.get("rtxRecovered") or 0) > 0, f"no packet recovered through RTX{context}"

    # Frames keep arriving: the counter still grows over the last ~3 s of the publish.
    late = [s for s in observation.samples if s.at >= observation.samples[-1].at - 3.0]
    assert late[-1].ingest["videoFrames"] > late[0].ingest["videoFrames"], f"videoFrames stopped growing{context}"

    frames, corrupt = final.get("videoFrames") or 0, final.get("corruptFrames") or 0
    assert frames > 0, f"no video frame arrived{context}"
    ratio = frames / (frames + corrupt)
    assert ratio >= 0.8, f"only {ratio:.0%} of the frames were complete ({frames} ok, {corrupt} corrupt){context}"
