"""media-pod in cluster mode (issue 7, first step): it runs the Broadcasts the operator assigned to it, found through
the API server (label media.streamlick.io/pod=<pod> and status.assignment.pod), with the token from the Secret the
operator generated. devcluster + broadcast-operator + a real media-pod process + an aiortc publisher that knows only
the Broadcast's status and its token Secret."""

import base64
import json
import os
import shutil
import signal
import subprocess
import threading
import time

import pytest
import requests
import yaml

from harness import peers, recordings
from harness.ingest import check_healthy_ingest, observe
from harness.pod import MediaPod, media_pod_binary
from harness.ports import free_port

PUBLISH_SECONDS = 10


class ClusterMediaPod(MediaPod):
    """A media-pod process in cluster mode: no manifests, a kubeconfig and its pod name."""

    def __init__(self, work_dir, kubeconfig, pod_name: str, pod_namespace: str) -> None:
        super().__init__(work_dir, [], http_port=free_port(), udp_port=free_port(), announced_ip="127.0.0.1")
        self.kubeconfig = kubeconfig
        self.pod_name = pod_name
        self.pod_namespace = pod_namespace

    def command(self) -> list:
        return [str(media_pod_binary()), "--kubeconfig", str(self.kubeconfig), "--pod-name", self.pod_name,
                "--namespace", self.pod_namespace,
                "--http-port", str(self.http_port), "--udp-port", str(self.udp_port),
                "--announced-ip", self.announced_ip, "--log-level", "debug", *self.extra_args]


class Kubelet:
    """Plays kubelet for the media pods the test runs: every 250 ms it probes each pod's /readyz and writes the
    result as the Pod's Ready condition (only when it changes), as a readiness probe would."""

    def __init__(self, media_pods) -> None:
        self.media_pods = media_pods
        self.pods = {}
        self.ready = {}
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def add(self, pod: "ClusterMediaPod", **create_args) -> None:
        self.media_pods.create(pod.pod_name, ready=False, public_url=pod.base_url, **create_args)
        self.ready[pod.pod_name] = False
        self.pods[pod.pod_name] = pod
        self._probe(pod)
        if not self.thread.is_alive():
            self.thread.start()

    def _probe(self, pod) -> None:
        try:
            ready = pod.alive() and pod.request("GET", "/readyz", timeout=1).status_code == 200
        except requests.RequestException:
            ready = False
        if ready != self.ready.get(pod.pod_name):
            self.media_pods.set_ready(pod.pod_name, ready)
            self.ready[pod.pod_name] = ready

    def _run(self) -> None:
        while not self.done.wait(0.25):
            for pod in list(self.pods.values()):
                try:
                    self._probe(pod)
                except Exception:  # the API server going away at the end of a test
                    return

    def stop(self) -> None:
        self.done.set()
        if self.thread.is_alive():
            self.thread.join(timeout=2)


@pytest.fixture
def kubelet(media_pods):
    player = Kubelet(media_pods)
    yield player
    player.stop()


@pytest.fixture
def cluster_pod(request, tmp_path, operator_cluster, operator_namespace):
    pods = []

    def start(name: str, *extra_args) -> ClusterMediaPod:
        work_dir = tmp_path / name
        work_dir.mkdir()
        pod = ClusterMediaPod(work_dir, operator_cluster.kubeconfig, name, operator_namespace)
        pod.extra_args = list(extra_args)
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


def nginx_publishing(nginx) -> bool:
    """A recording still growing means nginx still receives a stream."""
    files = nginx.recordings()
    if not files:
        return False
    size = files[-1].stat().st_size
    time.sleep(0.5)
    return files[-1].stat().st_size != size


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
    seen = PhaseRecorder(broadcasts, "show").start()
    process = peers.PublisherProcess("aiortc", command, tmp_path / "publisher.log")
    try:
        observation = observe(pod_a, process, namespace=namespace, name="show", duration=PUBLISH_SECONDS)
    finally:
        process.kill()
        seen.done.set()
    failures = check_healthy_ingest(observation, process)
    assert not failures, "\n".join(failures) + "\n\ningest samples:\n" + observation.table()

    # The pod wrote the truth into the status while media flowed, and back once the publisher left.
    live = seen.latest("Live")
    assert live is not None, f"phase never Live during the publish: {seen.phases()}"
    conditions = {c["type"]: c for c in live["status"].get("conditions") or []}
    assert conditions["IngestConnected"]["status"] == "True", conditions
    assert conditions["Ready"]["status"] == "True", conditions
    assert conditions["Scheduled"]["status"] == "True", conditions  # the operator's condition kept
    assert live["status"]["stats"]["fps"] > 0, live["status"]
    assert live["status"]["destinationsReady"] == "0/0", live["status"]
    seen.stop()
    wait_until(lambda: broadcasts.get("show")["status"]["phase"] == "Scheduled", 10,
               "phase back to Scheduled after the publisher left")
    after = broadcasts.get("show")["status"]
    assert {c["type"]: c["status"] for c in after["conditions"]}["IngestConnected"] == "False", after
    assert "stats" not in after, after

    # A wrong token is refused.
    response = pod_a.request("POST", whip_url, data=b"v=0\r\n", headers={
        "Authorization": "Bearer wrong", "Content-Type": "application/sdp"})
    assert response.status_code == 401, response.text

    # Deleted: the pod stops it, reports EgressStopped, the operator lets it go.
    broadcasts.delete("show")
    gone_after = broadcasts.wait_gone("show", timeout=5)
    assert (namespace, "show") not in runs(pod_a)
    print(f"deleted Broadcast gone after {gone_after:.2f} s")


class PhaseRecorder:
    """Polls one Broadcast every 100 ms in the background and keeps, for each run of one phase, its latest state."""

    def __init__(self, broadcasts, name: str) -> None:
        self.broadcasts = broadcasts
        self.name = name
        self.seen = []
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> "PhaseRecorder":
        self.thread.start()
        return self

    def _run(self) -> None:
        while not self.done.is_set():
            try:
                obj = self.broadcasts.get(self.name)
            except Exception as error:  # the server went away at the end of a failed test: keep what was seen
                self.seen.append((f"error: {error}", None))
                return
            phase = ((obj or {}).get("status") or {}).get("phase")
            if obj and self.seen and self.seen[-1][0] == phase:
                self.seen[-1] = (phase, obj)  # the latest state of this phase
            elif obj:
                self.seen.append((phase, obj))
            time.sleep(0.1)

    def stop(self) -> None:
        self.done.set()
        self.thread.join(timeout=2)

    def phases(self) -> list:
        return [phase for phase, _ in self.seen]

    def latest(self, phase: str):
        """The last state seen in the first run of `phase`."""
        return next((obj for seen_phase, obj in self.seen if seen_phase == phase), None)


def test_destinations_follow_kubectl_patch_and_delete_ends_the_rtmp_stream(
        tmp_path, clip, operator, operator_cluster, operator_namespace, media_pods, broadcasts, cluster_pod,
        nginx_rtmp):
    namespace = operator_namespace
    nginx = nginx_rtmp()
    stream_key = "cluster-" + base64.b32encode(os.urandom(5)).decode().lower()
    operator_cluster.kubectl("create", "secret", "generic", "keys", "-n", namespace,
                             f"--from-literal=nginx={stream_key}")
    pod_a = cluster_pod("media-a")
    media_pods.create("media-a", public_url=pod_a.base_url)
    the_operator = operator()
    broadcasts.create("show", {"destinations": [
        {"name": "nginx", "url": nginx.url, "streamKeySecretRef": {"name": "keys", "key": "nginx"}}]})
    status = broadcasts.wait_scheduled("show")["status"]
    secret = operator_cluster.kubectl_json("get", "secret", "-n", namespace, status["ingest"]["tokenSecretName"])
    token = base64.b64decode(secret["data"]["token"]).decode()
    wait_until(lambda: (namespace, "show") in runs(pod_a), 10, "media-a runs the broadcast")

    command = peers.aiortc_command(status["ingest"]["whipURL"], token, 40, clip, ice_address="127.0.0.1")
    process = peers.PublisherProcess("aiortc", command, tmp_path / "publisher.log")
    try:
        def destination_state():
            destinations = (broadcasts.get("show")["status"] or {}).get("destinations") or []
            return {d["name"]: d.get("state") for d in destinations}

        operator_cluster.kubectl("wait", "bc/show", "-n", namespace, "--for=jsonpath={.status.phase}=Live",
                                 "--timeout=30s", timeout=40)
        wait_until(lambda: destination_state().get("nginx") == "Live", 30, "destination nginx Live in the status")
        live = broadcasts.get("show")["status"]
        assert live["phase"] == "Live" and live["destinationsReady"] == "1/1", live
        pod_metrics = pod_a.metrics_text()

        def patch_enabled(enabled: bool) -> None:
            # A JSON patch: a merge patch would replace the whole destinations list.
            operator_cluster.kubectl("patch", "bc", "show", "-n", namespace, "--type=json", "-p",
                                     json.dumps([{"op": "add", "path": "/spec/destinations/0/enabled",
                                                  "value": enabled}]))

        patch_enabled(False)
        wait_until(lambda: destination_state().get("nginx") == "Disabled", 10, "nginx Disabled after the patch")
        assert broadcasts.get("show")["status"]["destinationsReady"] == "0/0"
        wait_until(lambda: len(nginx.recordings(stream_key)) >= 1 and not nginx_publishing(nginx), 10,
                   "the disabled destination's RTMP stream ended")
        patch_enabled(True)
        wait_until(lambda: destination_state().get("nginx") == "Live", 30, "nginx Live again after re-enabling")
        time.sleep(3)

        broadcasts.delete("show")
        gone_after = broadcasts.wait_gone("show", timeout=5)
        print(f"deleted Broadcast gone after {gone_after:.2f} s")
    finally:
        process.kill()
    nginx.stop()
    files = nginx.recordings(stream_key)
    assert len(files) == 2, files  # one stream before the disable, one after re-enabling
    for path in files:
        probe = recordings.probe(path)
        assert probe.video and probe.video.get("codec_name") == "h264", probe.streams
        assert probe.stream("audio") and probe.stream("audio").get("codec_name") == "aac", probe.streams
        assert float(probe.format.get("duration") or 0) > 1.0, probe.format
    # No stream key or token in any log line, Event, status field or metric.
    events = operator_cluster.kubectl("get", "events", "-n", namespace, "-o", "json").stdout
    places = {"media pod log": pod_a.log_text(), "operator log": the_operator.log_text(), "Events": events,
              "status while Live": json.dumps(live), "media pod metrics": pod_metrics}
    leaks = [f"{what} in the {where}" for where, text in places.items()
             for what, value in (("stream key", stream_key), ("ingest token", token)) if value in text]
    assert leaks == []


def two_pods_and_a_followed_show(tmp_path, clip, operator, cluster, namespace, broadcasts, cluster_pod, nginx,
                                 kubelet):
    """media-a and media-b running under the kubelet, the operator (--failover-after 1s), Broadcast `show` with an
    nginx destination placed on media-a, and an aiortc publisher given only the Broadcast's name and credentials
    that can read it and its token Secret. Returns (pod_a, pod_b, stream key, publisher process)."""
    stream_key = "show-" + base64.b32encode(os.urandom(5)).decode().lower()
    cluster.kubectl("create", "secret", "generic", "keys", "-n", namespace, f"--from-literal=nginx={stream_key}")
    pod_a, pod_b = cluster_pod("media-a"), cluster_pod("media-b")
    kubelet.add(pod_a)
    kubelet.add(pod_b)
    operator("--failover-after", "1s")
    broadcasts.create("show", {"destinations": [
        {"name": "nginx", "url": nginx.url, "streamKeySecretRef": {"name": "keys", "key": "nginx"}}]})
    assert broadcasts.wait_scheduled("show")["status"]["assignment"]["pod"] == "media-a"
    command = peers.aiortc_follow_command(f"{namespace}/show", cluster.kubeconfig, 40, clip, ice_address="127.0.0.1")
    return pod_a, pod_b, stream_key, peers.PublisherProcess("aiortc", command, tmp_path / "publisher.log")


def test_kill_9_of_the_live_pod_moves_the_broadcast_and_the_publisher_follows(
        tmp_path, long_clip, operator, operator_cluster, operator_namespace, media_pods, broadcasts, cluster_pod,
        nginx_rtmp, kubelet):
    namespace = operator_namespace
    nginx = nginx_rtmp()
    pod_a, pod_b, stream_key, process = two_pods_and_a_followed_show(
        tmp_path, long_clip, operator, operator_cluster, namespace, broadcasts, cluster_pod, nginx, kubelet)
    try:
        def state():
            status = broadcasts.get("show")["status"] or {}
            destinations = {d["name"]: d.get("state") for d in status.get("destinations") or []}
            return status.get("assignment", {}).get("pod"), status.get("phase"), destinations.get("nginx")

        wait_until(lambda: state() == ("media-a", "Live", "Live"), 30, f"Live on media-a (now {state()})")
        time.sleep(3)
        first = nginx.recordings(stream_key)
        assert len(first) == 1, first

        pod_a.process.kill()  # kill -9; the kubelet's probe sees it within 250 ms
        killed_at = time.monotonic()

        def second_recording_flows() -> bool:
            files = nginx.recordings(stream_key)
            return len(files) >= 2 and files[-1].stat().st_size > 50_000

        wait_until(second_recording_flows, 20, "a second recording with media after the failover")
        first_bytes_after = time.monotonic() - killed_at
        moved = broadcasts.get("show")["status"]
        assert moved["assignment"]["pod"] == "media-b" and moved["assignment"]["epoch"] == 2, moved
        wait_until(lambda: state() == ("media-b", "Live", "Live"), 10, f"Live on media-b (now {state()})")
        # The program is lost from the kill until the publisher's new session carries media again; from then on the
        # new pod queues it while its RTMP stream starts (and records it). Both clocks are CLOCK_MONOTONIC.
        connected = [float(line.split("]")[0].split()[-1]) for line in process.output().splitlines()
                     if "pc: connectionState=connected" in line]
        assert len(connected) >= 2, process.output_tail()
        program_lost = connected[1] - killed_at
        print(f"kill -9 → publisher connected to media-b after {program_lost:.2f} s; "
              f"bytes in the new recording after {first_bytes_after:.2f} s")
        assert program_lost < 5.0, f"{program_lost:.2f} s without program after the kill"
        events = broadcasts.wait_for_events("show", "Rescheduled")
        assert "moved to media-b (epoch 2)" in events[0]["message"], events

        broadcasts.delete("show")
        broadcasts.wait_gone("show", timeout=5)
    finally:
        process.kill()
    nginx.stop()
    for path in nginx.recordings(stream_key):
        probe = recordings.probe(path)
        assert probe.video and probe.video.get("codec_name") == "h264", (path, probe.streams)
        assert probe.stream("audio") and probe.stream("audio").get("codec_name") == "aac", (path, probe.streams)
    publisher_log = process.output()
    assert "the Broadcast was reassigned" in publisher_log or "while publishing" in publisher_log, publisher_log


def test_sigterm_drains_new_broadcasts_go_elsewhere_and_the_live_one_stays_until_deleted(
        tmp_path, long_clip, operator, operator_cluster, operator_namespace, media_pods, broadcasts, cluster_pod,
        nginx_rtmp, kubelet):
    namespace = operator_namespace
    nginx = nginx_rtmp()
    pod_a, pod_b, stream_key, process = two_pods_and_a_followed_show(
        tmp_path, long_clip, operator, operator_cluster, namespace, broadcasts, cluster_pod, nginx, kubelet)
    try:
        wait_until(lambda: (broadcasts.get("show")["status"] or {}).get("phase") == "Live", 30, "show Live on media-a")

        pod_a.process.send_signal(signal.SIGTERM)
        wait_until(lambda: pod_a.health()["status"] == "draining", 5, "/health says draining")
        assert pod_a.request("GET", "/readyz").status_code == 503
        wait_until(lambda: (media_pods.get("media-a")["metadata"].get("annotations") or {})
                   .get("media.streamlick.io/draining") == "true", 5, "the pod annotated itself draining")
        assert "media_pod_draining 1" in pod_a.metrics_text()
        wait_until(lambda: not kubelet.ready["media-a"], 2, "the readiness probe (/readyz) failing")

        broadcasts.create("next")
        assert broadcasts.wait_scheduled("next")["status"]["assignment"]["pod"] == "media-b"
        time.sleep(3)  # three times --failover-after: the live broadcast is not moved off a draining pod
        status = broadcasts.get("show")["status"]
        assert status["assignment"] == {**status["assignment"], "pod": "media-a", "epoch": 1}, status
        assert status["phase"] == "Live", status
        assert pod_a.alive(), pod_a.log_tail()
        size = nginx.recordings(stream_key)[-1].stat().st_size
        time.sleep(1)
        assert nginx.recordings(stream_key)[-1].stat().st_size > size, "the live stream stopped while draining"

        broadcasts.delete("show")
        broadcasts.wait_gone("show", timeout=5)
        wait_until(lambda: not pod_a.alive(), 10, "media-a exits once its live broadcast ended")
        assert pod_a.process.returncode == 0, pod_a.log_tail()
    finally:
        process.kill()
    nginx.stop()
    files = nginx.recordings(stream_key)
    assert len(files) == 1, files
    probe = recordings.probe(files[0])
    assert probe.video and probe.stream("audio"), probe.streams


def test_prometheus_scrapes_active_streams_per_pod(tmp_path, operator, operator_cluster, operator_namespace,
                                                   media_pods, broadcasts, cluster_pod):
    binary = shutil.which("prometheus")
    assert binary, "prometheus is missing: hack/install-deps.sh installs the Debian package"
    pod_a, pod_b = cluster_pod("media-a"), cluster_pod("media-b")
    media_pods.create("media-a", capacity=2, public_url=pod_a.base_url)
    media_pods.create("media-b", capacity=5, public_url=pod_b.base_url)
    operator()
    for name in ("one", "two", "three"):
        broadcasts.create(name)
        broadcasts.wait_scheduled(name)
    expected = {"media-a": 2, "media-b": 1}  # Packed: media-a until full
    assert {pod: count for pod, count in broadcasts.load().items() if count} == expected
    wait_until(lambda: len(pod_a.broadcasts()) == 2 and len(pod_b.broadcasts()) == 1, 10, "both pods run theirs")

    port = free_port()
    config = tmp_path / "prometheus.yml"
    config.write_text(yaml.safe_dump({
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "scrape_configs": [{"job_name": "media-pods", "static_configs": [
            {"targets": [f"127.0.0.1:{pod_a.http_port}"], "labels": {"pod": "media-a"}},
            {"targets": [f"127.0.0.1:{pod_b.http_port}"], "labels": {"pod": "media-b"}},
        ]}],
    }))
    log = open(tmp_path / "prometheus.log", "wb")
    prometheus = subprocess.Popen([binary, f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                                   f"--web.listen-address=127.0.0.1:{port}"], stdout=log, stderr=subprocess.STDOUT)
    try:
        def scraped() -> dict:
            try:
                response = requests.get(f"http://127.0.0.1:{port}/api/v1/query",
                                        params={"query": "media_server_active_streams"}, timeout=2)
                result = response.json()["data"]["result"]
            except (requests.RequestException, ValueError, KeyError):
                return {}
            return {sample["metric"].get("pod"): int(float(sample["value"][1])) for sample in result}

        wait_until(lambda: scraped() == expected, 20, f"Prometheus shows {expected} (last: {scraped()})")
        broadcasts.delete("one")
        wait_until(lambda: scraped() == {"media-a": 1, "media-b": 1}, 20,
                   f"Prometheus follows a deletion (last: {scraped()})")
    finally:
        prometheus.terminate()
        prometheus.wait(timeout=10)
        log.close()


def one_pod_with_a_live_show(tmp_path, clip, operator, cluster, namespace, broadcasts, cluster_pod, kubelet,
                             *pod_args):
    """media-a (with `pod_args`) under the kubelet, the operator, Broadcast `show` Live on it from an aiortc publisher
    following its status. Returns (pod, publisher process); the caller kills the publisher."""
    pod = cluster_pod("media-a", *pod_args)
    kubelet.add(pod)
    operator()
    broadcasts.create("show")
    broadcasts.wait_scheduled("show")
    command = peers.aiortc_follow_command(f"{namespace}/show", cluster.kubeconfig, 40, clip, ice_address="127.0.0.1")
    process = peers.PublisherProcess("aiortc", command, tmp_path / "publisher.log")
    try:
        wait_until(lambda: (broadcasts.get("show")["status"] or {}).get("phase") == "Live", 30, "show Live")
    except BaseException:
        process.kill()
        raise
    return pod, process


def test_a_second_sigterm_stops_a_draining_pod(tmp_path, long_clip, operator, operator_cluster, operator_namespace,
                                                 broadcasts, cluster_pod, kubelet):
    pod_a, process = one_pod_with_a_live_show(tmp_path, long_clip, operator, operator_cluster, operator_namespace,
                                              broadcasts, cluster_pod, kubelet)
    try:
        pod_a.process.send_signal(signal.SIGTERM)
        wait_until(lambda: pod_a.health()["status"] == "draining", 5, "/health says draining")
        time.sleep(1)
        assert pod_a.alive(), "a draining pod with a live broadcast stopped at the first SIGTERM"
        pod_a.process.send_signal(signal.SIGTERM)
        wait_until(lambda: not pod_a.alive(), 10, "the second SIGTERM stops the pod")
        assert pod_a.process.returncode == 0, pod_a.log_tail()
        assert "second signal" in pod_a.log_text()
    finally:
        process.kill()


def test_the_drain_timeout_stops_a_pod_whose_broadcast_stays_live(tmp_path, long_clip, operator_cluster,
                                                                     operator_namespace, operator, broadcasts,
                                                                     cluster_pod, kubelet):
    pod_a, process = one_pod_with_a_live_show(tmp_path, long_clip, operator, operator_cluster, operator_namespace,
                                              broadcasts, cluster_pod, kubelet, "--drain-timeout", "2s")
    try:
        pod_a.process.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
        wait_until(lambda: not pod_a.alive(), 10, "the pod stops at its drain timeout")
        waited = time.monotonic() - signalled
        assert 1.5 <= waited <= 6, f"stopped {waited:.1f} s after SIGTERM with --drain-timeout 2s"
        assert pod_a.process.returncode == 0 and "drain timeout" in pod_a.log_text(), pod_a.log_tail()
    finally:
        process.kill()
