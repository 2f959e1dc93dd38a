"""A flood of junk at the pod's one UDP port while a real publisher is live: the pod drops and counts every datagram,
keeps running, and the live session goes on untouched."""

import logging
import random
import time

from harness.ingest import wait_until_connected

DROPPED_METRIC = "media_pod_udp_datagrams_dropped_total"
RANDOM_DATAGRAMS = 10_000
SEED = 20240607
PUBLISH_SECONDS = 18
BATCH, BATCH_PAUSE = 50, 0.02  # ~2 500 datagrams/s: the kernel's receive buffer must not be what drops them

STUN_MAGIC_COOKIE = b"\x21\x12\xa4\x42"
logger = logging.getLogger("bad-input")


def random_datagrams(rng: random.Random, count: int) -> list:
    return [rng.randbytes(rng.randint(0, 1500)) for _ in range(count)]


def crafted_datagrams(rng: random.Random) -> list:
    """Datagrams that pass the first-byte demultiplexing (RFC 7983 §7) and then break the protocol's parser."""
    datagrams = []
    for _ in range(1000):  # STUN (first byte 0..3): magic cookie, then cut short or lying about its length
        header = (bytes([rng.choice((0x00, 0x01)), rng.choice((0x01, 0x11, 0x12))])
                  + rng.randint(4, 1000).to_bytes(2, "big") + STUN_MAGIC_COOKIE + rng.randbytes(12))
        datagrams.append(header[:rng.randint(1, 19)])
        datagrams.append(header + rng.randbytes(rng.randint(0, 3)))
    for _ in range(1000):  # DTLS records (content type 20..63) whose length field exceeds what follows
        record = (bytes([rng.randint(20, 63), 0xFE, 0xFD]) + rng.randbytes(8)
                  + rng.randint(64, 16384).to_bytes(2, "big") + rng.randbytes(rng.randint(0, 48)))
        datagrams.append(record[:rng.randint(1, len(record))])
    for _ in range(1000):  # RTP/RTCP (0x80..): truncated headers, RTCP lengths that lie
        payload_type = rng.choice((96, 99, 101, 111, 200, 201, 205, 206, rng.randint(0, 127)))
        packet = bytes([0x80 | rng.choice((0x00, 0x10, 0x20, 0x0F)), payload_type]) + rng.randbytes(rng.randint(0, 40))
        datagrams.append(packet)
    return datagrams


def udp_receive_errors() -> str:
    """The kernel's UDP drop counters, to tell a pod that missed datagrams from a kernel that never delivered them."""
    lines = open("/proc/net/snmp").read().splitlines()
    udp = [line for line in lines if line.startswith("Udp:")]
    names, values = udp[0].split()[1:], udp[1].split()[1:]
    stats = dict(zip(names, values))
    return f"InErrors={stats.get('InErrors')} RcvbufErrors={stats.get('RcvbufErrors')}"


def send_flood(port: int, datagrams: list) -> None:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        for index in range(0, len(datagrams), BATCH):
            for datagram in datagrams[index:index + BATCH]:
                sock.sendto(datagram, ("127.0.0.1", port))
            time.sleep(BATCH_PAUSE)


def test_udp_flood_is_dropped_counted_and_harmless(media_pod, publisher):
    pod = media_pod()
    process = publisher("aiortc", pod, duration=PUBLISH_SECONDS)
    wait_until_connected(pod, process, "studio", "show", timeout=20)
    time.sleep(1.5)

    metrics = pod.metrics()
    assert DROPPED_METRIC in metrics, f"/metrics has no {DROPPED_METRIC}; it has {sorted(metrics)}"
    dropped_before = sum(metrics[DROPPED_METRIC].values())
    before = pod.ingest()
    kernel_before = udp_receive_errors()

    rng = random.Random(SEED)
    datagrams = random_datagrams(rng, RANDOM_DATAGRAMS) + crafted_datagrams(rng)
    rng.shuffle(datagrams)
    started = time.monotonic()
    send_flood(pod.udp_port, datagrams)
    flood_seconds = time.monotonic() - started
    time.sleep(1.0)

    assert pod.alive(), f"media-pod died during the flood (code {pod.process.returncode})"
    health = pod.health()
    assert health["status"] == "ok", health
    metrics = pod.metrics()
    dropped = sum(metrics.get(DROPPED_METRIC, {}).values()) - dropped_before
    by_reason = {dict(labels).get("reason", "?"): value for labels, value in metrics.get(DROPPED_METRIC, {}).items()}
    after_flood = pod.ingest()
    time.sleep(2.0)
    later = pod.ingest()
    context = (f"\nsent {len(datagrams)} datagrams in {flood_seconds:.1f} s; {DROPPED_METRIC} grew by {dropped:.0f} "
               f"(by reason now: {by_reason}); kernel UDP before {kernel_before}, after {udp_receive_errors()}"
               f"\ningest before: {before}\nafter flood: {after_flood}\n2 s later: {later}")

    logger.info("flood result:%s", context)
    assert dropped >= RANDOM_DATAGRAMS, f"not every junk datagram was counted as dropped{context}"
    assert later["state"] == "connected", f"the live session did not survive the flood{context}"
    assert later["videoFrames"] > after_flood["videoFrames"] > before["videoFrames"], \
        f"video frames stopped arriving after the flood{context}"
    assert later["srtpAuthFailures"] == 0, f"junk from another address reached SRTP{context}"
    assert process.wait(timeout=PUBLISH_SECONDS + 30) == 0, f"publisher failed: {process.result_line()}{context}"
    assert pod.ingest()["srtpAuthFailures"] == 0
