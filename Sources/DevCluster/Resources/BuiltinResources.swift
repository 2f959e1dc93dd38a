/// The built-in resources devcluster serves (issue 5): stored generically, with the few behaviours the product and
/// kubectl rely on (status subresources, scale, printer columns, strategic merge metadata).
enum BuiltinResources {
    static func all() -> [ResourceType] {
        [
            core("Namespace", "namespaces", namespaced: false, shortNames: ["ns"], status: true,
                 columns: [column("Status", .path(["status", "phase"]))]),
            core("Pod", "pods", shortNames: ["po"], categories: ["all"], status: true,
                 columns: [
                    column("Ready", .custom(podReady)), column("Status", .custom(podStatus)),
                    column("Restarts", .custom(podRestarts), type: "string"),
                    column("IP", .path(["status", "podIP"]), priority: 1),
                    column("Node", .path(["spec", "nodeName"]), priority: 1),
                 ]),
            core("Service", "services", shortNames: ["svc"], categories: ["all"], status: true,
                 columns: [
                    column("Type", .path(["spec", "type"])), column("Cluster-IP", .path(["spec", "clusterIP"])),
                    column("Ports", .custom(servicePorts)),
                    column("Selector", .custom(serviceSelector), priority: 1),
                 ]),
            core("Endpoints", "endpoints", shortNames: ["ep"]),
            core("Secret", "secrets", columns: [
                column("Type", .path(["type"])), column("Data", .custom(dataCount), type: "integer"),
            ]),
            core("ConfigMap", "configmaps", shortNames: ["cm"], columns: [
                column("Data", .custom(dataCount), type: "integer"),
            ]),
            core("ServiceAccount", "serviceaccounts", shortNames: ["sa"]),
            core("Event", "events", shortNames: ["ev"], columns: [
                column("Type", .path(["type"])), column("Reason", .path(["reason"])),
                column("Object", .custom(eventObject)), column("Message", .path(["message"])),
            ]),
            resource("events.k8s.io", "v1", "Event", "events", shortNames: ["ev"], columns: [
                column("Type", .path(["type"])), column("Reason", .path(["reason"])),
                column("Note", .path(["note"])),
            ]),
            resource("coordination.k8s.io", "v1", "Lease", "leases", columns: [
                column("Holder", .path(["spec", "holderIdentity"])),
            ]),
            resource("apps", "v1", "Deployment", "deployments", shortNames: ["deploy"], categories: ["all"],
                     status: true, scale: replicasScale,
                     columns: [
                        column("Ready", .custom(readyReplicas)),
                        column("Up-to-date", .path(["status", "updatedReplicas"]), type: "integer"),
                        column("Available", .path(["status", "availableReplicas"]), type: "integer"),
                     ]),
            resource("apps", "v1", "ReplicaSet", "replicasets", shortNames: ["rs"], categories: ["all"],
                     status: true, scale: replicasScale,
                     columns: [
                        column("Desired", .path(["spec", "replicas"]), type: "integer"),
                        column("Current", .path(["status", "replicas"]), type: "integer"),
                        column("Ready", .path(["status", "readyReplicas"]), type: "integer"),
                     ]),
            resource("autoscaling", "v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers",
                     shortNames: ["hpa"], categories: ["all"], status: true,
                     columns: [
                        column("Reference", .custom(hpaReference)),
                        column("MinPods", .path(["spec", "minReplicas"]), type: "integer"),
                        column("MaxPods", .path(["spec", "maxReplicas"]), type: "integer"),
                        column("Replicas", .path(["status", "currentReplicas"]), type: "integer"),
                     ]),
            resource("policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets", shortNames: ["pdb"], status: true,
                     columns: [
                        column("Min Available", .path(["spec", "minAvailable"])),
                        column("Max Unavailable", .path(["spec", "maxUnavailable"])),
                        column("Allowed Disruptions", .path(["status", "disruptionsAllowed"]), type: "integer"),
                     ]),
            resource("rbac.authorization.k8s.io", "v1", "Role", "roles"),
            resource("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings", columns: [
                column("Role", .custom(roleRef)),
            ]),
            resource("rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", namespaced: false),
            resource("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings", namespaced: false),
            resource("apiextensions.k8s.io", "v1", "CustomResourceDefinition", "customresourcedefinitions",
                     namespaced: false, shortNames: ["crd", "crds"], categories: ["api-extensions"], status: true,
                     columns: [column("Created At", .path(["metadata", "creationTimestamp"]), type: "date")]),
        ]
    }

    // MARK: - Construction

    enum CellSource {
        case path([String])
        case custom(@Sendable (JSON) -> JSON)
    }

    static func column(_ name: String, _ source: CellSource, type: String = "string", priority: Int = 0)
        -> ResourceType.PrinterColumn
    {
        let cell: @Sendable (JSON) -> JSON
        switch source {
        case .path(let path): cell = { object in object[path: path] ?? .null }
        case .custom(let produce): cell = produce
        }
        return ResourceType.PrinterColumn(
            name: name, type: type, format: "", description: name, priority: priority, cell: cell)
    }

    static func core(
        _ kind: String, _ plural: String, namespaced: Bool = true, shortNames: [String] = [],
        categories: [String] = [], status: Bool = false, columns: [ResourceType.PrinterColumn] = []
    ) -> ResourceType {
        resource("", "v1", kind, plural, namespaced: namespaced, shortNames: shortNames, categories: categories,
                 status: status, columns: columns)
    }

    static func resource(
        _ group: String, _ version: String, _ kind: String, _ plural: String, namespaced: Bool = true,
        shortNames: [String] = [], categories: [String] = [], status: Bool = false,
        scale: ResourceType.ScalePaths? = nil, columns: [ResourceType.PrinterColumn] = []
    ) -> ResourceType {
        let shape = BuiltinMergeShapes.shape(group: group, kind: kind) ?? .unknown
        var type = ResourceType(
            group: group, version: version, servedVersions: [version], kind: kind, plural: plural,
            singular: kind.lowercased(), namespaced: namespaced)
        type.shortNames = shortNames
        type.categories = categories
        type.hasStatusSubresource = status
        type.scale = scale
        type.columns = columns
        type.strategicShape = shape
        type.applyShape = shape
        return type
    }

    static let replicasScale = ResourceType.ScalePaths(
        specReplicas: ["spec", "replicas"], statusReplicas: ["status", "replicas"], labelSelector: nil)

    // MARK: - Cells (the same text kubectl shows against a real cluster)

    @Sendable static func podReady(_ pod: JSON) -> JSON {
        let containers = pod[path: ["spec", "containers"]]?.arrayValue ?? []
        let statuses = pod[path: ["status", "containerStatuses"]]?.arrayValue ?? []
        let ready = statuses.filter { $0["ready"]?.boolValue == true }.count
        return .string("\(ready)/\(containers.count)")
    }

    @Sendable static func podStatus(_ pod: JSON) -> JSON {
        if pod[path: ["metadata", "deletionTimestamp"]] != nil { return "Terminating" }
        return pod[path: ["status", "reason"]] ?? pod[path: ["status", "phase"]] ?? "Pending"
    }

    @Sendable static func podRestarts(_ pod: JSON) -> JSON {
        let statuses = pod[path: ["status", "containerStatuses"]]?.arrayValue ?? []
        return .string(String(statuses.reduce(Int64(0)) { $0 + ($1["restartCount"]?.intValue ?? 0) }))
    }

    @Sendable static func servicePorts(_ service: JSON) -> JSON {
        let ports = service[path: ["spec", "ports"]]?.arrayValue ?? []
        if ports.isEmpty { return "<none>" }
        return .string(ports.map { port in
            "\(port["port"]?.intValue ?? 0)/\(port["protocol"]?.stringValue ?? "TCP")"
        }.joined(separator: ","))
    }

    @Sendable static func serviceSelector(_ service: JSON) -> JSON {
        let selector = service[path: ["spec", "selector"]]?.objectValue ?? [:]
        if selector.isEmpty { return "<none>" }
        return .string(selector.keys.sorted().map { "\($0)=\(selector[$0]?.stringValue ?? "")" }.joined(separator: ","))
    }

    @Sendable static func dataCount(_ object: JSON) -> JSON {
        .int(Int64((object["data"]?.objectValue?.count ?? 0) + (object["binaryData"]?.objectValue?.count ?? 0)))
    }

    @Sendable static func eventObject(_ event: JSON) -> JSON {
        let kind = event[path: ["involvedObject", "kind"]]?.stringValue ?? ""
        let name = event[path: ["involvedObject", "name"]]?.stringValue ?? ""
        return .string("\(kind.lowercased())/\(name)")
    }

    @Sendable static func readyReplicas(_ object: JSON) -> JSON {
        let ready = object[path: ["status", "readyReplicas"]]?.intValue ?? 0
        let desired = object[path: ["spec", "replicas"]]?.intValue ?? 0
        return .string("\(ready)/\(desired)")
    }

    @Sendable static func hpaReference(_ hpa: JSON) -> JSON {
        let kind = hpa[path: ["spec", "scaleTargetRef", "kind"]]?.stringValue ?? ""
        let name = hpa[path: ["spec", "scaleTargetRef", "name"]]?.stringValue ?? ""
        return .string("\(kind)/\(name)")
    }

    @Sendable static func roleRef(_ binding: JSON) -> JSON {
        let kind = binding[path: ["roleRef", "kind"]]?.stringValue ?? ""
        let name = binding[path: ["roleRef", "name"]]?.stringValue ?? ""
        return .string("\(kind)/\(name)")
    }
}
