"""devcluster's object semantics through kubectl 1.32: names and generateName, namespaces and their deletion,
finalizers and deletionTimestamp, owner references and garbage collection, label and field selectors, chunked
lists, and optimistic concurrency."""

import json
import re
import subprocess

import pytest

from devcluster_fixtures import unique_name
from harness.devcluster import any_line
from harness.kube import broadcast, configmap, manifest, pod, wait_until

pytestmark = pytest.mark.devcluster

BC = "broadcast.media.streamlick.io"
GENERATE_NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # apimachinery's utilrand: no vowels, no 0/1/3


def exists(devcluster, resource, name, namespace) -> bool:
    return devcluster.kubectl("get", resource, name, "-n", namespace, "--ignore-not-found",
                              "-o", "name").stdout.strip() != ""


# --- names ---

def test_generate_name(devcluster, namespace):
    text = manifest({"apiVersion": "v1", "kind": "ConfigMap",
                     "metadata": {"generateName": "gen-", "namespace": namespace}, "data": {"k": "v"}})
    names = []
    for _ in range(2):
        out = devcluster.kubectl("create", "-f", "-", input=text).stdout.strip()
        match = re.fullmatch(rf"configmap/(gen-[{GENERATE_NAME_ALPHABET}]{{5}}) created", out)
        assert match, out
        names.append(match.group(1))
    assert names[0] != names[1]
    stored = devcluster.kubectl_json("get", "cm", names[0], "-n", namespace)
    assert stored["metadata"]["generateName"] == "gen-" and stored["metadata"]["name"] == names[0]


def test_invalid_name_is_rejected(devcluster, namespace):
    result = devcluster.kubectl("create", "-f", "-", input=manifest(configmap("Bad_Name", namespace)), check=False)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        'The ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 '
        "subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an "
        "alphanumeric character (e.g. 'example.com', regex used for validation is "
        r"'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")


# --- namespaces ---

def test_deleting_a_namespace_deletes_its_objects(devcluster, crds, request):
    name = unique_name("ns", request)
    devcluster.create_namespace(name)
    devcluster.apply(manifest(configmap("plain", name), broadcast("show", name)))
    out = devcluster.kubectl("delete", "namespace", name, "--timeout=30s").stdout
    assert out.strip() == f'namespace "{name}" deleted'
    result = devcluster.kubectl("get", "ns", name, check=False)
    assert result.returncode == 1 and result.stderr.strip() == \
        f'Error from server (NotFound): namespaces "{name}" not found'
    # Listing a namespace that does not exist is not an error: it is empty.
    for resource in ("configmaps", "broadcasts"):
        result = devcluster.kubectl("get", resource, "-n", name)
        assert result.stdout == "" and result.stderr.strip() == f"No resources found in {name} namespace."


def test_namespace_stays_terminating_until_its_objects_are_gone(devcluster, crds, request):
    name = unique_name("ns", request)
    devcluster.create_namespace(name)
    held = configmap("held", name, finalizers=["test.streamlick.io/hold"])
    devcluster.apply(manifest(held, configmap("plain", name), broadcast("show", name)))

    out = devcluster.kubectl("delete", "namespace", name, "--wait=false").stdout
    assert out.strip() == f'namespace "{name}" deleted'
    ns = devcluster.kubectl_json("get", "ns", name)
    assert ns["status"]["phase"] == "Terminating" and ns["metadata"].get("deletionTimestamp"), ns

    # Its content goes; the object with a finalizer stays, marked for deletion, and so does the namespace.
    wait_until(lambda: not exists(devcluster, "cm", "plain", name) and not exists(devcluster, "bc", "show", name),
               timeout=10, message="the namespace's objects deleted")
    held_now = devcluster.kubectl_json("get", "cm", "held", "-n", name)
    assert held_now["metadata"].get("deletionTimestamp"), held_now["metadata"]
    assert devcluster.kubectl("get", "ns", name, "-o", "jsonpath={.status.phase}").stdout == "Terminating"

    result = devcluster.kubectl("create", "-f", "-", input=manifest(configmap("late", name)), check=False)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f'Error from server (Forbidden): error when creating "STDIN": configmaps "late" is forbidden: unable to '
        f"create new content in namespace {name} because it is being terminated")

    devcluster.kubectl("patch", "cm", "held", "-n", name, "--type=json",
                       "-p", '[{"op":"remove","path":"/metadata/finalizers"}]')
    wait_until(lambda: devcluster.kubectl("get", "ns", name, "--ignore-not-found", "-o", "name").stdout == "",
               timeout=10, message="the namespace gone")


def test_kube_system_and_default_cannot_be_deleted(private_devcluster):
    """On a server of its own: if the deletes went through, they would break every later test of a shared one."""
    cluster = private_devcluster(persistent=False)
    for name in ("default", "kube-system"):
        result = cluster.kubectl("delete", "namespace", name, "--wait=false", check=False)
        assert result.returncode == 1
        assert result.stderr.strip() == \
            f'Error from server (Forbidden): namespaces "{name}" is forbidden: this namespace may not be deleted'


# --- finalizers ---

def test_delete_with_finalizer_marks_then_removal_deletes(devcluster, namespace, crds):
    obj = broadcast("final", namespace, finalizers=["media.streamlick.io/egress-stopped"])
    devcluster.apply(manifest(obj))
    out = devcluster.kubectl("delete", "bc", "final", "-n", namespace, "--wait=false").stdout
    assert out.strip() == f'{BC} "final" deleted'

    marked = devcluster.kubectl_json("get", "bc", "final", "-n", namespace)
    meta = marked["metadata"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", meta.get("deletionTimestamp", "")), meta
    assert meta["deletionGracePeriodSeconds"] == 0, meta
    assert meta["finalizers"] == ["media.streamlick.io/egress-stopped"]
    assert meta["generation"] == 2, meta  # setting deletionTimestamp counts as a change of the object

    # Deleting again changes nothing; the status can still be written (the finalizer's owner reports progress).
    devcluster.kubectl("delete", "bc", "final", "-n", namespace, "--wait=false")
    assert devcluster.kubectl_json("get", "bc", "final", "-n", namespace)["metadata"]["deletionTimestamp"] == \
        meta["deletionTimestamp"]
    devcluster.kubectl("patch", "bc", "final", "-n", namespace, "--subresource=status", "--type=merge",
                       "-p", '{"status":{"phase":"Ended"}}')

    # No new finalizer once deleting.
    result = devcluster.kubectl("patch", "bc", "final", "-n", namespace, "--type=json", "-p",
                                '[{"op":"add","path":"/metadata/finalizers/-","value":"example.com/other"}]',
                                check=False)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        'The Broadcast "final" is invalid: metadata.finalizers: Forbidden: no new finalizers can be added if the '
        'object is being deleted, found new finalizers []string{"example.com/other"}')

    out = devcluster.kubectl("patch", "bc", "final", "-n", namespace, "--type=merge",
                             "-p", '{"metadata":{"finalizers":null}}').stdout
    assert out.strip() == f"{BC}/final patched"
    # The update that removes the last finalizer deletes the object.
    result = devcluster.kubectl("get", "bc", "final", "-n", namespace, check=False)
    assert result.returncode == 1
    assert result.stderr.strip() == 'Error from server (NotFound): broadcasts.media.streamlick.io "final" not found'


def test_blocking_delete_returns_when_the_finalizer_is_removed(devcluster, namespace):
    devcluster.apply(manifest(configmap("blocked", namespace, finalizers=["test.streamlick.io/hold"])))
    deleter = devcluster.kubectl_background("delete", "cm", "blocked", "-n", namespace, "--timeout=30s")
    try:
        assert deleter.wait_for_line(any_line, timeout=15) == 'configmap "blocked" deleted'
        with pytest.raises(subprocess.TimeoutExpired):
            deleter.wait(timeout=1.0)  # still waiting for the object to go
        assert devcluster.kubectl_json("get", "cm", "blocked", "-n", namespace)["metadata"]["deletionTimestamp"]
        devcluster.kubectl("patch", "cm", "blocked", "-n", namespace, "--type=merge",
                           "-p", '{"metadata":{"finalizers":[]}}')
        assert deleter.wait(timeout=15) == 0, deleter.stderr()
    finally:
        deleter.stop()
    assert not exists(devcluster, "cm", "blocked", namespace)


# --- owner references and garbage collection ---

def owned_configmap(name, namespace, owner: dict, **ref) -> dict:
    reference = {"apiVersion": owner["apiVersion"], "kind": owner["kind"], "name": owner["metadata"]["name"],
                 "uid": owner["metadata"]["uid"], **ref}
    return configmap(name, namespace, ownerReferences=[reference])


def test_dependents_are_collected_after_the_owner_is_deleted(devcluster, namespace, crds):
    devcluster.apply(manifest(broadcast("owner", namespace), configmap("cm-owner", namespace)))
    owner = devcluster.kubectl_json("get", "bc", "owner", "-n", namespace)
    cm_owner = devcluster.kubectl_json("get", "cm", "cm-owner", "-n", namespace)
    devcluster.apply(manifest(owned_configmap("ingest-token", namespace, owner, controller=True,
                                              blockOwnerDeletion=True),
                              owned_configmap("by-configmap", namespace, cm_owner),
                              configmap("unrelated", namespace)))
    devcluster.kubectl("delete", "bc", "owner", "-n", namespace)
    wait_until(lambda: not exists(devcluster, "cm", "ingest-token", namespace), timeout=10,
               message="the Broadcast's dependent collected")
    assert exists(devcluster, "cm", "by-configmap", namespace) and exists(devcluster, "cm", "unrelated", namespace)
    devcluster.kubectl("delete", "cm", "cm-owner", "-n", namespace)
    wait_until(lambda: not exists(devcluster, "cm", "by-configmap", namespace), timeout=10,
               message="the ConfigMap's dependent collected")
    assert exists(devcluster, "cm", "unrelated", namespace)


def test_orphan_deletion_keeps_dependents_without_the_reference(devcluster, namespace, crds):
    devcluster.apply(manifest(broadcast("parent", namespace)))
    owner = devcluster.kubectl_json("get", "bc", "parent", "-n", namespace)
    devcluster.apply(manifest(owned_configmap("orphan", namespace, owner)))
    devcluster.kubectl("delete", "bc", "parent", "-n", namespace, "--cascade=orphan", "--timeout=20s")
    assert not exists(devcluster, "bc", "parent", namespace)
    kept = devcluster.kubectl_json("get", "cm", "orphan", "-n", namespace)
    assert not kept["metadata"].get("ownerReferences"), kept["metadata"]


def test_foreground_deletion_waits_for_blocking_dependents(devcluster, namespace, crds):
    devcluster.apply(manifest(broadcast("fg", namespace)))
    owner = devcluster.kubectl_json("get", "bc", "fg", "-n", namespace)
    dependent = owned_configmap("slow", namespace, owner, blockOwnerDeletion=True)
    dependent["metadata"]["finalizers"] = ["test.streamlick.io/hold"]
    devcluster.apply(manifest(dependent))
    devcluster.kubectl("delete", "bc", "fg", "-n", namespace, "--cascade=foreground", "--wait=false")
    marked = devcluster.kubectl_json("get", "bc", "fg", "-n", namespace)["metadata"]
    assert "foregroundDeletion" in marked["finalizers"] and marked["deletionTimestamp"], marked
    wait_until(lambda: devcluster.kubectl_json("get", "cm", "slow", "-n", namespace)["metadata"]
               .get("deletionTimestamp"), timeout=10, message="the dependent marked for deletion")
    assert exists(devcluster, "bc", "fg", namespace)  # waits for its blocking dependent
    devcluster.kubectl("patch", "cm", "slow", "-n", namespace, "--type=merge", "-p", '{"metadata":{"finalizers":null}}')
    wait_until(lambda: not exists(devcluster, "bc", "fg", namespace), timeout=10, message="the owner deleted")


def test_dependent_of_a_missing_owner_is_collected(devcluster, namespace, crds):
    ghost = {"apiVersion": "media.streamlick.io/v1alpha1", "kind": "Broadcast",
             "metadata": {"name": "ghost", "uid": "00000000-0000-4000-8000-000000000001"}}
    devcluster.apply(manifest(owned_configmap("dangling", namespace, ghost)))
    wait_until(lambda: not exists(devcluster, "cm", "dangling", namespace), timeout=10,
               message="the dependent of a missing owner collected")


# --- label selectors ---

SELECTOR_CASES = [
    ("tier=web", ["a"]),
    ("tier==web", ["a"]),
    ("tier!=web", ["b", "c", "d"]),
    ("tier in (web,api)", ["a", "b"]),
    ("tier notin (web,db)", ["b", "d"]),
    ("tier", ["a", "b", "c"]),
    ("!tier", ["d"]),
    ("env=prod,tier", ["a", "c"]),
    ("env=prod,tier notin (web)", ["c"]),
]


def test_label_selectors(devcluster, namespace, crds):
    labels = {"a": {"tier": "web", "env": "prod"}, "b": {"tier": "api"}, "c": {"tier": "db", "env": "prod"}, "d": {}}
    objects = []
    for name, extra in labels.items():
        objects.append(configmap(name, namespace, labels={"group": "sel", **extra}))
        objects.append(broadcast(name, namespace, labels={"group": "sel", **extra}))
    devcluster.apply(manifest(*objects))
    for selector, expected in SELECTOR_CASES:
        for resource, prefix in (("cm", "configmap/"), ("bc", f"{BC}/")):
            out = devcluster.kubectl("get", resource, "-n", namespace, "-l", f"group=sel,{selector}",
                                     "-o", "name").stdout
            assert out.split() == [prefix + name for name in expected], (resource, selector, out)
    out = devcluster.kubectl("delete", "cm", "-n", namespace, "-l", "group=sel,env=prod").stdout
    assert out.splitlines() == ['configmap "a" deleted', 'configmap "c" deleted']
    assert devcluster.kubectl("get", "cm", "-n", namespace, "-l", "group=sel", "-o", "name").stdout.split() == \
        ["configmap/b", "configmap/d"]


def test_invalid_label_selector_is_bad_request(devcluster, namespace):
    result = devcluster.kubectl("get", "cm", "-n", namespace, "-l", "tier in web", check=False)
    assert result.returncode == 1
    assert "unable to parse requirement" in result.stderr, result.stderr


# --- field selectors ---

def test_field_selectors_on_metadata(devcluster, namespace, crds, request):
    other = unique_name("other", request)
    devcluster.create_namespace(other)
    try:
        devcluster.apply(manifest(configmap("x", namespace, labels={"fs": "1"}), configmap("y", namespace,
                                                                                           labels={"fs": "1"}),
                                  configmap("x", other, labels={"fs": "1"}), broadcast("x", namespace),
                                  broadcast("y", namespace)))
        out = devcluster.kubectl("get", "cm", "-n", namespace, "--field-selector", "metadata.name=x", "-o", "name")
        assert out.stdout.split() == ["configmap/x"]
        out = devcluster.kubectl("get", "bc", "-n", namespace, "--field-selector", "metadata.name!=x", "-o", "name")
        assert out.stdout.split() == [f"{BC}/y"]
        out = devcluster.kubectl("get", "cm", "-A", "-l", "fs=1", "--field-selector",
                                 f"metadata.namespace={other}", "-o", "jsonpath={.items[*].metadata.namespace}")
        assert out.stdout.split() == [other]
        out = devcluster.kubectl("get", "cm", "-A", "-l", "fs=1", "--field-selector",
                                 f"metadata.name=x,metadata.namespace!={other}", "-o",
                                 "jsonpath={range .items[*]}{.metadata.namespace}/{.metadata.name} {end}")
        assert out.stdout.split() == [f"{namespace}/x"]
    finally:
        devcluster.kubectl("delete", "namespace", other, "--wait=false", check=False)


def test_field_selectors_on_pods(devcluster, namespace):
    devcluster.apply(manifest(pod("running", namespace), pod("pending", namespace)))
    devcluster.kubectl("patch", "pod", "running", "-n", namespace, "--subresource=status", "--type=merge",
                       "-p", '{"status":{"phase":"Running"}}')
    out = devcluster.kubectl("get", "pods", "-n", namespace, "--field-selector", "status.phase=Running", "-o", "name")
    assert out.stdout.split() == ["pod/running"]
    out = devcluster.kubectl("get", "pods", "-n", namespace, "--field-selector", "status.phase!=Running", "-o", "name")
    assert out.stdout.split() == ["pod/pending"]
    out = devcluster.kubectl("get", "pods", "-n", namespace, "--field-selector", "spec.nodeName=test-node",
                             "-o", "name")
    assert out.stdout.split() == ["pod/pending", "pod/running"]


def test_unsupported_field_selector_is_bad_request(devcluster, namespace, crds):
    """Custom resources answer with the CRD converter's message. For ConfigMaps (no field labels of their own)
    apimachinery's default conversion says `"data.x" is not a known field selector: only "metadata.name",
    "metadata.namespace"`; older releases registered a per-kind function saying `field label not supported`:
    either is accepted there."""
    cases = (("configmaps", "data.x", r'("data\.x" is not a known field selector: only "metadata\.name", '
                                      r'"metadata\.namespace"|field label not supported: data\.x)'),
             ("broadcasts", "spec.title", r"field label not supported: spec\.title"))
    for resource, label, message in cases:
        result = devcluster.kubectl("get", resource, "-n", namespace, "--field-selector", f"{label}=y", check=False)
        assert result.returncode == 1
        assert result.stderr.startswith("Error from server (BadRequest): "), result.stderr
        assert re.search(message, result.stderr), result.stderr


# --- chunked lists ---

def test_kubectl_chunked_list_returns_everything(devcluster, namespace):
    names = [f"page-{i}" for i in range(7)]
    devcluster.apply(manifest(*[configmap(name, namespace, labels={"group": "page"}) for name in names]))
    for chunk in ("1", "2", "3", "500"):
        out = devcluster.kubectl("get", "configmaps", "-n", namespace, "-l", "group=page", "--chunk-size", chunk,
                                 "-o", "name").stdout
        assert out.split() == [f"configmap/{name}" for name in names], (chunk, out)
    table = devcluster.kubectl("get", "configmaps", "-n", namespace, "-l", "group=page", "--chunk-size=2").stdout
    lines = table.splitlines()
    assert lines[0].split() == ["NAME", "DATA", "AGE"] and [line.split()[0] for line in lines[1:]] == names, table


# --- optimistic concurrency ---

def test_replace_with_stale_resource_version_conflicts(devcluster, namespace):
    devcluster.apply(manifest(configmap("raced", namespace, data={"v": "1"})))
    stale = devcluster.kubectl_json("get", "cm", "raced", "-n", namespace)
    devcluster.kubectl("patch", "cm", "raced", "-n", namespace, "--type=merge", "-p", '{"data":{"v":"2"}}')
    stale["data"] = {"v": "from-stale-copy"}
    result = devcluster.kubectl("replace", "-f", "-", input=json.dumps(stale), check=False)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        'Error from server (Conflict): error when replacing "STDIN": Operation cannot be fulfilled on configmaps '
        '"raced": the object has been modified; please apply your changes to the latest version and try again')
    assert devcluster.kubectl_json("get", "cm", "raced", "-n", namespace)["data"] == {"v": "2"}
    # Without a resourceVersion a replace is unconditional.
    del stale["metadata"]["resourceVersion"]
    assert devcluster.kubectl("replace", "-f", "-", input=json.dumps(stale)).stdout.strip() == \
        "configmap/raced replaced"
    assert devcluster.kubectl_json("get", "cm", "raced", "-n", namespace)["data"] == {"v": "from-stale-copy"}


def test_resource_version_and_uid_rules(devcluster, namespace):
    devcluster.apply(manifest(configmap("versions", namespace)))
    first = devcluster.kubectl_json("get", "cm", "versions", "-n", namespace)["metadata"]
    devcluster.kubectl("label", "cm", "versions", "-n", namespace, "a=b")
    second = devcluster.kubectl_json("get", "cm", "versions", "-n", namespace)["metadata"]
    assert int(second["resourceVersion"]) > int(first["resourceVersion"])
    assert (second["uid"], second["creationTimestamp"]) == (first["uid"], first["creationTimestamp"])
    # Re-created under the same name: a new object, with a new uid.
    devcluster.kubectl("delete", "cm", "versions", "-n", namespace)
    devcluster.apply(manifest(configmap("versions", namespace)))
    third = devcluster.kubectl_json("get", "cm", "versions", "-n", namespace)["metadata"]
    assert third["uid"] != first["uid"] and int(third["resourceVersion"]) > int(second["resourceVersion"])
