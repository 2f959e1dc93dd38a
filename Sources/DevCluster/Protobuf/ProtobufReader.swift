/// Reads protobuf wire format (https://protobuf.dev/programming-guides/encoding/) field by field.
/// It works on slices of the request body, which keep the body's indices, so error offsets point into the body.
struct ProtobufReader {
    enum WireType: UInt64 {
        case varint = 0
        case fixed64 = 1
        case lengthDelimited = 2
        case fixed32 = 5
    }

    private let bytes: ArraySlice<UInt8>
    private var position: Int

    init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        position = bytes.startIndex
    }

    var isAtEnd: Bool { position == bytes.endIndex }

    mutating func readTag() throws(KubernetesProtobufError) -> (fieldNumber: Int, wireType: WireType) {
        let start = position
        let key = try readVarint()
        let fieldNumber = key >> 3
        // 2^29 - 1 is the largest field number protobuf allows.
        guard (1...536_870_911).contains(fieldNumber) else {
            throw .malformed("field number \(fieldNumber) at byte \(start) is out of range")
        }
        // Wire types 3 and 4 are proto2 groups, which no Kubernetes message uses.
        guard let wireType = WireType(rawValue: key & 7) else {
            throw .malformed("unsupported wire type \(key & 7) for field \(fieldNumber) at byte \(start)")
        }
        return (Int(fieldNumber), wireType)
    }

    mutating func readVarint() throws(KubernetesProtobufError) -> UInt64 {
        let start = position
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard position < bytes.endIndex else { throw .truncated("the varint at byte \(start) is cut off") }
            guard shift < 64 else { throw .malformed("the varint at byte \(start) is longer than 10 bytes") }
            let byte = bytes[position]
            position += 1
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
        }
    }

    /// The payload of a length-delimited field: a string, bytes, a nested message or a packed list.
    mutating func readLengthDelimited() throws(KubernetesProtobufError) -> ArraySlice<UInt8> {
        let start = position
        let length = try readVarint()
        guard length <= UInt64(bytes.endIndex - position) else {
            throw .truncated("the \(length)-byte field at byte \(start) runs past the end of its message")
        }
        let payload = bytes[position..<position + Int(length)]
        position = payload.endIndex
        return payload
    }

    /// Steps over a field the schema does not know, as protobuf requires of readers.
    mutating func skip(_ wireType: WireType) throws(KubernetesProtobufError) {
        switch wireType {
        case .varint: _ = try readVarint()
        case .lengthDelimited: _ = try readLengthDelimited()
        case .fixed64: try advance(by: 8)
        case .fixed32: try advance(by: 4)
        }
    }

    private mutating func advance(by count: Int) throws(KubernetesProtobufError) {
        guard bytes.endIndex - position >= count else {
            throw .truncated("the \(count)-byte fixed-width field at byte \(position) is cut off")
        }
        position += count
    }
}
