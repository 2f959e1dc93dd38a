/// Defaults of the built-in kinds that clients read back.
enum BuiltinDefaults {
    static func onCreate(_ object: JSON, _ resource: ResourceType) -> JSON {
        var object = object
        switch (resource.group, resource.plural) {
        case ("", "namespaces"):
            object["status"] = ["phase": "Active"]
            object[path: ["spec", "finalizers"]] = ["kubernetes"]
            let name = object[path: ["metadata", "name"]] ?? ""
            object[path: ["metadata", "labels", "kubernetes.io/metadata.name"]] = name
        case ("", "pods"):
            object["status"] = ["phase": "Pending", "qosClass": "BestEffort"]
        case ("apps", "deployments"), ("apps", "replicasets"):
            if object[path: ["spec", "replicas"]] == nil { object[path: ["spec", "replicas"]] = 1 }
        case ("", "secrets"):
            if object["type"] == nil { object["type"] = "Opaque" }
        case ("", "services"):
            if object[path: ["spec", "type"]] == nil { object[path: ["spec", "type"]] = "ClusterIP" }
        default: break
        }
        return object
    }

    /// Defaults a real server applies on every write (create and update) of a built-in kind.
    static func onWrite(_ object: JSON, _ resource: ResourceType) -> JSON {
        object
    }
}
