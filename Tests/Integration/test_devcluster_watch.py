"""devcluster's watches: `kubectl get -w`, `kubectl wait`, and the Python client's watch.Watch — events in order,
replay from a resourceVersion, label-selector transitions, bookmarks, timeouts, and 410 Expired."""

import json
import socket
import ssl
import subprocess
import threading
import time

import pytest
from kubernetes import client, watch
from kubernetes.client.rest import ApiException

from harness.devcluster import any_line
from harness.kube import GROUP, PLURAL, VERSION, broadcast, configmap, manifest, parse_table, pod, rv

pytestmark = pytest.mark.devcluster

BC = "broadcast.media.streamlick.io"


def watch_events(background, name, count, timeout=15.0) -> list:
    """The first `count` (EVENT, NAME) pairs for `name` printed by `kubectl get -w --output-watch-events`."""
    events = []
    while len(events) < count:
        line = background.wait_for_line(lambda line: len(line.split()) > 1 and line.split()[1] == name, timeout)
        events.append(tuple(line.split()[:2]))
    return events


# --- kubectl get -w ---

def test_kubectl_watch_sees_added_modified_deleted(devcluster, namespace):
    devcluster.apply(manifest(configmap("watched", namespace, data={"n": "0"})))
    watcher = devcluster.kubectl_background("get", "configmaps", "-n", namespace, "-w", "--output-watch-events")
    try:
        # The initial list comes as ADDED, with the table header first.
        header = watcher.wait_for_line(any_line, timeout=15)
        assert header.split()[:2] == ["EVENT", "NAME"], header
        assert watch_events(watcher, "watched", 1) == [("ADDED", "watched")]
        devcluster.kubectl("patch", "cm", "watched", "-n", namespace, "--type=merge", "-p", '{"data":{"n":"1"}}')
        assert watch_events(watcher, "watched", 1) == [("MODIFIED", "watched")]
        devcluster.kubectl("delete", "cm", "watched", "-n", namespace)
        assert watch_events(watcher, "watched", 1) == [("DELETED", "watched")]
        devcluster.apply(manifest(configmap("second", namespace)))
        assert watch_events(watcher, "second", 1) == [("ADDED", "second")]
    finally:
        watcher.stop()


def test_kubectl_watch_custom_resource_with_printer_columns(devcluster, namespace, crds):
    devcluster.apply(manifest(broadcast("show", namespace)))
    watcher = devcluster.kubectl_background("get", "bc", "-n", namespace, "-w", "--output-watch-events")
    try:
        header = watcher.wait_for_line(any_line, timeout=15)
        assert header.split() == ["EVENT", "NAME", "PHASE", "POD", "METHOD", "AGE"], header
        assert watch_events(watcher, "show", 1) == [("ADDED", "show")]
        devcluster.kubectl("patch", "bc", "show", "-n", namespace, "--subresource=status", "--type=merge",
                           "-p", '{"status":{"phase":"Live","assignment":{"pod":"media-7"}}}')
        line = watcher.wait_for_line(lambda line: line.startswith("MODIFIED"), timeout=15)
        assert line.split()[:5] == ["MODIFIED", "show", "Live", "media-7", "rtmp"], line
        devcluster.kubectl("delete", "bc", "show", "-n", namespace)
        assert watch_events(watcher, "show", 1) == [("DELETED", "show")]
    finally:
        watcher.stop()


def test_kubectl_watch_only_sees_selected_objects(devcluster, namespace):
    devcluster.apply(manifest(configmap("other", namespace, labels={"watched": "no"}),
                              configmap("mine", namespace, labels={"watched": "yes"})))
    watcher = devcluster.kubectl_background("get", "configmaps", "-n", namespace, "-w", "--output-watch-events",
                                            "-l", "watched=yes")
    try:
        assert watcher.wait_for_line(any_line, timeout=15).split()[:2] == ["EVENT", "NAME"]
        assert watcher.wait_for_line(any_line, timeout=15).split()[:2] == ["ADDED", "mine"]
        # Relabelled out of the selector: a watcher with a selector sees it go (DELETED) ...
        devcluster.kubectl("label", "cm", "mine", "-n", namespace, "watched=no", "--overwrite")
        assert watcher.wait_for_line(any_line, timeout=15).split()[:2] == ["DELETED", "mine"]
        # ... and relabelled into it, come (ADDED).
        devcluster.kubectl("label", "cm", "other", "-n", namespace, "watched=yes", "--overwrite")
        assert watcher.wait_for_line(any_line, timeout=15).split()[:2] == ["ADDED", "other"]
    finally:
        watcher.stop()


# --- kubectl wait ---

def test_kubectl_wait_for_pod_ready_after_status_patch(devcluster, namespace):
    devcluster.apply(manifest(pod("ready-me", namespace)))
    waiter = devcluster.kubectl_background("wait", "--for=condition=Ready", "pod/ready-me", "-n", namespace,
                                           "--timeout=20s")
    try:
        with pytest.raises(subprocess.TimeoutExpired):
            waiter.wait(timeout=1.0)  # not Ready yet: still waiting
        status = {"status": {"phase": "Running", "podIP": "10.0.0.7", "podIPs": [{"ip": "10.0.0.7"}],
                             "conditions": [{"type": "Ready", "status": "True"},
                                            {"type": "ContainersReady", "status": "True"}]}}
        out = devcluster.kubectl("patch", "pod", "ready-me", "-n", namespace, "--subresource=status",
                                 "--type=merge", "-p", json.dumps(status)).stdout
        assert out.strip() == "pod/ready-me patched"
        assert waiter.wait(timeout=15) == 0, waiter.stderr()
        assert waiter.stdout().strip() == "pod/ready-me condition met"
    finally:
        waiter.stop()
    (row,) = parse_table(devcluster.kubectl("get", "pod", "ready-me", "-n", namespace, "-o", "wide").stdout)
    assert (row["STATUS"], row["IP"]) == ("Running", "10.0.0.7"), row


def test_kubectl_wait_times_out(devcluster, namespace):
    devcluster.apply(manifest(pod("never", namespace)))
    started = time.monotonic()
    result = devcluster.kubectl("wait", "--for=condition=Ready", "pod/never", "-n", namespace, "--timeout=2s",
                                check=False)
    assert result.returncode == 1
    assert result.stderr.strip() == "error: timed out waiting for the condition on pods/never"
    assert time.monotonic() - started < 10


def test_kubectl_wait_for_delete(devcluster, namespace):
    devcluster.apply(manifest(configmap("doomed", namespace)))
    waiter = devcluster.kubectl_background("wait", "--for=delete", "configmap/doomed", "-n", namespace,
                                           "--timeout=20s")
    try:
        with pytest.raises(subprocess.TimeoutExpired):
            waiter.wait(timeout=1.0)
        devcluster.kubectl("delete", "cm", "doomed", "-n", namespace, "--wait=false")
        assert waiter.wait(timeout=15) == 0, waiter.stderr()
        assert waiter.stdout().strip() == "configmap/doomed condition met"
    finally:
        waiter.stop()


# --- the Python client's watch ---

def test_watch_replays_from_resource_version_in_order(api, namespace):
    core = api.core
    listed = core.list_namespaced_config_map(namespace)
    start = listed.metadata.resource_version
    core.create_namespaced_config_map(namespace, client.V1ConfigMap(
        metadata=client.V1ObjectMeta(name="replayed"), data={"n": "0"}))
    core.patch_namespaced_config_map("replayed", namespace, {"data": {"n": "1"}})
    core.delete_namespaced_config_map("replayed", namespace)

    seen = []
    w = watch.Watch()
    for event in w.stream(core.list_namespaced_config_map, namespace, resource_version=start, timeout_seconds=5):
        obj = event["object"]
        if obj.metadata.name != "replayed":
            continue
        seen.append((event["type"], (obj.data or {}).get("n"), rv(obj)))
        if event["type"] == "DELETED":
            w.stop()
    assert [(kind, n) for kind, n, _ in seen] == [("ADDED", "0"), ("MODIFIED", "1"), ("DELETED", "1")], seen
    versions = [version for _, _, version in seen]
    assert versions == sorted(versions) and len(set(versions)) == 3 and versions[0] > int(start), seen


def test_watch_custom_objects_live(api, namespace, crds):
    custom = api.custom
    start = custom.list_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL)["metadata"]["resourceVersion"]
    events = []
    ready = threading.Event()
    w = watch.Watch()

    def run():
        ready.set()
        for event in w.stream(custom.list_namespaced_custom_object, GROUP, VERSION, namespace, PLURAL,
                              resource_version=start, timeout_seconds=15):
            events.append((event["type"], event["object"]["metadata"]["name"],
                           event["object"].get("status", {}).get("phase")))
            if event["type"] == "DELETED":
                w.stop()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    ready.wait()
    custom.create_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, broadcast("live", namespace))
    custom.patch_namespaced_custom_object_status(GROUP, VERSION, namespace, PLURAL, "live",
                                                 {"status": {"phase": "Live"}})
    custom.delete_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, "live")
    thread.join(timeout=20)
    assert not thread.is_alive(), events
    assert events == [("ADDED", "live", None), ("MODIFIED", "live", "Live"), ("DELETED", "live", "Live")], events


def test_watch_with_field_selector_on_name(api, namespace):
    core = api.core
    start = core.list_namespaced_config_map(namespace).metadata.resource_version
    for name in ("a", "b"):
        core.create_namespaced_config_map(namespace, client.V1ConfigMap(metadata=client.V1ObjectMeta(name=name)))
    core.patch_namespaced_config_map("b", namespace, {"data": {"x": "1"}})
    core.patch_namespaced_config_map("a", namespace, {"data": {"x": "1"}})
    names = []
    w = watch.Watch()
    for event in w.stream(core.list_namespaced_config_map, namespace, field_selector="metadata.name=b",
                          resource_version=start, timeout_seconds=3):
        names.append((event["type"], event["object"].metadata.name))
        if len(names) == 2:
            w.stop()
    assert names == [("ADDED", "b"), ("MODIFIED", "b")], names


def test_watch_sends_a_bookmark_before_its_timeout(api, namespace):
    """With allowWatchBookmarks, kube-apiserver sends a BOOKMARK (kind and resourceVersion only) shortly before a
    watch's timeoutSeconds ends it (~2 s before), then closes the stream."""
    core = api.core
    start = core.list_namespaced_config_map(namespace).metadata.resource_version
    started = time.monotonic()
    events = []
    for event in watch.Watch().stream(core.list_namespaced_config_map, namespace, resource_version=start,
                                      allow_watch_bookmarks=True, timeout_seconds=4):
        events.append(event)
    elapsed = time.monotonic() - started
    bookmarks = [e for e in events if e["type"] == "BOOKMARK"]
    assert bookmarks, [e["type"] for e in events]
    raw = bookmarks[0]["raw_object"]
    assert raw["kind"] == "ConfigMap" and raw["apiVersion"] == "v1", raw
    assert int(raw["metadata"]["resourceVersion"]) >= int(start), raw
    assert 3 <= elapsed < 8, f"the watch lasted {elapsed:.1f} s with timeoutSeconds=4"


def test_watch_ends_at_timeout(api, namespace):
    started = time.monotonic()
    events = list(watch.Watch().stream(api.core.list_namespaced_config_map, namespace, timeout_seconds=2))
    elapsed = time.monotonic() - started
    assert 1.5 <= elapsed < 6, elapsed
    # Without a resourceVersion a watch starts with the current objects as ADDED: none here but a possible
    # kube-root-ca.crt.
    assert all(e["type"] in ("ADDED", "BOOKMARK") for e in events), events


# --- 410 Expired ---

EXPIRE_WRITES = 1100


def _make_history_older_than_rv_1(core, namespace) -> None:
    """Writes EXPIRE_WRITES configmap changes. Assumption (documented for the server): devcluster keeps a bounded
    watch history of at most 1000 events per resource (or overall), like kube-apiserver's watch cache and etcd's
    compaction, so after this many writes resourceVersion "1" is older than anything it can replay."""
    core.create_namespaced_config_map(namespace, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="churn")))
    errors = []

    def write(worker):
        try:
            for i in range(worker, EXPIRE_WRITES, 4):
                core.patch_namespaced_config_map("churn", namespace, {"data": {"i": str(i)}},
                                                 _preload_content=False).release_conn()
        except Exception as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors[:3]


def test_watch_from_too_old_resource_version_is_410(api, namespace):
    """The Python client turns the ERROR event (code 410) into ApiException(410) after one retry from the same
    version (kubernetes/watch/watch.py); with timeout_seconds it raises at once."""
    api = api.core
    _make_history_older_than_rv_1(api, namespace)
    with pytest.raises(ApiException) as raised:
        for _ in watch.Watch().stream(api.list_namespaced_config_map, namespace, resource_version="1",
                                      timeout_seconds=5):
            pass
    assert raised.value.status == 410, raised.value
    assert raised.value.reason.startswith("Expired: too old resource version: 1 ("), raised.value.reason

    # The wire shape: HTTP 200, then one ERROR event carrying a Status with code 410, reason Expired.
    response = api.list_namespaced_config_map(namespace, watch=True, resource_version="1", timeout_seconds=5,
                                              _preload_content=False)
    try:
        assert response.status == 200
        first = json.loads(next(line for line in response.read().decode().splitlines() if line.strip()))
    finally:
        response.release_conn()
    assert first["type"] == "ERROR", first
    status = first["object"]
    assert (status["kind"], status["status"], status["reason"], status["code"]) == \
        ("Status", "Failure", "Expired", 410), status

    # A list is never too old: resourceVersion "0" (any) and "" (latest) are served, and a watch from the
    # list's version works.
    listed = api.list_namespaced_config_map(namespace, resource_version="0")
    assert [cm.metadata.name for cm in listed.items if cm.metadata.name == "churn"] == ["churn"]
    fresh = api.list_namespaced_config_map(namespace)
    api.patch_namespaced_config_map("churn", namespace, {"data": {"i": "last"}})
    w = watch.Watch()
    seen = []
    for event in w.stream(api.list_namespaced_config_map, namespace, resource_version=fresh.metadata.resource_version,
                          timeout_seconds=5):
        seen.append((event["type"], event["object"].data["i"]))
        w.stop()
    assert seen == [("MODIFIED", "last")]


def test_watcher_hanging_up_ends_its_watch_at_once(devcluster, namespace):
    """A client that closes its TLS side while a watch streams (what AsyncHTTPClient and Go do on shutdown) gets the
    server's close at once, not at the watch's timeout: the server keeps reading while it streams."""
    context = ssl.create_default_context(cafile=devcluster.requests_verify())
    raw = socket.create_connection(("127.0.0.1", devcluster.port))
    stream = context.wrap_socket(raw, server_hostname="127.0.0.1")
    try:
        stream.sendall(f"GET /api/v1/namespaces/{namespace}/configmaps?watch=1 HTTP/1.1\r\nHost: devcluster\r\n"
                       f"Authorization: Bearer {devcluster.token()}\r\n\r\n".encode())
        assert stream.recv(4096).startswith(b"HTTP/1.1 200"), "the watch did not start"
        stream.settimeout(5)
        started = time.monotonic()
        stream.unwrap()  # sends close_notify, waits for the server's answer
        assert time.monotonic() - started < 2
    finally:
        raw.close()
