"""broadcast-operator never exceeds a media pod's capacity (issue 6), even when 50 Broadcasts arrive at once from one
`kubectl apply -f` of a multi-document file: a watch over the whole test records every version of every Broadcast,
and at no resourceVersion may a pod hold more broadcasts than its capacity or a broadcast hold two pods."""

import time

from harness.kube import broadcast, manifest, wait_until
from harness.media_pods import assignment, condition, phase

COUNT = 50


def apply_fifty(cluster, namespace: str, tmp_path) -> list:
    names = [f"show-{i:02d}" for i in range(1, COUNT + 1)]
    path = tmp_path / "fifty-broadcasts.yaml"
    path.write_text(manifest(*(broadcast(name, namespace) for name in names)))
    cluster.kubectl("apply", "-f", str(path))
    return names


def settled_phases(broadcasts, expected: dict, timeout: float = 30.0) -> None:
    last = {}

    def reached():
        last["phases"] = broadcasts.phases()
        return last["phases"] == expected

    try:
        wait_until(reached, timeout=timeout)
    except AssertionError:
        raise AssertionError(f"phases not {expected} within {timeout} s; last: {last['phases']}") from None


def test_fifty_at_once_fill_five_pods_exactly(operator_cluster, operator_namespace, operator, media_pods, broadcasts,
                                              broadcast_history, tmp_path):
    pods = [f"media-{i}" for i in range(1, 6)]
    for pod in pods:
        media_pods.create(pod, capacity=10)
    operator()
    history = broadcast_history()
    names = apply_fifty(operator_cluster, operator_namespace, tmp_path)

    settled_phases(broadcasts, {"Scheduled": COUNT})
    assert broadcasts.load() == {pod: 10 for pod in pods}
    assert sorted(found[1] for found in broadcasts.assignments().values()) == [1] * COUNT
    media_pods.wait_for_deletion_costs({pod: 10 for pod in pods})

    history.wait_for_version(max(int(item["metadata"]["resourceVersion"]) for item in broadcasts.list()))
    assert history.problems(capacities={pod: 10 for pod in pods}) == []
    moved = {name: history.assignments_of(name) for name in names if len(history.assignments_of(name)) != 1}
    assert moved == {}, "each broadcast is placed once and stays"


def test_fifty_over_forty_places_forty_and_leaves_ten_pending(operator_cluster, operator_namespace, operator,
                                                              media_pods, broadcasts, broadcast_history, tmp_path):
    pods = [f"media-{i}" for i in range(1, 5)]
    for pod in pods:
        media_pods.create(pod, capacity=10)
    operator()
    history = broadcast_history()
    apply_fifty(operator_cluster, operator_namespace, tmp_path)

    settled_phases(broadcasts, {"Scheduled": 40, "Pending": 10})
    # And it stays so: nothing more is placed a second later.
    time.sleep(1.0)
    items = broadcasts.list()
    assert sum(1 for item in items if phase(item) == "Scheduled") == 40
    assert broadcasts.load() == {pod: 10 for pod in pods}
    for item in items:
        if phase(item) == "Pending":
            scheduled = condition(item, "Scheduled")
            assert assignment(item) is None, item["status"]
            assert (scheduled.get("status"), scheduled.get("reason"), scheduled.get("message")) == \
                ("False", "NoCapacity", "0 of 4 media pods have room"), item["status"]
    media_pods.wait_for_deletion_costs({pod: 10 for pod in pods})

    history.wait_for_version(max(int(item["metadata"]["resourceVersion"]) for item in items))
    assert history.problems(capacities={pod: 10 for pod in pods}) == []
