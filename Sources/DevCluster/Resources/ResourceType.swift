/// One served resource (`pods`, `deployments.apps`, a CRD's plural): what discovery advertises and how the
/// generic store treats its objects.
public struct ResourceType: Sendable {
    public struct ScalePaths: Sendable {
        /// JSON paths as field names, e.g. ["spec", "replicas"].
        public var specReplicas: [String]
        public var statusReplicas: [String]
        public var labelSelector: [String]?
    }

    public struct PrinterColumn: Sendable {
        public var name: String
        public var type: String
        public var format: String
        public var description: String
        public var priority: Int
        /// Produces the cell for one object.
        public var cell: @Sendable (JSON) -> JSON

        public static func name(priority: Int = 0) -> PrinterColumn {
            PrinterColumn(name: "Name", type: "string", format: "name",
                          description: "Name must be unique within a namespace.", priority: priority) {
                $0[path: ["metadata", "name"]] ?? ""
            }
        }

        public static let age = PrinterColumn(
            name: "Age", type: "string", format: "",
            description: "CreationTimestamp is a timestamp representing the server time when this object was created.",
            priority: 0
        ) { PrinterColumnPath.cellText([$0[path: ["metadata", "creationTimestamp"]] ?? ""], type: "date") }
    }

    public var group: String
    public var version: String
    /// Every version this resource is served at (CRDs may serve several; objects are stored once).
    public var servedVersions: [String]
    public var kind: String
    public var plural: String
    public var singular: String
    public var namespaced: Bool
    public var shortNames: [String] = []
    public var categories: [String] = []
    public var hasStatusSubresource = false
    public var scale: ScalePaths? = nil
    /// The whole server-side table (kubectl shows these for `get`), name and age columns included.
    public var columns: [PrinterColumn] = [.name(), .age]
    /// Strategic merge patch metadata; nil means strategic merge patch is not supported (custom resources).
    public var strategicShape: MergeShape? = nil
    /// Merge shape for server-side apply and field ownership.
    public var applyShape: MergeShape = .unknown
    /// Schema-driven validation, defaulting and pruning (custom resources).
    public var schema: CustomResourceSchema? = nil
    /// The OpenAPI v3 schema for `kubectl explain` (custom resources).
    public var openAPISchema: JSON? = nil

    /// When objects live in another resource's collection (events.k8s.io Events are core Events): that
    /// resource's storage key and the conversion between the two shapes.
    public var storage: SharedStorage? = nil

    public var groupVersion: String { group.isEmpty ? version : "\(group)/\(version)" }
    /// `configmaps` or `broadcasts.media.streamlick.io`, as Status messages name a resource; unique per resource.
    public var qualifiedResource: String { group.isEmpty ? plural : "\(plural).\(group)" }
    /// The key objects are stored under: one collection per resource whatever the version.
    public var storageKey: String { storage?.storageKey ?? qualifiedResource }
    public var listKind: String { kind + "List" }
    public var verbs: [String] {
        ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
    }

    func apiVersion(_ version: String) -> String { group.isEmpty ? version : "\(group)/\(version)" }
}

/// A resource served from another resource's collection, converting objects on the way in and out.
public struct SharedStorage: Sendable {
    public var storageKey: String
    public var toStorage: @Sendable (JSON) -> JSON
    public var fromStorage: @Sendable (JSON) -> JSON
}

/// What a CRD's schema does to custom objects. The concrete implementation lives with the schema code.
public protocol CustomResourceSchema: Sendable {
    func applyDefaults(to object: JSON) -> JSON
    func prune(_ object: JSON) -> (JSON, prunedPaths: [String])
    func validate(_ object: JSON) -> [FieldError]
    /// Rules the server does not evaluate (CEL), reported as warnings.
    var unevaluatedRules: [String] { get }
}
