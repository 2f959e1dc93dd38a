/// A structural OpenAPI v3 schema (what a CRD's `openAPIV3Schema` holds), built in Swift next to the types it
/// describes so the CRD cannot drift from them.
public indirect enum Schema: Sendable {
    case object(properties: [(String, Schema)], required: [String] = [], options: Options = Options())
    case array(items: Schema, options: Options = Options())
    case string(options: Options = Options())
    case integer(options: Options = Options())
    case number(options: Options = Options())
    case boolean(options: Options = Options())

    /// Keywords that apply to several types; unset ones are left out of the document.
    public struct Options: Sendable {
        public var description: String?
        public var defaultValue: YAMLNode?
        public var enumValues: [String]?
        public var pattern: String?
        public var format: String?
        public var minLength: Int?
        public var maxLength: Int?
        public var minimum: Int?
        public var maximum: Int?
        public var maxItems: Int?
        /// `x-kubernetes-list-type` (`map` needs `listMapKeys`, `set` for scalars).
        public var listType: String?
        public var listMapKeys: [String]?
        /// Alternatives for the whole value (`anyOf`): value validations without types, as structural schemas allow.
        public var anyOf: [YAMLNode]?
        /// `x-kubernetes-validations` (CEL): enforced by a real API server, reported but not run by devcluster.
        public var rules: [(rule: String, message: String)]?

        public init(
            description: String? = nil, defaultValue: YAMLNode? = nil, enumValues: [String]? = nil,
            pattern: String? = nil, format: String? = nil, minLength: Int? = nil, maxLength: Int? = nil,
            minimum: Int? = nil, maximum: Int? = nil, maxItems: Int? = nil, listType: String? = nil,
            listMapKeys: [String]? = nil, anyOf: [YAMLNode]? = nil, rules: [(rule: String, message: String)]? = nil
        ) {
            self.description = description
            self.defaultValue = defaultValue
            self.enumValues = enumValues
            self.pattern = pattern
            self.format = format
            self.minLength = minLength
            self.maxLength = maxLength
            self.minimum = minimum
            self.maximum = maximum
            self.maxItems = maxItems
            self.listType = listType
            self.listMapKeys = listMapKeys
            self.anyOf = anyOf
            self.rules = rules
        }
    }

    /// The schema as an OpenAPI document node, keys in the conventional order.
    public var node: YAMLNode {
        switch self {
        case .object(let properties, let required, let options):
            var entries: [(String, YAMLNode)] = [("type", "object")]
            entries += Self.head(options)
            if !properties.isEmpty {
                entries.append(("properties", .map(properties.map { ($0.0, $0.1.node) })))
            }
            if !required.isEmpty { entries.append(("required", .list(required.map { .string($0) }))) }
            entries += Self.tail(options)
            return .map(entries)
        case .array(let items, let options):
            var entries: [(String, YAMLNode)] = [("type", "array")]
            entries += Self.head(options)
            entries.append(("items", items.node))
            entries += Self.tail(options)
            return .map(entries)
        case .string(let options): return .map([("type", "string")] + Self.head(options) + Self.tail(options))
        case .integer(let options): return .map([("type", "integer")] + Self.head(options) + Self.tail(options))
        case .number(let options): return .map([("type", "number")] + Self.head(options) + Self.tail(options))
        case .boolean(let options): return .map([("type", "boolean")] + Self.head(options) + Self.tail(options))
        }
    }

    private static func head(_ options: Options) -> [(String, YAMLNode)] {
        var entries: [(String, YAMLNode)] = []
        if let description = options.description { entries.append(("description", .string(description))) }
        if let format = options.format { entries.append(("format", .string(format))) }
        if let value = options.defaultValue { entries.append(("default", value)) }
        if let values = options.enumValues { entries.append(("enum", .list(values.map { .string($0) }))) }
        if let pattern = options.pattern { entries.append(("pattern", .string(pattern))) }
        if let minLength = options.minLength { entries.append(("minLength", .int(minLength))) }
        if let maxLength = options.maxLength { entries.append(("maxLength", .int(maxLength))) }
        if let minimum = options.minimum { entries.append(("minimum", .int(minimum))) }
        if let maximum = options.maximum { entries.append(("maximum", .int(maximum))) }
        if let maxItems = options.maxItems { entries.append(("maxItems", .int(maxItems))) }
        return entries
    }

    private static func tail(_ options: Options) -> [(String, YAMLNode)] {
        var entries: [(String, YAMLNode)] = []
        if let listType = options.listType { entries.append(("x-kubernetes-list-type", .string(listType))) }
        if let keys = options.listMapKeys {
            entries.append(("x-kubernetes-list-map-keys", .list(keys.map { .string($0) })))
        }
        if let anyOf = options.anyOf { entries.append(("anyOf", .list(anyOf))) }
        if let rules = options.rules {
            entries.append(("x-kubernetes-validations", .list(rules.map {
                .map([("rule", .string($0.rule)), ("message", .string($0.message))])
            })))
        }
        return entries
    }
}

/// An ordered YAML document (maps keep their key order) and a printer for it: the CRD is committed as YAML and
/// compared byte for byte, so the output must be deterministic.
public indirect enum YAMLNode: Sendable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral
{
    case map([(String, YAMLNode)])
    case list([YAMLNode])
    case string(String)
    case int(Int)
    case bool(Bool)

    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: YAMLNode...) { self = .list(elements) }

    public var text: String {
        var lines: [String] = []
        Self.emit(self, indent: 0, into: &lines)
        return lines.joined(separator: "\n") + "\n"
    }

    private static func emit(_ node: YAMLNode, indent: Int, into lines: inout [String]) {
        let pad = String(repeating: " ", count: indent)
        switch node {
        case .map(let entries):
            for (key, value) in entries {
                if let inline = inline(value) {
                    lines.append("\(pad)\(key): \(inline)")
                } else {
                    lines.append("\(pad)\(key):")
                    // Lists sit at their key's indentation, as kubectl writes them.
                    if case .list = value { emit(value, indent: indent, into: &lines) } else { emit(value, indent: indent + 2, into: &lines) }
                }
            }
        case .list(let items):
            for item in items {
                if let inline = inline(item) {
                    lines.append("\(pad)- \(inline)")
                } else {
                    var nested: [String] = []
                    emit(item, indent: indent + 2, into: &nested)
                    if let first = nested.first {
                        lines.append("\(pad)- " + first.dropFirst(indent + 2))
                        lines += nested.dropFirst()
                    }
                }
            }
        case .string, .int, .bool:
            lines.append(pad + (inline(node) ?? ""))
        }
    }

    /// The one-line form of scalars and empty collections; nil for what needs lines of its own.
    private static func inline(_ node: YAMLNode) -> String? {
        switch node {
        case .string(let text): return scalar(text)
        case .int(let value): return String(value)
        case .bool(let value): return value ? "true" : "false"
        case .map(let entries): return entries.isEmpty ? "{}" : nil
        case .list(let items): return items.isEmpty ? "[]" : nil
        }
    }

    /// Plain when YAML reads it back as the same string, single-quoted otherwise.
    private static func scalar(_ text: String) -> String {
        let reserved = ["", "true", "false", "yes", "no", "on", "off", "null", "~", "y", "n"]
        let special = Set("-?:,[]{}#&*!|>'\"%@`")
        let needsQuotes = reserved.contains(text.lowercased())
            || Double(text) != nil
            || text.first.map { special.contains($0) || $0 == " " } ?? true
            || text.last == " "
            || text.contains(": ") || text.contains(" #") || text.contains("\n")
        guard needsQuotes else { return text }
        return "'" + text.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "''") + "'"
    }
}
