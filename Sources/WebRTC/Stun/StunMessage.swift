import MediaCrypto

/// An IP address and port as STUN and ICE see them; IO layers convert to and from their own types.
public struct TransportAddress: Hashable, Sendable, CustomStringConvertible {
    /// 4 bytes for IPv4, 16 for IPv6.
    public var ip: [UInt8]
    public var port: UInt16

    public init(ip: [UInt8], port: UInt16) {
        self.ip = ip
        self.port = port
    }

    /// Parses dotted IPv4 text ("192.0.2.1"); IPv6 text is not needed by the media pod's announced address.
    public init?(ipv4 text: String, port: UInt16) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var bytes: [UInt8] = []
        for part in parts {
            guard let value = UInt8(part) else { return nil }
            bytes.append(value)
        }
        self.init(ip: bytes, port: port)
    }

    public var ipText: String {
        if ip.count == 4 { return ip.map(String.init).joined(separator: ".") }
        return stride(from: 0, to: ip.count, by: 2).map { String(UInt16(ip[$0]) << 8 | UInt16(ip[$0 + 1]), radix: 16) }
            .joined(separator: ":")
    }

    public var description: String { ip.count == 4 ? "\(ipText):\(port)" : "[\(ipText)]:\(port)" }
}

public enum StunParseError: Error, Equatable, Sendable {
    case tooShort
    case notStun
    case lengthMismatch
    case truncatedAttribute
}

/// A STUN message (RFC 5389 §6): only what ICE needs, so methods and classes are plain numbers.
public struct StunMessage: Sendable, Equatable {
    public static let magicCookie: UInt32 = 0x2112_A442

    public enum Attribute: UInt16, Sendable {
        case mappedAddress = 0x0001
        case username = 0x0006
        case messageIntegrity = 0x0008
        case errorCode = 0x0009
        case xorMappedAddress = 0x0020
        case priority = 0x0024
        case useCandidate = 0x0025
        case software = 0x8022
        case fingerprint = 0x8028
        case iceControlled = 0x8029
        case iceControlling = 0x802A
    }

    public static let bindingRequest: UInt16 = 0x0001
    public static let bindingSuccess: UInt16 = 0x0101
    public static let bindingError: UInt16 = 0x0111
    public static let bindingIndication: UInt16 = 0x0011

    public var type: UInt16
    public var transactionId: [UInt8]
    /// Attributes in wire order, values without padding.
    public var attributes: [(type: UInt16, value: [UInt8])]
    /// The raw message as received, kept so integrity and fingerprint can be checked over the exact bytes.
    public private(set) var raw: [UInt8] = []

    public init(type: UInt16, transactionId: [UInt8], attributes: [(type: UInt16, value: [UInt8])] = []) {
        self.type = type
        self.transactionId = transactionId
        self.attributes = attributes
    }

    public static func == (lhs: StunMessage, rhs: StunMessage) -> Bool {
        lhs.type == rhs.type && lhs.transactionId == rhs.transactionId
            && lhs.attributes.map(\.type) == rhs.attributes.map(\.type)
            && lhs.attributes.map(\.value) == rhs.attributes.map(\.value)
    }

    /// RFC 7983 §7: a first byte of 0...3 on the shared port means STUN.
    public static func looksLikeStun(_ datagram: some Collection<UInt8>) -> Bool {
        guard let first = datagram.first else { return false }
        return first <= 3
    }

    public init(parsing bytes: [UInt8]) throws(StunParseError) {
        guard bytes.count >= 20 else { throw .tooShort }
        // RFC 5389 §6: the two top bits are zero and the magic cookie is fixed.
        guard bytes[0] & 0xC0 == 0, readUInt32(bytes, 4) == Self.magicCookie else { throw .notStun }
        let length = Int(readUInt16(bytes, 2))
        guard length % 4 == 0, bytes.count == 20 + length else { throw .lengthMismatch }
        type = readUInt16(bytes, 0)
        transactionId = Array(bytes[8..<20])
        attributes = []
        var offset = 20
        while offset < bytes.count {
            guard offset + 4 <= bytes.count else { throw .truncatedAttribute }
            let attributeType = readUInt16(bytes, offset)
            let attributeLength = Int(readUInt16(bytes, offset + 2))
            let valueEnd = offset + 4 + attributeLength
            guard valueEnd <= bytes.count else { throw .truncatedAttribute }
            attributes.append((attributeType, Array(bytes[(offset + 4)..<valueEnd])))
            offset = valueEnd + (4 - attributeLength % 4) % 4
        }
        raw = bytes
    }

    public func attribute(_ attribute: Attribute) -> [UInt8]? {
        attributes.first { $0.type == attribute.rawValue }?.value
    }

    public var username: String? {
        attribute(.username).map { String(decoding: $0, as: UTF8.self) }
    }

    public var hasUseCandidate: Bool { attribute(.useCandidate) != nil }

    /// RFC 5389 §15.4: HMAC-SHA1 over the message up to the attribute, with the header length counting it.
    public func hasValidIntegrity(key: [UInt8]) -> Bool {
        guard let position = attributeOffset(.messageIntegrity), position + 24 <= raw.count else { return false }
        var covered = Array(raw[0..<position])
        writeUInt16(&covered, 2, UInt16(position - 20 + 24))
        let expected = Hmac.sha1(key: key, message: covered)
        return constantTimeEquals(expected, Array(raw[(position + 4)..<(position + 24)]))
    }

    /// RFC 5389 §15.5; a message without FINGERPRINT passes (it is optional for plain STUN, ICE peers send it).
    public func hasValidFingerprint() -> Bool {
        guard let position = attributeOffset(.fingerprint) else { return true }
        guard position + 8 == raw.count else { return false }
        return readUInt32(raw, position + 4) == Self.fingerprint(of: raw[0..<position])
    }

    /// Serialises with MESSAGE-INTEGRITY (when a key is given) and FINGERPRINT appended, as ICE requires
    /// (RFC 8445 §7.2.2).
    public func serialized(integrityKey: [UInt8]?, fingerprint: Bool = true) -> [UInt8] {
        var bytes: [UInt8] = []
        appendUInt16(&bytes, type)
        appendUInt16(&bytes, 0)
        appendUInt32(&bytes, Self.magicCookie)
        bytes += transactionId
        for attribute in attributes {
            appendAttribute(&bytes, attribute.type, attribute.value)
        }
        if let integrityKey {
            writeUInt16(&bytes, 2, UInt16(bytes.count - 20 + 24))
            let mac = Hmac.sha1(key: integrityKey, message: bytes)
            appendAttribute(&bytes, Attribute.messageIntegrity.rawValue, mac)
        }
        if fingerprint {
            writeUInt16(&bytes, 2, UInt16(bytes.count - 20 + 8))
            var crc: [UInt8] = []
            appendUInt32(&crc, Self.fingerprint(of: bytes[...]))
            appendAttribute(&bytes, Attribute.fingerprint.rawValue, crc)
        }
        writeUInt16(&bytes, 2, UInt16(bytes.count - 20))
        return bytes
    }

    /// XOR-MAPPED-ADDRESS value (RFC 5389 §15.2).
    public static func xorMappedAddress(_ address: TransportAddress, transactionId: [UInt8]) -> [UInt8] {
        var value: [UInt8] = [0, address.ip.count == 4 ? 0x01 : 0x02]
        appendUInt16(&value, address.port ^ UInt16(magicCookie >> 16))
        var mask: [UInt8] = []
        appendUInt32(&mask, magicCookie)
        mask += transactionId
        for (index, byte) in address.ip.enumerated() {
            value.append(byte ^ mask[index])
        }
        return value
    }

    public static func decodeXorMappedAddress(_ value: [UInt8], transactionId: [UInt8]) -> TransportAddress? {
        guard value.count >= 8 else { return nil }
        let ipLength = value[1] == 0x01 ? 4 : 16
        guard value.count == 4 + ipLength else { return nil }
        var mask: [UInt8] = []
        appendUInt32(&mask, magicCookie)
        mask += transactionId
        let port = readUInt16(value, 2) ^ UInt16(magicCookie >> 16)
        let ip = (0..<ipLength).map { value[4 + $0] ^ mask[$0] }
        return TransportAddress(ip: ip, port: port)
    }

    private func attributeOffset(_ attribute: Attribute) -> Int? {
        var offset = 20
        while offset + 4 <= raw.count {
            if readUInt16(raw, offset) == attribute.rawValue { return offset }
            let length = Int(readUInt16(raw, offset + 2))
            offset += 4 + length + (4 - length % 4) % 4
        }
        return nil
    }

    static func fingerprint(of bytes: ArraySlice<UInt8>) -> UInt32 {
        Crc32.checksum(bytes) ^ 0x5354_554E
    }
}

/// CRC-32 (ISO 3309 / ITU-T V.42), as STUN FINGERPRINT uses; not a cryptographic function.
enum Crc32 {
    static let table: [UInt32] = (0..<256).map { index in
        var value = UInt32(index)
        for _ in 0..<8 {
            value = value & 1 == 1 ? 0xEDB8_8320 ^ (value >> 1) : value >> 1
        }
        return value
    }

    static func checksum(_ bytes: some Sequence<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8)
        }
        return crc ^ 0xFFFF_FFFF
    }
}

/// Compares secrets without an early exit, so timing does not reveal how many leading bytes matched.
public func constantTimeEquals(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
    guard lhs.count == rhs.count else { return false }
    var difference: UInt8 = 0
    for index in lhs.indices {
        difference |= lhs[index] ^ rhs[index]
    }
    return difference == 0
}

private func appendAttribute(_ bytes: inout [UInt8], _ type: UInt16, _ value: [UInt8]) {
    appendUInt16(&bytes, type)
    appendUInt16(&bytes, UInt16(value.count))
    bytes += value
    bytes += repeatElement(0, count: (4 - value.count % 4) % 4)
}
