// RTCP as a WebRTC receiver meets it: browsers send SR, SDES, BYE and feedback to us, and we send RR, NACK, PLI,
// REMB and transport-cc back. RFC 3550 §6 (SR, RR, SDES, BYE, compound packets), RFC 4585 §6 (feedback messages),
// RFC 5104 §4.3.1 (FIR), draft-alvestrand-rmcat-remb-03 (REMB).

/// One packet out of an RTCP compound packet.
public enum RtcpPacket: Sendable, Equatable {
    case senderReport(SenderReport)
    case receiverReport(ReceiverReport)
    /// SDES (RFC 3550 §6.5). Its items are not kept: streams are mapped by the SSRCs in the SDP, not by CNAME.
    case sourceDescription
    case goodbye(ssrcs: [UInt32])
    case genericNack(GenericNack)
    case pictureLossIndication(PictureLossIndication)
    /// One case per FCI entry. `mediaSsrc` comes from the entry, because RFC 5104 §4.3.1.2 leaves the header's media
    /// source SSRC at zero and addresses each FIR entry to its own SSRC.
    case fullIntraRequest(senderSsrc: UInt32, mediaSsrc: UInt32)
    case remb(Remb)
    /// draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1; `TransportWideFeedback.parse` decodes the statuses.
    case transportFeedback(senderSsrc: UInt32, mediaSsrc: UInt32)
    /// Any other packet type (APP, XR, …) or feedback format; `format` is the 5-bit count/FMT field.
    case other(packetType: UInt8, format: UInt8)
}

/// Why an RTCP compound packet was rejected. Offsets are byte offsets into the buffer given to the parser.
public enum RtcpParseError: Error, Sendable, Equatable {
    /// Fewer than the 4 bytes of a common header (RFC 3550 §6.4.1) where a packet should start; also an empty buffer.
    case truncatedHeader(offset: Int)
    /// RFC 3550 §6.4.1: the version field must be 2. Anything else is not RTCP (or is a mis-demultiplexed packet).
    case unsupportedVersion(UInt8, offset: Int)
    /// The length field announces more bytes than the buffer holds.
    case lengthPastEnd(offset: Int, declaredBytes: Int, availableBytes: Int)
    /// RFC 3550 §6.4.1: with P set, the last octet counts the padding including itself; zero or more than the
    /// packet body is invalid.
    case invalidPadding(offset: Int, paddingBytes: Int)
    /// The body is too short for what its header announces (report count, FCI, REMB SSRC count, TWCC chunks).
    case malformedPacket(packetType: UInt8, format: UInt8, offset: Int)
}

public enum Rtcp {
    /// Splits an RTCP compound packet (RFC 3550 §6.1) into its packets.
    ///
    /// The first packet is not required to be SR or RR (the RFC 3550 A.2 check): RFC 5506 reduced-size RTCP, which
    /// Chrome uses when `a=rtcp-rsize` is negotiated, sends feedback packets on their own.
    /// Any single malformed packet rejects the whole compound, as RFC 3550 A.2 asks of receivers.
    public static func parseCompound(_ bytes: some Collection<UInt8>) throws(RtcpParseError) -> [RtcpPacket] {
        let bytes = Array(bytes)
        guard !bytes.isEmpty else { throw .truncatedHeader(offset: 0) }
        var packets: [RtcpPacket] = []
        var offset = 0
        while offset < bytes.count {
            let header = try RtcpHeader(parsing: bytes, at: offset)
            try appendPackets(of: header, in: bytes, to: &packets)
            offset = header.packetEnd
        }
        return packets
    }

    private static func appendPackets(
        of header: RtcpHeader, in bytes: [UInt8], to packets: inout [RtcpPacket]
    ) throws(RtcpParseError) {
        var reader = RtcpReader(bytes, header: header)
        switch header.packetType {
        case RtcpPacketType.senderReport:
            packets.append(.senderReport(try SenderReport(reading: &reader, reportCount: header.countOrFormat)))
        case RtcpPacketType.receiverReport:
            packets.append(.receiverReport(try ReceiverReport(reading: &reader, reportCount: header.countOrFormat)))
        case RtcpPacketType.sourceDescription:
            packets.append(.sourceDescription)
        case RtcpPacketType.goodbye:
            // RFC 3550 §6.6: SC SSRCs, then an optional reason we have no use for.
            var ssrcs: [UInt32] = []
            for _ in 0..<header.countOrFormat { ssrcs.append(try reader.uint32()) }
            packets.append(.goodbye(ssrcs: ssrcs))
        case RtcpPacketType.transportLayerFeedback:
            try appendTransportLayerFeedback(header: header, reader: &reader, to: &packets)
        case RtcpPacketType.payloadSpecificFeedback:
            try appendPayloadSpecificFeedback(header: header, reader: &reader, to: &packets)
        default:
            packets.append(.other(packetType: header.packetType, format: header.countOrFormat))
        }
    }

    // RFC 4585 §6.2: RTPFB, transport layer feedback.
    private static func appendTransportLayerFeedback(
        header: RtcpHeader, reader: inout RtcpReader, to packets: inout [RtcpPacket]
    ) throws(RtcpParseError) {
        switch header.countOrFormat {
        case RtcpFeedbackFormat.genericNack:
            packets.append(.genericNack(try GenericNack(reading: &reader)))
        case RtcpFeedbackFormat.transportWideCongestionControl:
            let senderSsrc = try reader.uint32()
            let mediaSsrc = try reader.uint32()
            packets.append(.transportFeedback(senderSsrc: senderSsrc, mediaSsrc: mediaSsrc))
        default:
            packets.append(.other(packetType: header.packetType, format: header.countOrFormat))
        }
    }

    // RFC 4585 §6.3: PSFB, payload-specific feedback.
    private static func appendPayloadSpecificFeedback(
        header: RtcpHeader, reader: inout RtcpReader, to packets: inout [RtcpPacket]
    ) throws(RtcpParseError) {
        switch header.countOrFormat {
        case RtcpFeedbackFormat.pictureLossIndication:
            packets.append(.pictureLossIndication(try PictureLossIndication(reading: &reader)))
        case RtcpFeedbackFormat.fullIntraRequest:
            let senderSsrc = try reader.uint32()
            _ = try reader.uint32()
            // RFC 5104 §4.3.1.2: one or more 8-byte entries (SSRC, command sequence number, 24 reserved bits).
            guard reader.remaining >= 8 else { throw reader.malformed() }
            while reader.remaining >= 8 {
                let mediaSsrc = try reader.uint32()
                try reader.skip(4)
                packets.append(.fullIntraRequest(senderSsrc: senderSsrc, mediaSsrc: mediaSsrc))
            }
        case RtcpFeedbackFormat.applicationLayerFeedback where Remb.hasIdentifier(reader):
            packets.append(.remb(try Remb(reading: &reader)))
        default:
            packets.append(.other(packetType: header.packetType, format: header.countOrFormat))
        }
    }
}

// MARK: - Sender and receiver reports (RFC 3550 §6.4)

/// RFC 3550 §6.4.1 report block: what a receiver says about one source.
public struct ReportBlock: Sendable, Equatable {
    public var ssrc: UInt32
    /// Fraction of packets lost since the previous report, in 1/256.
    public var fractionLost: UInt8
    /// Cumulative packets lost; a 24-bit signed field on the wire (negative when duplicates arrived).
    public var cumulativeLost: Int32
    public var extendedHighestSequence: UInt32
    /// Interarrival jitter in RTP timestamp units.
    public var jitter: UInt32
    /// Middle 32 bits of the NTP timestamp of the last SR received from this source, 0 if none.
    public var lastSenderReport: UInt32
    /// Time since that SR was received, in 1/65536 s, 0 if none.
    public var delaySinceLastSenderReport: UInt32

    public init(
        ssrc: UInt32, fractionLost: UInt8, cumulativeLost: Int32, extendedHighestSequence: UInt32, jitter: UInt32,
        lastSenderReport: UInt32, delaySinceLastSenderReport: UInt32
    ) {
        self.ssrc = ssrc
        self.fractionLost = fractionLost
        self.cumulativeLost = cumulativeLost
        self.extendedHighestSequence = extendedHighestSequence
        self.jitter = jitter
        self.lastSenderReport = lastSenderReport
        self.delaySinceLastSenderReport = delaySinceLastSenderReport
    }

    /// The 24 bytes of the block as it appears inside an SR or RR.
    public func serialized() -> [UInt8] {
        var writer = RtcpWriter()
        write(to: &writer)
        return writer.bytes
    }

    static let byteCount = 24
    /// RFC 3550 §6.4.1 clamps the cumulative count to the 24-bit signed range rather than letting it wrap.
    static let cumulativeLostRange: ClosedRange<Int64> = -0x80_0000...0x7F_FFFF

    func write(to writer: inout RtcpWriter) {
        writer.append(ssrc)
        writer.append(fractionLost)
        let lost = Int32(min(max(Int64(cumulativeLost), Self.cumulativeLostRange.lowerBound),
                             Self.cumulativeLostRange.upperBound))
        writer.appendUInt24(UInt32(bitPattern: lost) & 0xFF_FFFF)
        writer.append(extendedHighestSequence)
        writer.append(jitter)
        writer.append(lastSenderReport)
        writer.append(delaySinceLastSenderReport)
    }

    init(reading reader: inout RtcpReader) throws(RtcpParseError) {
        ssrc = try reader.uint32()
        fractionLost = try reader.uint8()
        // Sign-extend the 24-bit field.
        cumulativeLost = Int32(bitPattern: try reader.uint24() << 8) >> 8
        extendedHighestSequence = try reader.uint32()
        jitter = try reader.uint32()
        lastSenderReport = try reader.uint32()
        delaySinceLastSenderReport = try reader.uint32()
    }

    /// RFC 3550 §6.4.1: RC is 5 bits, so one SR or RR carries at most 31 blocks.
    static let maxPerPacket = 31

    /// RR packets of up to 31 blocks each; RFC 3550 §6.4.2 sends blocks beyond an SR's 31 this way.
    static func writeInReceiverReports(
        _ blocks: ArraySlice<ReportBlock>, senderSsrc: UInt32, to writer: inout RtcpWriter
    ) {
        var remaining = blocks
        while !remaining.isEmpty {
            let chunk = remaining.prefix(maxPerPacket)
            remaining = remaining.dropFirst(chunk.count)
            writer.appendPacket(countOrFormat: UInt8(chunk.count), packetType: RtcpPacketType.receiverReport) { body in
                body.append(senderSsrc)
                for block in chunk { block.write(to: &body) }
            }
        }
    }
}

/// RFC 3550 §6.4.1 sender report.
public struct SenderReport: Sendable, Equatable {
    public var ssrc: UInt32
    /// 64-bit NTP timestamp (seconds since 1900 in the high 32 bits, fraction in the low 32).
    public var ntpTimestamp: UInt64
    /// The RTP timestamp that corresponds to `ntpTimestamp`; with it, streams are placed on one timeline.
    public var rtpTimestamp: UInt32
    public var packetCount: UInt32
    public var octetCount: UInt32
    public var reportBlocks: [ReportBlock]

    public init(
        ssrc: UInt32, ntpTimestamp: UInt64, rtpTimestamp: UInt32, packetCount: UInt32, octetCount: UInt32,
        reportBlocks: [ReportBlock] = []
    ) {
        self.ssrc = ssrc
        self.ntpTimestamp = ntpTimestamp
        self.rtpTimestamp = rtpTimestamp
        self.packetCount = packetCount
        self.octetCount = octetCount
        self.reportBlocks = reportBlocks
    }

    /// The SR, followed by RR packets when there are more than 31 report blocks (RFC 3550 §6.4.2).
    public func serialized() -> [UInt8] {
        var writer = RtcpWriter()
        let first = reportBlocks.prefix(ReportBlock.maxPerPacket)
        writer.appendPacket(countOrFormat: UInt8(first.count), packetType: RtcpPacketType.senderReport) { body in
            body.append(ssrc)
            body.append(ntpTimestamp)
            body.append(rtpTimestamp)
            body.append(packetCount)
            body.append(octetCount)
            for block in first { block.write(to: &body) }
        }
        ReportBlock.writeInReceiverReports(reportBlocks.dropFirst(first.count), senderSsrc: ssrc, to: &writer)
        return writer.bytes
    }

    init(reading reader: inout RtcpReader, reportCount: UInt8) throws(RtcpParseError) {
        ssrc = try reader.uint32()
        ntpTimestamp = try reader.uint64()
        rtpTimestamp = try reader.uint32()
        packetCount = try reader.uint32()
        octetCount = try reader.uint32()
        reportBlocks = []
        for _ in 0..<reportCount { reportBlocks.append(try ReportBlock(reading: &reader)) }
        // Bytes after the blocks are profile-specific extensions (RFC 3550 §6.4.1); none are used in WebRTC.
    }
}

/// RFC 3550 §6.4.2 receiver report.
public struct ReceiverReport: Sendable, Equatable {
    public var senderSsrc: UInt32
    public var reportBlocks: [ReportBlock]

    public init(senderSsrc: UInt32, reportBlocks: [ReportBlock]) {
        self.senderSsrc = senderSsrc
        self.reportBlocks = reportBlocks
    }

    /// One RR per 31 report blocks; with no blocks, the empty RR that RFC 3550 §6.4.2 uses to start a compound.
    public func serialized() -> [UInt8] {
        var writer = RtcpWriter()
        if reportBlocks.isEmpty {
            writer.appendPacket(countOrFormat: 0, packetType: RtcpPacketType.receiverReport) { body in
                body.append(senderSsrc)
            }
        } else {
            ReportBlock.writeInReceiverReports(reportBlocks[...], senderSsrc: senderSsrc, to: &writer)
        }
        return writer.bytes
    }

    init(reading reader: inout RtcpReader, reportCount: UInt8) throws(RtcpParseError) {
        senderSsrc = try reader.uint32()
        reportBlocks = []
        for _ in 0..<reportCount { reportBlocks.append(try ReportBlock(reading: &reader)) }
    }
}

// MARK: - Feedback messages (RFC 4585 §6)

/// RFC 4585 §6.2.1 Generic NACK: the sequence numbers a receiver wants retransmitted.
public struct GenericNack: Sendable, Equatable {
    public var senderSsrc: UInt32
    public var mediaSsrc: UInt32
    /// When parsed: in the order of the FCI entries, each PID followed by the BLP bits from low to high.
    public var lostSequenceNumbers: [UInt16]

    public init(senderSsrc: UInt32, mediaSsrc: UInt32, lostSequenceNumbers: [UInt16]) {
        self.senderSsrc = senderSsrc
        self.mediaSsrc = mediaSsrc
        self.lostSequenceNumbers = lostSequenceNumbers
    }

    /// Packs the sequence numbers into PID + BLP entries (RFC 4585 §6.2.1): each entry covers its PID and the 16
    /// numbers after it. Duplicates are dropped and the order is rebuilt modulo 2^16, starting after the widest gap,
    /// so a list that spans 65535 → 0 packs as one run. An empty list gives a packet with no FCI entries.
    public func serialized() -> [UInt8] {
        var writer = RtcpWriter()
        writer.appendPacket(
            countOrFormat: RtcpFeedbackFormat.genericNack, packetType: RtcpPacketType.transportLayerFeedback
        ) { body in
            body.append(senderSsrc)
            body.append(mediaSsrc)
            let ordered = Self.orderedModulo16Bits(lostSequenceNumbers)
            var index = 0
            while index < ordered.count {
                let packetId = ordered[index]
                var bitmask: UInt16 = 0
                index += 1
                while index < ordered.count {
                    let distance = ordered[index] &- packetId
                    guard distance <= 16 else { break }
                    bitmask |= 1 << (distance - 1)
                    index += 1
                }
                body.append(packetId)
                body.append(bitmask)
            }
        }
        return writer.bytes
    }

    /// Distinct sequence numbers in circular order, beginning right after the largest gap between neighbours.
    private static func orderedModulo16Bits(_ sequenceNumbers: [UInt16]) -> [UInt16] {
        let sorted = Set(sequenceNumbers).sorted()
        guard let first = sorted.first, let last = sorted.last else { return [] }
        var start = 0
        var widestGap = Int(first) + 0x1_0000 - Int(last)
        for index in sorted.indices.dropFirst() {
            let gap = Int(sorted[index]) - Int(sorted[index - 1])
            if gap > widestGap {
                widestGap = gap
                start = index
            }
        }
        return Array(sorted[start...] + sorted[..<start])
    }

    init(reading reader: inout RtcpReader) throws(RtcpParseError) {
        senderSsrc = try reader.uint32()
        mediaSsrc = try reader.uint32()
        lostSequenceNumbers = []
        while reader.remaining >= 4 {
            let packetId = try reader.uint16()
            let bitmask = try reader.uint16()
            lostSequenceNumbers.append(packetId)
            for bit in 0..<16 where bitmask & (1 << bit) != 0 {
                lostSequenceNumbers.append(packetId &+ UInt16(bit + 1))
            }
        }
    }
}

/// RFC 4585 §6.3.1 Picture Loss Indication: asks the sender for a keyframe.
public struct PictureLossIndication: Sendable, Equatable {
    public var senderSsrc: UInt32
    public var mediaSsrc: UInt32

    public init(senderSsrc: UInt32, mediaSsrc: UInt32) {
        self.senderSsrc = senderSsrc
        self.mediaSsrc = mediaSsrc
    }

    public func serialized() -> [UInt8] {
        var writer = RtcpWriter()
        writer.appendPacket(
            countOrFormat: RtcpFeedbackFormat.pictureLossIndication, packetType: RtcpPacketType.payloadSpecificFeedback
        ) { body in
            body.append(senderSsrc)
            body.append(mediaSsrc)
        }
        return writer.bytes
    }

    init(reading reader: inout RtcpReader) throws(RtcpParseError) {
        senderSsrc = try reader.uint32()
        mediaSsrc = try reader.uint32()
    }
}

/// draft-alvestrand-rmcat-remb-03 §2.2 Receiver Estimated Maximum Bitrate: the receiver's cap on the sender's bitrate.
public struct Remb: Sendable, Equatable {
    public var senderSsrc: UInt32
    public var bitrateBps: UInt64
    /// The media SSRCs the estimate applies to (at most 255 on the wire).
    public var ssrcs: [UInt32]

    public init(senderSsrc: UInt32, bitrateBps: UInt64, ssrcs: [UInt32]) {
        self.senderSsrc = senderSsrc
        self.bitrateBps = bitrateBps
        self.ssrcs = ssrcs
    }

    private static let identifier: [UInt8] = Array("REMB".utf8)
    private static let maxMantissa: UInt64 = (1 << 18) - 1

    /// The bitrate as the draft's 6-bit exponent and 18-bit mantissa. The mantissa is truncated, never rounded up, so
    /// the sender is never told it may exceed the requested bitrate.
    var encodedExponentAndMantissa: (exponent: UInt8, mantissa: UInt32) {
        var exponent: UInt8 = 0
        while bitrateBps >> exponent > Self.maxMantissa { exponent += 1 }
        return (exponent, UInt32(bitrateBps >> exponent))
    }

    public func serialized() -> [UInt8] {
        var writer = RtcpWriter()
        let listed = ssrcs.prefix(Int(UInt8.max))
        writer.appendPacket(
            countOrFormat: RtcpFeedbackFormat.applicationLayerFeedback,
            packetType: RtcpPacketType.payloadSpecificFeedback
        ) { body in
            body.append(senderSsrc)
            // §2.2: the media source SSRC is unused and 0; the SSRCs travel in the list below.
            body.append(UInt32(0))
            body.append(contentsOf: Self.identifier)
            body.append(UInt8(listed.count))
            let (exponent, mantissa) = encodedExponentAndMantissa
            body.appendUInt24(UInt32(exponent) << 18 | mantissa)
            for ssrc in listed { body.append(ssrc) }
        }
        return writer.bytes
    }

    static func hasIdentifier(_ reader: RtcpReader) -> Bool {
        reader.peek(count: 4, at: 8) == identifier
    }

    init(reading reader: inout RtcpReader) throws(RtcpParseError) {
        senderSsrc = try reader.uint32()
        _ = try reader.uint32()
        try reader.skip(4)
        let ssrcCount = try reader.uint8()
        let exponentAndMantissa = try reader.uint24()
        let exponent = Int(exponentAndMantissa >> 18)
        let mantissa = UInt64(exponentAndMantissa & 0x3_FFFF)
        // A 6-bit exponent can describe more than 64 bits; saturate instead of dropping high bits.
        if mantissa != 0 && mantissa.leadingZeroBitCount < exponent {
            bitrateBps = .max
        } else {
            bitrateBps = mantissa << exponent
        }
        ssrcs = []
        for _ in 0..<ssrcCount { ssrcs.append(try reader.uint32()) }
    }
}

// MARK: - Wire helpers shared by the RTCP files

enum RtcpPacketType {
    static let senderReport: UInt8 = 200
    static let receiverReport: UInt8 = 201
    static let sourceDescription: UInt8 = 202
    static let goodbye: UInt8 = 203
    static let transportLayerFeedback: UInt8 = 205
    static let payloadSpecificFeedback: UInt8 = 206
}

enum RtcpFeedbackFormat {
    // RTPFB (RFC 4585 §6.2, draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1)
    static let genericNack: UInt8 = 1
    static let transportWideCongestionControl: UInt8 = 15
    // PSFB (RFC 4585 §6.3, RFC 5104 §4.3.1, draft-alvestrand-rmcat-remb-03 §2.2)
    static let pictureLossIndication: UInt8 = 1
    static let fullIntraRequest: UInt8 = 4
    static let applicationLayerFeedback: UInt8 = 15
}

/// RFC 3550 §6.4.1 common header of one packet, validated against the buffer it sits in.
struct RtcpHeader {
    var packetType: UInt8
    /// RC, SC or FMT, depending on the packet type.
    var countOrFormat: UInt8
    var packetStart: Int
    var packetEnd: Int
    /// The bytes after the 4-byte header, without padding.
    var body: Range<Int>

    init(parsing bytes: [UInt8], at offset: Int) throws(RtcpParseError) {
        guard bytes.count - offset >= 4 else { throw .truncatedHeader(offset: offset) }
        let version = bytes[offset] >> 6
        guard version == 2 else { throw .unsupportedVersion(version, offset: offset) }
        let hasPadding = bytes[offset] & 0x20 != 0
        countOrFormat = bytes[offset] & 0x1F
        packetType = bytes[offset + 1]
        // The length counts 32-bit words minus one, so a header-only packet has length 0.
        let lengthField = Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
        let declaredBytes = (lengthField + 1) * 4
        guard declaredBytes <= bytes.count - offset else {
            throw .lengthPastEnd(offset: offset, declaredBytes: declaredBytes, availableBytes: bytes.count - offset)
        }
        packetStart = offset
        packetEnd = offset + declaredBytes
        var bodyEnd = packetEnd
        if hasPadding {
            let paddingBytes = Int(bytes[packetEnd - 1])
            guard paddingBytes > 0, paddingBytes <= declaredBytes - 4 else {
                throw .invalidPadding(offset: offset, paddingBytes: paddingBytes)
            }
            bodyEnd -= paddingBytes
        }
        body = (offset + 4)..<bodyEnd
    }
}

/// Bounds-checked big-endian reads over one packet's body; running past the end throws instead of trapping.
struct RtcpReader {
    private let bytes: [UInt8]
    private let header: RtcpHeader
    private(set) var offset: Int

    init(_ bytes: [UInt8], header: RtcpHeader) {
        self.bytes = bytes
        self.header = header
        self.offset = header.body.lowerBound
    }

    var remaining: Int { header.body.upperBound - offset }

    func malformed() -> RtcpParseError {
        .malformedPacket(packetType: header.packetType, format: header.countOrFormat, offset: offset)
    }

    /// `count` bytes starting `distance` bytes ahead, or nil past the end of the body.
    func peek(count: Int, at distance: Int) -> [UInt8]? {
        guard distance >= 0, count >= 0, remaining - distance >= count else { return nil }
        return Array(bytes[(offset + distance)..<(offset + distance + count)])
    }

    mutating func skip(_ count: Int) throws(RtcpParseError) {
        guard remaining >= count else { throw malformed() }
        offset += count
    }

    mutating func uint8() throws(RtcpParseError) -> UInt8 {
        UInt8(try bigEndian(byteCount: 1))
    }

    mutating func uint16() throws(RtcpParseError) -> UInt16 {
        UInt16(try bigEndian(byteCount: 2))
    }

    mutating func uint24() throws(RtcpParseError) -> UInt32 {
        UInt32(try bigEndian(byteCount: 3))
    }

    mutating func uint32() throws(RtcpParseError) -> UInt32 {
        UInt32(try bigEndian(byteCount: 4))
    }

    mutating func uint64() throws(RtcpParseError) -> UInt64 {
        try bigEndian(byteCount: 8)
    }

    private mutating func bigEndian(byteCount: Int) throws(RtcpParseError) -> UInt64 {
        guard remaining >= byteCount else { throw malformed() }
        var value: UInt64 = 0
        for index in offset..<(offset + byteCount) { value = value << 8 | UInt64(bytes[index]) }
        offset += byteCount
        return value
    }
}

/// Big-endian writes and RTCP packet framing.
struct RtcpWriter {
    private(set) var bytes: [UInt8] = []

    mutating func append(_ value: UInt8) { bytes.append(value) }
    mutating func append(_ value: UInt16) { appendBigEndian(UInt64(value), byteCount: 2) }
    mutating func appendUInt24(_ value: UInt32) { appendBigEndian(UInt64(value), byteCount: 3) }
    mutating func append(_ value: UInt32) { appendBigEndian(UInt64(value), byteCount: 4) }
    mutating func append(_ value: UInt64) { appendBigEndian(value, byteCount: 8) }
    mutating func append(contentsOf values: some Sequence<UInt8>) { bytes.append(contentsOf: values) }

    private mutating func appendBigEndian(_ value: UInt64, byteCount: Int) {
        for shift in stride(from: (byteCount - 1) * 8, through: 0, by: -8) {
            bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift)))
        }
    }

    /// Appends one packet: common header, the body written by `writeBody`, and, when the body is not a whole number
    /// of 32-bit words, RFC 3550 §6.4.1 padding (P bit set, last octet = padding length, as libwebrtc writes it).
    /// Every caller keeps its body far below the 16-bit length limit (at most a few kilobytes).
    mutating func appendPacket(countOrFormat: UInt8, packetType: UInt8, writeBody: (inout RtcpWriter) -> Void) {
        var body = RtcpWriter()
        writeBody(&body)
        let paddingBytes = (4 - body.bytes.count % 4) % 4
        let wordsMinusOne = (4 + body.bytes.count + paddingBytes) / 4 - 1
        append(0x80 | (paddingBytes > 0 ? 0x20 : 0) | (countOrFormat & 0x1F))
        append(packetType)
        append(UInt16(truncatingIfNeeded: wordsMinusOne))
        append(contentsOf: body.bytes)
        if paddingBytes > 0 {
            append(contentsOf: repeatElement(0, count: paddingBytes - 1))
            append(UInt8(paddingBytes))
        }
    }
}
