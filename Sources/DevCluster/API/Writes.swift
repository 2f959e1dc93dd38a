import Foundation
import Yams

/// create, update, patch, delete: every write goes through `admit` (the API server's strategy + admission:
/// defaults, immutable fields, status/spec split, generation, schema) inside the store's read-modify-write,
/// so concurrent writers see a consistent object and stale ones get 409.
extension ApiServer {
    struct WriteOptions {
        var manager: String
        var dryRun: Bool
        /// Strict, Warn or Ignore (`?fieldValidation=`), for unknown fields of custom resources.
        var fieldValidation: String
        var force: Bool

        init(_ request: HttpRequest) {
            let agent = request.headers.first(name: "User-Agent") ?? "unknown"
            manager = request.query["fieldManager"].flatMap { $0.isEmpty ? nil : $0 }
                ?? String(agent.prefix { $0 != "/" })
            dryRun = request.query["dryRun"] == "All"
            fieldValidation = request.query["fieldValidation"] ?? "Warn"
            force = ApiServer.flag(request.query["force"])
        }
    }

    /// The request body as JSON (YAML is accepted where kubectl or a client may send it).
    func decodeBody(_ request: HttpRequest) throws(ApiError) -> JSON {
        let contentType = request.headers.first(name: "Content-Type") ?? "application/json"
        if contentType.contains("application/vnd.kubernetes.protobuf") {
            do { return try KubernetesProtobuf.decode(request.body) } catch {
                throw ApiError(code: 415, reason: "UnsupportedMediaType", message: error.description)
            }
        }
        if contentType.contains("protobuf") || contentType.contains("cbor") {
            throw ApiError(code: 415, reason: "UnsupportedMediaType",
                           message: "the body of the request was in an unknown format - accepted media types include: "
                            + "application/json, application/yaml")
        }
        let looksLikeJSON = request.body.first { ![0x20, 0x0A, 0x0D, 0x09].contains($0) }.map {
            $0 == UInt8(ascii: "{") || $0 == UInt8(ascii: "[")
        } ?? false
        if contentType.contains("yaml") && !looksLikeJSON {
            do {
                guard let node = try Parser(yaml: String(decoding: request.body, as: UTF8.self)).nextRoot() else {
                    throw ApiError.badRequest("the request body is empty")
                }
                return YAMLToJSON.convert(node)
            } catch let error as ApiError {
                throw error
            } catch {
                throw ApiError.badRequest("error decoding YAML: \(error)")
            }
        }
        do {
            return try JSON.parse(request.body)
        } catch {
            throw ApiError.badRequest("couldn't get version/kind; json parse error: \(error.description)")
        }
    }

    // MARK: - create

    func create(_ target: RequestTarget, _ request: HttpRequest) throws(ApiError) -> HttpReply {
        guard target.subresource == nil else { throw ApiError.methodNotAllowed("create is not allowed on a subresource") }
        let options = WriteOptions(request)
        var object = try decodeBody(request)
        guard case .object = object else { throw ApiError.badRequest("the request body must be a JSON object") }
        try checkKind(object, target)
        if target.resource.namespaced {
            let namespace = target.namespace ?? "default"
            if let given = object[path: ["metadata", "namespace"]]?.stringValue, !given.isEmpty, given != namespace {
                throw ApiError.badRequest("the namespace of the provided object does not match the namespace sent on the request")
            }
            object[path: ["metadata", "namespace"]] = .string(namespace)
        }
        var name = object[path: ["metadata", "name"]]?.stringValue ?? ""
        if name.isEmpty, let prefix = object[path: ["metadata", "generateName"]]?.stringValue, !prefix.isEmpty {
            name = prefix + Self.randomSuffix()
            object[path: ["metadata", "name"]] = .string(name)
        }
        var target = target
        target.name = name
        var warnings: [String] = []
        let stored = try store.modify(target.resource.storageKey, namespace: target.namespace, name: name) {
            current, reader throws(ApiError) in
            guard current == nil else { throw ApiError.alreadyExists(target.resource, name: name) }
            try checkNamespace(target, reader: reader)
            let admitted = try admit(object, old: nil, target, options, warnings: &warnings)
            return options.dryRun ? .unchanged : .put(admitted.object)
        }
        if options.dryRun {
            var preview = object
            preview[path: ["metadata", "uid"]] = .string(UUID().uuidString.lowercased())
            return Self.reply(json: present(preview, target), status: .created, warnings: warnings)
        }
        guard let stored else { throw ApiError(code: 500, reason: "InternalError", message: "create did not store") }
        afterWrite(target, stored: stored)
        return Self.reply(json: present(stored, target), status: .created, warnings: warnings)
    }

    static func randomSuffix() -> String {
        let alphabet = Array("bcdfghjklmnpqrstvwxz2456789")
        return String((0..<5).map { _ in alphabet.randomElement()! })
    }

    private func checkKind(_ object: JSON, _ target: RequestTarget) throws(ApiError) {
        if let kind = object["kind"]?.stringValue, !kind.isEmpty, kind != target.resource.kind {
            throw ApiError.badRequest("the kind in the data (\(kind)) does not match the expected kind (\(target.resource.kind))")
        }
        if let apiVersion = object["apiVersion"]?.stringValue, !apiVersion.isEmpty,
           !target.resource.servedVersions.map({ target.resource.apiVersion($0) }).contains(apiVersion) {
            throw ApiError.badRequest(
                "the API version in the data (\(apiVersion)) does not match the expected API version (\(target.apiVersion))")
        }
    }

    private func checkNamespace(_ target: RequestTarget, reader: ObjectStore.StoreReader) throws(ApiError) {
        guard target.resource.namespaced, let namespace = target.namespace else { return }
        guard let record = reader.get("namespaces", namespace: nil, name: namespace) else {
            throw ApiError.namespaceNotFound(namespace)
        }
        if record[path: ["metadata", "deletionTimestamp"]] != nil {
            throw ApiError.forbidden(
                "\(target.resource.qualifiedResource) \"\(target.name ?? "")\" is forbidden: unable to create new content "
                    + "in namespace \(namespace) because it is being terminated")
        }
    }

    // MARK: - update

    func update(_ target: RequestTarget, _ request: HttpRequest) throws(ApiError) -> HttpReply {
        let options = WriteOptions(request)
        let body = try decodeBody(request)
        guard case .object = body else { throw ApiError.badRequest("the request body must be a JSON object") }
        let name = target.name!
        if target.subresource != "scale" {
            try checkKind(body, target)
            if let given = body[path: ["metadata", "name"]]?.stringValue, !given.isEmpty, given != name {
                throw ApiError.badRequest("the name of the object (\(given)) does not match the name on the URL (\(name))")
            }
        }
        var warnings: [String] = []
        let stored = try store.modify(target.resource.storageKey, namespace: target.namespace, name: name) {
            current, _ throws(ApiError) in
            guard let current else { throw ApiError.notFound(target.resource, name: name) }
            try checkPrecondition(body, current: current, target)
            var next = body
            if target.subresource == "scale" {
                next = current
                next[path: target.resource.scale!.specReplicas] = body[path: ["spec", "replicas"]] ?? 0
            }
            return try decideUpdate(next, current: current, target, options, warnings: &warnings)
        }
        guard let stored else { return Self.reply(json: [:]) }
        afterWrite(target, stored: stored)
        if target.subresource == "scale" { return Self.reply(json: scale(of: stored, target.resource)) }
        return Self.reply(json: present(stored, target), warnings: warnings)
    }

    private func checkPrecondition(_ body: JSON, current: JSON, _ target: RequestTarget) throws(ApiError) {
        if let expected = body[path: ["metadata", "resourceVersion"]]?.stringValue, !expected.isEmpty,
           expected != current[path: ["metadata", "resourceVersion"]]?.stringValue {
            throw ApiError.conflict(target.resource, name: target.name ?? "")
        }
    }

    /// Admits an update and decides what to store: nothing when nothing changed (no new resourceVersion, as a
    /// real server does), removal when the last finalizer of a deleted object went.
    private func decideUpdate(
        _ next: JSON, current: JSON, _ target: RequestTarget, _ options: WriteOptions, trackFields: Bool = true,
        warnings: inout [String]
    ) throws(ApiError) -> Mutation {
        let admitted = try admit(next, old: current, target, options, trackFields: trackFields, warnings: &warnings)
        if !admitted.changed || options.dryRun { return .unchanged }
        var object = admitted.object
        if object[path: ["metadata", "deletionTimestamp"]] != nil,
           (object[path: ["metadata", "finalizers"]]?.arrayValue ?? []).isEmpty,
           target.resource.storageKey != "namespaces" {
            object[path: ["metadata", "finalizers"]] = nil
            return .delete(object)
        }
        return .put(object)
    }

    // MARK: - patch

    enum PatchKind {
        case json, merge, strategic, apply

        init(contentType: String) throws(ApiError) {
            let type = contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
            switch type {
            case "application/json-patch+json": self = .json
            case "application/merge-patch+json": self = .merge
            case "application/strategic-merge-patch+json": self = .strategic
            case "application/apply-patch+yaml": self = .apply
            default: throw ApiError.unsupportedMediaType(type)
            }
        }
    }

    func patch(_ target: RequestTarget, _ request: HttpRequest) throws(ApiError) -> HttpReply {
        let kind = try PatchKind(contentType: request.headers.first(name: "Content-Type") ?? "")
        if kind == .strategic, target.resource.strategicShape == nil {
            throw ApiError(
                code: 415, reason: "UnsupportedMediaType",
                message: "the body of the request was in an unknown format - accepted media types include: "
                    + "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml")
        }
        let options = WriteOptions(request)
        if kind == .apply, request.query["fieldManager"].map({ $0.isEmpty }) ?? true {
            throw ApiError(code: 422, reason: "Invalid",
                           message: "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch")
        }
        let patchDocument = try decodeBody(request)
        let name = target.name!
        var warnings: [String] = []
        var created = false
        let stored = try store.modify(target.resource.storageKey, namespace: target.namespace, name: name) {
            current, reader throws(ApiError) in
            guard let current else {
                guard kind == .apply, target.subresource == nil else { throw ApiError.notFound(target.resource, name: name) }
                try checkNamespace(target, reader: reader)
                created = true
                let config = try applyConfig(patchDocument, target)
                let applied = try runApply(config, live: nil, target, options)
                let admitted = try admit(applied, old: nil, target, options, trackFields: false, warnings: &warnings)
                return options.dryRun ? .unchanged : .put(admitted.object)
            }
            var base = present(current, target)
            if target.subresource == "scale" { base = scale(of: current, target.resource) }
            var patched: JSON
            switch kind {
            case .merge:
                guard case .object = patchDocument else { throw ApiError.badRequest("merge patch must be a JSON object") }
                patched = MergePatch.apply(patchDocument, to: base)
            case .json:
                do throws(PatchError) { patched = try JSONPatch.apply(patchDocument, to: base) } catch {
                    throw ApiError(code: 422, reason: "Invalid", message: error.message)
                }
            case .strategic:
                do throws(PatchError) { patched = try StrategicMergePatch.apply(patchDocument, to: base, shape: target.resource.strategicShape!) }
                catch { throw ApiError(code: 422, reason: "Invalid", message: error.message) }
            case .apply:
                let config = try applyConfig(patchDocument, target)
                patched = try runApply(config, live: base, target, options)
            }
            try checkPrecondition(patched, current: current, target)
            if target.subresource == "scale" {
                var next = current
                next[path: target.resource.scale!.specReplicas] = patched[path: ["spec", "replicas"]] ?? 0
                patched = next
            }
            return try decideUpdate(patched, current: current, target, options, trackFields: kind != .apply,
                                    warnings: &warnings)
        }
        guard let stored else { return Self.reply(json: [:]) }
        afterWrite(target, stored: stored)
        if target.subresource == "scale" { return Self.reply(json: scale(of: stored, target.resource)) }
        return Self.reply(json: present(stored, target), status: created ? .created : .ok, warnings: warnings)
    }

    private func applyConfig(_ document: JSON, _ target: RequestTarget) throws(ApiError) -> JSON {
        guard case .object = document else { throw ApiError.badRequest("apply patch must be an object") }
        try checkKind(document, target)
        if let name = document[path: ["metadata", "name"]]?.stringValue, name != target.name {
            throw ApiError.badRequest("the name of the object (\(name)) does not match the name on the URL (\(target.name ?? ""))")
        }
        var config = document
        if target.resource.storageKey == "secrets" { config = Self.foldStringData(config) }
        // Server-side apply types the configuration against the schema first: an unknown field fails it.
        if let schema = target.resource.schema {
            let unknown = schema.prune(config).prunedPaths.map { ".\($0): field not declared in schema" }
            if !unknown.isEmpty {
                let object = "\(target.namespace.map { "\($0)/" } ?? "")\(target.name ?? ""); \(target.apiVersion), Kind=\(target.resource.kind)"
                let reasons = unknown.count == 1 ? unknown[0] : "errors:\n  " + unknown.joined(separator: "\n  ")
                throw ApiError.badRequest("failed to create typed patch object (\(object)): \(reasons)")
            }
        }
        return config
    }

    private func runApply(_ config: JSON, live: JSON?, _ target: RequestTarget, _ options: WriteOptions) throws(ApiError) -> JSON {
        do {
            var applied = try ServerSideApply.apply(
                config: config, to: live, manager: options.manager, apiVersion: target.apiVersion, now: Self.now(),
                force: options.force, shape: target.resource.applyShape)
            if live == nil {
                applied[path: ["metadata", "name"]] = .string(target.name ?? "")
                if let namespace = target.namespace { applied[path: ["metadata", "namespace"]] = .string(namespace) }
            }
            return applied
        } catch {
            throw ApiError.conflict(target.resource, name: target.name ?? "", because: error.message)
        }
    }

    // MARK: - delete

    func delete(_ target: RequestTarget, _ request: HttpRequest) throws(ApiError) -> HttpReply {
        guard target.subresource == nil else { throw ApiError.methodNotAllowed("delete is not allowed on a subresource") }
        let options = try deleteOptions(request)
        let (object, removed) = try deleteObject(target, name: target.name!, options: options)
        // A real server answers 202 with the object while finalizers hold it, and for most built-ins a Success
        // Status once it is gone (custom resources and pods return the deleted object).
        if !removed { return Self.reply(json: present(object, target), status: .accepted) }
        if target.resource.schema != nil || target.resource.storageKey == "pods" {
            return Self.reply(json: present(object, target))
        }
        var details = ApiError.details(target.resource, name: target.name!)
        details["uid"] = object[path: ["metadata", "uid"]]
        return Self.reply(json: ["kind": "Status", "apiVersion": "v1", "metadata": [:], "status": "Success", "details": details])
    }

    struct DeleteOptions {
        enum Propagation: String { case background = "Background", foreground = "Foreground", orphan = "Orphan" }
        var resourceVersion: String?
        var uid: String?
        var dryRun: Bool
        var propagation: Propagation = .background
    }

    private func deleteOptions(_ request: HttpRequest) throws(ApiError) -> DeleteOptions {
        let body = request.body.isEmpty ? JSON.object([:]) : try decodeBody(request)
        let dryRun = request.query["dryRun"] == "All" || (body["dryRun"]?.arrayValue?.contains("All") ?? false)
        var propagation = DeleteOptions.Propagation.background
        if body["orphanDependents"]?.boolValue == true { propagation = .orphan }
        if let policy = request.query["propagationPolicy"] ?? body["propagationPolicy"]?.stringValue {
            guard let parsed = DeleteOptions.Propagation(rawValue: policy) else {
                throw ApiError.badRequest("DeleteOptions.meta.k8s.io \"\" is invalid: propagationPolicy: Unsupported value: "
                    + "\"\(policy)\": supported values: \"Foreground\", \"Background\", \"Orphan\"")
            }
            propagation = parsed
        }
        return DeleteOptions(
            resourceVersion: body[path: ["preconditions", "resourceVersion"]]?.stringValue,
            uid: body[path: ["preconditions", "uid"]]?.stringValue, dryRun: dryRun, propagation: propagation)
    }

    /// Deletes now, or marks for deletion when finalizers (or namespace cleanup, or foreground propagation) must
    /// run first. Returns the object's last state and whether it is gone.
    @discardableResult
    func deleteObject(_ target: RequestTarget, name: String, options: DeleteOptions) throws(ApiError) -> (JSON, removed: Bool) {
        if target.resource.storageKey == "namespaces", ["default", "kube-system", "kube-public"].contains(name) {
            throw ApiError.forbidden("namespaces \"\(name)\" is forbidden: this namespace may not be deleted")
        }
        var removed = false
        let result = try store.modify(target.resource.storageKey, namespace: target.namespace, name: name) {
            current, _ throws(ApiError) in
            guard var object = current else { throw ApiError.notFound(target.resource, name: name) }
            let recordVersion = object[path: ["metadata", "resourceVersion"]]?.stringValue ?? ""
            if let expected = options.resourceVersion, expected != recordVersion {
                throw ApiError.conflict(target.resource, name: name, because:
                    "Operation cannot be fulfilled on \(target.resource.qualifiedResource) \"\(name)\": the ResourceVersion "
                    + "in the precondition (\(expected)) does not match the ResourceVersion in record (\(recordVersion)). "
                    + "The object might have been modified")
            }
            if let uid = options.uid, uid != object[path: ["metadata", "uid"]]?.stringValue {
                throw ApiError.conflict(target.resource, name: name, because:
                    "Operation cannot be fulfilled on \(target.resource.qualifiedResource) \"\(name)\": Precondition "
                    + "failed: UID in precondition: \(uid), UID in object meta: \(object[path: ["metadata", "uid"]]?.stringValue ?? "")")
            }
            if options.dryRun { return .unchanged }
            var finalizers = object[path: ["metadata", "finalizers"]]?.arrayValue ?? []
            if options.propagation == .foreground, !finalizers.contains("foregroundDeletion") {
                finalizers.append("foregroundDeletion")
            }
            let isNamespace = target.resource.storageKey == "namespaces"
            if finalizers.isEmpty && !isNamespace {
                removed = true
                return .delete(object)
            }
            if object[path: ["metadata", "deletionTimestamp"]] != nil { return .unchanged }
            object[path: ["metadata", "deletionTimestamp"]] = .string(Self.now())
            object[path: ["metadata", "deletionGracePeriodSeconds"]] = 0
            object[path: ["metadata", "finalizers"]] = finalizers.isEmpty ? nil : .array(finalizers)
            object[path: ["metadata", "generation"]] = .int((object[path: ["metadata", "generation"]]?.intValue ?? 0) + 1)
            if isNamespace { object[path: ["status", "phase"]] = "Terminating" }
            return .put(object)
        }
        guard let result else { throw ApiError.notFound(target.resource, name: name) }
        if options.propagation == .orphan, let uid = result[path: ["metadata", "uid"]]?.stringValue {
            releaseDependents(of: uid)
        }
        if removed { afterDelete(target, deleted: result) }
        onDelete()
        return (result, removed)
    }

    /// Orphan propagation: dependents lose their reference to the owner and stay.
    private func releaseDependents(of ownerUID: String) {
        for (storageKey, object) in store.allObjects() {
            let references = object[path: ["metadata", "ownerReferences"]]?.arrayValue ?? []
            guard references.contains(where: { $0["uid"]?.stringValue == ownerUID }) else { continue }
            _ = try? store.modify(storageKey, namespace: object[path: ["metadata", "namespace"]]?.stringValue,
                                  name: object[path: ["metadata", "name"]]?.stringValue ?? "") { current, _ in
                guard var current else { return .unchanged }
                let kept = (current[path: ["metadata", "ownerReferences"]]?.arrayValue ?? [])
                    .filter { $0["uid"]?.stringValue != ownerUID }
                current[path: ["metadata", "ownerReferences"]] = kept.isEmpty ? nil : .array(kept)
                return .put(current)
            }
        }
    }

    func deleteCollection(_ target: RequestTarget, _ request: HttpRequest) throws(ApiError) -> HttpReply {
        let selection = try selection(target, request.query)
        let options = try deleteOptions(request)
        let resource = target.resource
        let page = try store.list(resource.storageKey, namespace: target.namespace) { selection.matches($0, resource) }
        var deleted: [JSON] = []
        for object in page.items {
            var objectTarget = target
            objectTarget.namespace = object[path: ["metadata", "namespace"]]?.stringValue
            let name = object[path: ["metadata", "name"]]?.stringValue ?? ""
            if let (result, _) = try? deleteObject(objectTarget, name: name, options: options) {
                deleted.append(present(result, objectTarget))
            }
        }
        return Self.reply(json: [
            "kind": .string(resource.listKind), "apiVersion": .string(target.apiVersion),
            "metadata": ["resourceVersion": .string(String(store.currentResourceVersion))], "items": .array(deleted),
        ])
    }

    // MARK: - After a write

    func afterWrite(_ target: RequestTarget, stored: JSON) {
        if target.resource.storageKey == CustomResourceDefinitions.storageKey {
            customResources.served(stored)
        }
        if stored[path: ["metadata", "deletionTimestamp"]] != nil { onDelete() }
    }

    func afterDelete(_ target: RequestTarget, deleted: JSON) {
        if target.resource.storageKey == CustomResourceDefinitions.storageKey {
            customResources.withdrawn(deleted, store: store)
        }
    }
}

/// Yams node → JSON, keeping YAML's scalar typing (plain `3` is an integer, `"3"` a string).
enum YAMLToJSON {
    static func convert(_ node: Node) -> JSON {
        switch node {
        case .scalar(let scalar):
            if scalar.style != .plain { return .string(scalar.string) }
            if let value = Bool.construct(from: scalar) { return .bool(value) }
            if let value = Int64(scalar.string) { return .int(value) }
            if scalar.string == "null" || scalar.string == "~" || scalar.string.isEmpty { return .null }
            if let value = Double.construct(from: scalar), scalar.string.contains(where: { $0.isNumber }) {
                return .double(value)
            }
            return .string(scalar.string)
        case .mapping(let mapping):
            var fields: [String: JSON] = [:]
            for (key, value) in mapping { fields[key.string ?? ""] = convert(value) }
            return .object(fields)
        case .sequence(let sequence):
            return .array(sequence.map(convert))
        case .alias:
            // Anchors and aliases do not occur in Kubernetes manifests worth supporting here.
            return .null
        }
    }
}
