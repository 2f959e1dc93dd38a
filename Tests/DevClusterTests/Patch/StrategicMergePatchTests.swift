import Testing

@testable import DevCluster

struct StrategicMergePatchTests {
    let deploymentShape = BuiltinMergeShapes.shape(group: "apps", kind: "Deployment")!
    let podShape = BuiltinMergeShapes.shape(group: "", kind: "Pod")!

    func deployment() throws -> JSON {
        try json(
            #"""
            {"apiVersion":"apps/v1","kind":"Deployment",
             "metadata":{"name":"web","namespace":"default","labels":{"app":"web","tier":"front"},
                         "finalizers":["a.example.com/one","b.example.com/two","c.example.com/three"]},
             "spec":{"replicas":2,
                     "selector":{"matchLabels":{"app":"web"}},
                     "strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":1,"maxUnavailable":0}},
                     "template":{"metadata":{"labels":{"app":"web"}},
                                 "spec":{"containers":[
                                    {"name":"web","image":"nginx:1","ports":[{"containerPort":80,"protocol":"TCP"}],
                                     "env":[{"name":"MODE","value":"prod"}]},
                                    {"name":"sidecar","image":"envoy:1"}]}}}}
            """#)
    }

    func patched(_ patch: String, shape: MergeShape? = nil) throws -> JSON {
        try StrategicMergePatch.apply(try json(patch), to: try deployment(), shape: shape ?? deploymentShape)
    }

    func containers(_ object: JSON) -> [JSON] {
        object[path: ["spec", "template", "spec", "containers"]]?.arrayValue ?? []
    }

    /// `kubectl patch deployment web --type strategic -p '{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"nginx:2"}]}}}}'`
    @Test func kubectlPatchOfOneContainerKeepsTheRest() throws {
        let result = try patched(#"{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"nginx:2"}]}}}}"#)
        var expected = try deployment()
        expected[path: ["spec", "template", "spec", "containers"]] = try json(
            #"""
            [{"name":"web","image":"nginx:2","ports":[{"containerPort":80,"protocol":"TCP"}],"env":[{"name":"MODE","value":"prod"}]},
             {"name":"sidecar","image":"envoy:1"}]
            """#)
        #expect(result == expected)
    }

    @Test func mergesNestedListsByTheirKeys() throws {
        let result = try patched(
            #"""
            {"spec":{"template":{"spec":{"containers":[
               {"name":"web","env":[{"name":"MODE","value":"dev"},{"name":"DEBUG","value":"1"}],
                "ports":[{"containerPort":80,"name":"http"}]}]}}}}
            """#)
        let web = containers(result)[0]
        #expect(web["env"] == (try json(#"[{"name":"MODE","value":"dev"},{"name":"DEBUG","value":"1"}]"#)))
        #expect(web["ports"] == (try json(#"[{"containerPort":80,"protocol":"TCP","name":"http"}]"#)))
    }

    /// A patch without `$setElementOrder` puts new elements before the original ones it does not mention,
    /// as apimachinery's `mergeSortedSlice` does.
    @Test func newListElementsComeFirst() throws {
        let result = try patched(#"{"spec":{"template":{"spec":{"containers":[{"name":"init","image":"busybox"}]}}}}"#)
        #expect(containers(result).map { $0["name"] } == ["init", "web", "sidecar"])
    }

    @Test func deleteDirectiveRemovesAnElement() throws {
        let result = try patched(#"{"spec":{"template":{"spec":{"containers":[{"name":"sidecar","$patch":"delete"}]}}}}"#)
        #expect(containers(result).map { $0["name"] } == ["web"])
    }

    @Test func replaceDirectiveInAListReplacesIt() throws {
        let result = try patched(
            #"{"spec":{"template":{"spec":{"containers":[{"$patch":"replace"},{"name":"only","image":"x"}]}}}}"#)
        #expect(containers(result) == [try json(#"{"name":"only","image":"x"}"#)])
    }

    @Test func replaceDirectiveInAMapReplacesIt() throws {
        let result = try patched(#"{"spec":{"selector":{"$patch":"replace","matchLabels":{"run":"web"}}}}"#)
        #expect(result[path: ["spec", "selector"]] == (try json(#"{"matchLabels":{"run":"web"}}"#)))
    }

    @Test func deleteDirectiveInAMapEmptiesIt() throws {
        let result = try patched(#"{"spec":{"strategy":{"$patch":"delete"}}}"#)
        #expect(result[path: ["spec", "strategy"]] == .object([:]))
    }

    @Test func setElementOrderReordersTheMergedList() throws {
        let result = try patched(
            #"""
            {"spec":{"template":{"spec":{
               "$setElementOrder/containers":[{"name":"sidecar"},{"name":"web"},{"name":"log"}],
               "containers":[{"name":"log","image":"fluentbit"}]}}}}
            """#)
        #expect(containers(result).map { $0["name"] } == ["sidecar", "web", "log"])
        #expect(containers(result)[1]["image"] == "nginx:1")
    }

    /// apimachinery's "merge lists of maps" case: `$setElementOrder` places new elements among the live ones.
    @Test func setElementOrderInterleavesNewElements() throws {
        let shape = MergeShape(fields: ["mergingList": MergeShape(list: .map(keys: ["name"]))])
        let current = try json(#"{"mergingList":[{"name":1,"other":"a"},{"name":2,"value":2,"other":"b"}]}"#)
        let patch = try json(
            #"""
            {"$setElementOrder/mergingList":[{"name":4},{"name":1},{"name":2},{"name":3}],
             "mergingList":[{"name":4,"value":4},{"name":3,"value":3}]}
            """#)
        let expected = try json(
            #"{"mergingList":[{"name":4,"value":4},{"name":1,"other":"a"},{"name":2,"value":2,"other":"b"},{"name":3,"value":3}]}"#
        )
        #expect(try StrategicMergePatch.apply(patch, to: current, shape: shape) == expected)
    }

    /// apimachinery's "preserve the order from the patch in a merging list 2".
    @Test func patchOrderWinsForElementsItNames() throws {
        let shape = MergeShape(fields: ["mergingList": MergeShape(list: .map(keys: ["name"]))])
        let original = try json(#"{"mergingList":[{"name":1},{"name":2,"value":"b"},{"name":3}]}"#)
        let patch = try json(#"{"mergingList":[{"name":3,"value":"c"},{"name":1,"value":"a"}]}"#)
        let expected = try json(
            #"{"mergingList":[{"name":2,"value":"b"},{"name":3,"value":"c"},{"name":1,"value":"a"}]}"#)
        #expect(try StrategicMergePatch.apply(patch, to: original, shape: shape) == expected)
    }

    @Test func setElementOrderMustMatchThePatchList() throws {
        #expect(throws: PatchError.self) {
            try patched(
                #"""
                {"spec":{"template":{"spec":{
                   "$setElementOrder/containers":[{"name":"web"},{"name":"sidecar"}],
                   "containers":[{"name":"sidecar","image":"a"},{"name":"web","image":"b"}]}}}}
                """#)
        }
    }

    @Test func deleteFromPrimitiveListRemovesFinalizers() throws {
        let result = try patched(#"{"metadata":{"$deleteFromPrimitiveList/finalizers":["b.example.com/two"]}}"#)
        #expect(result[path: ["metadata", "finalizers"]] == ["a.example.com/one", "c.example.com/three"])
    }

    @Test func primitiveMergeListIsASet() throws {
        let result = try patched(#"{"metadata":{"finalizers":["c.example.com/three","d.example.com/four"]}}"#)
        #expect(
            result[path: ["metadata", "finalizers"]]
                == ["a.example.com/one", "b.example.com/two", "c.example.com/three", "d.example.com/four"])
    }

    @Test func deleteFromPrimitiveListNeverCreatesTheList() throws {
        let result = try patched(#"{"metadata":{"$deleteFromPrimitiveList/ownerNames":["x"]}}"#)
        #expect(result == (try deployment()))
    }

    @Test func retainKeysClearsFieldsNotListed() throws {
        let result = try patched(#"{"spec":{"strategy":{"$retainKeys":["type"],"type":"Recreate"}}}"#)
        #expect(result[path: ["spec", "strategy"]] == (try json(#"{"type":"Recreate"}"#)))
    }

    /// What kubectl sends when a volume changes its source: the old source must go.
    @Test func retainKeysInAListElement() throws {
        let pod = try json(#"{"spec":{"volumes":[{"name":"data","emptyDir":{}},{"name":"tmp","emptyDir":{}}]}}"#)
        let patch = try json(
            #"{"spec":{"volumes":[{"name":"data","$retainKeys":["configMap","name"],"configMap":{"name":"cfg"}}]}}"#)
        #expect(
            try StrategicMergePatch.apply(patch, to: pod, shape: podShape)
                == (try json(#"{"spec":{"volumes":[{"name":"data","configMap":{"name":"cfg"}},{"name":"tmp","emptyDir":{}}]}}"#)))
    }

    @Test func retainKeysMustNameEveryPatchedField() throws {
        #expect(throws: PatchError("invalid patch format of retainKeys")) {
            try patched(#"{"spec":{"strategy":{"$retainKeys":["type"],"rollingUpdate":{"maxSurge":2}}}}"#)
        }
    }

    @Test func nullDeletesAndUnmatchedNullsAreDropped() throws {
        let result = try patched(
            #"{"metadata":{"labels":{"tier":null,"ghost":null}},"spec":{"paused":null,"template":{"spec":{"dnsConfig":{"nameservers":["1.1.1.1"],"searches":null}}}}}"#
        )
        #expect(result[path: ["metadata", "labels"]] == (try json(#"{"app":"web"}"#)))
        #expect(result[path: ["spec", "paused"]] == nil)
        #expect(result[path: ["spec", "template", "spec", "dnsConfig"]] == (try json(#"{"nameservers":["1.1.1.1"]}"#)))
    }

    @Test func directivesNeverReachTheResult() throws {
        let result = try patched(
            #"""
            {"spec":{"template":{"spec":{"containers":[
               {"name":"new","image":"x","env":[{"name":"A","value":"1"},{"name":"B","$patch":"delete"}],
                "$setElementOrder/env":[{"name":"A"}]}]}}}}
            """#)
        #expect(containers(result)[0] == (try json(#"{"name":"new","image":"x","env":[{"name":"A","value":"1"}]}"#)))
    }

    @Test func atomicListsAreReplaced() throws {
        let result = try patched(
            #"{"spec":{"template":{"spec":{"containers":[{"name":"web","command":["b"]}],"tolerations":[{"key":"k"}]}}}}"#
        )
        let patchedAgain = try StrategicMergePatch.apply(
            try json(#"{"spec":{"template":{"spec":{"containers":[{"name":"web","command":["c"]}]}}}}"#),
            to: result, shape: deploymentShape)
        #expect(containers(patchedAgain)[0]["command"] == ["c"])
        #expect(patchedAgain[path: ["spec", "template", "spec", "tolerations"]] == (try json(#"[{"key":"k"}]"#)))
    }

    @Test func podDisruptionBudgetSelectorIsReplaced() throws {
        let shape = BuiltinMergeShapes.shape(group: "policy", kind: "PodDisruptionBudget")!
        let original = try json(#"{"spec":{"selector":{"matchLabels":{"app":"web","tier":"front"}},"minAvailable":1}}"#)
        let result = try StrategicMergePatch.apply(
            try json(#"{"spec":{"selector":{"matchLabels":{"app":"api"}}}}"#), to: original, shape: shape)
        #expect(result == (try json(#"{"spec":{"selector":{"matchLabels":{"app":"api"}},"minAvailable":1}}"#)))
    }

    @Test func podStatusConditionsMergeByType() throws {
        let pod = try json(
            #"{"status":{"phase":"Running","conditions":[{"type":"Ready","status":"False"},{"type":"Initialized","status":"True"}]}}"#
        )
        let result = try StrategicMergePatch.apply(
            try json(#"{"status":{"conditions":[{"type":"Ready","status":"True"}]}}"#), to: pod, shape: podShape)
        #expect(
            result[path: ["status", "conditions"]]
                == (try json(#"[{"type":"Ready","status":"True"},{"type":"Initialized","status":"True"}]"#)))
    }

    @Test(arguments: [
        (
            #"{"spec":{"template":{"spec":{"containers":[{"image":"x"}]}}}}"#,
            "map: map[image:x] does not contain declared merge key: name"
        ),
        (
            #"{"spec":{"template":{"spec":{"containers":[{"name":"web","$patch":"merge"}]}}}}"#,
            "merging lists cannot yet be specified in the patch"
        ),
        (#"{"spec":{"strategy":{"$patch":"merge"}}}"#, "unknown patch type: merge in map: map[$patch:merge]"),
        (
            #"{"metadata":{"finalizers":[["nested"]]}}"#, "lists of lists are not supported"
        ),
        (#"{"metadata":{"$setElementOrder/finalizers":"x"}}"#, "expected a []interface {}, but received a string"),
        (#"[1]"#, "json: cannot unmarshal array into Go value of type map[string]interface {}"),
    ])
    func errorsReadAsKubernetesWordsThem(patch: String, message: String) throws {
        #expect(throws: PatchError(message)) { try patched(patch) }
    }

    @Test func builtinShapes() throws {
        #expect(BuiltinMergeShapes.shape(group: "media.streamlick.io", kind: "Broadcast") == nil)
        #expect(BuiltinMergeShapes.shape(group: "apps", kind: "Pod") == nil)
        let containerShape = podShape.field("spec").field("containers")
        #expect(containerShape.list == .map(keys: ["name"]))
        #expect(containerShape.element.field("ports").list == .map(keys: ["containerPort", "protocol"]))
        #expect(containerShape.element.field("envFrom").list == .atomic)
        #expect(podShape.field("spec").field("volumes").retainKeys)
        #expect(podShape.field("spec").field("tolerations").list == .atomic)
        let service = BuiltinMergeShapes.shape(group: "", kind: "Service")!
        #expect(service.field("spec").field("ports").list == .map(keys: ["port", "protocol"]))
        for (group, kind) in [("", "ConfigMap"), ("coordination.k8s.io", "Lease"), ("autoscaling", "HorizontalPodAutoscaler")] {
            let metadata = BuiltinMergeShapes.shape(group: group, kind: kind)!.field("metadata")
            #expect(metadata.field("finalizers").list == .set)
            #expect(metadata.field("ownerReferences").list == .map(keys: ["uid"]))
        }
    }
}
