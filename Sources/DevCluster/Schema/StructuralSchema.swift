import Foundation

/// Why a CRD version's `schema.openAPIV3Schema` could not be used; `message` names the offending keyword
/// by its path from `openAPIV3Schema`, worded like apiextensions' CRD validation.
public struct SchemaError: Error, Sendable, Equatable {
    public let message: String

    public init(message: String) {
        self.message = message
    }
}

/// A CRD version's structural schema (`schema.openAPIV3Schema`), the basis of everything apiextensions does
/// with a custom object: pruning unknown fields, defaulting, OpenAPI validation, list-type invariants and
/// the merge shape for server-side apply. Each node of the schema is itself a `StructuralSchema`.
public final class StructuralSchema: Sendable {
    /// The values of `type`, as kube-openapi sees them: empty when absent, `["integer", "string"]` for
    /// `x-kubernetes-int-or-string`.
    let types: [String]
    /// `format` after apiextensions strips the formats it does not support for the node's type.
    let format: String
    let properties: [String: StructuralSchema]
    let required: [String]
    let items: StructuralSchema?
    let additionalProperties: AdditionalProperties?
    let enumValues: [JSON]
    let pattern: Pattern?
    let minimum: Double?
    let maximum: Double?
    let exclusiveMinimum: Bool
    let exclusiveMaximum: Bool
    let multipleOf: Double?
    let minLength: Int64?
    let maxLength: Int64?
    let minItems: Int64?
    let maxItems: Int64?
    let minProperties: Int64?
    let maxProperties: Int64?
    let nullable: Bool
    /// The default as written; it is pruned against this node when applied, as apiextensions prunes
    /// defaults when it loads the CRD.
    let defaultValue: JSON?
    let preservesUnknownFields: Bool
    let isEmbeddedResource: Bool
    let listType: String?
    let listMapKeys: [String]
    let allOf: [StructuralSchema]
    let anyOf: [StructuralSchema]
    let oneOf: [StructuralSchema]
    let not: StructuralSchema?

    /// The CEL rules (`x-kubernetes-validations[].rule`) of this node and everything below it. They are not
    /// evaluated here; the server reports them so the user knows they were not enforced.
    public let celRules: [String]
    public var celRuleCount: Int { celRules.count }

    /// How objects of this schema merge (server-side apply, strategic-merge-style patches): list kinds from
    /// `x-kubernetes-list-type` / `x-kubernetes-list-map-keys`, atomic maps from `x-kubernetes-map-type`.
    public let mergeShape: MergeShape

    enum AdditionalProperties {
        /// `additionalProperties: true`: any value, with no schema below it.
        case anyValue
        case schema(StructuralSchema)

        var schema: StructuralSchema? {
            if case .schema(let schema) = self { return schema }
            return nil
        }
    }

    /// A `pattern` keeps its source text because validation messages quote it.
    struct Pattern {
        let source: String
        let expression: NSRegularExpression

        func matches(_ text: String) -> Bool {
            expression.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
        }
    }

    public convenience init(_ json: JSON) throws(SchemaError) {
        try self.init(json, path: "openAPIV3Schema")
    }

    private init(_ json: JSON, path: String) throws(SchemaError) {
        guard case .object(let keywords) = json else {
            throw SchemaError(message: "\(path): Invalid value: \(json.text): must be an object")
        }
        let reader = KeywordReader(keywords: keywords, path: path)

        let declaredType = try reader.string("type")
        if let declaredType, !Self.knownTypes.contains(declaredType) {
            throw SchemaError(
                message: "\(path).type: Unsupported value: \(GoFormat.quoted(declaredType)): supported values: "
                    + Self.knownTypes.map(GoFormat.quoted).joined(separator: ", "))
        }
        let isIntOrString = try reader.bool("x-kubernetes-int-or-string") ?? false
        types = isIntOrString ? ["integer", "string"] : declaredType.map { [$0] } ?? []
        format = Self.supportedFormat(try reader.string("format") ?? "", type: types.count == 1 ? types[0] : "")

        var properties: [String: StructuralSchema] = [:]
        for (name, value) in try reader.object("properties") ?? [:] {
            properties[name] = try StructuralSchema(value, path: "\(path).properties[\(name)]")
        }
        self.properties = properties
        required = try reader.strings("required") ?? []

        switch keywords["items"] {
        case nil: items = nil
        case .array: throw SchemaError(message: "\(path).items: Forbidden: items must be a schema object and not an array")
        case let value?: items = try StructuralSchema(value, path: "\(path).items")
        }

        switch keywords["additionalProperties"] {
        case nil: additionalProperties = nil
        case .bool(true): additionalProperties = .anyValue
        case .bool(false):
            throw SchemaError(message: "\(path).additionalProperties: Forbidden: additionalProperties cannot be set to false")
        case let value?:
            additionalProperties = .schema(try StructuralSchema(value, path: "\(path).additionalProperties"))
        }
        if additionalProperties != nil, !properties.isEmpty {
            throw SchemaError(
                message: "\(path).additionalProperties: Forbidden: additionalProperties and properties are mutual exclusive")
        }

        enumValues = try reader.array("enum") ?? []
        if let source = try reader.string("pattern") {
            do {
                pattern = Pattern(source: source, expression: try NSRegularExpression(pattern: source))
            } catch {
                throw SchemaError(
                    message: "\(path).pattern: Invalid value: \(GoFormat.quoted(source)): must be a valid regular expression")
            }
        } else {
            pattern = nil
        }

        minimum = try reader.number("minimum")
        maximum = try reader.number("maximum")
        exclusiveMinimum = try reader.bool("exclusiveMinimum") ?? false
        exclusiveMaximum = try reader.bool("exclusiveMaximum") ?? false
        multipleOf = try reader.number("multipleOf")
        if let multipleOf, multipleOf <= 0 {
            throw SchemaError(message: "\(path).multipleOf: Invalid value: \(GoFormat.float(multipleOf)): must be greater than zero")
        }
        minLength = try reader.count("minLength")
        maxLength = try reader.count("maxLength")
        minItems = try reader.count("minItems")
        maxItems = try reader.count("maxItems")
        minProperties = try reader.count("minProperties")
        maxProperties = try reader.count("maxProperties")

        nullable = try reader.bool("nullable") ?? false
        defaultValue = keywords["default"]
        preservesUnknownFields = try reader.bool("x-kubernetes-preserve-unknown-fields") ?? false
        isEmbeddedResource = try reader.bool("x-kubernetes-embedded-resource") ?? false

        listType = try reader.string("x-kubernetes-list-type")
        if let listType, !["atomic", "set", "map"].contains(listType) {
            throw SchemaError(
                message: "\(path).x-kubernetes-list-type: Unsupported value: \(GoFormat.quoted(listType)): "
                    + "supported values: \"atomic\", \"set\", \"map\"")
        }
        listMapKeys = try reader.strings("x-kubernetes-list-map-keys") ?? []
        if listType == "map", listMapKeys.isEmpty {
            throw SchemaError(
                message: "\(path).x-kubernetes-list-map-keys: Required value: must not be empty if x-kubernetes-list-type is map")
        }
        let mapType = try reader.string("x-kubernetes-map-type")
        if let mapType, !["granular", "atomic"].contains(mapType) {
            throw SchemaError(
                message: "\(path).x-kubernetes-map-type: Unsupported value: \(GoFormat.quoted(mapType)): "
                    + "supported values: \"granular\", \"atomic\"")
        }

        allOf = try Self.schemas(reader.array("allOf"), path: "\(path).allOf")
        anyOf = try Self.schemas(reader.array("anyOf"), path: "\(path).anyOf")
        oneOf = try Self.schemas(reader.array("oneOf"), path: "\(path).oneOf")
        not = try keywords["not"].map { value throws(SchemaError) in try StructuralSchema(value, path: "\(path).not") }

        var celRules: [String] = []
        for (index, validation) in (try reader.array("x-kubernetes-validations") ?? []).enumerated() {
            guard let rule = validation["rule"]?.stringValue else {
                throw SchemaError(message: "\(path).x-kubernetes-validations[\(index)].rule: Required value")
            }
            celRules.append(rule)
        }
        for name in properties.keys.sorted() { celRules += properties[name]!.celRules }
        celRules += items?.celRules ?? []
        celRules += additionalProperties?.schema?.celRules ?? []
        self.celRules = celRules

        let listKind: MergeShape.ListKind
        switch listType {
        case "map": listKind = .map(keys: listMapKeys)
        case "set": listKind = .set
        default: listKind = .atomic
        }
        mergeShape = MergeShape(
            list: listKind,
            fields: properties.mapValues(\.mergeShape),
            items: items?.mergeShape,
            additionalProperties: additionalProperties?.schema?.mergeShape,
            atomicObject: mapType == "atomic")
    }

    private static let knownTypes = ["array", "boolean", "integer", "number", "object", "string"]

    /// The string formats apiextensions keeps (compared without dashes, as go-openapi normalizes names).
    private static let supportedStringFormats: Set<String> = [
        "bsonobjectid", "uri", "email", "hostname", "ipv4", "ipv6", "cidr", "mac", "uuid", "uuid3", "uuid4",
        "uuid5", "isbn", "isbn10", "isbn13", "creditcard", "ssn", "hexcolor", "rgbcolor", "byte", "password",
        "date", "duration", "datetime", "quantity",
    ]

    /// apiextensions' StripUnsupportedFormatsPostProcess: unsupported formats are dropped, not rejected.
    private static func supportedFormat(_ format: String, type: String) -> String {
        switch type {
        case "", "string":
            return supportedStringFormats.contains(format.replacingOccurrences(of: "-", with: "")) ? format : ""
        case "integer": return ["int32", "int64"].contains(format) ? format : ""
        case "number": return ["float", "double"].contains(format) ? format : ""
        default: return ""
        }
    }

    private static func schemas(_ values: [JSON]?, path: String) throws(SchemaError) -> [StructuralSchema] {
        var schemas: [StructuralSchema] = []
        for (index, value) in (values ?? []).enumerated() {
            schemas.append(try StructuralSchema(value, path: "\(path)[\(index)]"))
        }
        return schemas
    }
}

/// Reads typed keywords of one schema node, naming the keyword in the error when its value has the wrong type.
private struct KeywordReader {
    let keywords: [String: JSON]
    let path: String

    private func mismatch(_ key: String, _ value: JSON, _ expected: String) -> SchemaError {
        SchemaError(message: "\(path).\(key): Invalid value: \(value.text): must be \(expected)")
    }

    func string(_ key: String) throws(SchemaError) -> String? {
        guard let value = keywords[key] else { return nil }
        guard let text = value.stringValue else { throw mismatch(key, value, "a string") }
        return text
    }

    func bool(_ key: String) throws(SchemaError) -> Bool? {
        guard let value = keywords[key] else { return nil }
        guard let flag = value.boolValue else { throw mismatch(key, value, "a boolean") }
        return flag
    }

    func number(_ key: String) throws(SchemaError) -> Double? {
        guard let value = keywords[key] else { return nil }
        guard let number = value.doubleValue else { throw mismatch(key, value, "a number") }
        return number
    }

    func count(_ key: String) throws(SchemaError) -> Int64? {
        guard let value = keywords[key] else { return nil }
        guard let count = value.intValue, count >= 0 else { throw mismatch(key, value, "a non-negative integer") }
        return count
    }

    func array(_ key: String) throws(SchemaError) -> [JSON]? {
        guard let value = keywords[key] else { return nil }
        guard let elements = value.arrayValue else { throw mismatch(key, value, "an array") }
        return elements
    }

    func object(_ key: String) throws(SchemaError) -> [String: JSON]? {
        guard let value = keywords[key] else { return nil }
        guard let fields = value.objectValue else { throw mismatch(key, value, "an object") }
        return fields
    }

    func strings(_ key: String) throws(SchemaError) -> [String]? {
        guard let elements = try array(key) else { return nil }
        var strings: [String] = []
        for element in elements {
            guard let text = element.stringValue else { throw mismatch(key, .array(elements), "an array of strings") }
            strings.append(text)
        }
        return strings
    }
}
