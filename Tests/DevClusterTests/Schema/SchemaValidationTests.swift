@testable import DevCluster
import Testing

/// Validates `{"spec": value}` against a root schema whose `spec` property is `specSchema`.
private func errors(_ specSchema: String, _ value: String) throws -> [FieldError] {
    let schema = try StructuralSchema(json(#"{"type": "object", "properties": {"spec": \#(specSchema)}}"#))
    return schema.validate(try json(#"{"spec": \#(value)}"#))
}

private func invalid(_ field: String, _ message: String) -> FieldError {
    FieldError(reason: .invalid, field: field, message: message)
}

@Suite struct SchemaValidationTests {
    @Test func typeMismatchesNameTheActualType() throws {
        #expect(
            try errors(#"{"type": "object"}"#, "[1]") == [
                FieldError(reason: .typeInvalid, field: "spec", message: #"Invalid value: "array": spec in body must be of type object: "array""#)
            ])
        #expect(try errors(#"{"type": "integer"}"#, "5.0") == [], "an integral number is an integer")
        #expect(
            try errors(#"{"type": "integer"}"#, "5.5") == [
                FieldError(reason: .typeInvalid, field: "spec", message: #"Invalid value: "number": spec in body must be of type integer: "number""#)
            ])
        #expect(try errors(#"{"type": "number"}"#, "5") == [])
    }

    @Test func nullIsATypeErrorUnlessNullable() throws {
        let schema = try StructuralSchema(
            json(#"{"type": "object", "properties": {"spec": {"type": "array", "items": {"type": "string"}}}}"#))
        #expect(
            schema.validate(try json(#"{"spec": ["a", null]}"#)) == [
                FieldError(reason: .typeInvalid, field: "spec[1]", message: #"Invalid value: "null": spec[1] in body must be of type string: "null""#)
            ])
        #expect(try errors(#"{"type": "string", "nullable": true}"#, "null") == [])
    }

    @Test func intOrStringAcceptsBoth() throws {
        let schema = #"{"x-kubernetes-int-or-string": true}"#
        #expect(try errors(schema, "80") == [])
        #expect(try errors(schema, #""http""#) == [])
        #expect(
            try errors(schema, "true") == [
                FieldError(
                    reason: .typeInvalid, field: "spec", message: #"Invalid value: "boolean": spec in body must be of type integer,string: "boolean""#)
            ])
    }

    @Test func stringLengthsAndPatterns() throws {
        #expect(
            try errors(#"{"type": "string", "maxLength": 3}"#, #""abcd""#) == [
                FieldError(reason: .tooLong, field: "spec", message: "Too long: may not be more than 3 bytes")
            ])
        #expect(try errors(#"{"type": "string", "maxLength": 3}"#, #""äöü""#) == [], "lengths count characters")
        #expect(
            try errors(#"{"type": "string", "minLength": 2}"#, #""a""#) == [
                invalid("spec", #"Invalid value: "a": spec in body should be at least 2 chars long"#)
            ])
        #expect(
            try errors(#"{"type": "string", "pattern": "^[a-z]+$"}"#, #""A1""#) == [
                invalid("spec", #"Invalid value: "A1": spec in body should match '^[a-z]+$'"#)
            ])
    }

    @Test func numericBounds() throws {
        #expect(
            try errors(#"{"type": "integer", "minimum": 1, "exclusiveMinimum": true}"#, "1") == [
                invalid("spec", "Invalid value: 1: spec in body should be greater than 1")
            ])
        #expect(
            try errors(#"{"type": "integer", "maximum": 10, "exclusiveMaximum": true}"#, "10") == [
                invalid("spec", "Invalid value: 10: spec in body should be less than 10")
            ])
        #expect(
            try errors(#"{"type": "number", "maximum": 1000000}"#, "2500000.5") == [
                invalid("spec", "Invalid value: 2.5000005e+06: spec in body should be less than or equal to 1e+06")
            ])
        #expect(
            try errors(#"{"type": "number", "minimum": 0.5}"#, "0.25") == [
                invalid("spec", "Invalid value: 0.25: spec in body should be greater than or equal to 0.5")
            ])
        #expect(
            try errors(#"{"type": "integer", "multipleOf": 5}"#, "7") == [
                invalid("spec", "Invalid value: 7: spec in body should be a multiple of 5")
            ])
        #expect(try errors(#"{"type": "number", "multipleOf": 0.1}"#, "0.3") == [])
    }

    @Test func itemAndPropertyCounts() throws {
        #expect(
            try errors(#"{"type": "array", "minItems": 1}"#, "[]") == [
                invalid("spec", "Invalid value: 0: spec in body should have at least 1 items")
            ])
        #expect(
            try errors(#"{"type": "array", "maxItems": 1}"#, "[1, 2]") == [
                FieldError(reason: .tooMany, field: "spec", message: "Too many: 2: must have at most 1 items")
            ])
        #expect(
            try errors(#"{"type": "object", "minProperties": 2}"#, #"{"a": 1}"#) == [
                invalid("spec", "Invalid value: 1: spec in body should have at least 2 properties")
            ])
        #expect(
            try errors(#"{"type": "object", "maxProperties": 1}"#, #"{"a": 1, "b": 2}"#) == [
                FieldError(reason: .tooMany, field: "spec", message: "Too many: 2: must have at most 1 items")
            ])
    }

    @Test func enumsListTheirValuesAsStrings() throws {
        #expect(
            try errors(#"{"type": "integer", "enum": [1, 2]}"#, "3") == [
                FieldError(reason: .notSupported, field: "spec", message: #"Unsupported value: 3: supported values: "1", "2""#)
            ])
    }

    @Test func additionalPropertiesValuesAreNamedWithDots() throws {
        #expect(
            try errors(#"{"type": "object", "additionalProperties": {"type": "integer"}}"#, #"{"app.kubernetes.io/port": "x"}"#) == [
                FieldError(
                    reason: .typeInvalid, field: "spec.app.kubernetes.io/port",
                    message: #"Invalid value: "string": spec.app.kubernetes.io/port in body must be of type integer: "string""#)
            ])
    }

    @Test func dateTimeFormat() throws {
        let schema = #"{"type": "string", "format": "date-time"}"#
        #expect(try errors(schema, #""2024-02-29T10:00:00Z""#) == [])
        #expect(try errors(schema, #""2024-02-29t10:00:00.123+02:00""#) == [])
        #expect(
            try errors(schema, #""2023-02-29T10:00:00Z""#) == [
                FieldError(
                    reason: .typeInvalid, field: "spec",
                    message: #"Invalid value: "2023-02-29T10:00:00Z": spec in body must be of type date-time: "2023-02-29T10:00:00Z""#)
            ])
        #expect(try errors(#"{"type": "string", "format": "email"}"#, #""not an email""#) == [], "other formats are not checked")
    }

    @Test func anyOfReportsTheBestFailingBranch() throws {
        let schema = #"{"type": "string", "anyOf": [{"pattern": "^[0-9]+$"}, {"enum": ["small", "large"]}]}"#
        #expect(try errors(schema, #""42""#) == [])
        #expect(try errors(schema, #""small""#) == [])
        #expect(
            try errors(schema, #""huge""#) == [
                invalid("<nil>", #"Invalid value: "": "spec" must validate at least one schema (anyOf)"#),
                invalid("spec", #"Invalid value: "huge": spec in body should match '^[0-9]+$'"#),
            ])
    }

    @Test func oneOfCountsTheValidBranches() throws {
        let schema = #"""
            {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "string"}},
             "oneOf": [{"required": ["a"]}, {"required": ["b"]}]}
            """#
        #expect(try errors(schema, #"{"a": "x"}"#) == [])
        #expect(
            try errors(schema, #"{"a": "x", "b": "y"}"#) == [
                invalid("<nil>", #"Invalid value: "": "spec" must validate one and only one schema (oneOf). Found 2 valid alternatives"#)
            ])
        #expect(
            try errors(schema, "{}") == [
                invalid("<nil>", #"Invalid value: "": "spec" must validate one and only one schema (oneOf). Found none valid"#),
                FieldError(reason: .required, field: "spec.a", message: "Required value"),
            ])
    }

    @Test func allOfAndNot() throws {
        #expect(
            try errors(#"{"type": "string", "allOf": [{"minLength": 2}, {"maxLength": 3}]}"#, #""abcd""#) == [
                FieldError(reason: .tooLong, field: "spec", message: "Too long: may not be more than 3 bytes"),
                invalid("<nil>", #"Invalid value: "": "spec" must validate all the schemas (allOf)"#),
            ])
        #expect(
            try errors(#"{"type": "string", "not": {"enum": ["root"]}}"#, #""root""#) == [
                invalid("<nil>", #"Invalid value: "": "spec" must not validate the schema (not)"#)
            ])
    }

    @Test func listSetsRejectRepeatedElements() throws {
        #expect(
            try errors(#"{"type": "array", "x-kubernetes-list-type": "set", "items": {"type": "string"}}"#, #"["a", "b", "a", "a"]"#) == [
                FieldError(reason: .duplicate, field: "spec[2]", message: #"Duplicate value: "a""#)
            ])
    }

    @Test func listMapsWithSeveralKeys() throws {
        let schema = #"""
            {"type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["port", "protocol"],
             "items": {"type": "object", "properties": {"port": {"type": "integer"}, "protocol": {"type": "string"}}}}
            """#
        #expect(try errors(schema, #"[{"port": 80, "protocol": "TCP"}, {"port": 80, "protocol": "UDP"}]"#) == [])
        #expect(
            try errors(schema, #"[{"port": 80, "protocol": "TCP"}, {"protocol": "TCP", "port": 80}]"#) == [
                FieldError(reason: .duplicate, field: "spec[1]", message: #"Duplicate value: map[string]interface {}{"port":80, "protocol":"TCP"}"#)
            ])
    }

    @Test func embeddedResourcesNeedTypeMeta() throws {
        let schema = #"{"type": "object", "x-kubernetes-embedded-resource": true, "x-kubernetes-preserve-unknown-fields": true}"#
        #expect(try errors(schema, #"{"apiVersion": "v1", "kind": "ConfigMap"}"#) == [])
        #expect(
            try errors(schema, #"{"apiVersion": "a/b/c", "kind": "Config_Map"}"#) == [
                invalid("spec.apiVersion", #"Invalid value: "a/b/c": unexpected GroupVersion string: a/b/c"#),
                invalid(
                    "spec.kind",
                    #"Invalid value: "Config_Map": may have mixed case, but should otherwise match: a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"#
                ),
            ])
        #expect(
            try errors(schema, "{}") == [
                FieldError(reason: .required, field: "spec.apiVersion", message: "Required value"),
                FieldError(reason: .required, field: "spec.kind", message: "Required value"),
            ])
    }

    @Test func unusableSchemasAreRejected() throws {
        #expect(throws: SchemaError(message: #"openAPIV3Schema.properties[spec].type: Unsupported value: "map": supported values: "array", "boolean", "integer", "number", "object", "string""#)) {
            try StructuralSchema(json(#"{"type": "object", "properties": {"spec": {"type": "map"}}}"#))
        }
        #expect(throws: SchemaError(message: #"openAPIV3Schema.x-kubernetes-list-type: Unsupported value: "list": supported values: "atomic", "set", "map""#)) {
            try StructuralSchema(json(#"{"type": "array", "x-kubernetes-list-type": "list"}"#))
        }
        #expect(throws: SchemaError.self) { try StructuralSchema(json(#"{"type": "string", "pattern": "("}"#)) }
        #expect(throws: SchemaError.self) { try StructuralSchema(json(#"{"type": "object", "additionalProperties": false}"#)) }
    }

    @Test func statusMessagesForCoreKindsHaveNoGroup() {
        let error = FieldError.required("spec.containers")
        #expect(statusMessage(kind: "Pod", group: "", name: "web", errors: [error]) == #"Pod "web" is invalid: spec.containers: Required value"#)
        #expect(statusMessage(kind: "Pod", group: "", name: "web", errors: [error, error]) == #"Pod "web" is invalid: spec.containers: Required value"#)
        #expect(statusMessage(kind: "Pod", group: "", name: "web", errors: []) == #"Pod "web" is invalid"#)
    }

    @Test func badValuesArePrintedTheGoWay() {
        #expect(FieldError.invalid("f", value: .double(1e21), detail: "d").message == "Invalid value: 1e+21: d")
        #expect(FieldError.invalid("f", value: .double(123456), detail: "d").message == "Invalid value: 123456: d")
        #expect(FieldError.invalid("f", value: .double(0.0001), detail: "d").message == "Invalid value: 0.0001: d")
        #expect(FieldError.invalid("f", value: .double(0.00001), detail: "d").message == "Invalid value: 1e-05: d")
        #expect(FieldError.invalid("f", value: "tab\there \"q\"", detail: "d").message == #"Invalid value: "tab\there \"q\"": d"#)
        #expect(FieldError.invalid("f", value: .null, detail: "d").message == #"Invalid value: "null": d"#)
        #expect(FieldError.invalid("f", value: ["a", 1, nil], detail: "d").message == #"Invalid value: []interface {}{"a", 1, interface {}(nil)}: d"#)
    }
}
