/// Legacy (unaggregated) discovery: kubectl asks for the aggregated form first and falls back to these when the
/// answer is plain `application/json`.
extension ApiServer {
    var coreVersions: JSON {
        [
            "kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [["clientCIDR": "0.0.0.0/0", "serverAddress": .string(serverAddress)]],
        ]
    }

    var groupList: JSON {
        [
            "kind": "APIGroupList", "apiVersion": "v1",
            "groups": .array(registry.groups().map { Self.groupJSON(name: $0.name, versions: $0.versions) }),
        ]
    }

    func groupInfo(_ name: String) -> JSON? {
        guard let group = registry.groups().first(where: { $0.name == name }) else { return nil }
        var json = Self.groupJSON(name: group.name, versions: group.versions)
        json["kind"] = "APIGroup"
        json["apiVersion"] = "v1"
        return json
    }

    static func groupJSON(name: String, versions: [String]) -> JSON {
        let entries: [JSON] = versions.map { ["groupVersion": .string("\(name)/\($0)"), "version": .string($0)] }
        return ["name": .string(name), "versions": .array(entries), "preferredVersion": entries[0]]
    }

    func resourceList(group: String, version: String) -> JSON? {
        let resources = registry.resources(group: group, version: version)
        guard !resources.isEmpty else { return nil }
        var entries: [JSON] = []
        for resource in resources {
            var entry: JSON = [
                "name": .string(resource.plural), "singularName": .string(resource.singular),
                "namespaced": .bool(resource.namespaced), "kind": .string(resource.kind),
                "verbs": .array(resource.verbs.map { .string($0) }),
                "storageVersionHash": .string(String(resource.storageKey.hashValue & 0xFFFF_FFFF, radix: 16)),
            ]
            if !resource.shortNames.isEmpty { entry["shortNames"] = .array(resource.shortNames.map { .string($0) }) }
            if !resource.categories.isEmpty { entry["categories"] = .array(resource.categories.map { .string($0) }) }
            entries.append(entry)
            if resource.hasStatusSubresource {
                entries.append([
                    "name": .string("\(resource.plural)/status"), "singularName": "",
                    "namespaced": .bool(resource.namespaced), "kind": .string(resource.kind),
                    "verbs": ["get", "patch", "update"],
                ])
            }
            if resource.scale != nil {
                entries.append([
                    "name": .string("\(resource.plural)/scale"), "singularName": "",
                    "namespaced": .bool(resource.namespaced), "group": "autoscaling", "version": "v1", "kind": "Scale",
                    "verbs": ["get", "patch", "update"],
                ])
            }
        }
        return [
            "kind": "APIResourceList", "apiVersion": "v1", "groupVersion": .string(group.isEmpty ? version : "\(group)/\(version)"),
            "resources": .array(entries),
        ]
    }
}
