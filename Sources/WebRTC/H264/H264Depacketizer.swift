// H.264 RTP depacketization (RFC 6184) in non-interleaved mode (packetization-mode=1, §6.3),
// which is what browsers send: single NAL unit packets, STAP-A and FU-A.

/// One coded picture: every NAL unit that shares an RTP timestamp (RFC 6184 §5.1).
public struct H264AccessUnit: Sendable, Equatable {
    public let rtpTimestamp: UInt32
    /// NAL units in decoding order, each without start code and with its NAL header byte.
    public let nalUnits: [[UInt8]]
    /// Contains an IDR slice (NAL type 5), so a decoder can start here.
    public let isKeyframe: Bool
    /// The last sequence parameter set (NAL type 7) in this access unit.
    public let sps: [UInt8]?
    /// The last picture parameter set (NAL type 8) in this access unit.
    public let pps: [UInt8]?

    public init(rtpTimestamp: UInt32, nalUnits: [[UInt8]]) {
        self.rtpTimestamp = rtpTimestamp
        self.nalUnits = nalUnits
        var isKeyframe = false
        var sps: [UInt8]?
        var pps: [UInt8]?
        for nal in nalUnits {
            guard let header = nal.first else { continue }
            switch header & 0x1F {
            case H264NalType.idrSlice: isKeyframe = true
            case H264NalType.sps: sps = nal
            case H264NalType.pps: pps = nal
            default: break
            }
        }
        self.isKeyframe = isKeyframe
        self.sps = sps
        self.pps = pps
    }

    /// The access unit as an H.264 Annex B byte stream (4-byte start code before each NAL unit),
    /// the form FLV/RTMP muxers and decoders such as ffmpeg take.
    public func annexB() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(nalUnits.reduce(0) { $0 + 4 + $1.count })
        for nal in nalUnits {
            out.append(contentsOf: [0, 0, 0, 1])
            out.append(contentsOf: nal)
        }
        return out
    }
}

public enum H264DepacketizerOutput: Sendable, Equatable {
    case accessUnit(H264AccessUnit)
    /// A picture was lost or only partly received; the caller should ask for a keyframe
    /// (RTCP PLI) since later pictures may reference it.
    case corruptFrame(rtpTimestamp: UInt32)
}

/// H.264 Table 7-1 and RFC 6184 §5.2 Table 1 values used here.
private enum H264NalType {
    static let idrSlice: UInt8 = 5
    static let sps: UInt8 = 7
    static let pps: UInt8 = 8
    static let stapA: UInt8 = 24
    static let fuA: UInt8 = 28
}

/// Reassembles access units from RTP packets already in sequence order (after
/// `RtpReorderBuffer`). Any doubt about completeness turns the whole access unit into
/// `.corruptFrame`; the next access unit starts clean.
public struct H264Depacketizer: Sendable {
    /// An access unit growing past this many bytes is dropped as corrupt, bounding the memory a
    /// sender can make us hold with a frame that never ends.
    public let maxAccessUnitSize: Int

    private var timestamp: UInt32?
    private var nalUnits: [[UInt8]] = []
    private var byteCount = 0
    /// The FU-A NAL unit being reassembled, header byte first.
    private var fragment: [UInt8]?
    private var corrupt = false

    public init(maxAccessUnitSize: Int = 8 << 20) {
        self.maxAccessUnitSize = maxAccessUnitSize
    }

    public mutating func push(_ packet: RtpPacket) -> [H264DepacketizerOutput] {
        // Padding-only packets (bandwidth probes) carry no media and may reuse an old timestamp.
        guard let header = packet.payload.first else { return [] }
        var output: [H264DepacketizerOutput] = []

        // RFC 6184 §5.1: all packets of an access unit share the timestamp, so a new one means
        // the previous unit is over even if its marker packet was lost.
        if let timestamp, timestamp != packet.timestamp {
            finishAccessUnit(into: &output)
        }
        timestamp = packet.timestamp

        if !corrupt {
            switch header & 0x1F {
            case 1...23:
                addSingleNalUnit(packet.payload)
            case H264NalType.stapA:
                addStapA(packet.payload)
            case H264NalType.fuA:
                addFuA(packet.payload)
            case 0, 30, 31:
                // RFC 6184 §5.4 Table 3: reserved types are ignored in every mode.
                break
            default:
                // STAP-B, MTAP16/24, FU-B exist only in interleaved mode (§5.4 Table 3), which we
                // never negotiate; without them the picture is incomplete.
                markCorrupt()
            }
        }

        // RFC 6184 §5.1: the marker bit is set on the last packet of the access unit.
        if packet.marker {
            finishAccessUnit(into: &output)
        }
        return output
    }

    /// The reorder buffer gave up on one or more packets. They belong to the access unit being
    /// assembled, or, between access units (right after a marker), to the next one.
    public mutating func lossDetected() {
        markCorrupt()
    }

    private mutating func addSingleNalUnit(_ payload: [UInt8]) {
        // A NAL unit in its own packet while an FU is open means the FU's end was lost.
        guard fragment == nil else { return markCorrupt() }
        append(nalUnit: payload)
    }

    /// RFC 6184 §5.7.1: STAP-A header byte, then repeated 16-bit size + NAL unit.
    private mutating func addStapA(_ payload: [UInt8]) {
        guard fragment == nil else { return markCorrupt() }
        var units: [[UInt8]] = []
        var i = 1
        while i < payload.count {
            guard i + 2 <= payload.count else { return markCorrupt() }
            let size = Int(payload[i]) << 8 | Int(payload[i + 1])
            i += 2
            guard size > 0, i + size <= payload.count else { return markCorrupt() }
            units.append(Array(payload[i..<i + size]))
            i += size
        }
        guard !units.isEmpty else { return markCorrupt() }
        for unit in units {
            append(nalUnit: unit)
        }
    }

    /// RFC 6184 §5.8: FU indicator (F|NRI|28), FU header (S|E|R|type), fragment. The original
    /// NAL header is F|NRI from the indicator and the type from the FU header.
    private mutating func addFuA(_ payload: [UInt8]) {
        guard payload.count >= 2 else { return markCorrupt() }
        let indicator = payload[0]
        let fuHeader = payload[1]
        let isStart = fuHeader & 0x80 != 0
        let isEnd = fuHeader & 0x40 != 0
        let nalHeader = indicator & 0xE0 | fuHeader & 0x1F

        if isStart {
            // A second start before an end: the first NAL unit's tail was lost.
            guard fragment == nil else { return markCorrupt() }
            var unit = [nalHeader]
            unit.append(contentsOf: payload[2...])
            fragment = unit
            byteCount += unit.count
        } else {
            // §5.8: after a lost fragment the rest of that NAL unit is useless; a middle or end
            // without a start, or of another NAL type, is exactly that.
            guard let open = fragment, open[0] & 0x1F == nalHeader & 0x1F else { return markCorrupt() }
            fragment?.append(contentsOf: payload[2...])
            byteCount += payload.count - 2
        }
        guard byteCount <= maxAccessUnitSize else { return markCorrupt() }

        if isEnd, let unit = fragment {
            fragment = nil
            nalUnits.append(unit)
        }
    }

    private mutating func append(nalUnit: [UInt8]) {
        byteCount += nalUnit.count
        guard byteCount <= maxAccessUnitSize else { return markCorrupt() }
        nalUnits.append(nalUnit)
    }

    /// Drops what was gathered; the rest of the access unit is only followed for its boundary.
    private mutating func markCorrupt() {
        corrupt = true
        nalUnits = []
        fragment = nil
        byteCount = 0
    }

    private mutating func finishAccessUnit(into output: inout [H264DepacketizerOutput]) {
        guard let timestamp else { return }
        if corrupt || fragment != nil {
            output.append(.corruptFrame(rtpTimestamp: timestamp))
        } else if !nalUnits.isEmpty {
            output.append(.accessUnit(H264AccessUnit(rtpTimestamp: timestamp, nalUnits: nalUnits)))
        }
        self.timestamp = nil
        nalUnits = []
        fragment = nil
        byteCount = 0
        corrupt = false
    }
}
