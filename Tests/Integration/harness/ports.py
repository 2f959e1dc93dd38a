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
