/// How the fields of one kind merge: which lists are maps keyed by some fields, which are sets, which are atomic.
/// Strategic merge patch and server-side apply both need it; built-in kinds get it from a table, custom
/// resources from their schema's `x-kubernetes-list-type` / `x-kubernetes-list-map-keys`.
public final class MergeShape: Sendable {
    public enum ListKind: Sendable, Equatable {
        /// Replaced as a whole (the default for lists).
        case atomic
        /// Elements are objects identified by these fields (strategic merge uses the first as `patchMergeKey`).
        case map(keys: [String])
        /// Elements are scalars merged as a set (e.g. `metadata.finalizers`).
        case set
    }

    public let list: ListKind
    /// Shapes of known object fields.
    public let fields: [String: MergeShape]
    /// Shape of each element when this is a list.
    public let items: MergeShape?
    /// Shape of each value when this is a map with arbitrary keys (e.g. `metadata.labels`).
    public let additionalProperties: MergeShape?
    /// `patchStrategy: retainKeys` (strategic merge patch `$retainKeys`).
    public let retainKeys: Bool
    /// An atomic object: replaced as a whole, not merged field by field.
    public let atomicObject: Bool

    public init(
        list: ListKind = .atomic, fields: [String: MergeShape] = [:], items: MergeShape? = nil,
        additionalProperties: MergeShape? = nil, retainKeys: Bool = false, atomicObject: Bool = false
    ) {
        self.list = list
        self.fields = fields
        self.items = items
        self.additionalProperties = additionalProperties
        self.retainKeys = retainKeys
        self.atomicObject = atomicObject
    }

    /// A shape that says nothing: every list atomic, every object merged.
    public static let unknown = MergeShape()

    /// The shape of a field of this object (falls back to `additionalProperties`, then `unknown`).
    public func field(_ name: String) -> MergeShape {
        fields[name] ?? additionalProperties ?? .unknown
    }

    /// The shape of this list's elements.
    public var element: MergeShape { items ?? .unknown }
}
