"""devcluster through kubectl 1.32: authentication, discovery, and get/apply/describe/delete of each built-in
resource it serves, with the output formats people use. Every expectation is what a real 1.32 API server gives."""

import base64
import ipaddress
import json
import re

import pytest
import requests
import yaml

from harness.kube import configmap, deployment, headers, manifest, parse_table, pod

pytestmark = pytest.mark.devcluster

NOT_FOUND = "Error from server (NotFound): "


# --- authentication and version ---

def test_request_without_token_gets_401_status(devcluster):
    """Raw HTTP (the one place these tests use it): no token and a wrong token both get 401 with a Status body."""
    for headers_ in ({}, {"Authorization": "Bearer not-the-token"}):
        response = requests.get(devcluster.base_url + "/api/v1/namespaces", headers=headers_, timeout=5,
                                verify=devcluster.requests_verify())
        assert response.status_code == 401, response.text
        body = response.json()
        assert body["kind"] == "Status" and body["apiVersion"] == "v1", body
        assert (body["status"], body["reason"], body["code"], body["message"]) == \
            ("Failure", "Unauthorized", 401, "Unauthorized"), body


def test_kubectl_with_wrong_token_must_log_in(devcluster):
    result = devcluster.kubectl("--token", "wrong", "get", "ns", check=False)
    assert result.returncode != 0
    # client-go words a 401 met during discovery with its generic text (the form kubectl 1.32 prints against
    # real clusters with an expired token); a 401 on a resource request prints the Status message.
    assert result.stderr.strip().splitlines()[-1] in (
        "error: You must be logged in to the server (Unauthorized)",
        "error: You must be logged in to the server (the server has asked for the client to provide credentials)",
    ), result.stderr


def test_version_is_kubernetes_1_32(devcluster):
    """kubectl 1.32 is the client this server is for; gcloud's kubectl dispatcher also picks its release from it."""
    version = devcluster.kubectl_json("version")
    server = version["serverVersion"]
    assert server["major"] == "1" and server["minor"].rstrip("+") == "32", server
    assert server["gitVersion"].startswith("v1.32."), server


def test_kubeconfig_context_and_default_namespace(devcluster):
    config = devcluster.kubeconfig_dict()
    assert config["current-context"] == "devcluster"
    context = next(c["context"] for c in config["contexts"] if c["name"] == "devcluster")
    assert context.get("namespace") == "default"
    cluster = next(c["cluster"] for c in config["clusters"] if c["name"] == context["cluster"])
    assert cluster["server"] == f"https://127.0.0.1:{devcluster.port}"
    assert cluster["certificate-authority-data"], cluster
    assert devcluster.kubectl("config", "view", "--minify", "-o", "jsonpath={.contexts[0].context.namespace}",
                              ).stdout == "default"


# --- namespaces ---

def test_get_ns_lists_default_and_kube_system(devcluster):
    out = devcluster.kubectl("get", "ns").stdout
    assert headers(out) == ["NAME", "STATUS", "AGE"]
    rows = {row["NAME"]: row for row in parse_table(out)}
    assert rows["default"]["STATUS"] == "Active" and rows["kube-system"]["STATUS"] == "Active", out
    assert re.fullmatch(r"\d+[smhd].*", rows["default"]["AGE"]), out
    assert devcluster.kubectl("get", "ns", "default", "-o", "jsonpath={.status.phase}").stdout == "Active"


def test_namespace_create_and_duplicate(devcluster, request):
    """`kubectl create namespace` (like `create serviceaccount`, `create role`, `create rolebinding`) sends its
    body as protobuf (Content-Type application/vnd.kubernetes.protobuf): a real server takes it."""
    from devcluster_fixtures import unique_name

    name = unique_name("ns", request)
    assert devcluster.kubectl("create", "namespace", name).stdout.strip() == f"namespace/{name} created"
    result = devcluster.kubectl("create", "namespace", name, check=False)
    assert result.returncode != 0
    assert f'Error from server (AlreadyExists): namespaces "{name}" already exists' in result.stderr
    # A namespace's spec.finalizers holds "kubernetes" until the namespace controller has emptied it.
    created = devcluster.kubectl_json("get", "ns", name)
    assert created["spec"]["finalizers"] == ["kubernetes"], created
    assert created["metadata"]["labels"]["kubernetes.io/metadata.name"] == name, created
    devcluster.kubectl("delete", "ns", name, "--wait=false")


def test_apply_into_missing_namespace_is_not_found(devcluster):
    result = devcluster.kubectl("apply", "-n", "nope", "-f", "-", input=manifest(configmap("x")), check=False)
    assert result.returncode != 0
    assert 'Error from server (NotFound): error when creating "STDIN": namespaces "nope" not found' in result.stderr


# --- ConfigMaps: the output formats ---

def test_configmap_apply_get_formats_delete(devcluster, namespace):
    cm = configmap("settings", namespace, data={"k": "v", "other": "x"}, labels={"app": "demo"})
    assert devcluster.apply(manifest(cm)).stdout.strip() == "configmap/settings created"

    table = devcluster.kubectl("get", "configmap", "settings", "-n", namespace).stdout
    assert headers(table) == ["NAME", "DATA", "AGE"]
    (row,) = parse_table(table)
    assert (row["NAME"], row["DATA"]) == ("settings", "2"), table

    wide = devcluster.kubectl("get", "cm", "settings", "-n", namespace, "-o", "wide").stdout
    assert headers(wide) == ["NAME", "DATA", "AGE"]

    as_yaml = yaml.safe_load(devcluster.kubectl("get", "cm", "settings", "-n", namespace, "-o", "yaml").stdout)
    assert (as_yaml["apiVersion"], as_yaml["kind"]) == ("v1", "ConfigMap")
    assert as_yaml["data"] == {"k": "v", "other": "x"}
    meta = as_yaml["metadata"]
    assert (meta["name"], meta["namespace"], meta["labels"]) == ("settings", namespace, {"app": "demo"})
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", meta["uid"]), meta
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", meta["creationTimestamp"]), meta
    assert meta["resourceVersion"].isdigit(), meta
    assert "managedFields" not in meta  # kubectl hides them unless --show-managed-fields
    applied = json.loads(meta["annotations"]["kubectl.kubernetes.io/last-applied-configuration"])
    assert applied["data"] == {"k": "v", "other": "x"}

    as_json = devcluster.kubectl_json("get", "cm", "settings", "-n", namespace)
    assert as_json["metadata"]["uid"] == meta["uid"] and as_json["data"] == as_yaml["data"]
    managed = devcluster.kubectl_json("get", "cm", "settings", "-n", namespace, "--show-managed-fields")
    assert [(m["manager"], m["operation"]) for m in managed["metadata"]["managedFields"]] == \
        [("kubectl-client-side-apply", "Update")], managed["metadata"]

    assert devcluster.kubectl("get", "cm", "settings", "-n", namespace, "-o", "name").stdout == \
        "configmap/settings\n"
    assert devcluster.kubectl("get", "cm", "settings", "-n", namespace, "-o", "jsonpath={.data.other}").stdout == "x"
    columns = devcluster.kubectl("get", "cm", "settings", "-n", namespace, "-o",
                                 "custom-columns=NAME:.metadata.name,KEY:.data.k,APP:.metadata.labels.app").stdout
    assert parse_table(columns) == [{"NAME": "settings", "KEY": "v", "APP": "demo"}], columns

    listed = devcluster.kubectl_json("get", "cm", "-n", namespace, "-l", "app=demo")
    assert listed["kind"] == "List" and [i["metadata"]["name"] for i in listed["items"]] == ["settings"]

    assert devcluster.kubectl("delete", "cm", "settings", "-n", namespace).stdout.strip() == \
        'configmap "settings" deleted'
    result = devcluster.kubectl("get", "cm", "settings", "-n", namespace, check=False)
    assert result.returncode != 0 and result.stderr.strip() == NOT_FOUND + 'configmaps "settings" not found'


def test_default_namespace_from_kubeconfig(devcluster, request):
    from devcluster_fixtures import unique_name

    name = unique_name("cm", request)
    assert devcluster.apply(manifest(configmap(name))).stdout.strip() == f"configmap/{name} created"
    assert devcluster.kubectl("get", "cm", name, "-o", "jsonpath={.metadata.namespace}").stdout == "default"
    devcluster.kubectl("delete", "cm", name)


def test_get_missing_is_not_found(devcluster, namespace):
    result = devcluster.kubectl("get", "deployment", "nope", "-n", namespace, check=False)
    assert result.returncode == 1
    assert result.stderr.strip() == NOT_FOUND + 'deployments.apps "nope" not found'
    result = devcluster.kubectl("delete", "secret", "nope", "-n", namespace, check=False)
    assert result.returncode == 1
    assert result.stderr.strip() == NOT_FOUND + 'secrets "nope" not found'
    assert devcluster.kubectl("delete", "secret", "nope", "-n", namespace, "--ignore-not-found").returncode == 0


def test_get_empty_namespace_says_no_resources(devcluster, namespace):
    result = devcluster.kubectl("get", "deployments", "-n", namespace)
    assert result.stdout == ""
    assert result.stderr.strip() == f"No resources found in {namespace} namespace."


def test_apply_twice_is_unchanged_then_configured(devcluster, namespace):
    cm = configmap("twice", namespace, data={"a": "1"})
    assert devcluster.apply(manifest(cm)).stdout.strip() == "configmap/twice created"
    first = devcluster.kubectl_json("get", "cm", "twice", "-n", namespace)
    assert devcluster.apply(manifest(cm)).stdout.strip() == "configmap/twice unchanged"
    assert devcluster.kubectl_json("get", "cm", "twice", "-n", namespace)["metadata"]["resourceVersion"] == \
        first["metadata"]["resourceVersion"]
    cm["data"] = {"b": "2"}
    assert devcluster.apply(manifest(cm)).stdout.strip() == "configmap/twice configured"
    after = devcluster.kubectl_json("get", "cm", "twice", "-n", namespace)
    assert after["data"] == {"b": "2"}  # "a" was in the last applied configuration: removed
    assert int(after["metadata"]["resourceVersion"]) > int(first["metadata"]["resourceVersion"])
    assert after["metadata"]["uid"] == first["metadata"]["uid"]
    assert after["metadata"]["creationTimestamp"] == first["metadata"]["creationTimestamp"]


def test_apply_keeps_fields_written_by_others(devcluster, namespace):
    """Client-side apply's three-way merge only removes what the last applied configuration had."""
    devcluster.apply(manifest(configmap("shared", namespace, data={"mine": "1"})))
    devcluster.kubectl("patch", "cm", "shared", "-n", namespace, "--type=merge", "-p", '{"data":{"theirs":"2"}}')
    devcluster.apply(manifest(configmap("shared", namespace, data={"mine": "3"})))
    assert devcluster.kubectl_json("get", "cm", "shared", "-n", namespace)["data"] == {"mine": "3", "theirs": "2"}


def test_create_twice_is_already_exists(devcluster, namespace):
    text = manifest(configmap("once", namespace))
    assert devcluster.kubectl("create", "-f", "-", input=text).stdout.strip() == "configmap/once created"
    result = devcluster.kubectl("create", "-f", "-", input=text, check=False)
    assert result.returncode != 0
    assert result.stderr.strip() == \
        'Error from server (AlreadyExists): error when creating "STDIN": configmaps "once" already exists'


def test_describe_configmap_shows_data_and_its_events(devcluster, namespace):
    devcluster.apply(manifest(configmap("described", namespace, data={"greeting": "hello"})))
    uid = devcluster.kubectl("get", "cm", "described", "-n", namespace, "-o", "jsonpath={.metadata.uid}").stdout
    event = {
        "apiVersion": "v1", "kind": "Event",
        "metadata": {"name": "described.1", "namespace": namespace},
        "involvedObject": {"apiVersion": "v1", "kind": "ConfigMap", "name": "described", "namespace": namespace,
                           "uid": uid},
        "reason": "Checked", "message": "all keys present", "type": "Normal",
        "source": {"component": "itest"}, "count": 1,
        "firstTimestamp": "2025-01-01T00:00:00Z", "lastTimestamp": "2025-01-01T00:00:00Z",
    }
    devcluster.apply(manifest(event))
    out = devcluster.kubectl("describe", "configmap", "described", "-n", namespace).stdout
    assert re.search(r"^Name:\s+described$", out, re.M), out
    assert re.search(rf"^Namespace:\s+{namespace}$", out, re.M), out
    assert re.search(r"^greeting:\n-+\nhello$", out, re.M), out
    # describe finds the event by field selector involvedObject.{kind,name,namespace,uid}
    events = out[out.index("Events:"):]
    assert re.search(r"Normal\s+Checked\s+\S+\s+itest\s+all keys present", events), out


# --- Secrets, Services, Endpoints, ServiceAccounts ---

def test_secret_string_data_is_stored_base64(devcluster, namespace):
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "keys", "namespace": namespace},
              "stringData": {"streamKey": "sk-123"}}
    devcluster.apply(manifest(secret))
    stored = devcluster.kubectl_json("get", "secret", "keys", "-n", namespace)
    assert stored["data"] == {"streamKey": base64.b64encode(b"sk-123").decode()}
    assert "stringData" not in stored
    assert stored.get("type") == "Opaque", stored
    table = devcluster.kubectl("get", "secret", "keys", "-n", namespace).stdout
    assert headers(table) == ["NAME", "TYPE", "DATA", "AGE"]
    assert parse_table(table)[0]["TYPE"] == "Opaque" and parse_table(table)[0]["DATA"] == "1"
    decoded = devcluster.kubectl("get", "secret", "keys", "-n", namespace, "-o",
                                 "jsonpath={.data.streamKey}").stdout
    assert base64.b64decode(decoded) == b"sk-123"


def test_service_defaults_cluster_ip_and_columns(devcluster, namespace):
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": namespace},
               "spec": {"selector": {"app": "web"}, "ports": [{"name": "http", "port": 80}]}}
    assert devcluster.apply(manifest(service)).stdout.strip() == "service/web created"
    spec = devcluster.kubectl_json("get", "svc", "web", "-n", namespace)["spec"]
    assert (spec.get("type"), spec.get("sessionAffinity")) == ("ClusterIP", "None"), spec
    assert spec["ports"] == [{"name": "http", "port": 80, "protocol": "TCP", "targetPort": 80}], spec
    assert spec.get("clusterIP"), spec
    ip = ipaddress.ip_address(spec["clusterIP"])
    assert ip.version == 4 and spec["clusterIPs"] == [spec["clusterIP"]], spec
    wide = devcluster.kubectl("get", "svc", "web", "-n", namespace, "-o", "wide").stdout
    assert headers(wide) == ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE", "SELECTOR"]
    (row,) = parse_table(wide)
    assert (row["TYPE"], row["CLUSTER-IP"], row["EXTERNAL-IP"], row["PORT(S)"], row["SELECTOR"]) == \
        ("ClusterIP", spec["clusterIP"], "<none>", "80/TCP", "app=web"), wide


def test_headless_service_keeps_cluster_ip_none(devcluster, namespace):
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "peers", "namespace": namespace},
               "spec": {"clusterIP": "None", "selector": {"app": "p"}, "ports": [{"port": 7882, "protocol": "UDP"}]}}
    devcluster.apply(manifest(service))
    spec = devcluster.kubectl_json("get", "svc", "peers", "-n", namespace)["spec"]
    assert spec["clusterIP"] == "None" and spec["ports"][0]["protocol"] == "UDP"


def test_endpoints_roundtrip(devcluster, namespace):
    endpoints = {"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "web", "namespace": namespace},
                 "subsets": [{"addresses": [{"ip": "10.1.2.3"}], "ports": [{"name": "http", "port": 8080}]}]}
    assert devcluster.apply(manifest(endpoints)).stdout.strip() == "endpoints/web created"
    table = devcluster.kubectl("get", "endpoints", "web", "-n", namespace).stdout
    assert headers(table) == ["NAME", "ENDPOINTS", "AGE"]
    assert parse_table(table)[0]["ENDPOINTS"] == "10.1.2.3:8080", table
    stored = devcluster.kubectl_json("get", "ep", "web", "-n", namespace)
    assert stored["subsets"][0]["ports"] == [{"name": "http", "port": 8080, "protocol": "TCP"}]


def test_serviceaccount_create_and_get(devcluster, namespace):
    assert devcluster.kubectl("create", "serviceaccount", "robot", "-n", namespace).stdout.strip() == \
        "serviceaccount/robot created"
    table = devcluster.kubectl("get", "sa", "robot", "-n", namespace).stdout
    assert headers(table) == ["NAME", "SECRETS", "AGE"]
    assert parse_table(table)[0]["SECRETS"] == "0", table
    devcluster.kubectl("delete", "serviceaccount", "robot", "-n", namespace)
    assert devcluster.kubectl("get", "sa", "robot", "-n", namespace, "--ignore-not-found").stdout == ""


# --- Deployments, ReplicaSets, Pods ---

def test_deployment_defaults_and_wide_columns(devcluster, namespace):
    assert devcluster.apply(manifest(deployment("media", namespace))).stdout.strip() == \
        "deployment.apps/media created"
    stored = devcluster.kubectl_json("get", "deployment", "media", "-n", namespace)
    spec = stored["spec"]
    assert stored["metadata"]["generation"] == 1
    assert spec.get("replicas") == 1, spec
    assert spec.get("strategy") == {"type": "RollingUpdate",
                                    "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}}, spec
    assert (spec.get("revisionHistoryLimit"), spec.get("progressDeadlineSeconds")) == (10, 600), spec
    template = spec["template"]["spec"]
    assert (template.get("restartPolicy"), template.get("dnsPolicy"), template.get("schedulerName"),
            template.get("terminationGracePeriodSeconds")) == ("Always", "ClusterFirst", "default-scheduler", 30), \
        template
    container = template["containers"][0]
    assert (container.get("imagePullPolicy"), container.get("terminationMessagePath"),
            container.get("terminationMessagePolicy")) == ("IfNotPresent", "/dev/termination-log", "File"), container

    wide = devcluster.kubectl("get", "deploy", "media", "-n", namespace, "-o", "wide").stdout
    assert headers(wide) == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE", "CONTAINERS", "IMAGES", "SELECTOR"]
    (row,) = parse_table(wide)
    assert (row["READY"], row["UP-TO-DATE"], row["AVAILABLE"], row["CONTAINERS"], row["IMAGES"],
            row["SELECTOR"]) == ("0/1", "0", "0", "main", "media-pod:1", "app=media"), wide


def test_deployment_selector_must_match_template(devcluster, namespace):
    bad = deployment("bad", namespace)
    bad["spec"]["template"]["metadata"]["labels"] = {"app": "other"}
    result = devcluster.kubectl("apply", "-f", "-", input=manifest(bad), check=False)
    assert result.returncode != 0
    assert result.stderr.strip() == ('The Deployment "bad" is invalid: spec.template.metadata.labels: Invalid value: '
                                     'map[string]string{"app":"other"}: `selector` does not match template `labels`')


def test_deployment_status_and_rollout_status(devcluster, namespace):
    """No controller runs here: the test writes the status a deployment controller would, through /status."""
    devcluster.apply(manifest(deployment("rolled", namespace, replicas=2)))
    status = {"status": {"observedGeneration": 1, "replicas": 2, "updatedReplicas": 2, "readyReplicas": 2,
                         "availableReplicas": 2}}
    out = devcluster.kubectl("patch", "deployment", "rolled", "-n", namespace, "--subresource=status",
                             "--type=merge", "-p", json.dumps(status)).stdout
    assert out.strip() == "deployment.apps/rolled patched"
    (row,) = parse_table(devcluster.kubectl("get", "deploy", "rolled", "-n", namespace).stdout)
    assert (row["READY"], row["UP-TO-DATE"], row["AVAILABLE"]) == ("2/2", "2", "2")
    out = devcluster.kubectl("rollout", "status", "deployment/rolled", "-n", namespace, "--timeout=10s").stdout
    assert out.strip().splitlines()[-1] == 'deployment "rolled" successfully rolled out'


def test_replicaset_roundtrip(devcluster, namespace):
    rs = deployment("rs", namespace, replicas=2)
    rs["kind"] = "ReplicaSet"
    assert devcluster.apply(manifest(rs)).stdout.strip() == "replicaset.apps/rs created"
    wide = devcluster.kubectl("get", "rs", "rs", "-n", namespace, "-o", "wide").stdout
    assert headers(wide) == ["NAME", "DESIRED", "CURRENT", "READY", "AGE", "CONTAINERS", "IMAGES", "SELECTOR"]
    (row,) = parse_table(wide)
    assert (row["DESIRED"], row["CURRENT"], row["READY"], row["SELECTOR"]) == ("2", "0", "0", "app=rs"), wide
    assert devcluster.kubectl("delete", "rs", "rs", "-n", namespace).stdout.strip() == \
        'replicaset.apps "rs" deleted'


def test_pod_defaults_and_wide_columns(devcluster, namespace):
    assert devcluster.apply(manifest(pod("p1", namespace))).stdout.strip() == "pod/p1 created"
    stored = devcluster.kubectl_json("get", "pod", "p1", "-n", namespace)
    status = stored.get("status", {})
    assert (status.get("phase"), status.get("qosClass")) == ("Pending", "BestEffort"), status
    spec = stored["spec"]
    assert (spec.get("restartPolicy"), spec.get("dnsPolicy"), spec.get("schedulerName")) == \
        ("Always", "ClusterFirst", "default-scheduler"), spec
    assert spec["containers"][0].get("imagePullPolicy") == "IfNotPresent", spec
    wide = devcluster.kubectl("get", "pods", "p1", "-n", namespace, "-o", "wide").stdout
    assert headers(wide) == ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE", "NOMINATED NODE",
                             "READINESS GATES"]
    (row,) = parse_table(wide)
    assert (row["READY"], row["STATUS"], row["RESTARTS"], row["IP"], row["NODE"]) == \
        ("0/1", "Pending", "0", "<none>", "test-node"), wide


def test_pod_image_without_tag_is_always_pulled(devcluster, namespace):
    devcluster.apply(manifest(pod("latest", namespace, image="busybox")))
    assert devcluster.kubectl("get", "pod", "latest", "-n", namespace, "-o",
                              "jsonpath={.spec.containers[0].imagePullPolicy}").stdout == "Always"


def test_pod_without_containers_is_invalid(devcluster, namespace):
    bad = pod("empty", namespace)
    bad["spec"]["containers"] = []
    result = devcluster.kubectl("create", "-f", "-", input=manifest(bad), check=False)
    assert result.returncode != 0
    assert 'The Pod "empty" is invalid' in result.stderr and "spec.containers: Required value" in result.stderr


def test_get_all_lists_the_workload_kinds(devcluster, namespace):
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "svc", "namespace": namespace},
               "spec": {"selector": {"app": "x"}, "ports": [{"port": 80}]}}
    devcluster.apply(manifest(pod("p", namespace), service, deployment("d", namespace),
                              configmap("not-in-all", namespace)))
    names = set(devcluster.kubectl("get", "all", "-n", namespace, "-o", "name").stdout.split())
    assert {"pod/p", "service/svc", "deployment.apps/d"} <= names, names
    assert not any(n.startswith("configmap/") for n in names), names


# --- discovery ---

BUILTIN_RESOURCES = [
    # NAME, SHORTNAMES, APIVERSION, NAMESPACED, KIND
    ("configmaps", "cm", "v1", "true", "ConfigMap"),
    ("endpoints", "ep", "v1", "true", "Endpoints"),
    ("events", "ev", "v1", "true", "Event"),
    ("namespaces", "ns", "v1", "false", "Namespace"),
    ("pods", "po", "v1", "true", "Pod"),
    ("secrets", "", "v1", "true", "Secret"),
    ("serviceaccounts", "sa", "v1", "true", "ServiceAccount"),
    ("services", "svc", "v1", "true", "Service"),
    ("customresourcedefinitions", "crd,crds", "apiextensions.k8s.io/v1", "false", "CustomResourceDefinition"),
    ("deployments", "deploy", "apps/v1", "true", "Deployment"),
    ("replicasets", "rs", "apps/v1", "true", "ReplicaSet"),
    ("horizontalpodautoscalers", "hpa", "autoscaling/v2", "true", "HorizontalPodAutoscaler"),
    ("leases", "", "coordination.k8s.io/v1", "true", "Lease"),
    ("events", "ev", "events.k8s.io/v1", "true", "Event"),
    ("poddisruptionbudgets", "pdb", "policy/v1", "true", "PodDisruptionBudget"),
    ("rolebindings", "", "rbac.authorization.k8s.io/v1", "true", "RoleBinding"),
    ("roles", "", "rbac.authorization.k8s.io/v1", "true", "Role"),
]


def test_api_resources_lists_the_builtins(devcluster):
    out = devcluster.kubectl("api-resources").stdout
    assert headers(out) == ["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"]
    rows = {(r["NAME"], r["SHORTNAMES"], r["APIVERSION"], r["NAMESPACED"], r["KIND"]) for r in parse_table(out)}
    missing = [resource for resource in BUILTIN_RESOURCES if resource not in rows]
    assert not missing, f"missing from kubectl api-resources: {missing}\n{out}"


def test_api_versions(devcluster):
    versions = set(devcluster.kubectl("api-versions").stdout.split())
    assert {"v1", "apps/v1", "autoscaling/v2", "coordination.k8s.io/v1", "events.k8s.io/v1", "policy/v1",
            "rbac.authorization.k8s.io/v1", "apiextensions.k8s.io/v1"} <= versions, versions


# --- the other built-ins ---

def test_lease_roundtrip(devcluster, namespace):
    lease = {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
             "metadata": {"name": "broadcast-operator", "namespace": namespace},
             "spec": {"holderIdentity": "operator-0", "leaseDurationSeconds": 15,
                      "renewTime": "2025-01-01T00:00:00.000000Z", "leaseTransitions": 0}}
    assert devcluster.apply(manifest(lease)).stdout.strip() == \
        "lease.coordination.k8s.io/broadcast-operator created"
    table = devcluster.kubectl("get", "leases", "-n", namespace).stdout
    assert headers(table) == ["NAME", "HOLDER", "AGE"]
    assert parse_table(table)[0]["HOLDER"] == "operator-0", table
    stored = devcluster.kubectl_json("get", "lease", "broadcast-operator", "-n", namespace)
    assert stored["spec"]["renewTime"] == "2025-01-01T00:00:00.000000Z"  # MicroTime keeps microseconds


def test_core_event_roundtrip_and_columns(devcluster, namespace):
    event = {
        "apiVersion": "v1", "kind": "Event", "metadata": {"name": "show.17", "namespace": namespace},
        "involvedObject": {"apiVersion": "media.streamlick.io/v1alpha1", "kind": "Broadcast", "name": "show",
                           "namespace": namespace},
        "reason": "Scheduled", "message": "assigned to media-0", "type": "Normal",
        "source": {"component": "broadcast-operator"}, "count": 1,
        "firstTimestamp": "2025-01-01T00:00:00Z", "lastTimestamp": "2025-01-01T00:00:00Z",
    }
    assert devcluster.apply(manifest(event)).stdout.strip() == "event/show.17 created"
    table = devcluster.kubectl("get", "events", "-n", namespace).stdout
    assert headers(table) == ["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
    (row,) = parse_table(table)
    assert (row["TYPE"], row["REASON"], row["OBJECT"], row["MESSAGE"]) == \
        ("Normal", "Scheduled", "broadcast/show", "assigned to media-0"), table
    selected = devcluster.kubectl("get", "events", "-n", namespace, "--field-selector",
                                  "involvedObject.name=show,reason=Scheduled", "-o", "name").stdout
    assert selected.split() == ["event/show.17"]


def test_events_k8s_io_event_is_the_core_event(devcluster, namespace):
    """events.k8s.io/v1 and core v1 Events are one resource seen through two versions (note ↔ message,
    regarding ↔ involvedObject, reportingController ↔ reportingComponent)."""
    event = {
        "apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": {"name": "new-style", "namespace": namespace},
        "eventTime": "2025-01-01T00:00:00.000000Z", "reportingController": "media.streamlick.io/operator",
        "reportingInstance": "operator-0", "action": "Schedule", "reason": "Scheduled", "type": "Normal",
        "note": "assigned to media-1",
        "regarding": {"apiVersion": "v1", "kind": "Pod", "name": "media-1", "namespace": namespace},
    }
    assert devcluster.apply(manifest(event)).stdout.strip() == "event.events.k8s.io/new-style created"
    as_new = devcluster.kubectl_json("get", "events.v1.events.k8s.io", "new-style", "-n", namespace)
    assert (as_new["note"], as_new["regarding"]["name"]) == ("assigned to media-1", "media-1")
    as_core = devcluster.kubectl_json("get", "events.v1.", "new-style", "-n", namespace)
    assert (as_core["apiVersion"], as_core["message"], as_core["reason"], as_core["involvedObject"]["name"],
            as_core["reportingComponent"]) == \
        ("v1", "assigned to media-1", "Scheduled", "media-1", "media.streamlick.io/operator"), as_core


def test_hpa_roundtrip_and_columns(devcluster, namespace):
    hpa = {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
           "metadata": {"name": "media", "namespace": namespace},
           "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "media"},
                    "minReplicas": 1, "maxReplicas": 5,
                    "metrics": [{"type": "Pods", "pods": {
                        "metric": {"name": "media_server_active_streams"},
                        "target": {"type": "AverageValue", "averageValue": "8"}}}],
                    "behavior": {"scaleDown": {"stabilizationWindowSeconds": 300}}}}
    assert devcluster.apply(manifest(hpa)).stdout.strip() == "horizontalpodautoscaler.autoscaling/media created"
    table = devcluster.kubectl("get", "hpa", "media", "-n", namespace).stdout
    assert headers(table) == ["NAME", "REFERENCE", "TARGETS", "MINPODS", "MAXPODS", "REPLICAS", "AGE"]
    (row,) = parse_table(table)
    assert (row["REFERENCE"], row["MINPODS"], row["MAXPODS"], row["REPLICAS"]) == \
        ("Deployment/media", "1", "5", "0"), table
    assert "<unknown>/8" in row["TARGETS"], table
    stored = devcluster.kubectl_json("get", "hpa", "media", "-n", namespace)
    assert stored["spec"]["metrics"] == hpa["spec"]["metrics"]
    assert stored["spec"]["behavior"]["scaleDown"]["stabilizationWindowSeconds"] == 300


def test_hpa_max_below_min_is_invalid(devcluster, namespace):
    hpa = {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
           "metadata": {"name": "bad", "namespace": namespace},
           "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "media"},
                    "minReplicas": 4, "maxReplicas": 2}}
    result = devcluster.kubectl("create", "-f", "-", input=manifest(hpa), check=False)
    assert result.returncode != 0
    assert result.stderr.strip() == ('The HorizontalPodAutoscaler "bad" is invalid: spec.maxReplicas: '
                                     'Invalid value: 2: must be greater than or equal to `minReplicas`')


def test_pdb_roundtrip_and_columns(devcluster, namespace):
    pdb = {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "media", "namespace": namespace},
           "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "media"}}}}
    assert devcluster.apply(manifest(pdb)).stdout.strip() == "poddisruptionbudget.policy/media created"
    table = devcluster.kubectl("get", "pdb", "media", "-n", namespace).stdout
    assert headers(table) == ["NAME", "MIN AVAILABLE", "MAX UNAVAILABLE", "ALLOWED DISRUPTIONS", "AGE"]
    (row,) = parse_table(table)
    assert (row["MIN AVAILABLE"], row["MAX UNAVAILABLE"], row["ALLOWED DISRUPTIONS"]) == ("1", "N/A", "0"), table


def test_role_and_rolebinding_are_stored(devcluster, namespace):
    out = devcluster.kubectl("create", "role", "broadcast-writer", "-n", namespace, "--verb=get,create,delete",
                             "--resource=secrets,configmaps").stdout
    assert out.strip() == "role.rbac.authorization.k8s.io/broadcast-writer created"
    (rule,) = devcluster.kubectl_json("get", "role", "broadcast-writer", "-n", namespace)["rules"]
    assert rule["apiGroups"] == [""] and sorted(rule["resources"]) == ["configmaps", "secrets"], rule
    assert sorted(rule["verbs"]) == ["create", "delete", "get"], rule
    out = devcluster.kubectl("create", "rolebinding", "backend", "-n", namespace, "--role=broadcast-writer",
                             f"--serviceaccount={namespace}:backend").stdout
    assert out.strip() == "rolebinding.rbac.authorization.k8s.io/backend created"
    wide = devcluster.kubectl("get", "rolebinding", "backend", "-n", namespace, "-o", "wide").stdout
    assert headers(wide) == ["NAME", "ROLE", "AGE", "USERS", "GROUPS", "SERVICEACCOUNTS"]
    (row,) = parse_table(wide)
    assert (row["ROLE"], row["SERVICEACCOUNTS"]) == ("Role/broadcast-writer", f"{namespace}/backend"), wide
    assert headers(devcluster.kubectl("get", "roles", "-n", namespace).stdout) == ["NAME", "CREATED AT"]
