"""broadcast-operator placement (issue 6): Packed and Distributed pick the pods the contract names for a scripted
sequence, spec.placement.zones filters by the pods' zone label, draining and NotReady pods take nothing new, and a
broadcast without room waits Pending (condition Scheduled=False NoCapacity) until a pod has room.

Each test has its own devcluster (operator_fixtures.py): the operator sees the media pods of every namespace."""

import pytest

from harness.media_pods import assignment, condition, phase


def place(broadcasts, name: str, spec: dict = None) -> str:
    """Creates one Broadcast and waits for the operator's decision: the pod's name, or "Pending"."""
    broadcasts.create(name, spec)
    obj = broadcasts.wait_for(name, lambda o: phase(o) == "Scheduled" and assignment(o) or phase(o) == "Pending",
                              message="phase Scheduled or Pending")
    return assignment(obj)[0] if phase(obj) == "Scheduled" else "Pending"


def zones(*names) -> dict:
    return {"title": "zoned", "placement": {"zones": list(names)}}


@pytest.mark.parametrize("flags, expected", [
    # Packed (the default): the busiest pod that still has room, ties by name.
    ((), ["pod-a", "pod-a", "pod-b", "pod-b", "pod-b", "pod-c", "pod-c", "pod-c", "Pending"]),
    # Distributed: the least loaded, ties by name.
    (("--scheduling", "Distributed"),
     ["pod-a", "pod-b", "pod-c", "pod-a", "pod-b", "pod-c", "pod-b", "pod-c", "Pending"]),
], ids=["packed", "distributed"])
def test_placement_sequence(operator, media_pods, broadcasts, flags, expected):
    media_pods.create("pod-a", capacity=2)
    media_pods.create("pod-b", capacity=3)
    media_pods.create("pod-c", capacity=3)
    operator(*flags)
    placed = [place(broadcasts, f"show-{i}") for i in range(1, len(expected) + 1)]
    assert placed == expected
    last = broadcasts.get(f"show-{len(expected)}")
    scheduled = condition(last, "Scheduled")
    assert (scheduled.get("status"), scheduled.get("reason"), scheduled.get("message")) == \
        ("False", "NoCapacity", "0 of 3 media pods have room"), last.get("status")
    assert {name: found[1] for name, found in broadcasts.assignments().items() if found} == \
        {f"show-{i}": 1 for i in range(1, len(expected))}
    media_pods.wait_for_deletion_costs({"pod-a": 2, "pod-b": 3, "pod-c": 3})


def test_zones_filter_by_the_pods_zone_label(operator, media_pods, broadcasts):
    media_pods.create("za-1", capacity=2, zone="a")
    media_pods.create("zb-1", capacity=1, zone="b")
    media_pods.create("zb-2", capacity=1, zone="b")
    media_pods.create("plain", capacity=5)
    operator()
    assert place(broadcasts, "b-1", zones("b")) == "zb-1"
    assert place(broadcasts, "b-2", zones("b")) == "zb-2"
    assert place(broadcasts, "b-3", zones("b")) == "Pending"
    assert condition(broadcasts.get("b-3"), "Scheduled").get("message") == "0 of 2 media pods in zones b have room"
    assert place(broadcasts, "a-or-c", zones("a", "c")) == "za-1"
    # No zones: every pod; Packed takes the busiest with room (za-1, 1 of 2), not the empty unlabelled one.
    assert place(broadcasts, "anywhere-1") == "za-1"
    assert place(broadcasts, "a-or-b", zones("a", "b")) == "Pending"
    assert condition(broadcasts.get("a-or-b"), "Scheduled").get("message") == \
        "0 of 3 media pods in zones a, b have room"
    assert place(broadcasts, "anywhere-2") == "plain"

    # A zone-b pod with room for two takes both waiting broadcasts.
    media_pods.create("zb-3", capacity=2, zone="b")
    for name in ("b-3", "a-or-b"):
        assert assignment(broadcasts.wait_scheduled(name)) == ("zb-3", 1), name
    media_pods.wait_for_deletion_costs({"za-1": 2, "zb-1": 1, "zb-2": 1, "zb-3": 2, "plain": 1})


def test_draining_and_not_ready_pods_take_no_new_broadcast(operator, media_pods, broadcasts):
    media_pods.create("a-draining", draining=True)
    media_pods.create("b-not-ready", ready=False)
    media_pods.create("c-ready")
    operator()
    assert place(broadcasts, "first") == "c-ready"

    media_pods.set_draining("c-ready")
    assert place(broadcasts, "second") == "Pending"
    scheduled = condition(broadcasts.get("second"), "Scheduled")
    assert (scheduled.get("status"), scheduled.get("reason")) == ("False", "NoCapacity"), scheduled
    assert scheduled.get("message", "").startswith("0 of "), scheduled

    # Pending broadcasts are placed as soon as a pod has room: here a pod becoming Ready.
    media_pods.set_ready("b-not-ready", True)
    assert assignment(broadcasts.wait_scheduled("second")) == ("b-not-ready", 1)
    assert condition(broadcasts.get("second"), "Scheduled").get("status") == "True"


def test_eleventh_broadcast_waits_for_room(operator, media_pods, broadcasts):
    media_pods.create("only")  # no capacity annotation: the default, 10
    operator()
    for i in range(1, 11):
        assert place(broadcasts, f"show-{i}") == "only", i
    assert place(broadcasts, "show-11") == "Pending"
    waiting = broadcasts.get("show-11")
    scheduled = condition(waiting, "Scheduled")
    assert (scheduled.get("status"), scheduled.get("reason"), scheduled.get("message")) == \
        ("False", "NoCapacity", "0 of 1 media pods have room"), waiting.get("status")
    assert not (waiting.get("status") or {}).get("assignment"), waiting["status"]
    warnings = broadcasts.wait_for_events("show-11", "NoCapacity")
    assert all(event["type"] == "Warning" for event in warnings), warnings
    media_pods.wait_for_deletion_costs({"only": 10})

    media_pods.create("second")
    placed = broadcasts.wait_scheduled("show-11")
    assert assignment(placed) == ("second", 1)
    scheduled = condition(placed, "Scheduled")
    assert (scheduled.get("status"), scheduled.get("reason")) == ("True", "Scheduled"), scheduled
    assert [event["message"] for event in broadcasts.wait_for_events("show-11", "Scheduled")] == \
        ["assigned to media pod second"]
    assert broadcasts.load() == {"only": 10, "second": 1}
    media_pods.wait_for_deletion_costs({"only": 10, "second": 1})
