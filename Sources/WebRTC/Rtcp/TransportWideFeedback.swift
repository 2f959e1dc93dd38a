// Transport-wide congestion control feedback, receiving side
// (draft-holmer-rmcat-transport-wide-cc-extensions-01, RTCP RTPFB FMT 15).
// Reporting each packet's arrival time lets Chrome run its own delay-based estimator, which ramps up far faster than
// following REMB (see PEERS.md, "Bitrate ramp").

/// Collects arrival times of packets carrying the transport-wide sequence number extension and turns them into
/// feedback packets. Call `record` for every such packet (after SRTP authentication) and `makeFeedback` on a timer;
/// the draft (§3) suggests one feedback per received frame, libwebrtc sends one about every 50–100 ms.
public struct TransportWideFeedbackRecorder: Sendable {
    public let senderSsrc: UInt32
    /// §3.1 leaves the media SSRC open because the feedback is transport-wide; libwebrtc puts a media SSRC here.
    public let mediaSsrc: UInt32

    /// How far behind the highest sequence number a late packet is still reported (and duplicates detected).
    /// At ~300 packets/s of 720p video plus audio that is about three seconds, longer than Chrome keeps packets
    /// it is still waiting to hear about.
    static let reorderWindow: Int64 = 1024
    /// One report never covers more than this many sequence numbers; after a larger jump only the newest part is
    /// reported. libwebrtc's receiver caps its window at 2^15 packets the same way.
    static let maxReportedSpan: Int64 = 1 << 15
    /// Room for SRTCP overhead and other RTCP in the same datagram within a 1280-byte IPv6 minimum MTU path.
    static let maxPacketBytes = 1200

    /// Arrival times are measured from the first arrival, so reference times stay small and consistent (§3.1).
    private var epoch: ContinuousClock.Instant?
    private var highestSequence: Int64?
    /// One past the highest sequence number already covered by a feedback packet.
    private var nextUnreportedSequence: Int64?
    /// Unwrapped sequence number → arrival in microseconds since `epoch`, for packets not yet reported.
    private var unreportedArrivals: [Int64: Int64] = [:]
    /// Sequence numbers recorded within `reorderWindow` of the highest, to drop duplicates.
    private var recentSequences: Set<Int64> = []
    private var feedbackPacketCount: UInt8 = 0
    /// Used for a packet that reports no received packet, so that its reference time does not jump.
    private var lastReferenceTime: Int64 = 0

    public init(senderSsrc: UInt32, mediaSsrc: UInt32) {
        self.senderSsrc = senderSsrc
        self.mediaSsrc = mediaSsrc
    }

    /// The transport-wide sequence number from the value of its RTP header extension element (§2: 16 bits,
    /// big-endian). Other lengths, such as the 4-byte transport-wide-cc-02 form, are not this extension.
    public static func transportSequenceNumber(fromExtension data: [UInt8]) -> UInt16? {
        guard data.count == 2 else { return nil }
        return UInt16(data[0]) << 8 | UInt16(data[1])
    }

    /// Records one arrival. Sequence numbers wrap at 2^16 and may arrive in any order; a duplicate, or a packet
    /// more than `reorderWindow` behind the highest one, is ignored.
    public mutating func record(transportSequenceNumber: UInt16, arrival: ContinuousClock.Instant) {
        let sequence = unwrap(transportSequenceNumber)
        if let highestSequence, sequence <= highestSequence - Self.reorderWindow { return }
        guard recentSequences.insert(sequence).inserted else { return }
        let epoch = self.epoch ?? arrival
        self.epoch = epoch
        unreportedArrivals[sequence] = Self.microseconds(of: arrival - epoch)
        let highest = max(sequence, highestSequence ?? sequence)
        highestSequence = highest
        if recentSequences.count > 2 * Self.reorderWindow {
            recentSequences = recentSequences.filter { $0 > highest - Self.reorderWindow }
            unreportedArrivals = unreportedArrivals.filter { $0.key > highest - Self.maxReportedSpan }
        }
    }

    /// Serialized RTPFB FMT 15 packets covering every arrival recorded since the previous call; empty if none.
    ///
    /// New packets are reported from where the last feedback stopped, so the packets lost in between are reported
    /// "not received". Packets that arrive after their sequence number was already reported go into a separate
    /// feedback whose base sequence number goes back; in it, packets already reported as received are marked
    /// "not received", as §3.1.1 requires for overlapping windows.
    public mutating func makeFeedback() -> [[UInt8]] {
        guard !unreportedArrivals.isEmpty else { return [] }
        let arrivals = unreportedArrivals
        unreportedArrivals.removeAll(keepingCapacity: true)
        let sequences = arrivals.keys.sorted()
        let next = nextUnreportedSequence ?? sequences[0]
        let freshStart = sequences.firstIndex { $0 >= next } ?? sequences.count

        var packets: [[UInt8]] = []
        if freshStart > 0 {
            let late = sequences[..<freshStart]
            packets += encode(from: late[late.startIndex], received: late, arrivals: arrivals)
        }
        if let newest = sequences.last, freshStart < sequences.count {
            let first = max(next, newest - Self.maxReportedSpan + 1)
            let fresh = sequences[freshStart...].drop { $0 < first }
            packets += encode(from: first, received: fresh, arrivals: arrivals)
            nextUnreportedSequence = newest + 1
        }
        return packets
    }

    private func unwrap(_ sequenceNumber: UInt16) -> Int64 {
        guard let highestSequence else { return Int64(sequenceNumber) }
        let forward = Int16(bitPattern: sequenceNumber &- UInt16(truncatingIfNeeded: highestSequence))
        return highestSequence + Int64(forward)
    }

    /// Encodes the status of every sequence number from `first` through the last of `received` (ascending), starting
    /// a new packet whenever the current one is full or a receive delta does not fit in 16 bits (§3.1.5). Runs of
    /// missing packets are added in bulk, so a peer that jumps its sequence numbers costs chunks, not iterations.
    private mutating func encode(
        from first: Int64, received: ArraySlice<Int64>, arrivals: [Int64: Int64]
    ) -> [[UInt8]] {
        var packets: [[UInt8]] = []
        var builder = TransportFeedbackPacketBuilder(baseSequence: first)
        var nextSequence = first
        for sequence in received {
            while nextSequence < sequence {
                nextSequence += Int64(builder.addNotReceived(count: Int(sequence - nextSequence)))
                if nextSequence < sequence {
                    packets.append(serialize(builder))
                    builder = TransportFeedbackPacketBuilder(baseSequence: nextSequence)
                }
            }
            let arrivalTick = arrivals[sequence]?
                .dividedRoundingDown(by: TransportWideFeedback.microsecondsPerDeltaTick)
            if !builder.add(arrivalTick: arrivalTick) {
                packets.append(serialize(builder))
                builder = TransportFeedbackPacketBuilder(baseSequence: sequence)
                // A fresh packet always takes one status: the first delta is measured from its own reference time.
                _ = builder.add(arrivalTick: arrivalTick)
            }
            nextSequence = sequence + 1
        }
        packets.append(serialize(builder))
        return packets
    }

    private mutating func serialize(_ builder: TransportFeedbackPacketBuilder) -> [UInt8] {
        let referenceTime = builder.referenceTime ?? lastReferenceTime
        lastReferenceTime = referenceTime
        defer { feedbackPacketCount &+= 1 }
        return builder.serialized(
            senderSsrc: senderSsrc, mediaSsrc: mediaSsrc, referenceTime: referenceTime,
            feedbackPacketCount: feedbackPacketCount
        )
    }

    private static func microseconds(of duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds &* 1_000_000 &+ attoseconds / 1_000_000_000_000
    }
}

/// A decoded transport-wide feedback packet (draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1).
public struct TransportWideFeedback: Sendable, Equatable {
    public struct PacketStatus: Sendable, Equatable {
        public var sequenceNumber: UInt16
        /// Arrival time in microseconds on the feedback sender's clock: reference time × 64 ms plus the receive
        /// deltas up to this packet. Nil when the packet is reported "not received".
        public var arrivalMicroseconds: Int64?

        public init(sequenceNumber: UInt16, arrivalMicroseconds: Int64?) {
            self.sequenceNumber = sequenceNumber
            self.arrivalMicroseconds = arrivalMicroseconds
        }
    }

    public var senderSsrc: UInt32
    public var mediaSsrc: UInt32
    public var baseSequenceNumber: UInt16
    /// 24-bit signed, in multiples of 64 ms.
    public var referenceTime: Int32
    public var feedbackPacketCount: UInt8
    /// One status per sequence number from `baseSequenceNumber` on (packet status count entries).
    public var packets: [PacketStatus]

    static let microsecondsPerDeltaTick: Int64 = 250
    static let microsecondsPerReferenceTick: Int64 = 64_000

    /// Decodes the RTPFB FMT 15 packet at the start of `packet`; bytes after it are ignored.
    public static func parse(_ packet: some Collection<UInt8>) throws(RtcpParseError) -> TransportWideFeedback {
        let bytes = Array(packet)
        let header = try RtcpHeader(parsing: bytes, at: 0)
        var reader = RtcpReader(bytes, header: header)
        guard header.packetType == RtcpPacketType.transportLayerFeedback,
              header.countOrFormat == RtcpFeedbackFormat.transportWideCongestionControl
        else { throw reader.malformed() }

        let senderSsrc = try reader.uint32()
        let mediaSsrc = try reader.uint32()
        let baseSequenceNumber = try reader.uint16()
        let statusCount = Int(try reader.uint16())
        let referenceTime = Int32(bitPattern: try reader.uint24() << 8) >> 8
        let feedbackPacketCount = try reader.uint8()
        // libwebrtc rejects an empty feedback too.
        guard statusCount > 0 else { throw reader.malformed() }

        var symbols: [TransportFeedbackStatusSymbol] = []
        symbols.reserveCapacity(statusCount)
        while symbols.count < statusCount {
            let chunk = try reader.uint16()
            try TransportFeedbackChunk.decode(chunk, into: &symbols, limit: statusCount, reader: reader)
        }

        var packets: [PacketStatus] = []
        packets.reserveCapacity(statusCount)
        var arrival = Int64(referenceTime) * microsecondsPerReferenceTick
        for (index, symbol) in symbols.enumerated() {
            let sequenceNumber = baseSequenceNumber &+ UInt16(truncatingIfNeeded: index)
            switch symbol {
            case .notReceived:
                packets.append(PacketStatus(sequenceNumber: sequenceNumber, arrivalMicroseconds: nil))
                continue
            case .smallDelta:
                arrival += Int64(try reader.uint8()) * microsecondsPerDeltaTick
            case .largeDelta:
                arrival += Int64(Int16(bitPattern: try reader.uint16())) * microsecondsPerDeltaTick
            }
            packets.append(PacketStatus(sequenceNumber: sequenceNumber, arrivalMicroseconds: arrival))
        }
        return TransportWideFeedback(
            senderSsrc: senderSsrc, mediaSsrc: mediaSsrc, baseSequenceNumber: baseSequenceNumber,
            referenceTime: referenceTime, feedbackPacketCount: feedbackPacketCount, packets: packets
        )
    }
}

// MARK: - Packet building

/// §3.1.1 packet status symbols; the raw value is the 2-bit code. 11 is reserved.
enum TransportFeedbackStatusSymbol: UInt8 {
    case notReceived = 0
    case smallDelta = 1
    case largeDelta = 2
}

/// §3.1.2–3.1.4 packet status chunks.
enum TransportFeedbackChunk {
    static let maxRunLength = 0x1FFF
    static let twoBitCapacity = 7
    static let oneBitCapacity = 14

    /// §3.1.3: T = 0, the 2-bit symbol, a 13-bit run length.
    static func runLength(_ symbol: TransportFeedbackStatusSymbol, count: Int) -> UInt16 {
        UInt16(symbol.rawValue) << 13 | UInt16(count)
    }

    /// §3.1.4 with S = 0: 14 one-bit symbols, 1 = received (small delta). Unused trailing slots stay 0.
    static func oneBitVector(_ symbols: ArraySlice<TransportFeedbackStatusSymbol>) -> UInt16 {
        var chunk: UInt16 = 0x8000
        for (slot, symbol) in symbols.enumerated() where symbol == .smallDelta {
            chunk |= 1 << (13 - slot)
        }
        return chunk
    }

    /// §3.1.4 with S = 1: 7 two-bit symbols. Unused trailing slots stay 00.
    static func twoBitVector(_ symbols: ArraySlice<TransportFeedbackStatusSymbol>) -> UInt16 {
        var chunk: UInt16 = 0xC000
        for (slot, symbol) in symbols.enumerated() {
            chunk |= UInt16(symbol.rawValue) << (2 * (6 - slot))
        }
        return chunk
    }

    /// Appends the chunk's symbols, stopping at `limit` in total: the last chunk may have unused slots.
    static func decode(
        _ chunk: UInt16, into symbols: inout [TransportFeedbackStatusSymbol], limit: Int, reader: RtcpReader
    ) throws(RtcpParseError) {
        func symbol(_ code: UInt16) throws(RtcpParseError) -> TransportFeedbackStatusSymbol {
            guard let symbol = TransportFeedbackStatusSymbol(rawValue: UInt8(code)) else { throw reader.malformed() }
            return symbol
        }
        if chunk & 0x8000 == 0 {
            let repeated = try symbol(chunk >> 13 & 0b11)
            let count = min(Int(chunk & 0x1FFF), limit - symbols.count)
            symbols.append(contentsOf: repeatElement(repeated, count: count))
        } else if chunk & 0x4000 == 0 {
            for slot in 0..<oneBitCapacity where symbols.count < limit {
                symbols.append(chunk >> (13 - slot) & 1 == 1 ? .smallDelta : .notReceived)
            }
        } else {
            for slot in 0..<twoBitCapacity where symbols.count < limit {
                symbols.append(try symbol(chunk >> (2 * (6 - slot)) & 0b11))
            }
        }
    }
}

/// Packs statuses into chunks the way libwebrtc does: symbols are held until they no longer fit one chunk, then
/// emitted as a run length chunk if all equal, as a 14-slot one-bit vector if it is full, else as a 7-slot two-bit
/// vector (keeping the rest for the next chunk).
struct TransportFeedbackChunkEncoder {
    private(set) var chunks: [UInt16] = []
    /// The held symbols; a run keeps only its first 14, since they are all equal.
    private var held: [TransportFeedbackStatusSymbol] = []
    private var heldCount = 0
    private var heldAllEqual = true
    private var heldHasLargeDelta = false

    /// Bytes of all chunks once `finished()` is called after adding `symbol`.
    func byteCount(afterAdding symbol: TransportFeedbackStatusSymbol) -> Int {
        2 * (chunks.count + (heldCount == 0 || canHold(symbol) ? 1 : 2))
    }

    mutating func add(_ symbol: TransportFeedbackStatusSymbol) {
        if !canHold(symbol) { emitHeld() }
        hold(symbol)
    }

    /// How many "not received" symbols can join the held ones without emitting a chunk or opening the final one;
    /// 0 when nothing is held, because the first symbol adds a chunk to the packet.
    var notReceivedRoomInHeldChunk: Int {
        guard let first = held.first else { return 0 }
        if heldAllEqual && first == .notReceived { return TransportFeedbackChunk.maxRunLength - heldCount }
        let vectorCapacity = heldHasLargeDelta ? TransportFeedbackChunk.twoBitCapacity
                                               : TransportFeedbackChunk.oneBitCapacity
        return max(0, vectorCapacity - heldCount)
    }

    /// Holds `count` "not received" symbols at once; `count` must not exceed `notReceivedRoomInHeldChunk`.
    mutating func holdNotReceived(_ count: Int) {
        // Only the first 14 symbols are stored; beyond that the held symbols are a run of "not received".
        let stored = min(count, TransportFeedbackChunk.oneBitCapacity - held.count)
        for _ in 0..<stored { hold(.notReceived) }
        heldCount += count - stored
    }

    /// All chunks, the held symbols encoded in one final chunk.
    func finished() -> [UInt16] {
        guard let first = held.first else { return chunks }
        if heldAllEqual { return chunks + [TransportFeedbackChunk.runLength(first, count: heldCount)] }
        if heldCount <= TransportFeedbackChunk.twoBitCapacity {
            return chunks + [TransportFeedbackChunk.twoBitVector(held[...])]
        }
        // More than 7 mixed symbols are only ever held without a large delta, so one bit each suffices.
        return chunks + [TransportFeedbackChunk.oneBitVector(held[...])]
    }

    private func canHold(_ symbol: TransportFeedbackStatusSymbol) -> Bool {
        if heldCount < TransportFeedbackChunk.twoBitCapacity { return true }
        if heldCount < TransportFeedbackChunk.oneBitCapacity && !heldHasLargeDelta && symbol != .largeDelta {
            return true
        }
        return heldCount < TransportFeedbackChunk.maxRunLength && heldAllEqual && held.first == symbol
    }

    private mutating func hold(_ symbol: TransportFeedbackStatusSymbol) {
        heldAllEqual = heldAllEqual && (held.first ?? symbol) == symbol
        heldHasLargeDelta = heldHasLargeDelta || symbol == .largeDelta
        if held.count < TransportFeedbackChunk.oneBitCapacity { held.append(symbol) }
        heldCount += 1
    }

    private mutating func emitHeld() {
        let symbols = held
        let count = heldCount
        let allEqual = heldAllEqual
        held.removeAll(keepingCapacity: true)
        heldCount = 0
        heldAllEqual = true
        heldHasLargeDelta = false
        if allEqual {
            chunks.append(TransportFeedbackChunk.runLength(symbols[0], count: count))
        } else if count == TransportFeedbackChunk.oneBitCapacity {
            chunks.append(TransportFeedbackChunk.oneBitVector(symbols[...]))
        } else {
            chunks.append(TransportFeedbackChunk.twoBitVector(symbols.prefix(TransportFeedbackChunk.twoBitCapacity)))
            for symbol in symbols.dropFirst(TransportFeedbackChunk.twoBitCapacity) { hold(symbol) }
        }
    }
}

/// One feedback packet under construction: statuses for consecutive sequence numbers from `baseSequence`.
struct TransportFeedbackPacketBuilder {
    /// Common header, both SSRCs, base sequence number, status count, reference time and feedback packet count.
    private static let fixedBytes = 20
    private static let deltaTicksPerReferenceTick: Int64 = 256

    let baseSequence: Int64
    private(set) var statusCount = 0
    /// In 64 ms units; chosen from the first received packet so that its delta is 0...255.
    private(set) var referenceTime: Int64?
    private var previousArrivalTick: Int64 = 0
    private var chunkEncoder = TransportFeedbackChunkEncoder()
    private var deltas = RtcpWriter()

    init(baseSequence: Int64) {
        self.baseSequence = baseSequence
    }

    /// Adds up to `count` "not received" statuses and returns how many fit (at least one in an empty packet).
    mutating func addNotReceived(count: Int) -> Int {
        var added = 0
        while added < count && statusCount < Int(UInt16.max) {
            let room = chunkEncoder.notReceivedRoomInHeldChunk
            guard room > 0 else {
                // The held symbols must become a chunk first; that may not fit the packet any more.
                guard append(.notReceived, delta: nil) else { break }
                added += 1
                continue
            }
            let joining = min(room, count - added, Int(UInt16.max) - statusCount)
            chunkEncoder.holdNotReceived(joining)
            statusCount += joining
            added += joining
        }
        return added
    }

    /// Adds the next sequence number's status (`arrivalTick` in 250 µs units, nil if not received). Returns false,
    /// leaving the packet unchanged, when it would exceed `maxPacketBytes` or 65535 statuses, or when the receive
    /// delta does not fit in 16 bits (§3.1.5: such a delta needs a new feedback message).
    mutating func add(arrivalTick: Int64?) -> Bool {
        guard statusCount < Int(UInt16.max) else { return false }
        guard let arrivalTick else { return addNotReceived(count: 1) == 1 }
        let reference = referenceTime ?? arrivalTick.dividedRoundingDown(by: Self.deltaTicksPerReferenceTick)
        let previous = referenceTime == nil ? reference * Self.deltaTicksPerReferenceTick : previousArrivalTick
        let delta = arrivalTick - previous
        let symbol: TransportFeedbackStatusSymbol
        if (0...Int64(UInt8.max)).contains(delta) {
            symbol = .smallDelta
        } else if (Int64(Int16.min)...Int64(Int16.max)).contains(delta) {
            symbol = .largeDelta
        } else {
            return false
        }
        guard append(symbol, delta: delta) else { return false }
        referenceTime = reference
        previousArrivalTick = arrivalTick
        return true
    }

    private mutating func append(_ symbol: TransportFeedbackStatusSymbol, delta: Int64?) -> Bool {
        let deltaBytes = switch symbol {
        case .notReceived: 0
        case .smallDelta: 1
        case .largeDelta: 2
        }
        let size = Self.fixedBytes + chunkEncoder.byteCount(afterAdding: symbol) + deltas.bytes.count + deltaBytes
        guard (size + 3) / 4 * 4 <= TransportWideFeedbackRecorder.maxPacketBytes else { return false }
        chunkEncoder.add(symbol)
        statusCount += 1
        if let delta {
            if symbol == .smallDelta {
                deltas.append(UInt8(delta))
            } else {
                deltas.append(UInt16(bitPattern: Int16(delta)))
            }
        }
        return true
    }

    func serialized(
        senderSsrc: UInt32, mediaSsrc: UInt32, referenceTime: Int64, feedbackPacketCount: UInt8
    ) -> [UInt8] {
        var writer = RtcpWriter()
        writer.appendPacket(
            countOrFormat: RtcpFeedbackFormat.transportWideCongestionControl,
            packetType: RtcpPacketType.transportLayerFeedback
        ) { body in
            body.append(senderSsrc)
            body.append(mediaSsrc)
            body.append(UInt16(truncatingIfNeeded: baseSequence))
            body.append(UInt16(statusCount))
            // 24 bits, two's complement; it wraps after about 12 days, which the sender unwraps (§3.1).
            body.appendUInt24(UInt32(truncatingIfNeeded: referenceTime) & 0xFF_FFFF)
            body.append(feedbackPacketCount)
            for chunk in chunkEncoder.finished() { body.append(chunk) }
            body.append(contentsOf: deltas.bytes)
        }
        return writer.bytes
    }
}

extension Int64 {
    /// Division rounding toward negative infinity, so an arrival before the epoch still gets a reference time at or
    /// before it and a non-negative first delta.
    fileprivate func dividedRoundingDown(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return self % divisor != 0 && (self < 0) != (divisor < 0) ? quotient - 1 : quotient
    }
}
