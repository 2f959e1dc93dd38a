import Testing
@testable import WebRTC

@Suite struct H264DepacketizerTests {
    let sps: [UInt8] = [0x67, 0x42, 0xC0, 0x1F, 0xDA, 0x01, 0x40, 0x16, 0xEC]
    let pps: [UInt8] = [0x68, 0xCE, 0x3C, 0x80]
    let idr: [UInt8] = [0x65, 0x88, 0x84, 0x00, 0x33, 0xFF]
    let nonIdr: [UInt8] = [0x41, 0x9A, 0x02, 0x04]

    var seq: UInt16 = 0

    mutating func rtp(_ payload: [UInt8], ts: UInt32, marker: Bool = false) -> RtpPacket {
        seq &+= 1
        return RtpPacket(marker: marker, payloadType: 102, sequenceNumber: seq, timestamp: ts, ssrc: 1, payload: payload)
    }

    func stapA(_ units: [[UInt8]]) -> [UInt8] {
        var out: [UInt8] = [0x78]  // F=0, NRI=3, type 24
        for unit in units {
            out += [UInt8(unit.count >> 8), UInt8(unit.count & 0xFF)] + unit
        }
        return out
    }

    /// FU-A fragments of `nal` with `size` bytes of NAL payload each (RFC 6184 §5.8).
    func fuA(_ nal: [UInt8], size: Int) -> [[UInt8]] {
        let indicator = nal[0] & 0xE0 | 28
        let body = Array(nal.dropFirst())
        var fragments: [[UInt8]] = []
        var start = 0
        while start < body.count {
            let end = min(start + size, body.count)
            var header = nal[0] & 0x1F
            if start == 0 { header |= 0x80 }
            if end == body.count { header |= 0x40 }
            fragments.append([indicator, header] + body[start..<end])
            start = end
        }
        return fragments
    }

    @Test mutating func singleNalUnitPacket() {
        var depacketizer = H264Depacketizer()
        let output = depacketizer.push(rtp(nonIdr, ts: 3000, marker: true))
        #expect(output == [.accessUnit(H264AccessUnit(rtpTimestamp: 3000, nalUnits: [nonIdr]))])
        guard case .accessUnit(let au) = output.first else { return }
        #expect(!au.isKeyframe)
        #expect(au.sps == nil && au.pps == nil)
    }

    @Test mutating func stapAWithParameterSetsAndIdr() {
        var depacketizer = H264Depacketizer()
        let output = depacketizer.push(rtp(stapA([sps, pps, idr]), ts: 90000, marker: true))
        guard case .accessUnit(let au) = output.first, output.count == 1 else {
            Issue.record("expected one access unit, got \(output)")
            return
        }
        #expect(au.rtpTimestamp == 90000)
        #expect(au.nalUnits == [sps, pps, idr])
        #expect(au.isKeyframe)
        #expect(au.sps == sps)
        #expect(au.pps == pps)
        #expect(au.annexB() == [0, 0, 0, 1] + sps + [0, 0, 0, 1] + pps + [0, 0, 0, 1] + idr)
    }

    @Test mutating func fuAReassemblesTheNalHeaderFromIndicatorAndHeader() {
        var depacketizer = H264Depacketizer()
        let bigIdr: [UInt8] = [0x65] + (0..<3000).map { UInt8(truncatingIfNeeded: $0) }
        let fragments = fuA(bigIdr, size: 1100)
        #expect(fragments.count == 3)
        #expect(fragments[0][0] == 0x7C && fragments[0][1] == 0x85)
        var output: [H264DepacketizerOutput] = []
        output += depacketizer.push(rtp(stapA([sps, pps]), ts: 1))
        for (i, fragment) in fragments.enumerated() {
            output += depacketizer.push(rtp(fragment, ts: 1, marker: i == fragments.count - 1))
        }
        #expect(output == [.accessUnit(H264AccessUnit(rtpTimestamp: 1, nalUnits: [sps, pps, bigIdr]))])
    }

    @Test mutating func lostFuMiddleCorruptsTheFrameAndTheNextFrameIsFine() {
        var depacketizer = H264Depacketizer()
        let bigIdr: [UInt8] = [0x65] + Array(repeating: 0xAB, count: 3000)
        let fragments = fuA(bigIdr, size: 1000)
        var output = depacketizer.push(rtp(fragments[0], ts: 100))
        depacketizer.lossDetected()  // fragments[1] never came
        output += depacketizer.push(rtp(fragments[2], ts: 100, marker: true))
        output += depacketizer.push(rtp(nonIdr, ts: 200, marker: true))
        #expect(output == [
            .corruptFrame(rtpTimestamp: 100),
            .accessUnit(H264AccessUnit(rtpTimestamp: 200, nalUnits: [nonIdr])),
        ])
    }

    @Test mutating func fuMiddleWithoutStartIsCorruptEvenWithoutALossReport() {
        var depacketizer = H264Depacketizer()
        let fragments = fuA([0x41] + Array(repeating: 1, count: 30), size: 10)
        var output = depacketizer.push(rtp(fragments[1], ts: 5))
        output += depacketizer.push(rtp(fragments[2], ts: 5, marker: true))
        #expect(output == [.corruptFrame(rtpTimestamp: 5)])
    }

    @Test mutating func fuStartTwiceIsCorrupt() {
        var depacketizer = H264Depacketizer()
        let fragments = fuA([0x41] + Array(repeating: 1, count: 30), size: 10)
        var output = depacketizer.push(rtp(fragments[0], ts: 5))
        output += depacketizer.push(rtp(fragments[0], ts: 5))
        output += depacketizer.push(rtp(fragments[2], ts: 5, marker: true))
        #expect(output == [.corruptFrame(rtpTimestamp: 5)])
    }

    @Test mutating func unfinishedFuAtTheMarkerIsCorrupt() {
        var depacketizer = H264Depacketizer()
        let fragments = fuA([0x41] + Array(repeating: 1, count: 30), size: 10)
        var output = depacketizer.push(rtp(fragments[0], ts: 5))
        output += depacketizer.push(rtp(fragments[1], ts: 5, marker: true))
        #expect(output == [.corruptFrame(rtpTimestamp: 5)])
    }

    @Test mutating func timestampChangeEndsTheAccessUnitWithoutMarker() {
        var depacketizer = H264Depacketizer()
        var output = depacketizer.push(rtp(nonIdr, ts: 1000))
        output += depacketizer.push(rtp(nonIdr + [1], ts: 1000))
        #expect(output.isEmpty)
        output += depacketizer.push(rtp(nonIdr + [2], ts: 4000))
        #expect(output == [.accessUnit(H264AccessUnit(rtpTimestamp: 1000, nalUnits: [nonIdr, nonIdr + [1]]))])
        output = depacketizer.push(rtp(nonIdr + [3], ts: 4000, marker: true))
        #expect(output == [.accessUnit(H264AccessUnit(rtpTimestamp: 4000, nalUnits: [nonIdr + [2], nonIdr + [3]]))])
    }

    @Test mutating func lossBetweenFramesCorruptsTheNextFrame() {
        var depacketizer = H264Depacketizer()
        var output = depacketizer.push(rtp(nonIdr, ts: 1, marker: true))
        depacketizer.lossDetected()
        output += depacketizer.push(rtp(nonIdr, ts: 2, marker: true))
        output += depacketizer.push(rtp(nonIdr, ts: 3, marker: true))
        #expect(output == [
            .accessUnit(H264AccessUnit(rtpTimestamp: 1, nalUnits: [nonIdr])),
            .corruptFrame(rtpTimestamp: 2),
            .accessUnit(H264AccessUnit(rtpTimestamp: 3, nalUnits: [nonIdr])),
        ])
    }

    @Test mutating func reservedTypesAreIgnored() {
        var depacketizer = H264Depacketizer()
        for type: UInt8 in [0, 30, 31] {
            #expect(depacketizer.push(rtp([type, 1, 2, 3], ts: 9, marker: true)).isEmpty)
        }
        var output = depacketizer.push(rtp(nonIdr, ts: 10))
        output += depacketizer.push(rtp([0x1E, 0xFF], ts: 10))
        output += depacketizer.push(rtp(pps, ts: 10, marker: true))
        #expect(output == [.accessUnit(H264AccessUnit(rtpTimestamp: 10, nalUnits: [nonIdr, pps]))])
    }

    @Test mutating func malformedPayloadsCorruptTheFrameWithoutCrashing() {
        let malformed: [[UInt8]] = [
            [0x78],  // STAP-A with no units
            [0x78, 0x00],  // truncated size field
            [0x78, 0x00, 0x05, 0x67, 0x42],  // size past the end
            [0x78, 0x00, 0x00, 0x67],  // zero-length unit
            stapA([pps]) + [0x00],  // trailing half size field
            [0x7C],  // FU-A without FU header
            [0x79, 0x00, 0x00, 0x01, 0x02],  // STAP-B: interleaved mode only
            [0x7D, 0x85, 0x01],  // FU-B
        ]
        for payload in malformed {
            var depacketizer = H264Depacketizer()
            var output = depacketizer.push(rtp(payload, ts: 7, marker: true))
            #expect(output == [.corruptFrame(rtpTimestamp: 7)], "payload \(payload)")
            output = depacketizer.push(rtp(nonIdr, ts: 8, marker: true))
            #expect(output == [.accessUnit(H264AccessUnit(rtpTimestamp: 8, nalUnits: [nonIdr]))])
        }
        var depacketizer = H264Depacketizer()
        #expect(depacketizer.push(rtp([], ts: 7, marker: true)).isEmpty)  // padding-only
    }

    @Test mutating func oversizedAccessUnitIsDropped() {
        var depacketizer = H264Depacketizer(maxAccessUnitSize: 100)
        var output = depacketizer.push(rtp([0x41] + Array(repeating: 0, count: 80), ts: 1))
        output += depacketizer.push(rtp([0x41] + Array(repeating: 0, count: 80), ts: 1, marker: true))
        #expect(output == [.corruptFrame(rtpTimestamp: 1)])
    }

    @Test mutating func randomPayloadsNeverCrash() {
        var rng = SeededRandom(seed: 3)
        var depacketizer = H264Depacketizer()
        for i in 0..<50_000 {
            let length = Int(rng.next() % 24)
            var payload = (0..<length).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            if !payload.isEmpty, rng.next() % 2 == 0 { payload[0] = payload[0] & 0xE0 | [24, 28][Int(rng.next() % 2)] }
            if i % 97 == 0 { depacketizer.lossDetected() }
            _ = depacketizer.push(rtp(payload, ts: UInt32(i / 5), marker: rng.next() % 7 == 0))
        }
    }
}
