import Foundation

/// Where a kind of object lives in the REST API: `/api/v1/namespaces/{ns}/configmaps` or
/// `/apis/{group}/{version}/namespaces/{ns}/{plural}`. The client is generic over these, so custom resources need
/// no code here: `ResourceDescriptor(group: "media.streamlick.io", version: "v1alpha1", plural: "broadcasts")`.
public struct ResourceDescriptor: Sendable, Hashable, CustomStringConvertible {
    /// Empty for the core group (`v1`).
    public var group: String
    public var version: String
    public var plural: String
    public var namespaced: Bool

    public init(group: String, version: String, plural: String, namespaced: Bool = true) {
        self.group = group
        self.version = version
        self.plural = plural
        self.namespaced = namespaced
    }

    public var apiVersion: String { group.isEmpty ? version : "\(group)/\(version)" }

    /// `configmaps` or `broadcasts.media.streamlick.io`, as kubectl names resources.
    public var description: String { group.isEmpty ? plural : "\(plural).\(group)" }

    /// The collection path, or one object's path when `name` is given. A namespace given for a cluster-scoped
    /// resource is ignored, as kubectl does.
    func path(namespace: String?, name: String? = nil, subresource: String? = nil) -> String {
        var path = group.isEmpty ? "/api/\(version)" : "/apis/\(group)/\(version)"
        if namespaced, let namespace { path += "/namespaces/\(Self.escaped(namespace))" }
        path += "/\(plural)"
        if let name { path += "/\(Self.escaped(name))" }
        if let subresource { path += "/\(subresource)" }
        return path
    }

    private static func escaped(_ segment: String) -> String {
        segment.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/"])) ?? segment
    }
}

extension ResourceDescriptor {
    public static let namespaces = ResourceDescriptor(group: "", version: "v1", plural: "namespaces", namespaced: false)
    public static let configMaps = ResourceDescriptor(group: "", version: "v1", plural: "configmaps")
    public static let secrets = ResourceDescriptor(group: "", version: "v1", plural: "secrets")
    public static let pods = ResourceDescriptor(group: "", version: "v1", plural: "pods")
    public static let events = ResourceDescriptor(group: "", version: "v1", plural: "events")
    public static let leases = ResourceDescriptor(group: "coordination.k8s.io", version: "v1", plural: "leases")
    public static let customResourceDefinitions = ResourceDescriptor(
        group: "apiextensions.k8s.io", version: "v1", plural: "customresourcedefinitions", namespaced: false)
}
