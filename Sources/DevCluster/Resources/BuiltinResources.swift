import Foundation

/// The built-in resources devcluster serves (issue 5): stored generically, with the few behaviours the product and
/// kubectl rely on (status subresources, scale, printer columns, strategic merge metadata).
enum BuiltinResources {
    static func all() -> [ResourceType] {
        [
            core("Namespace", "namespaces", namespaced: false, shortNames: ["ns"], status: true,
                 printer: .columns([column("Status") { text($0[path: ["status", "phase"]]) }])),
            core("Pod", "pods", shortNames: ["po"], categories: ["all"], status: true,
                 printer: .columns([
                    column("Ready") { .string(PodSummary($0).readiness) },
                    column("Status") { .string(PodSummary($0).reason) },
                    column("Restarts") { .string(PodSummary($0).restarts) },
                 ], wide: [
                    column("IP", podIP),
                    column("Node") { textOrNone($0[path: ["spec", "nodeName"]]) },
                    column("Nominated Node") { textOrNone($0[path: ["status", "nominatedNodeName"]]) },
                    column("Readiness Gates", podReadinessGates),
                 ])),
            core("Service", "services", shortNames: ["svc"], categories: ["all"], status: true,
                 printer: .columns([
                    column("Type") { text($0[path: ["spec", "type"]]) },
                    column("Cluster-IP", serviceClusterIP),
                    column("External-IP", serviceExternalIP),
                    column("Port(s)", servicePorts),
                 ], wide: [
                    column("Selector") { labelMap($0[path: ["spec", "selector"]]) },
                 ])),
            core("Endpoints", "endpoints", shortNames: ["ep"],
                 printer: .columns([column("Endpoints", endpointAddresses)])),
            core("Secret", "secrets", printer: .columns([
                column("Type") { text($0["type"]) }, column("Data", dataCount),
            ])),
            core("ConfigMap", "configmaps", shortNames: ["cm"], printer: .columns([
                column("Data", dataCount),
            ])),
            core("ServiceAccount", "serviceaccounts", shortNames: ["sa"], printer: .columns([
                column("Secrets") { .int(Int64($0["secrets"]?.arrayValue?.count ?? 0)) },
            ])),
            core("Event", "events", shortNames: ["ev"], printer: eventTable),
            // The same stored events seen through events.k8s.io, printed by the same printer as core events.
            resource("events.k8s.io", "v1", "Event", "events", shortNames: ["ev"], printer: eventTable),
            resource("coordination.k8s.io", "v1", "Lease", "leases", printer: .columns([
                column("Holder") { text($0[path: ["spec", "holderIdentity"]]) },
            ])),
            resource("apps", "v1", "Deployment", "deployments", shortNames: ["deploy"], categories: ["all"],
                     status: true, scale: replicasScale,
                     printer: .columns([
                        column("Ready", readyOfDesired),
                        column("Up-to-date") { int($0[path: ["status", "updatedReplicas"]]) },
                        column("Available") { int($0[path: ["status", "availableReplicas"]]) },
                     ], wide: containerColumns + [column("Selector", deploymentSelector)])),
            resource("apps", "v1", "ReplicaSet", "replicasets", shortNames: ["rs"], categories: ["all"],
                     status: true, scale: replicasScale,
                     printer: .columns([
                        column("Desired", type: "integer") { int($0[path: ["spec", "replicas"]]) },
                        column("Current", type: "integer") { int($0[path: ["status", "replicas"]]) },
                        column("Ready", type: "integer") { int($0[path: ["status", "readyReplicas"]]) },
                     ], wide: containerColumns + [column("Selector", replicaSetSelector)])),
            resource("autoscaling", "v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers",
                     shortNames: ["hpa"], categories: ["all"], status: true,
                     printer: .columns([
                        column("Reference") { kindSlashName($0[path: ["spec", "scaleTargetRef"]]) },
                        column("Targets", hpaTargets),
                        column("MinPods", hpaMinPods),
                        column("MaxPods") { int($0[path: ["spec", "maxReplicas"]]) },
                        column("Replicas") { int($0[path: ["status", "currentReplicas"]]) },
                     ])),
            resource("policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets", shortNames: ["pdb"], status: true,
                     printer: .columns([
                        column("Min Available") { intOrStringOrNotApplicable($0[path: ["spec", "minAvailable"]]) },
                        column("Max Unavailable") { intOrStringOrNotApplicable($0[path: ["spec", "maxUnavailable"]]) },
                        column("Allowed Disruptions", type: "integer") {
                            int($0[path: ["status", "disruptionsAllowed"]])
                        },
                     ])),
            resource("rbac.authorization.k8s.io", "v1", "Role", "roles", printer: createdAtTable),
            resource("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings", printer: bindingColumns),
            resource("rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", namespaced: false,
                     printer: createdAtTable),
            resource("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings", namespaced: false,
                     printer: bindingColumns),
            resource("apiextensions.k8s.io", "v1", "CustomResourceDefinition", "customresourcedefinitions",
                     namespaced: false, shortNames: ["crd", "crds"], categories: ["api-extensions"], status: true,
                     printer: createdAtTable),
        ]
    }

    // MARK: - Construction

    /// How a kind's Table is laid out, as kubernetes/pkg/printers/internalversion/printers.go defines it.
    enum Printer {
        /// NAME, `columns`, AGE, then `wide` (priority 1: shown by `-o wide` only).
        case columns([ResourceType.PrinterColumn], wide: [ResourceType.PrinterColumn] = [])
        /// The whole table as given.
        case table([ResourceType.PrinterColumn])
    }

    static func column(
        _ name: String, type: String = "string", format: String = "", priority: Int = 0,
        _ cell: @escaping @Sendable (JSON) -> JSON
    ) -> ResourceType.PrinterColumn {
        ResourceType.PrinterColumn(
            name: name, type: type, format: format, description: name, priority: priority, cell: cell)
    }

    static func core(
        _ kind: String, _ plural: String, namespaced: Bool = true, shortNames: [String] = [],
        categories: [String] = [], status: Bool = false, printer: Printer
    ) -> ResourceType {
        resource("", "v1", kind, plural, namespaced: namespaced, shortNames: shortNames, categories: categories,
                 status: status, printer: printer)
    }

    static func resource(
        _ group: String, _ version: String, _ kind: String, _ plural: String, namespaced: Bool = true,
        shortNames: [String] = [], categories: [String] = [], status: Bool = false,
        scale: ResourceType.ScalePaths? = nil, printer: Printer
    ) -> ResourceType {
        let shape = BuiltinMergeShapes.shape(group: group, kind: kind) ?? .unknown
        var type = ResourceType(
            group: group, version: version, servedVersions: [version], kind: kind, plural: plural,
            singular: kind.lowercased(), namespaced: namespaced)
        type.shortNames = shortNames
        type.categories = categories
        type.hasStatusSubresource = status
        type.scale = scale
        switch printer {
        case .columns(let columns, let wide):
            // The wide columns follow AGE, as in the real printers.
            type.columns = [.name()] + columns + [.age] + wide.map { column in
                var wideColumn = column
                wideColumn.priority = 1
                return wideColumn
            }
        case .table(let columns):
            type.columns = columns
        }
        type.strategicShape = shape
        type.applyShape = shape
        return type
    }

    static let replicasScale = ResourceType.ScalePaths(
        specReplicas: ["spec", "replicas"], statusReplicas: ["status", "replicas"], labelSelector: nil)

    /// What the API server's default table convertor shows for kinds without a printer (roles, CRDs).
    static let createdAtTable = Printer.table([
        .name(), column("Created At", type: "date", creationTimestamp),
    ])

    static let containerColumns = [
        column("Containers") { containerCells($0).names },
        column("Images") { containerCells($0).images },
    ]

    static let bindingColumns = Printer.columns([
        column("Role") { kindSlashName($0["roleRef"]) },
    ], wide: [
        column("Users") { bindingSubjects($0).users },
        column("Groups") { bindingSubjects($0).groups },
        column("ServiceAccounts") { bindingSubjects($0).serviceAccounts },
    ])

    static let eventTable = Printer.table([
        column("Last Seen", eventLastSeen),
        column("Type") { text($0["type"]) },
        column("Reason") { text($0["reason"]) },
        column("Object", eventObject),
        column("Subobject", priority: 1) { text(eventRegarding($0)?["fieldPath"]) },
        column("Source", priority: 1, eventSource),
        column("Message", eventMessage),
        column("First Seen", priority: 1, eventFirstSeen),
        column("Count", priority: 1, eventCount),
        .name(priority: 1),
    ])

    // MARK: - Cells (the same text kubectl shows against a real cluster)

    /// A Go string field: absent is the empty string.
    @Sendable static func text(_ value: JSON?) -> JSON { .string(value?.stringValue ?? "") }

    @Sendable static func textOrNone(_ value: JSON?) -> JSON {
        let text = value?.stringValue ?? ""
        return .string(text.isEmpty ? "<none>" : text)
    }

    /// A Go integer field: absent is 0.
    @Sendable static func int(_ value: JSON?) -> JSON { .int(value?.intValue ?? 0) }

    @Sendable static func creationTimestamp(_ object: JSON) -> JSON {
        object[path: ["metadata", "creationTimestamp"]] ?? ""
    }

    @Sendable static func kindSlashName(_ reference: JSON?) -> JSON {
        .string("\(reference?["kind"]?.stringValue ?? "")/\(reference?["name"]?.stringValue ?? "")")
    }

    /// labels.FormatLabels: `k=v` sorted by key, `<none>` when empty.
    @Sendable static func labelMap(_ labels: JSON?) -> JSON {
        let labels = labels?.objectValue ?? [:]
        if labels.isEmpty { return "<none>" }
        return .string(labels.keys.sorted().map { "\($0)=\(labels[$0]?.stringValue ?? "")" }.joined(separator: ","))
    }

    /// An IntOrString as `IntOrString.String()`, or N/A when unset (PodDisruptionBudget).
    @Sendable static func intOrStringOrNotApplicable(_ value: JSON?) -> JSON {
        guard let value, !value.isNull else { return "N/A" }
        return .string(GoFormat.plain(value))
    }

    @Sendable static func dataCount(_ object: JSON) -> JSON {
        .int(Int64((object["data"]?.objectValue?.count ?? 0) + (object["binaryData"]?.objectValue?.count ?? 0)))
    }

    @Sendable static func podIP(_ pod: JSON) -> JSON {
        textOrNone(pod[path: ["status", "podIPs"]]?.arrayValue?.first?["ip"])
    }

    @Sendable static func podReadinessGates(_ pod: JSON) -> JSON {
        let gates = pod[path: ["spec", "readinessGates"]]?.arrayValue ?? []
        if gates.isEmpty { return "<none>" }
        let conditions = pod[path: ["status", "conditions"]]?.arrayValue ?? []
        let passed = gates.filter { gate in
            conditions.first { $0["type"] == gate["conditionType"] }?["status"]?.stringValue == "True"
        }.count
        return .string("\(passed)/\(gates.count)")
    }

    @Sendable static func serviceClusterIP(_ service: JSON) -> JSON {
        textOrNone(service[path: ["spec", "clusterIPs"]]?.arrayValue?.first)
    }

    @Sendable static func serviceExternalIP(_ service: JSON) -> JSON {
        let externalIPs = (service[path: ["spec", "externalIPs"]]?.arrayValue ?? []).compactMap(\.stringValue)
        switch service[path: ["spec", "type"]]?.stringValue ?? "" {
        case "ClusterIP", "NodePort":
            return .string(externalIPs.isEmpty ? "<none>" : externalIPs.joined(separator: ","))
        case "LoadBalancer":
            let ingress = service[path: ["status", "loadBalancer", "ingress"]]?.arrayValue ?? []
            let balancers = Set(ingress.compactMap { entry -> String? in
                let ip = entry["ip"]?.stringValue ?? ""
                let hostname = entry["hostname"]?.stringValue ?? ""
                return !ip.isEmpty ? ip : !hostname.isEmpty ? hostname : nil
            }).sorted()
            let all = balancers + externalIPs
            return .string(all.isEmpty ? "<pending>" : all.joined(separator: ","))
        case "ExternalName":
            return text(service[path: ["spec", "externalName"]])
        default:
            return "<unknown>"
        }
    }

    @Sendable static func servicePorts(_ service: JSON) -> JSON {
        let ports = service[path: ["spec", "ports"]]?.arrayValue ?? []
        if ports.isEmpty { return "<none>" }
        return .string(ports.map { port in
            let number = port["port"]?.intValue ?? 0
            let proto = port["protocol"]?.stringValue ?? ""
            let nodePort = port["nodePort"]?.intValue ?? 0
            return nodePort > 0 ? "\(number):\(nodePort)/\(proto)" : "\(number)/\(proto)"
        }.joined(separator: ","))
    }

    /// formatEndpoints: up to three `ip:port` pairs, then `+ N more...`.
    @Sendable static func endpointAddresses(_ endpoints: JSON) -> JSON {
        let subsets = endpoints["subsets"]?.arrayValue ?? []
        if subsets.isEmpty { return "<none>" }
        let shown = 3
        var listed: [String] = []
        var total = 0
        for subset in subsets {
            let addresses = (subset["addresses"]?.arrayValue ?? []).map { $0["ip"]?.stringValue ?? "" }
            let ports = subset["ports"]?.arrayValue ?? []
            // A subset without ports (a headless service's) lists bare addresses.
            let portNumbers: [Int64?] = ports.isEmpty ? [nil] : ports.map { $0["port"]?.intValue ?? 0 }
            for port in portNumbers {
                total += addresses.count
                for ip in addresses where listed.count < shown {
                    guard let port else { listed.append(ip); continue }
                    listed.append(ip.contains(":") ? "[\(ip)]:\(port)" : "\(ip):\(port)")
                }
            }
        }
        let joined = listed.joined(separator: ",")
        return .string(total > shown ? "\(joined) + \(total - shown) more..." : joined)
    }

    @Sendable static func readyOfDesired(_ object: JSON) -> JSON {
        let ready = object[path: ["status", "readyReplicas"]]?.intValue ?? 0
        let desired = object[path: ["spec", "replicas"]]?.intValue ?? 0
        return .string("\(ready)/\(desired)")
    }

    /// layoutContainerCells: the template's container names and images, comma-separated.
    static func containerCells(_ workload: JSON) -> (names: JSON, images: JSON) {
        let containers = workload[path: ["spec", "template", "spec", "containers"]]?.arrayValue ?? []
        return (.string(containers.map { $0["name"]?.stringValue ?? "" }.joined(separator: ",")),
                .string(containers.map { $0["image"]?.stringValue ?? "" }.joined(separator: ",")))
    }

    @Sendable static func deploymentSelector(_ deployment: JSON) -> JSON {
        guard let selector = try? LabelSelector(json: deployment[path: ["spec", "selector"]] ?? .null) else {
            return "<invalid>"
        }
        return .string(selector.description)
    }

    /// metav1.FormatLabelSelector.
    @Sendable static func replicaSetSelector(_ replicaSet: JSON) -> JSON {
        guard let selector = try? LabelSelector(json: replicaSet[path: ["spec", "selector"]] ?? .null) else {
            return "<error>"
        }
        let text = selector.description
        return .string(text.isEmpty ? "<none>" : text)
    }

    @Sendable static func hpaMinPods(_ hpa: JSON) -> JSON {
        guard let minimum = hpa[path: ["spec", "minReplicas"]]?.intValue else { return "<unset>" }
        return .string(String(minimum))
    }

    /// formatHPAMetrics: `current/target` per metric (current `<unknown>` until the controller reports it),
    /// at most two, then `+ N more...`.
    @Sendable static func hpaTargets(_ hpa: JSON) -> JSON {
        let specs = hpa[path: ["spec", "metrics"]]?.arrayValue ?? []
        if specs.isEmpty { return "<none>" }
        let statuses = hpa[path: ["status", "currentMetrics"]]?.arrayValue ?? []
        let targets = specs.enumerated().map { index, spec in
            hpaTarget(spec, status: index < statuses.count ? statuses[index] : nil)
        }
        let shown = 2
        let joined = targets.prefix(shown).joined(separator: ", ")
        return .string(targets.count > shown ? "\(joined) + \(targets.count - shown) more..." : joined)
    }

    private static func hpaTarget(_ spec: JSON, status: JSON?) -> String {
        func quantity(_ value: JSON?) -> String? { value.flatMap { $0.isNull ? nil : GoFormat.plain($0) } }
        func percent(_ value: JSON?) -> String? { value?.intValue.map { "\($0)%" } }
        let unknown = "<unknown>"
        switch spec["type"]?.stringValue ?? "" {
        case "Pods":
            let current = quantity(status?[path: ["pods", "current", "averageValue"]]) ?? unknown
            return "\(current)/\(quantity(spec[path: ["pods", "target", "averageValue"]]) ?? "0")"
        case "Object", "External":
            let source = spec["type"]?.stringValue == "Object" ? "object" : "external"
            let target = spec[path: [source, "target"]]
            let observed = status?[source]?["current"]
            if let average = quantity(target?["averageValue"]) {
                return "\(quantity(observed?["averageValue"]) ?? unknown)/\(average) (avg)"
            }
            return "\(quantity(observed?["value"]) ?? unknown)/\(quantity(target?["value"]) ?? "0")"
        case "Resource", "ContainerResource":
            let source = spec["type"]?.stringValue == "Resource" ? "resource" : "containerResource"
            let name = spec[path: [source, "name"]]?.stringValue ?? ""
            let target = spec[path: [source, "target"]]
            let observed = status?[source]?["current"]
            if let average = quantity(target?["averageValue"]) {
                return "\(name): \(quantity(observed?["averageValue"]) ?? unknown)/\(average)"
            }
            let current = percent(observed?["averageUtilization"]) ?? unknown
            return "\(name): \(current)/\(percent(target?["averageUtilization"]) ?? "<auto>")"
        default:
            return "<unknown type>"
        }
    }

    /// rbac.SubjectsStrings, each list joined by ", ".
    static func bindingSubjects(_ binding: JSON) -> (users: JSON, groups: JSON, serviceAccounts: JSON) {
        var users: [String] = [], groups: [String] = [], serviceAccounts: [String] = []
        for subject in binding["subjects"]?.arrayValue ?? [] {
            let name = subject["name"]?.stringValue ?? ""
            switch subject["kind"]?.stringValue {
            case "User": users.append(name)
            case "Group": groups.append(name)
            case "ServiceAccount": serviceAccounts.append("\(subject["namespace"]?.stringValue ?? "")/\(name)")
            default: break
            }
        }
        return (.string(users.joined(separator: ", ")), .string(groups.joined(separator: ", ")),
                .string(serviceAccounts.joined(separator: ", ")))
    }

    // Event cells read core v1 field names, falling back to the events.k8s.io names, so one printer serves
    // an event presented in either version.

    static func eventRegarding(_ event: JSON) -> JSON? { event["involvedObject"] ?? event["regarding"] }

    @Sendable static func eventObject(_ event: JSON) -> JSON {
        let kind = (eventRegarding(event)?["kind"]?.stringValue ?? "").lowercased()
        let name = eventRegarding(event)?["name"]?.stringValue ?? ""
        return .string(name.isEmpty ? kind : "\(kind)/\(name)")
    }

    @Sendable static func eventMessage(_ event: JSON) -> JSON {
        .string((event["message"] ?? event["note"])?.stringValue?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "")
    }

    /// formatEventSource: the component (or reporting controller), then the host (or reporting instance).
    @Sendable static func eventSource(_ event: JSON) -> JSON {
        let source = event["source"] ?? event["deprecatedSource"]
        func firstNonEmpty(_ values: JSON?...) -> String {
            values.lazy.compactMap { $0?.stringValue }.first { !$0.isEmpty } ?? ""
        }
        let component = firstNonEmpty(source?["component"], event["reportingComponent"], event["reportingController"])
        let instance = firstNonEmpty(source?["host"], event["reportingInstance"])
        return .string(instance.isEmpty ? component : "\(component), \(instance)")
    }

    private static func nonEmptyTimestamp(_ value: JSON?) -> String? {
        guard let text = value?.stringValue, !text.isEmpty else { return nil }
        return text
    }

    /// translateTimestampSince: `<unknown>` for a missing time.
    private static func age(_ timestamp: String?) -> JSON {
        PrinterColumnPath.cellText([.string(timestamp ?? "")], type: "date")
    }

    @Sendable static func eventFirstSeen(_ event: JSON) -> JSON {
        age(nonEmptyTimestamp(event["firstTimestamp"] ?? event["deprecatedFirstTimestamp"])
            ?? nonEmptyTimestamp(event["eventTime"]))
    }

    @Sendable static func eventLastSeen(_ event: JSON) -> JSON {
        if let observed = nonEmptyTimestamp(event[path: ["series", "lastObservedTime"]]) { return age(observed) }
        if let last = nonEmptyTimestamp(event["lastTimestamp"] ?? event["deprecatedLastTimestamp"]) { return age(last) }
        return eventFirstSeen(event)
    }

    @Sendable static func eventCount(_ event: JSON) -> JSON {
        if let seriesCount = event[path: ["series", "count"]]?.intValue { return .int(seriesCount) }
        let count = (event["count"] ?? event["deprecatedCount"])?.intValue ?? 0
        // Singleton events of the new API carry no count.
        return .int(count == 0 ? 1 : count)
    }
}

/// What printPod shows for a pod: ready containers, the status reason and restarts.
struct PodSummary {
    let readiness: String
    let reason: String
    let restarts: String

    init(_ pod: JSON) {
        let spec = pod["spec"] ?? [:]
        let status = pod["status"] ?? [:]
        let conditions = status["conditions"]?.arrayValue ?? []
        func hasCondition(_ type: String, status wanted: String? = nil, reason wantedReason: String? = nil) -> Bool {
            conditions.contains { condition in
                condition["type"]?.stringValue == type
                    && (wanted == nil || condition["status"]?.stringValue == wanted)
                    && (wantedReason == nil || condition["reason"]?.stringValue == wantedReason)
            }
        }
        let initContainers = spec["initContainers"]?.arrayValue ?? []
        // Init containers that restart always are sidecars: they count among the pod's containers.
        let sidecars = Set(initContainers.filter { $0["restartPolicy"]?.stringValue == "Always" }
            .compactMap { $0["name"]?.stringValue })
        let phase = status["phase"]?.stringValue ?? ""
        let statusReason = status["reason"]?.stringValue ?? ""
        var reason = statusReason.isEmpty ? phase : statusReason
        if hasCondition("PodScheduled", reason: "SchedulingGated") { reason = "SchedulingGated" }

        var ready = 0
        var restarts = Restarts()
        var sidecarRestarts = Restarts()
        var initializing = false
        let initStatuses = status["initContainerStatuses"]?.arrayValue ?? []
        for (index, container) in initStatuses.enumerated() {
            restarts.add(container)
            let isSidecar = sidecars.contains(container["name"]?.stringValue ?? "")
            if isSidecar { sidecarRestarts.add(container) }
            let terminated = container[path: ["state", "terminated"]]
            let waitingReason = container[path: ["state", "waiting", "reason"]]?.stringValue ?? ""
            if let terminated, (terminated["exitCode"]?.intValue ?? 0) == 0 { continue }
            if isSidecar, container["started"]?.boolValue == true {
                if container["ready"]?.boolValue == true { ready += 1 }
                continue
            }
            if let terminated {
                reason = "Init:" + Self.terminationReason(terminated)
            } else if !waitingReason.isEmpty, waitingReason != "PodInitializing" {
                reason = "Init:" + waitingReason
            } else {
                reason = "Init:\(index)/\(initContainers.count)"
            }
            initializing = true
            break
        }

        if !initializing || hasCondition("Initialized", status: "True") {
            restarts = sidecarRestarts
            var hasRunning = false
            for container in (status["containerStatuses"]?.arrayValue ?? []).reversed() {
                restarts.add(container)
                let waitingReason = container[path: ["state", "waiting", "reason"]]?.stringValue ?? ""
                if !waitingReason.isEmpty {
                    reason = waitingReason
                } else if let terminated = container[path: ["state", "terminated"]] {
                    reason = Self.terminationReason(terminated)
                } else if container["ready"]?.boolValue == true, container[path: ["state", "running"]] != nil {
                    hasRunning = true
                    ready += 1
                }
            }
            if reason == "Completed", hasRunning {
                reason = hasCondition("Ready", status: "True") ? "Running" : "NotReady"
            }
        }

        if pod[path: ["metadata", "deletionTimestamp"]] != nil {
            if statusReason == "NodeLost" {
                reason = "Unknown"
            } else if phase != "Succeeded", phase != "Failed" {
                reason = "Terminating"
            }
        }

        self.readiness = "\(ready)/\((spec["containers"]?.arrayValue?.count ?? 0) + sidecars.count)"
        self.reason = reason
        self.restarts = restarts.text
    }

    /// Restart counts and the last time a container of them stopped.
    private struct Restarts {
        var count: Int64 = 0
        var lastTermination: Date?

        mutating func add(_ containerStatus: JSON) {
            count += containerStatus["restartCount"]?.intValue ?? 0
            let finished = containerStatus[path: ["lastState", "terminated", "finishedAt"]]?.stringValue
            if let finished = finished.flatMap(RFC3339.parse), lastTermination.map({ finished > $0 }) ?? true {
                lastTermination = finished
            }
        }

        /// `3`, or `3 (5m ago)` once a restarted container's termination time is known.
        var text: String {
            guard count != 0, let lastTermination else { return String(count) }
            return "\(count) (\(PrinterColumnPath.humanDuration(Date().timeIntervalSince(lastTermination))) ago)"
        }
    }

    /// A terminated container's reason, or its signal or exit code when it gave none.
    private static func terminationReason(_ terminated: JSON) -> String {
        if let reason = terminated["reason"]?.stringValue, !reason.isEmpty { return reason }
        if let signal = terminated["signal"]?.intValue, signal != 0 { return "Signal:\(signal)" }
        return "ExitCode:\(terminated["exitCode"]?.intValue ?? 0)"
    }
}
