"""Real SDP offers made in-process with aiortc (no media is sent), for the HTTP-level tests."""

import asyncio

import aioice.ice
from aiortc import RTCConfiguration, RTCPeerConnection, RTCRtpSender


def _codecs(kind: str, mime_types: tuple) -> list:
    wanted = {m.lower() for m in mime_types}
    return [c for c in RTCRtpSender.getCapabilities(kind).codecs if c.mimeType.lower() in wanted]


async def _offer(video: tuple, audio: tuple) -> str:
    # One loopback host candidate; aioice would otherwise gather none on loopback (shared/PEERS.md).
    aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    try:
        if video:
            pc.addTransceiver("video", direction="sendonly").setCodecPreferences(_codecs("video", video))
        if audio:
            pc.addTransceiver("audio", direction="sendonly").setCodecPreferences(_codecs("audio", audio))
        await pc.setLocalDescription(await pc.createOffer())
        return pc.localDescription.sdp
    finally:
        await pc.close()


def aiortc_offer(video=("video/H264", "video/rtx"), audio=("audio/opus",)) -> str:
    """An aiortc offer with the given codecs (MIME types) per kind; an empty tuple leaves that kind out."""
    return asyncio.run(_offer(tuple(video), tuple(audio)))


def h264_opus_offer() -> str:
    return aiortc_offer()


def vp8_only_offer() -> str:
    return aiortc_offer(video=("video/VP8", "video/rtx"))


def h264_without_opus_offer() -> str:
    return aiortc_offer(audio=("audio/PCMU",))


def h264_mode0_only_offer() -> str:
    """H.264 offered in packetization-mode 0 only (aiortc itself only offers mode 1)."""
    return h264_opus_offer().replace("packetization-mode=1", "packetization-mode=0")
