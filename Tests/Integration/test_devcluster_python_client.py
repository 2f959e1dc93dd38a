"""devcluster through the Python kubernetes client (37.0.2): typed CRUD of the built-ins, custom objects, the
Status bodies of errors, optimistic concurrency under a race, chunked lists, persistence across a restart and a
SIGKILL, and a watch that resumes across a restart."""

import datetime
import threading

import pytest
from kubernetes import client, watch
from kubernetes.client.rest import ApiException

from devcluster_fixtures import BROADCAST_CRD, Apis
from harness.kube import GROUP, PLURAL, VERSION, api_error_body, broadcast, destination, rv, widget

pytestmark = pytest.mark.devcluster

CONFLICT = ("Operation cannot be fulfilled on {resource} \"{name}\": the object has been modified; please apply "
            "your changes to the latest version and try again")


def cm(name, data=None, labels=None) -> client.V1ConfigMap:
    return client.V1ConfigMap(metadata=client.V1ObjectMeta(name=name, labels=labels), data=data or {"k": "v"})


# --- basics ---

def test_version_and_namespaces(api):
    info = api.version.get_code()
    assert info.major == "1" and info.git_version.startswith("v1.32."), info
    names = {ns.metadata.name: ns.status.phase for ns in api.core.list_namespace().items}
    assert names.get("default") == "Active" and names.get("kube-system") == "Active", names


def test_wrong_token_is_401(devcluster):
    api_client = devcluster.api_client()
    api_client.configuration.refresh_api_key_hook = None
    api_client.configuration.api_key["BearerToken"] = "Bearer wrong"
    with pytest.raises(ApiException) as raised:
        client.CoreV1Api(api_client).list_namespace()
    assert raised.value.status == 401
    assert api_error_body(raised.value)["reason"] == "Unauthorized"


def test_configmap_crud(api, namespace):
    core = api.core
    created = core.create_namespaced_config_map(namespace, cm("crud", {"a": "1"}, {"app": "x"}))
    assert created.metadata.uid and created.metadata.resource_version and created.metadata.namespace == namespace
    assert created.metadata.creation_timestamp is not None

    read = core.read_namespaced_config_map("crud", namespace)
    assert (read.metadata.uid, read.data) == (created.metadata.uid, {"a": "1"})

    listed = core.list_namespaced_config_map(namespace, label_selector="app=x")
    assert [i.metadata.name for i in listed.items] == ["crud"]
    assert rv(listed.items[0]) <= int(listed.metadata.resource_version)

    read.data["b"] = "2"
    replaced = core.replace_namespaced_config_map("crud", namespace, read)
    assert replaced.data == {"a": "1", "b": "2"} and rv(replaced) > rv(created)

    patched = core.patch_namespaced_config_map("crud", namespace, {"data": {"a": None, "c": "3"}})
    assert patched.data == {"b": "2", "c": "3"}

    # A ConfigMap's delete answers with a Status (objects that can linger, like Pods, answer with the object).
    # kubernetes 37's generated client types this response as a plain object (a dict).
    status = core.delete_namespaced_config_map("crud", namespace)
    assert (status["kind"], status["status"], status["details"]["name"], status["details"]["kind"]) == \
        ("Status", "Success", "crud", "configmaps"), status
    with pytest.raises(ApiException) as raised:
        core.read_namespaced_config_map("crud", namespace)
    body = api_error_body(raised.value)
    assert raised.value.status == 404
    assert (body["kind"], body["status"], body["reason"], body["code"], body["message"]) == \
        ("Status", "Failure", "NotFound", 404, 'configmaps "crud" not found'), body
    assert body["details"] == {"name": "crud", "kind": "configmaps"}, body


def test_create_existing_is_409_already_exists(api, namespace):
    api.core.create_namespaced_config_map(namespace, cm("dup"))
    with pytest.raises(ApiException) as raised:
        api.core.create_namespaced_config_map(namespace, cm("dup"))
    body = api_error_body(raised.value)
    assert raised.value.status == 409
    assert (body["reason"], body["message"]) == ("AlreadyExists", 'configmaps "dup" already exists'), body


def test_deployment_crud_scale_and_status(api, namespace):
    apps = api.apps
    body = client.V1Deployment(
        metadata=client.V1ObjectMeta(name="media"),
        spec=client.V1DeploymentSpec(
            replicas=2, selector=client.V1LabelSelector(match_labels={"app": "media"}),
            template=client.V1PodTemplateSpec(
                metadata=client.V1ObjectMeta(labels={"app": "media"}),
                spec=client.V1PodSpec(containers=[client.V1Container(name="main", image="media-pod:1"),
                                                  client.V1Container(name="sidecar", image="sidecar:1")]))))
    created = apps.create_namespaced_deployment(namespace, body)
    assert created.metadata.generation == 1
    assert created.spec.strategy is not None and created.spec.strategy.type == "RollingUpdate", created.spec

    # A dict patch of a built-in is a strategic merge patch: containers merge by name.
    patched = apps.patch_namespaced_deployment("media", namespace, {"spec": {"template": {"spec": {
        "containers": [{"name": "sidecar", "image": "sidecar:2"}]}}}})
    assert [(c.name, c.image) for c in patched.spec.template.spec.containers] == \
        [("main", "media-pod:1"), ("sidecar", "sidecar:2")]
    assert patched.metadata.generation == 2

    scale = apps.read_namespaced_deployment_scale("media", namespace)
    assert (scale.spec.replicas, scale.status.selector, scale.status.replicas) == (2, "app=media", 0)
    apps.patch_namespaced_deployment_scale("media", namespace, {"spec": {"replicas": 4}})
    assert apps.read_namespaced_deployment("media", namespace).spec.replicas == 4

    apps.patch_namespaced_deployment_status("media", namespace, {"status": {
        "observedGeneration": 3, "replicas": 4, "readyReplicas": 4, "updatedReplicas": 4, "availableReplicas": 4}})
    read = apps.read_namespaced_deployment("media", namespace)
    assert (read.status.ready_replicas, read.status.observed_generation, read.metadata.generation) == (4, 3, 3)
    assert apps.read_namespaced_deployment_scale("media", namespace).status.replicas == 4

    apps.delete_namespaced_deployment("media", namespace)
    assert [d.metadata.name for d in apps.list_namespaced_deployment(namespace).items] == []


def test_core_and_policy_and_rbac_objects(api, namespace):
    core = api.core
    core.create_namespaced_service_account(namespace, client.V1ServiceAccount(
        metadata=client.V1ObjectMeta(name="operator")))
    service = core.create_namespaced_service(namespace, client.V1Service(
        metadata=client.V1ObjectMeta(name="media"),
        spec=client.V1ServiceSpec(selector={"app": "media"}, ports=[client.V1ServicePort(port=8080)])))
    assert service.spec.cluster_ip and service.spec.ports[0].target_port == 8080
    core.create_namespaced_endpoints(namespace, client.V1Endpoints(
        metadata=client.V1ObjectMeta(name="media"),
        subsets=[client.V1EndpointSubset(addresses=[client.V1EndpointAddress(ip="10.0.0.9")],
                                         ports=[client.CoreV1EndpointPort(port=8080)])]))
    assert core.read_namespaced_endpoints("media", namespace).subsets[0].addresses[0].ip == "10.0.0.9"
    secret = core.create_namespaced_secret(namespace, client.V1Secret(
        metadata=client.V1ObjectMeta(name="token"), string_data={"token": "abc"}))
    assert secret.data == {"token": "YWJj"} and secret.type == "Opaque"

    pdb = api.policy.create_namespaced_pod_disruption_budget(namespace, client.V1PodDisruptionBudget(
        metadata=client.V1ObjectMeta(name="media"),
        spec=client.V1PodDisruptionBudgetSpec(max_unavailable=1,
                                              selector=client.V1LabelSelector(match_labels={"app": "media"}))))
    assert pdb.spec.max_unavailable == 1

    hpa = api.autoscaling.create_namespaced_horizontal_pod_autoscaler(namespace, client.V2HorizontalPodAutoscaler(
        metadata=client.V1ObjectMeta(name="media"),
        spec=client.V2HorizontalPodAutoscalerSpec(
            scale_target_ref=client.V2CrossVersionObjectReference(api_version="apps/v1", kind="Deployment",
                                                                  name="media"),
            min_replicas=1, max_replicas=4,
            metrics=[client.V2MetricSpec(type="Pods", pods=client.V2PodsMetricSource(
                metric=client.V2MetricIdentifier(name="media_server_active_streams"),
                target=client.V2MetricTarget(type="AverageValue", average_value="8")))])))
    assert hpa.spec.metrics[0].pods.target.average_value == "8"
    api.autoscaling.patch_namespaced_horizontal_pod_autoscaler_status("media", namespace, {"status": {
        "currentReplicas": 2, "desiredReplicas": 3}})
    assert api.autoscaling.read_namespaced_horizontal_pod_autoscaler("media", namespace).status.desired_replicas == 3

    api.rbac.create_namespaced_role(namespace, client.V1Role(
        metadata=client.V1ObjectMeta(name="backend"),
        rules=[client.V1PolicyRule(api_groups=[GROUP], resources=[PLURAL], verbs=["get", "create", "delete"])]))
    api.rbac.create_namespaced_role_binding(namespace, client.V1RoleBinding(
        metadata=client.V1ObjectMeta(name="backend"),
        role_ref=client.V1RoleRef(api_group="rbac.authorization.k8s.io", kind="Role", name="backend"),
        subjects=[client.RbacV1Subject(kind="ServiceAccount", name="operator", namespace=namespace)]))
    binding = api.rbac.read_namespaced_role_binding("backend", namespace)
    assert binding.role_ref.name == "backend" and binding.subjects[0].name == "operator"


def test_lease_leader_election_style_updates(api, namespace):
    """What a leader elector does: create the Lease, renew it with its resourceVersion; a stale renew loses."""
    coordination = api.coordination
    lease = coordination.create_namespaced_lease(namespace, client.V1Lease(
        metadata=client.V1ObjectMeta(name="operator"),
        spec=client.V1LeaseSpec(holder_identity="a", lease_duration_seconds=15, lease_transitions=0)))
    stale = coordination.read_namespaced_lease("operator", namespace)
    lease.spec.lease_duration_seconds = 20
    renewed = coordination.replace_namespaced_lease("operator", namespace, lease)
    assert rv(renewed) > rv(lease) and renewed.spec.lease_duration_seconds == 20
    stale.spec.holder_identity = "b"
    stale.spec.lease_transitions = 1
    with pytest.raises(ApiException) as raised:
        coordination.replace_namespaced_lease("operator", namespace, stale)
    assert raised.value.status == 409
    assert coordination.read_namespaced_lease("operator", namespace).spec.holder_identity == "a"


def test_core_event_is_listed_by_events_v1(api, namespace):
    """A core v1 Event with eventTime (a "new" event: reportingComponent, reportingInstance and action required)
    read back through events.k8s.io/v1 (whose Python model requires eventTime)."""
    when = datetime.datetime(2025, 1, 2, 3, 4, 5, 678901, tzinfo=datetime.timezone.utc)
    api.core.create_namespaced_event(namespace, client.CoreV1Event(
        metadata=client.V1ObjectMeta(name="media.1"),
        involved_object=client.V1ObjectReference(kind="Pod", name="media-0", namespace=namespace,
                                                 api_version="v1"),
        reason="Started", message="pod started", type="Normal", event_time=when, action="Start",
        reporting_component="devcluster.streamlick.io/kubelet", reporting_instance="devcluster"))
    events = api.events.list_namespaced_event(namespace).items
    assert [(e.metadata.name, e.note, e.reason, e.regarding.name, e.action) for e in events] == \
        [("media.1", "pod started", "Started", "media-0", "Start")]
    assert events[0].event_time == when and events[0].reporting_controller == "devcluster.streamlick.io/kubelet"


# --- custom objects ---

@pytest.fixture
def custom(api, crds):
    return api.custom


def test_custom_object_crud(custom, namespace):
    created = custom.create_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, broadcast(
        "py", namespace, spec={"title": "a", "destinations": [destination("yt")]}, labels={"team": "video"}))
    assert created["metadata"]["generation"] == 1 and created["spec"]["egress"] == {"method": "rtmp"}
    got = custom.get_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, "py")
    assert got["metadata"]["uid"] == created["metadata"]["uid"]
    listed = custom.list_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, label_selector="team=video")
    assert listed["kind"] == "BroadcastList" and [i["metadata"]["name"] for i in listed["items"]] == ["py"]
    assert listed["apiVersion"] == "media.streamlick.io/v1alpha1"

    # CustomObjectsApi patches are JSON merge patches by default.
    patched = custom.patch_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, "py",
                                                    {"spec": {"title": "b"}})
    assert patched["spec"]["title"] == "b" and patched["spec"]["destinations"][0]["name"] == "yt"
    assert patched["metadata"]["generation"] == 2

    got = custom.get_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, "py")
    got["spec"]["guests"]["max"] = 10
    replaced = custom.replace_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, "py", got)
    assert replaced["spec"]["guests"]["max"] == 10 and replaced["metadata"]["generation"] == 3

    with_status = custom.patch_namespaced_custom_object_status(GROUP, VERSION, namespace, PLURAL, "py",
                                                               {"status": {"phase": "Pending"}})
    assert with_status["status"] == {"phase": "Pending"} and with_status["metadata"]["generation"] == 3
    assert custom.get_namespaced_custom_object_status(GROUP, VERSION, namespace, PLURAL, "py")["status"] == \
        {"phase": "Pending"}

    custom.delete_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, "py")
    with pytest.raises(ApiException) as raised:
        custom.get_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, "py")
    assert raised.value.status == 404
    body = api_error_body(raised.value)
    assert body["message"] == 'broadcasts.media.streamlick.io "py" not found'
    assert body["details"] == {"name": "py", "group": GROUP, "kind": "broadcasts"}, body


def test_custom_object_validation_error_body(custom, namespace):
    with pytest.raises(ApiException) as raised:
        custom.create_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, broadcast(
            "bad", namespace, spec={"egress": {"method": "foo"}}))
    assert raised.value.status == 422
    body = api_error_body(raised.value)
    assert (body["reason"], body["code"]) == ("Invalid", 422), body
    assert body["message"] == ('Broadcast.media.streamlick.io "bad" is invalid: spec.egress.method: Unsupported '
                               'value: "foo": supported values: "rtmp", "relay"'), body
    details = body["details"]
    assert (details["name"], details["group"], details["kind"]) == ("bad", GROUP, "Broadcast"), details
    assert details["causes"] == [{"reason": "FieldValueNotSupported",
                                  "message": 'Unsupported value: "foo": supported values: "rtmp", "relay"',
                                  "field": "spec.egress.method"}], details


def test_custom_object_field_validation(custom, namespace):
    obj = broadcast("fv", namespace, spec={"title": "t", "bogus": 1})
    with pytest.raises(ApiException) as raised:
        custom.create_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, obj, field_validation="Strict")
    assert raised.value.status == 400
    assert api_error_body(raised.value)["message"] == ('Broadcast in version "v1alpha1" cannot be handled as a '
                                                       'Broadcast: strict decoding error: unknown field "spec.bogus"')
    created = custom.create_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, obj,
                                                     field_validation="Ignore")
    assert created["spec"] == {"title": "t", "egress": {"method": "rtmp"}, "guests": {"max": 6},
                               "video": {"maxBitrateKbps": 4500}}


def test_strategic_merge_patch_of_custom_object_is_415(custom, namespace):
    custom.create_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, broadcast("smp", namespace))
    with pytest.raises(ApiException) as raised:
        custom.patch_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, "smp", {"spec": {"title": "x"}},
                                              _content_type="application/strategic-merge-patch+json")
    assert raised.value.status == 415
    body = api_error_body(raised.value)
    assert body["reason"] == "UnsupportedMediaType", body
    assert body["message"].startswith("the body of the request was in an unknown format - accepted media types "
                                      "include: "), body


def test_custom_object_json_patch_and_scale(custom, namespace):
    custom.create_namespaced_custom_object("test.streamlick.io", "v1", namespace, "widgets", widget("w", namespace, 2))
    patched = custom.patch_namespaced_custom_object("test.streamlick.io", "v1", namespace, "widgets", "w",
                                                    [{"op": "replace", "path": "/spec/replicas", "value": 3}],
                                                    _content_type="application/json-patch+json")
    assert patched["spec"]["replicas"] == 3
    scale = custom.get_namespaced_custom_object_scale("test.streamlick.io", "v1", namespace, "widgets", "w")
    assert (scale["apiVersion"], scale["kind"], scale["metadata"]["name"]) == ("autoscaling/v1", "Scale", "w")
    assert scale["spec"] == {"replicas": 3} and scale["status"]["replicas"] == 0
    custom.patch_namespaced_custom_object_scale("test.streamlick.io", "v1", namespace, "widgets", "w",
                                                {"spec": {"replicas": 7}})
    got = custom.get_namespaced_custom_object("test.streamlick.io", "v1", namespace, "widgets", "w")
    assert got["spec"]["replicas"] == 7
    custom.patch_namespaced_custom_object_status("test.streamlick.io", "v1", namespace, "widgets", "w",
                                                 {"status": {"replicas": 7, "selector": "app=w"}})
    scale = custom.get_namespaced_custom_object_scale("test.streamlick.io", "v1", namespace, "widgets", "w")
    assert scale["status"] == {"replicas": 7, "selector": "app=w"}


# --- optimistic concurrency ---

def test_replace_with_the_same_resource_version_twice_conflicts_once(api, namespace):
    core = api.core
    core.create_namespaced_config_map(namespace, cm("raced", {"v": "0"}))
    base = core.read_namespaced_config_map("raced", namespace)
    first = client.V1ConfigMap(metadata=client.V1ObjectMeta(name="raced", resource_version=base.metadata.resource_version),
                               data={"v": "first"})
    second = client.V1ConfigMap(metadata=client.V1ObjectMeta(name="raced",
                                                              resource_version=base.metadata.resource_version),
                                data={"v": "second"})
    core.replace_namespaced_config_map("raced", namespace, first)
    with pytest.raises(ApiException) as raised:
        core.replace_namespaced_config_map("raced", namespace, second)
    assert raised.value.status == 409
    body = api_error_body(raised.value)
    assert (body["reason"], body["code"]) == ("Conflict", 409), body
    assert body["message"] == CONFLICT.format(resource="configmaps", name="raced")
    assert body["details"] == {"name": "raced", "kind": "configmaps"}, body
    assert core.read_namespaced_config_map("raced", namespace).data == {"v": "first"}


def test_two_racing_writers_exactly_one_wins(api, namespace):
    core = api.core
    for round_ in range(5):
        name = f"race-{round_}"
        core.create_namespaced_config_map(namespace, cm(name, {"v": "0"}))
        version = core.read_namespaced_config_map(name, namespace).metadata.resource_version
        barrier = threading.Barrier(2)
        results = {}

        def write(writer, name=name, version=version, barrier=barrier, results=results):
            body = client.V1ConfigMap(metadata=client.V1ObjectMeta(name=name, resource_version=version),
                                      data={"v": writer})
            barrier.wait()
            try:
                core.replace_namespaced_config_map(name, namespace, body)
                results[writer] = "ok"
            except ApiException as error:
                results[writer] = error.status

        threads = [threading.Thread(target=write, args=(w,)) for w in ("a", "b")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=10)
        assert sorted(results.values(), key=str) == [409, "ok"], results
        winner = next(w for w, r in results.items() if r == "ok")
        assert core.read_namespaced_config_map(name, namespace).data == {"v": winner}


def test_custom_object_conflict_message(custom, namespace):
    custom.create_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, broadcast("crace", namespace))
    stale = custom.get_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, "crace")
    custom.patch_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, "crace", {"spec": {"title": "new"}})
    stale["spec"]["title"] = "stale"
    with pytest.raises(ApiException) as raised:
        custom.replace_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, "crace", stale)
    assert raised.value.status == 409
    body = api_error_body(raised.value)
    assert body["message"] == CONFLICT.format(resource="broadcasts.media.streamlick.io", name="crace"), body
    # Status writes are checked the same way.
    with pytest.raises(ApiException) as raised:
        custom.replace_namespaced_custom_object_status(GROUP, VERSION, namespace, PLURAL, "crace",
                                                       {**stale, "status": {"phase": "Live"}})
    assert raised.value.status == 409


# --- chunked lists ---

def test_list_pages_with_limit_and_continue(api, namespace):
    core = api.core
    for i in range(5):
        core.create_namespaced_config_map(namespace, cm(f"page-{i}"))
    full = [i.metadata.name for i in core.list_namespaced_config_map(namespace).items]
    assert [n for n in full if n.startswith("page-")] == [f"page-{i}" for i in range(5)], full

    first = core.list_namespaced_config_map(namespace, limit=2)
    assert len(first.items) == 2 and first.metadata._continue, first.metadata
    assert first.metadata.remaining_item_count == len(full) - 2
    names, page, pages = [i.metadata.name for i in first.items], first, 1
    while page.metadata._continue:
        page = core.list_namespaced_config_map(namespace, limit=2, _continue=page.metadata._continue)
        assert 1 <= len(page.items) <= 2
        assert page.metadata.resource_version == first.metadata.resource_version
        names += [i.metadata.name for i in page.items]
        pages += 1
    assert names == full and pages == (len(full) + 1) // 2


def test_continued_list_is_a_consistent_snapshot(api, namespace):
    """Pages after the first come from the first page's snapshot: later writes are not seen."""
    core = api.core
    for name in ("a", "b", "c", "d"):
        core.create_namespaced_config_map(namespace, cm(name, {"v": "old"}, {"snap": "1"}))
    first = core.list_namespaced_config_map(namespace, limit=2, label_selector="snap=1")
    assert [i.metadata.name for i in first.items] == ["a", "b"]
    core.patch_namespaced_config_map("c", namespace, {"data": {"v": "new"}})
    core.create_namespaced_config_map(namespace, cm("e", {"v": "new"}, {"snap": "1"}))
    rest = core.list_namespaced_config_map(namespace, limit=10, label_selector="snap=1",
                                           _continue=first.metadata._continue)
    assert [(i.metadata.name, i.data["v"]) for i in rest.items] == [("c", "old"), ("d", "old")]
    assert not rest.metadata._continue


def test_delete_collection_with_selector(api, namespace):
    core = api.core
    for name, group in (("x1", "gone"), ("x2", "gone"), ("y1", "kept")):
        core.create_namespaced_config_map(namespace, cm(name, labels={"g": group}))
    core.delete_collection_namespaced_config_map(namespace, label_selector="g=gone")
    left = [i.metadata.name for i in core.list_namespaced_config_map(namespace, label_selector="g").items]
    assert left == ["y1"]


def test_bad_label_selector_is_400(api, namespace):
    with pytest.raises(ApiException) as raised:
        api.core.list_namespaced_config_map(namespace, label_selector="tier in web")
    assert raised.value.status == 400
    assert api_error_body(raised.value)["reason"] == "BadRequest"


# --- persistence and restarts (a private server each) ---

def start_with_crd(private_devcluster):
    cluster = private_devcluster()
    cluster.kubectl("apply", "-f", BROADCAST_CRD)
    cluster.kubectl("wait", "--for=condition=Established", "--timeout=20s", "crd/broadcasts.media.streamlick.io")
    cluster.create_namespace("studio")
    return cluster


def test_restart_keeps_objects_and_a_watch_resumes(private_devcluster):
    cluster = start_with_crd(private_devcluster)
    apis = Apis(cluster.api_client())
    start = apis.custom.list_namespaced_custom_object(GROUP, VERSION, "studio", PLURAL)["metadata"]["resourceVersion"]
    apis.custom.create_namespaced_custom_object(GROUP, VERSION, "studio", PLURAL, broadcast("weekly", "studio"))
    apis.custom.patch_namespaced_custom_object(GROUP, VERSION, "studio", PLURAL, "weekly",
                                               {"spec": {"title": "before restart"}})
    kept = apis.core.create_namespaced_config_map("studio", cm("kept", {"a": "1"}))

    seen = []
    w = watch.Watch()
    for event in w.stream(apis.custom.list_namespaced_custom_object, GROUP, VERSION, "studio", PLURAL,
                          resource_version=start, timeout_seconds=5):
        seen.append((event["type"], rv(event["object"])))
        if len(seen) == 2:
            w.stop()
    assert [kind for kind, _ in seen] == ["ADDED", "MODIFIED"], seen
    last_seen = seen[-1][1]
    highest_before = max(last_seen, rv(kept))

    cluster.restart()
    apis = Apis(cluster.api_client())
    again = apis.core.read_namespaced_config_map("kept", "studio")
    assert (again.metadata.uid, again.metadata.resource_version, again.data) == \
        (kept.metadata.uid, kept.metadata.resource_version, {"a": "1"})
    weekly = apis.custom.get_namespaced_custom_object(GROUP, VERSION, "studio", PLURAL, "weekly")
    assert weekly["spec"]["title"] == "before restart" and rv(weekly) == last_seen
    assert cluster.kubectl("get", "bc", "-n", "studio", "-o", "name").stdout.split() == \
        ["broadcast.media.streamlick.io/weekly"]

    after = apis.custom.patch_namespaced_custom_object(GROUP, VERSION, "studio", PLURAL, "weekly",
                                                       {"spec": {"title": "after restart"}})
    assert rv(after) > highest_before
    resumed = []
    w = watch.Watch()
    for event in w.stream(apis.custom.list_namespaced_custom_object, GROUP, VERSION, "studio", PLURAL,
                          resource_version=str(last_seen), timeout_seconds=5):
        resumed.append((event["type"], event["object"]["spec"].get("title"), rv(event["object"])))
        w.stop()
    assert resumed == [("MODIFIED", "after restart", rv(after))], resumed
    created_after = apis.core.create_namespaced_config_map("studio", cm("new"))
    assert rv(created_after) > rv(after)


def test_sigkill_keeps_acknowledged_writes(private_devcluster):
    cluster = start_with_crd(private_devcluster)
    apis = Apis(cluster.api_client())
    written = apis.core.create_namespaced_config_map("studio", cm("durable", {"k": "v"}))
    apis.core.create_namespaced_config_map("studio", cm("removed"))
    apis.core.delete_namespaced_config_map("removed", "studio")
    show = apis.custom.create_namespaced_custom_object(GROUP, VERSION, "studio", PLURAL, broadcast("show", "studio"))
    status = apis.custom.patch_namespaced_custom_object_status(GROUP, VERSION, "studio", PLURAL, "show",
                                                               {"status": {"phase": "Live"}})
    cluster.kill()
    cluster.start()
    apis = Apis(cluster.api_client())
    read = apis.core.read_namespaced_config_map("durable", "studio")
    assert (read.metadata.uid, read.metadata.resource_version) == \
        (written.metadata.uid, written.metadata.resource_version)
    names = [i.metadata.name for i in apis.core.list_namespaced_config_map("studio").items]
    assert "removed" not in names and "durable" in names
    got = apis.custom.get_namespaced_custom_object(GROUP, VERSION, "studio", PLURAL, "show")
    assert got["metadata"]["uid"] == show["metadata"]["uid"] and got["status"] == {"phase": "Live"}
    assert rv(got) == rv(status)
