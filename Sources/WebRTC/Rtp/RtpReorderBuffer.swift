// Per-stream reorder (jitter) buffer and NACK scheduler (RFC 4585 §6.2.1 generic NACK), sans-IO:
// the caller inserts packets, pops in-order output, asks which sequence numbers to NACK, and
// arms a timer for `nextDeadline()`. Time is always passed in.

public enum ReorderOutput: Sendable, Equatable {
    case packet(RtpPacket)
    /// `count` consecutive sequence numbers will never be delivered; a depacketizer must treat
    /// the frame they belonged to as corrupt.
    case lost(count: Int)
}

public struct RtpReorderBuffer: Sendable {
    public struct Configuration: Sendable, Equatable {
        /// How long a missing packet is waited for before it is declared lost.
        public var maxWait: Duration
        /// How long after a NACK the same sequence number is NACKed again.
        public var nackRetryInterval: Duration
        /// How many times a sequence number is NACKed again after the first NACK.
        public var maxNackRetries: Int
        /// The most sequence numbers (received or missing) held at once; beyond it the oldest
        /// are forced out, and a forward jump larger than this restarts the buffer.
        public var maxPackets: Int

        public init(
            maxWait: Duration = .milliseconds(400),
            nackRetryInterval: Duration = .milliseconds(40),
            maxNackRetries: Int = 8,
            maxPackets: Int = 2048
        ) {
            precondition(maxPackets >= 1, "maxPackets must be at least 1")
            precondition(maxNackRetries >= 0, "maxNackRetries must not be negative")
            self.maxWait = maxWait
            self.nackRetryInterval = nackRetryInterval
            self.maxNackRetries = maxNackRetries
            self.maxPackets = maxPackets
        }
    }

    public enum InsertResult: Sendable, Equatable {
        case accepted
        case duplicate
        /// Older than what was already delivered or declared lost.
        case tooLate
        /// Filled a gap that had been NACKed.
        case recovered
    }

    public struct Stats: Sendable, Equatable {
        /// Every packet handed to `insert`, duplicates and late ones included (as RFC 3550 A.3
        /// counts received packets).
        public var received = 0
        public var duplicates = 0
        /// Packets that arrived after their sequence number was delivered past or declared lost.
        public var late = 0
        public var lost = 0
        /// Packets that arrived after being NACKed.
        public var recovered = 0
        /// Sequence numbers NACKed, retries included.
        public var nacked = 0
    }

    public let configuration: Configuration
    public private(set) var stats = Stats()

    private enum Slot {
        case empty
        case missing(since: ContinuousClock.Instant, nacksSent: Int)
        case packet(RtpPacket)
    }

    /// A sequence number due for a NACK at `due`, valid while its slot still shows `nacksSent`.
    /// Entries are never removed when a packet arrives; they are skipped when they come up.
    private struct NackEntry {
        var seq: Int64
        var due: ContinuousClock.Instant
        var nacksSent: Int
    }

    private var unwrapper = SequenceNumberUnwrapper()
    /// Ring buffer indexed by unwrapped sequence number modulo `maxPackets`, covering `head...highest`.
    private var slots: [Slot]
    /// The next sequence number to deliver; nil until the first packet.
    private var head: Int64?
    private var highest: Int64 = 0
    /// Output already decided (forced out of a full buffer, or flushed by a restart) that `pop`
    /// returns before anything else.
    private var pending: [ReorderOutput] = []
    /// Gaps not yet NACKed, in detection order (hence in due order).
    private var firstNacks = FifoQueue<NackEntry>()
    /// NACKed gaps waiting for their retry, in due order since `now` only moves forward.
    private var retryNacks = FifoQueue<NackEntry>()
    /// RFC 3550 A.1 `bad_seq`: a packet far behind the window is only believed to be a sender
    /// restart when the next packet follows it directly.
    private var probableRestartSeq: UInt16?
    /// The latest `now` seen, so `nextDeadline` can say "already due" for deliverable output.
    private var latestNow: ContinuousClock.Instant?

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        self.slots = Array(repeating: .empty, count: configuration.maxPackets)
    }

    public mutating func insert(_ packet: RtpPacket, now: ContinuousClock.Instant) -> InsertResult {
        latestNow = now
        stats.received += 1
        defer { dropStaleNackEntries() }

        let seq = unwrapper.unwrap(packet.sequenceNumber)
        guard let head else {
            start(at: seq, with: packet)
            return .accepted
        }

        if seq < head {
            if head - seq > Int64(configuration.maxPackets) {
                if packet.sequenceNumber == probableRestartSeq {
                    restart(with: packet)
                    return .accepted
                }
                probableRestartSeq = packet.sequenceNumber &+ 1
            }
            stats.late += 1
            return .tooLate
        }
        probableRestartSeq = nil

        if seq > highest {
            if seq - highest > Int64(configuration.maxPackets) {
                let skipped = Int(seq - highest - 1)
                flushAll()
                markLostInPending(skipped)
                restart(with: packet)
                return .accepted
            }
            makeRoom(for: seq)
            // Gap detection: everything between the previous highest and this packet is missing
            // and may be NACKed right away.
            var missing = max(highest + 1, self.head ?? seq)
            while missing < seq {
                slots[index(missing)] = .missing(since: now, nacksSent: 0)
                firstNacks.append(NackEntry(seq: missing, due: now, nacksSent: 0))
                missing += 1
            }
            slots[index(seq)] = .packet(packet)
            highest = seq
            return .accepted
        }

        switch slots[index(seq)] {
        case .packet:
            stats.duplicates += 1
            return .duplicate
        case .missing(_, let nacksSent):
            slots[index(seq)] = .packet(packet)
            if nacksSent > 0 {
                stats.recovered += 1
                return .recovered
            }
            return .accepted
        case .empty:
            // Unreachable: every slot in head...highest is missing or holds a packet.
            slots[index(seq)] = .packet(packet)
            return .accepted
        }
    }

    /// Everything deliverable now, in sequence order: packets, and `.lost` for missing runs at
    /// the head that have waited `maxWait`.
    public mutating func pop(now: ContinuousClock.Instant) -> [ReorderOutput] {
        latestNow = now
        defer { dropStaleNackEntries() }
        var output = pending
        pending = []
        guard var next = head else { return output }
        while next <= highest {
            let i = index(next)
            switch slots[i] {
            case .packet(let packet):
                output.append(.packet(packet))
            case .missing(let since, _):
                guard since + configuration.maxWait <= now else {
                    head = next
                    return output
                }
                stats.lost += 1
                Self.appendLost(1, to: &output)
            case .empty:
                break
            }
            slots[i] = .empty
            next += 1
        }
        head = next
        return output
    }

    /// Sequence numbers to put in a generic NACK now (RFC 4585 §6.2.1), ascending. A gap is
    /// NACKed as soon as a later packet reveals it, then every `nackRetryInterval` up to
    /// `maxNackRetries` more times while it is still missing.
    public mutating func nacksDue(now: ContinuousClock.Instant) -> [UInt16] {
        latestNow = now
        var due: [Int64] = []
        while let entry = retryNacks.first, entry.due <= now {
            retryNacks.removeFirst()
            if isStillMissing(entry) { due.append(entry.seq) }
        }
        while let entry = firstNacks.first, entry.due <= now {
            firstNacks.removeFirst()
            if isStillMissing(entry) { due.append(entry.seq) }
        }
        due.sort()
        for seq in due {
            guard case .missing(let since, let nacksSent) = slots[index(seq)] else { continue }
            let sent = nacksSent + 1
            slots[index(seq)] = .missing(since: since, nacksSent: sent)
            if sent <= configuration.maxNackRetries {
                retryNacks.append(NackEntry(seq: seq, due: now + configuration.nackRetryInterval, nacksSent: sent))
            }
        }
        stats.nacked += due.count
        dropStaleNackEntries()
        return due.map { UInt16(truncatingIfNeeded: $0) }
    }

    /// The earliest instant at which `pop` or `nacksDue` may return something new; nil when
    /// nothing is pending. An instant in the past means "now".
    public func nextDeadline() -> ContinuousClock.Instant? {
        var deadline: ContinuousClock.Instant?
        func consider(_ instant: ContinuousClock.Instant) {
            deadline = deadline.map { min($0, instant) } ?? instant
        }
        if let head, head <= highest {
            switch slots[index(head)] {
            case .packet:
                if let latestNow { consider(latestNow) }
            case .missing(let since, _):
                consider(since + configuration.maxWait)
            case .empty:
                break
            }
        }
        if !pending.isEmpty, let latestNow { consider(latestNow) }
        if let entry = firstNacks.first { consider(entry.due) }
        if let entry = retryNacks.first { consider(entry.due) }
        return deadline
    }

    // MARK: - Window management

    private func index(_ seq: Int64) -> Int {
        let capacity = Int64(slots.count)
        return Int(((seq % capacity) + capacity) % capacity)
    }

    private mutating func start(at seq: Int64, with packet: RtpPacket) {
        head = seq
        highest = seq
        slots[index(seq)] = .packet(packet)
    }

    /// Moves what is still in the window to `pending`, then starts over from `packet` with a
    /// fresh unwrapper, so the new numbering owes nothing to the old one.
    private mutating func restart(with packet: RtpPacket) {
        flushAll()  // leaves every slot empty
        firstNacks = FifoQueue()
        retryNacks = FifoQueue()
        probableRestartSeq = nil
        unwrapper = SequenceNumberUnwrapper()
        start(at: unwrapper.unwrap(packet.sequenceNumber), with: packet)
    }

    /// Moves the whole window to `pending`: packets as they are, missing ones as lost.
    private mutating func flushAll() {
        guard let head else { return }
        var next = head
        while next <= highest {
            advanceHead(from: next)
            next += 1
        }
        self.head = next
    }

    /// Forces the oldest sequence numbers out so that `head...seq` spans at most `maxPackets`;
    /// this happens before `seq` is written, as its ring slot may still hold the head. Callers
    /// restart instead when `seq` is more than `maxPackets` past `highest`, so only numbers up
    /// to `highest` are forced out.
    private mutating func makeRoom(for seq: Int64) {
        guard let head else { return }
        let newHead = seq - Int64(configuration.maxPackets) + 1
        guard newHead > head else { return }
        var next = head
        while next < newHead {
            advanceHead(from: next)
            next += 1
        }
        self.head = newHead
    }

    private mutating func advanceHead(from seq: Int64) {
        let i = index(seq)
        switch slots[i] {
        case .packet(let packet):
            pending.append(.packet(packet))
        case .missing:
            markLostInPending(1)
        case .empty:
            break
        }
        slots[i] = .empty
    }

    private mutating func markLostInPending(_ count: Int) {
        stats.lost += count
        Self.appendLost(count, to: &pending)
    }

    /// Consecutive losses are reported as one run.
    private static func appendLost(_ count: Int, to output: inout [ReorderOutput]) {
        guard count > 0 else { return }
        if case .lost(let previous) = output.last {
            output[output.count - 1] = .lost(count: previous + count)
        } else {
            output.append(.lost(count: count))
        }
    }

    // MARK: - NACK bookkeeping

    private func isStillMissing(_ entry: NackEntry) -> Bool {
        guard let head, entry.seq >= head, entry.seq <= highest else { return false }
        guard case .missing(_, let nacksSent) = slots[index(entry.seq)] else { return false }
        return nacksSent == entry.nacksSent
    }

    /// Keeps the queue fronts valid so `nextDeadline` never reports a timer for a gap that was
    /// filled or given up on.
    private mutating func dropStaleNackEntries() {
        while let entry = firstNacks.first, !isStillMissing(entry) { firstNacks.removeFirst() }
        while let entry = retryNacks.first, !isStillMissing(entry) { retryNacks.removeFirst() }
    }
}

/// A FIFO with O(1) amortised append and removeFirst.
private struct FifoQueue<Element> {
    private var storage: [Element] = []
    private var start = 0

    var first: Element? { start < storage.count ? storage[start] : nil }

    mutating func append(_ element: Element) {
        storage.append(element)
    }

    mutating func removeFirst() {
        start += 1
        if start == storage.count {
            storage.removeAll(keepingCapacity: true)
            start = 0
        } else if start >= 1024, start * 2 >= storage.count {
            storage.removeFirst(start)
            start = 0
        }
    }
}

extension FifoQueue: Sendable where Element: Sendable {}
