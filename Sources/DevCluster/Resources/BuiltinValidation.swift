/// The validation a real server applies to built-in kinds, for the rules clients of this product run into
/// (kubernetes/pkg/apis/*/validation), with the same field paths and messages.
enum BuiltinValidation {
    static func validate(_ object: JSON, _ resource: ResourceType) -> [FieldError] {
        switch (resource.group, resource.plural) {
        case ("", "pods"): return validatePodSpec(object["spec"] ?? [:], path: "spec")
        case ("", "services"): return validateService(object)
        case ("apps", "deployments"): return validateReplicatedPods(object) + validateDeploymentTiming(object)
        case ("apps", "replicasets"): return validateReplicatedPods(object)
        case ("autoscaling", "horizontalpodautoscalers"): return validateHorizontalPodAutoscaler(object)
        default: return []
        }
    }

    // MARK: - Pods

    private static func validatePodSpec(_ spec: JSON, path: String) -> [FieldError] {
        var errors: [FieldError] = []
        let containers = spec["containers"]?.arrayValue ?? []
        if containers.isEmpty { errors.append(.required(path + ".containers")) }
        var names = Set<String>()
        for (index, container) in containers.enumerated() {
            let containerPath = "\(path).containers[\(index)]"
            let name = container["name"]?.stringValue ?? ""
            if name.isEmpty {
                errors.append(.required(containerPath + ".name"))
            } else {
                errors += NameValidation.dns1123Label(name).map {
                    .invalid(containerPath + ".name", value: .string(name), detail: $0)
                }
            }
            if (container["image"]?.stringValue ?? "").isEmpty { errors.append(.required(containerPath + ".image")) }
            if !names.insert(name).inserted { errors.append(.duplicate(containerPath + ".name", value: .string(name))) }
        }
        let restartPolicy = spec["restartPolicy"]?.stringValue ?? ""
        let restartPolicies = ["Always", "OnFailure", "Never"]
        if !restartPolicies.contains(restartPolicy) {
            errors.append(.notSupported(path + ".restartPolicy", value: .string(restartPolicy),
                                        supported: restartPolicies))
        }
        return errors
    }

    // MARK: - Services

    private static func validateService(_ service: JSON) -> [FieldError] {
        let headless = service[path: ["spec", "clusterIP"]]?.stringValue == "None"
        let externalName = service[path: ["spec", "type"]]?.stringValue == "ExternalName"
        let ports = service[path: ["spec", "ports"]]?.arrayValue ?? []
        return ports.isEmpty && !headless && !externalName ? [.required("spec.ports")] : []
    }

    // MARK: - Deployments and ReplicaSets

    /// ValidateDeploymentSpec / ValidateReplicaSetSpec: replicas, a non-empty selector that selects the pod
    /// template, and a template whose pods restart always.
    private static func validateReplicatedPods(_ workload: JSON) -> [FieldError] {
        var errors: [FieldError] = []
        if let replicas = workload[path: ["spec", "replicas"]]?.intValue, replicas < 0 {
            errors.append(.invalid("spec.replicas", value: .int(replicas),
                                   detail: "must be greater than or equal to 0"))
        }
        let selectorObject = workload[path: ["spec", "selector"]] ?? .null
        if selectorObject.isNull {
            errors.append(.required("spec.selector"))
        } else if (selectorObject["matchLabels"]?.objectValue ?? [:]).isEmpty,
                  (selectorObject["matchExpressions"]?.arrayValue ?? []).isEmpty {
            // The upstream message says "deployment" for ReplicaSets too.
            errors.append(FieldError(reason: .invalid, field: "spec.selector", message: "Invalid value: "
                + "v1.LabelSelector{MatchLabels:\(goStringMap(selectorObject["matchLabels"])), "
                + "MatchExpressions:\(goRequirementSlice(selectorObject["matchExpressions"]))}: "
                + "empty selector is invalid for deployment"))
        }
        let template = workload[path: ["spec", "template"]] ?? [:]
        if let selector = try? LabelSelector(json: selectorObject), !selector.isEverything {
            let labels = (template[path: ["metadata", "labels"]]?.objectValue ?? [:]).compactMapValues(\.stringValue)
            if !selector.matches(labels) {
                let value = goStringMap(template[path: ["metadata", "labels"]])
                errors.append(FieldError(
                    reason: .invalid, field: "spec.template.metadata.labels",
                    message: "Invalid value: \(value): `selector` does not match template `labels`"))
            }
        }
        let podSpec = template["spec"] ?? [:]
        errors += validatePodSpec(podSpec, path: "spec.template.spec")
        let restartPolicy = podSpec["restartPolicy"]?.stringValue ?? ""
        if restartPolicy != "Always" {
            errors.append(.notSupported("spec.template.spec.restartPolicy", value: .string(restartPolicy),
                                        supported: ["Always"]))
        }
        return errors
    }

    private static func validateDeploymentTiming(_ deployment: JSON) -> [FieldError] {
        guard let deadline = deployment[path: ["spec", "progressDeadlineSeconds"]]?.intValue else { return [] }
        let minReady = deployment[path: ["spec", "minReadySeconds"]]?.intValue ?? 0
        guard deadline <= minReady else { return [] }
        return [.invalid("spec.progressDeadlineSeconds", value: .int(deadline),
                         detail: "must be greater than minReadySeconds")]
    }

    /// Go's `%#v` of a `map[string]string`: keys sorted, nil when absent.
    private static func goStringMap(_ map: JSON?) -> String {
        guard let map = map?.objectValue else { return "map[string]string(nil)" }
        let entries = map.keys.sorted().map { GoFormat.quoted($0) + ":" + GoFormat.quoted(map[$0]?.stringValue ?? "") }
        return "map[string]string{" + entries.joined(separator: ", ") + "}"
    }

    /// Go's `%#v` of an empty `[]v1.LabelSelectorRequirement` (only empty selectors are printed).
    private static func goRequirementSlice(_ requirements: JSON?) -> String {
        requirements?.arrayValue == nil ? "[]v1.LabelSelectorRequirement(nil)" : "[]v1.LabelSelectorRequirement{}"
    }

    // MARK: - HorizontalPodAutoscalers

    private static func validateHorizontalPodAutoscaler(_ hpa: JSON) -> [FieldError] {
        var errors: [FieldError] = []
        let minimum = hpa[path: ["spec", "minReplicas"]]?.intValue
        let maximum = hpa[path: ["spec", "maxReplicas"]]?.intValue ?? 0
        if let minimum, minimum < 1 {
            errors.append(.invalid("spec.minReplicas", value: .int(minimum),
                                   detail: "must be greater than or equal to 1"))
        }
        if maximum < 1 {
            errors.append(.invalid("spec.maxReplicas", value: .int(maximum), detail: "must be greater than 0"))
        }
        if let minimum, maximum < minimum {
            errors.append(.invalid("spec.maxReplicas", value: .int(maximum),
                                   detail: "must be greater than or equal to `minReplicas`"))
        }
        for field in ["kind", "name"] where (hpa[path: ["spec", "scaleTargetRef", field]]?.stringValue ?? "").isEmpty {
            errors.append(.required("spec.scaleTargetRef." + field))
        }
        return errors
    }
}
