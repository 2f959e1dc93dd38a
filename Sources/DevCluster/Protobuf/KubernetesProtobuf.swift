/// Decodes request bodies sent as `application/vnd.kubernetes.protobuf` (kubectl's generator commands, client-go
/// typed clients) into the JSON the same client would have sent, so the server can keep storing JSON.
///
/// The body is the magic `k8s\0` followed by a `runtime.Unknown` message (k8s.io/apimachinery
/// pkg/runtime/serializer/protobuf): typeMeta = 1 {apiVersion = 1, kind = 2}, raw = 2 (the object's own
/// message), contentEncoding = 3, contentType = 4.
public enum KubernetesProtobuf {
    private static let magic: [UInt8] = [0x6B, 0x38, 0x73, 0x00]

    /// The object as JSON, with "apiVersion" and "kind" taken from the envelope.
    public static func decode(_ body: [UInt8]) throws(KubernetesProtobufError) -> JSON {
        guard body.starts(with: magic) else { throw .badMagic(body.prefix(magic.count)) }
        let envelope = try Envelope(body[magic.count...])
        guard let messageName = KubernetesSchema.kinds[envelope.apiVersion + "/" + envelope.kind] else {
            throw .unsupportedKind(envelope.kind, apiVersion: envelope.apiVersion)
        }
        var object = try MessageDecoder.decodeObject(messageName, from: envelope.raw)
        object["apiVersion"] = .string(envelope.apiVersion)
        object["kind"] = .string(envelope.kind)
        return .object(object)
    }

    /// The `runtime.Unknown` wrapper around the object. Like the API server, it ignores contentEncoding and
    /// contentType (clients never set them) and treats a missing object as an empty one.
    private struct Envelope {
        var apiVersion = ""
        var kind = ""
        var raw: ArraySlice<UInt8> = []

        init(_ bytes: ArraySlice<UInt8>) throws(KubernetesProtobufError) {
            var reader = ProtobufReader(bytes)
            while !reader.isAtEnd {
                let (fieldNumber, wireType) = try reader.readTag()
                guard fieldNumber == 1 || fieldNumber == 2 else {
                    try reader.skip(wireType)
                    continue
                }
                guard wireType == .lengthDelimited else {
                    throw .malformed("envelope field \(fieldNumber) has wire type \(wireType.rawValue), expected 2")
                }
                let payload = try reader.readLengthDelimited()
                if fieldNumber == 1 {
                    let typeMeta = try MessageDecoder.decodeObject(
                        "k8s.io.apimachinery.pkg.runtime.TypeMeta", from: payload)
                    apiVersion = typeMeta["apiVersion"]?.stringValue ?? ""
                    kind = typeMeta["kind"]?.stringValue ?? ""
                } else {
                    raw = payload
                }
            }
            guard !apiVersion.isEmpty, !kind.isEmpty else {
                throw .malformed("the envelope does not name the object's apiVersion and kind")
            }
        }
    }
}
