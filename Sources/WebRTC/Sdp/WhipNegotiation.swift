/// What a WHIP offer and our answer agreed on: the codecs, extensions and credentials the session runs with.
public struct NegotiatedMedia: Sendable, Equatable {
    public struct Video: Sendable, Equatable {
        public var mid: String
        public var payloadType: UInt8
        public var retransmissionPayloadType: UInt8?
        public var codec: RtpCodec
        /// SSRCs announced in the offer; nil when the offer announces none (learned from the first packet).
        public var ssrc: UInt32?
        public var retransmissionSsrc: UInt32?
        public var feedback: [String]
    }

    public struct Audio: Sendable, Equatable {
        public var mid: String
        public var payloadType: UInt8
        public var codec: RtpCodec
        public var ssrc: UInt32?
        public var feedback: [String]
    }

    public var video: Video
    public var audio: Audio
    public var remoteUfrag: String
    public var remotePassword: String
    public var remoteFingerprint: (algorithm: String, value: String)
    /// RFC 8285 id of the transport-wide sequence number, when both sides use transport-cc.
    public var transportSequenceExtensionId: UInt8?

    public static func == (lhs: NegotiatedMedia, rhs: NegotiatedMedia) -> Bool {
        lhs.video == rhs.video && lhs.audio == rhs.audio && lhs.remoteUfrag == rhs.remoteUfrag
            && lhs.remotePassword == rhs.remotePassword && lhs.remoteFingerprint == rhs.remoteFingerprint
            && lhs.transportSequenceExtensionId == rhs.transportSequenceExtensionId
    }
}

public enum OfferRejection: Error, Equatable, Sendable, CustomStringConvertible {
    /// The offer is not a usable WebRTC offer (HTTP 400).
    case malformed(String)
    /// The offer lacks a codec we need (HTTP 406).
    case unsupportedMedia(String)

    public var description: String {
        switch self {
        case .malformed(let reason), .unsupportedMedia(let reason): reason
        }
    }
}

/// What the media pod puts into every answer about itself.
public struct LocalIceParameters: Sendable {
    public var ufrag: String
    public var password: String
    public var fingerprint: String
    public var candidate: TransportAddress

    public init(ufrag: String, password: String, fingerprint: String, candidate: TransportAddress) {
        self.ufrag = ufrag
        self.password = password
        self.fingerprint = fingerprint
        self.candidate = candidate
    }

    /// RFC 8445 §5.3: ufrag ≥ 4 and password ≥ 22 characters of ice-char.
    public static func random(fingerprint: String, candidate: TransportAddress) -> LocalIceParameters {
        LocalIceParameters(ufrag: randomIceString(length: 8), password: randomIceString(length: 24),
                           fingerprint: fingerprint, candidate: candidate)
    }
}

private let iceAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")

func randomIceString(length: Int) -> String {
    var generator = SystemRandomNumberGenerator()
    return String((0..<length).map { _ in iceAlphabet.randomElement(using: &generator)! })
}

public enum WhipNegotiation {
    static let transportCcUri = "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"
    static let midUri = "urn:ietf:params:rtp-hdrext:sdes:mid"
    /// Feedback we act on; anything else the offer lists is not echoed back (RFC 4585 §4.2).
    static let supportedVideoFeedback = ["goog-remb", "transport-cc", "ccm fir", "nack", "nack pli"]

    /// Checks an offer and picks H.264 (packetization-mode 1) and Opus.
    public static func negotiate(_ offer: SessionDescription) throws(OfferRejection) -> NegotiatedMedia {
        guard !offer.media.isEmpty else { throw .malformed("the offer has no m= sections") }
        let bundle = offer.bundleMids
        guard !bundle.isEmpty else { throw .malformed("the offer must use BUNDLE (a=group:BUNDLE)") }

        guard let videoSection = offer.media.first(where: { $0.kind == "video" && $0.port != 0 || $0.kind == "video" && $0.hasAttribute("bundle-only") }) else {
            throw .unsupportedMedia("the offer has no video section")
        }
        guard let audioSection = offer.media.first(where: { $0.kind == "audio" && ($0.port != 0 || $0.hasAttribute("bundle-only")) }) else {
            throw .unsupportedMedia("the offer has no audio section")
        }
        for section in [videoSection, audioSection] {
            guard section.proto == "UDP/TLS/RTP/SAVPF" || section.proto == "UDP/TLS/RTP/SAVP" else {
                throw .malformed("\(section.kind) uses \(section.proto); WebRTC needs UDP/TLS/RTP/SAVPF")
            }
            guard let mid = section.mid, bundle.contains(mid) else {
                throw .malformed("the \(section.kind) section is not part of the BUNDLE group")
            }
            guard section.hasAttribute("rtcp-mux") else { throw .malformed("the \(section.kind) section lacks a=rtcp-mux") }
            guard section.direction == "sendonly" || section.direction == "sendrecv" else {
                throw .malformed("the \(section.kind) section is \(section.direction); a WHIP publisher must send")
            }
        }

        let ufrag = videoSection.attribute("ice-ufrag") ?? offer.sessionAttribute("ice-ufrag")
        let password = videoSection.attribute("ice-pwd") ?? offer.sessionAttribute("ice-pwd")
        guard let ufrag, let password, !ufrag.isEmpty, !password.isEmpty else {
            throw .malformed("the offer has no a=ice-ufrag/a=ice-pwd")
        }
        guard let fingerprintLine = videoSection.attribute("fingerprint") ?? offer.sessionAttribute("fingerprint") else {
            throw .malformed("the offer has no a=fingerprint")
        }
        let fingerprintParts = fingerprintLine.split(separator: " ")
        guard fingerprintParts.count == 2 else { throw .malformed("malformed a=fingerprint") }
        let setup = videoSection.attribute("setup") ?? offer.sessionAttribute("setup") ?? "actpass"
        // We answer setup:passive (the DTLS server), so the publisher must be able to be the client.
        guard setup == "actpass" || setup == "active" else {
            throw .malformed("a=setup:\(setup) is not supported; offer actpass or active")
        }

        let videoCodecs = videoSection.codecs
        guard let h264 = videoCodecs.first(where: {
            $0.name.uppercased() == "H264" && $0.clockRate == 90000 && $0.parameters["packetization-mode"] == "1"
        }) else {
            throw .unsupportedMedia("the offer has no H.264 with packetization-mode=1")
        }
        let rtx = videoCodecs.first {
            $0.name.lowercased() == "rtx" && $0.parameters["apt"] == String(h264.payloadType)
        }
        guard let opus = audioSection.codecs.first(where: { $0.name.lowercased() == "opus" && $0.clockRate == 48000 }) else {
            throw .unsupportedMedia("the offer has no Opus")
        }

        let transportCcId = videoSection.headerExtensions.first { $0.uri == transportCcUri }?.id
        let videoRtxPair = videoSection.retransmissionSsrcs.first
        return NegotiatedMedia(
            video: .init(
                mid: videoSection.mid!, payloadType: h264.payloadType, retransmissionPayloadType: rtx?.payloadType,
                codec: h264, ssrc: videoRtxPair?.media ?? videoSection.ssrcs.first, retransmissionSsrc: videoRtxPair?.rtx,
                feedback: h264.feedback.filter { supportedVideoFeedback.contains($0) }),
            audio: .init(
                mid: audioSection.mid!, payloadType: opus.payloadType, codec: opus, ssrc: audioSection.ssrcs.first,
                feedback: opus.feedback.filter { $0 == "transport-cc" }),
            remoteUfrag: ufrag, remotePassword: password,
            remoteFingerprint: (String(fingerprintParts[0]), String(fingerprintParts[1])),
            transportSequenceExtensionId: transportCcId)
    }

    /// Builds the SDP answer: ICE-lite with one host candidate, DTLS passive, BUNDLE + rtcp-mux, receive-only.
    /// `startBitrateKbps` becomes `x-google-start-bitrate` so Chrome starts high instead of ramping from ~300 kbps.
    public static func answer(
        offer: SessionDescription, negotiated: NegotiatedMedia, local: LocalIceParameters,
        maxBitrateKbps: Int, startBitrateKbps: Int, sessionId: UInt64
    ) -> String {
        var lines = [
            "v=0",
            "o=- \(sessionId) 2 IN IP4 127.0.0.1",
            "s=-",
            "t=0 0",
            "a=ice-lite",
        ]
        let acceptedMids = [negotiated.video.mid, negotiated.audio.mid]
        lines.append("a=group:BUNDLE " + offer.media.compactMap { $0.mid }.filter { acceptedMids.contains($0) }.joined(separator: " "))
        lines.append("a=msid-semantic: WMS")
        let address = local.candidate

        for section in offer.media {
            let accepted: Bool
            let formats: [UInt8]
            if section.mid == negotiated.video.mid {
                accepted = true
                formats = [negotiated.video.payloadType] + (negotiated.video.retransmissionPayloadType.map { [$0] } ?? [])
            } else if section.mid == negotiated.audio.mid {
                accepted = true
                formats = [negotiated.audio.payloadType]
            } else {
                accepted = false
                formats = []
            }
            guard accepted else {
                // RFC 8866 §5.14 / RFC 3264 §6: a rejected section keeps its place with port 0.
                lines.append("m=\(section.kind) 0 \(section.proto) \(section.formats.first ?? "0")")
                lines.append("c=IN IP4 0.0.0.0")
                if let mid = section.mid { lines.append("a=mid:\(mid)") }
                lines.append("a=inactive")
                continue
            }
            lines.append("m=\(section.kind) \(address.port) UDP/TLS/RTP/SAVPF " + formats.map(String.init).joined(separator: " "))
            lines.append("c=IN \(address.ip.count == 4 ? "IP4" : "IP6") \(address.ipText)")
            lines.append("a=mid:\(section.mid!)")
            lines.append("a=ice-ufrag:\(local.ufrag)")
            lines.append("a=ice-pwd:\(local.password)")
            lines.append("a=fingerprint:sha-256 \(local.fingerprint)")
            lines.append("a=setup:passive")
            lines.append("a=recvonly")
            lines.append("a=rtcp-mux")
            if section.hasAttribute("rtcp-rsize") { lines.append("a=rtcp-rsize") }
            for ext in section.headerExtensions where ext.uri == transportCcUri || ext.uri == midUri {
                lines.append("a=extmap:\(ext.id) \(ext.uri)")
            }
            if section.mid == negotiated.video.mid {
                let video = negotiated.video
                lines.append("a=rtpmap:\(video.payloadType) H264/90000")
                for feedback in video.feedback { lines.append("a=rtcp-fb:\(video.payloadType) \(feedback)") }
                var fmtp = video.codec.formatParameters ?? "packetization-mode=1"
                fmtp = fmtp.split(separator: ";").filter { !$0.hasPrefix("sprop-parameter-sets") }.joined(separator: ";")
                fmtp += ";x-google-start-bitrate=\(min(startBitrateKbps, maxBitrateKbps));x-google-max-bitrate=\(maxBitrateKbps)"
                lines.append("a=fmtp:\(video.payloadType) \(fmtp)")
                if let rtx = video.retransmissionPayloadType {
                    lines.append("a=rtpmap:\(rtx) rtx/90000")
                    lines.append("a=fmtp:\(rtx) apt=\(video.payloadType)")
                }
            } else {
                let audio = negotiated.audio
                lines.append("a=rtpmap:\(audio.payloadType) \(audio.codec.name)/48000/2")
                for feedback in audio.feedback { lines.append("a=rtcp-fb:\(audio.payloadType) \(feedback)") }
                lines.append("a=fmtp:\(audio.payloadType) \(audio.codec.formatParameters ?? "minptime=10;useinbandfec=1")")
            }
            lines.append("a=candidate:1 1 udp 2130706431 \(address.ipText) \(address.port) typ host")
            lines.append("a=end-of-candidates")
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }
}
