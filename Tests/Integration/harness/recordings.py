"""What is in a recording the RTMP sinks wrote: ffprobe's view (streams, packets, warnings), the H.264 NAL units
byte for byte, and the flash/beep times of the A/V sync clip.

- `probe(path)`: `ffprobe -v warning -show_streams -show_format -show_packets -of json`; its warnings (stderr) are
  kept, and so are those of a copy-remux to FLV (`remux_warnings`), because "non monotonically increasing dts" is
  reported by a muxer, not by the demuxer ffprobe runs.
- `video_nals(path)`: the H.264 of a file as Annex B (FLV: `-bsf:v h264_mp4toannexb`; MPEG-TS already is), split
  into NAL units, each hashed. The egress may move SPS/PPS into the AVC sequence header and the bitstream filter
  puts them back in front of IDRs, so only the slices (types 1 and 5) are compared; SEI/SPS/PPS/AUD (6, 7, 8, 9) are
  ignored, and any other type in a recording is reported.
- `match_slices(recorded, reference)`: whether the recording's slices are one contiguous run of the reference's.
- `flash_times` / `beep_onsets`: decoded with PyAV, for the A/V sync check.
"""

import dataclasses
import functools
import hashlib
import json
import pathlib
import subprocess

IGNORED_NAL_TYPES = {6, 7, 8, 9}  # SEI, SPS, PPS, access unit delimiter
SLICE_NAL_TYPES = {1, 5}
NON_MONOTONIC_MARKERS = ("non monoton", "non-monoton")


@dataclasses.dataclass
class Probe:
    path: pathlib.Path
    streams: list
    format: dict
    packets: list
    warnings: str

    def stream(self, codec_type: str) -> dict:
        for stream in self.streams:
            if stream.get("codec_type") == codec_type:
                return stream
        return None

    @property
    def video(self) -> dict:
        return self.stream("video")

    @property
    def audio(self) -> dict:
        return self.stream("audio")

    def packets_of(self, codec_type: str) -> list:
        stream = self.stream(codec_type)
        if stream is None:
            return []
        return [p for p in self.packets if p.get("stream_index") == stream["index"]]

    @property
    def video_packets(self) -> list:
        return self.packets_of("video")

    @property
    def audio_packets(self) -> list:
        return self.packets_of("audio")

    def span(self, codec_type: str) -> float:
        """Seconds from the first packet's start to the last packet's end (by PTS, else DTS)."""
        packets = self.packets_of(codec_type)
        times = [_time(p) for p in packets if _time(p) is not None]
        if not times:
            return 0.0
        last = packets[-1]
        last_duration = float(last.get("duration_time") or 0)
        if last_duration == 0 and len(times) >= 2:
            last_duration = (max(times) - min(times)) / (len(times) - 1)
        return max(times) + last_duration - min(times)

    @property
    def media_span(self) -> float:
        """From the first packet of any stream to the end of the last one."""
        starts, ends = [], []
        for kind in ("video", "audio"):
            packets = self.packets_of(kind)
            times = [_time(p) for p in packets if _time(p) is not None]
            if times:
                starts.append(min(times))
                ends.append(min(times) + self.span(kind))
        return (max(ends) - min(starts)) if starts else 0.0

    @property
    def format_duration(self) -> float:
        value = self.format.get("duration")
        return float(value) if value not in (None, "N/A") else None

    def dts_problems(self, limit: int = 5) -> list:
        """Per stream, every place where the DTS does not increase (FLV timestamps are milliseconds; at 30 fps and
        21 ms AAC frames each packet must be later than the one before)."""
        problems = []
        for kind in ("video", "audio"):
            previous = None
            found = []
            for number, packet in enumerate(self.packets_of(kind)):
                dts = packet.get("dts_time")
                if dts is None:
                    found.append(f"{kind} packet {number} has no DTS")
                    continue
                dts = float(dts)
                if previous is not None and dts <= previous:
                    found.append(f"{kind} packet {number}: DTS {dts:.3f} after {previous:.3f}")
                previous = dts
            if found:
                problems.append(f"{len(found)} non-increasing {kind} DTS: {found[:limit]}")
        return problems

    def frame_rate(self) -> float:
        stream = self.video
        if not stream:
            return 0.0
        num, _, den = (stream.get("avg_frame_rate") or "0/1").partition("/")
        return float(num) / float(den or 1) if float(den or 1) else 0.0

    def summary(self) -> str:
        v, a = self.video or {}, self.audio or {}
        return (f"{self.path.name}: format duration {self.format_duration}, media span {self.media_span:.3f} s; "
                f"video {v.get('codec_name')} {v.get('profile')} {v.get('width')}x{v.get('height')} "
                f"{len(self.video_packets)} packets over {self.span('video'):.3f} s; "
                f"audio {a.get('codec_name')} {a.get('profile')} {a.get('sample_rate')} Hz "
                f"{a.get('channels')} ch {len(self.audio_packets)} packets over {self.span('audio'):.3f} s")


def _time(packet: dict) -> float:
    value = packet.get("pts_time", packet.get("dts_time"))
    return float(value) if value not in (None, "N/A") else None


def probe(path: pathlib.Path) -> Probe:
    result = subprocess.run(["ffprobe", "-v", "warning", "-show_streams", "-show_format", "-show_packets",
                             "-of", "json", str(path)], capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        raise AssertionError(f"ffprobe failed on {path} ({result.returncode}): {result.stderr.strip()[-2000:]}")
    data = json.loads(result.stdout or "{}")
    return Probe(pathlib.Path(path), data.get("streams", []), data.get("format", {}), data.get("packets", []),
                 result.stderr)


def remux_warnings(path: pathlib.Path) -> str:
    """Warnings of `ffmpeg -c copy` into FLV (discarded): the muxer is what checks DTS order."""
    result = subprocess.run(["ffmpeg", "-hide_banner", "-nostdin", "-v", "warning", "-i", str(path), "-map", "0",
                             "-c", "copy", "-f", "flv", "-y", "/dev/null"], capture_output=True, text=True,
                            timeout=60)
    return result.stderr + (f"\n(ffmpeg exited {result.returncode})" if result.returncode else "")


def non_monotonic_lines(*texts: str) -> list:
    lines = []
    for text in texts:
        lines += [line for line in text.splitlines() if any(m in line.lower() for m in NON_MONOTONIC_MARKERS)]
    return lines


# --- H.264 NAL units ---

@dataclasses.dataclass(frozen=True)
class Nal:
    type: int
    size: int
    digest: str

    def describe(self) -> str:
        return f"type {self.type}, {self.size} bytes, sha256 {self.digest[:16]}"


def annexb(path: pathlib.Path) -> bytes:
    """The file's first H.264 stream as an Annex B byte stream, without re-encoding."""
    command = ["ffmpeg", "-hide_banner", "-nostdin", "-v", "error", "-i", str(path), "-map", "0:v:0", "-c:v", "copy"]
    if pathlib.Path(path).suffix.lower() != ".ts":
        command += ["-bsf:v", "h264_mp4toannexb"]
    result = subprocess.run(command + ["-f", "h264", "-"], capture_output=True, timeout=120)
    if result.returncode != 0:
        raise AssertionError(f"could not extract H.264 from {path}: {result.stderr.decode(errors='replace')[-2000:]}")
    return result.stdout


def split_nals(stream: bytes) -> list:
    """NAL unit payloads (header byte first) of an Annex B stream. Zero bytes before a start code belong to the
    start code (or are trailing_zero_8bits), never to the NAL: a NAL unit never ends in 0x00."""
    nals = []
    position = stream.find(b"\x00\x00\x01")
    while position != -1:
        start = position + 3
        following = stream.find(b"\x00\x00\x01", start)
        end = following if following != -1 else len(stream)
        nal = stream[start:end].rstrip(b"\x00")
        if nal:
            nals.append(nal)
        position = following
    return nals


def hash_nals(stream: bytes) -> list:
    return [Nal(nal[0] & 0x1F, len(nal), hashlib.sha256(nal).hexdigest()) for nal in split_nals(stream)]


def video_nals(path: pathlib.Path) -> list:
    return hash_nals(annexb(path))


@functools.lru_cache(maxsize=8)
def reference_slices(path: str) -> tuple:
    """The slice NALs of a published clip (cached: the clip does not change within a run)."""
    return tuple(n for n in video_nals(pathlib.Path(path)) if n.type in SLICE_NAL_TYPES)


@dataclasses.dataclass
class SliceMatch:
    recorded: int              # slice NALs in the recording
    start: int = None          # index in the reference of the recording's first slice
    matched: int = 0           # how many recorded slices match the reference from `start` on
    mismatch: str = ""         # the first difference, if any
    unexpected_types: tuple = ()

    @property
    def identical(self) -> bool:
        return self.recorded > 0 and self.start is not None and self.matched == self.recorded

    def describe(self) -> str:
        if self.recorded == 0:
            return "the recording holds no H.264 slice NAL unit"
        if self.start is None:
            return f"the recording's first slice ({self.mismatch}) is nowhere in the published clip"
        text = (f"{self.matched} of {self.recorded} recorded slice NAL units are byte-identical to a contiguous "
                f"run of the published clip starting at its slice #{self.start}")
        if self.mismatch:
            text += f"; first difference: {self.mismatch}"
        return text


def match_slices(recorded_nals: list, reference: tuple) -> SliceMatch:
    """Whether the recorded slice NALs are reference[start:start+n] for some start (the recording begins wherever
    the destination started, and may end early)."""
    slices = [n for n in recorded_nals if n.type in SLICE_NAL_TYPES]
    unexpected = tuple(sorted({n.type for n in recorded_nals} - SLICE_NAL_TYPES - IGNORED_NAL_TYPES))
    result = SliceMatch(recorded=len(slices), unexpected_types=unexpected)
    if not slices:
        return result
    positions = [i for i, n in enumerate(reference) if n.digest == slices[0].digest]
    if not positions:
        result.mismatch = slices[0].describe()
        return result
    best = None
    for start in positions:
        matched = 0
        while (matched < len(slices) and start + matched < len(reference)
               and reference[start + matched].digest == slices[matched].digest):
            matched += 1
        if best is None or matched > best[1]:
            best = (start, matched)
    result.start, result.matched = best
    if result.matched < len(slices):
        k = result.matched
        other = reference[result.start + k].describe() if result.start + k < len(reference) else "the clip's end"
        result.mismatch = f"recorded slice #{k} ({slices[k].describe()}) vs clip slice #{result.start + k} ({other})"
    return result


# --- decoded pictures and sound (A/V sync, resolution) ---

def video_frames(path: pathlib.Path):
    """Yields (time in seconds, width, height, mean luma) for every decoded picture."""
    import av
    import numpy

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        for frame in container.decode(stream):
            if frame.pts is None:
                continue
            plane = frame.planes[0]
            luma = numpy.frombuffer(bytes(plane), numpy.uint8).reshape(plane.height, plane.line_size)
            yield float(frame.pts * frame.time_base), frame.width, frame.height, float(luma[:, :plane.width].mean())


def flash_times(frames: list, threshold: float = 128.0) -> list:
    """Times of the first picture of each run of bright pictures (mean luma above the threshold)."""
    times, previous_bright = [], False
    for at, _, _, luma in frames:
        bright = luma > threshold
        if bright and not previous_bright:
            times.append(at)
        previous_bright = bright
    return times


def audio_windows(path: pathlib.Path, window: float = 0.005):
    """(window start times, RMS per window) of the first audio stream, from each decoded frame's own timestamp."""
    import av
    import numpy

    starts, levels = [], []
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        for frame in container.decode(stream):
            if frame.pts is None:
                continue
            samples = frame.to_ndarray().astype(numpy.float64)
            channels = len(frame.layout.channels)
            if frame.format.is_planar:
                power = (samples * samples).mean(axis=0)  # planar: one row per channel
            else:
                interleaved = samples.reshape(-1, channels)
                power = (interleaved * interleaved).mean(axis=1)
            if frame.format.name.startswith("s16"):
                power = power / (32768.0 * 32768.0)
            rate = frame.sample_rate
            size = max(1, int(round(window * rate)))
            frame_start = float(frame.pts * frame.time_base)
            for offset in range(0, len(power), size):  # the last window of a frame may be shorter
                starts.append(frame_start + offset / rate)
                levels.append(float(numpy.sqrt(power[offset:offset + size].mean())))
    return starts, levels


def beep_onsets(starts: list, levels: list, quiet_before: float = 0.2) -> list:
    """Start times of windows whose RMS crosses a quarter of the loudest window after at least `quiet_before`
    seconds below it."""
    if not levels:
        return []
    threshold = 0.25 * max(levels)
    onsets, last_loud = [], None
    for at, level in zip(starts, levels):
        if level >= threshold:
            if last_loud is None or at - last_loud >= quiet_before:
                onsets.append(at)
            last_loud = at
    return onsets


# --- FLV video tags: the AVC sequence headers an RTMP egress sent ---

@dataclasses.dataclass
class AvcSequenceHeader:
    timestamp_ms: int      # the FLV tag's timestamp
    tag_index: int         # position among the file's video tags
    sps: tuple             # SPS NAL units (bytes), header byte first
    pps: tuple             # PPS NAL units (bytes)

    def describe(self) -> str:
        return (f"video tag #{self.tag_index} at {self.timestamp_ms} ms: {len(self.sps)} SPS "
                f"({', '.join(hashlib.sha256(s).hexdigest()[:12] for s in self.sps)}), {len(self.pps)} PPS")


def flv_video_tags(path: pathlib.Path) -> list:
    """(timestamp ms, frame type, AVCPacketType, payload after the 5-byte AVC video header) of every H.264 video
    tag of an FLV file, in file order."""
    data = pathlib.Path(path).read_bytes()
    if data[:3] != b"FLV":
        raise AssertionError(f"{path} is not an FLV file")
    position = int.from_bytes(data[5:9], "big") + 4  # header, then PreviousTagSize0
    tags = []
    while position + 11 <= len(data):
        tag_type = data[position] & 0x1F
        size = int.from_bytes(data[position + 1:position + 4], "big")
        timestamp = int.from_bytes(data[position + 4:position + 7], "big") | (data[position + 7] << 24)
        body = data[position + 11:position + 11 + size]
        if len(body) < size:
            break  # a truncated last tag
        if tag_type == 9 and len(body) >= 5 and body[0] & 0x0F == 7:
            tags.append((timestamp, body[0] >> 4, body[1], body[5:]))
        position += 11 + size + 4
    return tags


def parse_avc_decoder_configuration(record: bytes) -> tuple:
    """(SPS list, PPS list) of an AVCDecoderConfigurationRecord (ISO/IEC 14496-15 §5.2.4.1)."""
    if len(record) < 7 or record[0] != 1:
        raise ValueError(f"not an AVCDecoderConfigurationRecord: {record[:16].hex()}")
    position, lists = 5, []
    for count_mask in (0x1F, 0xFF):
        count = record[position] & count_mask
        position += 1
        units = []
        for _ in range(count):
            length = int.from_bytes(record[position:position + 2], "big")
            units.append(bytes(record[position + 2:position + 2 + length]))
            position += 2 + length
        lists.append(tuple(units))
    return lists[0], lists[1]


def avc_sequence_headers(path: pathlib.Path) -> list:
    """Every AVC sequence header (AVCPacketType 0) in an FLV file, in order."""
    headers = []
    for index, (timestamp, _, packet_type, payload) in enumerate(flv_video_tags(path)):
        if packet_type == 0:
            sps, pps = parse_avc_decoder_configuration(payload)
            headers.append(AvcSequenceHeader(timestamp, index, sps, pps))
    return headers


def parameter_sets(path: pathlib.Path) -> tuple:
    """(distinct SPS, distinct PPS) NAL units of a file's H.264 (Annex B), in order of first appearance."""
    sps, pps = [], []
    for nal in split_nals(annexb(path)):
        kind = nal[0] & 0x1F
        if kind == 7 and nal not in sps:
            sps.append(nal)
        elif kind == 8 and nal not in pps:
            pps.append(nal)
    return sps, pps
