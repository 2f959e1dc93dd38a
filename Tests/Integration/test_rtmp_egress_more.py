"""More of issue 4's checks (RTMP egress and RTP export) with real peers; the helpers and the way the published time
is measured are those of test_rtmp_egress.py.

- Chromium bitrate ramp: Chrome's fake camera plays a busy (noisy) 720p30 Y4M; its own getStats must show
  availableOutgoingBitrate ≥ 2 Mbps within 15 s of connecting, and the sink must receive ≥ 1.5 Mbps of video after
  the recording's first 5 s. Against a REMB-only receiver this took ~31 s (shared/PEERS.md).
- Resolution change mid-stream: aiortc passes through a clip that switches from 1280x720 to 640x360 after 5 s (new
  SPS/PPS + IDR at the switch); the recording must decode without error, show 1280x720 and then 640x360 to its end,
  carry a second AVC sequence header with the new SPS, and keep the slices byte-identical to the clip's.
- RTP export: `spec.egress.rtpExport` → `ffmpeg -i export.sdp -c copy` writes H.264 1280x720 + Opus 48 kHz of
  ≥ 6 s; export.sdp of a broadcast without rtpExport is 404.
- GStreamer (webrtcbin, two namespaces) → two nginx destinations at once, both inside the pod's namespace: H.264
  1280x720 + AAC-LC 48 kHz stereo, duration (ffprobe's, the media span, and each stream's span) ±1 s of the publish
  time, monotonic DTS.
"""

import hashlib
import json
import logging
import re
import subprocess
import time

from harness import recordings
from harness.egress import EgressWatch
from harness.pod import Broadcast, Destination
from harness.ports import free_rtp_ports
from test_rtmp_egress import (CONNECT_TIMEOUT, assert_no_secret_leaks, finish_publisher, one_recording,
                              publish_start, published, recording_checks, slice_check, wait_all_live)

FPS = 30
RAMP_BITRATE = 2_000_000     # bit/s: Chrome's availableOutgoingBitrate to reach …
RAMP_WITHIN = 15.0           # … within this many seconds of connecting
SINK_BITRATE = 1_500_000     # bit/s of video the sink must average …
SINK_SKIP = 5.0              # … after the recording's first seconds

logger = logging.getLogger("rtmp-egress-more")


# --- helpers ---

def page_reports(process, event: str) -> list:
    """(monotonic time, report) of each `page: {...}` line of the Chromium publisher with this event."""
    found = []
    for line in process.output().splitlines():
        match = re.match(r"^\[chromium (\d+\.\d+)\] page: (\{.*\})\s*$", line)
        if not match:
            continue
        try:
            report = json.loads(match.group(2))
        except ValueError:
            continue
        if report.get("event") == event:
            found.append((float(match.group(1)), report))
    return found


def packet_time(packet: dict) -> float:
    """A packet's PTS (else DTS) in seconds, or None."""
    value = packet.get("pts_time", packet.get("dts_time"))
    return float(value) if value not in (None, "N/A") else None


def video_timed_sizes(probe: recordings.Probe) -> list:
    """(time, bytes) of every video packet with a timestamp, in time order."""
    return sorted((packet_time(p), int(p.get("size") or 0)) for p in probe.video_packets
                  if packet_time(p) is not None)


def video_bitrate_after(probe: recordings.Probe, skip: float) -> tuple:
    """(bit/s, seconds measured, packets) of the video packets from `skip` seconds after the first video packet to
    the last one (each packet counts over the interval up to the next)."""
    packets = video_timed_sizes(probe)
    if not packets:
        return 0.0, 0.0, 0
    start = packets[0][0] + skip
    window = [(at, size) for at, size in packets if at >= start]
    if len(window) < 2:
        return 0.0, 0.0, len(window)
    seconds = window[-1][0] - window[0][0]
    bits = 8 * sum(size for _, size in window[:-1])
    return (bits / seconds if seconds > 0 else 0.0), seconds, len(window)


def per_second_kbps(probe: recordings.Probe) -> list:
    """Video kbit/s of each whole second of the recording (from its first video packet)."""
    packets = video_timed_sizes(probe)
    if not packets:
        return []
    first = min(at for at, _ in packets)
    seconds = {}
    for at, size in packets:
        seconds[int(at - first)] = seconds.get(int(at - first), 0) + size
    return [round(seconds.get(s, 0) * 8 / 1000) for s in range(max(seconds) + 1)]


def size_runs(pictures: list) -> list:
    """[(first time, width, height, picture count)] of each run of pictures of one size."""
    runs = []
    for at, width, height, _ in pictures:
        if runs and tuple(runs[-1][1:3]) == (width, height):
            runs[-1][3] += 1
        else:
            runs.append([round(at, 3), width, height, 1])
    return [tuple(run) for run in runs]


def decode_errors(path) -> tuple:
    """(exit code, stderr) of `ffmpeg -v error -i PATH -f null -`: a playable file gives (0, "")."""
    result = subprocess.run(["ffmpeg", "-hide_banner", "-nostdin", "-v", "error", "-i", str(path), "-f", "null", "-"],
                            capture_output=True, text=True, timeout=120)
    return result.returncode, result.stderr.strip()


def udp_bound(port: int) -> bool:
    """Whether a UDP socket of this namespace is bound to the port (/proc/net/udp)."""
    wanted = f":{port:04X}"
    with open("/proc/net/udp") as table:
        return any(line.split()[1].endswith(wanted) for line in table.readlines()[1:])


# --- Chromium bitrate ramp ---

def test_chromium_bitrate_ramp_with_a_busy_picture(media_pod, publisher, nginx_rtmp, busy_y4m):
    seconds = 20
    nginx = nginx_rtmp()
    destination = Destination("nginx", nginx.url)
    pod = media_pod([Broadcast(destinations=[destination])])

    process = publisher("chromium", pod, duration=seconds,
                        extra=[f"--chromium-arg=--use-file-for-fake-video-capture={busy_y4m}"])
    with EgressWatch(pod) as watch:
        watch.wait_state("nginx", "Live", timeout=40, publisher=process)
        finish_publisher(process, timeout=seconds + 40)
        time.sleep(0.5)
    nginx.stop()

    connected = publish_start(process)
    assert connected is not None, f"the page never reported connected:\n{process.output_tail(30)}"
    stats = page_reports(process, "stats")
    rows, reached_at, previous = [], None, None
    for at, report in stats:
        since = at - connected
        available = (report.get("pair") or {}).get("availableOutgoingBitrate")
        video = report.get("video") or {}
        sent_kbps = None
        if previous is not None and video.get("bytesSent") is not None and at > previous[0]:
            sent_kbps = round((video["bytesSent"] - previous[1]) * 8 / (at - previous[0]) / 1000)
        previous = (at, video.get("bytesSent") or 0)
        rows.append(f"t={since:5.1f}s available={available} sent≈{sent_kbps} kbps "
                    f"{video.get('frameWidth')}x{video.get('frameHeight')} fps={video.get('framesPerSecond')} "
                    f"limit={video.get('qualityLimitationReason')} encoder={video.get('encoderImplementation')}")
        if reached_at is None and available is not None and available >= RAMP_BITRATE:
            reached_at = since

    path = one_recording(nginx, destination.stream_key)
    probe = recordings.probe(path)
    bitrate, measured, packets = video_bitrate_after(probe, SINK_SKIP)

    failures = []
    if not stats:
        failures.append("the page sent no stats report")
    if reached_at is None or reached_at > RAMP_WITHIN:
        failures.append(f"availableOutgoingBitrate reached {RAMP_BITRATE / 1e6:.1f} Mbps "
                        f"{'never' if reached_at is None else f'only {reached_at:.1f} s after connecting'} "
                        f"(required within {RAMP_WITHIN:.0f} s)")
    if measured < seconds - SINK_SKIP - 5:
        failures.append(f"only {measured:.1f} s of video after the recording's first {SINK_SKIP:.0f} s")
    if bitrate < SINK_BITRATE:
        failures.append(f"the sink's recording averages {bitrate / 1e6:.2f} Mbps of video after its first "
                        f"{SINK_SKIP:.0f} s (required ≥ {SINK_BITRATE / 1e6:.1f} Mbps)")
    details = (f"Chrome's stats every 2 s (from connected):\n" + "\n".join(rows) +
               f"\nsink: {bitrate / 1e6:.2f} Mbps over {measured:.1f} s ({packets} video packets) after the first "
               f"{SINK_SKIP:.0f} s; per second (kbps): {per_second_kbps(probe)}\n{probe.summary()}")
    logger.info("bitrate ramp:\n%s", details)
    assert not failures, "\n".join(failures) + "\n\n" + details + "\n\n" + watch.table()
    assert_no_secret_leaks(pod)


# --- resolution change mid-stream ---

def test_resolution_change_mid_stream(media_pod, publisher, nginx_rtmp, resolution_clip):
    # The clip switches after 5 s and lasts 10 s; aiortc's publisher wants 3 s of clip left beyond the publish.
    seconds = 7
    nginx = nginx_rtmp()
    destination = Destination("nginx", nginx.url)
    pod = media_pod([Broadcast(destinations=[destination])])

    process = publisher("aiortc", pod, duration=seconds, media=resolution_clip)
    with EgressWatch(pod) as watch:
        watch.wait_state("nginx", "Live", timeout=CONNECT_TIMEOUT, publisher=process)
        finish_publisher(process, timeout=seconds + 30)
        time.sleep(0.5)
    nginx.stop()

    path = one_recording(nginx, destination.stream_key)
    probe = recordings.probe(path)
    code, errors = decode_errors(path)
    pictures = list(recordings.video_frames(path))
    runs = size_runs(pictures)
    headers = recordings.avc_sequence_headers(path)
    clip_sps, _ = recordings.parameter_sets(resolution_clip)
    slice_failures, match = slice_check(path, resolution_clip)

    failures = []
    if code != 0 or errors:
        failures.append(f"`ffmpeg -v error -i rec.flv -f null -` exited {code} and printed:\n{errors[-1500:]}")
    sizes = [run[1:3] for run in runs]
    if sizes != [(1280, 720), (640, 360)]:
        failures.append(f"decoded picture sizes in order: {sizes}, expected 1280x720 then 640x360")
    if not pictures or pictures[-1][1:3] != (640, 360):
        failures.append(f"the last decoded picture is "
                        f"{'missing' if not pictures else f'{pictures[-1][1]}x{pictures[-1][2]}'}, expected 640x360")
    elif runs[-1][3] < FPS:
        failures.append(f"only {runs[-1][3]} pictures at 640x360 at the end (expected ≥ {FPS}: the publish runs "
                        f"~{seconds - 5} s past the switch)")
    if len(clip_sps) != 2:
        failures.append(f"the clip holds {len(clip_sps)} distinct SPS, expected 2 (a broken clip?)")
    else:
        header_sps = [h.sps for h in headers]
        if not headers or headers[0].sps != (clip_sps[0],):
            failures.append(f"the first AVC sequence header does not hold the clip's 1280x720 SPS: "
                            f"{[h.describe() for h in headers]}")
        later = [h for h in headers[1:] if h.sps == (clip_sps[1],)]
        if not later:
            failures.append(f"no AVC sequence header with the clip's 640x360 SPS after the change "
                            f"({len(headers)} sequence header(s): {[h.describe() for h in headers]})")
        elif (runs and len(runs) > 1) and later[0].timestamp_ms > runs[1][0] * 1000 + 1:
            failures.append(f"the 640x360 sequence header ({later[0].describe()}) comes after the first 640x360 "
                            f"picture ({runs[1][0]:.3f} s)")
        if header_sps and header_sps[-1] != (clip_sps[1],):
            failures.append("the last AVC sequence header is not the 640x360 one")
    failures += slice_failures
    details = (f"{probe.summary()}\npicture runs (first time s, w, h, count): {runs}\n"
               f"AVC sequence headers: {[h.describe() for h in headers]}\n"
               f"clip SPS: {[hashlib.sha256(s).hexdigest()[:12] for s in clip_sps]}\n{match.describe()}")
    logger.info("resolution change:\n%s", details)
    assert not failures, "\n".join(failures) + "\n\n" + details + "\n\n" + watch.table()
    assert_no_secret_leaks(pod)


# --- RTP export ---

def test_rtp_export_is_readable_by_ffmpeg(media_pod, publisher, tmp_path):
    video_port, audio_port = free_rtp_ports(2)
    exported = Broadcast(rtp_export=("127.0.0.1", video_port, audio_port))
    plain = Broadcast(name="plain")
    pod = media_pod([exported, plain])

    missing = pod.request("GET", "/v1/broadcasts/studio/plain/export.sdp")
    unknown = pod.request("GET", "/v1/broadcasts/studio/nope/export.sdp")
    response = pod.request("GET", "/v1/broadcasts/studio/show/export.sdp")
    assert response.status_code == 200, f"export.sdp answered {response.status_code}: {response.text[:500]!r}"
    sdp = tmp_path / "export.sdp"
    sdp.write_text(response.text)

    output, ffmpeg_log = tmp_path / "export.mkv", tmp_path / "ffmpeg-export.log"
    with open(ffmpeg_log, "wb") as log:
        reader = subprocess.Popen(["ffmpeg", "-hide_banner", "-nostdin", "-y", "-protocol_whitelist", "file,udp,rtp",
                                   "-i", str(sdp), "-c", "copy", "-t", "8", str(output)],
                                  stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while not (udp_bound(video_port) and udp_bound(audio_port)):
            assert reader.poll() is None, f"ffmpeg exited {reader.returncode}:\n{ffmpeg_log.read_text()[-2000:]}"
            assert time.monotonic() < deadline, f"ffmpeg never bound the RTP ports:\n{ffmpeg_log.read_text()[-2000:]}"
            time.sleep(0.05)

        process = publisher("aiortc", pod, duration=10)
        finish_publisher(process, timeout=40)
        try:
            code = reader.wait(timeout=10)
        except subprocess.TimeoutExpired:
            reader.terminate()
            code = f"(still running 10 s after the publish: stopped) {reader.wait(timeout=5)}"
    finally:
        if reader.poll() is None:
            reader.kill()
            reader.wait(timeout=5)
    log_text = ffmpeg_log.read_text(errors="replace")

    failures = []
    if missing.status_code != 404:
        failures.append(f"export.sdp of a broadcast without rtpExport answered {missing.status_code}: "
                        f"{missing.text[:200]!r}")
    if unknown.status_code != 404:
        failures.append(f"export.sdp of an unknown broadcast answered {unknown.status_code}")
    probe = recordings.probe(output) if output.exists() and output.stat().st_size else None
    if probe is None:
        failures.append(f"ffmpeg wrote no file (exit {code})")
    else:
        v, a = probe.video or {}, probe.audio or {}
        if v.get("codec_name") != "h264" or (v.get("width"), v.get("height")) != (1280, 720):
            failures.append(f"video is {v.get('codec_name')} {v.get('width')}x{v.get('height')}, expected h264 "
                            f"1280x720")
        if a.get("codec_name") != "opus" or a.get("sample_rate") != "48000":
            failures.append(f"audio is {a.get('codec_name')} {a.get('sample_rate')} Hz, expected opus 48000 Hz")
        if (probe.format_duration or 0) < 6.0:
            failures.append(f"duration {probe.format_duration} s, expected ≥ 6 s")
    decode = decode_errors(output) if probe is not None else None
    details = (f"export.sdp:\n{response.text}\nffmpeg exit {code}; "
               f"{probe.summary() if probe else 'no file'}; decode check (exit, errors): "
               f"{decode[0] if decode else None}, {(decode[1][:300] if decode else '')!r}\n"
               f"ffmpeg log tail:\n" + "\n".join(log_text.splitlines()[-25:]))
    logger.info("rtp export:\n%s", details)
    assert not failures, "\n".join(failures) + "\n\n" + details
    assert_no_secret_leaks(pod)


# --- GStreamer → two destinations ---

def test_gstreamer_to_two_destinations(media_pod, publisher, netns, nginx_rtmp):
    seconds = 15
    pair = netns()
    # The pod runs in the pair's pod namespace: its sinks listen on that namespace's loopback.
    servers = {"first": nginx_rtmp(side=pair.pod), "second": nginx_rtmp(side=pair.pod)}
    destinations = [Destination(name, server.url) for name, server in servers.items()]
    pod = media_pod([Broadcast(destinations=destinations)], pair=pair)
    names = list(servers)

    process = publisher("gst", pod, duration=seconds, pair=pair)
    with EgressWatch(pod) as watch:
        wait_all_live(watch, names, process)
        finish_publisher(process, timeout=seconds + 30)
        watch.note("publisher ended")
        time.sleep(0.5)
    history = watch.table()
    for server in servers.values():
        server.stop()

    failures, details = [], []
    for destination in destinations:
        path = one_recording(servers[destination.name], destination.stream_key)
        probe = recordings.probe(path)
        window = published(watch, destination.name, process)
        details.append(f"{destination.name}: {window.describe()}; {probe.summary()}")
        failures += [f"{destination.name}: {f}" for f in recording_checks(probe, window)]
        # Each stream on its own, too: the media span above is from the first packet of either to the end of
        # the last, so an audio track that stops early would pass it.
        for kind in ("video", "audio"):
            failures += [f"{destination.name}: {f}" for f in window.check(probe.span(kind), f"{kind} span")]
        last_video = packet_time(probe.video_packets[-1]) if probe.video_packets else None
        last_audio = packet_time(probe.audio_packets[-1]) if probe.audio_packets else None
        details.append(f"{destination.name}: first packet at {probe.format.get('start_time')} s; last video "
                       f"packet at {last_video} s, last audio packet at {last_audio} s")
    logger.info("gstreamer, two destinations:\n%s\n%s", "\n".join(details), history)
    assert not failures, "\n".join(failures) + "\n\n" + "\n".join(details) + "\n\n" + history
    assert_no_secret_leaks(pod)
