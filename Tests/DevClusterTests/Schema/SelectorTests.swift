@testable import DevCluster
import Testing

private let keyRule =
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"

private func parseError(_ text: String) -> String? {
    do {
        _ = try LabelSelector.parse(text)
        return nil
    } catch {
        return error.message
    }
}

@Suite struct LabelSelectorTests {
    private let labels = ["app": "web", "tier": "frontend", "env": "prod", "replicas": "3"]

    @Test func equalityAndSetRequirements() throws {
        #expect(try LabelSelector.parse("app=web").matches(labels))
        #expect(try LabelSelector.parse("app==web,tier!=db").matches(labels))
        #expect(try !LabelSelector.parse("app!=web").matches(labels))
        #expect(try LabelSelector.parse("env in (prod, staging)").matches(labels))
        #expect(try !LabelSelector.parse("env notin (prod)").matches(labels))
        #expect(try LabelSelector.parse("owner notin (me)").matches(labels), "notin matches a missing label")
        #expect(try LabelSelector.parse("app,!legacy").matches(labels))
        #expect(try !LabelSelector.parse("!app").matches(labels))
        #expect(try LabelSelector.parse("replicas>2,replicas<4").matches(labels))
        #expect(try LabelSelector.parse("  app = web ,  tier in ( frontend , backend )  ").matches(labels))
        #expect(try LabelSelector.parse("app.kubernetes.io/name=web").matches(["app.kubernetes.io/name": "web"]))
    }

    @Test func emptyValues() throws {
        #expect(try LabelSelector.parse("app=").matches(["app": ""]))
        #expect(try LabelSelector.parse("app in (,x)").matches(["app": ""]))
        #expect(try LabelSelector.parse("app in ()").matches(["app": ""]))
    }

    @Test func everything() throws {
        #expect(try LabelSelector.parse("").isEverything)
        #expect(try LabelSelector.parse("  ").isEverything)
        #expect(try !LabelSelector.parse("a").isEverything)
        #expect(LabelSelector.everything.matches([:]))
    }

    @Test func normalizedText() throws {
        #expect(try LabelSelector.parse("b=2, a in (z,y), !c").description == "a in (y,z),b=2,!c")
    }

    @Test func syntaxErrors() {
        #expect(parseError("app=web,") == "found '', expected: identifier after ','")
        #expect(parseError("app web") == "unable to parse requirement: found 'web', expected: in, notin, =, ==, !=, gt, lt")
        #expect(parseError("app in prod") == "unable to parse requirement: found 'prod' expected: '('")
        #expect(parseError("app in (a b)") == "unable to parse requirement: found 'b', expected: ',' or ')'")
        #expect(parseError("app=web)") == "found ')', expected: ',' or 'end of string'")
        #expect(parseError("=web") == "found '=', expected: !, identifier, or 'end of string'")
        #expect(parseError("!a=b") == "found '=', expected: ',' or 'end of string'")
        #expect(parseError("a=(b)") == "unable to parse requirement: found '(', expected: identifier")
    }

    @Test func invalidKeysAndValues() {
        #expect(parseError("-bad=x") == "unable to parse requirement: <nil>: Invalid value: \"-bad\": " + keyRule)
        #expect(
            parseError("app=-x")
                == "unable to parse requirement: values[0][app]: Invalid value: \"-x\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
        )
        #expect(
            parseError("Example.com/app=x")
                == "unable to parse requirement: <nil>: Invalid value: \"Example.com/app\": prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
        )
        #expect(
            parseError("replicas>x")
                == "unable to parse requirement: values[0]: Invalid value: \"x\": for 'Gt', 'Lt' operators, the value must be an integer")
    }

    @Test func labelSelectorObjects() throws {
        let selector = try LabelSelector(
            json: json(#"""
                {"matchLabels": {"app": "web"},
                 "matchExpressions": [{"key": "env", "operator": "In", "values": ["prod", "staging"]},
                                      {"key": "legacy", "operator": "DoesNotExist"}]}
                """#))
        #expect(selector.matches(labels))
        #expect(!selector.matches(["app": "web", "env": "dev"]))
        #expect(selector.description == "app=web,env in (prod,staging),!legacy")
        #expect(try LabelSelector(json: json("{}")).isEverything)
        #expect(try !LabelSelector(json: .null).matches(labels), "a null selector selects nothing")
        #expect(throws: SelectorError(message: #""Like" is not a valid label selector operator"#)) {
            try LabelSelector(json: json(#"{"matchExpressions": [{"key": "a", "operator": "Like"}]}"#))
        }
        #expect(throws: SelectorError(message: "values: Invalid value: []string(nil): for 'in', 'notin' operators, values set can't be empty")) {
            try LabelSelector(json: json(#"{"matchExpressions": [{"key": "a", "operator": "In", "values": []}]}"#))
        }
    }
}

@Suite struct FieldSelectorTests {
    private let fields = ["metadata.name": "web-1", "status.phase": "Running", "spec.nodeName": "a,b"]

    @Test func termsAreSortedAndMatched() throws {
        let selector = try FieldSelector.parse("status.phase!=Pending,metadata.name==web-1")
        #expect(selector.requirements.map(\.field) == ["metadata.name", "status.phase"])
        #expect(selector.requirements.map(\.op) == [.equals, .notEquals])
        #expect(selector.matches { fields[$0] })
        #expect(try !FieldSelector.parse("metadata.name=web-2").matches { fields[$0] })
        #expect(try FieldSelector.parse("spec.missing=").matches { fields[$0] }, "a missing field is the empty string")
        #expect(try FieldSelector.parse("").isEverything)
    }

    @Test func escapedValues() throws {
        let selector = try FieldSelector.parse(#"spec.nodeName=a\,b"#)
        #expect(selector.requirements.first?.value == "a,b")
        #expect(selector.matches { fields[$0] })
        #expect(try FieldSelector.parse(#"metadata.name=x\=y\\z"#).requirements.first?.value == #"x=y\z"#)
    }

    @Test func errors() {
        #expect(throws: SelectorError(message: "invalid selector: 'foo'; can't understand 'foo'")) { try FieldSelector.parse("foo") }
        #expect(throws: SelectorError(message: "invalid field selector: unescaped character in value: 61")) {
            try FieldSelector.parse("a=b=c")
        }
        #expect(throws: SelectorError(message: #"invalid field selector: invalid escape sequence: \x"#)) {
            try FieldSelector.parse(#"a=b\x"#)
        }
        #expect(throws: SelectorError(message: #"invalid field selector: invalid escape sequence: \"#)) {
            try FieldSelector.parse(#"a=b\"#)
        }
    }
}
