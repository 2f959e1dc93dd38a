// H.264 RTP packetization (RFC 6184) in non-interleaved mode (packetization-mode=1, §6.3), the sending
// counterpart of `H264Depacketizer`: single NAL unit packets, STAP-A for small NAL units, FU-A for large ones.
// The media pod only receives; this is for test publishers, the ingest benchmark and a future WHIP relay client.

/// Turns access units into RTP packets of one SSRC, numbering them from a running sequence number.
public struct H264Packetizer: Sendable {
    public var payloadType: UInt8
    public var ssrc: UInt32
    /// The largest RTP payload produced (RTP header and extensions not included).
    public let maxPayloadSize: Int
    /// Whether consecutive NAL units that fit one packet together (typically SPS + PPS, or SPS + PPS + SEI)
    /// travel as one STAP-A, as libwebrtc sends them.
    public var aggregatesSmallNalUnits: Bool
    /// The sequence number the next packet gets.
    public private(set) var nextSequenceNumber: UInt16

    public init(
        payloadType: UInt8, ssrc: UInt32, initialSequenceNumber: UInt16 = 0, maxPayloadSize: Int = 1200,
        aggregatesSmallNalUnits: Bool = true
    ) {
        // An FU-A needs its two header bytes plus at least one byte of the NAL unit.
        precondition(maxPayloadSize >= 3, "maxPayloadSize must leave room for an FU-A fragment")
        self.payloadType = payloadType
        self.ssrc = ssrc
        self.nextSequenceNumber = initialSequenceNumber
        self.maxPayloadSize = maxPayloadSize
        self.aggregatesSmallNalUnits = aggregatesSmallNalUnits
    }

    /// The RTP packets of one access unit: NAL units in decoding order, each without start code and with its
    /// header byte. All packets share `rtpTimestamp` and the last one has the marker bit (RFC 6184 §5.1).
    /// Empty NAL units are skipped; an access unit with none gives no packets.
    public mutating func packetize(_ nalUnits: [[UInt8]], rtpTimestamp: UInt32) -> [RtpPacket] {
        let units = nalUnits.filter { !$0.isEmpty }
        var payloads: [[UInt8]] = []
        var index = 0
        while index < units.count {
            let unit = units[index]
            if unit.count > maxPayloadSize {
                payloads += fragments(of: unit)
                index += 1
                continue
            }
            let aggregated = aggregatesSmallNalUnits ? aggregateCount(from: index, in: units) : 1
            if aggregated >= 2 {
                payloads.append(stapA(units[index..<(index + aggregated)]))
            } else {
                payloads.append(unit)
            }
            index += max(aggregated, 1)
        }
        return payloads.enumerated().map { position, payload in
            defer { nextSequenceNumber &+= 1 }
            return RtpPacket(marker: position == payloads.count - 1, payloadType: payloadType,
                             sequenceNumber: nextSequenceNumber, timestamp: rtpTimestamp, ssrc: ssrc, payload: payload)
        }
    }

    /// How many NAL units from `start` on fit one STAP-A: the STAP-A header byte, then a 16-bit size before each.
    private func aggregateCount(from start: Int, in units: [[UInt8]]) -> Int {
        var size = 1
        var count = 0
        for unit in units[start...] {
            size += 2 + unit.count
            guard size <= maxPayloadSize else { break }
            count += 1
        }
        return count
    }

    /// RFC 6184 §5.7.1: F is the OR of the aggregated F bits, NRI their maximum, type 24.
    private func stapA(_ units: ArraySlice<[UInt8]>) -> [UInt8] {
        let forbidden = units.reduce(0) { $0 | $1[0] & 0x80 }
        let nri = units.map { $0[0] & 0x60 }.max() ?? 0
        var payload: [UInt8] = [forbidden | nri | 24]
        for unit in units {
            appendUInt16(&payload, UInt16(unit.count))
            payload += unit
        }
        return payload
    }

    /// RFC 6184 §5.8: the NAL header byte is not sent; the FU indicator carries its F and NRI, the FU header its
    /// type with S on the first fragment and E on the last. Fragments are of near-equal size, as libwebrtc makes
    /// them, so the last packet is not a small leftover.
    private func fragments(of unit: [UInt8]) -> [[UInt8]] {
        let header = unit[0]
        let indicator = header & 0xE0 | 28
        let body = unit[1...]
        let capacity = maxPayloadSize - 2
        let count = (body.count + capacity - 1) / capacity
        let baseSize = body.count / count
        let largerCount = body.count % count
        var fragments: [[UInt8]] = []
        fragments.reserveCapacity(count)
        var start = body.startIndex
        for position in 0..<count {
            let end = start + baseSize + (position < largerCount ? 1 : 0)
            var fuHeader = header & 0x1F
            if position == 0 { fuHeader |= 0x80 }
            if position == count - 1 { fuHeader |= 0x40 }
            var fragment: [UInt8] = [indicator, fuHeader]
            fragment.reserveCapacity(2 + end - start)
            fragment += body[start..<end]
            fragments.append(fragment)
            start = end
        }
        return fragments
    }
}

extension H264Packetizer {
    /// Splits an H.264 Annex B byte stream (as encoders and `ffmpeg -f h264` write it) into access units of NAL
    /// units without start codes. A new access unit begins at an access unit delimiter, SEI, SPS or PPS, or at a
    /// slice with first_mb_in_slice = 0, once the current one holds a slice (H.264 §7.4.1.2.3). Arbitrary slice
    /// order is not recognised; browsers and x264 never use it.
    public static func accessUnits(annexB stream: [UInt8]) -> [[[UInt8]]] {
        var units: [[[UInt8]]] = []
        var current: [[UInt8]] = []
        var currentHasSlice = false
        for nal in nalUnits(annexB: stream) {
            let type = nal[0] & 0x1F
            let isSlice = type == 1 || type == 5
            let startsPicture: Bool
            if isSlice {
                // ue(v) of first_mb_in_slice is the single bit "1" when it is 0.
                startsPicture = nal.count > 1 && nal[1] & 0x80 != 0
            } else {
                startsPicture = [6, 7, 8, 9].contains(type) || (14...18).contains(type)
            }
            if currentHasSlice && startsPicture {
                units.append(current)
                current = []
                currentHasSlice = false
            }
            current.append(nal)
            currentHasSlice = currentHasSlice || isSlice
        }
        if !current.isEmpty { units.append(current) }
        return units
    }

    /// The NAL units between 3- or 4-byte start codes; trailing zero bytes (the next 4-byte start code's leading
    /// zero, trailing_zero_8bits) are not part of a NAL unit, whose last byte holds the RBSP stop bit.
    public static func nalUnits(annexB stream: [UInt8]) -> [[UInt8]] {
        var starts: [Int] = []
        var index = 0
        while index + 2 < stream.count {
            if stream[index] == 0 && stream[index + 1] == 0 && stream[index + 2] == 1 {
                starts.append(index + 3)
                index += 3
            } else {
                index += 1
            }
        }
        var nalUnits: [[UInt8]] = []
        for (position, start) in starts.enumerated() {
            var end = position + 1 < starts.count ? starts[position + 1] - 3 : stream.count
            while end > start && stream[end - 1] == 0 { end -= 1 }
            if end > start { nalUnits.append(Array(stream[start..<end])) }
        }
        return nalUnits
    }
}
