"""Free ports for the pod's HTTP and UDP listeners and for helper servers."""

import socket

_handed_out = set()


def free_port() -> int:
    """A port free for both TCP and UDP on this host, never handed out twice in one test session
    (the pod binds TCP for HTTP and UDP for media; one number that is free for both is simplest)."""
    for _ in range(200):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind(("0.0.0.0", 0))
            port = tcp.getsockname()[1]
            if port in _handed_out:
                continue
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                try:
                    udp.bind(("0.0.0.0", port))
                except OSError:
                    continue
        _handed_out.add(port)
        return port
    raise RuntimeError("no free port found")


def _udp_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        try:
            udp.bind(("0.0.0.0", port))
        except OSError:
            return False
    return True


def free_rtp_ports(streams: int = 2) -> list:
    """`streams` even UDP ports P, P+2, ... for RTP receivers (an RTP receiver such as ffmpeg's also binds P+1 for
    RTCP, so the whole block P .. P+2*streams-1 is free), never handed out twice in one test session."""
    size = 2 * streams
    for _ in range(200):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind(("0.0.0.0", 0))
            base = udp.getsockname()[1] & ~1
        block = range(base, base + size)
        if base + size > 65535 or any(port in _handed_out for port in block):
            continue
        if all(_udp_free(port) for port in block):
            _handed_out.update(block)
            return list(range(base, base + size, 2))
    raise RuntimeError("no free block of RTP ports found")
