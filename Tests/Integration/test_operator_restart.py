"""broadcast-operator across a devcluster restart (issue 6): the operator keeps running while its API server restarts
(same port, same data dir), then schedules what was created after; nothing is done twice: every broadcast keeps
epoch 1 and the pod it had, has exactly one Scheduled Event, and its ingest Secret is the one created first."""

import time

from harness.media_pods import assignment


def test_broadcasts_before_and_after_a_devcluster_restart_are_scheduled_once(operator_cluster, operator, media_pods,
                                                                              broadcasts, broadcast_history):
    media_pods.create("pod-a", capacity=4)
    media_pods.create("pod-b", capacity=10)
    operator()
    history = broadcast_history()
    before = [f"before-{i}" for i in range(1, 4)]
    for name in before:
        broadcasts.create(name)
    placed = {}
    for name in before:
        obj = broadcasts.wait_scheduled(name)
        placed[name] = (assignment(obj), obj["status"]["assignment"]["since"])
    assert {name: found for name, (found, _) in placed.items()} == {name: ("pod-a", 1) for name in before}
    ingest_secrets = {name: broadcasts.apis.core.read_namespaced_secret(f"{name}-ingest", broadcasts.namespace)
                      .metadata.uid for name in before}
    media_pods.wait_for_deletion_costs({"pod-a": 3, "pod-b": 0})

    operator_cluster.restart()

    after = [f"after-{i}" for i in range(1, 4)]
    for name in after:
        broadcasts.create(name)
    for name in after:
        broadcasts.wait_scheduled(name, timeout=30)
    assignments = broadcasts.assignments()
    assert assignments == {**{name: ("pod-a", 1) for name in before},
                           "after-1": ("pod-a", 1), "after-2": ("pod-b", 1), "after-3": ("pod-b", 1)}
    for name in before:
        obj = broadcasts.get(name)
        assert (assignment(obj), obj["status"]["assignment"]["since"]) == placed[name], obj["status"]
        secret = broadcasts.apis.core.read_namespaced_secret(f"{name}-ingest", broadcasts.namespace)
        assert secret.metadata.uid == ingest_secrets[name], f"{name}-ingest was created again"
    for name in before + after:
        broadcasts.wait_for_events(name, "Scheduled")
    media_pods.wait_for_deletion_costs({"pod-a": 4, "pod-b": 2})
    time.sleep(1.0)  # a duplicate Event would come from a second reconcile right after the first
    counts = {name: broadcasts.event_count(name, "Scheduled") for name in before + after}
    assert counts == {name: 1 for name in before + after}

    history.wait_for_version(max(int(item["metadata"]["resourceVersion"]) for item in broadcasts.list()), timeout=10)
    assert history.problems(capacities={"pod-a": 4, "pod-b": 10}) == []
    reassigned = {name: history.assignments_of(name) for name in before + after
                  if len(history.assignments_of(name)) != 1}
    assert reassigned == {}
