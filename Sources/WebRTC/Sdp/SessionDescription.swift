/// A parsed SDP (RFC 8866): lines kept as attributes, with accessors for what WebRTC negotiation reads.
public struct SessionDescription: Sendable {
    public var sessionAttributes: [SdpAttribute]
    public var media: [MediaDescription]

    public init(sessionAttributes: [SdpAttribute] = [], media: [MediaDescription] = []) {
        self.sessionAttributes = sessionAttributes
        self.media = media
    }

    /// Parses an offer; the error's description is a one-line reason fit for a 400 response.
    public init(parsing text: String) throws(SdpError) {
        sessionAttributes = []
        media = []
        var sawVersion = false
        for (index, rawLine) in text.split(omittingEmptySubsequences: true, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).enumerated() {
            let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine[...]
            if line.isEmpty { continue }
            guard line.count >= 2, line.dropFirst().first == "=" else {
                throw SdpError("line \(index + 1) is not of the form <type>=<value>")
            }
            let type = line.first!
            let value = String(line.dropFirst(2))
            if index == 0 {
                guard type == "v", value == "0" else { throw SdpError("an SDP must start with v=0") }
                sawVersion = true
                continue
            }
            switch type {
            case "m":
                media.append(try MediaDescription(mediaLine: value))
            case "a":
                let attribute = SdpAttribute(line: value)
                if media.isEmpty {
                    sessionAttributes.append(attribute)
                } else {
                    media[media.count - 1].attributes.append(attribute)
                }
            case "c":
                if !media.isEmpty { media[media.count - 1].connection = value }
            default:
                continue
            }
        }
        guard sawVersion else { throw SdpError("an SDP must start with v=0") }
    }

    public func sessionAttribute(_ name: String) -> String? {
        sessionAttributes.first { $0.name == name }?.value
    }

    /// The mids of the first `a=group:BUNDLE` line (RFC 9143).
    public var bundleMids: [String] {
        guard let group = sessionAttributes.first(where: { $0.name == "group" && ($0.value ?? "").hasPrefix("BUNDLE") })?.value
        else { return [] }
        return group.split(separator: " ").dropFirst().map(String.init)
    }
}

public struct SdpError: Error, Equatable, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

public struct SdpAttribute: Sendable, Equatable {
    public var name: String
    public var value: String?

    public init(name: String, value: String?) {
        self.name = name
        self.value = value
    }

    init(line: String) {
        if let colon = line.firstIndex(of: ":") {
            name = String(line[..<colon])
            value = String(line[line.index(after: colon)...])
        } else {
            name = line
            value = nil
        }
    }

    var line: String { value.map { "a=\(name):\($0)" } ?? "a=\(name)" }
}

public struct RtpCodec: Sendable, Equatable {
    public var payloadType: UInt8
    public var name: String
    public var clockRate: Int
    public var channels: Int?
    public var formatParameters: String?
    public var feedback: [String]

    /// `key=value` pairs of the fmtp line.
    public var parameters: [String: String] {
        var result: [String: String] = [:]
        for pair in (formatParameters ?? "").split(separator: ";") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            let key = parts[0].trimmingSpaces.lowercased()
            result[key] = parts.count > 1 ? parts[1].trimmingSpaces : ""
        }
        return result
    }
}

public struct MediaDescription: Sendable {
    public var kind: String
    public var port: Int
    public var proto: String
    public var formats: [String]
    public var connection: String?
    public var attributes: [SdpAttribute] = []

    init(mediaLine: String) throws(SdpError) {
        let fields = mediaLine.split(separator: " ")
        guard fields.count >= 4, let port = Int(fields[1]) else {
            throw SdpError("malformed m= line \"\(mediaLine.prefix(60))\"")
        }
        kind = String(fields[0])
        self.port = port
        proto = String(fields[2])
        formats = fields.dropFirst(3).map(String.init)
    }

    public func attribute(_ name: String) -> String? {
        attributes.first { $0.name == name }?.value
    }

    public func hasAttribute(_ name: String) -> Bool {
        attributes.contains { $0.name == name }
    }

    public func allValues(_ name: String) -> [String] {
        attributes.compactMap { $0.name == name ? $0.value : nil }
    }

    public var mid: String? { attribute("mid") }

    /// sendrecv when no direction is given (RFC 8866 §6.7).
    public var direction: String {
        for name in ["sendonly", "recvonly", "sendrecv", "inactive"] where hasAttribute(name) {
            return name
        }
        return "sendrecv"
    }

    /// Codecs in the order of the m= line (the offerer's preference).
    public var codecs: [RtpCodec] {
        var byPayloadType: [UInt8: RtpCodec] = [:]
        for value in allValues("rtpmap") {
            let parts = value.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, let payloadType = UInt8(parts[0]) else { continue }
            let encoding = parts[1].split(separator: "/")
            guard encoding.count >= 2, let clockRate = Int(encoding[1]) else { continue }
            byPayloadType[payloadType] = RtpCodec(
                payloadType: payloadType, name: String(encoding[0]), clockRate: clockRate,
                channels: encoding.count > 2 ? Int(encoding[2]) : nil, formatParameters: nil, feedback: [])
        }
        for value in allValues("fmtp") {
            let parts = value.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, let payloadType = UInt8(parts[0]) else { continue }
            byPayloadType[payloadType]?.formatParameters = String(parts[1])
        }
        for value in allValues("rtcp-fb") {
            let parts = value.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, let payloadType = UInt8(parts[0]) else { continue }
            byPayloadType[payloadType]?.feedback.append(String(parts[1]))
        }
        return formats.compactMap { UInt8($0).flatMap { byPayloadType[$0] } }
    }

    /// RFC 8285 header extensions: id → URI.
    public var headerExtensions: [(id: UInt8, uri: String)] {
        allValues("extmap").compactMap { value in
            let parts = value.split(separator: " ")
            guard parts.count >= 2, let id = UInt8(parts[0].split(separator: "/")[0]) else { return nil }
            return (id, String(parts[1]))
        }
    }

    /// SSRCs declared with a=ssrc, in order of first appearance.
    public var ssrcs: [UInt32] {
        var seen: [UInt32] = []
        for value in allValues("ssrc") {
            if let ssrc = value.split(separator: " ").first.flatMap({ UInt32($0) }), !seen.contains(ssrc) {
                seen.append(ssrc)
            }
        }
        return seen
    }

    /// `a=ssrc-group:FID <media> <rtx>` pairs (RFC 4588 §8.1).
    public var retransmissionSsrcs: [(media: UInt32, rtx: UInt32)] {
        allValues("ssrc-group").compactMap { value in
            let parts = value.split(separator: " ")
            guard parts.count == 3, parts[0] == "FID", let media = UInt32(parts[1]), let rtx = UInt32(parts[2]) else { return nil }
            return (media, rtx)
        }
    }
}

extension Substring {
    var trimmingSpaces: String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
