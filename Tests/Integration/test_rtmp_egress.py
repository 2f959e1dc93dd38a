"""RTMP egress (issue 4, shared/DESIGN.md §2 and §4): what real RTMP servers receive from the pod.

Sinks: a private nginx with libnginx-mod-rtmp recording every publish to FLV, and `ffmpeg -listen 1` copying one
publish into an FLV (harness/rtmp_sinks.py). Publishers: aiortc passing a pre-encoded clip through (so the H.264 the
pod receives is known byte for byte) and headless Chromium. Every test ends by searching the pod's whole log,
/metrics and /v1/broadcasts for each stream key and ingest token it was given.

How the published time is measured. The publisher's own timestamped log lines (same monotonic clock as the test)
give when its connection came up and when it sent WHIP DELETE; /v1/broadcasts, sampled every 0.1 s, gives when a
destination first showed `Live`. The pod may queue media while it connects to a sink and start the recording with a
keyframe received before `Live` (seen: the recording began with the clip's first frame although `Live` came 1.3 s
after the connection), so:
- aiortc (the clip is known frame by frame, one slice NAL per frame, paced from the moment the connection is up):
  published = DELETE − (connected + index of the recording's first frame in the clip / 30 fps);
- Chromium: the recording must lie between "from Live to DELETE" and "from connected to DELETE", ±1 s.
"""

import dataclasses
import logging
import secrets
import time

import pytest

from harness import recordings
from harness.egress import EgressWatch, secret_leaks
from harness.ports import free_port
from harness.pod import Broadcast, Destination

FPS = 30
CONNECT_TIMEOUT = 30.0       # publisher start → destination Live (includes ICE/DTLS and the first keyframe)
DURATION_TOLERANCE = 1.0     # seconds between the recording's duration and the published time
SYNC_TOLERANCE = 0.045       # |flash − beep| at the sink (WebRTC Opus alone adds ~6.5 ms, shared/PEERS.md)
BACKOFF_LIMIT = 35.0         # a restarted sink must see the destination Live again within this (backoff ≤ 30 s)

logger = logging.getLogger("rtmp-egress")


# --- helpers ---

def new_key() -> str:
    return "sk-" + secrets.token_hex(10)


def publish_end(process) -> float:
    """When the publisher stopped sending: its WHIP DELETE line (aiortc, Chromium), else None."""
    for marker in ("whip: DELETE", '"event": "whip-delete"', "whip-delete"):
        at = process.step_time(marker)
        if at is not None:
            return at
    return None


def publish_start(process) -> float:
    """When the publisher's connection came up (aiortc's connectionState line, the Chromium page's report)."""
    for marker in ("connectionState=connected", '"connectionState": "connected"'):
        at = process.step_time(marker)
        if at is not None:
            return at
    return None


@dataclasses.dataclass
class Published:
    """How long a destination was published, by the measures described at the top of this file."""
    live: float        # destination first seen Live (monotonic)
    connected: float   # publisher connected (monotonic)
    end: float         # publisher's WHIP DELETE (monotonic)
    from_clip: float = None  # aiortc: DELETE − moment the recording's first frame was sent

    @property
    def since_live(self) -> float:
        return self.end - self.live

    @property
    def since_connected(self) -> float:
        return self.end - self.connected

    def check(self, seconds: float, what: str) -> list:
        if self.from_clip is not None:
            if abs(seconds - self.from_clip) > DURATION_TOLERANCE:
                return [f"{what} {seconds:.3f} s vs {self.from_clip:.3f} s published from the recording's first "
                        f"frame on (tolerance {DURATION_TOLERANCE} s)"]
            return []
        low, high = self.since_live - DURATION_TOLERANCE, self.since_connected + DURATION_TOLERANCE
        if not low <= seconds <= high:
            return [f"{what} {seconds:.3f} s outside [{low:.3f}, {high:.3f}] s (Live→DELETE {self.since_live:.3f} s, "
                    f"connected→DELETE {self.since_connected:.3f} s, ±{DURATION_TOLERANCE} s)"]
        return []

    def describe(self) -> str:
        text = f"Live→DELETE {self.since_live:.3f} s, connected→DELETE {self.since_connected:.3f} s"
        if self.from_clip is not None:
            text += f", first recorded frame→DELETE {self.from_clip:.3f} s"
        return text


def published(watch: EgressWatch, name: str, process, match=None) -> Published:
    result = Published(watch.first(name, "Live"), publish_start(process), publish_end(process))
    assert None not in (result.live, result.connected, result.end), \
        f"cannot tell how long {name!r} was published: {result}\n{process.output_tail(20)}"
    if match is not None and match.start is not None:
        result.from_clip = result.end - (result.connected + match.start / FPS)
    return result


def wait_all_live(watch: EgressWatch, names: list, process, timeout: float = CONNECT_TIMEOUT):
    return watch.wait_for(f"destinations {names} all Live",
                          lambda s: all(s.state(n) == "Live" for n in names), timeout, process)


def finish_publisher(process, timeout: float) -> None:
    code = process.wait(timeout=timeout)
    assert code == 0, f"{process.kind} publisher failed ({code}): {process.result_line()}\n{process.output_tail(20)}"


def egress_bytes(pod) -> dict:
    """{destination: media_pod_egress_bytes_total}."""
    samples = pod.metrics().get("media_pod_egress_bytes_total", {})
    return {dict(labels).get("destination"): value for labels, value in samples.items()}


def assert_no_secret_leaks(pod) -> None:
    leaks = secret_leaks(pod)
    redacted = []
    for line in leaks:
        for value in pod.secret_values:
            line = line.replace(value, "<<SECRET>>")
        redacted.append(line)
    assert not leaks, (f"{len(leaks)} line(s) of the pod's log, /metrics or /v1/broadcasts contain a stream key or "
                       f"ingest token (shown redacted):\n" + "\n".join(redacted[:20]))


def recording_checks(probe: recordings.Probe, window: Published, width: int = 1280, height: int = 720) -> list:
    """The ffprobe checks every recording must pass; returns the failures."""
    failures = []
    v, a = probe.video or {}, probe.audio or {}
    if v.get("codec_name") != "h264" or (v.get("width"), v.get("height")) != (width, height):
        failures.append(f"video is {v.get('codec_name')} {v.get('width')}x{v.get('height')}, "
                        f"expected h264 {width}x{height}")
    if a.get("codec_name") != "aac" or a.get("profile") != "LC" or a.get("sample_rate") != "48000" \
            or a.get("channels") != 2:
        failures.append(f"audio is {a.get('codec_name')} {a.get('profile')} {a.get('sample_rate')} Hz "
                        f"{a.get('channels')} ch, expected AAC LC 48000 Hz 2 ch")
    failures += window.check(probe.media_span, "media span (first packet to end of last)")
    if probe.format_duration is None:
        failures.append("ffprobe reports no duration")
    else:
        failures += window.check(probe.format_duration, "ffprobe duration")
    failures += probe.dts_problems()
    warnings = recordings.non_monotonic_lines(probe.warnings, recordings.remux_warnings(probe.path))
    if warnings:
        failures.append(f"non-monotonic DTS warnings: {warnings[:5]}")
    return failures


def slice_check(path, clip) -> tuple:
    """(failures, SliceMatch): the recording's slice NALs must be a byte-identical contiguous run of the clip's,
    starting with an IDR."""
    nals = recordings.video_nals(path)
    match = recordings.match_slices(nals, recordings.reference_slices(str(clip)))
    failures = [] if match.identical else [f"NAL payloads: {match.describe()}"]
    slices = [n for n in nals if n.type in recordings.SLICE_NAL_TYPES]
    if slices and slices[0].type != 5:
        failures.append(f"the recording starts with a type {slices[0].type} slice, not an IDR (type 5)")
    if match.unexpected_types:
        failures.append(f"NAL unit types in the recording that the clip's slices do not explain: "
                        f"{match.unexpected_types}")
    return failures, match


def one_recording(server, key: str):
    files = server.recordings(key)
    assert len(files) == 1, (f"nginx on port {server.port} holds {len(files)} recordings of the destination's key "
                             f"(expected 1): {[p.name for p in server.recordings()]}")
    return files[0]


# --- (a) aiortc → two destinations at once ---

def test_aiortc_to_nginx_and_ffmpeg_at_once(media_pod, publisher, nginx_rtmp, ffmpeg_rtmp_sink, clip):
    seconds = 15
    nginx = nginx_rtmp()
    ffmpeg_key = new_key()
    sink = ffmpeg_rtmp_sink(ffmpeg_key)
    destinations = [Destination("nginx", nginx.url), Destination("ffmpeg", sink.url, stream_key=ffmpeg_key)]
    pod = media_pod([Broadcast(destinations=destinations)])
    names = [d.name for d in destinations]

    process = publisher("aiortc", pod, duration=seconds)
    with EgressWatch(pod) as watch:
        wait_all_live(watch, names, process)
        finish_publisher(process, timeout=seconds + 30)
        end = publish_end(process)
        watch.note("publisher ended")
        metric = egress_bytes(pod)
        time.sleep(0.5)
    history = watch.table()
    nginx.stop()
    sink_code = sink.finish(timeout=5)

    failures = []
    live_since = {n: watch.first(n, "Live") for n in names}
    steady = watch.between(max(live_since.values()) + 2.0, end - 1.0)
    if len(steady) < 20:
        failures.append(f"only {len(steady)} /v1/broadcasts samples while both destinations were publishing")
    for name in names:
        not_live = [s.line(watch.origin) for s in steady if s.state(name) != "Live"]
        if not_live:
            failures.append(f"{name}: not Live during the publish: {not_live[:3]}")
        no_rate = [s.line(watch.origin) for s in steady if not (s.destinations.get(name) or {}).get("bitrateKbps")]
        if no_rate:
            failures.append(f"{name}: bitrateKbps not > 0 during the publish: {no_rate[:3]}")
        if steady and not ((steady[-1].destinations.get(name) or {}).get("bytesSent") or 0) > \
                ((steady[0].destinations.get(name) or {}).get("bytesSent") or 0):
            failures.append(f"{name}: bytesSent did not grow while publishing")
        if not (metric.get(name) or 0) > 0:
            failures.append(f"media_pod_egress_bytes_total{{destination=\"{name}\"}} is {metric.get(name)} "
                            f"(all: {metric})")

    details = []
    files = {"nginx": one_recording(nginx, destinations[0].stream_key), "ffmpeg": sink.output}
    for name, path in files.items():
        slice_failures, match = slice_check(path, clip)
        window = published(watch, name, process, match)
        probe = recordings.probe(path)
        details.append(f"{name}: {window.describe()}; {probe.summary()}")
        details.append(f"{name}: {match.describe()}")
        failures += [f"{name}: {f}" for f in recording_checks(probe, window)]
        failures += [f"{name}: {f}" for f in slice_failures]
    sink_warnings = recordings.non_monotonic_lines(sink.log_text())
    if sink_warnings:
        failures.append(f"ffmpeg sink (its own muxer) warned: {sink_warnings[:5]}")
    details.append(f"ffmpeg sink exit code {sink_code}")
    details.append(f"media_pod_egress_bytes_total: {metric}")

    logger.info("two destinations:\n%s\n%s", "\n".join(details), history)
    assert not failures, "\n".join(failures) + "\n\n" + "\n".join(details) + "\n\n" + history
    assert_no_secret_leaks(pod)


# --- (b) Chromium → nginx ---

def test_chromium_to_nginx(media_pod, publisher, nginx_rtmp):
    seconds = 12
    nginx = nginx_rtmp()
    destination = Destination("nginx", nginx.url)
    pod = media_pod([Broadcast(destinations=[destination])])

    process = publisher("chromium", pod, duration=seconds)
    with EgressWatch(pod) as watch:
        watch.wait_state("nginx", "Live", timeout=40, publisher=process)
        finish_publisher(process, timeout=seconds + 40)
        time.sleep(0.5)
    nginx.stop()

    path = one_recording(nginx, destination.stream_key)
    probe = recordings.probe(path)
    window = published(watch, "nginx", process)
    pictures = list(recordings.video_frames(path))
    sizes = []
    for at, width, height, _ in pictures:
        if not sizes or sizes[-1][1:] != (width, height):
            sizes.append((round(at, 3), width, height))

    failures = []
    v, a = probe.video or {}, probe.audio or {}
    if v.get("codec_name") != "h264":
        failures.append(f"video codec {v.get('codec_name')}, expected h264")
    if a.get("codec_name") != "aac" or a.get("sample_rate") != "48000" or a.get("channels") != 2:
        failures.append(f"audio {a.get('codec_name')} {a.get('sample_rate')} Hz {a.get('channels')} ch, "
                        f"expected AAC 48000 Hz 2 ch")
    if not pictures:
        failures.append("no picture decodes from the recording")
    elif pictures[-1][1:3] != (1280, 720):
        failures.append(f"the last decoded picture is {pictures[-1][1]}x{pictures[-1][2]}, expected 1280x720")
    if len(pictures) < 0.9 * FPS * (window.since_live - 1):
        failures.append(f"{len(pictures)} pictures decode from {window.since_live:.1f} s published")
    failures += window.check(probe.media_span, "media span (first packet to end of last)")
    failures += probe.dts_problems()
    warnings = recordings.non_monotonic_lines(probe.warnings, recordings.remux_warnings(path))
    if warnings:
        failures.append(f"non-monotonic DTS warnings: {warnings[:5]}")
    details = (f"{window.describe()}; {probe.summary()}; {len(pictures)} pictures decoded; "
               f"sizes (time, w, h): {sizes}")
    logger.info("chromium:\n%s\n%s", details, watch.table())
    assert not failures, "\n".join(failures) + "\n\n" + details + "\n\n" + watch.table()
    assert_no_secret_leaks(pod)


# --- (c) a sink goes away and comes back ---

def test_stopped_sink_retries_and_resumes_on_keyframe(media_pod, publisher, nginx_rtmp, long_clip):
    flaky_server, steady_server = nginx_rtmp(), nginx_rtmp()
    flaky, steady = Destination("flaky", flaky_server.url), Destination("steady", steady_server.url)
    pod = media_pod([Broadcast(destinations=[flaky, steady])])

    process = publisher("aiortc", pod, duration=80, media=long_clip)
    with EgressWatch(pod) as watch:
        wait_all_live(watch, ["flaky", "steady"], process)
        time.sleep(4)
        stopped_at = watch.note("nginx of 'flaky' stopped")
        flaky_server.stop()
        retrying = watch.wait_state("flaky", "Retrying", timeout=10, publisher=process)
        time.sleep(3)
        restarted_at = watch.note("nginx of 'flaky' restarted")
        flaky_server.start()
        live_again = watch.wait_for("'flaky' Live again after the restart",
                                    lambda s: s.at > restarted_at and s.state("flaky") == "Live",
                                    BACKOFF_LIMIT, process)
        time.sleep(4)  # a few seconds in the new recording
        watch.note("publisher asked to stop (SIGTERM)")
        process.terminate()
        finish_publisher(process, timeout=20)
        end = publish_end(process)
        reconnects_metric = pod.metric_sum("media_pod_destination_reconnects_total")
        final = watch.latest
        time.sleep(0.3)
    history = watch.table()
    flaky_server.stop()
    steady_server.stop()

    failures, details = [], []
    error = (retrying.destinations["flaky"].get("lastError") or "")
    if not error.strip():
        failures.append("'flaky' went Retrying with an empty lastError")
    if flaky.stream_key in error:
        failures.append("'flaky' lastError contains the stream key")
    details.append(f"'flaky' Retrying {retrying.at - stopped_at:.2f} s after its sink stopped; lastError {error!r}")
    details.append(f"'flaky' Live again {live_again.at - restarted_at:.2f} s after the restart")
    if not ((final.destinations.get("flaky") or {}).get("reconnects") or 0) >= 1:
        failures.append(f"'flaky' reconnects is {(final.destinations.get('flaky') or {}).get('reconnects')} "
                        f"after a reconnect")
    if not reconnects_metric >= 1:
        failures.append(f"media_pod_destination_reconnects_total is {reconnects_metric}")

    # The steady destination never noticed.
    steady_live = watch.first("steady", "Live")
    not_live = [s.line(watch.origin) for s in watch.between(steady_live, end - 0.5) if s.state("steady") != "Live"]
    if not_live:
        failures.append(f"'steady' left Live while 'flaky' failed: {not_live[:3]}")
    steady_path = one_recording(steady_server, steady.stream_key)
    steady_probe = recordings.probe(steady_path)
    frames = len(steady_probe.video_packets)
    since_live = end - steady_live
    expected_by_time = since_live * FPS
    details.append(f"'steady': {frames} frames recorded; Live→DELETE {since_live:.2f} s; {steady_probe.summary()}")
    if frames < 0.95 * expected_by_time:
        failures.append(f"'steady' recorded {frames} frames, < 95 % of {expected_by_time:.0f} "
                        f"({since_live:.2f} s from Live to DELETE × {FPS} fps)")
    slice_failures, match = slice_check(steady_path, long_clip)
    failures += [f"'steady': {f}" for f in slice_failures]
    details.append(f"'steady': {match.describe()}")
    connected = process.step_time("connectionState=connected")
    if match.start is not None and connected is not None:
        # Frames the publisher sent from the one the recording starts with until its DELETE (the clip has one
        # slice per frame and the player paces it from the moment the connection is up).
        sent = (end - connected) * FPS - match.start
        details.append(f"'steady': the publisher sent ~{sent:.0f} frames from the recording's first on")
        if frames < 0.95 * sent:
            failures.append(f"'steady' recorded {frames} frames, < 95 % of the ~{sent:.0f} the publisher sent "
                            f"from its first recorded frame on")
    failures += [f"'steady': {p}" for p in steady_probe.dts_problems()]

    # The flaky destination's second recording starts on a keyframe.
    files = flaky_server.recordings(flaky.stream_key)
    details.append(f"'flaky' recordings: {[(p.name, p.stat().st_size) for p in files]}")
    if len(files) < 2:
        failures.append(f"'flaky' left {len(files)} recording(s); expected one before the stop and one after")
    else:
        second = recordings.probe(files[-1])
        details.append(f"'flaky' after the restart: {second.summary()}")
        video = second.video_packets
        if not video:
            failures.append("'flaky' recording after the restart holds no video")
        elif not (video[0].get("flags") or "").startswith("K"):
            failures.append(f"'flaky' recording after the restart starts with a non-key video packet "
                            f"(flags {video[0].get('flags')!r})")
        second_failures, second_match = slice_check(files[-1], long_clip)
        failures += [f"'flaky' after the restart: {f}" for f in second_failures]
        details.append(f"'flaky' after the restart: {second_match.describe()}")
        failures += [f"'flaky' after the restart: {p}" for p in second.dts_problems()]

    logger.info("fault:\n%s\n%s", "\n".join(details), history)
    assert not failures, "\n".join(failures) + "\n\n" + "\n".join(details) + "\n\n" + history
    assert_no_secret_leaks(pod)


# --- (d) unreachable destination, refused stream key ---

def test_unreachable_destination_retries_while_the_other_is_live(media_pod, publisher, nginx_rtmp):
    nginx = nginx_rtmp()
    closed_port = free_port()  # handed out once per session and nothing listens on it
    live = Destination("live", nginx.url)
    nowhere = Destination("nowhere", f"rtmp://127.0.0.1:{closed_port}/live")
    pod = media_pod([Broadcast(destinations=[live, nowhere])])

    process = publisher("aiortc", pod, duration=20)
    with EgressWatch(pod) as watch:
        watch.wait_state("live", "Live", timeout=CONNECT_TIMEOUT, publisher=process)
        first = watch.wait_state("nowhere", "Retrying", timeout=15, publisher=process)
        start_count = first.destinations["nowhere"].get("reconnects") or 0
        later = watch.wait_for("'nowhere' reconnects growing by 2",
                               lambda s: ((s.destinations.get("nowhere") or {}).get("reconnects") or 0) >= start_count + 2,
                               15, process)
        reconnects_metric = pod.metric_sum("media_pod_destination_reconnects_total")
        process.terminate()
        finish_publisher(process, timeout=20)
        end = publish_end(process)

    failures = []
    samples = watch.between(watch.first("live", "Live"), end - 0.5)
    wrong = [s.line(watch.origin) for s in samples if s.state("live") != "Live"]
    if wrong:
        failures.append(f"'live' left Live: {wrong[:3]}")
    went_live = [s.line(watch.origin) for s in watch.snapshot() if s.state("nowhere") == "Live"]
    if went_live:
        failures.append(f"'nowhere' was reported Live: {went_live[:3]}")
    errors = {(s.destinations.get("nowhere") or {}).get("lastError") or ""
              for s in watch.snapshot() if s.state("nowhere") == "Retrying"}
    if "" in errors:
        failures.append("'nowhere' was Retrying with an empty lastError")
    if any(nowhere.stream_key in e for e in errors):
        failures.append("'nowhere' lastError contains the stream key")
    if not reconnects_metric >= 2:
        failures.append(f"media_pod_destination_reconnects_total is {reconnects_metric}")
    details = (f"'nowhere' lastError values: {sorted(errors)}; reconnects {start_count} → "
               f"{later.destinations['nowhere'].get('reconnects')} in {later.at - first.at:.1f} s; "
               f"media_pod_destination_reconnects_total {reconnects_metric}")
    logger.info("unreachable:\n%s\n%s", details, watch.table())
    assert not failures, "\n".join(failures) + "\n\n" + details + "\n\n" + watch.table()
    assert_no_secret_leaks(pod)


def test_refused_stream_key_gives_a_clear_error(media_pod, publisher, nginx_rtmp):
    accepting = nginx_rtmp()
    refusing = nginx_rtmp(allowed_keys={"some-other-key"})
    live = Destination("live", accepting.url)
    refused = Destination("refused", refusing.url)
    pod = media_pod([Broadcast(destinations=[live, refused])])

    process = publisher("aiortc", pod, duration=15)
    with EgressWatch(pod) as watch:
        watch.wait_state("live", "Live", timeout=CONNECT_TIMEOUT, publisher=process)
        failed = watch.wait_for("'refused' Retrying or Failed with a lastError",
                                lambda s: s.state("refused") in ("Retrying", "Failed")
                                and (s.destinations["refused"].get("lastError") or "").strip(),
                                15, process)
        time.sleep(2)
        process.terminate()
        finish_publisher(process, timeout=20)
        end = publish_end(process)

    failures = []
    decisions = refusing.auth_decisions()
    if not any(key == refused.stream_key and not accepted for _, key, accepted in decisions):
        failures.append(f"nginx never refused the destination's key (on_publish calls: {len(decisions)})")
    went_live = [s.line(watch.origin) for s in watch.snapshot() if s.state("refused") == "Live"]
    if went_live:
        failures.append(f"'refused' was reported Live although nginx refused every publish: {went_live[:3]}")
    errors = {(s.destinations.get("refused") or {}).get("lastError") or ""
              for s in watch.snapshot() if s.state("refused") in ("Retrying", "Failed")}
    if any(refused.stream_key in e for e in errors):
        failures.append("'refused' lastError contains the stream key")
    wrong = [s.line(watch.origin) for s in watch.between(watch.first("live", "Live"), end - 0.5)
             if s.state("live") != "Live"]
    if wrong:
        failures.append(f"'live' left Live: {wrong[:3]}")
    details = (f"'refused' became {failed.state('refused')} with lastError values {sorted(errors)}; "
               f"on_publish decisions (key shown as match/other): "
               f"{[('the destination key' if k == refused.stream_key else k, ok) for _, k, ok in decisions]}")
    logger.info("refused:\n%s\n%s", details, watch.table())
    assert not failures, "\n".join(failures) + "\n\n" + details + "\n\n" + watch.table()
    assert_no_secret_leaks(pod)


# --- (e) missing stream key Secret ---

def test_missing_stream_key_secret_fails_only_that_destination(media_pod, publisher, nginx_rtmp):
    nginx = nginx_rtmp()
    live = Destination("live", nginx.url)
    keyless = Destination("keyless", f"rtmp://127.0.0.1:{free_port()}/live", secret_name="absent-stream-key",
                          write_secret=False)
    pod = media_pod([Broadcast(destinations=[live, keyless])])

    process = publisher("aiortc", pod, duration=15)
    with EgressWatch(pod) as watch:
        watch.wait_state("live", "Live", timeout=CONNECT_TIMEOUT, publisher=process)
        failed = watch.wait_state("keyless", "Failed", timeout=10, publisher=process)
        time.sleep(3)
        process.terminate()
        finish_publisher(process, timeout=20)
        end = publish_end(process)

    failures = []
    message = failed.destinations["keyless"].get("lastError") or ""
    if keyless.secret_name not in message:
        failures.append(f"'keyless' is Failed but its lastError {message!r} does not name the Secret "
                        f"{keyless.secret_name!r}")
    after = [s.line(watch.origin) for s in watch.snapshot() if s.at > failed.at and s.state("keyless") != "Failed"
             and not s.error]
    if after:
        failures.append(f"'keyless' left Failed: {after[:3]}")
    wrong = [s.line(watch.origin) for s in watch.between(watch.first("live", "Live"), end - 0.5)
             if s.state("live") != "Live"]
    if wrong:
        failures.append(f"'live' left Live: {wrong[:3]}")
    if not nginx.recordings(live.stream_key):
        failures.append("nothing was recorded for 'live'")
    logger.info("missing secret: 'keyless' lastError %r\n%s", message, watch.table())
    assert not failures, "\n".join(failures) + "\n\n" + watch.table()
    assert_no_secret_leaks(pod)


# --- enabled: false ---

def test_disabled_destination_never_connects(media_pod, publisher, nginx_rtmp):
    live_server, disabled_server = nginx_rtmp(), nginx_rtmp()
    live = Destination("live", live_server.url)
    disabled = Destination("off", disabled_server.url, enabled=False)
    pod = media_pod([Broadcast(destinations=[live, disabled])])

    process = publisher("aiortc", pod, duration=15)
    with EgressWatch(pod) as watch:
        watch.wait_state("live", "Live", timeout=CONNECT_TIMEOUT, publisher=process)
        time.sleep(3)
        process.terminate()
        finish_publisher(process, timeout=20)
        end = publish_end(process)

    failures = []
    states = {s.state("off") for s in watch.snapshot() if not s.error}
    if states != {"Disabled"}:
        failures.append(f"'off' (enabled: false) was reported in states {sorted(map(str, states))}, "
                        f"expected only Disabled")
    connections = [line for line in disabled_server.error_log.read_text(errors="replace").splitlines()
                   if "client connected" in line]
    if connections or disabled_server.recordings():
        failures.append(f"the disabled destination's nginx saw {len(connections)} connection(s) and "
                        f"{len(disabled_server.recordings())} recording(s)")
    wrong = [s.line(watch.origin) for s in watch.between(watch.first("live", "Live"), end - 0.5)
             if s.state("live") != "Live"]
    if wrong:
        failures.append(f"'live' left Live: {wrong[:3]}")
    assert not failures, "\n".join(failures) + "\n\n" + watch.table()
    assert_no_secret_leaks(pod)


def test_disabling_a_live_destination_stops_only_it(media_pod, publisher, nginx_rtmp, long_clip):
    """`enabled: false` on one destination of a running broadcast (static mode reloads the edited manifest) stops
    that stream only; `enabled: true` brings it back, starting on a keyframe."""
    toggled_server, steady_server = nginx_rtmp(), nginx_rtmp()
    toggled, steady = Destination("toggled", toggled_server.url), Destination("steady", steady_server.url)
    broadcast = Broadcast(destinations=[toggled, steady])
    pod = media_pod([broadcast])

    process = publisher("aiortc", pod, duration=60, media=long_clip)
    with EgressWatch(pod) as watch:
        wait_all_live(watch, ["toggled", "steady"], process)
        time.sleep(3)
        disabled_at = watch.note("manifest: toggled enabled=false")
        toggled.enabled = False
        pod.write_manifests()
        watch.wait_for("'toggled' Disabled", lambda s: s.at > disabled_at and s.state("toggled") == "Disabled",
                       10, process)
        time.sleep(3)
        size_while_disabled = [p.stat().st_size for p in toggled_server.recordings(toggled.stream_key)]
        time.sleep(2)
        size_later = [p.stat().st_size for p in toggled_server.recordings(toggled.stream_key)]
        enabled_at = watch.note("manifest: toggled enabled=true")
        toggled.enabled = True
        pod.write_manifests()
        live_again = watch.wait_for("'toggled' Live again", lambda s: s.at > enabled_at and s.state("toggled") == "Live",
                                    15, process)
        time.sleep(4)
        process.terminate()
        finish_publisher(process, timeout=20)
        end = publish_end(process)
    history = watch.table()
    toggled_server.stop()
    steady_server.stop()

    failures = []
    if size_while_disabled != size_later:
        failures.append(f"the disabled destination's recording kept growing: {size_while_disabled} → {size_later}")
    steady_live = watch.first("steady", "Live")
    not_live = [s.line(watch.origin) for s in watch.between(steady_live, end - 0.5) if s.state("steady") != "Live"]
    if not_live:
        failures.append(f"'steady' left Live while 'toggled' was switched: {not_live[:3]}")
    files = toggled_server.recordings(toggled.stream_key)
    if len(files) < 2:
        failures.append(f"'toggled' left {len(files)} recording(s); expected one before disabling and one after")
    else:
        second = recordings.probe(files[-1])
        video = second.video_packets
        if not video or not (video[0].get("flags") or "").startswith("K"):
            failures.append(f"'toggled' after re-enabling does not start on a keyframe: {second.summary()}")
        second_failures, _ = slice_check(files[-1], long_clip)
        failures += [f"'toggled' after re-enabling: {f}" for f in second_failures]
    steady_files = steady_server.recordings(steady.stream_key)
    if len(steady_files) != 1:
        failures.append(f"'steady' was interrupted: {len(steady_files)} recordings")
    logger.info("toggle: Live again %.2f s after enabling\n%s", live_again.at - enabled_at, history)
    assert not failures, "\n".join(failures) + "\n\n" + history
    assert_no_secret_leaks(pod)


def test_flash_and_beep_stay_in_sync(media_pod, publisher, nginx_rtmp, sync_clip):
    seconds = 15
    nginx = nginx_rtmp()
    destination = Destination("nginx", nginx.url)
    pod = media_pod([Broadcast(destinations=[destination])])

    process = publisher("aiortc", pod, duration=seconds, media=sync_clip)
    with EgressWatch(pod) as watch:
        watch.wait_state("nginx", "Live", timeout=CONNECT_TIMEOUT, publisher=process)
        finish_publisher(process, timeout=seconds + 30)
        end = publish_end(process)
        time.sleep(0.5)
    nginx.stop()

    path = one_recording(nginx, destination.stream_key)
    probe = recordings.probe(path)
    window = published(watch, "nginx", process)
    flashes = recordings.flash_times(list(recordings.video_frames(path)))
    starts, levels = recordings.audio_windows(path)
    beeps = recordings.beep_onsets(starts, levels)
    audio_end = starts[-1] if starts else 0.0

    offsets, unmatched = [], []
    for flash in flashes:
        nearest = min(beeps, key=lambda b: abs(b - flash), default=None)
        if nearest is None or abs(nearest - flash) > 0.5:
            if flash < audio_end - 0.1:
                unmatched.append(round(flash, 3))
            continue
        offsets.append((round(flash, 3), round((nearest - flash) * 1000, 1)))

    failures = []
    if len(flashes) < int(window.since_live) - 2:
        failures.append(f"{len(flashes)} flashes in a recording of {window.since_live:.1f} s published")
    if unmatched:
        failures.append(f"flashes without a beep within 0.5 s: {unmatched}")
    late = [(at, ms) for at, ms in offsets if abs(ms) > SYNC_TOLERANCE * 1000]
    if late:
        failures.append(f"{len(late)} of {len(offsets)} seconds have |beep − flash| > {SYNC_TOLERANCE * 1000:.0f} ms")
    details = (f"{probe.summary()}\nper second (flash time s, beep − flash ms; positive = audio late): {offsets}\n"
               f"flashes {[round(f, 3) for f in flashes]}\nbeeps {[round(b, 3) for b in beeps]}")
    logger.info("A/V sync:\n%s", details)
    assert not failures, "\n".join(failures) + "\n\n" + details + "\n\n" + watch.table()
    assert_no_secret_leaks(pod)
