import BroadcastAPI
import Foundation
import WebRTC

/// `spec.egress.rtpExport`: plain RTP to an external encoder, described by an SDP that
/// `ffmpeg -protocol_whitelist file,udp,rtp -i export.sdp` reads (the old system's external-FFmpeg mode).
enum RtpExport {
    /// Resolves the export host (an IPv4 literal or a name, e.g. a Service) to the two UDP targets.
    static func target(for export: BroadcastSpec.RtpExport) throws -> RtpExportTarget {
        guard let ip = TransportAddress(ipv4: export.host, port: 0)?.ip ?? resolveIPv4(export.host) else {
            throw RtpExportError(message: "spec.egress.rtpExport.host \(export.host) does not resolve to an IPv4 address")
        }
        return RtpExportTarget(video: TransportAddress(ip: ip, port: UInt16(export.videoPort)),
                               audio: TransportAddress(ip: ip, port: UInt16(export.audioPort)))
    }

    /// The SDP for the exported streams. Payload types are fixed by the export, so it is valid before a
    /// publisher connects; the H.264 profile comes from the current publisher when there is one.
    static func sessionDescription(for export: BroadcastSpec.RtpExport, broadcastKey: String, profileLevelId: String?) -> String {
        let video = RtpExportTarget.videoPayloadType, audio = RtpExportTarget.audioPayloadType
        var fmtp = "packetization-mode=1"
        if let profileLevelId { fmtp += ";profile-level-id=\(profileLevelId)" }
        return [
            "v=0",
            "o=- 0 0 IN IP4 127.0.0.1",
            "s=\(broadcastKey)",
            "c=IN IP4 \(export.host)",
            "t=0 0",
            "m=video \(export.videoPort) RTP/AVP \(video)",
            "a=rtpmap:\(video) H264/90000",
            "a=fmtp:\(video) \(fmtp)",
            "a=recvonly",
            "m=audio \(export.audioPort) RTP/AVP \(audio)",
            "a=rtpmap:\(audio) opus/48000/2",
            "a=recvonly",
        ].joined(separator: "\r\n") + "\r\n"
    }

    private static func resolveIPv4(_ host: String) -> [UInt8]? {
        var hints = addrinfo()
        hints.ai_family = AF_INET
        hints.ai_socktype = Int32(SOCK_DGRAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &result) == 0, let first = result else { return nil }
        defer { freeaddrinfo(result) }
        guard let address = first.pointee.ai_addr else { return nil }
        return address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { pointer in
            withUnsafeBytes(of: pointer.pointee.sin_addr.s_addr) { Array($0) }
        }
    }
}

struct RtpExportError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
