import Foundation
import Testing
@testable import WebRTC

private func fixture(_ name: String) throws -> SessionDescription {
    let url = try #require(Bundle.module.url(forResource: name, withExtension: "sdp", subdirectory: "Fixtures/sdp"))
    return try SessionDescription(parsing: String(contentsOf: url, encoding: .utf8))
}

private let local = LocalIceParameters(ufrag: "abcd1234", password: "0123456789abcdefghijklmn",
                                       fingerprint: "AA:BB", candidate: TransportAddress(ipv4: "192.0.2.9", port: 7882)!)

@Suite struct SdpNegotiationTests {
    @Test func chromeH264Offer() throws {
        let offer = try fixture("chrome-156-offer-h264")
        let media = try WhipNegotiation.negotiate(offer)
        // The offerer's first H.264 with packetization-mode=1, and its RTX.
        #expect(media.video.payloadType == 102)
        #expect(media.video.retransmissionPayloadType == 103)
        #expect(media.video.ssrc == 1587902249)
        #expect(media.video.retransmissionSsrc == 1221708322)
        #expect(media.audio.payloadType == 111)
        #expect(media.audio.ssrc == 752859060)
        #expect(media.transportSequenceExtensionId == 4)
        #expect(media.remoteUfrag == "OM3N")
        #expect(media.remoteFingerprint.algorithm == "sha-256")
        #expect(media.video.feedback.contains("transport-cc") && media.video.feedback.contains("nack"))

        let answer = WhipNegotiation.answer(offer: offer, negotiated: media, local: local, maxBitrateKbps: 4500,
                                            startBitrateKbps: 2500, sessionId: 1)
        let parsed = try SessionDescription(parsing: answer)
        #expect(parsed.sessionAttribute("ice-lite") == nil && parsed.sessionAttributes.contains { $0.name == "ice-lite" })
        #expect(parsed.bundleMids == ["0", "1"])
        #expect(parsed.media.count == 2)
        let video = parsed.media[0]
        #expect(video.formats == ["102", "103"])
        #expect(video.attribute("setup") == "passive")
        #expect(video.direction == "recvonly")
        #expect(video.hasAttribute("rtcp-mux"))
        #expect(video.allValues("candidate") == ["1 1 udp 2130706431 192.0.2.9 7882 typ host"])
        #expect(video.codecs[0].parameters["packetization-mode"] == "1")
        #expect(video.codecs[0].parameters["x-google-start-bitrate"] == "2500")
        #expect(video.codecs[1].parameters["apt"] == "102")
        #expect(video.headerExtensions.map(\.id) == [4, 9])
        #expect(parsed.media[1].codecs.map(\.name) == ["opus"])
    }

    @Test func chromeDefaultOfferPicksH264OverVp8() throws {
        let media = try WhipNegotiation.negotiate(try fixture("chrome-156-offer-default"))
        #expect(media.video.codec.name.uppercased() == "H264")
        #expect(media.video.codec.parameters["packetization-mode"] == "1")
        #expect(media.video.retransmissionPayloadType != nil)
    }

    @Test func gstreamerOfferWithBundleOnlyAudioAndNoRtx() throws {
        let offer = try fixture("gstreamer-1.22-webrtcbin-offer")
        let media = try WhipNegotiation.negotiate(offer)
        #expect(media.video.payloadType == 96)
        #expect(media.video.retransmissionPayloadType == nil)
        #expect(media.audio.mid == "audio1")
        #expect(media.transportSequenceExtensionId == nil)
        let answer = try SessionDescription(parsing: WhipNegotiation.answer(
            offer: offer, negotiated: media, local: local, maxBitrateKbps: 3000, startBitrateKbps: 2500, sessionId: 1))
        #expect(answer.bundleMids == ["video0", "audio1"])
        #expect(answer.media[1].port == 7882)
        // sprop-parameter-sets describe the offerer's stream, not ours.
        #expect(answer.media[0].codecs[0].parameters["sprop-parameter-sets"] == nil)
        #expect(answer.media[0].codecs[0].parameters["x-google-max-bitrate"] == "3000")
    }

    @Test func aiortcOffer() throws {
        let media = try WhipNegotiation.negotiate(try fixture("aiortc-1.16-offer-h264"))
        #expect(media.video.codec.name == "H264")
        #expect(media.video.retransmissionPayloadType != nil)
        #expect(media.audio.codec.name.lowercased() == "opus")
    }

    @Test func rejections() throws {
        let chrome = try String(contentsOf: Bundle.module.url(forResource: "chrome-156-offer-h264", withExtension: "sdp", subdirectory: "Fixtures/sdp")!, encoding: .utf8)
        #expect(throws: SdpError.self) { try SessionDescription(parsing: "hello") }
        #expect(throws: SdpError.self) { try SessionDescription(parsing: "v=0\r\nm=video\r\n") }
        let noH264 = chrome.replacingOccurrences(of: "H264/90000", with: "VP8/90000")
        #expect(throws: OfferRejection.unsupportedMedia("the offer has no H.264 with packetization-mode=1")) {
            try WhipNegotiation.negotiate(SessionDescription(parsing: noH264))
        }
        let noOpus = chrome.replacingOccurrences(of: "opus/48000/2", with: "ISAC/16000")
        #expect(throws: OfferRejection.unsupportedMedia("the offer has no Opus")) {
            try WhipNegotiation.negotiate(SessionDescription(parsing: noOpus))
        }
        let noFingerprint = chrome.split(separator: "\r\n").filter { !$0.hasPrefix("a=fingerprint") }.joined(separator: "\r\n")
        #expect(throws: OfferRejection.malformed("the offer has no a=fingerprint")) {
            try WhipNegotiation.negotiate(SessionDescription(parsing: noFingerprint))
        }
        let passive = chrome.replacingOccurrences(of: "a=setup:actpass", with: "a=setup:passive")
        #expect(throws: OfferRejection.self) { try WhipNegotiation.negotiate(SessionDescription(parsing: passive)) }
    }
}
