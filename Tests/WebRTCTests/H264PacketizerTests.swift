import Testing
import WebRTC

@Suite struct H264PacketizerTests {
    let sps: [UInt8] = [0x67, 0x42, 0xC0, 0x1F, 0xDA, 0x01, 0x40, 0x16, 0xEC]
    let pps: [UInt8] = [0x68, 0xCE, 0x3C, 0x80]

    /// A NAL unit of `size` bytes with header `header` and a body that shows where each byte came from.
    func nal(_ header: UInt8, size: Int) -> [UInt8] {
        [header] + (1..<max(size, 1)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 8) }
    }

    /// Packets through the depacketizer, in order; every access unit it completes.
    func depacketize(_ packets: [RtpPacket]) -> [H264DepacketizerOutput] {
        var depacketizer = H264Depacketizer()
        return packets.flatMap { depacketizer.push($0) }
    }

    @Test func smallNalUnitTravelsAlone() {
        var packetizer = H264Packetizer(payloadType: 102, ssrc: 7, initialSequenceNumber: 10)
        let slice = nal(0x41, size: 300)
        let packets = packetizer.packetize([slice], rtpTimestamp: 3000)
        #expect(packets.count == 1)
        #expect(packets[0].payload == slice)
        #expect(packets[0].marker && packets[0].sequenceNumber == 10 && packets[0].timestamp == 3000)
        #expect(packets[0].payloadType == 102 && packets[0].ssrc == 7)
        #expect(packetizer.nextSequenceNumber == 11)
    }

    @Test func parameterSetsAreAggregatedAndALargeSliceFragmented() throws {
        var packetizer = H264Packetizer(payloadType: 102, ssrc: 7, initialSequenceNumber: 65_534)
        let idr = nal(0x65, size: 3000)
        let packets = packetizer.packetize([sps, pps, idr], rtpTimestamp: 90_000)
        // STAP-A (SPS + PPS; the IDR does not fit with them), then three FU-A fragments of the IDR.
        try #require(packets.count == 4)
        #expect(packets.map(\.sequenceNumber) == [65_534, 65_535, 0, 1])
        #expect(packets.map(\.marker) == [false, false, false, true])
        #expect(packets.allSatisfy { $0.payload.count <= 1200 && $0.timestamp == 90_000 })
        // RFC 6184 §5.7.1: NRI is the highest of the aggregated units (SPS and PPS both have 3).
        #expect(packets[0].payload == [0x78, 0, 9] + sps + [0, 4] + pps)
        // RFC 6184 §5.8: indicator F|NRI|28, header S|E|R|type.
        #expect(packets[1...].map { $0.payload[0] } == [0x7C, 0x7C, 0x7C])
        #expect(packets[1...].map { $0.payload[1] } == [0x85, 0x05, 0x45])
        // Near-equal fragments: 2999 body bytes over three packets.
        #expect(packets[1...].map { $0.payload.count - 2 } == [1000, 1000, 999])
    }

    @Test func aggregationCanBeTurnedOff() {
        var packetizer = H264Packetizer(payloadType: 102, ssrc: 7, aggregatesSmallNalUnits: false)
        let slice = nal(0x65, size: 100)
        let packets = packetizer.packetize([sps, pps, slice], rtpTimestamp: 0)
        #expect(packets.map(\.payload) == [sps, pps, slice])
    }

    @Test func sizesAroundTheLimitRoundTrip() {
        // Each size is a boundary: fits alone, fits a STAP-A with a neighbour or not, one byte over, several FUs.
        for maxPayloadSize in [3, 4, 50, 1200] {
            var packetizer = H264Packetizer(payloadType: 102, ssrc: 7, maxPayloadSize: maxPayloadSize)
            var expected: [H264DepacketizerOutput] = []
            var packets: [RtpPacket] = []
            let sizes = [1, 2, maxPayloadSize - 3, maxPayloadSize - 2, maxPayloadSize - 1, maxPayloadSize,
                         maxPayloadSize + 1, 2 * maxPayloadSize - 4, 2 * maxPayloadSize - 3, 5 * maxPayloadSize + 7]
            for (frame, size) in sizes.enumerated() where size >= 1 {
                let unit = [sps, nal(0x65, size: size), pps, nal(0x41, size: size)]
                let timestamp = UInt32(frame) * 3000
                expected.append(.accessUnit(H264AccessUnit(rtpTimestamp: timestamp, nalUnits: unit)))
                let produced = packetizer.packetize(unit, rtpTimestamp: timestamp)
                #expect(produced.allSatisfy { $0.payload.count <= maxPayloadSize })
                packets += produced
            }
            #expect(depacketize(packets) == expected, "maxPayloadSize \(maxPayloadSize)")
        }
    }

    @Test func emptyNalUnitsAreSkipped() {
        var packetizer = H264Packetizer(payloadType: 102, ssrc: 7)
        #expect(packetizer.packetize([], rtpTimestamp: 0).isEmpty)
        #expect(packetizer.packetize([[], []], rtpTimestamp: 0).isEmpty)
        #expect(packetizer.nextSequenceNumber == 0)
        #expect(packetizer.packetize([[], pps], rtpTimestamp: 0).map(\.payload) == [pps])
    }

    @Test func realClipRoundTripsByteIdentical() throws {
        let clip = try TestClip.require()
        for maxPayloadSize in [1200, 300] {
            var packetizer = H264Packetizer(payloadType: 102, ssrc: 7, initialSequenceNumber: 65_000,
                                            maxPayloadSize: maxPayloadSize)
            let packets = clip.enumerated().flatMap { packetizer.packetize($0.element, rtpTimestamp: UInt32($0.offset) * 3000) }
            let units = depacketize(packets).compactMap { if case .accessUnit(let unit) = $0 { unit } else { nil } }
            #expect(units.map(\.nalUnits) == clip)
            #expect(units.filter(\.isKeyframe).count >= 3)
            #expect(units.first?.sps != nil && units.first?.pps != nil)
        }
    }

    @Test func annexBIsSplitIntoAccessUnits() {
        let idr: [UInt8] = [0x65, 0x88] + nal(0x11, size: 40)
        let slice: [UInt8] = [0x41, 0x9A] + nal(0x22, size: 20)
        let delimiter: [UInt8] = [0x09, 0xF0]
        // 4- and 3-byte start codes, trailing_zero_8bits after a NAL unit, an access unit delimiter.
        var stream: [UInt8] = [0, 0, 0, 1] + sps
        stream += [0, 0, 1] + pps
        stream += [0, 0, 1] + idr
        stream += [0, 0, 0, 0, 1] + slice
        stream += [0, 0, 0, 1] + delimiter
        stream += [0, 0, 1] + slice
        let units = H264Packetizer.accessUnits(annexB: stream)
        #expect(units == [[sps, pps, idr], [slice], [delimiter, slice]])
    }

    @Test func slicesOfOnePictureStayTogether() {
        // first_mb_in_slice = 0 (bit "1") starts a picture; a second slice (ue(v) "010" = 1) continues it.
        let stream: [UInt8] = [0, 0, 1, 0x65, 0x88, 0x11] + [0, 0, 1, 0x65, 0x48, 0x22] + [0, 0, 1, 0x41, 0x9A, 0x33]
        let units = H264Packetizer.accessUnits(annexB: stream)
        #expect(units == [[[0x65, 0x88, 0x11], [0x65, 0x48, 0x22]], [[0x41, 0x9A, 0x33]]])
    }
}
