import Foundation

/// CRDs: validating a definition, serving its resource as soon as it is stored (status Established), and
/// removing the resource and its objects when the definition goes.
final class CustomResourceDefinitions: Sendable {
    static let storageKey = "customresourcedefinitions.apiextensions.k8s.io"
    let registry: ResourceRegistry

    init(registry: ResourceRegistry) {
        self.registry = registry
    }

    /// The definition's problems, and warnings for what devcluster accepts without enforcing: it does not run CEL,
    /// and says so when a CRD relies on it rather than silently accepting everything.
    func validate(_ crd: JSON) -> (errors: [FieldError], warnings: [String]) {
        var errors: [FieldError] = []
        var warnings: [String] = []
        let spec = crd["spec"] ?? [:]
        let group = spec["group"]?.stringValue ?? ""
        let plural = spec[path: ["names", "plural"]]?.stringValue ?? ""
        let name = crd[path: ["metadata", "name"]]?.stringValue ?? ""
        if group.isEmpty { errors.append(FieldError(reason: .required, field: "spec.group", message: "Required value")) }
        if plural.isEmpty { errors.append(FieldError(reason: .required, field: "spec.names.plural", message: "Required value")) }
        if spec[path: ["names", "kind"]]?.stringValue?.isEmpty ?? true {
            errors.append(FieldError(reason: .required, field: "spec.names.kind", message: "Required value"))
        }
        if !group.isEmpty, !plural.isEmpty, name != "\(plural).\(group)" {
            errors.append(FieldError(reason: .invalid, field: "metadata.name",
                                     message: "Invalid value: \"\(name)\": must be spec.names.plural+\".\"+spec.group"))
        }
        let scope = spec["scope"]?.stringValue ?? ""
        if !["Namespaced", "Cluster"].contains(scope) {
            errors.append(FieldError(reason: .notSupported, field: "spec.scope",
                                     message: "Unsupported value: \"\(scope)\": supported values: \"Cluster\", \"Namespaced\""))
        }
        let versions = spec["versions"]?.arrayValue ?? []
        if versions.isEmpty {
            errors.append(FieldError(reason: .invalid, field: "spec.versions", message: "Invalid value: null: must have exactly one version marked as storage version"))
        } else if versions.filter({ $0["storage"]?.boolValue == true }).count != 1 {
            errors.append(FieldError(reason: .invalid, field: "spec.versions",
                                     message: "Invalid value: \(spec["versions"]!.text): must have exactly one version marked as storage version"))
        }
        for (index, version) in versions.enumerated() {
            if let schemaJSON = version[path: ["schema", "openAPIV3Schema"]] {
                do {
                    let schema = try StructuralSchema(schemaJSON)
                    if !schema.unevaluatedRules.isEmpty {
                        warnings.append("devcluster does not evaluate x-kubernetes-validations: \(schema.unevaluatedRules.count) "
                            + "rule(s) of version \(version["name"]?.stringValue ?? "") are not enforced")
                    }
                } catch {
                    errors.append(FieldError(reason: .invalid, field: "spec.versions[\(index)].schema.openAPIV3Schema",
                                             message: "Invalid value: \"\": \(error)"))
                }
            } else {
                errors.append(FieldError(reason: .required, field: "spec.versions[\(index)].schema.openAPIV3Schema",
                                         message: "Required value: schemas are required"))
            }
        }
        return (errors, warnings)
    }

    /// Sets the conditions a real server reports once the names are accepted and the resource is served.
    func establish(_ crd: JSON) -> JSON {
        var crd = crd
        let now = ApiServer.now()
        func condition(_ type: String, _ reason: String, _ message: String) -> JSON {
            ["type": .string(type), "status": "True", "lastTransitionTime": .string(now), "reason": .string(reason),
             "message": .string(message)]
        }
        let previous = crd[path: ["status", "conditions"]]?.arrayValue ?? []
        func keep(_ fresh: JSON) -> JSON {
            previous.first { $0["type"] == fresh["type"] && $0["status"] == "True" } ?? fresh
        }
        crd["status"] = [
            "acceptedNames": crd[path: ["spec", "names"]] ?? [:],
            "storedVersions": .array((crd[path: ["spec", "versions"]]?.arrayValue ?? [])
                .filter { $0["storage"]?.boolValue == true }.compactMap { $0["name"] }),
            "conditions": [
                keep(condition("NamesAccepted", "NoConflicts", "no conflicts found")),
                keep(condition("Established", "InitialNamesAccepted", "the initial names have been accepted")),
            ],
        ]
        return crd
    }

    /// Serves (or re-serves, after an update) the resource a stored CRD defines.
    func served(_ crd: JSON) {
        guard crd[path: ["metadata", "deletionTimestamp"]] == nil, let resource = resourceType(crd) else { return }
        registry.register(resource)
    }

    func withdrawn(_ crd: JSON, store: ObjectStore) {
        guard let resource = resourceType(crd) else { return }
        registry.unregister(resource)
        for (storageKey, object) in store.allObjects() where storageKey == resource.storageKey {
            let namespace = object[path: ["metadata", "namespace"]]?.stringValue
            let name = object[path: ["metadata", "name"]]?.stringValue ?? ""
            _ = try? store.modify(storageKey, namespace: namespace, name: name) { current, _ in
                current.map { .delete($0) } ?? .unchanged
            }
        }
    }

    /// Serves every CRD found in the store (after a restart).
    func restore(from store: ObjectStore) {
        for object in (try? store.list(Self.storageKey, namespace: nil).items) ?? [] { served(object) }
    }

    func resourceType(_ crd: JSON) -> ResourceType? {
        let spec = crd["spec"] ?? [:]
        guard let group = spec["group"]?.stringValue, let kind = spec[path: ["names", "kind"]]?.stringValue,
              let plural = spec[path: ["names", "plural"]]?.stringValue
        else { return nil }
        let versions = (spec["versions"]?.arrayValue ?? []).filter { $0["served"]?.boolValue ?? true }
        guard let storage = versions.first(where: { $0["storage"]?.boolValue == true }) ?? versions.first,
              let storageVersion = storage["name"]?.stringValue
        else { return nil }
        let servedVersions = versions.compactMap { $0["name"]?.stringValue }.sorted(by: ResourceRegistry.versionPriority)
        var resource = ResourceType(
            group: group, version: servedVersions.first ?? storageVersion, servedVersions: servedVersions, kind: kind,
            plural: plural, singular: spec[path: ["names", "singular"]]?.stringValue ?? kind.lowercased(),
            namespaced: spec["scope"]?.stringValue != "Cluster")
        resource.shortNames = (spec[path: ["names", "shortNames"]]?.arrayValue ?? []).compactMap(\.stringValue)
        resource.categories = (spec[path: ["names", "categories"]]?.arrayValue ?? []).compactMap(\.stringValue)
        resource.hasStatusSubresource = storage[path: ["subresources", "status"]] != nil
        if let scale = storage[path: ["subresources", "scale"]] {
            resource.scale = ResourceType.ScalePaths(
                specReplicas: Self.fieldPath(scale["specReplicasPath"]?.stringValue ?? ".spec.replicas"),
                statusReplicas: Self.fieldPath(scale["statusReplicasPath"]?.stringValue ?? ".status.replicas"),
                labelSelector: scale["labelSelectorPath"]?.stringValue.map(Self.fieldPath))
        }
        if let schemaJSON = storage[path: ["schema", "openAPIV3Schema"]], let schema = try? StructuralSchema(schemaJSON) {
            resource.schema = schema
            resource.applyShape = schema.mergeShape
            resource.openAPISchema = schemaJSON
        }
        // Without additionalPrinterColumns a CRD's table is NAME, AGE; with them, NAME and exactly those.
        let printerColumns = (storage["additionalPrinterColumns"]?.arrayValue ?? []).compactMap(Self.printerColumn)
        resource.columns = printerColumns.isEmpty ? [.name(), .age] : [.name()] + printerColumns
        return resource
    }

    static func fieldPath(_ text: String) -> [String] {
        text.split(separator: ".").map(String.init)
    }

    static func printerColumn(_ definition: JSON) -> ResourceType.PrinterColumn? {
        guard let name = definition["name"]?.stringValue, let type = definition["type"]?.stringValue,
              let pathText = definition["jsonPath"]?.stringValue, let path = try? PrinterColumnPath(pathText)
        else { return nil }
        return ResourceType.PrinterColumn(
            name: name, type: type, format: definition["format"]?.stringValue ?? "",
            description: definition["description"]?.stringValue ?? "Custom resource definition column (in JSONPath format): \(pathText)",
            priority: Int(definition["priority"]?.intValue ?? 0),
            cell: { object in PrinterColumnPath.cellText(path.values(in: object), type: type) })
    }
}

extension StructuralSchema: CustomResourceSchema {
    public var unevaluatedRules: [String] { celRules }
}
