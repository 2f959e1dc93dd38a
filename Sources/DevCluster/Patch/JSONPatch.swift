/// RFC 6902 JSON patch (`application/json-patch+json`) as the Kubernetes API server applies it: with
/// evanphx/json-patch v4 (gopkg.in/evanphx/json-patch.v4, used by k8s.io/apiserver's patch handler). Where that
/// library is more lenient than the RFC, clients may rely on it, so this follows the library:
/// - `replace` of a missing object member adds it (v4 only checks that the parent exists);
/// - `copy` from a missing object member copies `null`, and `test` of a missing member against `null` passes;
/// - negative array indices count from the end;
/// - `replace` of the whole document ("") with a non-container value does nothing.
/// Error messages are the library's (`errors.Wrapf` joins "context: cause"), which the server returns verbatim.
public enum JSONPatch {
    /// k8s.io/apiserver `maxJSONPatchOperations`: longer patches are refused before any is applied.
    static let maximumOperations = 10_000

    public static func apply(_ operations: JSON, to target: JSON) throws(PatchError) -> JSON {
        guard case .array(let elements) = operations else {
            throw PatchError(
                "json: cannot unmarshal \(operations.goJSONTypeName) into Go value of type jsonpatch.Patch")
        }
        guard elements.count <= maximumOperations else {
            throw PatchError(
                "The allowed maximum operations in a JSON patch is \(maximumOperations), got \(elements.count)")
        }
        // The whole patch is decoded before the first operation runs, so a malformed element fails the request
        // even when an earlier operation would have failed too.
        var decoded: [Operation] = []
        for element in elements {
            switch element {
            case .object(let members): decoded.append(Operation(members: members))
            // encoding/json leaves a null element an empty operation, which fails as kind "unknown".
            case .null: decoded.append(Operation(members: [:]))
            default:
                throw PatchError(
                    "json: cannot unmarshal \(element.goJSONTypeName) into Go value of type jsonpatch.Operation")
            }
        }
        var document = target
        for operation in decoded {
            try operation.apply(to: &document)
        }
        return document
    }
}

/// One operation object of the patch (RFC 6902 §4).
private struct Operation {
    let members: [String: JSON]

    /// evanphx `Operation.Kind`: an absent or non-string "op" reads as "unknown".
    var kind: String { members["op"]?.stringValue ?? "unknown" }

    /// An absent "value" member means `null` for add and replace, as the library stores a nil node.
    var value: JSON { members["value"] ?? .null }

    func apply(to document: inout JSON) throws(PatchError) {
        switch kind {
        case "add": try add(to: &document)
        case "remove": try remove(from: &document)
        case "replace": try replace(in: &document)
        case "move": try move(in: &document)
        case "copy": try copy(in: &document)
        case "test": try test(document)
        default: throw PatchError("Unexpected kind: \(kind)")
        }
    }

    // RFC 6902 §4.1
    private func add(to document: inout JSON) throws(PatchError) {
        let path = try pointer("path", failure: "add operation failed to decode path", keepingCause: false)
        try Pointer.withParent(
            of: path, in: &document,
            orThrow: PatchError("add operation does not apply: doc is missing path: \"\(path)\": missing value")
        ) { container, token throws(PatchError) in
            do throws(PatchError) {
                try Container.add(value, at: token, in: &container)
            } catch {
                throw error.wrapped("error in add for path: '\(path)'")
            }
        }
    }

    // RFC 6902 §4.2
    private func remove(from document: inout JSON) throws(PatchError) {
        let path = try pointer("path", failure: "remove operation failed to decode path", keepingCause: false)
        try Pointer.withParent(
            of: path, in: &document,
            orThrow: PatchError("remove operation does not apply: doc is missing path: \"\(path)\": missing value")
        ) { container, token throws(PatchError) in
            do throws(PatchError) {
                _ = try Container.remove(token, from: &container)
            } catch {
                throw error.wrapped("error in remove for path: '\(path)'")
            }
        }
    }

    // RFC 6902 §4.3
    private func replace(in document: inout JSON) throws(PatchError) {
        let path = try pointer("path", failure: "replace operation failed to decode path", keepingCause: true)
        if path.isEmpty {
            // v4 wraps a nil error when the value is not an object or array, which reports success.
            switch value {
            case .object, .array: document = value
            default: break
            }
            return
        }
        try Pointer.withParent(
            of: path, in: &document,
            orThrow: PatchError("replace operation does not apply: doc is missing path: \(path): missing value")
        ) { container, token throws(PatchError) in
            do throws(PatchError) {
                _ = try Container.get(token, in: container)
            } catch {
                throw PatchError("replace operation does not apply: doc is missing key: \(path): missing value")
            }
            try Container.set(value, at: token, in: &container)
        }
    }

    // RFC 6902 §4.4
    private func move(in document: inout JSON) throws(PatchError) {
        let from = try pointer("from", failure: "move operation failed to decode from", keepingCause: true)
        let taken = try Pointer.withParent(
            of: from, in: &document,
            orThrow: PatchError("move operation does not apply: doc is missing from path: \(from): missing value")
        ) { container, token throws(PatchError) in
            do throws(PatchError) {
                return try Container.remove(token, from: &container)
            } catch {
                // The library names the last reference token here, not the whole pointer.
                throw error.wrapped("error in move for path: '\(token)'")
            }
        }
        let path = try pointer("path", failure: "move operation failed to decode path", keepingCause: true)
        try Pointer.withParent(
            of: path, in: &document,
            orThrow: PatchError(
                "move operation does not apply: doc is missing destination path: \(path): missing value")
        ) { container, token throws(PatchError) in
            do throws(PatchError) {
                try Container.add(taken, at: token, in: &container)
            } catch {
                throw error.wrapped("error in move for path: '\(path)'")
            }
        }
    }

    // RFC 6902 §4.5
    private func copy(in document: inout JSON) throws(PatchError) {
        let from = try pointer("from", failure: "copy operation failed to decode from", keepingCause: true)
        let source = try Pointer.withParent(
            of: from, in: &document,
            orThrow: PatchError("copy operation does not apply: doc is missing from path: \(from): missing value")
        ) { container, token throws(PatchError) in
            do throws(PatchError) {
                return try Container.get(token, in: container) ?? .null
            } catch {
                throw error.wrapped("error in copy for from: '\(from)'")
            }
        }
        let path = try pointer("path", failure: "copy operation failed to decode path", keepingCause: false)
        try Pointer.withParent(
            of: path, in: &document,
            orThrow: PatchError(
                "copy operation does not apply: doc is missing destination path: \(path): missing value")
        ) { container, token throws(PatchError) in
            do throws(PatchError) {
                try Container.add(source, at: token, in: &container)
            } catch {
                throw error.wrapped("error while adding value during copy")
            }
        }
    }

    // RFC 6902 §4.6: equality is by JSON value, so 1 and 1.0 are equal and member order does not matter.
    private func test(_ document: JSON) throws(PatchError) {
        let path = try pointer("path", failure: "test operation failed to decode path", keepingCause: true)
        let failed = PatchError("testing value \(path) failed: test failed")
        if path.isEmpty {
            guard let expected = members["value"], expected == document else { throw failed }
            return
        }
        var scratch = document
        let actual = try Pointer.withParent(
            of: path, in: &scratch,
            orThrow: PatchError("test operation does not apply: is missing path: \(path): missing value")
        ) { container, token throws(PatchError) in
            do throws(PatchError) {
                return try Container.get(token, in: container) ?? .null
            } catch {
                throw error.wrapped("error in test for path: '\(path)'")
            }
        }
        // A missing member and a null member are the same to the library, so both pass a test against null.
        guard let expected = members["value"], expected == actual else { throw failed }
    }

    /// The "path" or "from" member. Some operations report why it could not be read and some only say
    /// "missing value"; `keepingCause` follows the library per operation.
    private func pointer(_ name: String, failure: String, keepingCause: Bool) throws(PatchError) -> String {
        let cause: String
        switch members[name] {
        case .string(let pointer)?:
            return pointer
        case nil, .null?:
            cause =
                name == "path"
                ? "operation missing path field: missing value" : "operation, missing from field: missing value"
        case let other?:
            cause = "json: cannot unmarshal \(other.goJSONTypeName) into Go value of type string"
        }
        throw PatchError("\(failure): \(keepingCause ? cause : "missing value")")
    }
}

/// RFC 6901 JSON pointers, resolved the way the library's `findObject` does.
private enum Pointer {
    /// RFC 6901 §3-4: reference tokens after the leading "/", with "~1" → "/" and "~0" → "~" decoded in one pass
    /// (so "~01" is "~1"). Nil for a pointer that does not start with "/", including "" (the whole document).
    static func tokens(_ pointer: String) -> [String]? {
        guard pointer.hasPrefix("/") else { return nil }
        return pointer.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map(unescape)
    }

    private static func unescape(_ token: Substring) -> String {
        guard token.contains("~") else { return String(token) }
        var result = ""
        var characters = token.makeIterator()
        while let character = characters.next() {
            guard character == "~" else {
                result.append(character)
                continue
            }
            switch characters.next() {
            case "0": result.append("~")
            case "1": result.append("/")
            case let other?: result.append("~"); result.append(other)
            case nil: result.append("~")
            }
        }
        return result
    }

    /// Runs `body` on the object or array that holds the pointer's target, with the target's reference token;
    /// throws `missing` when that container does not exist (the library's "doc is missing path").
    static func withParent<Result>(
        of pointer: String, in document: inout JSON, orThrow missing: PatchError,
        _ body: (inout JSON, String) throws(PatchError) -> Result
    ) throws(PatchError) -> Result {
        guard let tokens = tokens(pointer), let result = try withParent(tokens[...], in: &document, body) else {
            throw missing
        }
        return result
    }

    private static func withParent<Result>(
        _ tokens: ArraySlice<String>, in node: inout JSON,
        _ body: (inout JSON, String) throws(PatchError) -> Result
    ) throws(PatchError) -> Result? {
        guard let token = tokens.first, node.isContainer else { return nil }
        if tokens.count == 1 { return try body(&node, token) }
        switch node {
        case .object(var members):
            guard var child = members[token], child.isContainer else { return nil }
            // Release the parent's reference so the child is mutated in place, not copied.
            node = .null
            members[token] = .null
            defer {
                members[token] = child
                node = .object(members)
            }
            return try withParent(tokens.dropFirst(), in: &child, body)
        case .array(var elements):
            guard let index = try? Container.existingIndex(token, count: elements.count),
                elements[index].isContainer
            else { return nil }
            var child = elements[index]
            node = .null
            elements[index] = .null
            defer {
                elements[index] = child
                node = .array(elements)
            }
            return try withParent(tokens.dropFirst(), in: &child, body)
        default:
            return nil
        }
    }
}

/// The library's container operations on an object or array. Errors are the causes the callers wrap.
private enum Container {
    /// The member or element; nil for a missing object member (which the library does not treat as an error).
    static func get(_ token: String, in container: JSON) throws(PatchError) -> JSON? {
        switch container {
        case .object(let members): return members[token]
        case .array(let elements): return elements[try existingIndex(token, count: elements.count)]
        default: return nil
        }
    }

    static func add(_ value: JSON, at token: String, in container: inout JSON) throws(PatchError) {
        switch container {
        case .object(var members):
            container = .null
            members[token] = value
            container = .object(members)
        case .array(var elements):
            container = .null
            defer { container = .array(elements) }
            if token == "-" {
                elements.append(value)
                return
            }
            let index: Int
            do throws(PatchError) {
                index = try parseIndex(token)
            } catch {
                throw error.wrapped("value was not a proper array index: '\(token)'")
            }
            // Inserting may target one past the end; negative indices count from that new end.
            let size = elements.count + 1
            guard index < size, index >= -size else { throw invalidIndex(index) }
            elements.insert(value, at: index < 0 ? index + size : index)
        default:
            break
        }
    }

    /// Overwrites an existing element or sets a member; `get` has already checked an array index.
    static func set(_ value: JSON, at token: String, in container: inout JSON) throws(PatchError) {
        switch container {
        case .object(var members):
            container = .null
            members[token] = value
            container = .object(members)
        case .array(var elements):
            let index = try existingIndex(token, count: elements.count)
            container = .null
            elements[index] = value
            container = .array(elements)
        default:
            break
        }
    }

    /// Removes and returns the member or element.
    static func remove(_ token: String, from container: inout JSON) throws(PatchError) -> JSON {
        switch container {
        case .object(var members):
            guard let removed = members[token] else {
                throw PatchError("Unable to remove nonexistent key: \(token): missing value")
            }
            container = .null
            members[token] = nil
            container = .object(members)
            return removed
        case .array(var elements):
            let index = try existingIndex(token, count: elements.count)
            container = .null
            let removed = elements.remove(at: index)
            container = .array(elements)
            return removed
        default:
            return .null
        }
    }

    /// An index of an existing element; negative indices count from the end.
    static func existingIndex(_ token: String, count: Int) throws(PatchError) -> Int {
        let index = try parseIndex(token)
        guard index < count, index >= -count else { throw invalidIndex(index) }
        return index < 0 ? index + count : index
    }

    /// Go `strconv.Atoi`, with its error text.
    private static func parseIndex(_ token: String) throws(PatchError) -> Int {
        if let index = Int(token) { return index }
        let digits = token.first == "+" || token.first == "-" ? token.dropFirst() : token[...]
        let reason = !digits.isEmpty && digits.allSatisfy(\.isASCIIDigit) ? "value out of range" : "invalid syntax"
        throw PatchError("strconv.Atoi: parsing \"\(token)\": \(reason)")
    }

    private static func invalidIndex(_ index: Int) -> PatchError {
        PatchError("Unable to access invalid index: \(index): invalid index referenced")
    }
}

extension PatchError {
    /// `errors.Wrapf(cause, context)` of github.com/pkg/errors.
    fileprivate func wrapped(_ context: String) -> PatchError {
        PatchError("\(context): \(message)")
    }
}

extension JSON {
    fileprivate var isContainer: Bool {
        switch self {
        case .object, .array: return true
        default: return false
        }
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
