"""Two network namespaces joined by a veth pair: the pod on one side, a publisher on the other.

libnice (GStreamer) never gathers loopback candidates, so GStreamer peers need a real interface (shared/PEERS.md);
the pair also carries the loss tests. Names are unique per run (a random suffix), so leftovers of a killed run
never collide; the namespaces are always deleted on exit, which also removes the veth ends inside them.

Loss on the publisher's egress uses `tc netem` when the kernel has it; kernels without sch_netem (this machine's
Firecracker kernel has none) get the same effect from an nftables rule on the netdev egress hook of the publisher's
veth end: a random drop of the given share of its IP packets, invisible to the sender (unlike an `output` hook
drop, which makes sendto() fail with EPERM).
"""

import contextlib
import ctypes
import dataclasses
import os
import random
import re
import secrets
import shutil
import signal
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

CLONE_NEWNET = 0x40000000
NAME_PREFIX = "mp-itest-"
STALE_NAME = re.compile(rf"^{NAME_PREFIX}(\d+)-[0-9a-f]+-(pod|pub)$")


def run(*command: str, check: bool = True, input: str = None) -> subprocess.CompletedProcess:
    result = subprocess.run(command, capture_output=True, text=True, input=input)
    if check and result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({result.returncode}): {result.stderr.strip()}")
    return result


def require_tool(name: str, package: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise RuntimeError(f"`{name}` not found: install the Debian package {package}")
    return path


@dataclasses.dataclass
class Side:
    """One namespace of the pair."""

    namespace: str
    interface: str
    address: str

    def exec_prefix(self) -> list:
        """Prefix a command with this to run it inside the namespace."""
        return ["ip", "netns", "exec", self.namespace]


class NetnsPair:
    """`with NetnsPair(loss_percent=10) as pair:` → pair.pod and pair.publisher (each a Side)."""

    def __init__(self, loss_percent: float = 0.0, subnet_octet: int = None) -> None:
        require_tool("ip", "iproute2")
        suffix = secrets.token_hex(3)
        octet = subnet_octet if subnet_octet is not None else random.randint(1, 254)
        self.subnet = f"10.231.{octet}.0/24"
        # The namespace names carry this process's pid, so a later run can tell leftovers of a dead run
        # (remove_stale_namespaces) from the namespaces of a run still going on beside it.
        prefix = f"{NAME_PREFIX}{os.getpid()}-{suffix}"
        self.pod = Side(f"{prefix}-pod", f"mp{suffix}p", f"10.231.{octet}.1")
        self.publisher = Side(f"{prefix}-pub", f"mp{suffix}c", f"10.231.{octet}.2")
        self.loss_percent = loss_percent
        self.loss_method = None
        self._executors = {}

    def __enter__(self) -> "NetnsPair":
        try:
            self._create()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def _create(self) -> None:
        for side in (self.pod, self.publisher):
            run("ip", "netns", "add", side.namespace)
        run("ip", "link", "add", self.pod.interface, "netns", self.pod.namespace, "type", "veth",
            "peer", "name", self.publisher.interface, "netns", self.publisher.namespace)
        for side in (self.pod, self.publisher):
            ns = side.namespace
            # No IPv6: no varying fe80:: candidates (shared/PEERS.md).
            for key in ("all", "default", "lo"):
                run("ip", "netns", "exec", ns, "sysctl", "-qw", f"net.ipv6.conf.{key}.disable_ipv6=1")
            run("ip", "-n", ns, "link", "set", "lo", "up")
            run("ip", "-n", ns, "addr", "add", f"{side.address}/24", "dev", side.interface)
            run("ip", "-n", ns, "link", "set", side.interface, "up")
        if self.loss_percent:
            self._add_loss()
        self._wait_for_link()

    def _add_loss(self) -> None:
        side = self.publisher
        netem = run("ip", "netns", "exec", side.namespace, "tc", "qdisc", "add", "dev", side.interface, "root",
                    "netem", "loss", f"{self.loss_percent}%", check=False)
        if netem.returncode == 0:
            self.loss_method = "netem"
            return
        require_tool("nft", "nftables")
        per_mille = int(round(self.loss_percent * 10))
        ruleset = f"""
table netdev mp_loss {{
  chain egress {{
    type filter hook egress device "{side.interface}" priority 0; policy accept;
    meta protocol ip numgen random mod 1000 < {per_mille} counter drop
  }}
}}
"""
        run("ip", "netns", "exec", side.namespace, "nft", "-f", "-", input=ruleset)
        self.loss_method = f"nftables (netem unavailable: {netem.stderr.strip()})"

    def loss_counter(self) -> str:
        """What the loss rule dropped so far, for diagnostics."""
        side = self.publisher
        if self.loss_method == "netem":
            return run("ip", "netns", "exec", side.namespace, "tc", "-s", "qdisc", "show", "dev",
                       side.interface, check=False).stdout.strip()
        if self.loss_method:
            out = run("ip", "netns", "exec", side.namespace, "nft", "list", "table", "netdev", "mp_loss",
                      check=False).stdout
            return " ".join(l.strip() for l in out.splitlines() if "counter" in l)
        return "no loss configured"

    def _wait_for_link(self, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = run("ip", "-n", self.publisher.namespace, "-br", "link", "show", self.publisher.interface,
                        check=False).stdout
            if " UP " in f" {state} ":
                return
            time.sleep(0.05)
        raise RuntimeError(f"veth {self.publisher.interface} did not come up: {state.strip()}")

    def call_in(self, side: Side, function, *args, **kwargs):
        """Run function(*args, **kwargs) on a thread that lives in side's namespace (sockets opened there
        belong to it): lets the test process reach the pod's HTTP port without `ip netns exec`."""
        executor = self._executors.get(side.namespace)
        if executor is None:
            executor = ThreadPoolExecutor(max_workers=1, initializer=_enter_namespace,
                                          initargs=(side.namespace,))
            self._executors[side.namespace] = executor
        return executor.submit(function, *args, **kwargs).result()

    def close(self) -> None:
        for executor in self._executors.values():
            executor.shutdown(wait=True)
        self._executors.clear()
        existing = run("ip", "netns", "list", check=False).stdout.split()
        for side in (self.publisher, self.pod):
            if side.namespace in existing:
                _delete_namespace(side.namespace)


def _delete_namespace(namespace: str) -> None:
    # Only processes a test started live in these namespaces.
    for pid in run("ip", "netns", "pids", namespace, check=False).stdout.split():
        with contextlib.suppress(ProcessLookupError, ValueError):
            os.kill(int(pid), signal.SIGKILL)
    run("ip", "netns", "del", namespace, check=False)


def remove_stale_namespaces() -> list:
    """Deletes the test namespaces left by runs whose process is gone (killed mid-test); returns their names."""
    if shutil.which("ip") is None:
        return []
    removed = []
    for line in run("ip", "netns", "list", check=False).stdout.splitlines():
        name = line.split()[0] if line.split() else ""
        match = STALE_NAME.match(name)
        if match and not os.path.exists(f"/proc/{match.group(1)}"):
            _delete_namespace(name)
            removed.append(name)
    return removed


_libc = ctypes.CDLL(None, use_errno=True)


def _enter_namespace(namespace: str) -> None:
    fd = os.open(f"/run/netns/{namespace}", os.O_RDONLY)
    try:
        if _libc.setns(fd, CLONE_NEWNET) != 0:
            error = ctypes.get_errno()
            raise OSError(error, f"setns({namespace}): {os.strerror(error)}")
    finally:
        os.close(fd)
