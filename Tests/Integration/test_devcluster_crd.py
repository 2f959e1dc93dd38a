"""devcluster's CustomResourceDefinitions through kubectl 1.32: serving, discovery, printer columns, schema
validation with the real messages, defaults, pruning and field validation, the status and scale subresources,
generation, and kubectl explain. The CRDs are in fixtures/devcluster/."""

import json
import re

import pytest
import yaml

from harness.kube import broadcast, destination, headers, manifest, parse_table, wait_until, widget

pytestmark = pytest.mark.devcluster

BC = "broadcast.media.streamlick.io"


@pytest.fixture(autouse=True)
def _crds(crds):
    """Every test here needs the Broadcast and Widget CRDs."""


def get_bc(devcluster, namespace, name) -> dict:
    return devcluster.kubectl_json("get", "broadcast", name, "-n", namespace)


# --- serving and discovery ---

GADGET_CRD = {
    "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
    "metadata": {"name": "gadgets.test.streamlick.io"},
    "spec": {"group": "test.streamlick.io", "scope": "Namespaced",
             "names": {"plural": "gadgets", "singular": "gadget", "kind": "Gadget", "listKind": "GadgetList"},
             "versions": [{"name": "v1", "served": True, "storage": True,
                           "schema": {"openAPIV3Schema": {"type": "object", "properties": {
                               "spec": {"type": "object", "properties": {"size": {"type": "integer"}}}}}}}]},
}


def test_crd_becomes_established_is_served_and_goes_away_with_its_objects(devcluster, namespace):
    assert devcluster.apply(manifest(GADGET_CRD)).stdout.strip() == \
        "customresourcedefinition.apiextensions.k8s.io/gadgets.test.streamlick.io created"
    out = devcluster.kubectl("wait", "--for=condition=Established", "--timeout=20s",
                             "crd/gadgets.test.streamlick.io").stdout
    assert out.strip() == "customresourcedefinition.apiextensions.k8s.io/gadgets.test.streamlick.io condition met"
    crd = devcluster.kubectl_json("get", "crd", "gadgets.test.streamlick.io")
    conditions = {c["type"]: c["status"] for c in crd["status"]["conditions"]}
    assert conditions.get("NamesAccepted") == "True" and conditions.get("Established") == "True", crd["status"]
    assert crd["status"]["acceptedNames"]["kind"] == "Gadget" and crd["status"]["storedVersions"] == ["v1"]

    gadget = {"apiVersion": "test.streamlick.io/v1", "kind": "Gadget",
              "metadata": {"name": "g1", "namespace": namespace}, "spec": {"size": 3}}
    assert devcluster.apply(manifest(gadget)).stdout.strip() == "gadget.test.streamlick.io/g1 created"
    assert devcluster.kubectl("get", "gadgets", "-n", namespace, "-o", "name").stdout.split() == \
        ["gadget.test.streamlick.io/g1"]

    # Deleting the CRD deletes its objects first (finalizer customresourcecleanup.apiextensions.k8s.io).
    devcluster.kubectl("delete", "crd", "gadgets.test.streamlick.io", "--timeout=20s")
    assert devcluster.kubectl("get", "crd", "gadgets.test.streamlick.io", "--ignore-not-found").stdout == ""
    groups = devcluster.kubectl("api-resources", "--api-group=test.streamlick.io", "-o", "name").stdout.split()
    assert "gadgets.test.streamlick.io" not in groups, groups
    # Re-created, the type starts empty: the old object went with the old CRD.
    devcluster.apply(manifest(GADGET_CRD))
    devcluster.kubectl("wait", "--for=condition=Established", "--timeout=20s", "crd/gadgets.test.streamlick.io")
    result = devcluster.kubectl("get", "gadgets", "-n", namespace)
    assert result.stdout == "" and result.stderr.strip() == f"No resources found in {namespace} namespace."
    devcluster.kubectl("delete", "crd", "gadgets.test.streamlick.io", "--timeout=20s")


def test_api_resources_lists_broadcasts(devcluster):
    out = devcluster.kubectl("api-resources").stdout
    rows = {(r["NAME"], r["SHORTNAMES"], r["APIVERSION"], r["NAMESPACED"], r["KIND"]) for r in parse_table(out)}
    assert ("broadcasts", "bc", "media.streamlick.io/v1alpha1", "true", "Broadcast") in rows, out
    assert ("widgets", "wd", "test.streamlick.io/v1", "true", "Widget") in rows, out

    group = devcluster.kubectl("api-resources", "--api-group=media.streamlick.io").stdout
    assert [(r["NAME"], r["SHORTNAMES"], r["KIND"]) for r in parse_table(group)] == [("broadcasts", "bc", "Broadcast")]

    wide = devcluster.kubectl("api-resources", "--api-group=media.streamlick.io", "-o", "wide").stdout
    assert headers(wide) == ["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND", "VERBS", "CATEGORIES"]
    (row,) = parse_table(wide)
    assert set(row["VERBS"].split(",")) == \
        {"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"}, wide
    assert row["CATEGORIES"] == "media", wide


def test_names_short_name_category_and_printer_columns(devcluster, namespace):
    live = broadcast("weekly", namespace, spec={"title": "Weekly show", "egress": {"method": "relay"}})
    idle = broadcast("daily", namespace, spec={"title": "Daily"})
    assert devcluster.apply(manifest(live, idle)).stdout.splitlines() == \
        [f"{BC}/weekly created", f"{BC}/daily created"]
    status = {"status": {"phase": "Live", "assignment": {"pod": "media-0", "epoch": 1}}}
    devcluster.kubectl("patch", "bc", "weekly", "-n", namespace, "--subresource=status", "--type=merge",
                       "-p", json.dumps(status))

    table = devcluster.kubectl("get", "bc", "-n", namespace).stdout
    assert headers(table) == ["NAME", "PHASE", "POD", "METHOD", "AGE"]
    rows = {row["NAME"]: row for row in parse_table(table)}
    assert (rows["weekly"]["PHASE"], rows["weekly"]["POD"], rows["weekly"]["METHOD"]) == ("Live", "media-0", "relay")
    # No status yet: those cells are empty; METHOD shows the default.
    assert (rows["daily"]["PHASE"], rows["daily"]["POD"], rows["daily"]["METHOD"]) == ("", "", "rtmp"), table
    assert re.fullmatch(r"\d+s", rows["weekly"]["AGE"]), table

    wide = devcluster.kubectl("get", "broadcasts", "-n", namespace, "-o", "wide").stdout
    assert headers(wide) == ["NAME", "PHASE", "POD", "METHOD", "TITLE", "AGE"]
    assert {row["NAME"]: row["TITLE"] for row in parse_table(wide)} == {"daily": "Daily", "weekly": "Weekly show"}

    for resource in ("bc", "broadcast", "broadcasts", "broadcasts.media.streamlick.io",
                     "broadcasts.v1alpha1.media.streamlick.io", "media"):
        names = devcluster.kubectl("get", resource, "-n", namespace, "-o", "name").stdout.split()
        assert names == [f"{BC}/daily", f"{BC}/weekly"], (resource, names)

    as_yaml = yaml.safe_load(devcluster.kubectl("get", "bc", "weekly", "-n", namespace, "-o", "yaml").stdout)
    assert (as_yaml["apiVersion"], as_yaml["kind"]) == ("media.streamlick.io/v1alpha1", "Broadcast")
    assert devcluster.kubectl("get", "bc", "weekly", "-n", namespace, "-o",
                              "jsonpath={.status.assignment.pod}").stdout == "media-0"

    all_namespaces = devcluster.kubectl("get", "bc", "-A").stdout
    assert headers(all_namespaces) == ["NAMESPACE", "NAME", "PHASE", "POD", "METHOD", "AGE"]
    assert {(r["NAMESPACE"], r["NAME"]) for r in parse_table(all_namespaces)} >= \
        {(namespace, "weekly"), (namespace, "daily")}

    assert devcluster.kubectl("delete", "bc", "daily", "-n", namespace).stdout.strip() == f'{BC} "daily" deleted'
    result = devcluster.kubectl("get", "bc", "daily", "-n", namespace, check=False)
    assert result.returncode != 0
    assert result.stderr.strip() == 'Error from server (NotFound): broadcasts.media.streamlick.io "daily" not found'


# --- validation: the messages of a real apiserver, as kubectl prints them ---

INVALID_SPECS = [
    pytest.param({"egress": {"method": "foo"}},
                 'spec.egress.method: Unsupported value: "foo": supported values: "rtmp", "relay"', id="enum"),
    pytest.param({"destinations": [destination("Bad_Name")]},
                 'spec.destinations[0].name: Invalid value: "Bad_Name": spec.destinations[0].name in body should '
                 "match '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$'", id="pattern-name"),
    pytest.param({"destinations": [destination("yt", url="http://example.com/live")]},
                 'spec.destinations[0].url: Invalid value: "http://example.com/live": spec.destinations[0].url in '
                 "body should match '^rtmps?://'", id="pattern-url"),
    pytest.param({"guests": {"max": 17}},
                 "spec.guests.max: Invalid value: 17: spec.guests.max in body should be less than or equal to 16",
                 id="maximum"),
    pytest.param({"video": {"maxBitrateKbps": 50}},
                 "spec.video.maxBitrateKbps: Invalid value: 50: spec.video.maxBitrateKbps in body should be greater "
                 "than or equal to 100", id="minimum"),
    pytest.param({"destinations": [{"name": "yt", "streamKeySecretRef": {"name": "k", "key": "streamKey"}}]},
                 "spec.destinations[0].url: Required value", id="required"),
    pytest.param({"destinations": [destination(f"d{i}") for i in range(11)]},
                 "spec.destinations: Too many: 11: must have at most 10 items", id="max-items"),
    pytest.param({"destinations": [destination("yt"), destination("yt", url="rtmp://backup/live")]},
                 'spec.destinations[1]: Duplicate value: map[string]interface {}{"name":"yt"}', id="duplicate-key"),
    pytest.param({"guests": {"max": "many"}},
                 'spec.guests.max: Invalid value: "string": spec.guests.max in body must be of type integer: '
                 '"string"', id="type"),
]


@pytest.mark.parametrize("spec, message", INVALID_SPECS)
def test_invalid_broadcast_is_rejected_with_the_real_message(devcluster, namespace, spec, message):
    result = devcluster.kubectl("apply", "-f", "-", input=manifest(broadcast("bad", namespace, spec=spec)),
                                check=False)
    assert result.returncode == 1, result.stdout
    assert result.stderr.strip() == f'The Broadcast "bad" is invalid: {message}'
    assert devcluster.kubectl("get", "bc", "bad", "-n", namespace, "--ignore-not-found").stdout == ""


def test_invalid_update_is_rejected_and_keeps_the_object(devcluster, namespace):
    devcluster.apply(manifest(broadcast("keep", namespace, spec={"guests": {"max": 2}})))
    result = devcluster.kubectl("patch", "bc", "keep", "-n", namespace, "--type=merge",
                                "-p", '{"spec":{"guests":{"max":99}}}', check=False)
    assert result.returncode == 1
    assert result.stderr.strip() == ('The Broadcast "keep" is invalid: spec.guests.max: Invalid value: 99: '
                                     "spec.guests.max in body should be less than or equal to 16")
    assert get_bc(devcluster, namespace, "keep")["spec"]["guests"]["max"] == 2


def test_several_errors_are_listed(devcluster, namespace):
    spec = {"egress": {"method": "foo"}, "guests": {"max": -1}}
    result = devcluster.kubectl("apply", "-f", "-", input=manifest(broadcast("many", namespace, spec=spec)),
                                check=False)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines[0] == 'The Broadcast "many" is invalid: '
    assert sorted(lines[1:]) == sorted([
        '* spec.egress.method: Unsupported value: "foo": supported values: "rtmp", "relay"',
        "* spec.guests.max: Invalid value: -1: spec.guests.max in body should be greater than or equal to 0",
    ]), result.stderr


def test_defaults_are_stored(devcluster, namespace):
    spec = {"title": "defaults", "destinations": [destination("yt"), destination("tw", enabled=False)]}
    devcluster.apply(manifest(broadcast("defaulted", namespace, spec=spec)))
    stored = get_bc(devcluster, namespace, "defaulted")["spec"]
    assert stored["egress"] == {"method": "rtmp"}
    assert stored["guests"] == {"max": 6}
    assert stored["video"] == {"maxBitrateKbps": 4500}
    assert [(d["name"], d["enabled"]) for d in stored["destinations"]] == [("yt", True), ("tw", False)]
    assert stored["title"] == "defaults" and "ingest" not in stored and "placement" not in stored


def test_explicit_values_are_not_defaulted(devcluster, namespace):
    spec = {"egress": {"method": "relay"}, "guests": {"max": 0}, "video": {"maxBitrateKbps": 100}}
    devcluster.apply(manifest(broadcast("explicit", namespace, spec=spec)))
    stored = get_bc(devcluster, namespace, "explicit")["spec"]
    assert (stored["egress"]["method"], stored["guests"]["max"], stored["video"]["maxBitrateKbps"]) == \
        ("relay", 0, 100)


# --- unknown fields: field validation (kubectl --validate) and pruning ---

def unknown_field_broadcast(name, namespace, nested: bool = True) -> dict:
    """spec.bogus, and (nested) spec.destinations[0].extra: neither is in the schema."""
    spec = {"title": "x", "bogus": "value"}
    if nested:
        spec["destinations"] = [destination("yt", extra="dropped")]
    return broadcast(name, namespace, spec=spec)


def test_unknown_field_is_rejected_by_default_strict_validation(devcluster, namespace):
    """kubectl 1.32 defaults to --validate=strict and sends fieldValidation=Strict: the server refuses to decode."""
    result = devcluster.kubectl("apply", "-f", "-",
                                input=manifest(unknown_field_broadcast("strict", namespace, nested=False)),
                                check=False)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        'Error from server (BadRequest): error when creating "STDIN": Broadcast in version "v1alpha1" cannot be '
        'handled as a Broadcast: strict decoding error: unknown field "spec.bogus"')
    assert devcluster.kubectl("get", "bc", "strict", "-n", namespace, "--ignore-not-found").stdout == ""


def test_unknown_field_is_rejected_by_server_side_apply(devcluster, namespace):
    result = devcluster.kubectl("apply", "--server-side", "-f", "-",
                                input=manifest(unknown_field_broadcast("ssa", namespace)), check=False)
    assert result.returncode == 1
    assert "failed to create typed patch object" in result.stderr, result.stderr
    assert ".spec.bogus: field not declared in schema" in result.stderr, result.stderr
    assert devcluster.kubectl("get", "bc", "ssa", "-n", namespace, "--ignore-not-found").stdout == ""


def test_unknown_field_warns_and_is_pruned_with_validate_warn(devcluster, namespace):
    result = devcluster.kubectl("apply", "--validate=warn", "-f", "-",
                                input=manifest(unknown_field_broadcast("warned", namespace)))
    assert result.stdout.strip() == f"{BC}/warned created"
    assert 'Warning: unknown field "spec.bogus"' in result.stderr, result.stderr
    assert 'Warning: unknown field "spec.destinations[0].extra"' in result.stderr, result.stderr
    spec = get_bc(devcluster, namespace, "warned")["spec"]
    assert "bogus" not in spec and "extra" not in spec["destinations"][0], spec


def test_unknown_field_is_pruned_with_validate_false(devcluster, namespace):
    result = devcluster.kubectl("apply", "--validate=false", "-f", "-",
                                input=manifest(unknown_field_broadcast("pruned", namespace)))
    assert result.stdout.strip() == f"{BC}/pruned created"
    assert "unknown field" not in result.stderr, result.stderr
    spec = get_bc(devcluster, namespace, "pruned")["spec"]
    assert "bogus" not in spec, spec
    assert spec["destinations"] == [{"name": "yt", "url": "rtmp://127.0.0.1/live",
                                     "streamKeySecretRef": {"name": "yt-key", "key": "streamKey"},
                                     "enabled": True}], spec
    assert spec["title"] == "x"


def test_status_keeps_unknown_fields_where_the_schema_preserves_them(devcluster, namespace):
    devcluster.apply(manifest(broadcast("stats", namespace)))
    status = {"status": {"phase": "Live", "stats": {"videoKbps": 4380, "fps": 30}}}
    devcluster.kubectl("patch", "bc", "stats", "-n", namespace, "--subresource=status", "--type=merge",
                       "-p", json.dumps(status))
    assert get_bc(devcluster, namespace, "stats")["status"] == status["status"]


# --- status subresource and generation ---

def test_status_through_the_main_resource_is_ignored(devcluster, namespace):
    devcluster.apply(manifest(broadcast("main", namespace)))
    before = get_bc(devcluster, namespace, "main")
    out = devcluster.kubectl("patch", "bc", "main", "-n", namespace, "--type=merge",
                             "-p", '{"status":{"phase":"Live"}}').stdout
    assert out.strip() == f"{BC}/main patched (no change)"
    after = get_bc(devcluster, namespace, "main")
    assert "status" not in after
    assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]

    # A spec change carrying a status change: the spec is taken, the status is not.
    devcluster.kubectl("patch", "bc", "main", "-n", namespace, "--type=merge",
                       "-p", '{"spec":{"title":"new"},"status":{"phase":"Live"}}')
    after = get_bc(devcluster, namespace, "main")
    assert after["spec"]["title"] == "new" and "status" not in after


def test_spec_through_status_is_ignored(devcluster, namespace):
    devcluster.apply(manifest(broadcast("sub", namespace, spec={"title": "original"})))
    out = devcluster.kubectl("patch", "bc", "sub", "-n", namespace, "--subresource=status", "--type=merge", "-p",
                             '{"spec":{"title":"changed"},"metadata":{"labels":{"x":"y"}},'
                             '"status":{"phase":"Scheduled"}}').stdout
    assert out.strip() == f"{BC}/sub patched"
    after = get_bc(devcluster, namespace, "sub")
    assert after["status"] == {"phase": "Scheduled"}
    assert after["spec"]["title"] == "original"
    assert "labels" not in after["metadata"]
    assert after["metadata"]["generation"] == 1


def test_status_is_validated(devcluster, namespace):
    devcluster.apply(manifest(broadcast("checked", namespace)))
    result = devcluster.kubectl("patch", "bc", "checked", "-n", namespace, "--subresource=status", "--type=merge",
                                "-p", '{"status":{"phase":"Bogus"}}', check=False)
    assert result.returncode == 1
    assert result.stderr.strip() == ('The Broadcast "checked" is invalid: status.phase: Unsupported value: "Bogus": '
                                     'supported values: "Pending", "Scheduled", "Live", "Ended", "Failed"')


def test_generation_counts_spec_changes_only(devcluster, namespace):
    devcluster.apply(manifest(broadcast("gen", namespace, spec={"title": "a"})))

    def generation():
        return get_bc(devcluster, namespace, "gen")["metadata"]["generation"]

    def patch(body, *extra):
        return devcluster.kubectl("patch", "bc", "gen", "-n", namespace, "--type=merge", "-p", body,
                                  *extra).stdout.strip()

    assert generation() == 1
    assert patch('{"spec":{"title":"b"}}') == f"{BC}/gen patched"
    assert generation() == 2
    assert patch('{"metadata":{"labels":{"team":"video"},"annotations":{"note":"x"}}}') == f"{BC}/gen patched"
    assert generation() == 2
    assert patch('{"status":{"phase":"Pending"}}', "--subresource=status") == f"{BC}/gen patched"
    assert generation() == 2
    assert patch('{"spec":{"title":"b"}}') == f"{BC}/gen patched (no change)"
    assert generation() == 2
    assert patch('{"spec":{"guests":{"max":3}}}') == f"{BC}/gen patched"
    assert generation() == 3


def test_observed_generation_round_trip(devcluster, namespace):
    """What a controller does: read generation, work, write status.observedGeneration through /status."""
    devcluster.apply(manifest(broadcast("observed", namespace)))
    devcluster.kubectl("patch", "bc", "observed", "-n", namespace, "--type=merge", "-p", '{"spec":{"title":"v2"}}')
    generation = get_bc(devcluster, namespace, "observed")["metadata"]["generation"]
    assert generation == 2
    status = {"status": {"observedGeneration": generation, "phase": "Scheduled",
                         "conditions": [{"type": "Scheduled", "status": "True", "reason": "PodAssigned",
                                         "message": "media-0", "lastTransitionTime": "2025-01-01T00:00:00Z",
                                         "observedGeneration": generation}]}}
    devcluster.kubectl("patch", "bc", "observed", "-n", namespace, "--subresource=status", "--type=merge",
                       "-p", json.dumps(status))
    stored = get_bc(devcluster, namespace, "observed")
    assert stored["status"] == status["status"]
    assert stored["metadata"]["generation"] == stored["status"]["observedGeneration"] == 2
    out = devcluster.kubectl("wait", "bc/observed", "-n", namespace, "--for=condition=Scheduled",
                             "--timeout=10s").stdout
    assert out.strip() == f"{BC}/observed condition met"
    out = devcluster.kubectl("wait", "bc/observed", "-n", namespace, "--for=jsonpath={.status.phase}=Scheduled",
                             "--timeout=10s").stdout
    assert out.strip() == f"{BC}/observed condition met"


# --- scale subresource ---

def test_kubectl_scale_custom_resource(devcluster, namespace):
    assert devcluster.apply(manifest(widget("w", namespace, replicas=1))).stdout.strip() == \
        "widget.test.streamlick.io/w created"
    assert devcluster.kubectl("scale", "widget", "w", "-n", namespace, "--replicas=5").stdout.strip() == \
        "widget.test.streamlick.io/w scaled"
    stored = devcluster.kubectl_json("get", "widget", "w", "-n", namespace)
    assert stored["spec"]["replicas"] == 5 and stored["metadata"]["generation"] == 2
    table = devcluster.kubectl("get", "wd", "w", "-n", namespace).stdout
    # With additionalPrinterColumns, the columns are NAME and those: no AGE unless the CRD declares one.
    assert headers(table) == ["NAME", "DESIRED", "CURRENT"]
    (row,) = parse_table(table)
    assert (row["DESIRED"], row["CURRENT"]) == ("5", ""), table

    devcluster.kubectl("patch", "widget", "w", "-n", namespace, "--subresource=status", "--type=merge",
                       "-p", '{"status":{"replicas":5,"selector":"app=w"}}')
    result = devcluster.kubectl("scale", "widget", "w", "-n", namespace, "--current-replicas=4", "--replicas=6",
                                check=False)
    assert result.returncode != 0 and "Expected replicas to be 4, was 5" in result.stderr, result.stderr
    assert devcluster.kubectl("get", "widget", "w", "-n", namespace, "-o", "jsonpath={.spec.replicas}").stdout == "5"


def test_kubectl_scale_deployment(devcluster, namespace):
    from harness.kube import deployment

    devcluster.apply(manifest(deployment("scaled", namespace, replicas=1)))
    assert devcluster.kubectl("scale", "deployment", "scaled", "-n", namespace, "--replicas=3").stdout.strip() == \
        "deployment.apps/scaled scaled"
    assert devcluster.kubectl("get", "deploy", "scaled", "-n", namespace, "-o",
                              "jsonpath={.spec.replicas}").stdout == "3"
    assert devcluster.kubectl("get", "deploy", "scaled", "-n", namespace, "-o",
                              "jsonpath={.metadata.generation}").stdout == "2"


# --- kubectl explain (OpenAPI v3) ---

def field_lines(out: str) -> list:
    """(name, type, required) of each field listed under FIELDS:."""
    fields = out[out.index("FIELDS:"):]
    return [(m.group(1), m.group(2), bool(m.group(3)))
            for m in re.finditer(r"^  (\S+)\t<([^>]+)>( -required-)?", fields, re.M)]


def test_explain_broadcast(devcluster):
    out = devcluster.kubectl("explain", "broadcasts").stdout
    assert out.startswith("GROUP:      media.streamlick.io\nKIND:       Broadcast\nVERSION:    v1alpha1\n"), out
    # kubectl wraps descriptions at 76 columns
    assert "A Broadcast is one live show published over WHIP and sent to RTMP destinations." in " ".join(out.split())
    assert ("spec", "Object", True) in field_lines(out), out
    assert ("status", "Object", False) in field_lines(out), out


def test_explain_broadcast_spec(devcluster):
    out = devcluster.kubectl("explain", "broadcast.spec").stdout
    assert "FIELD: spec <Object>" in out, out
    assert re.search(r"DESCRIPTION:\n    What the user wants to broadcast and where to send it\.\n", out), out
    assert field_lines(out) == [("destinations", "[]Object", False), ("egress", "Object", False),
                                ("guests", "Object", False), ("ingest", "Object", False),
                                ("placement", "Object", False), ("title", "string", False),
                                ("video", "Object", False)], out
    assert re.search(r"^  title\t<string>\n    Free text shown in listings\.$", out, re.M), out


def test_explain_broadcast_spec_destinations(devcluster):
    out = devcluster.kubectl("explain", "broadcast.spec.destinations").stdout
    assert "FIELD: destinations <[]Object>" in out, out
    assert "The RTMP destinations of method rtmp, at most 10, names unique." in out
    assert field_lines(out) == [("enabled", "boolean", False), ("name", "string", True),
                                ("streamKeySecretRef", "Object", True), ("url", "string", True)], out
    assert "The RTMP server URL, rtmp:// or rtmps://." in out
    nested = devcluster.kubectl("explain", "bc.spec.destinations.streamKeySecretRef").stdout
    assert field_lines(nested) == [("key", "string", True), ("name", "string", True)], nested


def test_explain_unknown_field(devcluster):
    result = devcluster.kubectl("explain", "broadcast.spec.bogus", check=False)
    assert result.returncode != 0
    assert result.stderr.strip() == 'error: field "bogus" does not exist'


# --- wait until established, for a CRD applied together with its objects ---

def test_objects_can_be_created_right_after_established(devcluster, namespace):
    crd = json.loads(json.dumps(GADGET_CRD))
    crd["metadata"]["name"] = "gizmos.test.streamlick.io"
    crd["spec"]["names"] = {"plural": "gizmos", "singular": "gizmo", "kind": "Gizmo", "listKind": "GizmoList"}
    devcluster.apply(manifest(crd))
    devcluster.kubectl("wait", "--for=condition=Established", "--timeout=20s", "crd/gizmos.test.streamlick.io")
    gizmo = {"apiVersion": "test.streamlick.io/v1", "kind": "Gizmo", "metadata": {"name": "z", "namespace": namespace},
             "spec": {"size": 1}}
    assert devcluster.apply(manifest(gizmo)).stdout.strip() == "gizmo.test.streamlick.io/z created"
    wait_until(lambda: devcluster.kubectl("get", "gizmos", "-n", namespace, "-o", "name").stdout.split()
               == ["gizmo.test.streamlick.io/z"], message="gizmo listed")
    devcluster.kubectl("delete", "crd", "gizmos.test.streamlick.io", "--timeout=20s")
