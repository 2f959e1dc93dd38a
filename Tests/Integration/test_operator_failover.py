"""broadcast-operator failover (issue 6): when a media pod is deleted, turns NotReady or stays Terminating, its
broadcasts move to other pods within 3 s of that (the default --failover-after is 2 s), each with epoch + 1 and an
Event Rescheduled; the other pods' broadcasts stay put; with no room left they wait Pending and come back with a
newer epoch (the old pod may still be alive and acting on the old one)."""

import time

import pytest

from harness.kube import wait_until
from harness.media_pods import assignment, condition, phase

FAILOVER_DEADLINE = 3.0  # seconds from the pod's deletion / NotReady, as the issue fixes it


def make_pod_unavailable(media_pods, how: str) -> None:
    if how == "deleted":
        media_pods.delete("pod-a")
    elif how == "not-ready":
        media_pods.set_ready("pod-a", False)
    elif how == "terminating":
        media_pods.delete("pod-a")  # held by a finalizer: stays with a deletionTimestamp
    else:
        raise ValueError(how)


@pytest.mark.parametrize("how", ["deleted", "not-ready", "terminating"])
def test_broadcasts_leave_an_unavailable_pod_within_three_seconds(operator, media_pods, broadcasts,
                                                                   broadcast_history, how):
    media_pods.create("pod-a", capacity=3)
    media_pods.create("pod-b", capacity=10)
    media_pods.create("pod-c", capacity=10)
    if how == "terminating":
        media_pods.hold("pod-a")
    operator()  # the default --failover-after 2s
    history = broadcast_history()
    moving = ["show-1", "show-2", "show-3"]
    for name in moving + ["show-4"]:
        broadcasts.create(name)
        broadcasts.wait_scheduled(name)
    # Packed: pod-a until full, then pod-b.
    assert broadcasts.assignments() == {"show-1": ("pod-a", 1), "show-2": ("pod-a", 1), "show-3": ("pod-a", 1),
                                        "show-4": ("pod-b", 1)}

    start = time.monotonic()
    make_pod_unavailable(media_pods, how)
    wait_until(lambda: all(broadcasts.assignment(name) == ("pod-b", 2) for name in moving), timeout=15,
               message="show-1..3 on pod-b with epoch 2")
    elapsed = time.monotonic() - start
    print(f"failover {elapsed:.2f} s after the pod was {how}")
    assert elapsed <= FAILOVER_DEADLINE, f"failover took {elapsed:.2f} s after the pod was {how}"

    assert broadcasts.assignment("show-4") == ("pod-b", 1)
    for name in moving:
        moved = broadcasts.get(name)
        assert phase(moved) == "Scheduled" and condition(moved, "Scheduled").get("status") == "True", moved["status"]
        assert moved["status"]["ingest"]["whipURL"].endswith(f"/whip/{broadcasts.namespace}/{name}"), moved["status"]
        messages = [event["message"] for event in broadcasts.wait_for_events(name, "Rescheduled")]
        assert messages == ["media pod pod-a is unavailable; moved to pod-b (epoch 2)"], messages
    if how == "terminating":
        # The Terminating pod's own annotation does not matter any more; the others' must follow.
        wait_until(lambda: {pod: cost for pod, cost in media_pods.deletion_costs().items() if pod != "pod-a"}
                   == {"pod-b": 4, "pod-c": 0}, timeout=5, message="deletion costs pod-b 4, pod-c 0")
    else:
        media_pods.wait_for_deletion_costs({"pod-a": 0, "pod-b": 4, "pod-c": 0} if how == "not-ready"
                                           else {"pod-b": 4, "pod-c": 0})
    if how == "not-ready":
        # Ready again: nothing moves back.
        media_pods.set_ready("pod-a", True)
        time.sleep(1.0)
        assert broadcasts.assignments() == {"show-1": ("pod-b", 2), "show-2": ("pod-b", 2), "show-3": ("pod-b", 2),
                                            "show-4": ("pod-b", 1)}
        assert media_pods.deletion_costs() == {"pod-a": 0, "pod-b": 4, "pod-c": 0}
    assert history.problems(capacities={"pod-a": 3, "pod-b": 10, "pod-c": 10}) == []


def test_without_room_a_failed_over_broadcast_waits_and_returns_with_a_newer_epoch(operator, media_pods, broadcasts,
                                                                                     broadcast_history):
    media_pods.create("pod-a")
    operator("--failover-after", "1s")
    history = broadcast_history()
    broadcasts.create("show")
    assert assignment(broadcasts.wait_scheduled("show")) == ("pod-a", 1)

    media_pods.set_ready("pod-a", False)
    waiting = broadcasts.wait_for("show", lambda obj: phase(obj) == "Pending", timeout=8,
                                  message="phase Pending after its only pod turned NotReady")
    scheduled = condition(waiting, "Scheduled")
    assert (scheduled.get("status"), scheduled.get("reason")) == ("False", "NoCapacity"), waiting["status"]

    media_pods.create("pod-b")
    placed = assignment(broadcasts.wait_scheduled("show"))
    assert placed[0] == "pod-b"
    # pod-a is alive (only NotReady) and may still act on epoch 1: the new assignment must not reuse it.
    assert placed[1] >= 2, f"placed on pod-b with epoch {placed[1]} after pod-a held epoch 1"
    assert history.problems() == []
