"""Fixtures for the devcluster tests (test_devcluster_*.py), loaded by conftest.py as a plugin.

One devcluster per test module (`devcluster`, module scope) keeps the suite fast; every test works in its own
namespace (`namespace`) with its own names, so the tests of a module do not see each other. Tests that restart or
kill the server get a private one (`private_devcluster`). A failing test's report ends with the part of the server's
log written during that test; a server that exited by itself fails the test during which it did.
"""

import pathlib
import re
import secrets

import pytest

from harness.devcluster import DevCluster

FIXTURES = pathlib.Path(__file__).resolve().parent / "fixtures" / "devcluster"
BROADCAST_CRD = FIXTURES / "broadcasts.media.streamlick.io.yaml"
WIDGET_CRD = FIXTURES / "widgets.test.streamlick.io.yaml"


def _attachments(node) -> list:
    # The same list conftest.py's pytest_runtest_makereport appends to a failing test's report.
    if not hasattr(node, "_media_attachments"):
        node._media_attachments = []
    return node._media_attachments


def _start(cluster: DevCluster) -> DevCluster:
    try:
        cluster.start()
    except RuntimeError as error:
        pytest.fail(str(error), pytrace=False)
    return cluster


@pytest.fixture(scope="module")
def devcluster(tmp_path_factory) -> DevCluster:
    """A devcluster shared by the tests of one module, with a data dir; stopped after the module."""
    cluster = DevCluster(tmp_path_factory.mktemp("devcluster"))
    _start(cluster)
    yield cluster
    cluster.close()


@pytest.fixture(autouse=True)
def _devcluster_watchdog(request):
    """For tests using `devcluster`: restarts it if an earlier test left it dead, attaches this test's part of its
    log to a failure, and fails the test during which it exited by itself."""
    if "devcluster" not in request.fixturenames:
        yield
        return
    cluster = request.getfixturevalue("devcluster")
    if not cluster.alive():
        _start(cluster)
    since = cluster.log_size()
    _attachments(request.node).append(
        (f"devcluster log during this test ({cluster.log_path})", lambda: cluster.log_tail(80, since=since)))
    yield
    if cluster.process.poll() is not None and not cluster.stopped_by_test:
        pytest.fail(f"devcluster exited by itself with code {cluster.process.returncode}:\n"
                    + cluster.log_tail(60, since=since), pytrace=False)


@pytest.fixture
def private_devcluster(request, tmp_path):
    """private_devcluster(persistent=True) → a started DevCluster of this test alone (for restart and kill tests),
    stopped after the test."""
    clusters = []

    def start(persistent: bool = True) -> DevCluster:
        cluster = DevCluster(tmp_path / f"devcluster-{len(clusters) + 1}", persistent=persistent)
        clusters.append(cluster)
        _attachments(request.node).append((f"private devcluster log tail ({cluster.log_path})", cluster.log_tail))
        return _start(cluster)

    yield start
    for cluster in clusters:
        cluster.close()


def unique_name(prefix: str, request=None) -> str:
    """A DNS-1123 label unique to this run: prefix, a slug of the test's name, 6 hex digits."""
    slug = ""
    if request is not None:
        slug = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower().removeprefix("test_")).strip("-")[:24].strip("-")
    parts = [p for p in (prefix, slug, secrets.token_hex(3)) if p]
    return "-".join(parts)[:63].strip("-")


@pytest.fixture
def namespace(request, devcluster) -> str:
    """A fresh namespace of this test in the module's devcluster (deleted afterwards without waiting)."""
    name = unique_name("t", request)
    devcluster.create_namespace(name)
    yield name
    devcluster.kubectl("delete", "namespace", name, "--wait=false", "--ignore-not-found", check=False)


@pytest.fixture(scope="module")
def crds(devcluster):
    """The Broadcast and Widget CRDs (fixtures/devcluster/), applied and Established in the module's devcluster."""
    devcluster.kubectl("apply", "-f", BROADCAST_CRD, "-f", WIDGET_CRD)
    devcluster.kubectl("wait", "--for=condition=Established", "--timeout=20s",
                       "crd/broadcasts.media.streamlick.io", "crd/widgets.test.streamlick.io")
    return devcluster


@pytest.fixture
def api(devcluster):
    """The Python client's typed APIs over one ApiClient of the module's devcluster."""
    return Apis(devcluster.api_client())


class Apis:
    """kubernetes.client APIs sharing one ApiClient."""

    def __init__(self, api_client) -> None:
        from kubernetes import client

        self.client = api_client
        self.core = client.CoreV1Api(api_client)
        self.apps = client.AppsV1Api(api_client)
        self.custom = client.CustomObjectsApi(api_client)
        self.coordination = client.CoordinationV1Api(api_client)
        self.events = client.EventsV1Api(api_client)
        self.autoscaling = client.AutoscalingV2Api(api_client)
        self.policy = client.PolicyV1Api(api_client)
        self.rbac = client.RbacAuthorizationV1Api(api_client)
        self.apiextensions = client.ApiextensionsV1Api(api_client)
        self.version = client.VersionApi(api_client)
