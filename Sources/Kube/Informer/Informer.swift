import Foundation
import Logging
import Synchronization

/// An object with Kubernetes metadata, as informers cache it.
public protocol KubeObject: Sendable {
    var metadata: ObjectMeta { get }
}

extension KubeObject {
    /// `namespace/name`, or `name` for cluster-scoped objects: the informer cache's and the work queues' key.
    public var cacheKey: String { objectKey(namespace: metadata.namespace, name: metadata.name ?? "") }
}

/// `namespace/name`, or `name` for cluster-scoped objects.
public func objectKey(namespace: String?, name: String) -> String {
    namespace.map { "\($0)/\(name)" } ?? name
}

extension Pod: KubeObject {}
extension Secret: KubeObject {}
extension Lease: KubeObject {}
extension ConfigMap: KubeObject {}
extension Event: KubeObject {}

/// What an informer saw change in its cache.
public enum InformerChange<Object: Sendable>: Sendable {
    /// Added or modified; `old` is the cached state before (nil when new).
    case upserted(old: Object?, new: Object)
    /// Removed, with its last known state (a watch DELETED event, or missing from a relist).
    case deleted(Object)
    /// A full list (the first, or a relist after 410 Gone) is in the cache.
    case synced
}

/// client-go's informer, small: lists a collection into a read cache, then watches it from the list's
/// resourceVersion with bookmarks, resumes each new watch from the last version seen, lists again when the server
/// says that version is gone (410), and reconnects with backoff on any other failure. Changes reach `onChange` in
/// the order the server sent them (to the handler given to `run`); a handler should only enqueue keys.
public final class Informer<Object: KubeObject & Decodable>: Sendable {
    public let resource: ResourceDescriptor
    public let namespace: String?
    public let labelSelector: String?

    private let client: KubeClient
    private let logger: Logger
    private let pageSize: Int
    private let transform: @Sendable (Object) -> Object
    private let state = Mutex(State())

    private struct State {
        var objects: [String: Object] = [:]
        var synced = false
        var relists = 0
        var watchRestarts = 0
    }

    /// - Parameters:
    ///   - namespace: nil watches every namespace.
    ///   - transform: applied to each object before it is cached, e.g. to drop a Secret's data the caller never reads.
    public init(
        client: KubeClient, resource: ResourceDescriptor, namespace: String? = nil, labelSelector: String? = nil,
        pageSize: Int = 500, logger: Logger, transform: @escaping @Sendable (Object) -> Object = { $0 }
    ) {
        self.client = client
        self.resource = resource
        self.namespace = namespace
        self.labelSelector = labelSelector
        self.pageSize = pageSize
        self.logger = logger
        self.transform = transform
    }

    // MARK: - The cache

    public func get(_ key: String) -> Object? { state.withLock { $0.objects[key] } }

    public func get(namespace: String?, name: String) -> Object? { get(objectKey(namespace: namespace, name: name)) }

    public var objects: [Object] { state.withLock { Array($0.objects.values) } }

    public var count: Int { state.withLock { $0.objects.count } }

    /// The first list is in the cache.
    public var hasSynced: Bool { state.withLock { $0.synced } }

    /// How often the informer listed again (410) and started a new watch; for tests and logs.
    public var restarts: (relists: Int, watches: Int) { state.withLock { ($0.relists, $0.watchRestarts) } }

    /// Puts the object a write returned into the cache at once (the watch event follows later), so the next read
    /// does not act on the state before the write. Ignored when the cache already holds a newer version.
    public func record(written object: Object) {
        let object = transform(object)
        state.withLock { state in
            let key = object.cacheKey
            if let cached = state.objects[key], !Self.isNewer(object, than: cached) { return }
            state.objects[key] = object
        }
    }

    // MARK: - List and watch

    /// Runs until the task is cancelled, reporting each change of the cache to `onChange`.
    public func run(onChange: @Sendable (InformerChange<Object>) async -> Void) async {
        var resourceVersion: String?
        var backoff = Backoff()
        while !Task.isCancelled {
            do {
                if resourceVersion == nil {
                    resourceVersion = try await relist(onChange)
                    await onChange(.synced)
                }
                // The server ends a watch after its timeout; a random one spreads the reconnects of many clients.
                let events = client.watch(
                    resource, namespace: namespace, resourceVersion: resourceVersion, allowBookmarks: true,
                    timeoutSeconds: Int.random(in: 300...600), labelSelector: labelSelector, as: Object.self)
                for try await event in events {
                    resourceVersion = await apply(event, onChange) ?? resourceVersion
                    backoff.reset()
                }
                state.withLock { $0.watchRestarts += 1 }
            } catch let error as KubeError where error.isGone {
                logger.info("watch version expired; listing again", metadata: ["resource": "\(resource)"])
                resourceVersion = nil
                state.withLock { $0.relists += 1 }
            } catch {
                if Task.isCancelled { return }
                let delay = backoff.next()
                logger.warning("list/watch failed; retrying", metadata: [
                    "resource": "\(resource)", "error": "\(error)", "retryIn": "\(delay)",
                ])
                state.withLock { $0.watchRestarts += 1 }
                try? await Task.sleep(for: delay)
            }
        }
    }

    /// Lists every page into a fresh cache and reports the differences; returns the list's resourceVersion.
    private func relist(_ onChange: @Sendable (InformerChange<Object>) async -> Void) async throws -> String {
        var listed: [String: Object] = [:]
        var token: String?
        var version = ""
        repeat {
            let page = try await client.list(
                resource, namespace: namespace, labelSelector: labelSelector, limit: pageSize, continueToken: token,
                as: Object.self)
            for object in page.items.map(transform) { listed[object.cacheKey] = object }
            token = page.continueToken
            if version.isEmpty { version = page.resourceVersion }
        } while token != nil
        let previous = state.withLock { state in
            defer {
                state.objects = listed
                state.synced = true
            }
            return state.objects
        }
        for (key, object) in previous where listed[key] == nil { await onChange(.deleted(object)) }
        for (key, object) in listed where previous[key]?.metadata.resourceVersion != object.metadata.resourceVersion {
            await onChange(.upserted(old: previous[key], new: object))
        }
        return version
    }

    /// Applies one watch event to the cache; returns the version to resume from.
    private func apply(
        _ event: WatchEvent<Object>, _ onChange: @Sendable (InformerChange<Object>) async -> Void
    ) async -> String? {
        switch event {
        case .bookmark(let version):
            return version
        case .added(let object), .modified(let object):
            let object = transform(object)
            let old: Object?? = state.withLock { state in
                let key = object.cacheKey
                let cached = state.objects[key]
                // Already cached by `record(written:)` (or newer): nothing new to report.
                if let cached, !Self.isNewer(object, than: cached) { return .none }
                state.objects[key] = object
                return .some(cached)
            }
            if let old { await onChange(.upserted(old: old, new: object)) }
            return object.metadata.resourceVersion
        case .deleted(let object):
            let object = transform(object)
            let removed = state.withLock { $0.objects.removeValue(forKey: object.cacheKey) }
            if removed != nil { await onChange(.deleted(object)) }
            return object.metadata.resourceVersion
        }
    }

    /// Versions are opaque strings to clients, but every server in use (etcd's revisions, devcluster) makes them
    /// increasing integers; when one does not parse, the incoming object wins.
    static func isNewer(_ object: Object, than cached: Object) -> Bool {
        guard let incoming = object.metadata.resourceVersion.flatMap(UInt64.init),
              let current = cached.metadata.resourceVersion.flatMap(UInt64.init) else { return true }
        return incoming > current
    }
}

/// Reconnect delays: 200 ms doubling to 10 s, with jitter so many clients do not return in step.
struct Backoff {
    private var attempt = 0

    mutating func next() -> Duration {
        let base = min(0.2 * Double(1 << min(attempt, 6)), 10)
        attempt += 1
        return .milliseconds(Int(base * Double.random(in: 0.8...1.2) * 1000))
    }

    mutating func reset() { attempt = 0 }
}
