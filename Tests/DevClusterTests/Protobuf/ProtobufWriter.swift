/// A minimal protobuf encoder for building request bodies in tests.
struct ProtobufWriter {
    private(set) var bytes: [UInt8] = []

    mutating func varint(_ field: Int, _ value: UInt64) {
        appendKey(field, wireType: 0)
        appendVarint(value)
    }

    /// A signed value as Go encodes int32 and int64: negative numbers sign-extended to ten bytes.
    mutating func int(_ field: Int, _ value: Int64) {
        varint(field, UInt64(bitPattern: value))
    }

    mutating func bool(_ field: Int, _ value: Bool) {
        varint(field, value ? 1 : 0)
    }

    mutating func string(_ field: Int, _ value: String) {
        bytes(field, Array(value.utf8))
    }

    mutating func bytes(_ field: Int, _ value: [UInt8]) {
        appendKey(field, wireType: 2)
        appendVarint(UInt64(value.count))
        bytes += value
    }

    mutating func message(_ field: Int, _ build: (inout ProtobufWriter) -> Void) {
        var nested = ProtobufWriter()
        build(&nested)
        bytes(field, nested.bytes)
    }

    /// A map<string, string> entry {key = 1, value = 2}.
    mutating func mapEntry(_ field: Int, _ key: String, _ value: String) {
        message(field) { entry in
            entry.string(1, key)
            entry.string(2, value)
        }
    }

    mutating func fixed32(_ field: Int, _ value: UInt32) {
        appendKey(field, wireType: 5)
        bytes += withUnsafeBytes(of: value.littleEndian, Array.init)
    }

    mutating func fixed64(_ field: Int, _ value: UInt64) {
        appendKey(field, wireType: 1)
        bytes += withUnsafeBytes(of: value.littleEndian, Array.init)
    }

    mutating func appendKey(_ field: Int, wireType: UInt64) {
        appendVarint(UInt64(field) << 3 | wireType)
    }

    mutating func appendRaw(_ raw: [UInt8]) {
        bytes += raw
    }

    mutating func appendVarint(_ value: UInt64) {
        var rest = value
        while rest >= 0x80 {
            bytes.append(UInt8(rest & 0x7F) | 0x80)
            rest >>= 7
        }
        bytes.append(UInt8(rest))
    }

    /// A whole request body: "k8s\0" and a runtime.Unknown envelope around the object.
    static func body(apiVersion: String, kind: String, _ build: (inout ProtobufWriter) -> Void) -> [UInt8] {
        var object = ProtobufWriter()
        build(&object)
        var envelope = ProtobufWriter()
        envelope.message(1) { typeMeta in
            typeMeta.string(1, apiVersion)
            typeMeta.string(2, kind)
        }
        envelope.bytes(2, object.bytes)
        return [0x6B, 0x38, 0x73, 0x00] + envelope.bytes
    }
}

extension Array where Element == UInt8 {
    /// Bytes from a hex dump such as "6b387300"; whitespace is ignored.
    init(hex: String) {
        let digits = [Character](hex.filter { !$0.isWhitespace })
        self = stride(from: 0, to: digits.count, by: 2).map { UInt8(String(digits[$0...$0 + 1]), radix: 16)! }
    }
}
