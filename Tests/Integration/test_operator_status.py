"""What broadcast-operator writes besides the placement (issue 6): the ingest token Secret `<name>-ingest` (64-hex
token and guestToken, owned by the Broadcast), status.ingest URLs from the pod's public-url annotation or its podIP,
the StreamKeysFound condition following the stream-key Secret, and /healthz and /metrics."""

import base64
import math
import re

from harness.kube import wait_until
from harness.media_pods import POD_LABEL, assignment, condition, phase

HEX_64 = re.compile(r"^[0-9a-fA-F]{64}$")


def ingest(obj: dict) -> dict:
    """The contract's three fields of status.ingest."""
    found = (obj.get("status") or {}).get("ingest") or {}
    return {key: found.get(key) for key in ("whipURL", "whepURL", "tokenSecretName")}


def test_ingest_secret_and_urls(operator, media_pods, broadcasts):
    media_pods.create("m-1-public", capacity=1, public_url="https://media-1.example.test:8443")
    media_pods.create("m-2-ip", capacity=2, pod_ip="10.9.8.7")
    operator()
    namespace = broadcasts.namespace

    broadcasts.create("show-1")
    broadcasts.wait_scheduled("show-1")
    first = broadcasts.wait_for("show-1", lambda obj: (obj["metadata"].get("labels") or {}).get(POD_LABEL),
                                message=f"label {POD_LABEL}")
    assert assignment(first) == ("m-1-public", 1)
    assert first["metadata"]["labels"][POD_LABEL] == "m-1-public"
    assert ingest(first) == {
        "whipURL": f"https://media-1.example.test:8443/whip/{namespace}/show-1",
        "whepURL": f"https://media-1.example.test:8443/whep/{namespace}/show-1",
        "tokenSecretName": "show-1-ingest"}

    broadcasts.create("show-2")
    second = broadcasts.wait_scheduled("show-2")
    assert assignment(second) == ("m-2-ip", 1)
    assert ingest(second) == {"whipURL": f"http://10.9.8.7:8080/whip/{namespace}/show-2",
                                          "whepURL": f"http://10.9.8.7:8080/whep/{namespace}/show-2",
                                          "tokenSecretName": "show-2-ingest"}

    tokens = []
    for obj in (first, second):
        name = obj["metadata"]["name"]
        secret = wait_until(lambda: _secret_or_none(broadcasts, f"{name}-ingest"), timeout=5,
                            message=f"Secret {name}-ingest")
        data = {key: base64.b64decode(value).decode() for key, value in (secret.data or {}).items()}
        assert HEX_64.match(data.get("token", "")) and HEX_64.match(data.get("guestToken", "")), data.keys()
        assert data["token"] != data["guestToken"]
        tokens += [data["token"], data["guestToken"]]
        owners = [(o.api_version, o.kind, o.name, o.uid) for o in secret.metadata.owner_references or []]
        assert owners == [("media.streamlick.io/v1alpha1", "Broadcast", name, obj["metadata"]["uid"])], owners
    assert len(set(tokens)) == 4, "every token is drawn anew"

    # With its own token Secret named, the operator creates none and points at that one.
    broadcasts.create("own-token", {"title": "own", "ingest": {"tokenSecretRef": {"name": "studio-token",
                                                                                   "key": "token"}}})
    own = broadcasts.wait_scheduled("own-token")
    assert own["status"]["ingest"]["tokenSecretName"] == "studio-token"
    assert own["status"]["ingest"]["whipURL"] == f"http://10.9.8.7:8080/whip/{namespace}/own-token"
    assert _secret_or_none(broadcasts, "own-token-ingest") is None


def _secret_or_none(broadcasts, name: str):
    from kubernetes.client.exceptions import ApiException

    try:
        return broadcasts.apis.core.read_namespaced_secret(name, broadcasts.namespace)
    except ApiException as error:
        if error.status == 404:
            return None
        raise


def test_stream_keys_found_follows_the_secret(operator, media_pods, broadcasts):
    media_pods.create("pod-a")
    operator()
    secret_name = "yt-keys-show"
    broadcasts.create("show", {"title": "keys", "destinations": [
        {"name": "yt", "url": "rtmp://127.0.0.1/live", "streamKeySecretRef": {"name": secret_name, "key": "yt"}}]})
    # A missing stream key does not stop scheduling.
    missing = broadcasts.wait_for("show", lambda obj: condition(obj, "StreamKeysFound").get("status") == "False",
                                  message="StreamKeysFound False")
    assert secret_name in condition(missing, "StreamKeysFound").get("message", ""), missing["status"]
    assert assignment(broadcasts.wait_scheduled("show")) == ("pod-a", 1)

    broadcasts.apis.core.create_namespaced_secret(broadcasts.namespace, {
        "apiVersion": "v1", "kind": "Secret", "metadata": {"name": secret_name}, "stringData": {"yt": "sk-123"}})
    found = broadcasts.wait_for("show", lambda obj: condition(obj, "StreamKeysFound").get("status") == "True",
                                message="StreamKeysFound True after the Secret was created")
    assert phase(found) == "Scheduled"


def test_healthz_and_metrics(operator, media_pods, broadcasts):
    media_pods.create("solo", capacity=3)
    process = operator()
    health = process.healthz()
    assert (health.status_code, health.text.strip()) == (200, "ok")

    for i in range(1, 5):
        broadcasts.create(f"show-{i}")
    wait_until(lambda: broadcasts.phases() == {"Scheduled": 3, "Pending": 1}, timeout=10,
               message="3 Scheduled and 1 Pending")

    # The counters move when a reconcile has finished, a moment after its status write: poll them all.
    def settled():
        metrics = process.metrics()
        return (metrics.value("broadcast_operator_broadcasts", phase="Scheduled") == 3
                and metrics.value("broadcast_operator_broadcasts", phase="Pending") == 1
                and metrics.total("broadcast_operator_reconciles_total", controller="broadcast", result="success") >= 4
                and metrics.total("broadcast_operator_reconciles_total", controller="pod", result="success") > 0
                and metrics.total("broadcast_operator_schedule_latency_seconds_count") >= 3
                and metrics)

    try:
        metrics = wait_until(settled, timeout=5)
    except AssertionError:
        raise AssertionError("not broadcasts Scheduled 3 / Pending 1, broadcast reconciles >= 4, pod reconciles > 0 "
                             "and 3 schedule latencies:\n" + process.metrics().text) from None
    latency_names = [f"broadcast_operator_schedule_latency_seconds_{part}" for part in ("bucket", "sum", "count")]
    for name in ["broadcast_operator_reconciles_total", "broadcast_operator_queue_depth",
                 "broadcast_operator_broadcasts", "broadcast_operator_is_leader", *latency_names]:
        assert name in metrics.names(), f"{name} missing from /metrics:\n{metrics.text}"
    assert metrics.value("broadcast_operator_broadcasts", phase="Live") in (0, None)
    assert metrics.value("broadcast_operator_broadcasts", phase="Failed") in (0, None)
    depth = metrics.value("broadcast_operator_queue_depth", controller="broadcast")
    assert depth is not None and depth >= 0, metrics.text

    latency = metrics.histogram("broadcast_operator_schedule_latency_seconds")
    counts = [count for _, count in latency["buckets"]]
    assert latency["buckets"] and latency["buckets"][-1][0] == math.inf, latency
    assert counts == sorted(counts) and counts[-1] == latency["count"], latency
    assert 0 < latency["sum"] / latency["count"] < 10, latency
