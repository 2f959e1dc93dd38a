/// Kubernetes strategic merge patch (`application/strategic-merge-patch+json`) as the API server applies it:
/// k8s.io/apimachinery pkg/util/strategicpatch `StrategicMergeMapPatch`, which merges parallel lists and drops nulls
/// that match nothing. The Go struct tags it reads come from a `MergeShape`:
/// - a `.map(keys:)` list is `patchStrategy: merge` with its first key as `patchMergeKey`;
/// - a `.set` list is `patchStrategy: merge` of primitives;
/// - an `.atomic` list is replaced;
/// - an `atomicObject` is `patchStrategy: replace` on a struct (e.g. PodDisruptionBudget `spec.selector`).
///
/// Directives: `$patch: replace | delete` in a map and in list elements, `$retainKeys`, `$setElementOrder/<list>`,
/// `$deleteFromPrimitiveList/<list>`. They never reach the result. Kubernetes then decodes the result into the typed
/// object, which drops nulls and unknown keys; values taken from the patch without a merge are cleaned the same way
/// here (see `unmerged`).
public enum StrategicMergePatch {
    public static func apply(_ patch: JSON, to original: JSON, shape: MergeShape) throws(PatchError) -> JSON {
        let patchMembers: [String: JSON]
        switch patch {
        case .object(let members): patchMembers = members
        // encoding/json decodes `null` into an empty map: nothing to patch.
        case .null: return original
        default:
            throw PatchError(
                "json: cannot unmarshal \(patch.goJSONTypeName) into Go value of type map[string]interface {}")
        }
        guard case .object(let originalMembers) = original else { throw PatchError("invalid JSON document") }
        return .object(try mergeMap(originalMembers, patchMembers, shape: shape))
    }
}

private enum Directive {
    static let marker = "$patch"
    static let replace: JSON = "replace"
    static let delete: JSON = "delete"
    static let merge: JSON = "merge"
    static let retainKeys = "$retainKeys"
    static let setElementOrder = "$setElementOrder"
    static let deleteFromPrimitiveList = "$deleteFromPrimitiveList"

    /// Keys that only steer the merge. A typed decode drops them, so a value copied from the patch loses them too.
    static func isDirectiveKey(_ key: String) -> Bool {
        key == marker || key == retainKeys || key.hasPrefix(setElementOrder) || key.hasPrefix(deleteFromPrimitiveList)
    }

    /// `extractKey`: the list a parallel-list directive ("$setElementOrder/containers") is about.
    static func listName(in key: String, prefix: String, formatError: PatchError) throws(PatchError) -> String {
        let parts = key.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0] == prefix else { throw formatError }
        return String(parts[1])
    }
}

/// The apimachinery `mergepatch` errors, word for word.
private enum MergeError {
    static let retainKeysFormat = PatchError("invalid patch format of retainKeys")
    static let primitiveListFormat = PatchError("invalid patch format of primitive list")
    static let setElementOrderFormat = PatchError("invalid patch format of setElementOrder list")
    static let listOfLists = PatchError("lists of lists are not supported")

    static func noMergeKey(_ element: [String: JSON], _ key: String) -> PatchError {
        PatchError("map: \(goFormat(.object(element))) does not contain declared merge key: \(key)")
    }

    static func badArgType(expected: String, actual: JSON) -> PatchError {
        PatchError("expected a \(expected), but received a \(goTypeName(actual))")
    }

    static func badPatchType(_ directive: JSON, _ map: [String: JSON]) -> PatchError {
        PatchError("unknown patch type: \(goFormat(directive)) in map: \(goFormat(.object(map)))")
    }
}

/// The patch metadata of one list field.
private enum ListStrategy {
    /// No `patchStrategy`: the patch's list replaces the original.
    case replace
    /// `patchStrategy: merge`: maps merge by `mergeKey`, primitives as a set.
    case merge(mergeKey: String?)

    init(_ shape: MergeShape) {
        switch shape.list {
        case .atomic: self = .replace
        case .set: self = .merge(mergeKey: nil)
        case .map(let keys): self = .merge(mergeKey: keys.first)
        }
    }

    var mergeKey: String? {
        if case .merge(let key) = self { return key }
        return nil
    }
}

// MARK: - Maps

/// `mergeMap`: directives of this map first, then every field.
private func mergeMap(
    _ original: [String: JSON], _ patch: [String: JSON], shape: MergeShape
) throws(PatchError) -> [String: JSON] {
    if let directive = patch[Directive.marker] {
        switch directive {
        case Directive.replace:
            return unmerged(.object(patch.filter { $0.key != Directive.marker }))?.objectValue ?? [:]
        case Directive.delete:
            // The map is emptied, not removed: `{"strategy": {"$patch": "delete"}}` leaves `"strategy": {}`.
            return [:]
        default:
            throw MergeError.badPatchType(directive, patch)
        }
    }
    var result = original
    var remaining = patch
    if let retained = remaining.removeValue(forKey: Directive.retainKeys) {
        try applyRetainKeys(retained, to: &result, patch: remaining)
    }
    try applySetElementOrders(to: &result, patch: &remaining, shape: shape)

    // Go iterates the patch map in random order; additions go before deletions here so a patch that adds and
    // deletes through the parallel list has one outcome.
    let deletionKeys = remaining.keys.filter { $0.hasPrefix(Directive.deleteFromPrimitiveList) }.sorted()
    for key in remaining.keys.sorted() where !key.hasPrefix(Directive.deleteFromPrimitiveList) {
        try mergeField(key, remaining[key]!, into: &result, shape: shape)
    }
    for key in deletionKeys {
        let listName = try Directive.listName(
            in: key, prefix: Directive.deleteFromPrimitiveList, formatError: MergeError.primitiveListFormat)
        try deleteFromPrimitiveList(listName, remaining[key]!, in: &result, shape: shape)
    }
    return result
}

/// `$retainKeys`: fields of the original not named are cleared; the patch may only set named fields.
private func applyRetainKeys(
    _ directive: JSON, to result: inout [String: JSON], patch: [String: JSON]
) throws(PatchError) {
    guard case .array(let names) = directive else { throw MergeError.retainKeysFormat }
    let retained = Set(names)
    for (key, value) in patch where !value.isNull && !Directive.isDirectiveKey(key) {
        guard retained.contains(.string(key)) else { throw MergeError.retainKeysFormat }
    }
    result = result.filter { retained.contains(.string($0.key)) }
}

/// One field of the patch (`mergeMap`'s loop).
private func mergeField(
    _ key: String, _ patchValue: JSON, into result: inout [String: JSON], shape: MergeShape
) throws(PatchError) {
    let fieldShape = shape.field(key)
    switch (result[key], patchValue) {
    case (_, .null):
        result[key] = nil
    case (.object(let current)?, .object(let patchMembers)) where !fieldShape.atomicObject:
        result[key] = .object(try mergeMap(current, patchMembers, shape: fieldShape))
    case (.array(let current)?, .array(let patchElements)):
        switch ListStrategy(fieldShape) {
        case .replace:
            result[key] = unmerged(patchValue)
        case .merge(let mergeKey):
            result[key] = .array(
                try mergeList(
                    current, patchElements, mergeKey: mergeKey, elementShape: fieldShape.element, field: key))
        }
    default:
        // Absent, of another JSON type, a scalar or a replaced struct: the patch value is taken as it is.
        result[key] = unmerged(patchValue)
    }
}

/// `$deleteFromPrimitiveList/<list>`: removes every listed value, whatever the list's strategy. It never creates
/// the list.
private func deleteFromPrimitiveList(
    _ listName: String, _ toDelete: JSON, in result: inout [String: JSON], shape: MergeShape
) throws(PatchError) {
    switch (result[listName], toDelete) {
    case (_, .null):
        result[listName] = nil
    case (.array(let current)?, .array(let values)):
        if current.isEmpty && values.isEmpty { return }
        if try elementKind(current, values) == .object {
            // A parallel list of maps is merged like the list itself (apimachinery does the same).
            let listShape = shape.field(listName)
            result[listName] = .array(
                try mergeList(
                    current, values, mergeKey: ListStrategy(listShape).mergeKey, elementShape: listShape.element,
                    field: listName))
        } else {
            result[listName] = .array(current.filter { !values.contains($0) })
        }
    default:
        break
    }
}

// MARK: - Lists

/// `mergeSlice` for a list with `patchStrategy: merge`.
private func mergeList(
    _ original: [JSON], _ patch: [JSON], mergeKey: String?, elementShape: MergeShape, field: String
) throws(PatchError) -> [JSON] {
    if original.isEmpty && patch.isEmpty { return original }
    guard try elementKind(original, patch) == .object else {
        // Primitives merge as a set: the original's values, then the patch's new ones, each once.
        var merged: [JSON] = []
        for value in original + patch where !merged.contains(value) { merged.append(value) }
        return try arrange(merged, patchOrder: patch, originalOrder: original, mergeKey: mergeKey)
    }
    guard let mergeKey else { throw PatchError("cannot merge lists without merge key for \(field)") }
    let (base, patchElements) = try applyElementDirectives(original, patch, mergeKey: mergeKey)
    var merged = base
    for element in patchElements {
        guard case .object(let members) = element else { continue }
        guard let keyValue = members[mergeKey] else { throw MergeError.noMergeKey(members, mergeKey) }
        if let index = merged.firstIndex(where: { $0.objectValue?[mergeKey] == keyValue }),
            case .object(let current) = merged[index]
        {
            merged[index] = .object(try mergeMap(current, members, shape: elementShape))
        } else if let added = unmerged(element) {
            merged.append(added)
        }
    }
    return try arrange(merged, patchOrder: patchElements, originalOrder: base, mergeKey: mergeKey)
}

/// `mergeSliceWithSpecialElements`: list elements carrying `$patch`. `delete` removes the original's elements with
/// that merge key value; `replace` makes the patch's other elements the whole list. Returns the list to merge into
/// and the patch elements left to merge.
private func applyElementDirectives(
    _ original: [JSON], _ patch: [JSON], mergeKey: String
) throws(PatchError) -> (base: [JSON], patch: [JSON]) {
    var base = original
    var plainElements: [JSON] = []
    var replacesList = false
    for element in patch {
        guard case .object(let members) = element, let directive = members[Directive.marker] else {
            plainElements.append(element)
            continue
        }
        switch directive {
        case Directive.delete:
            guard let keyValue = members[mergeKey] else { throw MergeError.noMergeKey(members, mergeKey) }
            base.removeAll { $0.objectValue?[mergeKey] == keyValue }
        case Directive.replace:
            replacesList = true
        case Directive.merge:
            throw PatchError("merging lists cannot yet be specified in the patch")
        default:
            throw MergeError.badPatchType(directive, members)
        }
    }
    if replacesList { return (plainElements.compactMap(unmerged), []) }
    return (base, plainElements)
}

/// `$setElementOrder/<list>`: merges the list (if the patch has it) and then puts the elements in the given order.
private func applySetElementOrders(
    to result: inout [String: JSON], patch: inout [String: JSON], shape: MergeShape
) throws(PatchError) {
    for key in patch.keys.sorted() where key.hasPrefix(Directive.setElementOrder) {
        let orderValue = patch.removeValue(forKey: key)!
        guard case .array(let order) = orderValue else {
            throw MergeError.badArgType(expected: "[]interface {}", actual: orderValue)
        }
        let listName = try Directive.listName(
            in: key, prefix: Directive.setElementOrder, formatError: MergeError.setElementOrderFormat)
        let originalList = try listValue(result[listName])
        let patchList = try listValue(patch[listName])
        let listShape = shape.field(listName)
        let strategy = ListStrategy(listShape)
        try validate(patchList ?? [], against: order, mergeKey: strategy.mergeKey)

        let merged: [JSON]
        switch (originalList, patchList) {
        case (let original?, nil):
            merged = original
        case (nil, let added?):
            merged = added.compactMap(unmerged)
        case (let original?, let patchElements?):
            switch strategy {
            case .replace: merged = patchElements.compactMap(unmerged)
            case .merge(let mergeKey):
                merged = try mergeList(
                    original, patchElements, mergeKey: mergeKey, elementShape: listShape.element, field: listName)
            }
        case (nil, nil):
            continue
        }
        result[listName] = .array(
            try arrange(merged, patchOrder: order, originalOrder: originalList ?? [], mergeKey: strategy.mergeKey))
        patch[listName] = nil
    }
}

private func listValue(_ value: JSON?) throws(PatchError) -> [JSON]? {
    switch value {
    case nil: return nil
    case .array(let elements)?: return elements
    case let other?: throw MergeError.badArgType(expected: "[]interface {}", actual: other)
    }
}

/// `validatePatchWithSetOrderList`: the patch's elements (deletions and other directives aside) must appear in
/// `$setElementOrder` in the same relative order.
private func validate(_ patchList: [JSON], against order: [JSON], mergeKey: String?) throws(PatchError) {
    if order.isEmpty || patchList.isEmpty { return }
    let candidates =
        mergeKey == nil ? patchList : patchList.filter { $0.objectValue?[Directive.marker] != Directive.delete }
    var patchIndex = 0
    var orderIndex = 0
    while patchIndex < candidates.count && orderIndex < order.count {
        if candidates[patchIndex].objectValue?[Directive.marker] != nil {
            patchIndex += 1
            continue
        }
        if try identity(candidates[patchIndex], mergeKey) == identity(order[orderIndex], mergeKey) {
            patchIndex += 1
        }
        orderIndex += 1
    }
    if patchIndex < candidates.count {
        let patchText = goFormat(.array(patchList))
        let orderText = goFormat(.array(order))
        throw PatchError(
            "the order in patch list:\n\(patchText)\n doesn't match \(Directive.setElementOrder) list:\n\(orderText)")
    }
}

/// `normalizeElementOrder`: the elements named in `patchOrder` come in that order, the others in their
/// `originalOrder`, and the two runs are interleaved so that each keeps its place relative to the original elements
/// around it. An element new to the list goes before the original elements not yet placed (so an element added by
/// a plain patch lands first, as in Kubernetes).
private func arrange(
    _ merged: [JSON], patchOrder: [JSON], originalOrder: [JSON], mergeKey: String?
) throws(PatchError) -> [JSON] {
    var patchIdentities: [JSON] = []
    for element in patchOrder { patchIdentities.append(try identity(element, mergeKey)) }
    var originalIdentities: [JSON] = []
    for element in originalOrder { originalIdentities.append(try identity(element, mergeKey)) }

    var fromPatch: [PlacedElement] = []
    var serverOnly: [PlacedElement] = []
    for element in merged {
        let id = try identity(element, mergeKey)
        let originalPosition = originalIdentities.firstIndex(of: id)
        if let rank = patchIdentities.firstIndex(of: id) {
            fromPatch.append((element, rank, originalPosition))
        } else {
            serverOnly.append((element, originalPosition ?? Int.max, originalPosition))
        }
    }
    fromPatch = stableSorted(fromPatch)
    serverOnly = stableSorted(serverOnly)

    var result: [JSON] = []
    var next = (patch: 0, server: 0)
    while next.patch < fromPatch.count || next.server < serverOnly.count {
        guard next.patch < fromPatch.count else {
            result.append(serverOnly[next.server].element)
            next.server += 1
            continue
        }
        guard next.server < serverOnly.count else {
            result.append(fromPatch[next.patch].element)
            next.patch += 1
            continue
        }
        if let serverPosition = serverOnly[next.server].originalPosition,
            let patchPosition = fromPatch[next.patch].originalPosition, serverPosition < patchPosition
        {
            result.append(serverOnly[next.server].element)
            next.server += 1
        } else {
            result.append(fromPatch[next.patch].element)
            next.patch += 1
        }
    }
    return result
}

/// A merged element with its place in the order that decides it and its position in the original list.
private typealias PlacedElement = (element: JSON, rank: Int, originalPosition: Int?)

private func stableSorted(_ items: [PlacedElement]) -> [PlacedElement] {
    items.enumerated()
        .sorted { ($0.element.rank, $0.offset) < ($1.element.rank, $1.offset) }
        .map(\.element)
}

/// What identifies a list element: its merge key value, or the value itself for primitives.
private func identity(_ element: JSON, _ mergeKey: String?) throws(PatchError) -> JSON {
    guard let mergeKey else { return element }
    guard case .object(let members) = element else {
        throw MergeError.badArgType(expected: "map[string]interface {}", actual: element)
    }
    guard let value = members[mergeKey] else { throw MergeError.noMergeKey(members, mergeKey) }
    return value
}

/// The Go type every element of both lists must share (`sliceElementType`).
private enum ElementKind {
    case object, string, integer, number, bool, null
}

private func elementKind(_ original: [JSON], _ patch: [JSON]) throws(PatchError) -> ElementKind {
    var kind: ElementKind?
    for element in original + patch {
        let elementKind: ElementKind
        switch element {
        case .array: throw MergeError.listOfLists
        case .object: elementKind = .object
        case .string: elementKind = .string
        case .int: elementKind = .integer
        case .double: elementKind = .number
        case .bool: elementKind = .bool
        case .null: elementKind = .null
        }
        if let kind, kind != elementKind {
            throw PatchError(
                "list element types are not identical: [\(goFormat(.array(original))) \(goFormat(.array(patch)))]")
        }
        kind = elementKind
    }
    return kind ?? .null
}

// MARK: - Values taken from the patch

/// A patch value with nothing to merge into. Kubernetes drops its null members (`discardNullValuesFromPatch`) and
/// any map holding `$patch` (`removeDirectives`: nil means the field or element goes away); the typed decode then
/// drops the other directive keys.
private func unmerged(_ value: JSON) -> JSON? {
    switch value {
    case .object(let members):
        if members[Directive.marker] != nil { return nil }
        var cleaned: [String: JSON] = [:]
        for (key, member) in members where !member.isNull && !Directive.isDirectiveKey(key) {
            cleaned[key] = unmerged(member)
        }
        return .object(cleaned)
    case .array(let elements):
        return .array(elements.compactMap(unmerged))
    default:
        return value
    }
}

// MARK: - Go formatting for error messages

/// Go's `%v` of the decoded value (`map[k:v]`, `[a b]`), as apimachinery's messages print it.
private func goFormat(_ value: JSON) -> String {
    switch value {
    case .null: return "<nil>"
    case .bool(let flag): return String(flag)
    case .int(let number): return String(number)
    case .double(let number):
        let text = String(number)
        return text.hasSuffix(".0") ? String(text.dropLast(2)) : text
    case .string(let text): return text
    case .array(let elements): return "[" + elements.map(goFormat).joined(separator: " ") + "]"
    case .object(let members):
        return "map[" + members.keys.sorted().map { "\($0):\(goFormat(members[$0]!))" }.joined(separator: " ") + "]"
    }
}

/// Go's `reflect.TypeOf` of the decoded value.
private func goTypeName(_ value: JSON) -> String {
    switch value {
    case .null: return "%!s(<nil>)"
    case .bool: return "bool"
    case .int: return "int64"
    case .double: return "float64"
    case .string: return "string"
    case .array: return "[]interface {}"
    case .object: return "map[string]interface {}"
    }
}
