extension StructuralSchema {
    /// Validates a whole custom object (already pruned and defaulted) as the API server does on create and
    /// update: kube-openapi schema validation, then the embedded-resource checks, then the
    /// `x-kubernetes-list-type` set/map uniqueness invariants. CEL rules are not evaluated (see `celRules`).
    public func validate(_ object: JSON) -> [FieldError] {
        openAPIResult(of: object, at: "").violations.map(\.fieldError)
            + embeddedResourceErrors(in: object, at: "")
            + listTypeErrors(inObject: object, at: "")
    }
}

// MARK: - kube-openapi schema validation

/// One error from kube-openapi's validator. `name` is its dotted path (`spec.labels.key`, `spec.items[0]`)
/// and `message` its text (`spec.x in body should match '^a'`); apiextensions turns it into a `FieldError`.
struct OpenAPIViolation {
    enum Kind {
        case required
        case notSupported(value: JSON, supported: [JSON])
        case tooLong(maxLength: Int64)
        case tooMany(count: Int64, max: Int64)
        case typeInvalid(value: String)
        case invalid(value: JSON)
        /// allOf / anyOf / oneOf / not failures, which kube-openapi reports without a field.
        case composite
    }

    let kind: Kind
    let name: String
    let message: String

    /// apiextensions' kubeOpenAPIResultToFieldErrors.
    var fieldError: FieldError {
        // The path comes from the error's name with its leading dot trimmed; a nil path prints as "<nil>".
        let field = name.isEmpty || name == "." ? "<nil>" : name.hasPrefix(".") ? String(name.dropFirst()) : name
        switch kind {
        case .required:
            return .required(field)
        case .notSupported(let value, let supported):
            return .notSupported(field, value: value, supported: supported.map { $0.stringValue ?? GoFormat.marshal($0) })
        case .tooLong(let maxLength):
            return .tooLong(field, maxLength: maxLength)
        case .tooMany(let count, let max):
            return .tooMany(field, count: count, max: max)
        case .typeInvalid(let value):
            return .typeInvalid(field, value: .string(value), detail: message)
        case .invalid(let value):
            return .invalid(field, value: value, detail: message)
        case .composite:
            return .invalid("<nil>", value: .string(""), detail: message)
        }
    }
}

/// kube-openapi's `validate.Result`: errors (unique by message) and the match count that anyOf/oneOf use
/// to pick which failing branch to report.
struct OpenAPIResult {
    private(set) var violations: [OpenAPIViolation] = []
    var matchCount: Int

    init(matchCount: Int = 0) {
        self.matchCount = matchCount
    }

    var isValid: Bool { violations.isEmpty }

    mutating func add(_ violation: OpenAPIViolation) {
        guard !violations.contains(where: { $0.message == violation.message }) else { return }
        violations.append(violation)
    }

    mutating func add(_ kind: OpenAPIViolation.Kind, at name: String, _ message: String) {
        add(OpenAPIViolation(kind: kind, name: name, message: message))
    }

    mutating func merge(_ other: OpenAPIResult) {
        other.violations.forEach { add($0) }
        matchCount += other.matchCount
    }

    static func failure(_ kind: OpenAPIViolation.Kind, at name: String, _ message: String) -> OpenAPIResult {
        var result = OpenAPIResult()
        result.add(kind, at: name, message)
        return result
    }
}

extension StructuralSchema {
    /// kube-openapi's SchemaValidator.Validate. The sub-validators run in its order and each one that applies
    /// to the value's kind adds to the match count exactly as there, so anyOf/oneOf report the same branch.
    func openAPIResult(of value: JSON, at name: String) -> OpenAPIResult {
        var result = OpenAPIResult()
        if value.isNull {
            result.merge(typeResult(of: value, at: name))
            result.merge(enumResult(of: value, at: name))
            return result
        }
        func run(_ validator: OpenAPIResult) {
            result.merge(validator)
            result.matchCount += 1
        }
        if !types.isEmpty || !format.isEmpty { run(typeResult(of: value, at: name)) }
        run(combinatorResult(of: value, at: name))
        if case .string(let text) = value {
            run(stringResult(of: text, at: name))
            if !format.isEmpty { run(formatResult(of: text, at: name)) }
        }
        if value.doubleValue != nil { run(numberResult(of: value, at: name)) }
        if case .array(let elements) = value { run(arrayResult(of: elements, at: name)) }
        run(enumResult(of: value, at: name))
        if case .object(let fields) = value { run(objectResult(of: fields, at: name)) }
        result.matchCount += 1
        return result
    }

    private func typeMismatch(_ name: String, expected: String, actual: String) -> OpenAPIResult {
        .failure(.typeInvalid(value: actual), at: name, "\(name) in body must be of type \(expected): \(GoFormat.quoted(actual))")
    }

    /// kube-openapi's typeValidator, including its format quirks (an integer where a `date-time` string is
    /// expected reports `must be of type date-time: "int64"`).
    private func typeResult(of value: JSON, at name: String) -> OpenAPIResult {
        let success = OpenAPIResult(matchCount: 1)
        let typeList = types.joined(separator: ",")
        let goKind: (type: String, format: String)
        switch value {
        case .null:
            if !types.isEmpty, !nullable { return typeMismatch(name, expected: typeList, actual: "null") }
            return success
        case .bool: goKind = ("boolean", "")
        case .string: goKind = ("string", "")
        case .int: goKind = ("integer", "int64")
        case .double: goKind = ("number", "float64")
        case .array: goKind = ("array", "")
        case .object: goKind = ("object", "")
        }
        let isStringOrArray = goKind.type == "string" || goKind.type == "array"
        let isFloatInt = goKind.type == "number" && (value.doubleValue?.isJSONInteger ?? false) && types.contains("integer")
        let isIntFloat = goKind.type == "integer" && types.contains("number")
        let typeMatches = types.contains(goKind.type) || isFloatInt || isIntFloat
        if !isStringOrArray, !format.isEmpty, !(typeMatches || goKind.format == format) {
            return typeMismatch(name, expected: format, actual: goKind.format)
        }
        if !types.contains("number"), !types.contains("integer"), !format.isEmpty, isStringOrArray { return success }
        if !typeMatches { return typeMismatch(name, expected: typeList, actual: goKind.type) }
        return success
    }

    /// allOf / anyOf / oneOf / not (kube-openapi's schemaPropsValidator).
    private func combinatorResult(of value: JSON, at name: String) -> OpenAPIResult {
        var result = OpenAPIResult()
        let quotedName = GoFormat.quoted(name)
        if !anyOf.isEmpty {
            var bestFailure: OpenAPIResult?
            var success: OpenAPIResult?
            for schema in anyOf {
                let branch = schema.openAPIResult(of: value, at: name)
                if branch.isValid {
                    bestFailure = nil
                    success = branch
                    break
                }
                if bestFailure == nil || branch.matchCount > bestFailure!.matchCount { bestFailure = branch }
            }
            if success == nil {
                result.add(.composite, at: name, "\(quotedName) must validate at least one schema (anyOf)")
            }
            if let reported = bestFailure ?? success { result.merge(reported) }
        }
        if !oneOf.isEmpty {
            var bestFailure: OpenAPIResult?
            var firstSuccess: OpenAPIResult?
            var validCount = 0
            for schema in oneOf {
                let branch = schema.openAPIResult(of: value, at: name)
                if branch.isValid {
                    validCount += 1
                    bestFailure = nil
                    firstSuccess = firstSuccess ?? branch
                } else if validCount == 0, bestFailure == nil || branch.matchCount > bestFailure!.matchCount {
                    bestFailure = branch
                }
            }
            if validCount != 1 {
                let detail = validCount == 0 ? "Found none valid" : "Found \(validCount) valid alternatives"
                result.add(.composite, at: name, "\(quotedName) must validate one and only one schema (oneOf). \(detail)")
                if let bestFailure { result.merge(bestFailure) }
            } else if let firstSuccess {
                result.merge(firstSuccess)
            }
        }
        if !allOf.isEmpty {
            var validCount = 0
            for schema in allOf {
                let branch = schema.openAPIResult(of: value, at: name)
                if branch.isValid { validCount += 1 }
                result.merge(branch)
            }
            if validCount != allOf.count {
                let detail = validCount == 0 ? ". None validated" : ""
                result.add(.composite, at: name, "\(quotedName) must validate all the schemas (allOf)\(detail)")
            }
        }
        if let not, not.openAPIResult(of: value, at: name).isValid {
            result.add(.composite, at: name, "\(quotedName) must not validate the schema (not)")
        }
        result.matchCount += 1
        return result
    }

    /// maxLength, minLength, pattern — the first failure only. Lengths count characters (runes).
    private func stringResult(of text: String, at name: String) -> OpenAPIResult {
        let length = Int64(text.unicodeScalars.count)
        if let maxLength, length > maxLength {
            return .failure(.tooLong(maxLength: maxLength), at: name, "\(name) in body should be at most \(maxLength) chars long")
        }
        if let minLength, length < minLength {
            return .failure(.invalid(value: .string(text)), at: name, "\(name) in body should be at least \(minLength) chars long")
        }
        if let pattern, !pattern.matches(text) {
            return .failure(.invalid(value: .string(text)), at: name, "\(name) in body should match '\(pattern.source)'")
        }
        return OpenAPIResult()
    }

    /// Only `date-time` is checked; the other formats apiextensions keeps are accepted as they are.
    private func formatResult(of text: String, at name: String) -> OpenAPIResult {
        guard format.replacingOccurrences(of: "-", with: "") == "datetime", !Self.isDateTime(text) else { return OpenAPIResult() }
        return typeMismatch(name, expected: format, actual: text)
    }

    /// go-openapi strfmt's IsDateTime: an RFC 3339 full-date, "t", then `hh:mm:ss[.frac](z|±hh:mm)`, case-insensitive.
    static func isDateTime(_ text: String) -> Bool {
        let parts = text.lowercased().split(separator: "t", omittingEmptySubsequences: false).map(String.init)
        guard text.utf8.count >= 4, parts.count >= 2, isFullDate(parts[0]) else { return false }
        let time = Array(parts[1].utf8)
        func digits(_ range: Range<Int>) -> Bool { range.allSatisfy { $0 < time.count && (48...57).contains(time[$0]) } }
        guard time.count >= 9, digits(0..<2), time[2] == UInt8(ascii: ":"), digits(3..<5), time[5] == UInt8(ascii: ":"),
            digits(6..<8)
        else { return false }
        var index = 8
        if index < time.count, time[index] != UInt8(ascii: "z"), time[index] != UInt8(ascii: "+"), time[index] != UInt8(ascii: "-") {
            // `(.[0-9]+)?`: any one character, then at least one digit.
            index += 1
            let fractionStart = index
            while index < time.count, (48...57).contains(time[index]) { index += 1 }
            guard index > fractionStart else { return false }
        }
        let zone = Array(time[index...])
        let zoneMatches =
            zone == [UInt8(ascii: "z")]
            || (zone.count == 6 && (zone[0] == UInt8(ascii: "+") || zone[0] == UInt8(ascii: "-"))
                && zone[3] == UInt8(ascii: ":") && [1, 2, 4, 5].allSatisfy { (48...57).contains(zone[$0]) })
        let fields = parts[1].prefix(8).split(separator: ":")
        return zoneMatches && fields[0] <= "23" && fields[1] <= "59" && fields[2] <= "59"
    }

    /// Go's `time.Parse("2006-01-02", text)`: exact widths and a day that exists in that month.
    private static func isFullDate(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
            let year = Int(text.prefix(4)), let month = Int(text.dropFirst(5).prefix(2)), let day = Int(text.suffix(2)),
            [0, 1, 2, 3, 5, 6, 8, 9].allSatisfy({ (48...57).contains(bytes[$0]) }), (1...12).contains(month)
        else { return false }
        return day >= 1 && day <= daysIn(month: month, year: year)
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// multipleOf, minimum, maximum. Integer data is compared against the bounds truncated to integers, as
    /// kube-openapi does, and the bounds are printed the way Go prints that type.
    private func numberResult(of value: JSON, at name: String) -> OpenAPIResult {
        var result = OpenAPIResult()
        if case .int(let number) = value {
            if let multipleOf {
                let factor = multipleOf.truncatedInt64
                if factor != 0, number % factor != 0 {
                    result.add(.invalid(value: value), at: name, "\(name) in body should be a multiple of \(factor)")
                }
            }
            if let minimum {
                let bound = minimum.truncatedInt64
                if exclusiveMinimum ? number <= bound : number < bound {
                    result.add(.invalid(value: value), at: name, minimumMessage(name, String(bound)))
                }
            }
            if let maximum {
                let bound = maximum.truncatedInt64
                if exclusiveMaximum ? number >= bound : number > bound {
                    result.add(.invalid(value: value), at: name, maximumMessage(name, String(bound)))
                }
            }
        } else if let number = value.doubleValue {
            if let multipleOf {
                let quotient = multipleOf < 1 ? 1 / multipleOf * number : number / multipleOf
                if !quotient.isJSONInteger {
                    let factor = GoFormat.float(multipleOf)
                    result.add(.invalid(value: value), at: name, "\(name) in body should be a multiple of \(factor)")
                }
            }
            if let minimum, exclusiveMinimum ? number <= minimum : number < minimum {
                result.add(.invalid(value: value), at: name, minimumMessage(name, GoFormat.float(minimum)))
            }
            if let maximum, exclusiveMaximum ? number >= maximum : number > maximum {
                result.add(.invalid(value: value), at: name, maximumMessage(name, GoFormat.float(maximum)))
            }
        }
        result.matchCount = 1
        return result
    }

    private func minimumMessage(_ name: String, _ bound: String) -> String {
        "\(name) in body should be greater than \(exclusiveMinimum ? "" : "or equal to ")\(bound)"
    }

    private func maximumMessage(_ name: String, _ bound: String) -> String {
        "\(name) in body should be less than \(exclusiveMaximum ? "" : "or equal to ")\(bound)"
    }

    private func arrayResult(of elements: [JSON], at name: String) -> OpenAPIResult {
        var result = OpenAPIResult()
        if let items {
            for (index, element) in elements.enumerated() {
                result.merge(items.openAPIResult(of: element, at: "\(name)[\(index)]"))
            }
        }
        let count = Int64(elements.count)
        if let minItems, count < minItems {
            result.add(.invalid(value: .int(count)), at: name, "\(name) in body should have at least \(minItems) items")
        }
        if let maxItems, count > maxItems {
            result.add(.tooMany(count: count, max: maxItems), at: name, "\(name) in body should have at most \(maxItems) items")
        }
        result.matchCount += 1
        return result
    }

    /// kube-openapi never matches null against an enum, even one that lists null.
    private func enumResult(of value: JSON, at name: String) -> OpenAPIResult {
        guard !enumValues.isEmpty else { return OpenAPIResult() }
        if !value.isNull, enumValues.contains(where: { !$0.isNull && $0 == value }) { return OpenAPIResult() }
        let listed = "[" + enumValues.map(GoFormat.plain).joined(separator: " ") + "]"
        return .failure(.notSupported(value: value, supported: enumValues), at: name, "\(name) in body should be one of \(listed)")
    }

    /// Properties, additionalProperties and required (kube-openapi's objectValidator, which adds no match of
    /// its own). Keys are visited in sorted order so the error order is stable.
    private func objectResult(of fields: [String: JSON], at name: String) -> OpenAPIResult {
        var result = OpenAPIResult()
        let count = Int64(fields.count)
        if let minProperties, count < minProperties {
            result.add(.invalid(value: .int(count)), at: name, "\(name) in body should have at least \(minProperties) properties")
        }
        if let maxProperties, count > maxProperties {
            let message = "\(name) in body should have at most \(maxProperties) properties"
            result.add(.tooMany(count: count, max: maxProperties), at: name, message)
        }
        let keys = fields.keys.sorted()
        if let valueSchema = additionalProperties?.schema {
            for key in keys where properties[key] == nil {
                result.merge(valueSchema.openAPIResult(of: fields[key]!, at: name + "." + key))
            }
        }
        for key in keys {
            guard let property = properties[key] else { continue }
            result.merge(property.openAPIResult(of: fields[key]!, at: name.isEmpty ? key : name + "." + key))
        }
        for key in required where fields[key] == nil {
            result.add(.required, at: name + "." + key, "\(name).\(key) in body is required")
        }
        return result
    }
}

// MARK: - Embedded resources and list types (field.Path-style paths: `spec.labels[key]`, `spec.items[0]`)

private func childPath(_ path: String, _ name: String) -> String { path.isEmpty ? name : path + "." + name }

extension StructuralSchema {
    /// apiextensions' objectmeta.Validate for the objects below the root marked
    /// `x-kubernetes-embedded-resource`: apiVersion and kind must be set and well formed.
    /// (The embedded `metadata` is not checked against ObjectMeta rules here.)
    func embeddedResourceErrors(in value: JSON, at path: String) -> [FieldError] {
        switch value {
        case .object(let fields):
            var errors = isEmbeddedResource ? embeddedTypeMetaErrors(fields, at: path) : []
            for key in fields.keys.sorted() {
                if let property = properties[key] {
                    errors += property.embeddedResourceErrors(in: fields[key]!, at: childPath(path, key))
                } else if let valueSchema = additionalProperties?.schema {
                    errors += valueSchema.embeddedResourceErrors(in: fields[key]!, at: "\(path)[\(key)]")
                }
            }
            return errors
        case .array(let elements):
            guard let items else { return [] }
            return elements.enumerated().flatMap { items.embeddedResourceErrors(in: $1, at: "\(path)[\($0)]") }
        default:
            return []
        }
    }

    private func embeddedTypeMetaErrors(_ fields: [String: JSON], at path: String) -> [FieldError] {
        var errors: [FieldError] = []
        let apiVersionPath = childPath(path, "apiVersion")
        let kindPath = childPath(path, "kind")
        switch fields["apiVersion"] {
        case nil, .string(""):
            errors.append(.required(apiVersionPath))
        case .string(let apiVersion):
            if apiVersion.filter({ $0 == "/" }).count > 1 {
                let detail = "unexpected GroupVersion string: \(apiVersion)"
                errors.append(.invalid(apiVersionPath, value: .string(apiVersion), detail: detail))
            }
        case let other?:
            errors.append(.invalid(apiVersionPath, value: other, detail: "must be a string"))
        }
        switch fields["kind"] {
        case nil, .string(""):
            errors.append(.required(kindPath))
        case .string(let kind):
            let problems = NameValidation.dns1035Label(kind.lowercased())
            if !problems.isEmpty {
                let detail = "may have mixed case, but should otherwise match: " + problems.joined(separator: ",")
                errors.append(.invalid(kindPath, value: .string(kind), detail: detail))
            }
        case let other?:
            errors.append(.invalid(kindPath, value: other, detail: "must be a string"))
        }
        return errors
    }

    /// apiextensions' listtype.ValidateListSetsAndMaps: no two elements of a `set` list may be equal, and no
    /// two elements of a `map` list may have the same key fields.
    func listTypeErrors(inObject value: JSON, at path: String) -> [FieldError] {
        guard case .object(let fields) = value else { return [] }
        var errors: [FieldError] = []
        for key in fields.keys.sorted() {
            if let property = properties[key] {
                errors += property.listTypeErrors(in: fields[key]!, at: childPath(path, key))
            } else if let valueSchema = additionalProperties?.schema {
                errors += valueSchema.listTypeErrors(in: fields[key]!, at: "\(path)[\(key)]")
            }
        }
        return errors
    }

    private func listTypeErrors(in value: JSON, at path: String) -> [FieldError] {
        guard case .array(let elements) = value else { return listTypeErrors(inObject: value, at: path) }
        var errors: [FieldError] = []
        switch listType {
        case "set":
            errors += Self.laterDuplicates(elements).map { .duplicate("\(path)[\($0)]", value: elements[$0]) }
        case "map":
            errors += listMapErrors(elements, at: path)
        default:
            break
        }
        if let items {
            for (index, element) in elements.enumerated() {
                errors += items.listTypeErrors(in: element, at: "\(path)[\(index)]")
            }
        }
        return errors
    }

    private func listMapErrors(_ elements: [JSON], at path: String) -> [FieldError] {
        if let index = elements.firstIndex(where: { !$0.isNull && $0.objectValue == nil }) {
            return [.invalid("\(path)[\(index)]", value: elements[index], detail: "must be an object for an array of list-type map")]
        }
        // The key of an element is the object of its key fields that are present, as the duplicate is reported.
        let keys: [JSON] = elements.map { element in
            .object((element.objectValue ?? [:]).filter { listMapKeys.contains($0.key) })
        }
        return Self.laterDuplicates(keys).map { .duplicate("\(path)[\($0)]", value: keys[$0]) }
    }

    /// The index of the second occurrence of each repeated value. Scalars compare with their Go type
    /// (1 and 1.0 differ), objects and arrays by their JSON text.
    private static func laterDuplicates(_ values: [JSON]) -> [Int] {
        var occurrences: [String: Int] = [:]
        var duplicates: [Int] = []
        for (index, value) in values.enumerated() {
            let identity: String
            switch value {
            case .int(let number): identity = "int:\(number)"
            case .double(let number): identity = "float:\(number)"
            default: identity = value.text
            }
            occurrences[identity, default: 0] += 1
            if occurrences[identity] == 2 { duplicates.append(index) }
        }
        return duplicates
    }
}
