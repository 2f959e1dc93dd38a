/// What a resource URL names: `/api/v1/namespaces/{ns}/pods/{name}/status` and friends.
struct RequestTarget {
    var resource: ResourceType
    /// The version the client asked for (objects are returned with it).
    var version: String
    var namespace: String?
    var name: String?
    var subresource: String?

    var apiVersion: String { resource.apiVersion(version) }

    enum Parsed {
        case target(RequestTarget)
        /// `/api/v1` or `/apis/{group}/{version}`: the resource list of one group version.
        case groupVersion(group: String, version: String)
        case group(String)
        case unknown
    }

    static func parse(_ segments: [Substring], registry: ResourceRegistry) -> Parsed {
        let group: String
        let version: String
        let rest: ArraySlice<Substring>
        switch segments.first {
        case "api":
            guard segments.count >= 2 else { return .unknown }
            group = ""
            version = String(segments[1])
            rest = segments.dropFirst(2)
        case "apis":
            guard segments.count >= 2 else { return .unknown }
            if segments.count == 2 { return .group(String(segments[1])) }
            group = String(segments[1])
            version = String(segments[2])
            rest = segments.dropFirst(3)
        default:
            return .unknown
        }
        if rest.isEmpty { return .groupVersion(group: group, version: version) }
        let parts = Array(rest.map(String.init))
        func lookup(_ plural: String) -> ResourceType? { registry.resource(group: group, version: version, plural: plural) }

        // namespaces/{ns}/{resource}[/{name}[/{subresource}]] when {resource} is a namespaced resource here.
        if parts[0] == "namespaces", parts.count >= 3, let resource = lookup(parts[2]), resource.namespaced {
            guard parts.count <= 5 else { return .unknown }
            return .target(RequestTarget(
                resource: resource, version: version, namespace: parts[1],
                name: parts.count > 3 ? parts[3] : nil, subresource: parts.count > 4 ? parts[4] : nil))
        }
        guard let resource = lookup(parts[0]), parts.count <= 3 else { return .unknown }
        return .target(RequestTarget(
            resource: resource, version: version, namespace: nil,
            name: parts.count > 1 ? parts[1] : nil, subresource: parts.count > 2 ? parts[2] : nil))
    }
}
