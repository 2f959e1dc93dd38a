"""A stand-in WHIP endpoint for checking the publishers without the media pod.

Two modes:
- `reject` (default): records each offer in --record-dir and answers 500 — enough to check that a publisher
  produces an offer with H.264 and Opus, and that a cross-origin page gets through the CORS preflight.
- `aiortc`: answers with aiortc and counts the decoded frames it receives (printed once a second) — a check of
  the publisher's whole media path. aiortc answers `a=setup:active`; with --passive aiortc is made the DTLS
  server before it answers, so the answer says `passive`, as GStreamer's webrtcbin needs (shared/PEERS.md).

Run: python3 -m harness.stub_whip --port 18999 [--mode aiortc --ice-address 127.0.0.1]
"""

import argparse
import asyncio
import http.server
import itertools
import json
import pathlib
import sys
import threading
import time

CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "POST, PATCH, DELETE, OPTIONS",
    "Access-Control-Allow-Headers": "Authorization, Content-Type",
    "Access-Control-Expose-Headers": "Location",
}


def log(message: str) -> None:
    print(f"[stub {time.monotonic():.3f}] {message}", flush=True)


class AiortcAnswerer:
    """Owns the asyncio loop (in its own thread) on which the aiortc sessions run."""

    def __init__(self, ice_address: str, passive: bool) -> None:
        import aioice.ice

        # aioice gathers no loopback candidate by itself (shared/PEERS.md).
        aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: [ice_address]
        self.passive = passive
        self.sessions = {}
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()
        asyncio.run_coroutine_threadsafe(self.report(), self.loop)

    def answer(self, number: int, offer: str) -> str:
        return asyncio.run_coroutine_threadsafe(self._answer(number, offer), self.loop).result(timeout=20)

    def close(self, number: int) -> None:
        asyncio.run_coroutine_threadsafe(self._close(number), self.loop).result(timeout=20)

    async def _answer(self, number: int, offer: str) -> str:
        from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        counts = {"video": 0, "audio": 0, "size": None}
        self.sessions[number] = (pc, counts)

        @pc.on("connectionstatechange")
        def on_state() -> None:
            log(f"session {number}: connectionState={pc.connectionState}")

        @pc.on("track")
        def on_track(track) -> None:
            async def consume() -> None:
                while True:
                    try:
                        frame = await track.recv()
                    except Exception:
                        return
                    counts[track.kind] += 1
                    if track.kind == "video":
                        counts["size"] = (frame.width, frame.height)
            asyncio.ensure_future(consume())

        await pc.setRemoteDescription(RTCSessionDescription(sdp=offer, type="offer"))
        if self.passive:
            # Be the DTLS server, so the answer says a=setup:passive.
            for transceiver in pc.getTransceivers():
                transceiver.receiver.transport._set_role("server")
        await pc.setLocalDescription(await pc.createAnswer())
        return pc.localDescription.sdp

    async def _close(self, number: int) -> None:
        pc, counts = self.sessions.pop(number, (None, None))
        if pc is not None:
            log(f"session {number}: final counts {counts}")
            await pc.close()

    async def report(self) -> None:
        while True:
            await asyncio.sleep(1)
            for number, (pc, counts) in list(self.sessions.items()):
                log(f"session {number}: {counts}")


class StubHandler(http.server.BaseHTTPRequestHandler):
    server_version = "stub-whip"
    counter = itertools.count(1)
    record_dir = None
    answerer = None

    def log_message(self, format: str, *args) -> None:
        pass

    def reply(self, status: int, body: bytes = b"", headers: dict = None) -> None:
        self.send_response(status)
        for name, value in {**CORS_HEADERS, **(headers or {})}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def body(self) -> str:
        return self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()

    def do_OPTIONS(self) -> None:
        log(f"OPTIONS {self.path} origin={self.headers.get('Origin')!r}")
        self.reply(204)

    def do_POST(self) -> None:
        number = next(self.counter)
        offer = self.body()
        log(f"POST {self.path} content-type={self.headers.get('Content-Type')!r} "
            f"authorization={self.headers.get('Authorization')!r} origin={self.headers.get('Origin')!r} "
            f"bytes={len(offer)}")
        if self.record_dir is not None:
            self.record_dir.mkdir(parents=True, exist_ok=True)
            (self.record_dir / f"offer-{number}.sdp").write_text(offer)
            (self.record_dir / f"offer-{number}.json").write_text(json.dumps(
                {"path": self.path, "headers": dict(self.headers)}))
        if self.answerer is None:
            self.reply(500, b"stub rejects every offer\n", {"Content-Type": "text/plain"})
            return
        answer = self.answerer.answer(number, offer)
        self.reply(201, answer.encode(), {"Content-Type": "application/sdp",
                                          "Location": f"{self.path}/sessions/{number}"})

    def do_PATCH(self) -> None:
        log(f"PATCH {self.path} content-type={self.headers.get('Content-Type')!r}: {self.body()!r}")
        self.reply(204)

    def do_DELETE(self) -> None:
        log(f"DELETE {self.path}")
        if self.answerer is not None:
            self.answerer.close(int(self.path.rsplit("/", 1)[-1]))
        self.reply(200)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="0.0.0.0")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--mode", choices=("reject", "aiortc"), default="reject")
    parser.add_argument("--ice-address", default="127.0.0.1")
    parser.add_argument("--passive", action="store_true")
    parser.add_argument("--record-dir")
    args = parser.parse_args()
    StubHandler.record_dir = pathlib.Path(args.record_dir) if args.record_dir else None
    if args.mode == "aiortc":
        StubHandler.answerer = AiortcAnswerer(args.ice_address, args.passive)
    server = http.server.ThreadingHTTPServer((args.host, args.port), StubHandler)
    log(f"listening on {args.host}:{args.port} mode={args.mode}")
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
