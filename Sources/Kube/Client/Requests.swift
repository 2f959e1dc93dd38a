import Foundation

/// A PATCH body and how the server should apply it.
public struct Patch: Sendable {
    public enum Kind: Sendable, Hashable {
        /// RFC 7386: objects merge, `null` deletes a field, lists are replaced whole.
        case merge
        /// Kubernetes' strategic merge patch: lists merge by key. Built-in kinds only (custom resources get 415).
        case strategicMerge
        /// RFC 6902: a list of operations.
        case json
        /// Server-side apply: the body is the caller's whole intent for the fields `fieldManager` owns; `force`
        /// takes over fields another manager owns instead of failing with a conflict.
        case apply(fieldManager: String, force: Bool)

        var contentType: String {
            switch self {
            case .merge: "application/merge-patch+json"
            case .strategicMerge: "application/strategic-merge-patch+json"
            case .json: "application/json-patch+json"
            // JSON is YAML, so the body is sent as encoded.
            case .apply: "application/apply-patch+yaml"
            }
        }

        var query: [(String, String?)] {
            guard case .apply(let fieldManager, let force) = self else { return [] }
            return [("fieldManager", fieldManager), ("force", force ? "true" : nil)]
        }
    }

    public var kind: Kind
    public var body: any Encodable & Sendable

    public init(_ kind: Kind, _ body: any Encodable & Sendable) {
        self.kind = kind
        self.body = body
    }

    public static func merge(_ body: some Encodable & Sendable) -> Patch { Patch(.merge, body) }

    /// `object` must carry `apiVersion`, `kind` and `metadata.name`.
    public static func apply(_ object: some Encodable & Sendable, fieldManager: String, force: Bool = false) -> Patch {
        Patch(.apply(fieldManager: fieldManager, force: force), object)
    }
}

/// `metav1.DeleteOptions`.
public struct DeleteOptions: Encodable, Sendable, Hashable {
    public enum PropagationPolicy: String, Encodable, Sendable {
        /// Dependents are deleted before the owner is gone.
        case foreground = "Foreground"
        /// The owner goes now; the garbage collector deletes dependents afterwards.
        case background = "Background"
        /// Dependents stay, without the owner reference.
        case orphan = "Orphan"
    }

    /// The delete fails with 409 (`isConflict`) unless the object still has this uid and resourceVersion.
    public struct Preconditions: Encodable, Sendable, Hashable {
        public var uid: String?
        public var resourceVersion: String?

        public init(uid: String? = nil, resourceVersion: String? = nil) {
            self.uid = uid
            self.resourceVersion = resourceVersion
        }
    }

    public var propagationPolicy: PropagationPolicy?
    public var preconditions: Preconditions?
    public var gracePeriodSeconds: Int64?

    public init(propagationPolicy: PropagationPolicy? = nil, preconditions: Preconditions? = nil,
                gracePeriodSeconds: Int64? = nil) {
        self.propagationPolicy = propagationPolicy
        self.preconditions = preconditions
        self.gracePeriodSeconds = gracePeriodSeconds
    }
}

/// A list response: the items, and the resourceVersion to watch from so that no change is missed.
public struct ObjectList<Item: Sendable>: Sendable {
    public var items: [Item]
    public var resourceVersion: String
    /// Set when `limit` cut the list short: pass it as `continueToken` for the next page.
    public var continueToken: String?
    public var remainingItemCount: Int64?
}

extension ObjectList: Decodable where Item: Decodable {
    private enum CodingKeys: String, CodingKey { case metadata, items }

    private struct ListMeta: Decodable {
        var resourceVersion: String?
        var `continue`: String?
        var remainingItemCount: Int64?
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let metadata = try container.decodeIfPresent(ListMeta.self, forKey: .metadata)
        // Go encodes an empty list as `null`.
        items = try container.decodeIfPresent([Item].self, forKey: .items) ?? []
        resourceVersion = metadata?.resourceVersion ?? ""
        continueToken = metadata?.continue.flatMap { $0.isEmpty ? nil : $0 }
        remainingItemCount = metadata?.remainingItemCount
    }
}
