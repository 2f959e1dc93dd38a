"""Fixtures for the media pod's integration tests: ports, network namespaces, the pod, the publishers.

Everything a test starts is registered with the test item, so a failing test's report ends with the tail of the pod's
log and of every publisher's output (pytest_runtest_makereport below).
"""

import pathlib

import pytest

from harness import clip as clip_module
from harness import peers
from harness.netns import NetnsPair, remove_stale_namespaces
from harness.pod import Broadcast, MediaPod
from harness.ports import free_port as _free_port
from harness.rtmp_sinks import FfmpegRtmpSink, NginxRtmp, check_ffmpeg, check_nginx_rtmp

# The devcluster tests' fixtures (devcluster, namespace, crds, api, private_devcluster).
pytest_plugins = ["devcluster_fixtures", "operator_fixtures"]


def _attachments(node) -> list:
    if not hasattr(node, "_media_attachments"):
        node._media_attachments = []
    return node._media_attachments


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        for title, read_tail in _attachments(item):
            try:
                text = read_tail()
            except Exception as error:  # a report must never fail because a log is gone
                text = f"(could not read: {error})"
            report.sections.append((f"{title} ({report.when})", text))


@pytest.fixture(scope="session", autouse=True)
def stale_namespaces_removed():
    """Namespaces of an earlier run that was killed mid-test (their names carry the dead run's pid)."""
    removed = remove_stale_namespaces()
    if removed:
        print(f"removed stale test namespaces: {removed}")


@pytest.fixture(scope="session")
def clip() -> pathlib.Path:
    """The cached 720p30 H.264 + Opus clip (harness/clip.py)."""
    return clip_module.ensure_clip()


@pytest.fixture(scope="session")
def long_clip() -> pathlib.Path:
    """The same kind of clip, long enough for publishes of up to ~85 s."""
    return clip_module.ensure_clip(clip_module.LONG_CLIP_SECONDS)


@pytest.fixture(scope="session")
def sync_clip() -> pathlib.Path:
    """The A/V sync clip: a white picture and a 1 kHz beep at every whole second (harness/clip.py)."""
    return clip_module.ensure_sync_clip()


@pytest.fixture(scope="session")
def busy_y4m() -> pathlib.Path:
    """The busy (noisy) 1280x720 30 fps Y4M of 3 s for Chromium's fake camera (harness/clip.py), ~125 MB."""
    return clip_module.ensure_busy_y4m()


@pytest.fixture(scope="session")
def resolution_clip() -> pathlib.Path:
    """5 s of 1280x720 then 5 s of 640x360, H.264 CB + Opus in MPEG-TS (harness/clip.py)."""
    return clip_module.ensure_resolution_change_clip()


@pytest.fixture
def nginx_rtmp(request, tmp_path):
    """nginx_rtmp(allowed_keys=None, side=None) → a started NginxRtmp (harness/rtmp_sinks.py) on a free port,
    recording every publish; with `allowed_keys` it refuses any other stream key; with `side` (a NetnsPair's Side)
    it runs inside that namespace, on its 127.0.0.1. Stopped after the test."""
    servers = []

    def start(allowed_keys=None, side=None) -> NginxRtmp:
        problem = check_nginx_rtmp()
        if problem:
            pytest.fail(problem, pytrace=False)
        server = NginxRtmp(tmp_path / f"nginx-{len(servers) + 1}", _free_port(), allowed_keys=allowed_keys,
                           side=side)
        servers.append(server)
        _attachments(request.node).append((f"nginx-rtmp {len(servers)} on port {server.port} (error log tail)",
                                           server.log_tail))
        try:
            server.start()
        except RuntimeError as error:
            pytest.fail(str(error), pytrace=False)
        return server

    yield start
    for server in servers:
        server.close()


@pytest.fixture
def ffmpeg_rtmp_sink(request, tmp_path):
    """ffmpeg_rtmp_sink(key) → a started FfmpegRtmpSink (`ffmpeg -listen 1`) waiting for one publish to
    /live/KEY on a free port. Stopped after the test."""
    sinks = []

    def start(key: str) -> FfmpegRtmpSink:
        problem = check_ffmpeg()
        if problem:
            pytest.fail(problem, pytrace=False)
        sink = FfmpegRtmpSink(tmp_path / f"ffmpeg-sink-{len(sinks) + 1}", _free_port(), key)
        sinks.append(sink)
        _attachments(request.node).append((f"ffmpeg RTMP sink {len(sinks)} on port {sink.port} (output tail)",
                                           sink.log_tail))
        try:
            sink.start()
        except RuntimeError as error:
            pytest.fail(str(error), pytrace=False)
        return sink

    yield start
    for sink in sinks:
        sink.stop()


@pytest.fixture
def free_port():
    """free_port() → a port free for TCP and UDP, unique within the session."""
    return _free_port


@pytest.fixture
def netns(request):
    """netns(loss_percent=0) → a NetnsPair (pod side, publisher side) that is always removed after the test."""
    pairs = []

    def create(loss_percent: float = 0.0) -> NetnsPair:
        problem = peers.check_ip()
        if problem:
            pytest.fail(problem, pytrace=False)
        pair = NetnsPair(loss_percent=loss_percent)
        pairs.append(pair)
        pair.__enter__()
        return pair

    yield create
    for pair in reversed(pairs):
        pair.close()


@pytest.fixture
def media_pod(request, tmp_path, netns):
    """media_pod(broadcasts=[Broadcast(...)], pair=None, rate_limit=None, ...) → a healthy MediaPod.

    With `pair` (a NetnsPair) the pod runs in the pair's pod namespace and announces its veth address; otherwise it
    runs here and announces 127.0.0.1. Stopped after the test; a pod that exited by itself fails the test.
    Depends on `netns` so that the namespaces are removed only after the pods in them were stopped.
    """
    pods = []

    def start(broadcasts=None, pair: NetnsPair = None, rate_limit: int = None, rate_limit_window: float = None,
              capacity: int = None, extra_args=()) -> MediaPod:
        broadcasts = broadcasts if broadcasts is not None else [Broadcast()]
        args = list(extra_args)
        if rate_limit is not None:
            args += ["--rate-limit", str(rate_limit)]
        if rate_limit_window is not None:
            args += ["--rate-limit-window", str(rate_limit_window)]
        if capacity is not None:
            args += ["--capacity", str(capacity)]
        work_dir = tmp_path / f"pod-{len(pods) + 1}"
        work_dir.mkdir()
        side = pair.pod if pair is not None else None
        pod = MediaPod(work_dir, broadcasts, http_port=_free_port(), udp_port=_free_port(),
                       announced_ip=side.address if side else "127.0.0.1", pair=pair, side=side,
                       extra_args=args)
        pods.append(pod)
        _attachments(request.node).append((f"media-pod log tail ({pod.log_path})", pod.log_tail))
        try:
            pod.start()
        except RuntimeError as error:
            pytest.fail(str(error), pytrace=False)
        return pod

    yield start
    crashed = [pod for pod in pods if pod.process is not None and pod.process.poll() is not None]
    for pod in pods:
        pod.stop()
    if crashed:
        details = "\n".join(f"media-pod exited by itself with code {pod.process.returncode}:\n{pod.log_tail(40)}"
                            for pod in crashed)
        pytest.fail(details, pytrace=False)


@pytest.fixture
def publisher(request, tmp_path, clip, netns):
    """publisher(kind, pod, namespace="studio", name="show", duration=10, pair=None, token=None, extra=(),
    media=None) → a running PublisherProcess (kind: "aiortc", "gst" or "chromium"). Killed after the test if still
    running. `media` replaces the aiortc publisher's clip.

    aiortc runs on loopback, or in the pair's publisher namespace when `pair` is given; gst always needs `pair`.
    """
    started = []

    def start(kind: str, pod: MediaPod, namespace: str = "studio", name: str = "show", duration: float = 10.0,
              pair: NetnsPair = None, token: str = None, extra=(), media: pathlib.Path = None
              ) -> peers.PublisherProcess:
        whip_url = pod.whip_url(namespace, name)
        token = token if token is not None else pod.token(namespace, name)
        log_path = tmp_path / f"publisher-{len(started) + 1}-{kind}.log"
        if kind == "aiortc":
            side = pair.publisher if pair is not None else None
            command = peers.aiortc_command(whip_url, token, duration, media or clip,
                                           ice_address=side.address if side else "127.0.0.1", side=side,
                                           extra=list(extra))
        elif kind == "gst":
            problem = peers.check_gstreamer()
            if problem:
                pytest.fail(problem, pytrace=False)
            if pair is None:
                pytest.fail("the GStreamer publisher needs a NetnsPair (libnice gathers no loopback candidate)")
            command = peers.gst_command(whip_url, token, duration, pair.publisher, extra=list(extra))
        elif kind == "chromium":
            problem = peers.check_chromium()
            if problem:
                pytest.fail(problem, pytrace=False)
            command = peers.chromium_command(whip_url, token, duration, tmp_path / f"chromium-{len(started) + 1}",
                                             extra=list(extra))
        else:
            raise ValueError(f"unknown publisher kind {kind!r}")
        process = peers.PublisherProcess(kind, command, log_path)
        started.append(process)
        _attachments(request.node).append((f"{kind} publisher output ({log_path})", process.output_tail))
        return process

    yield start
    for process in started:
        process.kill()
