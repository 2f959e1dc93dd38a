import Foundation

/// The per-write rules a real API server applies in its resource strategies: system metadata, the
/// status/spec split of the status subresource, `generation`, built-in defaults, and schema processing of
/// custom resources and CRDs.
extension ApiServer {
    struct Admitted {
        var object: JSON
        var changed: Bool
    }

    func admit(
        _ incoming: JSON, old: JSON?, _ target: RequestTarget, _ options: WriteOptions, trackFields: Bool = true,
        warnings: inout [String]
    ) throws(ApiError) -> Admitted {
        let resource = target.resource
        var object = resource.storage.map { $0.toStorage(incoming) } ?? incoming
        object["apiVersion"] = .string(target.apiVersion)
        object["kind"] = .string(resource.kind)
        if resource.storageKey == "secrets" { object = Self.foldStringData(object) }

        if let old {
            object = carrySystemMetadata(from: old, into: object)
            try checkNoNewFinalizersWhileDeleting(old: old, new: object, target)
            if resource.hasStatusSubresource {
                if target.subresource == "status" {
                    var next = old
                    next["status"] = object["status"]
                    next[path: ["metadata", "managedFields"]] = object[path: ["metadata", "managedFields"]]
                    object = next
                } else {
                    object["status"] = old["status"]
                }
            }
        } else {
            let name = object[path: ["metadata", "name"]]?.stringValue ?? ""
            try validateName(name, resource)
            object[path: ["metadata", "uid"]] = .string(UUID().uuidString.lowercased())
            object[path: ["metadata", "creationTimestamp"]] = .string(Self.now())
            object[path: ["metadata", "generation"]] = 1
            object[path: ["metadata", "deletionTimestamp"]] = nil
            if resource.hasStatusSubresource { object["status"] = nil }
            object = BuiltinDefaults.onCreate(object, resource)
        }
        if resource.schema == nil {
            object = BuiltinDefaults.onWrite(object, resource)
            let errors = BuiltinValidation.validate(object, resource)
            if !errors.isEmpty { throw ApiError.invalid(resource, name: target.name ?? "", errors: errors) }
        }
        if !resource.namespaced { object[path: ["metadata", "namespace"]] = nil }

        if let schema = resource.schema {
            object = try processCustomObject(object, schema: schema, target, options, warnings: &warnings)
        }
        if resource.storageKey == CustomResourceDefinitions.storageKey {
            let (errors, schemaWarnings) = customResources.validate(object)
            if !errors.isEmpty { throw ApiError.invalid(resource, name: target.name ?? "", errors: errors) }
            if old == nil || target.subresource != "status" { object = customResources.establish(object) }
            warnings += schemaWarnings
        }

        guard let old else {
            if trackFields {
                object = ManagedFieldsTracker.recordUpdate(
                    old: nil, new: object, manager: options.manager, apiVersion: target.apiVersion, now: Self.now(),
                    shape: resource.applyShape, subresource: target.subresource)
            }
            return Admitted(object: object, changed: true)
        }
        if Self.specChanged(old, object) {
            object[path: ["metadata", "generation"]] = .int((old[path: ["metadata", "generation"]]?.intValue ?? 0) + 1)
        }
        let changed = Self.withoutVolatileMetadata(object) != Self.withoutVolatileMetadata(old)
        if changed && trackFields {
            object = ManagedFieldsTracker.recordUpdate(
                old: old, new: object, manager: options.manager, apiVersion: target.apiVersion, now: Self.now(),
                shape: resource.applyShape, subresource: target.subresource)
        }
        return Admitted(object: object, changed: changed)
    }

    private func checkNoNewFinalizersWhileDeleting(old: JSON, new: JSON, _ target: RequestTarget) throws(ApiError) {
        guard old[path: ["metadata", "deletionTimestamp"]] != nil else { return }
        let before = Set((old[path: ["metadata", "finalizers"]]?.arrayValue ?? []).compactMap(\.stringValue))
        let added = (new[path: ["metadata", "finalizers"]]?.arrayValue ?? []).compactMap(\.stringValue)
            .filter { !before.contains($0) }
        guard !added.isEmpty else { return }
        throw ApiError.invalid(target.resource, name: target.name ?? "", errors: [
            .forbidden("metadata.finalizers", detail: "no new finalizers can be added if the object is being deleted, "
                + "found new finalizers \(GoFormat.stringSlice(added))"),
        ])
    }

    /// Fields only the server sets: a client cannot change them by writing the object back.
    private func carrySystemMetadata(from old: JSON, into object: JSON) -> JSON {
        var object = object
        for key in ["uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation", "name",
                    "namespace", "resourceVersion"] {
            object[path: ["metadata", key]] = old[path: ["metadata", key]]
        }
        if object[path: ["metadata", "managedFields"]] == nil {
            object[path: ["metadata", "managedFields"]] = old[path: ["metadata", "managedFields"]]
        }
        return object
    }

    /// `generation` counts changes to anything but metadata and status.
    static func specChanged(_ old: JSON, _ new: JSON) -> Bool {
        var a = old.objectValue ?? [:]
        var b = new.objectValue ?? [:]
        for key in ["metadata", "status", "apiVersion", "kind"] {
            a[key] = nil
            b[key] = nil
        }
        return a != b
    }

    static func withoutVolatileMetadata(_ object: JSON) -> JSON {
        var object = object
        object[path: ["metadata", "resourceVersion"]] = nil
        object[path: ["metadata", "managedFields"]] = nil
        return object
    }

    /// Secrets: `stringData` is write-only convenience, folded into base64 `data`.
    static func foldStringData(_ secret: JSON) -> JSON {
        guard let strings = secret["stringData"]?.objectValue else { return secret }
        var secret = secret
        var data = secret["data"]?.objectValue ?? [:]
        for (key, value) in strings {
            data[key] = .string(Data((value.stringValue ?? "").utf8).base64EncodedString())
        }
        secret["data"] = .object(data)
        secret["stringData"] = nil
        return secret
    }

    private func validateName(_ name: String, _ resource: ResourceType) throws(ApiError) {
        if name.isEmpty {
            throw ApiError.invalid(resource, name: name, errors: [
                .required("metadata.name", detail: "name or generateName is required"),
            ])
        }
        let problems = resource.storageKey == "namespaces"
            ? NameValidation.dns1123Label(name) : NameValidation.dns1123Subdomain(name)
        if !problems.isEmpty {
            throw ApiError.invalid(resource, name: name, errors: problems.map {
                FieldError.invalid("metadata.name", value: .string(name), detail: $0)
            })
        }
    }

    /// Defaults, pruning (with `fieldValidation`), then validation, as apiextensions-apiserver orders them.
    private func processCustomObject(
        _ object: JSON, schema: CustomResourceSchema, _ target: RequestTarget, _ options: WriteOptions,
        warnings: inout [String]
    ) throws(ApiError) -> JSON {
        let (pruned, prunedPaths) = schema.prune(object)
        if !prunedPaths.isEmpty {
            switch options.fieldValidation {
            case "Strict":
                let list = prunedPaths.map { "unknown field \"\($0)\"" }
                let kind = target.resource.kind
                throw ApiError.badRequest("\(kind) in version \"\(target.version)\" cannot be handled as a \(kind): "
                    + "strict decoding error: " + list.joined(separator: ", "))
            case "Ignore": break
            default: warnings += prunedPaths.map { "unknown field \"\($0)\"" }
            }
        }
        let defaulted = schema.applyDefaults(to: pruned)
        let errors = schema.validate(defaulted)
        if !errors.isEmpty { throw ApiError.invalid(target.resource, name: target.name ?? "", errors: errors) }
        return defaulted
    }
}
