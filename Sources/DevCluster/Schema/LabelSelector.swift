/// A label selector: the `labelSelector` query parameter syntax (apimachinery `labels.Parse`) or a
/// `metav1.LabelSelector` object (`matchLabels` / `matchExpressions`, as in Deployment and HPA selectors).
public struct LabelSelector: Sendable, CustomStringConvertible {
    /// apimachinery's `selection.Operator`; the raw values are its spelling.
    public enum Operator: String, Sendable {
        case `in` = "in"
        case notIn = "notin"
        case equals = "="
        case doubleEquals = "=="
        case notEquals = "!="
        case exists = "exists"
        case doesNotExist = "!"
        case greaterThan = "gt"
        case lessThan = "lt"
    }

    public struct Requirement: Sendable, Equatable, CustomStringConvertible {
        public let key: String
        public let op: Operator
        /// Sorted and unique when parsed from text; as given when built from a LabelSelector object.
        public let values: [String]

        public func matches(_ labels: [String: String]) -> Bool {
            switch op {
            case .in, .equals, .doubleEquals:
                guard let value = labels[key] else { return false }
                return values.contains(value)
            case .notIn, .notEquals:
                guard let value = labels[key] else { return true }
                return !values.contains(value)
            case .exists:
                return labels[key] != nil
            case .doesNotExist:
                return labels[key] == nil
            case .greaterThan, .lessThan:
                guard let text = labels[key], let actual = Int64(text), values.count == 1, let bound = Int64(values[0]) else {
                    return false
                }
                return op == .greaterThan ? actual > bound : actual < bound
            }
        }

        /// apimachinery's `Requirement.String()`.
        public var description: String {
            let valueList = values.count == 1 ? values[0] : values.sorted().joined(separator: ",")
            switch op {
            case .exists: return key
            case .doesNotExist: return "!" + key
            case .equals: return key + "=" + valueList
            case .doubleEquals: return key + "==" + valueList
            case .notEquals: return key + "!=" + valueList
            case .in: return key + " in (" + valueList + ")"
            case .notIn: return key + " notin (" + valueList + ")"
            case .greaterThan: return key + ">" + valueList
            case .lessThan: return key + "<" + valueList
            }
        }
    }

    /// Sorted by key, as the API server keeps them.
    public let requirements: [Requirement]
    /// A null LabelSelector object selects nothing; an empty one selects everything.
    private let selectsNothing: Bool

    private init(requirements: [Requirement], selectsNothing: Bool = false) {
        // A stable sort keeps same-key requirements in the order they were written.
        self.requirements = requirements.enumerated()
            .sorted { $0.element.key == $1.element.key ? $0.offset < $1.offset : $0.element.key < $1.element.key }
            .map(\.element)
        self.selectsNothing = selectsNothing
    }

    public static let everything = LabelSelector(requirements: [])

    public var isEverything: Bool { !selectsNothing && requirements.isEmpty }

    public func matches(_ labels: [String: String]) -> Bool {
        !selectsNothing && requirements.allSatisfy { $0.matches(labels) }
    }

    /// apimachinery's `Selector.String()`: the requirements joined by commas.
    public var description: String { requirements.map(\.description).joined(separator: ",") }

    /// Parses the string syntax: `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`, `a>1`,
    /// comma-separated. Errors carry the API server's wording (`unable to parse requirement: ...`).
    public static func parse(_ text: String) throws(SelectorError) -> LabelSelector {
        var parser = LabelSelectorParser(tokens: LabelSelectorLexer.tokens(of: text))
        return LabelSelector(requirements: try parser.parse())
    }

    /// Builds the selector of a `metav1.LabelSelector` object (metav1.LabelSelectorAsSelector).
    public init(json: JSON) throws(SelectorError) {
        if json.isNull {
            self.init(requirements: [], selectsNothing: true)
            return
        }
        guard case .object(let fields) = json else {
            throw SelectorError(message: "label selector must be an object, not \(json.typeName)")
        }
        var requirements: [Requirement] = []
        let matchLabels = fields["matchLabels"] ?? .null
        if !matchLabels.isNull {
            guard case .object(let labels) = matchLabels else {
                throw SelectorError(message: "matchLabels must be an object of strings")
            }
            for key in labels.keys.sorted() {
                guard let value = labels[key]?.stringValue else {
                    throw SelectorError(message: "matchLabels[\(key)] must be a string")
                }
                requirements.append(try Self.requirement(key: key, op: .equals, values: [value]))
            }
        }
        let matchExpressions = fields["matchExpressions"] ?? .null
        if !matchExpressions.isNull {
            guard case .array(let expressions) = matchExpressions else {
                throw SelectorError(message: "matchExpressions must be an array")
            }
            for expression in expressions {
                let key = expression["key"]?.stringValue ?? ""
                let operatorName = expression["operator"]?.stringValue ?? ""
                let values = expression["values"]?.arrayValue?.compactMap(\.stringValue) ?? []
                let op: Operator
                switch operatorName {
                case "In": op = .in
                case "NotIn": op = .notIn
                case "Exists": op = .exists
                case "DoesNotExist": op = .doesNotExist
                default: throw SelectorError(message: "\(GoFormat.quoted(operatorName)) is not a valid label selector operator")
                }
                requirements.append(try Self.requirement(key: key, op: op, values: values))
            }
        }
        self.init(requirements: requirements)
    }

    /// apimachinery's `labels.NewRequirement`: validates the key, the value count for the operator and each
    /// value, reporting every problem at once (without a field path, as the API server calls it).
    static func requirement(key: String, op: Operator, values: [String]) throws(SelectorError) -> Requirement {
        var errors: [FieldError] = []
        let keyProblems = NameValidation.qualifiedName(key)
        if !keyProblems.isEmpty {
            errors.append(.invalid("key", value: .string(key), detail: keyProblems.joined(separator: "; ")))
        }
        func invalidValues(_ detail: String) -> FieldError {
            FieldError(reason: .invalid, field: "values", message: "Invalid value: \(GoFormat.stringSlice(values)): \(detail)")
        }
        switch op {
        case .in, .notIn:
            if values.isEmpty { errors.append(invalidValues("for 'in', 'notin' operators, values set can't be empty")) }
        case .equals, .doubleEquals, .notEquals:
            if values.count != 1 { errors.append(invalidValues("exact-match compatibility requires one single value")) }
        case .exists, .doesNotExist:
            if !values.isEmpty { errors.append(invalidValues("values set must be empty for exists and does not exist")) }
        case .greaterThan, .lessThan:
            if values.count != 1 { errors.append(invalidValues("for 'Gt', 'Lt' operators, exactly one value is required")) }
            for (index, value) in values.enumerated() where Int64(value) == nil {
                let detail = "for 'Gt', 'Lt' operators, the value must be an integer"
                errors.append(.invalid("values[\(index)]", value: .string(value), detail: detail))
            }
        }
        for (index, value) in values.enumerated() {
            let problems = NameValidation.labelValue(value)
            if !problems.isEmpty {
                errors.append(.invalid("values[\(index)][\(key)]", value: .string(value), detail: problems.joined(separator: "; ")))
            }
        }
        guard errors.isEmpty else { throw SelectorError(message: aggregateMessage(errors)) }
        return Requirement(key: key, op: op, values: values)
    }

    /// `ErrorList.ToAggregate().Error()`: one error bare, several as `[a, b]`, duplicates dropped.
    static func aggregateMessage(_ errors: [FieldError]) -> String {
        var seen = Set<String>()
        let messages = errors.map(\.description).filter { seen.insert($0).inserted }
        return messages.count == 1 ? messages[0] : "[" + messages.joined(separator: ", ") + "]"
    }
}

/// The tokens of apimachinery's label selector lexer.
enum LabelSelectorToken: Equatable {
    case error(String)
    case endOfString
    case closedParenthesis
    case comma
    case doesNotExist
    case doubleEquals
    case equals
    case greaterThan
    case identifier(String)
    case `in`
    case lessThan
    case notEquals
    case notIn
    case openParenthesis

    private static let literals: [String: LabelSelectorToken] = [
        ")": .closedParenthesis, ",": .comma, "!": .doesNotExist, "==": .doubleEquals, "=": .equals, ">": .greaterThan,
        "in": .in, "<": .lessThan, "!=": .notEquals, "notin": .notIn, "(": .openParenthesis,
    ]

    static func literal(_ text: String) -> LabelSelectorToken? { literals[text] }

    /// The text the parser quotes in its errors (`found '...'`).
    var literal: String {
        switch self {
        case .error(let message): return message
        case .endOfString: return ""
        case .identifier(let name): return name
        default: return Self.literals.first { $0.value == self }!.key
        }
    }

    /// In value position `in` and `notin` are plain identifiers (`x in (in)`).
    var asValue: LabelSelectorToken {
        switch self {
        case .in, .notIn: return .identifier(literal)
        default: return self
        }
    }
}

/// apimachinery's label selector lexer, byte by byte as Go's.
enum LabelSelectorLexer {
    static func tokens(of text: String) -> [LabelSelectorToken] {
        let bytes = Array(text.utf8)
        var position = 0
        var tokens: [LabelSelectorToken] = []
        while true {
            while position < bytes.count, isWhitespace(bytes[position]) { position += 1 }
            guard position < bytes.count else {
                tokens.append(.endOfString)
                return tokens
            }
            if isSpecialSymbol(bytes[position]) {
                tokens.append(scanSymbol(bytes, &position))
            } else {
                let start = position
                while position < bytes.count, !isSpecialSymbol(bytes[position]), !isWhitespace(bytes[position]) { position += 1 }
                let word = String(decoding: bytes[start..<position], as: UTF8.self)
                tokens.append(LabelSelectorToken.literal(word) ?? .identifier(word))
            }
        }
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\n")
    }

    private static func isSpecialSymbol(_ byte: UInt8) -> Bool {
        Array("=!(),><".utf8).contains(byte)
    }

    /// The longest run of symbols that is still an operator (`!=` rather than `!` then `=`).
    private static func scanSymbol(_ bytes: [UInt8], _ position: inout Int) -> LabelSelectorToken {
        var buffer: [UInt8] = []
        var recognized: LabelSelectorToken?
        while position < bytes.count, isSpecialSymbol(bytes[position]) {
            buffer.append(bytes[position])
            if let token = LabelSelectorToken.literal(String(decoding: buffer, as: UTF8.self)) {
                recognized = token
                position += 1
            } else if recognized != nil {
                break
            } else {
                position += 1
            }
        }
        return recognized ?? .error("error expected: keyword found '\(String(decoding: buffer, as: UTF8.self))'")
    }
}

/// apimachinery's recursive-descent label selector parser.
struct LabelSelectorParser {
    let tokens: [LabelSelectorToken]
    private var position = 0

    init(tokens: [LabelSelectorToken]) {
        self.tokens = tokens
    }

    private func lookahead() -> LabelSelectorToken { tokens[position].asValue }

    private mutating func consume(asValue: Bool = true) -> LabelSelectorToken {
        position += 1
        return asValue ? tokens[position - 1].asValue : tokens[position - 1]
    }

    private static func isRequirementStart(_ token: LabelSelectorToken) -> Bool {
        if case .identifier = token { return true }
        return token == .doesNotExist
    }

    mutating func parse() throws(SelectorError) -> [LabelSelector.Requirement] {
        var requirements: [LabelSelector.Requirement] = []
        while true {
            let token = lookahead()
            if token == .endOfString { return requirements }
            guard Self.isRequirementStart(token) else {
                throw SelectorError(message: "found '\(token.literal)', expected: !, identifier, or 'end of string'")
            }
            do {
                requirements.append(try parseRequirement())
            } catch {
                throw SelectorError(message: "unable to parse requirement: \(error.message)")
            }
            let separator = consume()
            switch separator {
            case .endOfString:
                return requirements
            case .comma:
                let next = lookahead()
                guard Self.isRequirementStart(next) else {
                    throw SelectorError(message: "found '\(next.literal)', expected: identifier after ','")
                }
            default:
                throw SelectorError(message: "found '\(separator.literal)', expected: ',' or 'end of string'")
            }
        }
    }

    private mutating func parseRequirement() throws(SelectorError) -> LabelSelector.Requirement {
        var isNegated = false
        var token = consume()
        if token == .doesNotExist {
            isNegated = true
            token = consume()
        }
        guard case .identifier(let key) = token else {
            throw SelectorError(message: "found '\(token.literal)', expected: identifier")
        }
        let keyProblems = NameValidation.qualifiedName(key)
        if !keyProblems.isEmpty {
            // The parser validates the key with a nil field path, which Go prints as "<nil>".
            let error = FieldError.invalid("<nil>", value: .string(key), detail: keyProblems.joined(separator: "; "))
            throw SelectorError(message: error.description)
        }
        // `!key` takes no operator: whatever follows is the parser's problem (`!a=b` fails at `=`).
        if isNegated { return try LabelSelector.requirement(key: key, op: .doesNotExist, values: []) }
        if lookahead() == .endOfString || lookahead() == .comma {
            return try LabelSelector.requirement(key: key, op: .exists, values: [])
        }
        let op = try parseOperator()
        let values = op == .in || op == .notIn ? try parseValueSet() : try parseExactValue()
        return try LabelSelector.requirement(key: key, op: op, values: values)
    }

    private mutating func parseOperator() throws(SelectorError) -> LabelSelector.Operator {
        let token = consume(asValue: false)
        switch token {
        case .in: return .in
        case .equals: return .equals
        case .doubleEquals: return .doubleEquals
        case .greaterThan: return .greaterThan
        case .lessThan: return .lessThan
        case .notIn: return .notIn
        case .notEquals: return .notEquals
        default: throw SelectorError(message: "found '\(token.literal)', expected: in, notin, =, ==, !=, gt, lt")
        }
    }

    /// `(a,b,c)`; empty entries stand for the empty value. The result is sorted and unique (a Go string set).
    private mutating func parseValueSet() throws(SelectorError) -> [String] {
        let open = consume()
        guard open == .openParenthesis else { throw SelectorError(message: "found '\(open.literal)' expected: '('") }
        let first = lookahead()
        switch first {
        case .closedParenthesis:
            _ = consume()
            return [""]
        case .identifier, .comma:
            let values = try parseIdentifierList()
            guard consume() == .closedParenthesis else { throw SelectorError(message: "found '\(first.literal)', expected: ')'") }
            return values
        default:
            throw SelectorError(message: "found '\(first.literal)', expected: ',', ')' or identifier")
        }
    }

    private mutating func parseIdentifierList() throws(SelectorError) -> [String] {
        var values = Set<String>()
        while true {
            let token = consume()
            switch token {
            case .identifier(let value):
                values.insert(value)
                let next = lookahead()
                switch next {
                case .comma: continue
                case .closedParenthesis: return values.sorted()
                default: throw SelectorError(message: "found '\(next.literal)', expected: ',' or ')'")
                }
            case .comma:
                // A leading, doubled or trailing comma contributes the empty value.
                if values.isEmpty { values.insert("") }
                let next = lookahead()
                if next == .closedParenthesis {
                    values.insert("")
                    return values.sorted()
                }
                if next == .comma { values.insert("") }
            default:
                throw SelectorError(message: "found '\(token.literal)', expected: ',', or identifier")
            }
        }
    }

    private mutating func parseExactValue() throws(SelectorError) -> [String] {
        let next = lookahead()
        if next == .endOfString || next == .comma { return [""] }
        let token = consume()
        guard case .identifier(let value) = token else {
            throw SelectorError(message: "found '\(token.literal)', expected: identifier")
        }
        return [value]
    }
}
