import Testing

@testable import DevCluster

struct ServerSideApplyTests {
    let shape = BuiltinMergeShapes.shape(group: "apps", kind: "Deployment")!
    let created = "2024-05-01T10:00:00Z"
    let later = "2024-05-01T11:00:00Z"

    /// An applied configuration of the Deployment `web` with `replicas` and the given containers.
    func config(replicas: Int = 2, labels: String = #"{"app":"web"}"#, containers: String = #"[{"name":"web","image":"nginx:1"}]"#)
        throws -> JSON
    {
        try json(
            #"""
            {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"default","labels":\#(labels)},
             "spec":{"replicas":\#(replicas),"template":{"spec":{"containers":\#(containers)}}}}
            """#)
    }

    func apply(_ config: JSON, to live: JSON?, manager: String = "kubectl", force: Bool = false, now: String? = nil)
        throws(ApplyConflict) -> JSON
    {
        try ServerSideApply.apply(
            config: config, to: live, manager: manager, apiVersion: "apps/v1", now: now ?? created, force: force,
            shape: shape)
    }

    func entries(_ object: JSON) -> [ManagedFieldsEntry] {
        object[path: ["metadata", "managedFields"]]?.arrayValue?.compactMap(ManagedFieldsEntry.init(json:)) ?? []
    }

    func entry(_ object: JSON, _ manager: String) -> ManagedFieldsEntry? {
        entries(object).first { $0.manager == manager }
    }

    func containerNames(_ object: JSON) -> [JSON?] {
        (object[path: ["spec", "template", "spec", "containers"]]?.arrayValue ?? []).map { $0["name"] }
    }

    @Test func createRecordsTheAppliedFieldsInWireFormat() throws {
        let applied = try config()
        let result = try apply(applied, to: nil)
        var withoutManagedFields = result
        withoutManagedFields[path: ["metadata", "managedFields"]] = nil
        #expect(withoutManagedFields == applied)
        let expected = try json(
            #"""
            [{"apiVersion":"apps/v1","fieldsType":"FieldsV1","manager":"kubectl","operation":"Apply","time":"2024-05-01T10:00:00Z",
              "fieldsV1":{"f:metadata":{"f:labels":{"f:app":{}}},
                          "f:spec":{"f:replicas":{},"f:template":{"f:spec":{"f:containers":{
                              "k:{\"name\":\"web\"}":{".":{},"f:image":{},"f:name":{}}}}}}}}]
            """#)
        #expect(result[path: ["metadata", "managedFields"]] == expected)
    }

    @Test func reapplyingUnchangedIsANoOp() throws {
        let first = try apply(try config(), to: nil)
        let second = try apply(try config(), to: first, now: later)
        #expect(second == first)
    }

    @Test func fieldsDroppedFromTheConfigAreRemoved() throws {
        let first = try apply(
            try config(
                labels: #"{"app":"web","tier":"front"}"#,
                containers: #"[{"name":"web","image":"nginx:1"},{"name":"sidecar","image":"envoy:1"}]"#), to: nil)
        let second = try apply(try config(), to: first, now: later)
        #expect(second[path: ["metadata", "labels"]] == (try json(#"{"app":"web"}"#)))
        #expect(containerNames(second) == ["web"])
        #expect(entry(second, "kubectl")?.fields == FieldSet.of(try config(), shape: shape))
        #expect(entry(second, "kubectl")?.time == later)

        // Nothing left in a map the manager stops applying: the emptied map goes too.
        var noLabels = try config()
        noLabels[path: ["metadata", "labels"]] = nil
        let third = try apply(noLabels, to: second, now: later)
        #expect(third[path: ["metadata", "labels"]] == nil)
        #expect(third[path: ["metadata", "name"]] == "web")
    }

    /// An object made by client-side `kubectl apply` (an Update manager) and then server-side applied.
    func clientSideApplied() throws -> JSON {
        ManagedFieldsTracker.recordUpdate(
            old: nil, new: try config(replicas: 1), manager: "kubectl-client-side-apply", apiVersion: "apps/v1",
            now: created, shape: shape, subresource: nil)
    }

    @Test func conflictWithAnotherManager() throws {
        let live = try clientSideApplied()
        let error = #expect(throws: ApplyConflict.self) { try apply(try config(replicas: 3), to: live, now: later) }
        #expect(
            error?.message
                == #"Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas"#)
        #expect(error?.conflicts.map(\.manager) == ["kubectl-client-side-apply"])
        #expect(error?.conflicts.map(\.field) == [".spec.replicas"])
    }

    @Test func conflictsAreListedPerManager() throws {
        let live = try clientSideApplied()
        let changed = try config(replicas: 3, containers: #"[{"name":"web","image":"nginx:2"}]"#)
        let error = #expect(throws: ApplyConflict.self) { try apply(changed, to: live, now: later) }
        #expect(
            error?.message == """
                Apply failed with 2 conflicts: conflicts with "kubectl-client-side-apply" using apps/v1:
                - .spec.replicas
                - .spec.template.spec.containers[name="web"].image
                """)
    }

    @Test func forceTakesOwnership() throws {
        let live = try clientSideApplied()
        let result = try apply(try config(replicas: 3), to: live, force: true, now: later)
        #expect(result[path: ["spec", "replicas"]] == 3)
        let replicas: [PathElement] = [.field("spec"), .field("replicas")]
        #expect(entry(result, "kubectl")?.fields.contains(replicas) == true)
        #expect(entry(result, "kubectl-client-side-apply")?.fields.contains(replicas) == false)
        // Fields applied with the value they already had are shared, not taken.
        let image: [PathElement] = [
            .field("spec"), .field("template"), .field("spec"), .field("containers"), .key(["name": "web"]),
            .field("image"),
        ]
        #expect(entry(result, "kubectl-client-side-apply")?.fields.contains(image) == true)
        #expect(entry(result, "kubectl")?.fields.contains(image) == true)
    }

    @Test func twoManagersEachOwnAListMapElement() throws {
        let first = try apply(try config(containers: #"[{"name":"web","image":"nginx:1"}]"#), to: nil, manager: "a")
        let sidecar = try json(
            #"""
            {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"default"},
             "spec":{"template":{"spec":{"containers":[{"name":"sidecar","image":"envoy:1"}]}}}}
            """#)
        let both = try apply(sidecar, to: first, manager: "b", now: later)
        #expect(containerNames(both) == ["web", "sidecar"])
        #expect(both[path: ["spec", "replicas"]] == 2)

        // "a" changes its own container freely; "b"'s stays.
        let updated = try apply(try config(containers: #"[{"name":"web","image":"nginx:2"}]"#), to: both, manager: "a")
        #expect(containerNames(updated) == ["web", "sidecar"])

        // "b" may not change "a"'s container.
        let takeover = try json(
            #"""
            {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"default"},
             "spec":{"template":{"spec":{"containers":[{"name":"sidecar","image":"envoy:1"},{"name":"web","image":"nginx:3"}]}}}}
            """#)
        let error = #expect(throws: ApplyConflict.self) { try apply(takeover, to: updated, manager: "b") }
        #expect(error?.conflicts.map(\.field) == [#".spec.template.spec.containers[name="web"].image"#])

        // "a" dropping its container removes it and leaves "b"'s.
        let dropped = try apply(try config(containers: "[]"), to: updated, manager: "a")
        #expect(containerNames(dropped) == ["sidecar"])
    }

    @Test func setsMergeByUnion() throws {
        let shape = BuiltinMergeShapes.shape(group: "", kind: "ConfigMap")!
        let first = try ServerSideApply.apply(
            config: try json(#"{"metadata":{"name":"c","finalizers":["a.example.com/x"]}}"#), to: nil, manager: "a",
            apiVersion: "v1", now: created, force: false, shape: shape)
        let second = try ServerSideApply.apply(
            config: try json(#"{"metadata":{"name":"c","finalizers":["b.example.com/y"]}}"#), to: first, manager: "b",
            apiVersion: "v1", now: created, force: false, shape: shape)
        #expect(second[path: ["metadata", "finalizers"]] == ["a.example.com/x", "b.example.com/y"])
    }

    /// structured-merge-diff's list order: live elements the configuration does not name stay in place, the
    /// configuration's elements follow its order.
    @Test func listMapOrder() throws {
        let shape = MergeShape(fields: ["items": MergeShape(list: .map(keys: ["name"]))])
        let live = try ServerSideApply.apply(
            config: try json(#"{"items":[{"name":"a"},{"name":"x"},{"name":"b"}]}"#), to: nil, manager: "other",
            apiVersion: "v1", now: created, force: false, shape: shape)
        let result = try ServerSideApply.apply(
            config: try json(#"{"items":[{"name":"b","v":1},{"name":"a","v":2}]}"#), to: live, manager: "mine",
            apiVersion: "v1", now: created, force: false, shape: shape)
        #expect(
            result["items"]
                == (try json(#"[{"name":"x"},{"name":"b","v":1},{"name":"a","v":2}]"#)))
    }

    @Test func nullInTheConfigurationRemovesTheField() throws {
        let live = try apply(try config(), to: nil)
        var withNull = try config()
        withNull[path: ["spec", "replicas"]] = .null
        let result = try apply(withNull, to: live, now: later)
        #expect(result[path: ["spec", "replicas"]] == nil)
        #expect(entry(result, "kubectl")?.fields.contains([.field("spec"), .field("replicas")]) == true)
    }

    @Test func anObjectWithoutManagedFieldsIsOwnedBeforeFirstApply() throws {
        var live = try config(replicas: 1)
        live[path: ["metadata", "uid"]] = "1234"
        let error = #expect(throws: ApplyConflict.self) { try apply(try config(replicas: 4), to: live) }
        #expect(
            error?.message
                == #"Apply failed with 1 conflict: conflict with "before-first-apply" using apps/v1: .spec.replicas"#)
    }
}
