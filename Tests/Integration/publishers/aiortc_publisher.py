#!/usr/bin/env python3
"""WHIP publisher built on aiortc: H.264 + Opus passed through from a pre-encoded clip.

Usage:
    aiortc_publisher.py --whip-url URL --token TOKEN --clip CLIP.ts --duration SECONDS [--ice-address IP]
    aiortc_publisher.py --broadcast NAMESPACE/NAME --kubeconfig FILE --clip CLIP.ts --duration SECONDS

With --broadcast the publisher follows docs/publishers.md: it reads where to publish from the Broadcast's
`status.ingest.whipURL` and its token from the Secret `status.ingest.tokenSecretName` (key `token`), and when its
session fails or the Broadcast is reassigned (`status.assignment.epoch` changes) it reads them again and publishes
anew, until --duration seconds were published in total.

The clip must hold Annex B H.264 (an MPEG-TS file does) without B-frames, and Opus audio: aiortc's
MediaPlayer(decode=False) sends no video from MP4/MKV (see shared/PEERS.md), and passthrough keeps the CPU free
for the pod on a 2-core machine.

SIGTERM or SIGINT ends the publish early, as if --duration had passed (WHIP DELETE, then exit 0): a test can
publish "until it has seen enough".

Prints one line per step ("whip: POST 201 ...", "pc: connectionState=connected", ...) and ends with
"RESULT: ok" or "RESULT: error <reason>". Exit codes: 0 ok, 2 WHIP POST failed, 3 ICE/DTLS never connected,
4 connection failed while publishing, 5 WHIP DELETE failed, 1 anything else.
"""

import argparse
import asyncio
import base64
import signal
import sys
import time
import urllib.parse

import aioice.ice
import av
import requests
from aiortc import RTCConfiguration, RTCPeerConnection, RTCRtpSender, RTCSessionDescription
from aiortc.contrib.media import MediaPlayer


def log(message: str) -> None:
    print(f"[aiortc {time.monotonic():.3f}] {message}", flush=True)


def restrict_ice_to(address: str) -> None:
    # aioice never gathers loopback candidates and otherwise uses every interface of the machine
    # (shared/PEERS.md): offer exactly one host candidate on the address the test chose.
    aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: [address]


def prefer_h264(transceiver) -> None:
    codecs = RTCRtpSender.getCapabilities("video").codecs
    h264 = [c for c in codecs if c.mimeType.lower() == "video/h264"]
    rtx = [c for c in codecs if c.mimeType.lower() == "video/rtx"]
    if not h264:
        raise RuntimeError("aiortc offers no H.264 codec")
    transceiver.setCodecPreferences(h264 + rtx)


class WhipError(Exception):
    def __init__(self, exit_code: int, message: str) -> None:
        super().__init__(message)
        self.exit_code = exit_code


async def http(method: str, url: str, **kwargs) -> requests.Response:
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(None, lambda: requests.request(method, url, timeout=10, **kwargs))


async def wait_for_state(pc: RTCPeerConnection, wanted: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while pc.connectionState != wanted:
        if pc.connectionState in ("failed", "closed"):
            raise WhipError(3, f"connectionState={pc.connectionState} before {wanted}")
        if time.monotonic() > deadline:
            raise WhipError(3, f"connectionState still {pc.connectionState} after {timeout:.0f} s "
                               f"(iceConnectionState={pc.iceConnectionState})")
        await asyncio.sleep(0.05)


async def log_sender_stats(pc: RTCPeerConnection) -> None:
    for sender in pc.getSenders():
        if sender.track is None:
            continue
        stats = await sender.getStats()
        for item in stats.values():
            if item.type == "outbound-rtp":
                log(f"stats: {sender.track.kind} outbound-rtp packetsSent={item.packetsSent} "
                    f"bytesSent={item.bytesSent}")


def check_clip_length(clip: str, duration: float) -> None:
    """MediaPlayer stops at the clip's end (and a loop restarts timestamps, so it sends unpaced): the clip must
    outlast the publish, with room for connecting."""
    with av.open(clip) as container:
        seconds = (container.duration or 0) / av.time_base
    if seconds < duration + 3:
        raise WhipError(1, f"clip {clip} lasts {seconds:.1f} s, too short to publish {duration:.1f} s")


class BroadcastView:
    """The publisher's whole view of its Broadcast: the status and the token Secret, nothing else."""

    def __init__(self, kubeconfig: str, broadcast: str) -> None:
        from kubernetes import client, config
        self.namespace, self.name = broadcast.split("/", 1)
        api = config.new_client_from_config(config_file=kubeconfig)
        self.custom = client.CustomObjectsApi(api)
        self.core = client.CoreV1Api(api)

    def epoch(self):
        """The current assignment's epoch (None while unassigned or unreadable): cheap enough to poll."""
        from kubernetes.client.exceptions import ApiException
        try:
            obj = self.custom.get_namespaced_custom_object(
                "media.streamlick.io", "v1alpha1", self.namespace, "broadcasts", self.name)
        except ApiException:
            return None
        return ((obj.get("status") or {}).get("assignment") or {}).get("epoch")

    def target(self):
        """(whipURL, epoch, token) once the Broadcast is Scheduled somewhere, else None."""
        from kubernetes.client.exceptions import ApiException
        try:
            obj = self.custom.get_namespaced_custom_object(
                "media.streamlick.io", "v1alpha1", self.namespace, "broadcasts", self.name)
            status = obj.get("status") or {}
            ingest, assignment = status.get("ingest") or {}, status.get("assignment") or {}
            if not ingest.get("whipURL") or not assignment:
                return None
            secret = self.core.read_namespaced_secret(ingest["tokenSecretName"], self.namespace)
            token = base64.b64decode((secret.data or {}).get("token", "")).decode()
            return ingest["whipURL"], assignment.get("epoch"), token
        except ApiException as error:
            log(f"kube: {error.status} {error.reason}")
            return None


async def publish(args: argparse.Namespace) -> None:
    restrict_ice_to(args.ice_address)
    check_clip_length(args.clip, args.duration)
    stop_requested = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop_requested.set)
    if not args.broadcast:
        await publish_once(args, args.whip_url, args.token, args.duration, stop_requested, moved=None)
        return
    view = BroadcastView(args.kubeconfig, args.broadcast)
    loop = asyncio.get_running_loop()
    remaining = args.duration
    give_up_at = time.monotonic() + args.duration + 60
    while remaining > 0.1 and not stop_requested.is_set():
        target = await loop.run_in_executor(None, view.target)
        if target is None:
            if time.monotonic() > give_up_at:
                raise WhipError(2, f"Broadcast {args.broadcast} has no ingest URL")
            await asyncio.sleep(0.2)
            continue
        whip_url, epoch, token = target
        log(f"broadcast: epoch {epoch} at {whip_url}")

        async def moved() -> bool:
            current = await loop.run_in_executor(None, view.epoch)
            return current is not None and current != epoch

        try:
            published = await publish_once(args, whip_url, token, remaining, stop_requested, moved=moved)
        except WhipError as error:
            if time.monotonic() > give_up_at:
                raise
            log(f"session failed ({error}); reading the Broadcast's status again")
            await asyncio.sleep(0.2)
            continue
        remaining -= published
        if remaining > 0.1:
            log(f"session ended after {published:.1f} s; {remaining:.1f} s left to publish")


async def publish_once(args, whip_url: str, token: str, duration: float, stop_requested, moved) -> float:
    """One WHIP session; returns the seconds it published. Without `moved` a failure while publishing is an error;
    with it, the session also ends when `moved()` says the Broadcast went elsewhere."""
    player = MediaPlayer(args.clip, decode=False)
    if player.video is None or player.audio is None:
        raise WhipError(1, f"clip {args.clip} must hold H.264 video and Opus audio for passthrough")

    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))

    @pc.on("connectionstatechange")
    def on_state() -> None:
        log(f"pc: connectionState={pc.connectionState} iceConnectionState={pc.iceConnectionState}")

    video = pc.addTransceiver(player.video, direction="sendonly")
    prefer_h264(video)
    pc.addTransceiver(player.audio, direction="sendonly")

    location = None
    published = 0.0
    ended_by_move = False
    try:
        # aiortc gathers every candidate inside setLocalDescription: the offer is complete (no trickle).
        await pc.setLocalDescription(await pc.createOffer())
        offer = pc.localDescription.sdp
        if args.print_offer:
            log("offer:\n" + offer)
        try:
            response = await http("POST", whip_url, data=offer.encode(),
                                  headers={"Content-Type": "application/sdp", "Authorization": f"Bearer {token}"})
        except requests.RequestException as error:
            raise WhipError(2, f"POST failed: {error}") from None
        log(f"whip: POST {response.status_code} location={response.headers.get('Location')!r} "
            f"content-type={response.headers.get('Content-Type')!r}")
        if response.status_code != 201:
            raise WhipError(2, f"POST answered {response.status_code}: {response.text.strip()[:500]!r}")
        if not response.headers.get("Location"):
            raise WhipError(2, "POST answered 201 without a Location header")
        location = urllib.parse.urljoin(whip_url, response.headers["Location"])
        if args.print_answer:
            log("answer:\n" + response.text)
        await pc.setRemoteDescription(RTCSessionDescription(sdp=response.text, type="answer"))

        await wait_for_state(pc, "connected", args.connect_timeout)
        log(f"publishing for {duration:.1f} s")
        started = time.monotonic()
        deadline = started + duration
        next_check = started + 0.25
        while time.monotonic() < deadline:
            published = time.monotonic() - started
            if pc.connectionState != "connected":
                if moved is not None:
                    log(f"connectionState={pc.connectionState} while publishing")
                    ended_by_move = True
                    break
                raise WhipError(4, f"connectionState={pc.connectionState} while publishing")
            if stop_requested.is_set():
                log("publishing ended early: signal received")
                break
            if moved is not None and time.monotonic() >= next_check:
                next_check = time.monotonic() + 0.25
                if await moved():
                    log("the Broadcast was reassigned")
                    ended_by_move = True
                    break
            await asyncio.sleep(0.05)
        published = time.monotonic() - started
        await log_sender_stats(pc)
    finally:
        delete_ok = True
        if location is not None and not args.no_delete:
            try:
                response = await http("DELETE", location, headers={"Authorization": f"Bearer {token}"})
                log(f"whip: DELETE {response.status_code}")
                delete_ok = response.status_code in (200, 204)
            except requests.RequestException as error:
                log(f"whip: DELETE failed: {error}")
                delete_ok = False
        await pc.close()
    # The old pod of a reassigned Broadcast may be gone: its DELETE failing is expected.
    if not delete_ok and not ended_by_move:
        raise WhipError(5, "DELETE of the WHIP session failed")
    return published


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--whip-url")
    parser.add_argument("--token")
    parser.add_argument("--broadcast", help="NAMESPACE/NAME: follow the Broadcast's status (docs/publishers.md)")
    parser.add_argument("--kubeconfig", help="with --broadcast: credentials that can read it and its token Secret")
    parser.add_argument("--clip", required=True, help="MPEG-TS with H.264 (no B-frames) and Opus")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds to publish once connected")
    parser.add_argument("--ice-address", default="127.0.0.1", help="the only address to gather a candidate on")
    parser.add_argument("--connect-timeout", type=float, default=15.0)
    parser.add_argument("--no-delete", action="store_true", help="leave the session without a WHIP DELETE")
    parser.add_argument("--print-offer", action="store_true")
    parser.add_argument("--print-answer", action="store_true")
    args = parser.parse_args()
    if not ((args.whip_url and args.token) or (args.broadcast and args.kubeconfig)):
        parser.error("give --whip-url and --token, or --broadcast and --kubeconfig")
    try:
        asyncio.run(publish(args))
    except WhipError as error:
        log(f"RESULT: error {error}")
        return error.exit_code
    except Exception as error:  # a crash must still end in a RESULT line the test can show
        log(f"RESULT: error {type(error).__name__}: {error}")
        return 1
    log("RESULT: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
