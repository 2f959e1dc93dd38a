"""devcluster's patches and applies through kubectl 1.32: JSON merge, JSON patch and strategic merge patch on
built-ins (strategic refused with 415 for custom resources), client-side apply's three-way strategic patches, and
server-side apply with field managers and conflicts."""

import json

import pytest

from harness.kube import broadcast, configmap, deployment, manifest

pytestmark = pytest.mark.devcluster

BC = "broadcast.media.streamlick.io"


@pytest.fixture(autouse=True)
def _crds(crds):
    """Custom resources appear in most tests here."""


def two_container_deployment(name, namespace):
    return deployment(name, namespace, replicas=1, containers=[
        {"name": "main", "image": "media-pod:1", "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]},
        {"name": "sidecar", "image": "sidecar:1"},
    ])


def containers(devcluster, namespace, name) -> list:
    stored = devcluster.kubectl_json("get", "deployment", name, "-n", namespace)
    return stored["spec"]["template"]["spec"]["containers"]


def images(devcluster, namespace, name) -> list:
    return [(c["name"], c["image"]) for c in containers(devcluster, namespace, name)]


# --- kubectl patch on a Deployment ---

def test_strategic_patch_merges_containers_by_name(devcluster, namespace):
    devcluster.apply(manifest(two_container_deployment("smp", namespace)))
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "sidecar", "image": "sidecar:2"}]}}}}
    out = devcluster.kubectl("patch", "deployment", "smp", "-n", namespace, "--type=strategic",
                             "-p", json.dumps(patch)).stdout
    assert out.strip() == "deployment.apps/smp patched"
    assert images(devcluster, namespace, "smp") == [("main", "media-pod:1"), ("sidecar", "sidecar:2")]

    # kubectl patch's default type is strategic; env merges by name inside the container too.
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "main", "env": [{"name": "B", "value": "3"}]}]}}}}
    devcluster.kubectl("patch", "deployment", "smp", "-n", namespace, "-p", json.dumps(patch))
    main = containers(devcluster, namespace, "smp")[0]
    assert main["image"] == "media-pod:1"
    assert main["env"] == [{"name": "A", "value": "1"}, {"name": "B", "value": "3"}]

    # $patch: delete removes one element by its key.
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "sidecar", "$patch": "delete"}]}}}}
    devcluster.kubectl("patch", "deployment", "smp", "-n", namespace, "-p", json.dumps(patch))
    assert images(devcluster, namespace, "smp") == [("main", "media-pod:1")]
    assert devcluster.kubectl("get", "deploy", "smp", "-n", namespace, "-o",
                              "jsonpath={.metadata.generation}").stdout == "4"


def test_merge_patch_replaces_lists(devcluster, namespace):
    devcluster.apply(manifest(two_container_deployment("jmp", namespace)))
    out = devcluster.kubectl("patch", "deployment", "jmp", "-n", namespace, "--type=merge",
                             "-p", '{"spec":{"replicas":4}}').stdout
    assert out.strip() == "deployment.apps/jmp patched"
    assert devcluster.kubectl("get", "deploy", "jmp", "-n", namespace, "-o", "jsonpath={.spec.replicas}").stdout == "4"
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "sidecar", "image": "sidecar:2"}]}}}}
    devcluster.kubectl("patch", "deployment", "jmp", "-n", namespace, "--type=merge", "-p", json.dumps(patch))
    assert images(devcluster, namespace, "jmp") == [("sidecar", "sidecar:2")]
    # null deletes a key.
    devcluster.kubectl("patch", "deployment", "jmp", "-n", namespace, "--type=merge",
                       "-p", '{"metadata":{"labels":{"x":"1"}}}')
    devcluster.kubectl("patch", "deployment", "jmp", "-n", namespace, "--type=merge",
                       "-p", '{"metadata":{"labels":{"x":null}}}')
    labels = devcluster.kubectl_json("get", "deploy", "jmp", "-n", namespace)["metadata"].get("labels") or {}
    assert "x" not in labels


def test_json_patch(devcluster, namespace):
    devcluster.apply(manifest(two_container_deployment("jp", namespace)))
    ops = [{"op": "replace", "path": "/spec/replicas", "value": 5},
           {"op": "add", "path": "/metadata/labels", "value": {"tier": "media"}},
           {"op": "replace", "path": "/spec/template/spec/containers/1/image", "value": "sidecar:9"}]
    out = devcluster.kubectl("patch", "deployment", "jp", "-n", namespace, "--type=json", "-p", json.dumps(ops)).stdout
    assert out.strip() == "deployment.apps/jp patched"
    stored = devcluster.kubectl_json("get", "deploy", "jp", "-n", namespace)
    assert stored["spec"]["replicas"] == 5 and stored["metadata"]["labels"] == {"tier": "media"}
    assert images(devcluster, namespace, "jp") == [("main", "media-pod:1"), ("sidecar", "sidecar:9")]

    # A failing test op fails the whole patch: nothing of it is applied.
    ops = [{"op": "replace", "path": "/spec/replicas", "value": 7}, {"op": "test", "path": "/spec/replicas",
                                                                     "value": 99}]
    result = devcluster.kubectl("patch", "deployment", "jp", "-n", namespace, "--type=json", "-p", json.dumps(ops),
                                check=False)
    assert result.returncode != 0
    assert devcluster.kubectl("get", "deploy", "jp", "-n", namespace, "-o", "jsonpath={.spec.replicas}").stdout == "5"


def test_patch_that_changes_nothing_says_no_change(devcluster, namespace):
    devcluster.apply(manifest(configmap("same", namespace, data={"k": "v"})))
    before = devcluster.kubectl_json("get", "cm", "same", "-n", namespace)["metadata"]["resourceVersion"]
    out = devcluster.kubectl("patch", "cm", "same", "-n", namespace, "--type=merge", "-p", '{"data":{"k":"v"}}').stdout
    assert out.strip() == "configmap/same patched (no change)"
    assert devcluster.kubectl_json("get", "cm", "same", "-n", namespace)["metadata"]["resourceVersion"] == before


# --- patches on custom resources ---

def test_strategic_patch_on_custom_resource_is_unsupported(devcluster, namespace):
    devcluster.apply(manifest(broadcast("cr", namespace, spec={"title": "a"})))
    result = devcluster.kubectl("patch", "bc", "cr", "-n", namespace, "-p", '{"spec":{"title":"b"}}', check=False)
    assert result.returncode == 1
    assert result.stderr.strip().startswith(
        "error: application/strategic-merge-patch+json is not supported by media.streamlick.io/v1alpha1, "
        "Kind=Broadcast: the body of the request was in an unknown format - accepted media types include: "), \
        result.stderr
    assert "application/merge-patch+json" in result.stderr and "application/json-patch+json" in result.stderr
    assert devcluster.kubectl("get", "bc", "cr", "-n", namespace, "-o", "jsonpath={.spec.title}").stdout == "a"


def test_merge_and_json_patch_on_custom_resource(devcluster, namespace):
    devcluster.apply(manifest(broadcast("crp", namespace, spec={"title": "a", "placement": {"zones": ["z1", "z2"]}})))
    out = devcluster.kubectl("patch", "bc", "crp", "-n", namespace, "--type=merge",
                             "-p", '{"spec":{"title":"b","placement":{"zones":["z3"]}}}').stdout
    assert out.strip() == f"{BC}/crp patched"
    spec = devcluster.kubectl_json("get", "bc", "crp", "-n", namespace)["spec"]
    assert spec["title"] == "b" and spec["placement"]["zones"] == ["z3"]
    ops = [{"op": "add", "path": "/spec/placement/zones/-", "value": "z4"},
           {"op": "remove", "path": "/spec/title"}]
    devcluster.kubectl("patch", "bc", "crp", "-n", namespace, "--type=json", "-p", json.dumps(ops))
    spec = devcluster.kubectl_json("get", "bc", "crp", "-n", namespace)["spec"]
    assert "title" not in spec and spec["placement"]["zones"] == ["z3", "z4"]
    # A merge patch's result is validated like any write.
    result = devcluster.kubectl("patch", "bc", "crp", "-n", namespace, "--type=merge",
                                "-p", '{"spec":{"egress":{"method":"carrier-pigeon"}}}', check=False)
    assert result.returncode == 1
    assert result.stderr.strip() == ('The Broadcast "crp" is invalid: spec.egress.method: Unsupported value: '
                                     '"carrier-pigeon": supported values: "rtmp", "relay"')


# --- client-side apply (three-way strategic merge for built-ins, merge patch for custom resources) ---

def test_apply_changes_one_container_and_removes_another(devcluster, namespace):
    manifest_v1 = two_container_deployment("csa", namespace)
    assert devcluster.apply(manifest(manifest_v1)).stdout.strip() == "deployment.apps/csa created"
    manifest_v2 = json.loads(json.dumps(manifest_v1))
    manifest_v2["spec"]["template"]["spec"]["containers"][0]["image"] = "media-pod:2"
    assert devcluster.apply(manifest(manifest_v2)).stdout.strip() == "deployment.apps/csa configured"
    assert images(devcluster, namespace, "csa") == [("main", "media-pod:2"), ("sidecar", "sidecar:1")]
    manifest_v3 = json.loads(json.dumps(manifest_v2))
    del manifest_v3["spec"]["template"]["spec"]["containers"][1]
    assert devcluster.apply(manifest(manifest_v3)).stdout.strip() == "deployment.apps/csa configured"
    assert images(devcluster, namespace, "csa") == [("main", "media-pod:2")]
    assert devcluster.apply(manifest(manifest_v3)).stdout.strip() == "deployment.apps/csa unchanged"


def test_apply_custom_resource_configured(devcluster, namespace):
    obj = broadcast("csa-cr", namespace, spec={"title": "a", "guests": {"max": 3}})
    assert devcluster.apply(manifest(obj)).stdout.strip() == f"{BC}/csa-cr created"
    assert devcluster.apply(manifest(obj)).stdout.strip() == f"{BC}/csa-cr unchanged"
    obj["spec"] = {"title": "b"}
    assert devcluster.apply(manifest(obj)).stdout.strip() == f"{BC}/csa-cr configured"
    spec = devcluster.kubectl_json("get", "bc", "csa-cr", "-n", namespace)["spec"]
    # guests.max was applied before and is gone from the manifest: deleted, then defaulted again.
    assert spec["title"] == "b" and spec["guests"] == {"max": 6}


# --- server-side apply ---

def managed_fields(devcluster, resource, name, namespace) -> dict:
    obj = devcluster.kubectl_json("get", resource, name, "-n", namespace, "--show-managed-fields")
    return {entry["manager"]: entry for entry in obj["metadata"]["managedFields"]}


def test_server_side_apply_create_reapply_and_remove_a_field(devcluster, namespace):
    obj = broadcast("ssa", namespace, spec={"title": "a", "guests": {"max": 3}})
    result = devcluster.kubectl("apply", "--server-side", "-f", "-", input=manifest(obj))
    assert result.stdout.strip() == f"{BC}/ssa serverside-applied"
    first = devcluster.kubectl_json("get", "bc", "ssa", "-n", namespace)
    assert first["spec"]["guests"]["max"] == 3
    assert "kubectl.kubernetes.io/last-applied-configuration" not in first["metadata"].get("annotations", {})

    managers = managed_fields(devcluster, "bc", "ssa", namespace)
    entry = managers["kubectl"]
    assert (entry["operation"], entry["apiVersion"], entry["fieldsType"]) == \
        ("Apply", "media.streamlick.io/v1alpha1", "FieldsV1"), entry
    assert entry["fieldsV1"]["f:spec"]["f:title"] == {} and entry["fieldsV1"]["f:spec"]["f:guests"] == {"f:max": {}}

    # The same apply again: reported, but nothing is written.
    result = devcluster.kubectl("apply", "--server-side", "-f", "-", input=manifest(obj))
    assert result.stdout.strip() == f"{BC}/ssa serverside-applied"
    again = devcluster.kubectl_json("get", "bc", "ssa", "-n", namespace)
    assert again["metadata"]["resourceVersion"] == first["metadata"]["resourceVersion"]

    # A field the applier owned and no longer sends is removed (then defaulted).
    obj["spec"] = {"title": "a"}
    devcluster.kubectl("apply", "--server-side", "-f", "-", input=manifest(obj))
    assert devcluster.kubectl_json("get", "bc", "ssa", "-n", namespace)["spec"]["guests"] == {"max": 6}


def test_server_side_apply_conflict_and_force(devcluster, namespace):
    alice = broadcast("shared", namespace, spec={"title": "alice's"})
    devcluster.kubectl("apply", "--server-side", "--field-manager=alice", "-f", "-", input=manifest(alice))
    bob = broadcast("shared", namespace, spec={"title": "bob's"})
    result = devcluster.kubectl("apply", "--server-side", "--field-manager=bob", "-f", "-", input=manifest(bob),
                                check=False)
    assert result.returncode == 1
    first_line = result.stderr.strip().splitlines()[0]
    assert first_line == 'error: Apply failed with 1 conflict: conflict with "alice": .spec.title', result.stderr
    assert "--force-conflicts" in result.stderr
    assert devcluster.kubectl("get", "bc", "shared", "-n", namespace, "-o", "jsonpath={.spec.title}").stdout == \
        "alice's"

    result = devcluster.kubectl("apply", "--server-side", "--field-manager=bob", "--force-conflicts", "-f", "-",
                                input=manifest(bob))
    assert result.stdout.strip() == f"{BC}/shared serverside-applied"
    assert devcluster.kubectl("get", "bc", "shared", "-n", namespace, "-o", "jsonpath={.spec.title}").stdout == "bob's"
    managers = managed_fields(devcluster, "bc", "shared", namespace)
    assert "f:title" in managers["bob"]["fieldsV1"]["f:spec"]
    assert "f:title" not in managers.get("alice", {}).get("fieldsV1", {}).get("f:spec", {})

    # Sending the value someone else set is no conflict: the field becomes shared.
    carol = broadcast("shared", namespace, spec={"title": "bob's"})
    result = devcluster.kubectl("apply", "--server-side", "--field-manager=carol", "-f", "-", input=manifest(carol))
    assert result.stdout.strip() == f"{BC}/shared serverside-applied"


def test_server_side_apply_conflicts_with_an_update(devcluster, namespace):
    obj = broadcast("updated", namespace, spec={"title": "applied"})
    devcluster.kubectl("apply", "--server-side", "-f", "-", input=manifest(obj))
    devcluster.kubectl("patch", "bc", "updated", "-n", namespace, "--type=merge", "-p", '{"spec":{"title":"patched"}}')
    managers = managed_fields(devcluster, "bc", "updated", namespace)
    assert managers["kubectl-patch"]["operation"] == "Update"
    result = devcluster.kubectl("apply", "--server-side", "-f", "-", input=manifest(obj), check=False)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[0] == (
        'error: Apply failed with 1 conflict: conflict with "kubectl-patch" using media.streamlick.io/v1alpha1: '
        '.spec.title'), result.stderr


def test_server_side_apply_builtin(devcluster, namespace):
    cm = configmap("ssa-cm", namespace, data={"a": "1", "b": "2"})
    assert devcluster.kubectl("apply", "--server-side", "-f", "-", input=manifest(cm)).stdout.strip() == \
        "configmap/ssa-cm serverside-applied"
    cm["data"] = {"a": "1"}
    devcluster.kubectl("apply", "--server-side", "-f", "-", input=manifest(cm))
    assert devcluster.kubectl_json("get", "cm", "ssa-cm", "-n", namespace)["data"] == {"a": "1"}

    dep = two_container_deployment("ssa-dep", namespace)
    devcluster.kubectl("apply", "--server-side", "-f", "-", input=manifest(dep))
    # containers is a map keyed by name for apply: another manager's image change merges in.
    image_only = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "ssa-dep", "namespace": namespace},
                  "spec": {"template": {"spec": {"containers": [{"name": "sidecar", "image": "sidecar:2"}]}}}}
    devcluster.kubectl("apply", "--server-side", "--field-manager=imager", "--force-conflicts", "-f", "-",
                       input=manifest(image_only))
    assert images(devcluster, namespace, "ssa-dep") == [("main", "media-pod:1"), ("sidecar", "sidecar:2")]
