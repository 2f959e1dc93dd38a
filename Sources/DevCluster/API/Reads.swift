import Foundation
import NIOConcurrencyHelpers
import NIOCore

/// get, list (selectors, paging, Table) and watch.
extension ApiServer {
    func get(_ target: RequestTarget, format: ResponseFormat) throws(ApiError) -> HttpReply {
        guard let object = store.get(target.resource.storageKey, namespace: target.namespace, name: target.name!) else {
            throw ApiError.notFound(target.resource, name: target.name!)
        }
        if target.subresource == "scale" { return Self.reply(json: scale(of: object, target.resource)) }
        let presented = present(object, target)
        if format.table {
            return Self.reply(json: table(target.resource, objects: [presented], resourceVersion: nil, format: format))
        }
        return Self.reply(json: presented)
    }

    /// The object as the requested version shows it.
    func present(_ object: JSON, _ target: RequestTarget) -> JSON {
        var object = target.resource.storage.map { $0.fromStorage(object) } ?? object
        object["apiVersion"] = .string(target.apiVersion)
        object["kind"] = .string(target.resource.kind)
        return object
    }

    struct Selection {
        var labels: LabelSelector?
        var fields: FieldSelector?

        func matches(_ object: JSON, _ resource: ResourceType) -> Bool {
            if let labels {
                let values = (object[path: ["metadata", "labels"]]?.objectValue ?? [:]).compactMapValues(\.stringValue)
                if !labels.matches(values) { return false }
            }
            if let fields, !fields.matches({ FieldLabels.value(of: $0, in: object, resource) }) { return false }
            return true
        }
    }

    func selection(_ target: RequestTarget, _ query: [String: String]) throws(ApiError) -> Selection {
        var selection = Selection()
        do {
            if let text = query["labelSelector"], !text.isEmpty { selection.labels = try LabelSelector.parse(text) }
            if let text = query["fieldSelector"], !text.isEmpty {
                let fields = try FieldSelector.parse(text)
                for requirement in fields.requirements where !FieldLabels.supported(requirement.field, target.resource) {
                    throw ApiError.badRequest("field label not supported: \(requirement.field)")
                }
                selection.fields = fields
            }
        } catch let error as SelectorError {
            throw ApiError.badRequest(error.message)
        } catch let error as ApiError {
            throw error
        } catch {
            throw ApiError.badRequest("\(error)")
        }
        return selection
    }

    func list(_ target: RequestTarget, _ request: HttpRequest, format: ResponseFormat) throws(ApiError) -> HttpReply {
        let selection = try selection(target, request.query)
        let limit = request.query["limit"].flatMap(Int.init).flatMap { $0 > 0 ? $0 : nil }
        var startAfter: String?
        var atVersion: Int64?
        if let token = request.query["continue"], !token.isEmpty {
            let position = try ContinueToken.decode(token)
            (startAfter, atVersion) = (position.startAfter, position.resourceVersion)
        }
        let resource = target.resource
        let page = try store.list(
            resource.storageKey, namespace: target.namespace, startAfter: startAfter, limit: limit, atVersion: atVersion
        ) { selection.matches($0, resource) }
        let items = page.items.map { present($0, target) }
        var metadata: JSON = ["resourceVersion": .string(String(page.resourceVersion))]
        if let last = page.continueAfter {
            metadata["continue"] = .string(ContinueToken.encode(after: last, resourceVersion: page.resourceVersion))
            metadata["remainingItemCount"] = .int(Int64(page.remaining))
        }
        if format.table {
            var table = table(resource, objects: items, resourceVersion: page.resourceVersion, format: format)
            table["metadata"] = metadata
            return Self.reply(json: table)
        }
        return Self.reply(json: [
            "kind": .string(resource.listKind), "apiVersion": .string(target.apiVersion), "metadata": metadata,
            "items": .array(items),
        ])
    }

    func watch(_ target: RequestTarget, _ request: HttpRequest, format: ResponseFormat) throws(ApiError) -> HttpReply {
        let selection = try selection(target, request.query)
        let resource = target.resource
        let query = request.query
        let filter = WatchFilter(storageKey: resource.storageKey, namespace: target.namespace) {
            selection.matches($0, resource)
        }
        var fromVersion: Int64?
        if let text = query["resourceVersion"], !text.isEmpty, text != "0" {
            guard let version = Int64(text) else {
                throw ApiError.badRequest("invalid resource version \(Self.quoted(text))")
            }
            fromVersion = version
        }
        let sendInitialEvents = Self.flag(query["sendInitialEvents"])
        if sendInitialEvents { fromVersion = nil }
        let startVersion = fromVersion
        let bookmarks = Self.flag(query["allowWatchBookmarks"])
        let timeout = query["timeoutSeconds"].flatMap(Int64.init).map { TimeAmount.seconds($0) }
            ?? .seconds(Int64.random(in: 1800...3600))
        let bookmarkInterval = TimeAmount.nanoseconds(Int64(bookmarkInterval.components.seconds) * 1_000_000_000
            + bookmarkInterval.components.attoseconds / 1_000_000_000)
        let store = store
        let encode: @Sendable (String, JSON) -> [UInt8] = { [self] type, object in
            var out = Array("{\"type\":\"\(type)\",\"object\":".utf8)
            let presented = type == "BOOKMARK" || type == "ERROR" ? object : present(object, target)
            if format.table, type != "BOOKMARK", type != "ERROR" {
                table(resource, objects: [presented], resourceVersion: nil, format: format).write(into: &out)
            } else {
                presented.write(into: &out)
            }
            out.append(contentsOf: Array("}\n".utf8))
            return out
        }
        // Most watchers see stored objects as they are: they share one encoding per event.
        let encodeShared: @Sendable (String, SharedEncoding) -> [UInt8] = { type, shared in
            let object = shared.object
            guard !format.table, resource.storage == nil, object["apiVersion"]?.stringValue == target.apiVersion,
                  object["kind"]?.stringValue == resource.kind
            else { return encode(type, object) }
            return Array("{\"type\":\"\(type)\",\"object\":".utf8) + shared.bytes + Array("}\n".utf8)
        }
        let bookmark: @Sendable (Int64, Bool) -> [UInt8] = { version, initialEventsEnd in
            var metadata: JSON = ["resourceVersion": .string(String(version))]
            if initialEventsEnd { metadata["annotations"] = ["k8s.io/initial-events-end": "true"] }
            return encode("BOOKMARK", [
                "kind": .string(resource.kind), "apiVersion": .string(target.apiVersion), "metadata": metadata,
            ])
        }
        return .stream(status: .ok, headers: ["Content-Type": "application/json"]) { stream in
            let handle: WatchHandle
            let currentVersion: Int64
            do throws(ApiError) {
                (handle, currentVersion) = try store.watch(filter, fromVersion: startVersion) { kind, shared in
                    stream.write { encodeShared(kind.rawValue, shared) }
                }
            } catch {
                // Kubernetes answers a too-old resourceVersion inside the watch stream (HTTP 200, an ERROR event).
                stream.write(encode("ERROR", error.status))
                stream.finish()
                return {}
            }
            if sendInitialEvents { stream.write(bookmark(currentVersion, true)) }
            let loop = stream.eventLoop
            // A bookmark never overtakes an event: it goes through the same queue, and the version it carries is
            // read after every event up to it was queued (events are queued under the store's lock).
            let ticker: RepeatedTask? = bookmarks
                ? loop.scheduleRepeatedTask(initialDelay: bookmarkInterval, delay: bookmarkInterval) { _ in
                    stream.write(bookmark(store.currentResourceVersion, false))
                } : nil
            let ended = NIOLockedValueBox(false)
            let end: @Sendable () -> Void = {
                guard ended.withLockedValue({ done in defer { done = true }; return !done }) else { return }
                store.stopWatching(handle)
                ticker?.cancel()
            }
            loop.scheduleTask(in: timeout) {
                end()
                // kube-apiserver sends a last bookmark before a timed-out watch ends, so the client resumes from it.
                if bookmarks { stream.write(bookmark(store.currentResourceVersion, false)) }
                stream.finish()
            }
            return end
        }
    }

    func scale(of object: JSON, _ resource: ResourceType) -> JSON {
        let paths = resource.scale!
        var status: JSON = ["replicas": object[path: paths.statusReplicas] ?? 0]
        if let selectorPath = paths.labelSelector, let selector = object[path: selectorPath] {
            status["selector"] = selector
        } else if let matchLabels = object[path: ["spec", "selector", "matchLabels"]]?.objectValue {
            status["selector"] = .string(matchLabels.keys.sorted().map { "\($0)=\(matchLabels[$0]?.stringValue ?? "")" }
                .joined(separator: ","))
        }
        let metadata = object["metadata"] ?? [:]
        var scaleMetadata: JSON = [:]
        for key in ["name", "namespace", "uid", "resourceVersion", "creationTimestamp"] {
            if let value = metadata[key] { scaleMetadata[key] = value }
        }
        return [
            "kind": "Scale", "apiVersion": "autoscaling/v1", "metadata": scaleMetadata,
            "spec": ["replicas": object[path: paths.specReplicas] ?? 0], "status": status,
        ]
    }
}

/// `continue` tokens: the first page's resourceVersion and where the previous page ended.
enum ContinueToken {
    static func encode(after key: String, resourceVersion: Int64) -> String {
        let json: JSON = ["v": "meta.k8s.io/v1", "rv": .int(resourceVersion), "start": .string(key)]
        return Data(json.serialized()).base64EncodedString()
    }

    static func decode(_ token: String) throws(ApiError) -> (startAfter: String, resourceVersion: Int64) {
        guard let data = Data(base64Encoded: token), let json = try? JSON.parse([UInt8](data)),
              let key = json["start"]?.stringValue, let version = json["rv"]?.intValue
        else { throw ApiError.badRequest("continue key is not valid: illegal base64 data") }
        return (key, version)
    }
}

/// The field selectors each resource supports (a real server rejects the others with "field label not supported").
enum FieldLabels {
    static func supported(_ field: String, _ resource: ResourceType) -> Bool {
        if field == "metadata.name" || field == "metadata.namespace" { return true }
        switch (resource.group, resource.plural) {
        case ("", "pods"):
            return ["spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
                    "spec.hostNetwork", "status.phase", "status.podIP", "status.nominatedNodeName"].contains(field)
        case ("", "events"):
            return field.hasPrefix("involvedObject.") || ["reason", "reportingComponent", "source", "type"].contains(field)
        case ("", "secrets"): return field == "type"
        case ("", "namespaces"): return field == "status.phase"
        case ("apps", "replicasets"): return field == "status.replicas"
        default: return false
        }
    }

    static func value(of field: String, in object: JSON, _ resource: ResourceType) -> String? {
        if field == "metadata.namespace" { return object[path: ["metadata", "namespace"]]?.stringValue ?? "" }
        if field == "source" { return object[path: ["source", "component"]]?.stringValue ?? "" }
        let value = object[path: field.split(separator: ".").map(String.init)]
        switch value {
        case .string(let text): return text
        case .bool(let flag): return flag ? "true" : "false"
        case .int(let number): return String(number)
        case nil, .null: return ""
        default: return value?.text
        }
    }
}
