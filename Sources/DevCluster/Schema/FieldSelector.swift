/// A selector that could not be parsed, with the API server's wording.
public struct SelectorError: Error, Sendable, Equatable {
    public let message: String

    public init(message: String) {
        self.message = message
    }
}

/// A field selector (`fieldSelector` query parameter), parsed as apimachinery's `fields.ParseSelector`:
/// comma-separated `field=value`, `field==value` or `field!=value` terms, where `\,`, `\=` and `\\` in a
/// value stand for the character itself.
public struct FieldSelector: Sendable {
    public enum Op: String, Sendable {
        /// `=` and `==` (the API server does not distinguish them).
        case equals = "="
        case notEquals = "!="
    }

    /// In the order the API server evaluates them: terms sorted by their text.
    public let requirements: [(field: String, op: Op, value: String)]

    public var isEverything: Bool { requirements.isEmpty }

    public static func parse(_ text: String) throws(SelectorError) -> FieldSelector {
        var requirements: [(field: String, op: Op, value: String)] = []
        for term in splitTerms(text).sorted() where !term.isEmpty {
            guard let (field, op, rawValue) = splitTerm(term) else {
                throw SelectorError(message: "invalid selector: '\(text)'; can't understand '\(term)'")
            }
            requirements.append((field, op, try unescape(rawValue)))
        }
        return FieldSelector(requirements: requirements)
    }

    /// `value` gives the object's field value; a missing field counts as the empty string, as in apimachinery.
    public func matches(_ value: (String) -> String?) -> Bool {
        requirements.allSatisfy { requirement in
            let actual = value(requirement.field) ?? ""
            return requirement.op == .equals ? actual == requirement.value : actual != requirement.value
        }
    }

    /// Splits on commas that are not escaped; the escapes stay for `unescape`.
    private static func splitTerms(_ text: String) -> [String] {
        guard !text.isEmpty else { return [] }
        var terms: [String] = []
        var current = ""
        var escaping = false
        for scalar in text.unicodeScalars {
            if escaping {
                escaping = false
            } else if scalar == "\\" {
                escaping = true
            } else if scalar == "," {
                terms.append(current)
                current = ""
                continue
            }
            current.unicodeScalars.append(scalar)
        }
        terms.append(current)
        return terms
    }

    /// The first operator in the term splits it; `!=` and `==` are tried before `=` at each position.
    /// The operators are ASCII, so splitting at a byte offset never cuts a character.
    private static func splitTerm(_ term: String) -> (String, Op, String)? {
        let bytes = Array(term.utf8)
        for index in bytes.indices {
            for (spelling, op) in [("!=", Op.notEquals), ("==", Op.equals), ("=", Op.equals)]
            where bytes[index...].starts(with: spelling.utf8) {
                let field = String(decoding: bytes[..<index], as: UTF8.self)
                let value = String(decoding: bytes[(index + spelling.utf8.count)...], as: UTF8.self)
                return (field, op, value)
            }
        }
        return nil
    }

    private static func unescape(_ value: String) throws(SelectorError) -> String {
        var result = ""
        var escaping = false
        for scalar in value.unicodeScalars {
            if escaping {
                guard scalar == "\\" || scalar == "," || scalar == "=" else {
                    throw SelectorError(message: "invalid field selector: invalid escape sequence: \\\(scalar)")
                }
                result.unicodeScalars.append(scalar)
                escaping = false
            } else if scalar == "\\" {
                escaping = true
            } else if scalar == "," || scalar == "=" {
                // Go prints the offending rune with %v, i.e. as its code point number.
                throw SelectorError(message: "invalid field selector: unescaped character in value: \(scalar.value)")
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        if escaping { throw SelectorError(message: "invalid field selector: invalid escape sequence: \\") }
        return result
    }
}
