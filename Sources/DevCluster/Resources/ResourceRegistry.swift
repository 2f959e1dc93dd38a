import Synchronization

/// Which resources are served (keyed by qualified resource name, e.g. `events.events.k8s.io`): the built-ins plus one entry per established CRD. Discovery, routing and
/// OpenAPI all read it.
public final class ResourceRegistry: Sendable {
    private let state: Mutex<[String: ResourceType]>  // by storage key

    public init(builtins: [ResourceType]) {
        state = Mutex(Dictionary(uniqueKeysWithValues: builtins.map { ($0.qualifiedResource, $0) }))
    }

    /// Serves the built-in resources (BuiltinResources.swift).
    public convenience init() {
        self.init(builtins: BuiltinResources.all().map(EventsConversion.sharingCoreStorage))
    }

    public func register(_ resource: ResourceType) {
        state.withLock { $0[resource.qualifiedResource] = resource }
    }

    public func unregister(_ resource: ResourceType) {
        _ = state.withLock { $0.removeValue(forKey: resource.qualifiedResource) }
    }

    public var all: [ResourceType] { state.withLock { Array($0.values) } }

    /// The resource that owns a storage collection (not one that only shares it).
    public func resource(storageKey: String) -> ResourceType? {
        state.withLock { $0[storageKey].flatMap { $0.storage == nil ? $0 : nil } }
    }

    /// The resource named `plural` served at `group/version`.
    public func resource(group: String, version: String, plural: String) -> ResourceType? {
        state.withLock { resources in
            resources.values.first { $0.group == group && $0.plural == plural && $0.servedVersions.contains(version) }
        }
    }

    /// Group → versions, for `/apis` (the core group is served at `/api`).
    public func groups() -> [(name: String, versions: [String])] {
        let resources = all
        var versionsByGroup: [String: [String]] = [:]
        for resource in resources where !resource.group.isEmpty {
            for version in resource.servedVersions where !(versionsByGroup[resource.group]?.contains(version) ?? false) {
                versionsByGroup[resource.group, default: []].append(version)
            }
        }
        // Built-in groups first in a stable order, like a real server lists them.
        let order = ["apps", "events.k8s.io", "autoscaling", "policy", "rbac.authorization.k8s.io",
                     "coordination.k8s.io", "apiextensions.k8s.io"]
        return versionsByGroup.keys.sorted { a, b in
            let ia = order.firstIndex(of: a) ?? order.count
            let ib = order.firstIndex(of: b) ?? order.count
            return ia != ib ? ia < ib : a < b
        }.map { ($0, versionsByGroup[$0]!.sorted(by: Self.versionPriority)) }
    }

    public func resources(group: String, version: String) -> [ResourceType] {
        all.filter { $0.group == group && $0.servedVersions.contains(version) }.sorted { $0.plural < $1.plural }
    }

    /// Kubernetes version priority: GA before beta before alpha, higher numbers first.
    static func versionPriority(_ a: String, _ b: String) -> Bool {
        func rank(_ version: String) -> (Int, Int, Int) {
            let scanner = version.dropFirst()
            let major = Int(scanner.prefix { $0.isNumber }) ?? 0
            let rest = scanner.drop { $0.isNumber }
            if rest.isEmpty { return (3, major, 0) }
            let stage = rest.hasPrefix("beta") ? 2 : rest.hasPrefix("alpha") ? 1 : 0
            let minor = Int(rest.drop { !$0.isNumber }) ?? 0
            return (stage, major, minor)
        }
        let (ra, rb) = (rank(a), rank(b))
        return ra.0 != rb.0 ? ra.0 > rb.0 : ra.1 != rb.1 ? ra.1 > rb.1 : ra.2 > rb.2
    }
}
