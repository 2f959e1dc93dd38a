@testable import DevCluster
import Testing

@Suite struct SchemaDefaultingTests {
    @Test func defaultsFillMissingFieldsAndDefaultObjectsAreDefaultedInside() throws {
        let schema = try broadcastSchema()
        let defaulted = schema.applyDefaults(to: try broadcast(spec: #"{"destinations": []}"#))
        #expect(defaulted["spec"]?["egress"] == ["method": "rtmp"])
        #expect(defaulted["spec"]?["guests"] == ["max": 6])
        #expect(defaulted["spec"]?["labels"] == nil, "no default, no field")
    }

    @Test func existingValuesAreKept() throws {
        let schema = try broadcastSchema()
        let defaulted = schema.applyDefaults(to: try broadcast(spec: #"{"egress": {"method": "relay"}, "guests": {"max": 0}}"#))
        #expect(defaulted["spec"]?["egress"] == ["method": "relay"])
        #expect(defaulted["spec"]?["guests"] == ["max": 0])
    }

    @Test func defaultsApplyToEveryArrayItem() throws {
        let schema = try broadcastSchema()
        let defaulted = schema.applyDefaults(
            to: try broadcast(spec: #"{"destinations": [{"name": "a", "url": "rtmp://a"}, {"name": "b", "url": "rtmp://b", "enabled": false}]}"#))
        #expect(
            defaulted["spec"]?["destinations"] == [
                ["name": "a", "url": "rtmp://a", "enabled": true],
                ["name": "b", "url": "rtmp://b", "enabled": false],
            ])
    }

    @Test func nullsOfNonNullableFields() throws {
        let schema = try broadcastSchema()
        let defaulted = schema.applyDefaults(
            to: try broadcast(spec: #"{"guests": {"max": null}, "labels": {"team": null}, "startAt": null, "note": null}"#))
        #expect(defaulted["spec"]?["guests"] == ["max": 6], "a null with a default is defaulted")
        #expect(defaulted["spec"]?["labels"] == [:], "a null without a default is dropped")
        #expect(defaulted["spec"]?["startAt"] == nil)
        #expect(defaulted["spec"]?["note"] == .null, "nullable fields keep their null")
    }

    @Test func defaultsAreDefaultedAndPrunedThemselves() throws {
        let schema = try StructuralSchema(
            json(#"""
                {"type": "object", "properties": {"spec": {"type": "object", "properties": {
                  "policy": {"type": "object", "default": {"mode": "fast", "legacy": true},
                             "properties": {"mode": {"type": "string"}, "retries": {"type": "integer", "default": 3}}},
                  "ports": {"type": "object", "additionalProperties": {"type": "object", "properties": {
                             "protocol": {"type": "string", "default": "TCP"}}}}
                }}}}
                """#))
        let defaulted = schema.applyDefaults(to: try json(#"{"spec": {"ports": {"http": {}, "dns": {"protocol": "UDP"}}}}"#))
        #expect(defaulted["spec"]?["policy"] == ["mode": "fast", "retries": 3])
        #expect(defaulted["spec"]?["ports"] == ["http": ["protocol": "TCP"], "dns": ["protocol": "UDP"]])
    }

    @Test func pruningDropsUnknownFieldsAtEveryLevel() throws {
        let schema = try broadcastSchema()
        let object = try json(#"""
            {"apiVersion": "media.streamlick.io/v1alpha1", "kind": "Broadcast", "extra": 1,
             "metadata": {"name": "x", "labels": {"a": "b"}, "creationTimestamp": null},
             "spec": {"unknown": {"deep": true}, "destinations": [{"name": "a", "url": "rtmp://a", "foo": 1}],
                      "labels": {"free": "form"}},
             "status": {"phase": "Live", "viewers": 12, "detail": {"code": 1, "extra": "x"}}}
            """#)
        let (pruned, prunedPaths) = schema.prune(object)
        #expect(prunedPaths == ["extra", "spec.destinations[0].foo", "spec.unknown", "status.detail.extra"])
        #expect(pruned["metadata"] == object["metadata"], "metadata is not the schema's to prune")
        #expect(pruned["spec"]?["labels"] == ["free": "form"], "additionalProperties keep every key")
        #expect(pruned["status"] == ["phase": "Live", "viewers": 12, "detail": ["code": 1]], "preserve-unknown-fields keeps the rest")
        #expect(pruned["apiVersion"] == object["apiVersion"])
    }

    @Test func embeddedResourcesKeepTheirTypeMeta() throws {
        let schema = try StructuralSchema(
            json(#"""
                {"type": "object", "properties": {"template": {"type": "object", "x-kubernetes-embedded-resource": true,
                  "properties": {"spec": {"type": "object"}}}}}
                """#))
        let (pruned, prunedPaths) = schema.prune(
            try json(#"{"template": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"x": 1}, "junk": 2}}"#))
        #expect(prunedPaths == ["template.junk", "template.spec.x"])
        #expect(pruned["template"] == ["apiVersion": "v1", "kind": "Pod", "metadata": ["name": "p"], "spec": [:]])
    }

    @Test func mergeShapeFollowsTheListAndMapTypes() throws {
        let schema = try StructuralSchema(
            json(#"""
                {"type": "object", "properties": {"spec": {"type": "object", "properties": {
                  "destinations": {"type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"],
                                   "items": {"type": "object", "properties": {"hosts": {"type": "array", "x-kubernetes-list-type": "set",
                                             "items": {"type": "string"}}}}},
                  "args": {"type": "array", "items": {"type": "string"}},
                  "selector": {"type": "object", "x-kubernetes-map-type": "atomic", "additionalProperties": {"type": "string"}},
                  "groups": {"type": "object", "additionalProperties": {"type": "array", "x-kubernetes-list-type": "set", "items": {"type": "string"}}}
                }}}}
                """#))
        let spec = schema.mergeShape.field("spec")
        #expect(spec.field("destinations").list == .map(keys: ["name"]))
        #expect(spec.field("destinations").element.field("hosts").list == .set)
        #expect(spec.field("args").list == .atomic)
        #expect(spec.field("selector").atomicObject)
        #expect(!spec.atomicObject)
        #expect(spec.field("groups").field("anyKey").list == .set)
    }
}
