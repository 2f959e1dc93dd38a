import Testing

@testable import DevCluster

struct ManagedFieldsTests {
    @Test func fieldsV1RoundTrip() throws {
        let fieldsV1 = try json(
            #"""
            {"f:metadata":{"f:finalizers":{".":{},"v:\"example.com/x\"":{}},"f:labels":{".":{},"f:app":{}}},
             "f:spec":{"f:containers":{"k:{\"name\":\"web\"}":{".":{},"f:image":{},
                        "f:ports":{"k:{\"containerPort\":80,\"protocol\":\"TCP\"}":{".":{},"f:containerPort":{}}}}},
                       "f:list":{"i:0":{}}}}
            """#)
        let fields = try #require(FieldSet(fieldsV1: fieldsV1))
        #expect(fields.fieldsV1 == fieldsV1)
        #expect(fields.contains([.field("metadata"), .field("labels")]))
        #expect(!fields.contains([.field("metadata")]))
        #expect(fields.contains([.field("metadata"), .field("finalizers"), .value("example.com/x")]))
        #expect(
            fields.contains([
                .field("spec"), .field("containers"), .key(["name": "web"]), .field("ports"),
                .key(["containerPort": 80, "protocol": "TCP"]), .field("containerPort"),
            ]))
        #expect(fields.paths.count == 9)
        #expect(FieldSet(paths: fields.paths) == fields)
        #expect(FieldSet(fieldsV1: try json(#"{"x:nope":{}}"#)) == nil)
    }

    @Test func setOperations() {
        let spec = PathElement.field("spec")
        let a = FieldSet(paths: [[spec, .field("replicas")], [spec, .field("paused")]])
        let b = FieldSet(paths: [[spec, .field("replicas")], [.field("data")]])
        #expect(a.union(b).paths == [[.field("data")], [spec, .field("paused")], [spec, .field("replicas")]])
        #expect(a.intersection(b).paths == [[spec, .field("replicas")]])
        #expect(a.subtracting(b).paths == [[spec, .field("paused")]])
        #expect(a.subtracting(a).isEmpty)
    }

    @Test func pathNotation() {
        let path: [PathElement] = [
            .field("spec"), .field("ports"), .key(["port": 80, "protocol": "TCP"]), .field("finalizers"),
            .value("a"), .index(2),
        ]
        #expect(path.map(\.description).joined() == #".spec.ports[port=80,protocol="TCP"].finalizers[="a"][2]"#)
        #expect(path.map(\.fieldsV1Key) == ["f:spec", "f:ports", #"k:{"port":80,"protocol":"TCP"}"#, "f:finalizers", #"v:"a""#, "i:2"])
    }

    @Test func fieldsOfAnAppliedConfiguration() throws {
        let shape = BuiltinMergeShapes.shape(group: "", kind: "Pod")!
        let config = try json(
            #"""
            {"apiVersion":"v1","kind":"Pod",
             "metadata":{"name":"p","namespace":"default","finalizers":["example.com/x"],"annotations":{"a":"1"}},
             "spec":{"containers":[{"name":"web","image":"nginx","args":["-v"],"resources":{"limits":{"cpu":"1"}}}],
                     "volumes":[{"name":"scratch","emptyDir":{}}],"tolerations":[{"key":"k"}],"priority":null}}
            """#)
        let expected = try json(
            #"""
            {"f:metadata":{"f:annotations":{"f:a":{}},"f:finalizers":{"v:\"example.com/x\"":{}}},
             "f:spec":{"f:containers":{"k:{\"name\":\"web\"}":{".":{},"f:args":{},"f:image":{},"f:name":{},
                                                                "f:resources":{"f:limits":{"f:cpu":{}}}}},
                       "f:priority":{},"f:tolerations":{},
                       "f:volumes":{"k:{\"name\":\"scratch\"}":{".":{},"f:emptyDir":{},"f:name":{}}}}}
            """#)
        #expect(FieldSet.of(config, shape: shape).fieldsV1 == expected)
    }

    @Test func entryRoundTrip() throws {
        let entryJSON = try json(
            #"""
            {"manager":"kubelet","operation":"Update","apiVersion":"v1","time":"2024-05-01T10:00:00Z",
             "fieldsType":"FieldsV1","fieldsV1":{"f:status":{"f:phase":{}}},"subresource":"status"}
            """#)
        let entry = try #require(ManagedFieldsEntry(json: entryJSON))
        #expect(entry.manager == "kubelet")
        #expect(entry.subresource == "status")
        #expect(entry.fields.contains([.field("status"), .field("phase")]))
        #expect(entry.json == entryJSON)
        #expect(ManagedFieldsEntry(json: try json(#"{"manager":"x","operation":"Patch"}"#)) == nil)
    }

    let shape = BuiltinMergeShapes.shape(group: "apps", kind: "Deployment")!

    func deployment(replicas: Int) throws -> JSON {
        try json(
            #"""
            {"apiVersion":"apps/v1","kind":"Deployment",
             "metadata":{"name":"web","namespace":"default","uid":"u1","resourceVersion":"1","generation":1,
                         "creationTimestamp":"2024-05-01T10:00:00Z","labels":{"app":"web"}},
             "spec":{"replicas":\#(replicas),"template":{"spec":{"containers":[{"name":"web","image":"nginx"}]}}}}
            """#)
    }

    @Test func createOwnsEverySetFieldButServerMetadata() throws {
        let created = ManagedFieldsTracker.recordUpdate(
            old: nil, new: try deployment(replicas: 1), manager: "kubectl-create", apiVersion: "apps/v1",
            now: "2024-05-01T10:00:00Z", shape: shape, subresource: nil)
        let entries = created[path: ["metadata", "managedFields"]]?.arrayValue ?? []
        #expect(entries.count == 1)
        let entry = try #require(entries.first.flatMap(ManagedFieldsEntry.init(json:)))
        #expect(entry.operation == "Update")
        #expect(entry.time == "2024-05-01T10:00:00Z")
        #expect(
            entry.fields.fieldsV1 == (try json(
                #"""
                {"f:metadata":{"f:labels":{".":{},"f:app":{}}},
                 "f:spec":{".":{},"f:replicas":{},"f:template":{".":{},"f:spec":{".":{},"f:containers":{".":{},
                    "k:{\"name\":\"web\"}":{".":{},"f:image":{},"f:name":{}}}}}}}
                """#)))
    }

    @Test func anUpdateTakesTheFieldsItChanges() throws {
        let created = ManagedFieldsTracker.recordUpdate(
            old: nil, new: try deployment(replicas: 1), manager: "kubectl-create", apiVersion: "apps/v1",
            now: "2024-05-01T10:00:00Z", shape: shape, subresource: nil)
        var scaled = created
        scaled[path: ["spec", "replicas"]] = 5
        scaled[path: ["metadata", "resourceVersion"]] = "2"
        let result = ManagedFieldsTracker.recordUpdate(
            old: created, new: scaled, manager: "hpa", apiVersion: "apps/v1", now: "2024-05-01T11:00:00Z",
            shape: shape, subresource: nil)
        let entries = (result[path: ["metadata", "managedFields"]]?.arrayValue ?? []).compactMap(
            ManagedFieldsEntry.init(json:))
        #expect(entries.map(\.manager) == ["kubectl-create", "hpa"])
        let replicas: [PathElement] = [.field("spec"), .field("replicas")]
        #expect(entries[1].fields.paths == [replicas])
        #expect(entries[1].time == "2024-05-01T11:00:00Z")
        #expect(!entries[0].fields.contains(replicas))
        #expect(entries[0].time == "2024-05-01T10:00:00Z")

        // A write that changes nothing leaves managedFields alone.
        let unchanged = ManagedFieldsTracker.recordUpdate(
            old: result, new: result, manager: "other", apiVersion: "apps/v1", now: "2024-05-01T12:00:00Z",
            shape: shape, subresource: nil)
        #expect(unchanged == result)
    }

    @Test func statusWritesAreRecordedPerSubresource() throws {
        let created = try deployment(replicas: 1)
        var withStatus = created
        withStatus[path: ["status"]] = try json(#"{"readyReplicas":1}"#)
        let result = ManagedFieldsTracker.recordUpdate(
            old: created, new: withStatus, manager: "devcluster", apiVersion: "apps/v1", now: "2024-05-01T11:00:00Z",
            shape: shape, subresource: "status")
        let entry = try #require(
            result[path: ["metadata", "managedFields"]]?.arrayValue?.first.flatMap(ManagedFieldsEntry.init(json:)))
        #expect(entry.subresource == "status")
        #expect(entry.fields.paths == [[.field("status")], [.field("status"), .field("readyReplicas")]])
    }

    @Test func clientsMayRewriteOrClearManagedFields() throws {
        let created = ManagedFieldsTracker.recordUpdate(
            old: nil, new: try deployment(replicas: 1), manager: "kubectl-client-side-apply", apiVersion: "apps/v1",
            now: "2024-05-01T10:00:00Z", shape: shape, subresource: nil)
        // kubectl hands client-side apply's fields to server-side apply by rewriting the entry.
        var renamed = created
        var entry = try #require(ManagedFieldsEntry(json: created[path: ["metadata", "managedFields"]]!.arrayValue![0]))
        entry.manager = "kubectl"
        entry.operation = "Apply"
        renamed[path: ["metadata", "managedFields"]] = [entry.json]
        let upgraded = ManagedFieldsTracker.recordUpdate(
            old: created, new: renamed, manager: "kubectl", apiVersion: "apps/v1", now: "2024-05-01T11:00:00Z",
            shape: shape, subresource: nil)
        #expect(upgraded[path: ["metadata", "managedFields"]] == [entry.json])

        var cleared = created
        cleared[path: ["metadata", "managedFields"]] = [[:]]
        let result = ManagedFieldsTracker.recordUpdate(
            old: created, new: cleared, manager: "kubectl", apiVersion: "apps/v1", now: "2024-05-01T11:00:00Z",
            shape: shape, subresource: nil)
        #expect(result[path: ["metadata", "managedFields"]] == nil)
    }
}
