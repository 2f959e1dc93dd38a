import Foundation
import Testing
@testable import Kube

@Suite struct CodingTests {
    @Test func timestampsReadBothPrecisionsAndWriteMicroseconds() throws {
        let seconds = try #require(KubeCoding.parseTimestamp("2026-11-26T10:00:00Z"))
        #expect(seconds.timeIntervalSince1970 == 1_795_687_200)
        let micro = try #require(KubeCoding.parseTimestamp("2026-11-26T10:00:00.250000Z"))
        #expect(abs(micro.timeIntervalSince1970 - 1_795_687_200.25) < 0.000_01)
        #expect(KubeCoding.formatTimestamp(micro) == "2026-11-26T10:00:00.250000Z")
        #expect(KubeCoding.formatTimestamp(seconds) == "2026-11-26T10:00:00.000000Z")

        let lease = Lease(metadata: ObjectMeta(name: "leader"), spec: .init(holderIdentity: "a", renewTime: micro))
        let json = try JSONValue(encoding: lease)
        #expect(json["spec"]?["renewTime"] == "2026-11-26T10:00:00.250000Z")
        #expect(try json.decode(as: Lease.self) == lease)
    }

    @Test func jsonValueRoundTripsAndKeepsIntegers() throws {
        let value: JSONValue = ["name": "x", "count": 3, "ratio": 0.5, "on": true, "none": nil, "list": [1, "two"]]
        let data = try KubeCoding.encoder.encode(value)
        let decoded = try KubeCoding.decoder.decode(JSONValue.self, from: data)
        #expect(decoded == value)
        #expect(decoded["count"]?.intValue == 3)
        #expect(decoded["list"]?[1]?.stringValue == "two")
        var edited = decoded
        edited["name"] = "y"
        #expect(edited["name"] == "y")
    }

    @Test func statusReasonsDecideTheHelpers() {
        func error(_ code: Int, _ reason: String?) -> KubeError {
            .api(Status(code: code, reason: reason, message: "m"), request: "GET /x")
        }
        #expect(error(409, "Conflict").isConflict)
        #expect(!error(409, "AlreadyExists").isConflict)
        #expect(error(409, "AlreadyExists").isAlreadyExists)
        #expect(error(404, "NotFound").isNotFound)
        #expect(error(404, nil).isNotFound)
        #expect(error(410, "Expired").isGone)
        #expect(error(410, "Gone").isGone)
        #expect(error(422, "Invalid").isInvalid)
        #expect(!error(500, "InternalError").isNotFound)
        #expect(!KubeError.transport(message: "refused", request: "GET /x").isNotFound)
        #expect(error(404, "NotFound").description == "GET /x: 404 (NotFound): m")
    }

    @Test func lineSplitterHandlesAnyChunkBoundary() throws {
        let text = #"{"type":"ADDED","object":{"n":"é"}}"# + "\n\n" + #"{"type":"DELETED"}"# + "\n" + #"{"partial""#
        let bytes = Array(text.utf8)
        for chunkSize in [1, 2, 3, 7, bytes.count] {
            var splitter = LineSplitter()
            var lines: [String] = []
            for start in stride(from: 0, to: bytes.count, by: chunkSize) {
                let chunk = bytes[start..<min(start + chunkSize, bytes.count)]
                lines += splitter.append(chunk).map { String(decoding: $0, as: UTF8.self) }
            }
            #expect(lines == [#"{"type":"ADDED","object":{"n":"é"}}"#, #"{"type":"DELETED"}"#])
        }
    }

    @Test func resourcePaths() {
        #expect(ResourceDescriptor.configMaps.path(namespace: "studio", name: "a") == "/api/v1/namespaces/studio/configmaps/a")
        #expect(ResourceDescriptor.configMaps.path(namespace: nil) == "/api/v1/configmaps")
        #expect(ResourceDescriptor.leases.path(namespace: "kube-system", name: "op")
            == "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/op")
        let broadcasts = ResourceDescriptor(group: "media.streamlick.io", version: "v1alpha1", plural: "broadcasts")
        #expect(broadcasts.path(namespace: "studio", name: "show", subresource: "status")
            == "/apis/media.streamlick.io/v1alpha1/namespaces/studio/broadcasts/show/status")
        #expect(broadcasts.description == "broadcasts.media.streamlick.io")
        #expect(ResourceDescriptor.customResourceDefinitions.path(namespace: "ignored", name: "x")
            == "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/x")
    }
}
