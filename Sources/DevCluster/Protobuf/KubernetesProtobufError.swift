/// Why a protobuf request body could not be turned into JSON; `description` is meant for the API client.
public struct KubernetesProtobufError: Error, Sendable, CustomStringConvertible {
    public let description: String

    static func badMagic(_ prefix: ArraySlice<UInt8>) -> Self {
        let found = prefix.isEmpty ? "an empty body" : prefix.map { hex($0) }.joined(separator: " ")
        return Self(description:
            "not a Kubernetes protobuf body: it must start with 6b 38 73 00 (\"k8s\\0\"), found \(found)")
    }

    static func truncated(_ detail: String) -> Self {
        Self(description: "truncated protobuf body: \(detail)")
    }

    static func malformed(_ detail: String) -> Self {
        Self(description: "malformed protobuf body: \(detail)")
    }

    static func unsupportedKind(_ kind: String, apiVersion: String) -> Self {
        Self(description: "decoding kind \"\(kind)\" of apiVersion \"\(apiVersion)\" from protobuf is not supported; "
            + "send it as application/json")
    }

    private static func hex(_ byte: UInt8) -> String {
        (byte < 0x10 ? "0" : "") + String(byte, radix: 16)
    }
}
