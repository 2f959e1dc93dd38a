/// The apimachinery types whose JSON form differs from their protobuf message, written as their Go
/// MarshalJSON methods write them.
enum WellKnownTypes {
    /// metav1.Time: Go's protobuf reader keeps whole seconds only, and MarshalJSON writes RFC 3339 in UTC.
    /// An empty message is the zero time, which is written as null.
    static func time(_ payload: ArraySlice<UInt8>) throws(KubernetesProtobufError) -> JSON {
        guard !payload.isEmpty else { return .null }
        let timestamp = try MessageDecoder.decodeObject("k8s.io.apimachinery.pkg.apis.meta.v1.Time", from: payload)
        return .string(RFC3339.format(seconds: timestamp["seconds"]?.intValue ?? 0))
    }

    /// metav1.MicroTime: like Time but with the nanoseconds truncated to microseconds, written with six digits.
    static func microTime(_ payload: ArraySlice<UInt8>) throws(KubernetesProtobufError) -> JSON {
        guard !payload.isEmpty else { return .null }
        let timestamp = try MessageDecoder.decodeObject("k8s.io.apimachinery.pkg.apis.meta.v1.MicroTime", from: payload)
        let seconds = timestamp["seconds"]?.intValue ?? 0
        let nanos = timestamp["nanos"]?.intValue ?? 0
        // Go's time.Unix moves whole seconds out of nanos (and borrows one for negative nanos).
        let microseconds = nanos / 1_000
        let (carry, microsecondOfSecond) = microseconds.floorDivided(by: 1_000_000)
        return .string(RFC3339.format(seconds: seconds + carry, microseconds: microsecondOfSecond))
    }

    /// resource.Quantity travels as its canonical string, which is also its JSON form; an empty message is "0".
    static func quantity(_ payload: ArraySlice<UInt8>) throws(KubernetesProtobufError) -> JSON {
        let quantity = try MessageDecoder.decodeObject("k8s.io.apimachinery.pkg.api.resource.Quantity", from: payload)
        let text = quantity["string"]?.stringValue ?? ""
        return .string(text.isEmpty ? "0" : text)
    }

    /// intstr.IntOrString: type 0 is a number (intVal), type 1 a string (strVal).
    static func intOrString(_ payload: ArraySlice<UInt8>) throws(KubernetesProtobufError) -> JSON {
        let value = try MessageDecoder.decodeObject("k8s.io.apimachinery.pkg.util.intstr.IntOrString", from: payload)
        switch value["type"]?.intValue ?? 0 {
        case 0: return .int(value["intVal"]?.intValue ?? 0)
        case 1: return .string(value["strVal"]?.stringValue ?? "")
        case let type: throw .malformed("IntOrString has type \(type); only 0 (int) and 1 (string) exist")
        }
    }

    /// metav1.FieldsV1 {Raw = 1} holds the managed-fields trie as JSON text, which MarshalJSON writes as is.
    static func fieldsV1(_ payload: ArraySlice<UInt8>) throws(KubernetesProtobufError) -> JSON {
        var raw: ArraySlice<UInt8> = []
        var reader = ProtobufReader(payload)
        while !reader.isAtEnd {
            let (fieldNumber, wireType) = try reader.readTag()
            if fieldNumber == 1, wireType == .lengthDelimited {
                raw = try reader.readLengthDelimited()
            } else {
                try reader.skip(wireType)
            }
        }
        guard !raw.isEmpty else { return .null }
        do {
            return try JSON.parse(Array(raw))
        } catch {
            throw .malformed("managedFields fieldsV1 is not JSON: \(error.description)")
        }
    }
}
