import Testing
@testable import WebRTC

/// RFC 5769 test vectors (§2.1–2.3); the password of all three is the same.
@Suite struct StunRfc5769Tests {
    static let password = Array("VOkJxbRl1RmTxUk/WvJxBt".utf8)
    static let transactionId = hexBytes("b7 e7 a7 01 bc 34 d6 86 fa 87 df ae")

    static let sampleRequest = hexBytes("""
        00 01 00 58 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae 80 22 00 10 53 54 55 4e 20 74 65 73
        74 20 63 6c 69 65 6e 74 00 24 00 04 6e 00 01 ff 80 29 00 08 93 2f f9 b1 51 26 3b 36 00 06 00 09
        65 76 74 6a 3a 68 36 76 59 20 20 20 00 08 00 14 9a ea a7 0c bf d8 cb 56 78 1e f2 b5 b2 d3 f2 49
        c1 b5 71 a2 80 28 00 04 e5 7a 3b cf
        """)
    static let ipv4Response = hexBytes("""
        01 01 00 3c 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae 80 22 00 0b 74 65 73 74 20 76 65 63
        74 6f 72 20 00 20 00 08 00 01 a1 47 e1 12 a6 43 00 08 00 14 2b 91 f5 99 fd 9e 90 c3 8c 74 89 f9
        2a f9 ba 53 f0 6b e7 d7 80 28 00 04 c0 7d 4c 96
        """)
    static let ipv6Response = hexBytes("""
        01 01 00 48 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae 80 22 00 0b 74 65 73 74 20 76 65 63
        74 6f 72 20 00 20 00 14 00 02 a1 47 01 13 a9 fa a5 d3 f1 79 bc 25 f4 b5 be d2 b9 d9 00 08 00 14
        a3 82 95 4e 4b e6 7b f1 17 84 c9 7c 82 92 c2 75 bf e3 ed 41 80 28 00 04 c8 fb 0b 4c
        """)

    @Test func sampleRequest() throws {
        let message = try StunMessage(parsing: Self.sampleRequest)
        #expect(message.type == StunMessage.bindingRequest)
        #expect(message.transactionId == Self.transactionId)
        #expect(message.username == "evtj:h6vY")
        #expect(message.attribute(.priority) == [0x6e, 0x00, 0x01, 0xff])
        #expect(message.hasValidIntegrity(key: Self.password))
        #expect(message.hasValidFingerprint())
        #expect(!message.hasValidIntegrity(key: Array("wrong password".utf8)))
    }

    @Test func ipv4Response() throws {
        let message = try StunMessage(parsing: Self.ipv4Response)
        #expect(message.hasValidIntegrity(key: Self.password))
        #expect(message.hasValidFingerprint())
        let mapped = StunMessage.decodeXorMappedAddress(message.attribute(.xorMappedAddress)!, transactionId: Self.transactionId)
        #expect(mapped == TransportAddress(ipv4: "192.0.2.1", port: 32853))
        #expect(StunMessage.xorMappedAddress(mapped!, transactionId: Self.transactionId) == hexBytes("00 01 a1 47 e1 12 a6 43"))
    }

    @Test func ipv6Response() throws {
        let message = try StunMessage(parsing: Self.ipv6Response)
        #expect(message.hasValidIntegrity(key: Self.password))
        #expect(message.hasValidFingerprint())
        let mapped = StunMessage.decodeXorMappedAddress(message.attribute(.xorMappedAddress)!, transactionId: Self.transactionId)
        #expect(mapped?.ipText == "2001:db8:1234:5678:11:2233:4455:6677")
        #expect(mapped?.port == 32853)
    }

    /// Our own serialisation (zero padding) must verify with the same algorithms.
    @Test func ourResponseVerifies() throws {
        let address = TransportAddress(ipv4: "192.0.2.1", port: 32853)!
        let response = StunMessage(
            type: StunMessage.bindingSuccess, transactionId: Self.transactionId,
            attributes: [(StunMessage.Attribute.xorMappedAddress.rawValue, StunMessage.xorMappedAddress(address, transactionId: Self.transactionId))])
        let bytes = response.serialized(integrityKey: Self.password)
        let parsed = try StunMessage(parsing: bytes)
        #expect(parsed.hasValidIntegrity(key: Self.password))
        #expect(parsed.hasValidFingerprint())
        #expect(parsed.attribute(.xorMappedAddress) == hexBytes("00 01 a1 47 e1 12 a6 43"))
    }

    @Test func corruptedFingerprintIsRejected() throws {
        var bytes = Self.sampleRequest
        bytes[bytes.count - 1] ^= 0xff
        #expect(try !StunMessage(parsing: bytes).hasValidFingerprint())
    }

    @Test func truncatedAndGarbageInputThrows() {
        #expect(throws: StunParseError.tooShort) { try StunMessage(parsing: Array(Self.sampleRequest.prefix(19))) }
        #expect(throws: StunParseError.lengthMismatch) { try StunMessage(parsing: Array(Self.sampleRequest.dropLast(4))) }
        var badCookie = Self.sampleRequest
        badCookie[4] = 0
        #expect(throws: StunParseError.notStun) { try StunMessage(parsing: badCookie) }
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            var bytes = Self.sampleRequest.prefix(Int.random(in: 0...Self.sampleRequest.count, using: &generator)).map { $0 }
            if !bytes.isEmpty { bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator) }
            if let message = try? StunMessage(parsing: bytes) {
                _ = message.hasValidIntegrity(key: Self.password)
                _ = message.hasValidFingerprint()
            }
        }
    }
}
