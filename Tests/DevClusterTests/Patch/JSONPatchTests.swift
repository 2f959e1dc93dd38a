import Testing

@testable import DevCluster

struct JSONPatchTests {
    /// RFC 6902 Appendix A examples that succeed: document, patch, result.
    @Test(arguments: [
        // A.1 Adding an Object Member
        (#"{"foo":"bar"}"#, #"[{"op":"add","path":"/baz","value":"qux"}]"#, #"{"baz":"qux","foo":"bar"}"#),
        // A.2 Adding an Array Element
        (
            #"{"foo":["bar","baz"]}"#, #"[{"op":"add","path":"/foo/1","value":"qux"}]"#,
            #"{"foo":["bar","qux","baz"]}"#
        ),
        // A.3 Removing an Object Member
        (#"{"baz":"qux","foo":"bar"}"#, #"[{"op":"remove","path":"/baz"}]"#, #"{"foo":"bar"}"#),
        // A.4 Removing an Array Element
        (#"{"foo":["bar","qux","baz"]}"#, #"[{"op":"remove","path":"/foo/1"}]"#, #"{"foo":["bar","baz"]}"#),
        // A.5 Replacing a Value
        (
            #"{"baz":"qux","foo":"bar"}"#, #"[{"op":"replace","path":"/baz","value":"boo"}]"#,
            #"{"baz":"boo","foo":"bar"}"#
        ),
        // A.6 Moving a Value
        (
            #"{"foo":{"bar":"baz","waldo":"fred"},"qux":{"corge":"grault"}}"#,
            #"[{"op":"move","from":"/foo/waldo","path":"/qux/thud"}]"#,
            #"{"foo":{"bar":"baz"},"qux":{"corge":"grault","thud":"fred"}}"#
        ),
        // A.7 Moving an Array Element
        (
            #"{"foo":["all","grass","cows","eat"]}"#, #"[{"op":"move","from":"/foo/1","path":"/foo/3"}]"#,
            #"{"foo":["all","cows","eat","grass"]}"#
        ),
        // A.8 Testing a Value: Success
        (
            #"{"baz":"qux","foo":["a",2,"c"]}"#,
            #"[{"op":"test","path":"/baz","value":"qux"},{"op":"test","path":"/foo/1","value":2}]"#,
            #"{"baz":"qux","foo":["a",2,"c"]}"#
        ),
        // A.10 Adding a Nested Member Object
        (
            #"{"foo":"bar"}"#, #"[{"op":"add","path":"/child","value":{"grandchild":{}}}]"#,
            #"{"foo":"bar","child":{"grandchild":{}}}"#
        ),
        // A.11 Ignoring Unrecognized Elements
        (
            #"{"foo":"bar"}"#, #"[{"op":"add","path":"/baz","value":"qux","xyz":123}]"#,
            #"{"foo":"bar","baz":"qux"}"#
        ),
        // A.14 ~ Escape Ordering
        (#"{"/":9,"~1":10}"#, #"[{"op":"test","path":"/~01","value":10}]"#, #"{"/":9,"~1":10}"#),
        // A.16 Adding an Array Value
        (
            #"{"foo":["bar"]}"#, #"[{"op":"add","path":"/foo/-","value":["abc","def"]}]"#,
            #"{"foo":["bar",["abc","def"]]}"#
        ),
    ])
    func rfc6902AppendixA(document: String, patch: String, result: String) throws {
        #expect(try JSONPatch.apply(try json(patch), to: try json(document)) == (try json(result)))
    }

    /// RFC 6902 Appendix A examples that must fail, with the message the API server (evanphx/json-patch v4) gives.
    @Test(arguments: [
        // A.9 Testing a Value: Error
        (#"{"baz":"qux"}"#, #"[{"op":"test","path":"/baz","value":"bar"}]"#, "testing value /baz failed: test failed"),
        // A.12 Adding to a Nonexistent Target
        (
            #"{"foo":"bar"}"#, #"[{"op":"add","path":"/baz/bat","value":"qux"}]"#,
            #"add operation does not apply: doc is missing path: "/baz/bat": missing value"#
        ),
        // A.13 Invalid JSON Patch Document: the duplicate "op" leaves "remove", of a member that is not there.
        (
            #"{"foo":"bar"}"#, #"[{"op":"add","path":"/baz","value":"qux","op":"remove"}]"#,
            "error in remove for path: '/baz': Unable to remove nonexistent key: baz: missing value"
        ),
        // A.15 Comparing Strings and Numbers
        (#"{"/":9,"~1":10}"#, #"[{"op":"test","path":"/~01","value":"10"}]"#, "testing value /~01 failed: test failed"),
    ])
    func rfc6902AppendixAErrors(document: String, patch: String, message: String) throws {
        #expect(throws: PatchError(message)) {
            try JSONPatch.apply(try json(patch), to: try json(document))
        }
    }

    @Test(arguments: [
        (#"[{"op":"add","path":"/spec/x/y","value":1}]"#, #"add operation does not apply: doc is missing path: "/spec/x/y": missing value"#),
        (#"[{"op":"test","path":"/spec/replicas","value":3}]"#, "testing value /spec/replicas failed: test failed"),
        (#"[{"op":"remove","path":"/spec/nope"}]"#, "error in remove for path: '/spec/nope': Unable to remove nonexistent key: nope: missing value"),
        (#"[{"op":"remove","path":"/spec/x/y"}]"#, #"remove operation does not apply: doc is missing path: "/spec/x/y": missing value"#),
        (#"[{"op":"replace","path":"/spec/x/y","value":1}]"#, "replace operation does not apply: doc is missing path: /spec/x/y: missing value"),
        (#"[{"op":"replace","path":"/spec/ports/5","value":1}]"#, "replace operation does not apply: doc is missing key: /spec/ports/5: missing value"),
        (#"[{"op":"add","path":"/spec/ports/9","value":1}]"#, "error in add for path: '/spec/ports/9': Unable to access invalid index: 9: invalid index referenced"),
        (#"[{"op":"add","path":"/spec/ports/x","value":1}]"#, #"error in add for path: '/spec/ports/x': value was not a proper array index: 'x': strconv.Atoi: parsing "x": invalid syntax"#),
        (#"[{"op":"move","from":"/spec/nope","path":"/spec/other"}]"#, "error in move for path: 'nope': Unable to remove nonexistent key: nope: missing value"),
        (#"[{"op":"copy","from":"/spec/replicas","path":"/nope/x"}]"#, "copy operation does not apply: doc is missing destination path: /nope/x: missing value"),
        (#"[{"op":"add","value":1}]"#, "add operation failed to decode path: missing value"),
        (#"[{"op":"replace","value":1}]"#, "replace operation failed to decode path: operation missing path field: missing value"),
        (#"[{"op":"move","path":"/a"}]"#, "move operation failed to decode from: operation, missing from field: missing value"),
        (#"[{"op":"jump","path":"/a"}]"#, "Unexpected kind: jump"),
        (#"[{"path":"/a"}]"#, "Unexpected kind: unknown"),
        (#"{"op":"add","path":"/a","value":1}"#, "json: cannot unmarshal object into Go value of type jsonpatch.Patch"),
        (#"["add"]"#, "json: cannot unmarshal string into Go value of type jsonpatch.Operation"),
    ])
    func kubernetesErrorMessages(patch: String, message: String) throws {
        let deployment = try json(#"{"spec":{"replicas":2,"ports":[80,443]}}"#)
        #expect(throws: PatchError(message)) {
            try JSONPatch.apply(try json(patch), to: deployment)
        }
    }

    /// evanphx/json-patch v4 leniencies that kubectl users meet through the API server.
    @Test func kubernetesLeniencies() throws {
        let document = try json(#"{"metadata":{"labels":{"app":"web"}},"spec":{"ports":[80,443,8080]}}"#)
        let patch = try json(
            #"""
            [{"op":"replace","path":"/metadata/labels/tier","value":"front"},
             {"op":"remove","path":"/spec/ports/-1"},
             {"op":"add","path":"/spec/ports/-1","value":9090},
             {"op":"copy","from":"/metadata/missing","path":"/metadata/copied"},
             {"op":"test","path":"/metadata/absent","value":null}]
            """#)
        let expected = try json(
            #"{"metadata":{"labels":{"app":"web","tier":"front"},"copied":null},"spec":{"ports":[80,443,9090]}}"#)
        #expect(try JSONPatch.apply(patch, to: document) == expected)
    }

    @Test func pointerEscapesAndWholeDocument() throws {
        let document = try json(#"{"metadata":{"annotations":{"example.com/a~b":"1"}}}"#)
        let patch = try json(
            #"""
            [{"op":"replace","path":"/metadata/annotations/example.com~1a~0b","value":"2"},
             {"op":"test","path":"","value":{"metadata":{"annotations":{"example.com/a~b":"2"}}}},
             {"op":"replace","path":"","value":{"kind":"Pod"}}]
            """#)
        #expect(try JSONPatch.apply(patch, to: document) == (try json(#"{"kind":"Pod"}"#)))
    }

    @Test func testComparesNumbersByValue() throws {
        let document = try json(#"{"spec":{"replicas":2}}"#)
        #expect(try JSONPatch.apply(try json(#"[{"op":"test","path":"/spec/replicas","value":2.0}]"#), to: document) == document)
    }

    @Test func tooManyOperations() throws {
        let operation = try json(#"{"op":"test","path":"/a","value":1}"#)
        let patch = JSON.array(Array(repeating: operation, count: 10_001))
        #expect(throws: PatchError("The allowed maximum operations in a JSON patch is 10000, got 10001")) {
            try JSONPatch.apply(patch, to: .object([:]))
        }
    }
}
