import Foundation

/// Turns one protobuf message into the JSON object Go's encoding/json would write for the same Go struct,
/// following the tables in `KubernetesSchema`.
enum MessageDecoder {
    static func decodeObject(_ messageName: String, from bytes: ArraySlice<UInt8>) throws(KubernetesProtobufError)
        -> [String: JSON]
    {
        var object: [String: JSON] = [:]
        try decodeFields(of: messageName, from: bytes, into: &object)
        return object
    }

    /// Adds the message's fields to `object`. Decoding into what is already there is how protobuf merges a message
    /// that arrives twice, and how an inlined Go struct joins its parent.
    private static func decodeFields(
        of messageName: String, from bytes: ArraySlice<UInt8>, into object: inout [String: JSON]
    ) throws(KubernetesProtobufError) {
        guard let schema = KubernetesSchema.messages[messageName] else {
            preconditionFailure("the schema names message \(messageName) but does not declare it")
        }
        var reader = ProtobufReader(bytes)
        while !reader.isAtEnd {
            let (fieldNumber, wireType) = try reader.readTag()
            guard let field = schema[fieldNumber] else {
                try reader.skip(wireType)
                continue
            }
            let context = FieldContext(message: messageName, number: fieldNumber, wireType: wireType)
            try decode(field, context, from: &reader, into: &object)
        }
    }

    /// Where a field sits, for error messages.
    private struct FieldContext {
        let message: String
        let number: Int
        let wireType: ProtobufReader.WireType

        func require(_ expected: ProtobufReader.WireType) throws(KubernetesProtobufError) {
            guard wireType == expected else {
                throw .malformed("field \(number) of \(message) has wire type \(wireType.rawValue), "
                    + "expected \(expected.rawValue)")
            }
        }
    }

    private static func decode(
        _ field: Field, _ context: FieldContext, from reader: inout ProtobufReader, into object: inout [String: JSON]
    ) throws(KubernetesProtobufError) {
        switch field.kind {
        case .single(.message(let messageName)):
            try context.require(.lengthDelimited)
            var nested = object[field.jsonName]?.objectValue ?? [:]
            try decodeFields(of: messageName, from: reader.readLengthDelimited(), into: &nested)
            object[field.jsonName] = .object(nested)
        case .single(let kind):
            let value = try decodeValue(kind, context, from: &reader)
            if kind.omitsZero, !field.keepsZero, value.isZeroScalar {
                // A later occurrence replaces an earlier one, so a zero that Go omits also removes the field.
                object.removeValue(forKey: field.jsonName)
            } else {
                object[field.jsonName] = value
            }
        case .repeated(let kind):
            var elements = object[field.jsonName]?.arrayValue ?? []
            if context.wireType == .lengthDelimited, kind.isVarint {
                // Packed encoding: one length-delimited run of varints.
                var packed = ProtobufReader(try reader.readLengthDelimited())
                while !packed.isAtEnd { elements.append(varintValue(kind, try packed.readVarint())) }
            } else {
                elements.append(try decodeValue(kind, context, from: &reader))
            }
            object[field.jsonName] = .array(elements)
        case .map(let valueKind):
            try context.require(.lengthDelimited)
            let (key, value) = try decodeMapEntry(valueKind, context, from: reader.readLengthDelimited())
            var entries = object[field.jsonName]?.objectValue ?? [:]
            entries[key] = value
            object[field.jsonName] = .object(entries)
        case .inlined(let messageName):
            try context.require(.lengthDelimited)
            try decodeFields(of: messageName, from: reader.readLengthDelimited(), into: &object)
        }
    }

    private static func decodeValue(_ kind: ValueKind, _ context: FieldContext, from reader: inout ProtobufReader)
        throws(KubernetesProtobufError) -> JSON
    {
        if kind.isVarint {
            try context.require(.varint)
            return varintValue(kind, try reader.readVarint())
        }
        try context.require(.lengthDelimited)
        return try lengthDelimitedValue(kind, reader.readLengthDelimited())
    }

    private static func varintValue(_ kind: ValueKind, _ varint: UInt64) -> JSON {
        switch kind {
        // Go reads an int32 from the low 32 bits; negative values arrive sign-extended to 64.
        case .int32: .int(Int64(Int32(truncatingIfNeeded: varint)))
        case .int64: .int(Int64(bitPattern: varint))
        case .bool: .bool(varint != 0)
        default: preconditionFailure("\(kind) is not carried in a varint")
        }
    }

    private static func lengthDelimitedValue(_ kind: ValueKind, _ payload: ArraySlice<UInt8>)
        throws(KubernetesProtobufError) -> JSON
    {
        switch kind {
        // Invalid UTF-8 becomes U+FFFD, as Go's encoding/json writes it.
        case .string: return .string(String(decoding: payload, as: UTF8.self))
        case .bytes: return .string(Data(payload).base64EncodedString())
        case .message(let name): return .object(try decodeObject(name, from: payload))
        case .time: return try WellKnownTypes.time(payload)
        case .microTime: return try WellKnownTypes.microTime(payload)
        case .quantity: return try WellKnownTypes.quantity(payload)
        case .intOrString: return try WellKnownTypes.intOrString(payload)
        case .fieldsV1: return try WellKnownTypes.fieldsV1(payload)
        case .int32, .int64, .bool: preconditionFailure("\(kind) is carried in a varint")
        }
    }

    /// One map entry {key = 1, value = 2}. A missing part is its zero value, as in Go.
    private static func decodeMapEntry(_ valueKind: ValueKind, _ context: FieldContext, from payload: ArraySlice<UInt8>)
        throws(KubernetesProtobufError) -> (String, JSON)
    {
        var key = ""
        var valuePayload: ArraySlice<UInt8> = []
        var reader = ProtobufReader(payload)
        while !reader.isAtEnd {
            let (fieldNumber, wireType) = try reader.readTag()
            let entryContext = FieldContext(message: "a map entry of field \(context.number) of \(context.message)",
                                            number: fieldNumber, wireType: wireType)
            switch fieldNumber {
            case 1:
                try entryContext.require(.lengthDelimited)
                key = String(decoding: try reader.readLengthDelimited(), as: UTF8.self)
            case 2:
                try entryContext.require(.lengthDelimited)
                valuePayload = try reader.readLengthDelimited()
            default:
                try reader.skip(wireType)
            }
        }
        return (key, try lengthDelimitedValue(valueKind, valuePayload))
    }
}

extension ValueKind {
    /// The scalars Kubernetes sends as varints (it has no fixed-width or zigzag fields).
    var isVarint: Bool {
        switch self {
        case .int32, .int64, .bool: true
        default: false
        }
    }

    /// The kinds Go's omitempty can drop; a struct such as IntOrString or Quantity is never empty to encoding/json.
    var omitsZero: Bool {
        switch self {
        case .string, .bytes, .int32, .int64, .bool: true
        default: false
        }
    }
}

extension JSON {
    /// The values Go's omitempty drops: "", 0 and false.
    var isZeroScalar: Bool {
        switch self {
        case .string(let value): value.isEmpty
        case .int(let value): value == 0
        case .bool(let value): !value
        default: false
        }
    }
}
