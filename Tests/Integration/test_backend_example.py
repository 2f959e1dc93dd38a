"""The backend's way in (docs/backend.md): examples/backend/create_broadcast.py, run as the document tells a user to,
against devcluster and a real `broadcast-operator run`, with the test playing kubelet for one media pod; and the
backend's Role (manifests/rbac/backend-role.yaml) as kubectl applies it.

devcluster stores Roles and RoleBindings but does not enforce them (one admin token, docs/devcluster.md): these tests
check that the manifest applies and that its rules are exactly the documented ones, not that a real API server would
refuse the backend anything else. The example runs with devcluster's admin kubeconfig.
"""

import base64
import os
import pathlib
import re
import secrets
import shlex
import subprocess
import sys
import time

import pytest

from harness.media_pods import Broadcasts, MediaPods
from harness.operator import Operator

pytestmark = pytest.mark.devcluster

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]
DOC = REPO_ROOT / "docs/backend.md"
EXAMPLE = REPO_ROOT / "examples/backend/create_broadcast.py"
ROLE = REPO_ROOT / "manifests/rbac/backend-role.yaml"
CRD = REPO_ROOT / "manifests/crd/broadcasts.media.streamlick.io.yaml"
EXAMPLE_TIMEOUT = 60


def apply_crd(cluster) -> None:
    cluster.kubectl("apply", "-f", str(CRD))
    cluster.kubectl("wait", "--for=condition=Established", "--timeout=20s", "crd/broadcasts.media.streamlick.io")


def attach_log(request, process: Operator) -> None:
    """The operator's log tail at the end of a failing test's report (conftest.py's pytest_runtest_makereport)."""
    if not hasattr(request.node, "_media_attachments"):
        request.node._media_attachments = []
    request.node._media_attachments.append((f"operator log tail ({process.log_path})", lambda: process.log_tail(60)))


def start_operator(cluster, work_dir: pathlib.Path) -> Operator:
    process = Operator(work_dir, cluster.kubeconfig)
    try:
        process.start()
    except RuntimeError as error:
        process.stop()
        pytest.fail(str(error), pytrace=False)
    return process


@pytest.fixture(scope="module")
def backend_cluster(devcluster):
    """The module's devcluster with the Broadcast CRD of manifests/crd applied."""
    apply_crd(devcluster)
    return devcluster


@pytest.fixture(scope="module")
def module_operator(backend_cluster, tmp_path_factory):
    """One `broadcast-operator run` for the module's devcluster (it considers media pods in every namespace; only
    test_the_documented_command_... creates any in this module)."""
    process = start_operator(backend_cluster, tmp_path_factory.mktemp("operator"))
    yield process
    crashed = not process.alive()
    process.stop()
    if crashed:
        pytest.fail(f"broadcast-operator exited by itself with code {process.process.returncode}:\n"
                    f"{process.log_tail(40)}", pytrace=False)


def documented_command() -> tuple:
    """(environment variables, argv) of the example's command in docs/backend.md §5: the `export` lines and the
    `python3 examples/backend/create_broadcast.py ...` line (with its continuation) of the first sh block there."""
    text = DOC.read_text()
    section = text[text.index("## 5. The example"):]
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    joined = block.replace("\\\n", " ")
    env, argv = {}, None
    for line in joined.splitlines():
        line = line.split("  #")[0].strip()
        if line.startswith("export "):
            key, _, value = line[len("export "):].partition("=")
            env[key] = value
        elif line.startswith("python3 examples/backend/create_broadcast.py"):
            argv = shlex.split(line)
    assert argv is not None, f"no example command in docs/backend.md §5:\n{block}"
    return env, argv


def run_documented_command(cluster, namespace: str, stream_key: str, extra=(), timeout: float = EXAMPLE_TIMEOUT,
                           popen: bool = False):
    """The documented command with the test's kubeconfig, namespace and stream key in place of the document's."""
    documented_env, argv = documented_command()
    assert set(documented_env) == {"KUBECONFIG", "STREAM_KEY_YOUTUBE"}, documented_env
    argv = [sys.executable] + argv[1:]
    argv[argv.index("--namespace") + 1] = namespace
    env = {k: v for k, v in os.environ.items() if k not in ("KUBECONFIG_PATH", "BROADCAST_NAMESPACE")}
    env.update(KUBECONFIG=str(cluster.kubeconfig), STREAM_KEY_YOUTUBE=stream_key)
    if popen:
        return subprocess.Popen(argv + list(extra), cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
    return subprocess.run(argv + list(extra), cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout)


def secret_data(cluster, namespace: str, name: str) -> dict:
    secret = cluster.kubectl_json("get", "secret", name, "-n", namespace)
    return {k: base64.b64decode(v).decode() for k, v in (secret.get("data") or {}).items()}


def test_the_documented_command_creates_a_broadcast_and_prints_the_whip_url(backend_cluster, module_operator,
                                                                           namespace, request):
    attach_log(request, module_operator)
    public_url = "http://203.0.113.7:8080"
    MediaPods(backend_cluster, namespace).create("media-0", capacity=10, public_url=public_url)
    stream_key = secrets.token_hex(8)

    result = run_documented_command(backend_cluster, namespace, stream_key)

    report = f"exit {result.returncode}\n--- stdout ---\n{result.stdout}\n--- stderr ---\n{result.stderr}"
    assert result.returncode == 0, report
    name = "weekly-show"  # the document's --name
    assert f"whipURL: {public_url}/whip/{namespace}/{name}" in result.stdout.splitlines(), report
    assert f"whepURL: {public_url}/whep/{namespace}/{name}" in result.stdout.splitlines(), report
    assert f"Broadcast {namespace}/{name} is Scheduled on media pod media-0 (epoch 1)" in result.stdout, report

    # What the backend created: its Secrets, and a Broadcast naming them.
    token_secret = secret_data(backend_cluster, namespace, f"{name}-ingest-token")
    assert set(token_secret) == {"token", "guestToken"}
    assert re.fullmatch(r"[0-9a-f]{64}", token_secret["token"]) and token_secret["token"] != token_secret["guestToken"]
    assert secret_data(backend_cluster, namespace, f"{name}-stream-keys") == {"youtube": stream_key}
    obj = backend_cluster.kubectl_json("get", "bc", name, "-n", namespace)
    assert obj["spec"]["ingest"] == {"tokenSecretRef": {"name": f"{name}-ingest-token", "key": "token"}}
    assert obj["spec"]["destinations"][0]["streamKeySecretRef"] == {"name": f"{name}-stream-keys", "key": "youtube"}
    status = obj["status"]
    assert status["phase"] == "Scheduled" and status["assignment"]["pod"] == "media-0"
    assert status["ingest"]["tokenSecretName"] == f"{name}-ingest-token"
    # The operator made no token Secret of its own: the Broadcast names the backend's.
    secrets_now = [s["metadata"]["name"] for s in backend_cluster.kubectl_json("get", "secrets", "-n", namespace)["items"]]
    assert f"{name}-ingest" not in secrets_now, secrets_now
    # Nothing secret on stdout without --show-token.
    assert token_secret["token"] not in result.stdout + result.stderr and stream_key not in result.stdout + result.stderr

    # Deleting (docs/backend.md §4): Ended until the media pod (played here) says the egress stopped, then gone.
    backend_cluster.kubectl("delete", "bc", name, "-n", namespace, "--wait=false")
    broadcasts = Broadcasts(backend_cluster, namespace)
    broadcasts.wait_for(name, lambda o: (o.get("status") or {}).get("phase") == "Ended", timeout=10,
                        message="phase Ended")
    broadcasts.report_egress_stopped(name)
    broadcasts.wait_gone(name, timeout=10)


def test_the_example_waits_through_no_capacity_until_a_pod_has_room(private_devcluster, tmp_path, request):
    """A cluster of its own: no media pod at all, so the example reports NoCapacity and keeps waiting; once a pod
    is Ready the operator places the Broadcast there and the example prints that pod's URL."""
    cluster = private_devcluster(persistent=False)
    apply_crd(cluster)
    operator = start_operator(cluster, tmp_path / "operator")
    attach_log(request, operator)
    try:
        namespace = "studio"
        cluster.create_namespace(namespace)
        process = run_documented_command(cluster, namespace, "k", extra=["--timeout", "40"], popen=True)
        try:
            deadline = time.monotonic() + 20
            stderr_lines = []
            while time.monotonic() < deadline:
                line = process.stderr.readline()
                if not line:
                    break
                stderr_lines.append(line)
                if line.startswith("Pending (NoCapacity)"):
                    break
            assert stderr_lines and stderr_lines[-1].startswith("Pending (NoCapacity): 0 of 0 media pods have room"), \
                "".join(stderr_lines)
            MediaPods(cluster, namespace).create("media-late", capacity=1, public_url="http://198.51.100.9:8080")
            stdout, stderr = process.communicate(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate()
        report = f"exit {process.returncode}\n--- stdout ---\n{stdout}\n--- stderr ---\n{''.join(stderr_lines)}{stderr}"
        assert process.returncode == 0, report
        assert f"whipURL: http://198.51.100.9:8080/whip/{namespace}/weekly-show" in stdout.splitlines(), report
    finally:
        operator.stop()


def test_the_example_without_the_crd_says_so_and_creates_nothing(private_devcluster):
    cluster = private_devcluster(persistent=False)
    cluster.create_namespace("studio")

    result = run_documented_command(cluster, "studio", "k")

    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr.strip() == (
        "error: the Broadcast API (broadcasts.media.streamlick.io) is not installed in this cluster: an "
        "administrator applies it with `kubectl apply -f manifests/crd/broadcasts.media.streamlick.io.yaml`")
    assert cluster.kubectl_json("get", "secrets", "-n", "studio")["items"] == []


def documented_rules() -> list:
    """The Role's rules as the table of docs/backend.md §1 gives them: [(apiGroup, resource, [verbs])]."""
    rules = []
    for line in DOC.read_text().splitlines():
        match = re.fullmatch(r"\| `([^`]*)`(?: \(core\))? \| `([a-z]+)` \| ((?:`[a-z]+`(?:, )?)+) \|", line.strip())
        if match:
            group = "" if match.group(1) == '""' else match.group(1)
            rules.append((group, match.group(2), re.findall(r"`([a-z]+)`", match.group(3))))
    return rules


def test_the_backend_role_applies_with_exactly_the_documented_rules(backend_cluster, namespace):
    # devcluster stores RBAC objects without enforcing them: this checks the manifest and the document agree and
    # that kubectl applies it into a namespace of the user's choice (the files carry none).
    applied = backend_cluster.kubectl("apply", "-n", namespace, "-f", str(ROLE)).stdout
    assert applied.splitlines() == ["serviceaccount/streamlick-backend created",
                                    "role.rbac.authorization.k8s.io/streamlick-backend created",
                                    "rolebinding.rbac.authorization.k8s.io/streamlick-backend created"], applied

    role = backend_cluster.kubectl_json("get", "role", "streamlick-backend", "-n", namespace)
    rules = [(rule["apiGroups"], rule["resources"], rule["verbs"]) for rule in role["rules"]]
    assert rules == [(["media.streamlick.io"], ["broadcasts"], ["create", "get", "list", "watch", "delete"]),
                     ([""], ["secrets"], ["create"])]
    assert all(set(rule) == {"apiGroups", "resources", "verbs"} for rule in role["rules"]), role["rules"]
    assert [([group], [resource], verbs) for group, resource, verbs in documented_rules()] == rules

    binding = backend_cluster.kubectl_json("get", "rolebinding", "streamlick-backend", "-n", namespace)
    assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role",
                                  "name": "streamlick-backend"}
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "streamlick-backend"}]
    backend_cluster.kubectl("get", "serviceaccount", "streamlick-backend", "-n", namespace)
    # Applying again changes nothing.
    again = backend_cluster.kubectl("apply", "-n", namespace, "-f", str(ROLE)).stdout
    assert all(line.endswith(" unchanged") for line in again.splitlines()), again
