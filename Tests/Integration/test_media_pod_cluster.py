"""media-pod in cluster mode (issue 7, first step): it runs the Broadcasts the operator assigned to it, found through
the API server (label media.streamlick.io/pod=<pod> and status.assignment.pod), with the token from the Secret the
operator generated. devcluster + broadcast-operator + a real media-pod process + an aiortc publisher that knows only
the Broadcast's status and its token Secret."""

import base64
import time

import pytest

from harness import peers
from harness.ingest import check_healthy_ingest, observe
from harness.pod import MediaPod, media_pod_binary
from harness.ports import free_port

PUBLISH_SECONDS = 10


class ClusterMediaPod(MediaPod):
    """A media-pod process in cluster mode: no manifests, a kubeconfig and its pod name."""

    def __init__(self, work_dir, kubeconfig, pod_name: str) -> None:
        super().__init__(work_dir, [], http_port=free_port(), udp_port=free_port(), announced_ip="127.0.0.1")
        self.kubeconfig = kubeconfig
        self.pod_name = pod_name

    def command(self) -> list:
        return [str(media_pod_binary()), "--kubeconfig", str(self.kubeconfig), "--pod-name", self.pod_name,
                "--http-port", str(self.http_port), "--udp-port", str(self.udp_port),
                "--announced-ip", self.announced_ip, "--log-level", "debug"]


@pytest.fixture
def cluster_pod(request, tmp_path, operator_cluster):
    pods = []

    def start(name: str) -> ClusterMediaPod:
        work_dir = tmp_path / name
        work_dir.mkdir()
        pod = ClusterMediaPod(work_dir, operator_cluster.kubeconfig, name)
        pods.append(pod)
        request.node._media_attachments = getattr(request.node, "_media_attachments", [])
        request.node._media_attachments.append((f"media-pod {name} log tail", pod.log_tail))
        try:
            pod.start()
        except RuntimeError as error:
            pytest.fail(str(error), pytrace=False)
        return pod

    yield start
    for pod in pods:
        pod.stop()


def wait_until(predicate, timeout: float, message: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"not within {timeout} s: {message}")


def runs(pod: MediaPod) -> set:
    return {(b.get("namespace"), b.get("name")) for b in pod.broadcasts()}


def test_the_assigned_pod_runs_the_broadcast_and_a_publisher_needs_only_its_status_and_secret(
        tmp_path, clip, operator, operator_cluster, operator_namespace, media_pods, broadcasts, cluster_pod):
    namespace = operator_namespace
    pod_a = cluster_pod("media-a")
    media_pods.create("media-a", capacity=1, public_url=pod_a.base_url)
    operator()

    broadcasts.create("show")
    status = broadcasts.wait_scheduled("show")["status"]
    assert status["assignment"]["pod"] == "media-a"
    whip_url = status["ingest"]["whipURL"]
    assert whip_url == f"{pod_a.base_url}/whip/{namespace}/show"
    wait_until(lambda: (namespace, "show") in runs(pod_a), 10, "media-a runs the broadcast it was assigned")

    # Another pod's broadcast (media-a is full) is not run here.
    media_pods.create("media-b", capacity=5)
    broadcasts.create("other")
    assert broadcasts.wait_scheduled("other")["status"]["assignment"]["pod"] == "media-b"
    time.sleep(0.5)
    assert runs(pod_a) == {(namespace, "show")}

    # The publisher knows only the status (whipURL, tokenSecretName) and reads the token from that Secret.
    secret = operator_cluster.kubectl_json("get", "secret", "-n", namespace, status["ingest"]["tokenSecretName"])
    token = base64.b64decode(secret["data"]["token"]).decode()
    command = peers.aiortc_command(whip_url, token, PUBLISH_SECONDS, clip, ice_address="127.0.0.1")
    process = peers.PublisherProcess("aiortc", command, tmp_path / "publisher.log")
    try:
        observation = observe(pod_a, process, namespace=namespace, name="show", duration=PUBLISH_SECONDS)
    finally:
        process.kill()
    failures = check_healthy_ingest(observation, process)
    assert not failures, "\n".join(failures) + "\n\ningest samples:\n" + observation.table()

    # A wrong token is refused.
    response = pod_a.request("POST", whip_url, data=b"v=0\r\n", headers={
        "Authorization": "Bearer wrong", "Content-Type": "application/sdp"})
    assert response.status_code == 401, response.text

    # Deleted (its pod does not report EgressStopped yet): the pod stops running it once it is being deleted.
    broadcasts.delete("show")
    wait_until(lambda: (namespace, "show") not in runs(pod_a), 10, "media-a stops the deleted broadcast")
