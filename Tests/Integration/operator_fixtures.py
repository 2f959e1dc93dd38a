"""Fixtures for the operator tests (test_operator_*.py), loaded by conftest.py as a plugin.

The operator considers the media pods of every namespace, so each test gets a devcluster of its own
(`operator_cluster`, ~0.5 s to start, the CRD of manifests/crd applied): no test sees another's pods or Broadcasts.
`operator(...)` starts `broadcast-operator run` against it; a failing test's report ends with each operator's log
tail, and an operator that exited by itself fails the test.
"""

import pathlib

import pytest

from devcluster_fixtures import unique_name
from harness.devcluster import DevCluster
from harness.media_pods import BroadcastHistory, Broadcasts, MediaPods
from harness.operator import Operator

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]
CRD = REPO_ROOT / "manifests/crd/broadcasts.media.streamlick.io.yaml"


def _attachments(node) -> list:
    # The same list conftest.py's pytest_runtest_makereport appends to a failing test's report.
    if not hasattr(node, "_media_attachments"):
        node._media_attachments = []
    return node._media_attachments


def apply_crd(cluster: DevCluster) -> None:
    cluster.kubectl("apply", "-f", str(CRD))
    cluster.kubectl("wait", "--for=condition=Established", "--timeout=20s", "crd/broadcasts.media.streamlick.io")


@pytest.fixture
def operator_cluster(private_devcluster) -> DevCluster:
    """A devcluster of this test alone (with a data dir, so it can be restarted), the Broadcast CRD applied."""
    cluster = private_devcluster()
    apply_crd(cluster)
    return cluster


@pytest.fixture
def operator_namespace(request, operator_cluster) -> str:
    name = unique_name("op", request)
    operator_cluster.create_namespace(name)
    return name


@pytest.fixture
def media_pods(operator_cluster, operator_namespace) -> MediaPods:
    """The test playing kubelet for media pods in its namespace."""
    return MediaPods(operator_cluster, operator_namespace)


@pytest.fixture
def broadcasts(operator_cluster, operator_namespace) -> Broadcasts:
    return Broadcasts(operator_cluster, operator_namespace)


@pytest.fixture
def broadcast_history(operator_cluster, operator_namespace):
    """broadcast_history() → a started BroadcastHistory of the test's namespace, stopped after the test."""
    histories = []

    def start() -> BroadcastHistory:
        history = BroadcastHistory(operator_cluster, operator_namespace).start()
        histories.append(history)
        return history

    yield start
    for history in histories:
        history.stop()


@pytest.fixture
def operator(request, tmp_path, operator_cluster):
    """operator(*flags, identity=None, wait="started") → a started Operator against the test's devcluster.

    `wait="started"` waits for its "controllers started" line, "healthy" for /healthz (a leader-election standby),
    None for nothing. Stopped (SIGTERM) after the test; one that exited by itself fails the test."""
    started = []

    def start(*flags, identity: str = None, wait: str = "started") -> Operator:
        process = Operator(tmp_path / f"operator-{len(started) + 1}", operator_cluster.kubeconfig, flags,
                           identity=identity)
        started.append(process)
        _attachments(request.node).append(
            (f"operator {len(started)} log tail ({process.log_path})", lambda: process.log_tail(80)))
        try:
            process.start(wait=wait)
        except RuntimeError as error:
            pytest.fail(str(error), pytrace=False)
        return process

    yield start
    crashed = [process for process in started if process.process is not None and process.process.poll() is not None
               and not process.ended_by_test]
    for process in started:
        process.stop()
    if crashed:
        pytest.fail("\n".join(f"broadcast-operator exited by itself with code {p.process.returncode}:\n"
                              f"{p.log_tail(40)}" for p in crashed), pytrace=False)
