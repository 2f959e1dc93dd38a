import Foundation

/// The bounded queue between a broadcast and one destination's sender thread.
///
/// A destination that cannot keep up must not grow memory or slow the others: when the queue holds more than
/// `maxBytes`, everything queued is dropped and so is what follows until the next keyframe (a decoder can
/// only restart there), audio included so the two stay in step.
final class DestinationQueue: @unchecked Sendable {
    let maxBytes: Int
    private let condition = NSCondition()
    private var packets: [EgressPacket] = []
    private var head = 0
    private var queuedBytes = 0
    private var waitingForKeyframe = true
    private var audioBeforeKeyframe: [EgressPacket] = []
    /// About one second of AAC frames (21.3 ms each).
    static let heldAudioLimit = 48
    private var closed = false
    private(set) var droppedPackets = 0

    init(maxBytes: Int) {
        self.maxBytes = maxBytes
    }

    func push(_ packet: EgressPacket) {
        condition.lock()
        defer { condition.unlock() }
        guard !closed else { return }
        pushLocked(packet)
    }

    private func pushLocked(_ packet: EgressPacket) {
        if case .video(_, let keyframeMs, true, _) = packet, waitingForKeyframe {
            waitingForKeyframe = false
            // Video arrives later than the audio captured with it (encoding, packetisation): audio from the
            // keyframe's time on was already produced and must follow it, or the stream starts with a gap.
            let heldAudio = audioBeforeKeyframe.filter { if case .audio(_, let ms) = $0 { ms >= keyframeMs } else { false } }
            droppedPackets += audioBeforeKeyframe.count - heldAudio.count
            audioBeforeKeyframe = []
            for held in [packet] + heldAudio { append(held) }
            return
        }
        if waitingForKeyframe {
            if case .audio = packet {
                audioBeforeKeyframe.append(packet)
                if audioBeforeKeyframe.count > Self.heldAudioLimit {
                    audioBeforeKeyframe.removeFirst()
                    droppedPackets += 1
                }
            } else {
                droppedPackets += 1
            }
            return
        }
        if queuedBytes + packet.byteCount > maxBytes {
            droppedPackets += packets.count - head
            packets.removeAll(keepingCapacity: true)
            head = 0
            queuedBytes = 0
            waitingForKeyframe = true
            pushLocked(packet)
            return
        }
        append(packet)
    }

    private func append(_ packet: EgressPacket) {
        packets.append(packet)
        queuedBytes += packet.byteCount
        condition.signal()
    }

    /// Next packet, waiting up to `timeout`; nil on timeout or when closed.
    func pop(timeout: TimeInterval) -> EgressPacket? {
        condition.lock()
        defer { condition.unlock() }
        let deadline = Date(timeIntervalSinceNow: timeout)
        while head == packets.count && !closed {
            if !condition.wait(until: deadline) { return nil }
        }
        guard head < packets.count else { return nil }
        let packet = packets[head]
        head += 1
        queuedBytes -= packet.byteCount
        if head > 256 && head * 2 > packets.count {
            packets.removeFirst(head)
            head = 0
        }
        return packet
    }

    /// Forgets everything and waits for the next keyframe (after a reconnect, the sink must start on one).
    func restartAtNextKeyframe() {
        condition.lock()
        defer { condition.unlock() }
        droppedPackets += packets.count - head + audioBeforeKeyframe.count
        audioBeforeKeyframe = []
        packets.removeAll(keepingCapacity: true)
        head = 0
        queuedBytes = 0
        waitingForKeyframe = true
    }

    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    var isClosed: Bool {
        condition.lock()
        defer { condition.unlock() }
        return closed
    }
}
