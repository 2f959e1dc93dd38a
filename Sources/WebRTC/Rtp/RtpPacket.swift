// RTP packet parsing and serialisation (RFC 3550 §5.1), header extensions (RFC 8285),
// RTP/RTCP demultiplexing on one port (RFC 5761 §4) and sequence number unwrapping (RFC 3550 A.1).

/// One RFC 8285 header extension element. `id` is the local identifier negotiated with
/// `a=extmap` in SDP; `data` is the element's value without the element header.
public struct RtpHeaderExtension: Sendable, Equatable {
    public var id: UInt8
    public var data: [UInt8]

    public init(id: UInt8, data: [UInt8]) {
        self.id = id
        self.data = data
    }
}

public enum RtpParseError: Error, Sendable, Equatable {
    /// Fewer than the 12 bytes of the fixed header.
    case truncatedHeader
    /// The version field is not 2 (RFC 3550 §5.1).
    case unsupportedVersion(UInt8)
    /// The CSRC count points past the end of the packet.
    case truncatedCsrcList
    /// The header extension's profile/length word, or the length it announces, is past the end.
    case truncatedHeaderExtension
    /// The padding count is zero or larger than what follows the header (RFC 3550 §5.1: the
    /// count includes itself, so it is at least 1).
    case invalidPadding
}

public struct RtpPacket: Sendable, Equatable {
    public var marker: Bool
    public var payloadType: UInt8
    public var sequenceNumber: UInt16
    public var timestamp: UInt32
    public var ssrc: UInt32
    public var csrcs: [UInt32]
    public var extensions: [RtpHeaderExtension]
    /// The payload with any RTP padding removed.
    public var payload: [UInt8]

    public init(
        marker: Bool = false,
        payloadType: UInt8,
        sequenceNumber: UInt16,
        timestamp: UInt32,
        ssrc: UInt32,
        csrcs: [UInt32] = [],
        extensions: [RtpHeaderExtension] = [],
        payload: [UInt8] = []
    ) {
        self.marker = marker
        self.payloadType = payloadType
        self.sequenceNumber = sequenceNumber
        self.timestamp = timestamp
        self.ssrc = ssrc
        self.csrcs = csrcs
        self.extensions = extensions
        self.payload = payload
    }

    static let fixedHeaderSize = 12
    /// RFC 8285 §4.2.
    static let oneByteProfile: UInt16 = 0xBEDE
    /// RFC 8285 §4.3: 0x100 followed by 4 "appbits" the sender may use freely.
    static let twoByteProfile: UInt16 = 0x1000

    public init(parsing bytes: some Collection<UInt8>) throws(RtpParseError) {
        let b = Array(bytes)
        guard b.count >= Self.fixedHeaderSize else { throw .truncatedHeader }
        let version = b[0] >> 6
        guard version == 2 else { throw .unsupportedVersion(version) }
        let hasPadding = b[0] & 0x20 != 0
        let hasExtension = b[0] & 0x10 != 0
        let csrcCount = Int(b[0] & 0x0F)

        marker = b[1] & 0x80 != 0
        payloadType = b[1] & 0x7F
        sequenceNumber = readUInt16(b, 2)
        timestamp = readUInt32(b, 4)
        ssrc = readUInt32(b, 8)

        var offset = Self.fixedHeaderSize
        guard b.count >= offset + 4 * csrcCount else { throw .truncatedCsrcList }
        var csrcs: [UInt32] = []
        csrcs.reserveCapacity(csrcCount)
        for _ in 0..<csrcCount {
            csrcs.append(readUInt32(b, offset))
            offset += 4
        }
        self.csrcs = csrcs

        var extensions: [RtpHeaderExtension] = []
        if hasExtension {
            // RFC 3550 §5.3.1: 16-bit profile, 16-bit length in 32-bit words excluding this word.
            guard b.count >= offset + 4 else { throw .truncatedHeaderExtension }
            let profile = readUInt16(b, offset)
            let words = Int(readUInt16(b, offset + 2))
            offset += 4
            let end = offset + 4 * words
            guard end <= b.count else { throw .truncatedHeaderExtension }
            if profile == Self.oneByteProfile {
                extensions = Self.parseOneByteElements(b, from: offset, to: end)
            } else if profile & 0xFFF0 == Self.twoByteProfile {
                extensions = Self.parseTwoByteElements(b, from: offset, to: end)
            }
            // Any other profile is an RFC 3550 extension nobody negotiated with us: skipped.
            offset = end
        }
        self.extensions = extensions

        var payloadEnd = b.count
        if hasPadding {
            let paddingCount = Int(b[b.count - 1])
            guard paddingCount >= 1, paddingCount <= payloadEnd - offset else { throw .invalidPadding }
            payloadEnd -= paddingCount
        }
        payload = Array(b[offset..<payloadEnd])
    }

    /// The data of the first extension element with this local id.
    public func extensionData(id: UInt8) -> [UInt8]? {
        extensions.first(where: { $0.id == id })?.data
    }

    /// RFC 5761 §4: RTCP packet types (SR=200, RR=201, RTPFB=205, PSFB=206, ...) sit in 192...223
    /// in the second byte, where RTP has the marker bit and payload types 64...95; that is why
    /// those payload types must not be used when RTP and RTCP share a port.
    public static func isRtcp(_ bytes: some Collection<UInt8>) -> Bool {
        guard let second = bytes.dropFirst().first else { return false }
        return (192...223).contains(second)
    }

    /// Writes the header extensions in the one-byte form when every element allows it
    /// (RFC 8285 §4.2: ids 1...14, 1...16 bytes of data), otherwise in the two-byte form (§4.3).
    /// Preconditions: at most 15 CSRCs, payload type below 128, extension ids 1...255 with at most
    /// 255 bytes of data; violating them is a programming error, not a property of received input.
    public func serialized() -> [UInt8] {
        precondition(csrcs.count <= 15, "RTP carries at most 15 CSRCs")
        precondition(payloadType < 128, "RTP payload type is 7 bits")
        var out: [UInt8] = []
        out.reserveCapacity(Self.fixedHeaderSize + 4 * csrcs.count + payload.count + 4 + extensions.count * 8)
        out.append(0x80 | (extensions.isEmpty ? 0 : 0x10) | UInt8(csrcs.count))
        out.append((marker ? 0x80 : 0) | payloadType)
        appendUInt16(&out, sequenceNumber)
        appendUInt32(&out, timestamp)
        appendUInt32(&out, ssrc)
        for csrc in csrcs {
            appendUInt32(&out, csrc)
        }
        if !extensions.isEmpty {
            appendExtensionBlock(to: &out)
        }
        out.append(contentsOf: payload)
        return out
    }

    private func appendExtensionBlock(to out: inout [UInt8]) {
        let oneByte = extensions.allSatisfy { (1...14).contains($0.id) && (1...16).contains($0.data.count) }
        let headerStart = out.count
        let profile = oneByte ? Self.oneByteProfile : Self.twoByteProfile
        appendUInt16(&out, profile)
        appendUInt16(&out, 0)  // length in words, written once known
        let elementsStart = out.count
        for element in extensions {
            if oneByte {
                out.append(element.id << 4 | UInt8(element.data.count - 1))
            } else {
                precondition(element.id != 0, "extension id 0 is reserved for padding (RFC 8285 §4.1.2)")
                precondition(element.data.count <= 255, "two-byte extension data is at most 255 bytes")
                out.append(element.id)
                out.append(UInt8(element.data.count))
            }
            out.append(contentsOf: element.data)
        }
        // RFC 3550 §5.3.1: the extension is a whole number of 32-bit words; zero bytes are the
        // padding RFC 8285 §4.1.2 allows after the last element.
        while (out.count - elementsStart) % 4 != 0 {
            out.append(0)
        }
        writeUInt16(&out, headerStart + 2, UInt16((out.count - elementsStart) / 4))
    }

    /// RFC 8285 §4.2. A malformed element (length past the block) ends parsing but keeps the
    /// elements before it, as libwebrtc does: the media is still usable without the extension.
    private static func parseOneByteElements(_ b: [UInt8], from start: Int, to end: Int) -> [RtpHeaderExtension] {
        var elements: [RtpHeaderExtension] = []
        var i = start
        while i < end {
            // RFC 8285 §4.1.2: zero bytes are padding between or after elements.
            if b[i] == 0 {
                i += 1
                continue
            }
            // RFC 8285 §4.2 and §4.1.2: id 15, or id 0 with a non-zero length, ends processing of
            // the whole extension; only the elements before it count.
            let id = b[i] >> 4
            if id == 15 || id == 0 { break }
            let length = Int(b[i] & 0x0F) + 1
            i += 1
            guard i + length <= end else { break }
            elements.append(RtpHeaderExtension(id: id, data: Array(b[i..<i + length])))
            i += length
        }
        return elements
    }

    /// RFC 8285 §4.3: one byte id, one byte length (which may be 0).
    private static func parseTwoByteElements(_ b: [UInt8], from start: Int, to end: Int) -> [RtpHeaderExtension] {
        var elements: [RtpHeaderExtension] = []
        var i = start
        while i < end {
            let id = b[i]
            if id == 0 {  // padding (RFC 8285 §4.1.2)
                i += 1
                continue
            }
            guard i + 2 <= end else { break }
            let length = Int(b[i + 1])
            i += 2
            guard i + length <= end else { break }
            elements.append(RtpHeaderExtension(id: id, data: Array(b[i..<i + length])))
            i += length
        }
        return elements
    }
}

/// Extends 16-bit RTP sequence numbers to a monotonic 64-bit space.
///
/// RFC 3550 A.1 counts wrap-arounds relative to the highest sequence number seen; here a new
/// number is placed at the nearest distance (at most ±32768) from that highest value, so a late
/// packet from before a wrap (65535 after 0) unwraps to a smaller value, not to the next cycle.
/// Measuring from the highest rather than the last number keeps a reordered old packet from
/// moving the reference backwards. The first number unwraps to itself, so values can be
/// negative for packets that arrive late from before the first one.
public struct SequenceNumberUnwrapper: Sendable {
    private var highest: Int64?

    public init() {}

    public mutating func unwrap(_ seq: UInt16) -> Int64 {
        guard let highest else {
            highest = Int64(seq)
            return Int64(seq)
        }
        let delta = Int64(Int16(bitPattern: seq &- UInt16(truncatingIfNeeded: highest)))
        let value = highest + delta
        if value > highest {
            self.highest = value
        }
        return value
    }
}
