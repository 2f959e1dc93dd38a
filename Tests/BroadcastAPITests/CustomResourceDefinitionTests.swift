import BroadcastAPI
import Foundation
import Testing

@Suite struct CustomResourceDefinitionTests {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test func committedManifestIsTheGeneratedCRD() throws {
        let path = Self.packageRoot.appendingPathComponent("manifests/crd/broadcasts.media.streamlick.io.yaml")
        let committed = try String(contentsOf: path, encoding: .utf8)
        #expect(committed == BroadcastCRD.yaml,
                "manifests/crd is stale: regenerate with `swift run broadcast-operator crd > \(path.path)`")
    }

    @Test func schemaCarriesTheTypesBounds() {
        let yaml = BroadcastCRD.yaml
        #expect(yaml.contains("maxItems: \(BroadcastSpec.maxDestinations)"))
        #expect(yaml.contains("default: \(BroadcastSpec.defaultMaxBitrateKbps)"))
        #expect(yaml.contains("maximum: \(BroadcastSpec.guestRange.upperBound)"))
        #expect(yaml.contains("x-kubernetes-list-map-keys:\n"))
        #expect(yaml.contains("pattern: ^rtmps?://.+"))
    }

    @Test func scalarsThatYAMLWouldRetypeAreQuoted() {
        let node: YAMLNode = .map([("a", "true"), ("b", "8080"), ("c", "x: y"), ("d", "it's"), ("e", "plain text")])
        #expect(node.text == "a: 'true'\nb: '8080'\nc: 'x: y'\nd: it's\ne: plain text\n")
    }

    @Test func listsOfMapsNestUnderTheirKey() {
        let node: YAMLNode = .map([("items", .list([.map([("name", "a"), ("value", 1)]), "b"]))])
        #expect(node.text == "items:\n- name: a\n  value: 1\n- b\n")
    }
}
