"""broadcast-operator leader election (issue 6): of two processes with --leader-elect, exactly one holds the Lease and
acts; the standby reconciles nothing. After `kill -9` of the leader the standby takes the Lease within the lease
duration (plus a little), and schedules new Broadcasts; a watch over the whole test shows that no broadcast ever had
two pods for one epoch or an epoch going back."""

import time

from harness.kube import wait_until
from harness.media_pods import assignment
from harness.operator import STARTED_LINE

LEASE_NAME = "broadcast-operator"
LEASE_SECONDS = 3.0
TAKEOVER_SLACK = 1.5


def holder(media_pods, namespace: str):
    lease = media_pods.apis.coordination.read_namespaced_lease(LEASE_NAME, namespace)
    return lease.spec.holder_identity, lease.spec.renew_time


def test_one_leader_acts_and_the_standby_takes_over_after_kill_9(operator, operator_namespace, media_pods,
                                                                 broadcasts, broadcast_history):
    flags = ("--leader-elect", "--lease-duration", f"{LEASE_SECONDS:g}s", "--lease-name", LEASE_NAME,
             "--lease-namespace", operator_namespace)
    media_pods.create("pod-a", capacity=4)
    media_pods.create("pod-b", capacity=10)
    history = broadcast_history()
    first = operator(*flags, identity="operator-one")
    second = operator(*flags, identity="operator-two", wait="healthy")
    assert holder(media_pods, operator_namespace)[0] == "operator-one"

    before = [f"before-{i}" for i in range(1, 4)]
    for name in before:
        broadcasts.create(name)
    for name in before:
        assert assignment(broadcasts.wait_scheduled(name)) == ("pod-a", 1), name

    # The leader keeps renewing: for longer than one lease duration the standby neither takes the Lease nor acts.
    _, renewed = holder(media_pods, operator_namespace)
    deadline = time.monotonic() + LEASE_SECONDS + 1.0
    while time.monotonic() < deadline:
        assert holder(media_pods, operator_namespace)[0] == "operator-one"
        time.sleep(0.2)
    assert holder(media_pods, operator_namespace)[1] != renewed, "the leader did not renew its Lease"
    leader_metrics, standby_metrics = first.metrics(), second.metrics()
    assert leader_metrics.value("broadcast_operator_is_leader") == 1
    assert standby_metrics.value("broadcast_operator_is_leader") == 0
    assert leader_metrics.total("broadcast_operator_reconciles_total", controller="broadcast") > 0
    assert standby_metrics.total("broadcast_operator_reconciles_total") == 0
    standby_log = second.log_text()
    assert STARTED_LINE not in standby_log
    assert not [name for name in before if name in standby_log], "the standby logged work on a Broadcast"

    start = time.monotonic()
    first.kill9()
    wait_until(lambda: holder(media_pods, operator_namespace)[0] == "operator-two", timeout=15,
               message="operator-two holding the Lease")
    took_over = time.monotonic() - start
    print(f"operator-two held the Lease {took_over:.2f} s after kill -9 of operator-one")
    assert took_over <= LEASE_SECONDS + TAKEOVER_SLACK, f"the standby took the Lease {took_over:.2f} s after kill -9"
    wait_until(lambda: second.metrics().value("broadcast_operator_is_leader") == 1, timeout=5,
               message="broadcast_operator_is_leader 1 on the new leader")

    after = [f"after-{i}" for i in range(1, 4)]
    for name in after:
        broadcasts.create(name)
    # Packed: pod-a's last place, then pod-b.
    placed = {name: assignment(broadcasts.wait_scheduled(name, timeout=10)) for name in after}
    assert placed == {"after-1": ("pod-a", 1), "after-2": ("pod-b", 1), "after-3": ("pod-b", 1)}
    assert second.metrics().total("broadcast_operator_reconciles_total", controller="broadcast") > 0
    assert {name: broadcasts.assignment(name) for name in before} == {name: ("pod-a", 1) for name in before}
    media_pods.wait_for_deletion_costs({"pod-a": 4, "pod-b": 2})

    history.wait_for_version(max(int(item["metadata"]["resourceVersion"]) for item in broadcasts.list()))
    assert history.problems(capacities={"pod-a": 4, "pod-b": 10}) == []
    reassigned = {name: history.assignments_of(name) for name in before + after
                  if len(history.assignments_of(name)) != 1}
    assert reassigned == {}, "the new leader moved broadcasts that were in place"
