#!/usr/bin/python3
"""WHIP publisher built on GStreamer's webrtcbin: 1280x720@30 x264 (constrained baseline) + Opus test sources.

Usage (Debian's Python, which has gi + Gst; the pyenv python3 first on PATH does not):
    /usr/bin/python3 gst_publisher.py --whip-url URL --token TOKEN --duration SECONDS

Run it inside a network namespace with a non-loopback interface: libnice never gathers loopback candidates
(shared/PEERS.md). Steps: build the pipeline, create the offer, wait (bounded) for ICE gathering to complete, POST it,
trickle any candidate found after the POST with PATCH (application/trickle-ice-sdpfrag), apply the answer, publish
for --duration seconds once connected, DELETE.

Prints one line per step and ends with "RESULT: ok" or "RESULT: error <reason>". Exit codes: 0 ok, 2 WHIP POST
failed, 3 never connected, 4 connection lost while publishing, 5 DELETE failed, 1 anything else.
"""

import argparse
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstSdp", "1.0")
gi.require_version("GstWebRTC", "1.0")
from gi.repository import GLib, Gst, GstSdp, GstWebRTC  # noqa: E402

PIPELINE = """
webrtcbin name=webrtc bundle-policy=max-bundle
videotestsrc is-live=true pattern={pattern}
  ! video/x-raw,width=1280,height=720,framerate=30/1
  ! queue leaky=downstream max-size-buffers=2 max-size-bytes=0 max-size-time=0
  ! x264enc tune=zerolatency speed-preset=ultrafast bitrate={bitrate} key-int-max=60 threads=2
  ! video/x-h264,profile=constrained-baseline,stream-format=byte-stream
  ! rtph264pay name=videopay config-interval=-1 aggregate-mode=zero-latency pt=96
  ! application/x-rtp,media=video,encoding-name=H264,payload=96,clock-rate=90000,packetization-mode=(string)1,profile-level-id=(string)42c01f
  ! queue leaky=downstream max-size-buffers=200 max-size-bytes=0 max-size-time=0
  ! webrtc.
audiotestsrc is-live=true wave=sine freq=440
  ! audioconvert ! audioresample ! audio/x-raw,rate=48000,channels=2
  ! opusenc bitrate=64000 frame-size=20
  ! rtpopuspay name=audiopay pt=111
  ! application/x-rtp,media=audio,encoding-name=OPUS,payload=111,clock-rate=48000
  ! queue leaky=downstream max-size-buffers=50 max-size-bytes=0 max-size-time=0
  ! webrtc.
"""

EXIT_POST, EXIT_CONNECT, EXIT_LOST, EXIT_DELETE = 2, 3, 4, 5


def log(message: str) -> None:
    print(f"[gst {time.monotonic():.3f}] {message}", flush=True)


class PublishError(Exception):
    def __init__(self, exit_code: int, message: str) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def http(method: str, url: str, body: bytes = None, headers: dict = None):
    """Returns (status, headers, text); HTTP error statuses are results, not exceptions."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read().decode(errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode(errors="replace")


class Publisher:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.pipeline = Gst.parse_launch(PIPELINE.format(pattern=args.pattern, bitrate=args.bitrate_kbps))
        self.webrtc = self.pipeline.get_by_name("webrtc")
        self.negotiation_needed = threading.Event()
        self.offer_ready = threading.Event()
        self.gathering_complete = threading.Event()
        self.failure = None
        self.location = None
        self.posted = False
        self.late_candidates = []
        self.lock = threading.Lock()
        self.ice_ufrag = self.ice_pwd = None
        self.webrtc.connect("on-negotiation-needed", self.on_negotiation_needed)
        self.webrtc.connect("on-ice-candidate", self.on_ice_candidate)
        self.webrtc.connect("notify::ice-gathering-state", self.on_gathering_state)
        self.webrtc.connect("notify::connection-state", self.on_connection_state)
        bus = self.pipeline.get_bus()
        bus.add_signal_watch()
        bus.connect("message::error", self.on_error)
        bus.connect("message::warning", self.on_warning)

    # --- webrtcbin callbacks (streaming or main-loop threads) ---

    def on_negotiation_needed(self, element) -> None:
        self.negotiation_needed.set()

    def create_offer(self) -> None:
        """Waits for the payloaders' caps first: webrtcbin builds the offer from the caps it has at that moment,
        and before x264enc has negotiated, the H.264 fmtp lacks packetization-mode and sprop-parameter-sets
        (seen here: "a=fmtp:96 profile-level-id=42c01f" alone)."""
        if not self.negotiation_needed.wait(10):
            raise PublishError(1, "webrtcbin never asked for negotiation")
        deadline = time.monotonic() + 10
        for name in ("videopay", "audiopay"):
            pad = self.pipeline.get_by_name(name).get_static_pad("src")
            while pad.get_current_caps() is None:
                self.raise_failure()
                if time.monotonic() > deadline:
                    raise PublishError(1, f"{name} has no negotiated caps after 10 s")
                time.sleep(0.02)
            log(f"{name} caps: {pad.get_current_caps().to_string()[:300]}")
        for index in range(2):
            transceiver = self.webrtc.emit("get-transceiver", index)
            if transceiver is not None:
                transceiver.set_property("direction", GstWebRTC.WebRTCRTPTransceiverDirection.SENDONLY)
        promise = Gst.Promise.new_with_change_func(self.on_offer_created, None)
        self.webrtc.emit("create-offer", None, promise)

    def on_offer_created(self, promise, _data) -> None:
        promise.wait()
        reply = promise.get_reply()
        offer = reply.get_value("offer") if reply is not None else None
        if offer is None:
            self.fail(1, f"create-offer gave no offer: {reply}")
            return
        self.webrtc.emit("set-local-description", offer, None)
        log("offer created, gathering ICE candidates")
        self.offer_ready.set()

    def on_ice_candidate(self, element, mline_index: int, candidate: str) -> None:
        with self.lock:
            if not self.posted:
                return  # already part of the local description sent with the POST
            self.late_candidates.append((mline_index, candidate))
        log(f"late candidate (will PATCH): {candidate}")
        GLib.idle_add(self.send_trickle)

    def on_gathering_state(self, element, _pspec) -> None:
        state = self.webrtc.get_property("ice-gathering-state")
        log(f"iceGatheringState={state.value_nick}")
        if state == GstWebRTC.WebRTCICEGatheringState.COMPLETE:
            self.gathering_complete.set()
            with self.lock:
                posted = self.posted
            if posted:
                GLib.idle_add(self.send_trickle, True)

    def on_connection_state(self, element, _pspec) -> None:
        state = self.webrtc.get_property("connection-state")
        ice = self.webrtc.get_property("ice-connection-state")
        log(f"connectionState={state.value_nick} iceConnectionState={ice.value_nick}")

    def on_error(self, bus, message) -> None:
        error, debug = message.parse_error()
        self.fail(1, f"pipeline error from {message.src.get_name()}: {error.message} ({debug})")

    def on_warning(self, bus, message) -> None:
        warning, debug = message.parse_warning()
        log(f"pipeline warning from {message.src.get_name()}: {warning.message}")

    def fail(self, exit_code: int, message: str) -> None:
        if self.failure is None:
            self.failure = PublishError(exit_code, message)
            log(f"failure: {message}")

    # --- WHIP ---

    def local_sdp(self) -> str:
        return self.webrtc.get_property("local-description").sdp.as_text()

    def offer_text(self, complete: bool) -> str:
        """The local description, with a=end-of-candidates after the candidates when gathering is complete
        (webrtcbin never writes it, shared/PEERS.md)."""
        sdp = self.local_sdp()
        if not complete:
            return sdp
        out = []
        lines = sdp.replace("\r\n", "\n").rstrip("\n").split("\n")
        for index, line in enumerate(lines):
            out.append(line)
            next_line = lines[index + 1] if index + 1 < len(lines) else ""
            if line.startswith("a=candidate:") and not next_line.startswith("a=candidate:"):
                out.append("a=end-of-candidates")
        return "\r\n".join(out) + "\r\n"

    def send_trickle(self, end_of_candidates: bool = False) -> bool:
        """PATCH the candidates found after the POST (RFC 8840 SDP fragment)."""
        with self.lock:
            candidates, self.late_candidates = self.late_candidates, []
        if self.location is None or (not candidates and not end_of_candidates):
            return False
        message = self.webrtc.get_property("local-description").sdp
        first = message.get_media(0)
        fragment = [f"a=ice-ufrag:{first.get_attribute_val('ice-ufrag') or message.get_attribute_val('ice-ufrag')}",
                    f"a=ice-pwd:{first.get_attribute_val('ice-pwd') or message.get_attribute_val('ice-pwd')}",
                    f"m={first.get_media()} 9 {first.get_proto()} {' '.join(first.get_format(i) for i in range(first.formats_len()))}",
                    f"a=mid:{first.get_attribute_val('mid')}"]
        fragment += [f"a={candidate}" if not candidate.startswith("a=") else candidate
                     for _mline, candidate in candidates]
        if end_of_candidates:
            fragment.append("a=end-of-candidates")
        status, _headers, text = http("PATCH", self.location, "\r\n".join(fragment).encode() + b"\r\n",
                                      {"Content-Type": "application/trickle-ice-sdpfrag",
                                       "Authorization": f"Bearer {self.args.token}"})
        log(f"whip: PATCH {status} ({len(candidates)} candidates, end={end_of_candidates}) {text.strip()[:200]!r}")
        return False

    def post_offer(self) -> str:
        complete = self.gathering_complete.wait(self.args.gathering_timeout)
        if not complete:
            log(f"ICE gathering not complete after {self.args.gathering_timeout:.1f} s: POST now, trickle the rest")
        with self.lock:
            offer = self.offer_text(complete)
            self.posted = True
        if self.args.print_offer:
            log("offer:\n" + offer)
        status, headers, text = http("POST", self.args.whip_url, offer.encode(),
                                     {"Content-Type": "application/sdp",
                                      "Authorization": f"Bearer {self.args.token}"})
        log(f"whip: POST {status} location={headers.get('Location')!r} content-type={headers.get('Content-Type')!r}")
        if status != 201:
            raise PublishError(EXIT_POST, f"POST answered {status}: {text.strip()[:500]!r}")
        if not headers.get("Location"):
            raise PublishError(EXIT_POST, "POST answered 201 without a Location header")
        self.location = urllib.parse.urljoin(self.args.whip_url, headers["Location"])
        GLib.idle_add(self.send_trickle, complete is False and self.gathering_complete.is_set())
        return text

    def apply_answer(self, answer: str) -> None:
        result, message = GstSdp.SDPMessage.new()
        if GstSdp.sdp_message_parse_buffer(answer.encode(), message) != GstSdp.SDPResult.OK:
            raise PublishError(EXIT_POST, "answer is not parseable SDP")
        description = GstWebRTC.WebRTCSessionDescription.new(GstWebRTC.WebRTCSDPType.ANSWER, message)
        promise = Gst.Promise.new()
        self.webrtc.emit("set-remote-description", description, promise)
        promise.wait()
        reply = promise.get_reply()
        if reply is not None and reply.has_field("error"):
            raise PublishError(EXIT_POST, f"set-remote-description failed: {reply.get_value('error')}")
        log("answer applied")

    def connection_state(self):
        return self.webrtc.get_property("connection-state")

    def wait_connected(self) -> None:
        deadline = time.monotonic() + self.args.connect_timeout
        connected = GstWebRTC.WebRTCPeerConnectionState.CONNECTED
        while self.connection_state() != connected:
            self.raise_failure()
            if self.connection_state() == GstWebRTC.WebRTCPeerConnectionState.FAILED:
                raise PublishError(EXIT_CONNECT, "connectionState=failed")
            if time.monotonic() > deadline:
                raise PublishError(EXIT_CONNECT, f"not connected after {self.args.connect_timeout:.0f} s "
                                                 f"(connectionState={self.connection_state().value_nick})")
            time.sleep(0.05)

    def raise_failure(self) -> None:
        if self.failure is not None:
            raise self.failure

    def log_stats(self) -> None:
        promise = Gst.Promise.new()
        self.webrtc.emit("get-stats", None, promise)
        promise.wait()
        reply = promise.get_reply()
        if reply is None:
            return
        lines = []

        def visit(field_id, value, _data):
            if isinstance(value, Gst.Structure) and value.get_name() == "application/x-webrtc-stats":
                kind = value.get_value("type")
                if kind == GstWebRTC.WebRTCStatsType.OUTBOUND_RTP:
                    lines.append(f"outbound-rtp ssrc={value.get_value('ssrc')} "
                                 f"packets-sent={value.get_value('packets-sent')} "
                                 f"bytes-sent={value.get_value('bytes-sent')}")
            return True

        reply.foreach(visit, None)
        for line in lines:
            log(f"stats: {line}")

    def run(self) -> None:
        loop = GLib.MainLoop()
        threading.Thread(target=loop.run, daemon=True).start()
        try:
            if self.pipeline.set_state(Gst.State.PLAYING) == Gst.StateChangeReturn.FAILURE:
                raise PublishError(1, "pipeline refused to start (missing plugin?)")
            self.create_offer()
            if not self.offer_ready.wait(10):
                self.raise_failure()
                raise PublishError(1, "no offer within 10 s")
            answer = self.post_offer()
            if self.args.print_answer:
                log("answer:\n" + answer)
            self.apply_answer(answer)
            self.wait_connected()
            log(f"publishing for {self.args.duration:.1f} s")
            deadline = time.monotonic() + self.args.duration
            while time.monotonic() < deadline:
                self.raise_failure()
                if self.connection_state() != GstWebRTC.WebRTCPeerConnectionState.CONNECTED:
                    raise PublishError(EXIT_LOST, f"connectionState={self.connection_state().value_nick} "
                                                  "while publishing")
                time.sleep(0.1)
            self.log_stats()
        finally:
            if self.location is not None:
                status, _headers, text = http("DELETE", self.location,
                                              headers={"Authorization": f"Bearer {self.args.token}"})
                log(f"whip: DELETE {status}")
                delete_ok = status in (200, 204)
            else:
                delete_ok = True
            self.pipeline.set_state(Gst.State.NULL)
            loop.quit()
        if not delete_ok:
            raise PublishError(EXIT_DELETE, f"DELETE answered {status}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--whip-url", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds to publish once connected")
    parser.add_argument("--pattern", default="snow", help="videotestsrc pattern (snow: ~1.5 Mbit/s at 720p)")
    parser.add_argument("--bitrate-kbps", type=int, default=2000)
    parser.add_argument("--gathering-timeout", type=float, default=5.0)
    parser.add_argument("--connect-timeout", type=float, default=15.0)
    parser.add_argument("--print-offer", action="store_true")
    parser.add_argument("--print-answer", action="store_true")
    args = parser.parse_args()
    Gst.init(None)
    missing = [name for name in ("webrtcbin", "x264enc", "rtph264pay", "opusenc", "rtpopuspay", "videotestsrc",
                                 "audiotestsrc", "nicesrc") if Gst.ElementFactory.find(name) is None]
    if missing:
        log(f"RESULT: error missing GStreamer elements {missing} (gstreamer1.0-plugins-bad/-ugly/-good, "
            "gstreamer1.0-nice)")
        return 1
    try:
        Publisher(args).run()
    except PublishError as error:
        log(f"RESULT: error {error}")
        return error.exit_code
    except Exception as error:
        log(f"RESULT: error {type(error).__name__}: {error}")
        return 1
    log("RESULT: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
