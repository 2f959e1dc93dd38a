import Foundation

/// The JSONPath of a CRD `additionalPrinterColumns[].jsonPath`, evaluated as client-go's jsonpath with
/// missing keys allowed (what the API server's table convertor uses). Supported: `.field` (with `\.` for a
/// dot inside a name), `['field']`, `[n]` / `[-n]`, `[start:end:step]`, `[*]` / `.*`, and filters
/// `[?(@.path)]`, `[?(@.path == "x")]` with `==`, `!=`, `<`, `<=`, `>`, `>=`. Not supported: `..`, unions.
public struct PrinterColumnPath: Sendable {
    enum Step: Sendable {
        case field(String)
        case wildcard
        case index(Int)
        case slice(start: Int?, end: Int?, step: Int?)
        case filter(Filter)
    }

    struct Filter: Sendable {
        enum Operand: Sendable {
            case relativePath([Step])
            case literal(JSON)
        }

        let left: Operand
        /// nil for an existence test (`[?(@.ready)]`).
        let comparison: (op: String, right: Operand)?
    }

    let steps: [Step]

    public init(_ text: String) throws(SelectorError) {
        var parser = JSONPathParser(text: text)
        steps = try parser.parsePath(relative: false)
    }

    /// The values the path selects, in document order (object wildcards in key order). Empty when a key is
    /// missing or the path cannot apply (an index out of range, a filter on a non-array), as the table
    /// convertor treats those alike.
    public func values(in object: JSON) -> [JSON] {
        (try? Self.evaluate(steps, on: [object])) ?? []
    }

    /// Why an evaluation produced no cell (client-go returns an error there).
    private struct EvaluationFailure: Error {}

    private static func evaluate(_ steps: [Step], on input: [JSON]) throws(EvaluationFailure) -> [JSON] {
        var current = input
        for step in steps {
            current = try apply(step, to: current)
        }
        return current
    }

    private static func apply(_ step: Step, to input: [JSON]) throws(EvaluationFailure) -> [JSON] {
        var output: [JSON] = []
        for value in input {
            switch step {
            case .field(let name):
                // A null met on the way is skipped; a null at the end is a value.
                if case .object(let fields) = value, let child = fields[name] { output.append(child) }
            case .wildcard:
                switch value {
                case .object(let fields): output += fields.keys.sorted().map { fields[$0]! }
                case .array(let elements): output += elements
                default: break
                }
            case .index(let index):
                if value.isNull { continue }
                guard case .array(let elements) = value else { throw EvaluationFailure() }
                let resolved = index < 0 ? index + elements.count : index
                guard elements.indices.contains(resolved) else { throw EvaluationFailure() }
                output.append(elements[resolved])
            case .slice(let start, let end, let stride):
                if value.isNull { continue }
                guard case .array(let elements) = value else { throw EvaluationFailure() }
                output += try slice(elements, start: start, end: end, stride: stride)
            case .filter(let filter):
                guard case .array(let elements) = value else { throw EvaluationFailure() }
                for element in elements where try passes(element, filter) { output.append(element) }
            }
        }
        return output
    }

    /// client-go's evalArray bounds rules: a negative bound counts from the end, an empty range selects
    /// nothing, any other out-of-range bound is an error.
    private static func slice(_ elements: [JSON], start: Int?, end: Int?, stride: Int?) throws(EvaluationFailure) -> [JSON] {
        var lower = start ?? 0
        if lower < 0 { lower += elements.count }
        var upper = end ?? elements.count
        if upper < 0 { upper += elements.count }
        guard upper != lower else { return [] }
        guard lower >= 0, lower < elements.count, upper >= 0, upper <= elements.count, lower <= upper else {
            throw EvaluationFailure()
        }
        let step = stride ?? 1
        guard step > 0 else { throw EvaluationFailure() }
        return Swift.stride(from: lower, to: upper, by: step).map { elements[$0] }
    }

    private static func operandValues(_ operand: Filter.Operand, of element: JSON) throws(EvaluationFailure) -> [JSON] {
        switch operand {
        case .relativePath(let steps): return try evaluate(steps, on: [element])
        case .literal(let value): return [value]
        }
    }

    private static func passes(_ element: JSON, _ filter: Filter) throws(EvaluationFailure) -> Bool {
        guard let (op, right) = filter.comparison else {
            return !((try? operandValues(filter.left, of: element)) ?? []).isEmpty
        }
        // An element without the compared value is skipped; more than one value cannot be compared.
        let lefts = try operandValues(filter.left, of: element)
        guard let left = lefts.first else { return false }
        guard lefts.count == 1 else { throw EvaluationFailure() }
        let rights = try operandValues(right, of: element)
        guard let rightValue = rights.first else { return false }
        guard rights.count == 1 else { throw EvaluationFailure() }
        return try compare(left, op, rightValue)
    }

    /// Go template comparisons: only values of the same basic kind compare; booleans only for equality.
    private static func compare(_ left: JSON, _ op: String, _ right: JSON) throws(EvaluationFailure) -> Bool {
        let order: ComparisonResult
        switch (left, right) {
        case (.int(let a), .int(let b)): order = a < b ? .orderedAscending : a > b ? .orderedDescending : .orderedSame
        case (.double(let a), .double(let b)): order = a < b ? .orderedAscending : a > b ? .orderedDescending : .orderedSame
        case (.string(let a), .string(let b)): order = a < b ? .orderedAscending : a > b ? .orderedDescending : .orderedSame
        case (.bool(let a), .bool(let b)) where op == "==" || op == "!=":
            return (a == b) == (op == "==")
        default:
            throw EvaluationFailure()
        }
        switch op {
        case "==": return order == .orderedSame
        case "!=": return order != .orderedSame
        case "<": return order == .orderedAscending
        case "<=": return order != .orderedDescending
        case ">": return order == .orderedDescending
        default: return order != .orderedAscending
        }
    }

    /// The cell the API server's table convertor puts in a printer column of this `type` (string, integer,
    /// number, boolean, date): only the first selected value counts; nothing selected, or a value of the
    /// wrong JSON type, gives null (kubectl prints `<none>`). A string column prints any value the way
    /// jsonpath prints it; a date column shows the age relative to `now` (`5m`, `3d4h`).
    public static func cellText(_ values: [JSON], type: String, now: Date = Date()) -> JSON {
        guard let value = values.first else { return .null }
        switch (type, value) {
        case ("string", .null): return "<no value>"
        case ("string", .string): return value
        case ("string", .array), ("string", .object): return .string(GoFormat.marshal(value))
        case ("string", _): return .string(GoFormat.plain(value))
        case ("integer", .int): return value
        case ("integer", .double(let number)): return .int(number.truncatedInt64)
        case ("number", .int(let number)): return .double(Double(number))
        case ("number", .double): return value
        case ("boolean", .bool): return value
        case ("date", .string(let text)):
            if text.isEmpty || text == "null" { return "<unknown>" }
            guard let date = RFC3339.parse(text) else { return "<invalid>" }
            return .string(humanDuration(now.timeIntervalSince(date)))
        default: return .null
        }
    }

    /// apimachinery's duration.HumanDuration: about two significant figures of an age.
    static func humanDuration(_ interval: TimeInterval) -> String {
        let seconds = Int(interval.rounded(.towardZero))
        if seconds < -1 { return "<invalid>" }
        if seconds < 0 { return "0s" }
        if seconds < 60 * 2 { return "\(seconds)s" }
        let minutes = seconds / 60
        if minutes < 10 {
            let remainder = seconds % 60
            return remainder == 0 ? "\(minutes)m" : "\(minutes)m\(remainder)s"
        }
        if minutes < 60 * 3 { return "\(minutes)m" }
        let hours = seconds / 3600
        if hours < 8 {
            let remainder = minutes % 60
            return remainder == 0 ? "\(hours)h" : "\(hours)h\(remainder)m"
        }
        if hours < 48 { return "\(hours)h" }
        if hours < 24 * 8 {
            let remainder = hours % 24
            return remainder == 0 ? "\(hours / 24)d" : "\(hours / 24)d\(remainder)h"
        }
        if hours < 24 * 365 * 2 { return "\(hours / 24)d" }
        if hours < 24 * 365 * 8 {
            let remainder = (hours / 24) % 365
            return remainder == 0 ? "\(hours / 24 / 365)y" : "\(hours / 24 / 365)y\(remainder)d"
        }
        return "\(hours / 24 / 365)y"
    }
}

/// Parses the printer-column JSONPath subset into steps.
private struct JSONPathParser {
    let characters: [Character]
    let text: String
    var position = 0

    init(text: String) {
        self.text = text
        characters = Array(text)
    }

    private func failure(_ reason: String) -> SelectorError {
        SelectorError(message: "invalid JSONPath \(GoFormat.quoted(text)): \(reason)")
    }

    /// A path up to the end of the text (or, for a filter operand, of the operand text it was given).
    mutating func parsePath(relative: Bool) throws(SelectorError) -> [PrinterColumnPath.Step] {
        var steps: [PrinterColumnPath.Step] = []
        if position < characters.count, characters[position] == (relative ? "@" : "$") { position += 1 }
        if !relative, characters.count == position + 1, characters[position] == "." { return [] }
        while position < characters.count {
            switch characters[position] {
            case ".":
                position += 1
                if position < characters.count, characters[position] == "." {
                    throw failure("recursive descent (..) is not supported")
                }
                let name = readFieldName()
                guard !name.isEmpty else { throw failure("missing field name after '.'") }
                steps.append(name == "*" ? .wildcard : .field(name))
            case "[":
                steps.append(try parseBracket())
            default:
                throw failure("unexpected \(GoFormat.quoted(String(characters[position]))) at offset \(position)")
            }
        }
        return steps
    }

    /// A field name runs to the next unescaped `.` or `[`; a backslash makes the next character literal.
    private mutating func readFieldName() -> String {
        var name = ""
        while position < characters.count, characters[position] != ".", characters[position] != "[" {
            if characters[position] == "\\", position + 1 < characters.count { position += 1 }
            name.append(characters[position])
            position += 1
        }
        return name
    }

    private mutating func parseBracket() throws(SelectorError) -> PrinterColumnPath.Step {
        let start = position + 1
        var depth = 0
        var quote: Character?
        var end = start
        while true {
            guard end < characters.count else { throw failure("unterminated '['") }
            let character = characters[end]
            if let open = quote {
                if character == "\\" { end += 1 } else if character == open { quote = nil }
            } else if character == "'" || character == "\"" {
                quote = character
            } else if character == "(" {
                depth += 1
            } else if character == ")" {
                depth -= 1
            } else if character == "]", depth == 0 {
                break
            }
            end += 1
        }
        let content = String(characters[start..<end]).trimmingCharacters(in: .whitespaces)
        position = end + 1
        if content == "*" { return .wildcard }
        if content.hasPrefix("?(") && content.hasSuffix(")") {
            return .filter(try parseFilter(String(content.dropFirst(2).dropLast())))
        }
        if let first = content.first, first == "'" || first == "\"" {
            guard case .string(let name) = try literal(content) else { throw failure("bad quoted name \(content)") }
            return .field(name)
        }
        if content.contains(":") {
            let bounds = content.split(separator: ":", omittingEmptySubsequences: false)
                .map { $0.trimmingCharacters(in: .whitespaces) }
            guard bounds.count <= 3 else { throw failure("bad slice [\(content)]") }
            var numbers: [Int?] = []
            for bound in bounds {
                if bound.isEmpty {
                    numbers.append(nil)
                } else if let number = Int(bound) {
                    numbers.append(number)
                } else {
                    throw failure("bad slice [\(content)]")
                }
            }
            return .slice(start: numbers[0], end: numbers[1], step: numbers.count == 3 ? numbers[2] : nil)
        }
        guard let index = Int(content) else { throw failure("unsupported subscript [\(content)]") }
        return .index(index)
    }

    private func parseFilter(_ expression: String) throws(SelectorError) -> PrinterColumnPath.Filter {
        let scalars = Array(expression)
        var quote: Character?
        for index in scalars.indices {
            let character = scalars[index]
            if let open = quote {
                if character == open { quote = nil }
                continue
            }
            if character == "'" || character == "\"" {
                quote = character
                continue
            }
            for op in ["==", "!=", "<=", ">=", "<", ">"] where String(scalars[index...]).hasPrefix(op) {
                let left = String(scalars[..<index])
                let right = String(scalars[(index + op.count)...])
                return PrinterColumnPath.Filter(left: try operand(left), comparison: (op, try operand(right)))
            }
        }
        return PrinterColumnPath.Filter(left: try operand(expression), comparison: nil)
    }

    private func operand(_ text: String) throws(SelectorError) -> PrinterColumnPath.Filter.Operand {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.hasPrefix("@") {
            var parser = JSONPathParser(text: trimmed)
            return .relativePath(try parser.parsePath(relative: true))
        }
        return .literal(try literal(trimmed))
    }

    /// A filter literal: a quoted string, true/false, or a number (integer unless it has a decimal point).
    private func literal(_ text: String) throws(SelectorError) -> JSON {
        if let first = text.first, first == "'" || first == "\"", text.count >= 2, text.last == first {
            var value = ""
            var escaping = false
            for character in text.dropFirst().dropLast() {
                if escaping || character != "\\" {
                    value.append(character)
                    escaping = false
                } else {
                    escaping = true
                }
            }
            return .string(value)
        }
        switch text {
        case "true": return true
        case "false": return false
        default:
            if let integer = Int64(text) { return .int(integer) }
            if let number = Double(text) { return .double(number) }
            throw failure("unsupported operand \(GoFormat.quoted(text))")
        }
    }
}
