"""broadcast-operator and the end of a Broadcast (issue 6): a deleted Broadcast shows phase Ended and is held by the
finalizer until its media pod reports EgressStopped=True (the test plays the pod), then goes; a Broadcast whose pod is
gone goes at once. Each media pod's pod-deletion-cost annotation equals its broadcast count after every step."""

import time

from kubernetes.client.exceptions import ApiException

from harness.kube import wait_until
from harness.media_pods import FINALIZER, assignment, phase


def finalizers(obj: dict) -> list:
    return obj["metadata"].get("finalizers") or []


def end(broadcasts, name: str) -> dict:
    """Deletes the Broadcast and waits for the operator to mark it Ended."""
    broadcasts.delete(name)
    ended = broadcasts.wait_for(name, lambda obj: phase(obj) == "Ended", message="phase Ended")
    assert ended["metadata"].get("deletionTimestamp"), ended["metadata"]
    return ended


def secret_exists(broadcasts, name: str) -> bool:
    try:
        broadcasts.apis.core.read_namespaced_secret(name, broadcasts.namespace)
        return True
    except ApiException as error:
        if error.status == 404:
            return False
        raise


def test_a_deleted_broadcast_goes_once_its_pod_reports_egress_stopped(operator, media_pods, broadcasts):
    media_pods.create("pod-a")
    operator("--failover-after", "10s")
    broadcasts.create("show")
    broadcasts.wait_scheduled("show")
    broadcasts.wait_for("show", lambda obj: FINALIZER in finalizers(obj), message=f"finalizer {FINALIZER}")
    wait_until(lambda: secret_exists(broadcasts, "show-ingest"), timeout=5, message="Secret show-ingest")

    end(broadcasts, "show")
    # Without the media pod's word the finalizer keeps it.
    time.sleep(1.0)
    held = broadcasts.get("show")
    assert held is not None and phase(held) == "Ended" and FINALIZER in finalizers(held), held

    broadcasts.report_egress_stopped("show")
    waited = broadcasts.wait_gone("show", timeout=5)
    assert waited <= 5.0
    # The ingest Secret is owned by the Broadcast: garbage-collected with it.
    wait_until(lambda: not secret_exists(broadcasts, "show-ingest"), timeout=10,
               message="Secret show-ingest garbage-collected")
    media_pods.wait_for_deletion_costs({"pod-a": 0})


def test_a_deleted_broadcast_whose_pod_is_gone_goes_at_once(operator, media_pods, broadcasts):
    media_pods.create("pod-a")
    # Long enough that "at once" cannot be the failover moving it first.
    operator("--failover-after", "10s")
    for name in ("ended-first", "deleted-after"):
        broadcasts.create(name)
        assert assignment(broadcasts.wait_scheduled(name)) == ("pod-a", 1)

    end(broadcasts, "ended-first")
    media_pods.delete("pod-a")
    assert broadcasts.wait_gone("ended-first", timeout=3.0) <= 3.0

    broadcasts.delete("deleted-after")
    assert broadcasts.wait_gone("deleted-after", timeout=3.0) <= 3.0


def test_deletion_costs_equal_each_pods_broadcast_count(operator, media_pods, broadcasts):
    media_pods.create("pod-a", capacity=3)
    media_pods.create("pod-b", capacity=3)
    operator("--failover-after", "1s")
    media_pods.wait_for_deletion_costs({"pod-a": 0, "pod-b": 0})

    def check(expected: dict) -> None:
        media_pods.wait_for_deletion_costs(expected)
        assert {pod: broadcasts.load().get(pod, 0) for pod in expected} == expected

    for i in range(1, 5):
        broadcasts.create(f"show-{i}")
        broadcasts.wait_scheduled(f"show-{i}")
        check({"pod-a": min(i, 3), "pod-b": max(i - 3, 0)})

    # A broadcast ends: the test, as pod-a, reports its egress stopped.
    end(broadcasts, "show-1")
    broadcasts.report_egress_stopped("show-1")
    broadcasts.wait_gone("show-1")
    check({"pod-a": 2, "pod-b": 1})

    # Failover: pod-b turns NotReady; its broadcast moves to pod-a's free place.
    media_pods.set_ready("pod-b", False)
    broadcasts.wait_for("show-4", lambda obj: assignment(obj) == ("pod-a", 2), timeout=10,
                        message="show-4 moved to pod-a with epoch 2")
    check({"pod-a": 3, "pod-b": 0})

    media_pods.create("pod-c", capacity=3)
    check({"pod-a": 3, "pod-b": 0, "pod-c": 0})
    broadcasts.create("show-5")
    assert assignment(broadcasts.wait_scheduled("show-5")) == ("pod-c", 1)
    check({"pod-a": 3, "pod-b": 0, "pod-c": 1})
