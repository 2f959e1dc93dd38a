import Testing
@testable import DevCluster

@Suite("Rejected bodies")
struct ErrorTests {
    /// kubectl create configmap a --from-literal=x=1
    private let configMapBody = [UInt8](hex: """
        6b3873000a0f0a0276311209436f6e6669674d6170121b0a110a016112001a0022002a0032003800420012060a017812
        01311a002200
        """)

    private func decodingError(_ body: [UInt8]) -> String? {
        #expect(throws: KubernetesProtobufError.self) { try KubernetesProtobuf.decode(body) }?.description
    }

    @Test func jsonBodyHasBadMagic() {
        let message = decodingError(Array(#"{"kind":"ConfigMap"}"#.utf8))
        #expect(message
            == #"not a Kubernetes protobuf body: it must start with 6b 38 73 00 ("k8s\0"), found 7b 22 6b 69"#)
    }

    @Test func emptyBodyHasBadMagic() {
        #expect(decodingError([])?.contains("found an empty body") == true)
    }

    @Test("Cutting kubectl's body inside any field is reported as truncated")
    func everyCutIsTruncated() {
        // Cuts after byte 21 (typeMeta), 50 (raw) and 52 (contentEncoding) end between envelope fields, which is a
        // valid, shorter envelope; before byte 4 the magic is incomplete.
        let fieldBoundaries: Set = [21, 50, 52]
        for length in 5..<configMapBody.count where !fieldBoundaries.contains(length) {
            let message = decodingError(Array(configMapBody.prefix(length)))
            #expect(message?.hasPrefix("truncated protobuf body:") == true, "cut at \(length): \(message ?? "decoded")")
        }
    }

    @Test("A nested message longer than its parent is truncated, not read past")
    func nestedLengthOverrun() {
        let body = ProtobufWriter.body(apiVersion: "v1", kind: "ConfigMap") { configMap in
            configMap.appendKey(1, wireType: 2)
            configMap.appendVarint(10)
            configMap.string(1, "a")
        }
        #expect(decodingError(body)
            == "truncated protobuf body: the 10-byte field at byte 24 runs past the end of its message")
    }

    @Test("An unsupported kind names the kind and apiVersion")
    func unsupportedKind() {
        // kubectl create job j --image=busybox -- echo hi
        let job = [UInt8](hex: """
            6b3873000a0f0a0862617463682f763112034a6f621282010a110a016a12001a0022002a00320038004200126332610a
            100a0012001a0022002a00320038004200124d122a0a016a120762757379626f781a046563686f1a0268692a0042006a
            007200800100880100900100a201001a054e65766572320042004a0052005800600068008201008a01009a0100c20100
            1a082000280030003a001a002200
            """)
        #expect(decodingError(job) == #"""
            decoding kind "Job" of apiVersion "batch/v1" from protobuf is not supported; send it as application/json
            """#)
    }

    @Test func envelopeWithoutTypeMeta() {
        var envelope = ProtobufWriter()
        envelope.bytes(2, [])
        #expect(decodingError([0x6B, 0x38, 0x73, 0x00] + envelope.bytes)
            == "malformed protobuf body: the envelope does not name the object's apiVersion and kind")
    }

    @Test func wrongWireTypeForKnownField() {
        let body = ProtobufWriter.body(apiVersion: "v1", kind: "ConfigMap") { configMap in configMap.varint(1, 3) }
        #expect(decodingError(body)
            == "malformed protobuf body: field 1 of k8s.io.api.core.v1.ConfigMap has wire type 0, expected 2")
    }

    @Test func varintLongerThanTenBytes() {
        let body = ProtobufWriter.body(apiVersion: "v1", kind: "ConfigMap") { configMap in
            configMap.appendKey(4, wireType: 0)
            configMap.appendRaw(Array(repeating: 0x80, count: 10) + [0x01])
        }
        #expect(decodingError(body)?.contains("longer than 10 bytes") == true)
    }

    @Test func groupWireTypeIsRejected() {
        let body = ProtobufWriter.body(apiVersion: "v1", kind: "ConfigMap") { configMap in
            configMap.appendKey(7, wireType: 3)
        }
        #expect(decodingError(body)?.contains("unsupported wire type 3 for field 7") == true)
    }

    @Test func intOrStringWithUnknownType() {
        let body = ProtobufWriter.body(apiVersion: "policy/v1", kind: "PodDisruptionBudget") { budget in
            budget.message(2) { spec in spec.message(1) { minAvailable in minAvailable.varint(1, 2) } }
        }
        #expect(decodingError(body)?.contains("IntOrString has type 2") == true)
    }

    @Test func managedFieldsThatAreNotJSON() {
        let body = ProtobufWriter.body(apiVersion: "v1", kind: "ConfigMap") { configMap in
            configMap.message(1) { metadata in
                metadata.message(17) { entry in entry.message(7) { fields in fields.string(1, "{not json") } }
            }
        }
        #expect(decodingError(body)?.hasPrefix("malformed protobuf body: managedFields fieldsV1 is not JSON") == true)
    }
}
