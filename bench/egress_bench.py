#!/usr/bin/env python3
"""`make bench`, egress part (issue 4 "Benchmark"): N concurrent broadcasts on this machine through the release-built
media pod, beside the two FFmpeg ways of doing the same job, measured in one run.

  media-pod   N aiortc publishers (passthrough of the cached 720p30 ~2.2 Mbit/s H.264 + Opus clip of
              Tests/Integration/harness/clip.py) → one pod in static mode (.build/release/media-pod), one Broadcast
              each, each with one destination on a private nginx-rtmp (harness/rtmp_sinks.py) that records it.
              Counted: the pod process only (the publishers are the load generator, nginx is the platform).
  copy+aac    N × `ffmpeg -re -i clip.ts -c:v copy -c:a aac -b:a 128k -f flv rtmp://…` (the passthrough baseline:
              the same work as the pod minus WebRTC), to the same nginx.
  x264        N × `ffmpeg -re -i clip.ts -c:v libx264 -preset veryfast -b:v 2500k -c:a aac -f flv rtmp://…` (what
              the old system did per broadcast), and whether it keeps up: ffmpeg's `speed=` over the window (stream
              time produced, read from `-progress`, divided by wall time) ≥ 0.99 for every process. ffmpeg's own
              `speed=` counts from its start (start-up included) and is kept beside it.

CPU is utime + stime of the processes from /proc/<pid>/stat over a steady window (default 20 s) that starts
`--settle` seconds after every broadcast is running (media pod: every destination `Live` in /v1/broadcasts),
shown as % of one core per broadcast.

Dropped frames (media pod): each recording's video frames against what was published to it. The aiortc publisher
paces the clip from the moment its connection is up and the clip has one slice NAL per frame, so the recording's
first frame is found in the clip by its bytes (harness/recordings.py) and
    expected = (publisher's WHIP DELETE − connected) × 30 − index of the recording's first frame in the clip;
frames missing inside the recording (clip indices skipped) are counted exactly. "No dropped frames" at a count
means every recording holds ≥ 99 % of its expected frames, and every destination stayed Live without a reconnect.
The pod's own counters (/v1/broadcasts: corruptFrames, packetsLost, frames received, destination state) are kept,
and split the missing frames into `droppedByPod` (received complete, not delivered) and `missingBeforePod` (never
received in time: the publishers, Python on the same 2 cores, falling behind their pacing, or lost on the way).

The whole machine's CPU (/proc/stat) is sampled over each window too: what neither the measured processes nor their
helpers used is reported as "other load" (another job on the machine skews a run; `uptime` before each window is
kept as well).

Run from the repository root after `swift build -c release --product media-pod`:
    python3 bench/egress_bench.py [--counts 1,2,4] [--window 20] [--pod-bin PATH] [--skip-pod|--skip-ffmpeg]
Prints one table and merges the figures into bench/results/latest.json under "egress" (what ingest-bench wrote
there is kept).
"""

import argparse
import datetime
import os
import pathlib
import platform
import re
import shutil
import signal
import subprocess
import sys
import threading
import time

REPO_ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT / "Tests/Integration"))

from harness import clip as clip_module  # noqa: E402
from harness import peers, recordings  # noqa: E402
from harness.pod import Broadcast, Destination, MediaPod  # noqa: E402
from harness.ports import free_port  # noqa: E402
from harness.rtmp_sinks import NginxRtmp, check_ffmpeg, check_nginx_rtmp  # noqa: E402
from bench_results import merge_results, render_table  # noqa: E402

FPS = 30
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
NO_DROP_RATIO = 0.99      # a recording holding at least this share of its expected frames has dropped none
KEEPS_UP_SPEED = 0.99     # ffmpeg's stream time over wall time across the window
LIVE_TIMEOUT = 30.0       # publishers started → every destination Live
OTHER_LOAD_WARNING = 15.0  # % of one core used by processes outside the bench: flagged in the table


def log(message: str) -> None:
    print(f"[egress-bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- CPU accounting ---

def process_cpu_seconds(pid: int) -> float:
    """utime + stime of a whole process (all its threads) from /proc/<pid>/stat; None when it is gone."""
    try:
        text = pathlib.Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()  # after "pid (comm) ": fields[0] is the state (field 3)
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime (14), stime (15)


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine spent busy (all cores), from the first line of /proc/stat."""
    fields = [int(v) for v in pathlib.Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS


def load_average() -> list:
    return [float(v) for v in pathlib.Path("/proc/loadavg").read_text().split()[:3]]


class CpuWindow:
    """CPU seconds of named groups of processes between start() and stop(), plus the whole machine's."""

    def __init__(self, groups: dict) -> None:
        self.groups = {name: list(pids) for name, pids in groups.items()}
        self.groups.setdefault("bench", [os.getpid()])

    def _sample(self) -> tuple:
        return (time.monotonic(), machine_busy_seconds(),
                {name: [process_cpu_seconds(pid) for pid in pids] for name, pids in self.groups.items()})

    def start(self) -> None:
        self.load = load_average()
        self.begin = self._sample()

    def stop(self) -> dict:
        end = self._sample()
        wall = end[0] - self.begin[0]
        result = {"wallSeconds": round(wall, 3), "loadAverageBefore": self.load, "cpuSeconds": {}, "exited": []}
        for name, pids in self.groups.items():
            total = 0.0
            for pid, before, after in zip(pids, self.begin[2][name], end[2][name]):
                if before is None or after is None:
                    result["exited"].append(f"{name} pid {pid}")
                    continue
                total += after - before
            result["cpuSeconds"][name] = round(total, 3)
        machine = end[1] - self.begin[1]
        result["machineCpuSeconds"] = round(machine, 3)
        other = max(0.0, machine - sum(result["cpuSeconds"].values()))
        result["otherLoadPercent"] = round(100 * other / wall, 1)  # % of one core
        return result


def percent_of_core(cpu_seconds: float, wall: float, count: int = 1) -> float:
    return round(100 * cpu_seconds / wall / count, 1)


# --- the media pod ---

class BenchPod(MediaPod):
    """The harness's pod handle with the release binary and the production log level (debug logging would be
    measured too)."""

    def __init__(self, binary: pathlib.Path, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.binary = binary

    def command(self) -> list:
        return [str(self.binary), "--manifests", str(self.manifests_dir),
                "--http-port", str(self.http_port), "--udp-port", str(self.udp_port),
                "--announced-ip", self.announced_ip, "--pod-name", self.pod_name,
                "--log-level", "info", *self.extra_args]


def wait_all_live(pod: MediaPod, broadcasts: list, publishers: list, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if not pod.alive():
            raise RuntimeError(f"media-pod exited ({pod.process.returncode}):\n{pod.log_tail(30)}")
        for process in publishers:
            if not process.running():
                raise RuntimeError(f"a publisher ended early ({process.result_line()}):\n{process.output_tail(15)}")
        try:
            last = {(b["namespace"], b["name"]): b for b in pod.broadcasts()}
        except Exception as error:  # the pod may be busy; keep polling
            last = {"error": str(error)}
        states = [((last.get((b.namespace, b.name)) or {}).get("destinations") or [{}])[0].get("state")
                  for b in broadcasts]
        if all(state == "Live" for state in states):
            return last
        time.sleep(0.2)
    raise RuntimeError(f"not every destination Live after {timeout:.0f} s: {last}\n{pod.log_tail(30)}")


def recording_frames(path: pathlib.Path, reference: tuple) -> dict:
    """Video frames of a recording, where it starts in the clip, and how many clip frames are missing inside it."""
    result = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-count_packets",
                             "-show_entries", "stream=nb_read_packets", "-of", "csv=p=0", str(path)],
                            capture_output=True, text=True, timeout=60)
    packets = int(result.stdout.strip().split(",")[0] or 0) if result.returncode == 0 else 0
    slices = [n for n in recordings.video_nals(path) if n.type in recordings.SLICE_NAL_TYPES]
    positions = {}
    for index, nal in enumerate(reference):
        positions.setdefault(nal.digest, []).append(index)
    indices, unknown = [], 0
    for nal in slices:
        after = indices[-1] if indices else -1
        found = next((i for i in positions.get(nal.digest, []) if i > after), None)
        if found is None:
            unknown += 1
        else:
            indices.append(found)
    first = indices[0] if indices else None
    gaps = (indices[-1] - indices[0] + 1 - len(indices)) if indices else 0
    return {"videoPackets": packets, "sliceNals": len(slices), "firstClipFrame": first,
            "lastClipFrame": indices[-1] if indices else None, "framesMissingInside": gaps,
            "slicesNotInClip": unknown}


def run_media_pod(count: int, args, clip: pathlib.Path, reference: tuple, nginx: NginxRtmp,
                  work_dir: pathlib.Path) -> dict:
    # Secrets are per namespace: each destination's key needs a Secret name of its own, or every broadcast would
    # publish with the same key (nginx then refuses all but the first: "already publishing").
    broadcasts = [Broadcast(namespace="bench", name=f"b{i + 1}",
                            destinations=[Destination("nginx", nginx.url, secret_name=f"b{i + 1}-nginx-key")])
                  for i in range(count)]
    pod_dir = work_dir / f"pod-{count}"
    pod_dir.mkdir(parents=True, exist_ok=True)
    pod = BenchPod(args.pod_bin, pod_dir, broadcasts, http_port=free_port(), udp_port=free_port(),
                   announced_ip="127.0.0.1", extra_args=["--capacity", str(max(10, count))])
    publishers = []
    try:
        pod.start()
        started = time.monotonic()
        duration = LIVE_TIMEOUT + args.settle + args.window + 5
        duration = min(duration, clip_module.CLIP_SECONDS - 3)  # the publisher refuses a clip shorter than this
        for i, broadcast in enumerate(broadcasts):
            command = peers.aiortc_command(pod.whip_url(broadcast.namespace, broadcast.name), broadcast.token,
                                           duration, clip, ice_address="127.0.0.1")
            publishers.append(peers.PublisherProcess("aiortc", command, pod_dir / f"publisher-{i + 1}.log"))
        wait_all_live(pod, broadcasts, publishers, LIVE_TIMEOUT)
        live_after = time.monotonic() - started
        time.sleep(args.settle)

        window = CpuWindow({"mediaPod": [pod.process.pid], "publishers": [p.process.pid for p in publishers],
                            "nginx": [nginx.process.pid]})
        health_before = pod.health()
        window.start()
        time.sleep(args.window)
        cpu = window.stop()
        health_after = pod.health()
        at_end = {(b["namespace"], b["name"]): b for b in pod.broadcasts()}

        for process in publishers:
            process.terminate()
        for process in publishers:
            process.wait(timeout=20)
        time.sleep(1.0)  # the pod sends what it still queues for the sink
        final = {(b["namespace"], b["name"]): b for b in pod.broadcasts()}
    finally:
        for process in publishers:
            process.kill()
        pod.stop()

    time.sleep(0.5)  # nginx closes the recordings once the pod's connections are gone
    per_broadcast = []
    for broadcast, process in zip(broadcasts, publishers):
        key = broadcast.destinations[0].stream_key
        files = nginx.recordings(key)
        connected = process.step_time("connectionState=connected")
        deleted = process.step_time("whip: DELETE")
        entry = {"broadcast": broadcast.name, "recordings": len(files), "publisherResult": process.result_line()}
        window_end = at_end.get((broadcast.namespace, broadcast.name)) or {}
        last = final.get((broadcast.namespace, broadcast.name)) or {}
        destination = (window_end.get("destinations") or [{}])[0]
        ingest = last.get("ingest") or {}
        entry.update({
            "destinationStateAtWindowEnd": destination.get("state"),
            "destinationReconnects": (last.get("destinations") or [{}])[0].get("reconnects"),
            "destinationBitrateKbps": destination.get("bitrateKbps"),
            "ingestFramesReceived": ingest.get("videoFrames"), "ingestCorruptFrames": ingest.get("corruptFrames"),
            "ingestPacketsLost": ingest.get("packetsLost"), "ingestFps": (window_end.get("ingest") or {}).get("fps"),
        })
        if files and connected is not None and deleted is not None:
            frames = recording_frames(files[-1], reference)
            entry.update(frames)
            published = (deleted - connected) * FPS
            expected = published - (frames["firstClipFrame"] or 0)
            entry["publishedSeconds"] = round(deleted - connected, 3)
            entry["expectedFrames"] = round(expected)
            entry["sinkRatio"] = round(frames["videoPackets"] / expected, 4) if expected > 0 else 0.0
            entry["droppedFrames"] = max(0, round(expected) - frames["videoPackets"])
            # Where the missing frames went: the pod's own count of complete frames received (from the clip's
            # first frame on) splits them into frames the pod received but did not deliver, and frames that never
            # reached it in time (the publisher falling behind its pacing, or lost on the way).
            received = ingest.get("videoFrames")
            if received is not None:
                forwardable = received - (frames["firstClipFrame"] or 0)
                entry["droppedByPod"] = max(0, forwardable - frames["videoPackets"])
                entry["missingBeforePod"] = max(0, round(expected) - forwardable)
        else:
            entry.update({"videoPackets": 0, "sinkRatio": 0.0, "expectedFrames": None, "droppedFrames": None})
        per_broadcast.append(entry)

    ok = all(e["sinkRatio"] >= NO_DROP_RATIO and e["recordings"] == 1 and not e.get("framesMissingInside")
             and e["destinationStateAtWindowEnd"] == "Live" and not e["destinationReconnects"]
             for e in per_broadcast)
    # The pod's own share: every frame it received complete reached the sink, in order, without a reconnect.
    pod_ok = all(e.get("droppedByPod") == 0 and e["recordings"] == 1 and not e.get("framesMissingInside")
                 and e["destinationStateAtWindowEnd"] == "Live" and not e["destinationReconnects"]
                 for e in per_broadcast)
    return {
        "broadcasts": count,
        "cpuPercentPerBroadcast": percent_of_core(cpu["cpuSeconds"]["mediaPod"], cpu["wallSeconds"], count),
        "cpuPercentTotal": percent_of_core(cpu["cpuSeconds"]["mediaPod"], cpu["wallSeconds"]),
        "healthCpuSeconds": round(health_after["cpuSeconds"] - health_before["cpuSeconds"], 3),
        "memoryBytes": health_after.get("memoryBytes"),
        "allLiveAfterSeconds": round(live_after, 2),
        "publishersCpuPercentPerBroadcast": percent_of_core(cpu["cpuSeconds"]["publishers"], cpu["wallSeconds"],
                                                            count),
        "nginxCpuPercent": percent_of_core(cpu["cpuSeconds"]["nginx"], cpu["wallSeconds"]),
        "window": cpu,
        "minSinkRatio": min(e["sinkRatio"] for e in per_broadcast),
        "droppedFrames": sum(e["droppedFrames"] or 0 for e in per_broadcast),
        "droppedByPod": sum(e.get("droppedByPod") or 0 for e in per_broadcast),
        "missingBeforePod": sum(e.get("missingBeforePod") or 0 for e in per_broadcast),
        "noDroppedFrames": ok,
        "podDeliveredAllReceived": pod_ok,
        "perBroadcast": per_broadcast,
    }


# --- the FFmpeg baselines ---

FFMPEG_MODES = {
    "copy": ["-c:v", "copy", "-c:a", "aac", "-b:a", "128k"],
    "x264": ["-c:v", "libx264", "-preset", "veryfast", "-b:v", "2500k", "-c:a", "aac"],
}


def progress(path: pathlib.Path) -> dict:
    """The last complete block of an `ffmpeg -progress` file: out_time_us, speed, frame, drop_frames."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return {}
    blocks = [b for b in re.split(r"^progress=\w+\s*$", text, flags=re.M) if b.strip()]
    if not blocks or "progress=" not in text:
        return {}
    complete = blocks[-1] if text.rstrip().endswith(("progress=continue", "progress=end")) else \
        (blocks[-2] if len(blocks) > 1 else blocks[-1])
    values = dict(line.split("=", 1) for line in complete.strip().splitlines() if "=" in line)
    result = {}
    try:
        result["outTime"] = int(values.get("out_time_us", "0")) / 1e6
    except ValueError:
        result["outTime"] = None
    speed = values.get("speed", "").strip().rstrip("x")
    result["speed"] = float(speed) if re.match(r"^[0-9.]+$", speed) else None
    result["frame"] = int(values["frame"]) if values.get("frame", "").isdigit() else None
    result["dropFrames"] = int(values["drop_frames"]) if values.get("drop_frames", "").isdigit() else None
    return result


class ProgressWatch:
    """Polls the `-progress` files of running ffmpeg processes and notes when each new out_time first appeared
    (time.monotonic()), so the stream time produced over a window can be divided by that window's wall time
    without the 0.5 s granularity of the file's own updates."""

    def __init__(self, paths: list, interval: float = 0.05) -> None:
        self.paths = paths
        self.interval = interval
        self.seen = [[] for _ in paths]  # per process: (monotonic, outTime, speed)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            now = time.monotonic()
            for path, seen in zip(self.paths, self.seen):
                value = progress(path)
                if value.get("outTime") is not None and (not seen or value["outTime"] != seen[-1][1]):
                    seen.append((now, value["outTime"], value.get("speed")))
            self._stop.wait(self.interval)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def speeds(self, start: float, end: float) -> list:
        """Per process: stream seconds produced per wall second between the first update at or after `start` and
        the last one at or before `end`."""
        result = []
        for seen in self.seen:
            inside = [s for s in seen if start <= s[0] <= end]
            if len(inside) < 2 or inside[-1][0] - inside[0][0] < 1.0:
                result.append(None)
                continue
            result.append(round((inside[-1][1] - inside[0][1]) / (inside[-1][0] - inside[0][0]), 3))
        return result

    def last_speed(self) -> list:
        return [seen[-1][2] if seen else None for seen in self.seen]


def run_ffmpeg(mode: str, count: int, args, clip: pathlib.Path, nginx: NginxRtmp, work_dir: pathlib.Path) -> dict:
    run_dir = work_dir / f"ffmpeg-{mode}-{count}"
    run_dir.mkdir(parents=True, exist_ok=True)
    processes = []
    watch = None
    try:
        for i in range(count):
            progress_path = run_dir / f"progress-{i + 1}.txt"
            progress_path.unlink(missing_ok=True)
            command = ["ffmpeg", "-hide_banner", "-nostdin", "-nostats", "-loglevel", "warning",
                       "-progress", str(progress_path), "-stats_period", "0.1",
                       "-re", "-i", str(clip), "-map", "0:v", "-map", "0:a", *FFMPEG_MODES[mode],
                       "-f", "flv", f"{nginx.url}/{mode}-{count}-{i + 1}-{os.getpid()}"]
            with open(run_dir / f"ffmpeg-{i + 1}.log", "wb") as out:
                process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                           start_new_session=True)
            processes.append((process, progress_path))
        watch = ProgressWatch([path for _, path in processes])
        time.sleep(args.ffmpeg_warmup)
        for number, (process, _) in enumerate(processes, 1):
            if process.poll() is not None:
                raise RuntimeError(f"ffmpeg {mode} exited ({process.returncode}) during warm-up: "
                                   f"{(run_dir / f'ffmpeg-{number}.log').read_text(errors='replace')[-1500:]}")
        window = CpuWindow({"ffmpeg": [p.pid for p, _ in processes], "nginx": [nginx.process.pid]})
        started = time.monotonic()
        window.start()
        time.sleep(args.window)
        cpu = window.stop()
        ended = time.monotonic()
        time.sleep(0.2)
        still_running = all(p.poll() is None for p, _ in processes)
        speeds = watch.speeds(started, ended)
        reported = watch.last_speed()
    finally:
        if watch is not None:
            watch.stop()
        for process, _ in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process, _ in processes:
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)

    measured = [s for s in speeds if s is not None]
    keeps_up = still_running and len(measured) == count and min(measured) >= KEEPS_UP_SPEED
    return {
        "broadcasts": count,
        "cpuPercentPerBroadcast": percent_of_core(cpu["cpuSeconds"]["ffmpeg"], cpu["wallSeconds"], count),
        "cpuPercentTotal": percent_of_core(cpu["cpuSeconds"]["ffmpeg"], cpu["wallSeconds"]),
        "windowSpeeds": speeds,
        "ffmpegReportedSpeeds": reported,
        "minSpeed": min(measured) if measured else None,
        "keepsUp": keeps_up,
        "window": cpu,
    }


# --- report ---

def table(results: dict, counts: list) -> str:
    def cell(value, fmt="{:.1f}"):
        return "-" if value is None else fmt.format(value)

    header = ["N", "media-pod %/bcast", "pod frames at sink", "pod no drops", "ffmpeg copy+aac %/bcast",
              "ffmpeg x264 %/bcast", "x264 speed", "x264 keeps up", "other load %"]
    rows = []
    for count in counts:
        pod = results["mediaPod"].get(str(count)) or {}
        copy = results["ffmpegCopyAac"].get(str(count)) or {}
        x264 = results["ffmpegX264"].get(str(count)) or {}
        others = [r["window"]["otherLoadPercent"] for r in (pod, copy, x264) if r.get("window")]
        dropped = pod.get("droppedFrames")
        rows.append([
            str(count),
            cell(pod.get("cpuPercentPerBroadcast")) if not pod.get("error") else "error",
            (f"{100 * pod['minSinkRatio']:.1f} % ({dropped} missing: {pod.get('droppedByPod')} in pod)"
             if pod.get("minSinkRatio") is not None else "-"),
            ("yes" if pod.get("noDroppedFrames") else "no") if pod and not pod.get("error") else "-",
            cell(copy.get("cpuPercentPerBroadcast")),
            cell(x264.get("cpuPercentPerBroadcast")),
            cell(x264.get("minSpeed"), "{:.2f}x"),
            ("yes" if x264.get("keepsUp") else "no") if x264 else "-",
            cell(max(others) if others else None),
        ])
    return render_table(header, rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--counts", default="1,2,4", help="concurrent broadcasts to measure, comma-separated")
    parser.add_argument("--window", type=float, default=20.0, help="seconds of steady state measured per run")
    parser.add_argument("--settle", type=float, default=2.0, help="seconds after all destinations are Live")
    parser.add_argument("--ffmpeg-warmup", type=float, default=3.0, help="seconds before an ffmpeg window")
    parser.add_argument("--pod-bin", type=pathlib.Path, default=REPO_ROOT / ".build/release/media-pod")
    parser.add_argument("--output", type=pathlib.Path, default=REPO_ROOT / "bench/results/latest.json")
    parser.add_argument("--work-dir", type=pathlib.Path, default=REPO_ROOT / ".build/egress-bench")
    parser.add_argument("--skip-pod", action="store_true")
    parser.add_argument("--skip-ffmpeg", action="store_true")
    args = parser.parse_args()
    counts = [int(c) for c in args.counts.split(",") if c.strip()]
    if not counts or min(counts) < 1:
        parser.error("--counts needs positive numbers")
    if args.settle + args.window + 8 > clip_module.CLIP_SECONDS - 3:
        parser.error(f"--settle + --window must leave room in the {clip_module.CLIP_SECONDS} s clip")

    for problem in (check_nginx_rtmp(), check_ffmpeg()):
        if problem:
            log(f"cannot run: {problem}")
            return 2
    if not args.skip_pod and not os.access(args.pod_bin, os.X_OK):
        log(f"{args.pod_bin} not found: `swift build -c release --product media-pod` first")
        return 2

    started = time.monotonic()
    shutil.rmtree(args.work_dir, ignore_errors=True)
    args.work_dir.mkdir(parents=True)
    clip = clip_module.ensure_clip()
    reference = recordings.reference_slices(str(clip))
    log(f"clip {clip.name} ({len(reference)} frames); load average {load_average()} on {os.cpu_count()} cores")

    nginx = NginxRtmp(args.work_dir / "nginx", free_port())
    nginx.start()
    results = {"mediaPod": {}, "ffmpegCopyAac": {}, "ffmpegX264": {}}
    failures = []
    try:
        for count in counts:
            runs = []
            if not args.skip_pod:
                runs.append(("mediaPod", lambda c=count: run_media_pod(c, args, clip, reference, nginx,
                                                                       args.work_dir)))
            if not args.skip_ffmpeg:
                runs.append(("ffmpegCopyAac", lambda c=count: run_ffmpeg("copy", c, args, clip, nginx,
                                                                         args.work_dir)))
                runs.append(("ffmpegX264", lambda c=count: run_ffmpeg("x264", c, args, clip, nginx,
                                                                      args.work_dir)))
            for name, run in runs:
                log(f"{name}: {count} broadcast(s), load average {load_average()}")
                try:
                    result = run()
                except Exception as error:  # report the others; the failure is in the table and the JSON
                    result = {"broadcasts": count, "error": f"{type(error).__name__}: {error}"[:3000]}
                    failures.append(f"{name} N={count}: {result['error']}")
                    log(f"{name} N={count} failed: {result['error']}")
                results[name][str(count)] = result
                summary = {k: result.get(k) for k in ("cpuPercentPerBroadcast", "minSinkRatio", "droppedFrames",
                                                      "droppedByPod", "windowSpeeds") if k in result}
                if "window" in result:
                    summary["otherLoadPercent"] = result["window"]["otherLoadPercent"]
                log(f"{name} N={count}: {summary}")
    finally:
        nginx.close()

    pod_ok = [c for c in counts if (results["mediaPod"].get(str(c)) or {}).get("noDroppedFrames")]
    pod_delivered = [c for c in counts if (results["mediaPod"].get(str(c)) or {}).get("podDeliveredAllReceived")]
    x264_ok = [c for c in counts if (results["ffmpegX264"].get(str(c)) or {}).get("keepsUp")]
    egress = {
        "benchmark": "egress-bench",
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "host": {"cores": os.cpu_count(), "system": platform.platform()},
        "clip": {"file": clip.name, "width": 1280, "height": 720, "fps": FPS, "videoKbps": 2000,
                 "videoMaxKbps": 2200, "audio": "opus 64k stereo"},
        "windowSeconds": args.window,
        "counts": counts,
        "noDropRatio": NO_DROP_RATIO,
        "keepsUpSpeed": KEEPS_UP_SPEED,
        "largestCountWithoutDrops": {"mediaPod": max(pod_ok) if pod_ok else 0,
                                     "mediaPodDeliveredAllReceived": max(pod_delivered) if pod_delivered else 0,
                                     "ffmpegX264KeepsUp": max(x264_ok) if x264_ok else 0},
        "notes": ("CPU % is of one core, per broadcast, over the window; media-pod excludes the aiortc publishers "
                  "(load generator) and nginx (sink); otherLoadPercent is machine CPU used outside the bench's "
                  "processes during the window"),
        **results,
        "failures": failures,
        "runSeconds": round(time.monotonic() - started, 1),
    }
    merge_results(args.output, "egress", egress)

    print()
    print(f"Egress: {args.window:.0f} s windows, CPU in % of one core per broadcast ({os.cpu_count()} cores)")
    print(table(results, counts))
    print("pod frames at sink: the worst recording's video frames / (publish window × 30 fps); of the frames "
          "missing, those the pod had received complete but did not deliver are 'in pod' (the rest never reached "
          "it in time: the load generator)")
    print(f"largest N without dropped frames (media-pod, ≥ {NO_DROP_RATIO:.0%} of frames at the sink): "
          f"{egress['largestCountWithoutDrops']['mediaPod']} of {counts}; ffmpeg x264 keeps up in real time up to "
          f"N = {egress['largestCountWithoutDrops']['ffmpegX264KeepsUp']}")
    print(f"largest N at which the pod delivered every frame it received: "
          f"{egress['largestCountWithoutDrops']['mediaPodDeliveredAllReceived']}")
    busy = [(name, c, r["window"]["otherLoadPercent"]) for name in results for c, r in results[name].items()
            if r.get("window") and r["window"]["otherLoadPercent"] > OTHER_LOAD_WARNING]
    if busy:
        print(f"note: other processes used > {OTHER_LOAD_WARNING:.0f} % of a core during "
              + ", ".join(f"{n} N={c} ({o:.0f} %)" for n, c, o in busy) + ": those figures are skewed")
    print(f"written to {args.output} (key \"egress\"); run took {egress['runSeconds']:.0f} s")
    for failure in failures:
        print(f"FAILED: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
