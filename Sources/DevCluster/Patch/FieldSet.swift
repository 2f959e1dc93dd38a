/// One step of a field path, as sigs.k8s.io/structured-merge-diff (the library behind server-side apply) names it.
public enum PathElement: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// A field of an object: `f:name`.
    case field(String)
    /// An element of a list map, by its key fields: `k:{"name":"web"}`.
    case key([String: JSON])
    /// An element of a set: `v:"example.com/finalizer"`.
    case value(JSON)
    /// An element of a list by position: `i:0` (only read from managedFields written elsewhere).
    case index(Int)

    /// The key in `metadata.managedFields[].fieldsV1`. Key fields are JSON with sorted keys, as Kubernetes writes them.
    public var fieldsV1Key: String {
        switch self {
        case .field(let name): return "f:" + name
        case .key(let fields): return "k:" + JSON.object(fields).text
        case .value(let value): return "v:" + value.text
        case .index(let position): return "i:" + String(position)
        }
    }

    public init?(fieldsV1Key: String) {
        let body = String(fieldsV1Key.dropFirst(2))
        switch fieldsV1Key.prefix(2) {
        case "f:":
            self = .field(body)
        case "k:":
            guard case .object(let fields)? = try? JSON.parse(body) else { return nil }
            self = .key(fields)
        case "v:":
            guard let value = try? JSON.parse(body) else { return nil }
            self = .value(value)
        case "i:":
            guard let position = Int(body) else { return nil }
            self = .index(position)
        default:
            return nil
        }
    }

    /// The path notation of apply conflict messages: `.spec`, `[name="web"]`, `[="a"]`, `[0]`.
    public var description: String {
        switch self {
        case .field(let name): return "." + name
        case .key(let fields):
            return "[" + fields.keys.sorted().map { "\($0)=\(fields[$0]!.text)" }.joined(separator: ",") + "]"
        case .value(let value): return "[=" + value.text + "]"
        case .index(let position): return "[\(position)]"
        }
    }

    /// structured-merge-diff's order: fields, then keys, then values, then indices.
    public static func < (lhs: PathElement, rhs: PathElement) -> Bool {
        switch (lhs, rhs) {
        case (.field(let left), .field(let right)): return left < right
        case (.key(let left), .key(let right)): return JSON.object(left).text < JSON.object(right).text
        case (.value(let left), .value(let right)): return left.text < right.text
        case (.index(let left), .index(let right)): return left < right
        default: return lhs.kindOrder < rhs.kindOrder
        }
    }

    private var kindOrder: Int {
        switch self {
        case .field: return 0
        case .key: return 1
        case .value: return 2
        case .index: return 3
        }
    }
}

/// A set of field paths: what one manager owns in `metadata.managedFields`. Stored as a tree; a path is in the set
/// when its last element is a member of the node its prefix leads to.
public struct FieldSet: Hashable, Sendable {
    /// Elements below this node that are themselves in the set.
    private var members: Set<PathElement> = []
    /// The non-empty sets of paths further below each element.
    private var children: [PathElement: FieldSet] = [:]

    public init() {}

    public init(paths: [[PathElement]]) {
        for path in paths { insert(path) }
    }

    public var isEmpty: Bool { members.isEmpty && children.isEmpty }

    public func contains(_ path: [PathElement]) -> Bool {
        guard let last = path.last else { return false }
        return subset(at: path.dropLast()[...])?.members.contains(last) ?? false
    }

    public mutating func insert(_ path: [PathElement]) {
        insert(path[...])
    }

    private mutating func insert(_ path: ArraySlice<PathElement>) {
        guard let first = path.first else { return }
        if path.count == 1 {
            members.insert(first)
        } else {
            children[first, default: FieldSet()].insert(path.dropFirst())
        }
    }

    /// Every path in the set, in structured-merge-diff's order (a node's members, then its children).
    public var paths: [[PathElement]] {
        var result = members.sorted().map { [$0] }
        for element in children.keys.sorted() {
            result += children[element]!.paths.map { [element] + $0 }
        }
        return result
    }

    public func union(_ other: FieldSet) -> FieldSet {
        var result = self
        result.members.formUnion(other.members)
        for (element, child) in other.children {
            result.children[element] = result.children[element]?.union(child) ?? child
        }
        return result
    }

    /// The paths of this set that are not in `other` (exact paths: a member of `other` does not remove the paths
    /// below it, as in structured-merge-diff's `Difference`).
    public func subtracting(_ other: FieldSet) -> FieldSet {
        var result = self
        result.members.subtract(other.members)
        for (element, child) in other.children {
            result.setChild(element, result.children[element]?.subtracting(child))
        }
        return result
    }

    public func intersection(_ other: FieldSet) -> FieldSet {
        var result = FieldSet()
        result.members = members.intersection(other.members)
        for (element, child) in children {
            if let otherChild = other.children[element] { result.setChild(element, child.intersection(otherChild)) }
        }
        return result
    }

    /// Whether the set holds `path` or any path below it.
    func containsAnything(atOrBelow path: [PathElement]) -> Bool {
        guard let last = path.last, let parent = subset(at: path.dropLast()[...]) else { return false }
        return parent.members.contains(last) || parent.children[last] != nil
    }

    /// The paths below `path`, relative to it; nil when there are none.
    func subset(at path: ArraySlice<PathElement>) -> FieldSet? {
        guard let first = path.first else { return self }
        return children[first]?.subset(at: path.dropFirst())
    }

    private mutating func setChild(_ element: PathElement, _ child: FieldSet?) {
        children[element] = child?.isEmpty == false ? child : nil
    }

    // MARK: fieldsV1

    /// The `fieldsV1` object of a managedFields entry: each element is a key whose value holds the paths below it,
    /// with `".": {}` when the element's own path is in the set too.
    public var fieldsV1: JSON {
        var object: [String: JSON] = [:]
        for element in members where children[element] == nil {
            object[element.fieldsV1Key] = .object([:])
        }
        for (element, child) in children {
            var below = child.fieldsV1.objectValue ?? [:]
            if members.contains(element) { below["."] = .object([:]) }
            object[element.fieldsV1Key] = .object(below)
        }
        return .object(object)
    }

    public init?(fieldsV1: JSON) {
        guard case .object(let object) = fieldsV1 else { return nil }
        for (key, value) in object where key != "." {
            guard let element = PathElement(fieldsV1Key: key), case .object(var below) = value else { return nil }
            if below.removeValue(forKey: ".") != nil || below.isEmpty { members.insert(element) }
            if !below.isEmpty {
                guard let child = FieldSet(fieldsV1: .object(below)) else { return nil }
                children[element] = child
            }
        }
    }

    // MARK: Fields of a value

    /// The fields an applied configuration sets (structured-merge-diff `ToFieldSet`): scalars, atomic lists and
    /// atomic objects; list-map and set elements (with `"."` when fields below them are set too); fields set to
    /// `null` or `{}`; and the entries of maps with arbitrary keys. The fields the server manages itself
    /// (`apiVersion`, `kind`, `metadata.name`, `namespace`, `uid`, `resourceVersion`, ...) are never owned.
    public static func of(_ config: JSON, shape: MergeShape) -> FieldSet {
        fieldsSet(below: config, shape: shape).withoutServerManagedFields()
    }

    private static func fieldsSet(below value: JSON, shape: MergeShape) -> FieldSet {
        var set = FieldSet()
        for child in value.children(shape: shape) ?? [] {
            set.setChild(child.element, fieldsSet(below: child.value, shape: child.shape))
            let ownsItself: Bool
            switch child.element {
            case .field(let name):
                ownsItself = child.value.children(shape: child.shape) == nil || child.value == .object([:])
                    || (shape.fields[name] == nil && shape.additionalProperties != nil)
            case .key, .value, .index:
                ownsItself = true
            }
            if ownsItself { set.members.insert(child.element) }
        }
        return set
    }

    /// What changed going from `old` to `new` (structured-merge-diff `Compare`): `changed` holds modified leaves
    /// and every path added, `removed` every path that went away. Server-managed fields are left out.
    static func changes(from old: JSON, to new: JSON, shape: MergeShape) -> (changed: FieldSet, removed: FieldSet) {
        let (changed, removed) = compare(old, new, shape: shape)
        return (changed.withoutServerManagedFields(), removed.withoutServerManagedFields())
    }

    private static func compare(_ old: JSON, _ new: JSON, shape: MergeShape) -> (changed: FieldSet, removed: FieldSet) {
        var changed = FieldSet()
        var removed = FieldSet()
        let oldChildren = old.children(shape: shape) ?? []
        let newChildren = new.children(shape: shape) ?? []
        var oldByElement: [PathElement: (value: JSON, shape: MergeShape)] = [:]
        for child in oldChildren where oldByElement[child.element] == nil {
            oldByElement[child.element] = (child.value, child.shape)
        }
        var seen: Set<PathElement> = []
        for child in newChildren where seen.insert(child.element).inserted {
            guard let previous = oldByElement[child.element] else {
                changed.members.insert(child.element)
                changed.setChild(child.element, everyPath(below: child.value, shape: child.shape))
                continue
            }
            let oldIsLeaf = previous.value.children(shape: child.shape) == nil
            let newIsLeaf = child.value.children(shape: child.shape) == nil
            if oldIsLeaf || newIsLeaf || previous.value.typeName != child.value.typeName {
                guard previous.value != child.value else { continue }
                // A leaf that changed, or a value that changed type: the old value's paths below go away.
                changed.members.insert(child.element)
                changed.setChild(child.element, everyPath(below: child.value, shape: child.shape))
                removed.setChild(child.element, everyPath(below: previous.value, shape: child.shape))
            } else {
                let below = compare(previous.value, child.value, shape: child.shape)
                changed.setChild(child.element, below.changed)
                removed.setChild(child.element, below.removed)
            }
        }
        for child in oldChildren where !seen.contains(child.element) {
            removed.members.insert(child.element)
            removed.setChild(child.element, everyPath(below: child.value, shape: child.shape))
        }
        return (changed, removed)
    }

    /// Every node below a value, each as a member: what `Compare` reports for an added or removed subtree.
    private static func everyPath(below value: JSON, shape: MergeShape) -> FieldSet {
        var set = FieldSet()
        for child in value.children(shape: shape) ?? [] {
            set.members.insert(child.element)
            set.setChild(child.element, everyPath(below: child.value, shape: child.shape))
        }
        return set
    }

    /// Kubernetes' field manager strips these before recording ownership (fieldmanager `stripMeta`): `metadata`
    /// itself, its server-set fields, `apiVersion` and `kind`.
    private func withoutServerManagedFields() -> FieldSet {
        var result = self
        for name in ["apiVersion", "kind", "metadata"] { result.members.remove(.field(name)) }
        for name in ["apiVersion", "kind"] { result.children[.field(name)] = nil }
        if var metadata = result.children[.field("metadata")] {
            for name in Self.serverManagedMetadata {
                metadata.members.remove(.field(name))
                metadata.children[.field(name)] = nil
            }
            result.setChild(.field("metadata"), metadata)
        }
        return result
    }

    private static let serverManagedMetadata = [
        "name", "namespace", "creationTimestamp", "selfLink", "uid", "generation", "managedFields", "resourceVersion",
    ]
}

extension MergeShape {
    /// How an element of this list is named in a path: a list map by its key fields, a set by its value.
    func pathElement(of element: JSON) -> PathElement {
        if case .map(let keys) = list, case .object(let fields) = element {
            return .key(fields.filter { keys.contains($0.key) })
        }
        return .value(element)
    }
}

extension JSON {
    /// The values one step below this one, or nil for a leaf: a scalar, an atomic list or an atomic object.
    func children(shape: MergeShape) -> [(element: PathElement, value: JSON, shape: MergeShape)]? {
        switch self {
        case .object(let fields) where !shape.atomicObject:
            return fields.map { (PathElement.field($0.key), $0.value, shape.field($0.key)) }
        case .array(let elements) where shape.list != .atomic:
            return elements.map { (shape.pathElement(of: $0), $0, shape.element) }
        default:
            return nil
        }
    }
}
