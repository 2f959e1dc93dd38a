import Testing
@testable import WebRTC

@Suite struct RtpPacketTests {
    @Test func parsesOneByteExtensionsWithPaddingBetweenElements() throws {
        let bytes: [UInt8] = [
            0x90, 0xE0, 0x12, 0x34,  // V=2 X=1, M=1 PT=96, seq 0x1234
            0x00, 0x00, 0x10, 0x00,  // timestamp
            0xDE, 0xAD, 0xBE, 0xEF,  // SSRC
            0xBE, 0xDE, 0x00, 0x02,  // RFC 8285 one-byte profile, 2 words
            0x10, 0xAA,  // id 1, 1 byte
            0x00,  // padding between elements
            0x21, 0xBB, 0xCC,  // id 2, 2 bytes
            0x00, 0x00,  // padding to the word boundary
            0x01, 0x02, 0x03,
        ]
        let packet = try RtpPacket(parsing: bytes)
        #expect(packet.marker)
        #expect(packet.payloadType == 96)
        #expect(packet.sequenceNumber == 0x1234)
        #expect(packet.timestamp == 0x1000)
        #expect(packet.ssrc == 0xDEAD_BEEF)
        #expect(packet.csrcs.isEmpty)
        #expect(packet.extensions == [RtpHeaderExtension(id: 1, data: [0xAA]), RtpHeaderExtension(id: 2, data: [0xBB, 0xCC])])
        #expect(packet.extensionData(id: 2) == [0xBB, 0xCC])
        #expect(packet.extensionData(id: 3) == nil)
        #expect(packet.payload == [1, 2, 3])
    }

    @Test func parsesTwoByteExtensionsIncludingEmptyData() throws {
        let bytes: [UInt8] = [
            0x90, 0x60, 0x00, 0x01, 0, 0, 0, 1, 0, 0, 0, 2,
            0x10, 0x03, 0x00, 0x02,  // two-byte profile with appbits 3, 2 words
            0x01, 0x00,  // id 1, empty
            0x20, 0x03, 0xAA, 0xBB, 0xCC,  // id 32, 3 bytes
            0x00,
            0xFF,
        ]
        let packet = try RtpPacket(parsing: bytes)
        #expect(packet.extensions == [RtpHeaderExtension(id: 1, data: []), RtpHeaderExtension(id: 32, data: [0xAA, 0xBB, 0xCC])])
        #expect(packet.payload == [0xFF])
    }

    @Test func oneByteIdFifteenStopsExtensionParsing() throws {
        let bytes: [UInt8] = [
            0x90, 0x60, 0x00, 0x01, 0, 0, 0, 1, 0, 0, 0, 2,
            0xBE, 0xDE, 0x00, 0x02,
            0x10, 0xAA, 0xF0, 0x20, 0xBB, 0x00, 0x00, 0x00,
            0x42,
        ]
        let packet = try RtpPacket(parsing: bytes)
        #expect(packet.extensions == [RtpHeaderExtension(id: 1, data: [0xAA])])
        #expect(packet.payload == [0x42])
    }

    @Test func oneByteIdZeroWithLengthStopsExtensionParsing() throws {
        let bytes: [UInt8] = [
            0x90, 0x60, 0x00, 0x01, 0, 0, 0, 1, 0, 0, 0, 2,
            0xBE, 0xDE, 0x00, 0x01,
            0x10, 0xAA, 0x05, 0x20,
            0x42,
        ]
        let packet = try RtpPacket(parsing: bytes)
        #expect(packet.extensions == [RtpHeaderExtension(id: 1, data: [0xAA])])
    }

    @Test func elementOverrunningTheBlockKeepsEarlierElements() throws {
        let bytes: [UInt8] = [
            0x90, 0x60, 0x00, 0x01, 0, 0, 0, 1, 0, 0, 0, 2,
            0xBE, 0xDE, 0x00, 0x01,
            0x10, 0xAA, 0x2F, 0xBB,  // id 2 claims 16 bytes
            0x42,
        ]
        let packet = try RtpPacket(parsing: bytes)
        #expect(packet.extensions == [RtpHeaderExtension(id: 1, data: [0xAA])])
        #expect(packet.payload == [0x42])
    }

    @Test func unknownExtensionProfileIsSkipped() throws {
        let bytes: [UInt8] = [
            0x90, 0x60, 0x00, 0x01, 0, 0, 0, 1, 0, 0, 0, 2,
            0xAB, 0xCD, 0x00, 0x01, 1, 2, 3, 4,
            0x42,
        ]
        let packet = try RtpPacket(parsing: bytes)
        #expect(packet.extensions.isEmpty)
        #expect(packet.payload == [0x42])
    }

    @Test func removesPaddingAndReadsCsrcs() throws {
        let bytes: [UInt8] = [
            0xA2, 0x60, 0x00, 0x01, 0, 0, 0, 1, 0, 0, 0, 2,  // P=1, CC=2
            0, 0, 0, 10, 0, 0, 0, 11,
            0x01, 0x02, 0x00, 0x00, 0x03,
        ]
        let packet = try RtpPacket(parsing: bytes)
        #expect(packet.csrcs == [10, 11])
        #expect(packet.payload == [1, 2])
    }

    @Test func paddingOnlyPacketHasEmptyPayload() throws {
        let header: [UInt8] = [0xA0, 0x60, 0x00, 0x01, 0, 0, 0, 1, 0, 0, 0, 2]
        let bytes = header + [UInt8](repeating: 0, count: 254) + [0xFF]
        let packet = try RtpPacket(parsing: bytes)
        #expect(packet.payload.isEmpty)
    }

    @Test func reportsEachMalformationDistinctly() {
        let header: [UInt8] = [0x80, 0x60, 0x00, 0x01, 0, 0, 0, 1, 0, 0, 0, 2]
        #expect(throws: RtpParseError.truncatedHeader) { try RtpPacket(parsing: Array(header.prefix(11))) }
        #expect(throws: RtpParseError.truncatedHeader) { try RtpPacket(parsing: [UInt8]()) }
        #expect(throws: RtpParseError.unsupportedVersion(1)) { try RtpPacket(parsing: [0x40] + header.dropFirst()) }
        #expect(throws: RtpParseError.truncatedCsrcList) { try RtpPacket(parsing: [0x83] + header.dropFirst() + [0, 0, 0, 1]) }
        #expect(throws: RtpParseError.truncatedHeaderExtension) { try RtpPacket(parsing: [0x90] + header.dropFirst() + [0xBE, 0xDE]) }
        #expect(throws: RtpParseError.truncatedHeaderExtension) {
            try RtpPacket(parsing: [0x90] + header.dropFirst() + [0xBE, 0xDE, 0x00, 0x02, 0x10, 0xAA, 0, 0])
        }
        #expect(throws: RtpParseError.invalidPadding) { try RtpPacket(parsing: [0xA0] + header.dropFirst() + [1, 2, 4]) }
        #expect(throws: RtpParseError.invalidPadding) { try RtpPacket(parsing: [0xA0] + header.dropFirst() + [1, 2, 0]) }
    }

    @Test func serializesOneByteFormWhenEveryElementFits() throws {
        let packet = RtpPacket(
            marker: true, payloadType: 102, sequenceNumber: 65535, timestamp: 0xFFFF_FFFF, ssrc: 7,
            csrcs: [1, 2],
            extensions: [RtpHeaderExtension(id: 1, data: [0xAA]), RtpHeaderExtension(id: 14, data: Array(0..<16))],
            payload: [9, 8, 7]
        )
        let bytes = packet.serialized()
        #expect(Array(bytes[20..<24]) == [0xBE, 0xDE, 0x00, 0x05])  // 2 + 17 bytes, padded to 20
        #expect(bytes.count == 12 + 8 + 4 + 20 + 3)
        #expect(try RtpPacket(parsing: bytes) == packet)
    }

    @Test func serializesTwoByteFormForLongOrEmptyDataOrHighIds() throws {
        for ext in [
            RtpHeaderExtension(id: 3, data: Array(repeating: 0x55, count: 17)),
            RtpHeaderExtension(id: 3, data: []),
            RtpHeaderExtension(id: 15, data: [1]),
            RtpHeaderExtension(id: 200, data: Array(repeating: 0x66, count: 255)),
        ] {
            let packet = RtpPacket(payloadType: 96, sequenceNumber: 1, timestamp: 2, ssrc: 3, extensions: [RtpHeaderExtension(id: 1, data: [1]), ext], payload: [0])
            let bytes = packet.serialized()
            #expect(bytes[12] == 0x10 && bytes[13] == 0x00)
            #expect(try RtpPacket(parsing: bytes) == packet)
        }
    }

    @Test func serializesWithoutExtensionBit() throws {
        let packet = RtpPacket(payloadType: 0, sequenceNumber: 1, timestamp: 2, ssrc: 3, payload: [1])
        let bytes = packet.serialized()
        #expect(bytes == [0x80, 0x00, 0x00, 0x01, 0, 0, 0, 2, 0, 0, 0, 3, 1])
        #expect(try RtpPacket(parsing: bytes) == packet)
    }

    @Test func neverCrashesOnTruncationsOrRandomBytes() {
        let packet = RtpPacket(
            marker: true, payloadType: 96, sequenceNumber: 5, timestamp: 6, ssrc: 7, csrcs: [1],
            extensions: [RtpHeaderExtension(id: 2, data: [1, 2, 3])], payload: [1, 2, 3, 4]
        )
        let bytes = packet.serialized()
        for length in 0..<bytes.count {
            _ = try? RtpPacket(parsing: bytes.prefix(length))
        }
        var rng = SeededRandom(seed: 42)
        for _ in 0..<20_000 {
            let length = Int(rng.next() % 64)
            var random = (0..<length).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            if !random.isEmpty { random[0] = random[0] & 0x3F | 0x80 }  // mostly version 2
            _ = try? RtpPacket(parsing: random)
        }
    }

    @Test func demultiplexesRtcpByPacketType() {
        #expect(RtpPacket.isRtcp([0x80, 200, 0, 6]))  // SR
        #expect(RtpPacket.isRtcp([0x81, 205, 0, 4]))  // RTPFB (NACK)
        #expect(RtpPacket.isRtcp([0x81, 206, 0, 2]))  // PSFB (PLI)
        #expect(!RtpPacket.isRtcp([0x80, 96, 0, 1]))
        #expect(!RtpPacket.isRtcp([0x80, 0xE0, 0, 1]))  // marker + PT 96
        #expect(!RtpPacket.isRtcp([0x80]))
        #expect(!RtpPacket.isRtcp([UInt8]()))
    }
}

@Suite struct SequenceNumberUnwrapperTests {
    @Test func unwrapsForwardAcrossWrap() {
        var unwrapper = SequenceNumberUnwrapper()
        #expect(unwrapper.unwrap(65534) == 65534)
        #expect(unwrapper.unwrap(65535) == 65535)
        #expect(unwrapper.unwrap(0) == 65536)
        #expect(unwrapper.unwrap(1) == 65537)
    }

    @Test func lateFromBeforeTheWrapStaysInThePreviousCycle() {
        var unwrapper = SequenceNumberUnwrapper()
        #expect(unwrapper.unwrap(65535) == 65535)
        #expect(unwrapper.unwrap(1) == 65537)
        #expect(unwrapper.unwrap(0) == 65536)
        #expect(unwrapper.unwrap(65534) == 65534)
        #expect(unwrapper.unwrap(2) == 65538)
    }

    @Test func unwrapsBackwardBelowTheFirstNumber() {
        var unwrapper = SequenceNumberUnwrapper()
        #expect(unwrapper.unwrap(3) == 3)
        #expect(unwrapper.unwrap(65530) == -6)
        #expect(unwrapper.unwrap(4) == 4)
    }

    @Test func referenceIsTheHighestNotTheLast() {
        var unwrapper = SequenceNumberUnwrapper()
        #expect(unwrapper.unwrap(0) == 0)
        #expect(unwrapper.unwrap(32000) == 32000)
        #expect(unwrapper.unwrap(1) == 1)  // very late, but still less than half a cycle back
        #expect(unwrapper.unwrap(64000) == 64000)  // measured from 32000, not from 1
    }

    @Test func followsManyCycles() {
        var unwrapper = SequenceNumberUnwrapper()
        var seq: UInt16 = 40000
        var mismatches = 0
        for expected in Int64(40000)..<340_000 {
            if unwrapper.unwrap(seq) != expected { mismatches += 1 }
            seq &+= 1
        }
        #expect(mismatches == 0)
    }
}

