/// Go's `fmt` renderings of JSON values. The API server builds its messages with `%v`, `%q` and `%#v` on
/// decoded JSON (`int64`, `float64`, `string`, `map[string]interface{}`, ...), and clients match on that text.
enum GoFormat {
    /// `%q` of a string (`strconv.Quote`): printable characters stay, everything else is escaped.
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\u{07}": out += "\\a"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{0B}": out += "\\v"
            default:
                if isPrintable(scalar) {
                    out.unicodeScalars.append(scalar)
                } else if scalar.value < 0x80 {
                    out += "\\x" + hex(scalar.value, digits: 2)
                } else if scalar.value < 0x10000 {
                    out += "\\u" + hex(scalar.value, digits: 4)
                } else {
                    out += "\\U" + hex(scalar.value, digits: 8)
                }
            }
        }
        return out + "\""
    }

    /// `unicode.IsPrint`: letters, marks, numbers, punctuation, symbols and the ASCII space.
    private static func isPrintable(_ scalar: Unicode.Scalar) -> Bool {
        if scalar == " " { return true }
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
            .nonspacingMark, .spacingMark, .enclosingMark,
            .decimalNumber, .letterNumber, .otherNumber,
            .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
            .initialPunctuation, .finalPunctuation, .otherPunctuation,
            .mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol:
            return true
        default:
            return false
        }
    }

    private static func hex(_ value: UInt32, digits: Int) -> String {
        let text = String(value, radix: 16)
        return String(repeating: "0", count: max(0, digits - text.count)) + text
    }

    /// `%v` of a `float64`: the shortest round-trip digits, in exponent form when the exponent is below -4
    /// or at least 6 (Go prints `1e+06`, not `1000000`).
    static func float(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value < 0 ? "-Inf" : "+Inf" }
        if value == 0 { return value.sign == .minus ? "-0" : "0" }
        let sign = value < 0 ? "-" : ""
        let (digits, pointPosition) = shortestDigits(of: abs(value))
        let exponent = pointPosition - 1
        if exponent < -4 || exponent >= 6 {
            var mantissa = String(digits.first!)
            if digits.count > 1 { mantissa += "." + digits.dropFirst() }
            let exponentDigits = String(abs(exponent))
            let paddedExponent = exponentDigits.count < 2 ? "0" + exponentDigits : exponentDigits
            return sign + mantissa + "e" + (exponent < 0 ? "-" : "+") + paddedExponent
        }
        if pointPosition <= 0 {
            return sign + "0." + String(repeating: "0", count: -pointPosition) + digits
        }
        if digits.count <= pointPosition {
            return sign + digits + String(repeating: "0", count: pointPosition - digits.count)
        }
        let integerPart = digits.prefix(pointPosition)
        return sign + integerPart + "." + digits.dropFirst(pointPosition)
    }

    /// The significant digits of a positive finite double and where the decimal point goes:
    /// value = 0.<digits> × 10^pointPosition. Swift's description is already the shortest round-trip form.
    private static func shortestDigits(of value: Double) -> (digits: String, pointPosition: Int) {
        let text = "\(value)"
        let parts = text.split(separator: "e", maxSplits: 1)
        let exponent = parts.count == 2 ? Int(parts[1])! : 0
        let mantissa = parts[0].split(separator: ".", maxSplits: 1)
        let integerDigits = String(mantissa[0])
        let fractionDigits = mantissa.count == 2 ? String(mantissa[1]) : ""
        var digits = integerDigits + fractionDigits
        var pointPosition = integerDigits.count + exponent
        while digits.first == "0" {
            digits.removeFirst()
            pointPosition -= 1
        }
        while digits.last == "0" { digits.removeLast() }
        return (digits, pointPosition)
    }

    /// How `field.Error` prints a bad value: numbers and booleans with `%v`, strings with `%q`,
    /// null as the string "null", objects and arrays with `%#v`.
    static func badValue(_ value: JSON) -> String {
        switch value {
        case .null: return quoted("null")
        case .string(let text): return quoted(text)
        case .array, .object: return goSyntax(value)
        default: return plain(value)
        }
    }

    /// `%v` of a scalar (`fmt.Sprint`).
    static func plain(_ value: JSON) -> String {
        switch value {
        case .null: return "<nil>"
        case .bool(let flag): return flag ? "true" : "false"
        case .int(let number): return String(number)
        case .double(let number): return float(number)
        case .string(let text): return text
        case .array(let elements): return "[" + elements.map(plain).joined(separator: " ") + "]"
        case .object(let fields):
            return "map[" + fields.keys.sorted().map { "\($0):\(plain(fields[$0]!))" }.joined(separator: " ") + "]"
        }
    }

    /// `%#v` of a decoded JSON value (`interface{}`).
    static func goSyntax(_ value: JSON) -> String {
        switch value {
        case .null: return "interface {}(nil)"
        case .string(let text): return quoted(text)
        case .array(let elements):
            return "[]interface {}{" + elements.map(goSyntax).joined(separator: ", ") + "}"
        case .object(let fields):
            let entries = fields.keys.sorted().map { quoted($0) + ":" + goSyntax(fields[$0]!) }
            return "map[string]interface {}{" + entries.joined(separator: ", ") + "}"
        default: return plain(value)
        }
    }

    /// `%#v` of a Go `[]string`; an empty one is the nil slice in every place the API server prints one.
    static func stringSlice(_ values: [String]) -> String {
        values.isEmpty ? "[]string(nil)" : "[]string{" + values.map(quoted).joined(separator: ", ") + "}"
    }

    /// `json.Marshal` of a decoded value: compact, keys sorted, and `<`, `>`, `&`, U+2028, U+2029 escaped.
    static func marshal(_ value: JSON) -> String {
        var text = ""
        for scalar in value.text.unicodeScalars {
            switch scalar {
            case "<": text += "\\u003c"
            case ">": text += "\\u003e"
            case "&": text += "\\u0026"
            case "\u{2028}": text += "\\u2028"
            case "\u{2029}": text += "\\u2029"
            default: text.unicodeScalars.append(scalar)
            }
        }
        return text
    }
}

extension Double {
    /// Go's `swag.IsFloat64AJSONInteger`: an integral value within JSON's exact integer range, up to a
    /// relative error of 1e-9 (kube-openapi accepts 5.0 where an integer is expected).
    var isJSONInteger: Bool {
        let maxExact = 9_007_199_254_740_991.0
        guard isFinite, self >= -maxExact, self <= maxExact else { return false }
        let truncated = rounded(.towardZero)
        if self == truncated { return true }
        let epsilon = 1e-9
        if abs(self) < epsilon { return false }
        return abs(self - truncated) / (abs(self) + abs(truncated)) < epsilon
    }

    /// Go's `int64(f)`, clamped where Go's result would be platform-defined.
    var truncatedInt64: Int64 {
        if self >= 9.2e18 { return Int64.max }
        if self <= -9.2e18 { return Int64.min }
        return Int64(rounded(.towardZero))
    }
}
