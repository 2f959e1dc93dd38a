import NIOConcurrencyHelpers

/// One change to one object, as watches deliver it and the journal records it.
public struct WatchEvent: Sendable {
    public enum Kind: String, Sendable { case added = "ADDED", modified = "MODIFIED", deleted = "DELETED" }
    public var kind: Kind
    public var storageKey: String
    public var object: JSON
    /// The object before the change (selector transitions turn MODIFIED into ADDED/DELETED for a watcher).
    public var previous: JSON?
    public var resourceVersion: Int64
}

/// A watcher's interest: which collection, namespace and objects.
public struct WatchFilter: Sendable {
    public var storageKey: String
    public var namespace: String?
    public var matches: @Sendable (JSON) -> Bool

    public init(storageKey: String, namespace: String?, matches: @escaping @Sendable (JSON) -> Bool) {
        self.storageKey = storageKey
        self.namespace = namespace
        self.matches = matches
    }

    func accepts(_ object: JSON) -> Bool {
        if let namespace, object[path: ["metadata", "namespace"]]?.stringValue != namespace { return false }
        return matches(object)
    }

    /// What this watcher sees of an event, if anything (Kubernetes' watch cache rules for selector transitions).
    func view(of event: WatchEvent) -> (WatchEvent.Kind, JSON)? {
        switch event.kind {
        case .added: return accepts(event.object) ? (.added, event.object) : nil
        case .deleted: return accepts(event.object) ? (.deleted, event.object) : nil
        case .modified:
            let now = accepts(event.object)
            let before = event.previous.map(accepts) ?? false
            switch (before, now) {
            case (true, true): return (.modified, event.object)
            case (false, true): return (.added, event.object)
            case (true, false): return (.deleted, event.object)
            case (false, false): return nil
            }
        }
    }
}

public struct WatchHandle: Sendable {
    let id: Int
    let storageKey: String
}

/// What a read-modify-write decides to do with one object.
public enum Mutation: Sendable {
    case put(JSON)
    /// Removes the object; the JSON is its final state as DELETED events carry it.
    case delete(JSON)
    case unchanged
}

/// All objects of all resources, one monotonic resourceVersion, a bounded event history for watches, and the
/// journal that makes them survive a restart. Every operation takes one lock: writes are short and watch
/// delivery only queues bytes on the watcher's channel.
public final class ObjectStore: @unchecked Sendable {
    private let lock = NIOLock()
    private var collections: [String: Collection] = [:]
    private var resourceVersion: Int64 = 0
    private var history: EventHistory
    private var watchers: [String: [Int: (WatchFilter, @Sendable (WatchEvent.Kind, SharedEncoding) -> Void)]] = [:]
    private var nextWatcherID = 0
    private let journal: Journal?

    public init(historyLimit: Int, journal: Journal? = nil) throws {
        self.journal = journal
        history = EventHistory(capacity: historyLimit)
        if let journal {
            let restored = try journal.load()
            collections = restored.collections.mapValues(Collection.init)
            resourceVersion = restored.resourceVersion
            for event in restored.recentEvents { history.append(event) }
            history.coversFrom = history.events.first?.resourceVersion ?? (resourceVersion + 1)
            try journal.compact(collections: collections.mapValues(\.objects), resourceVersion: resourceVersion,
                                recentEvents: history.events)
            // Called from `record`, with the lock held.
            journal.snapshotSource = { [unowned self] in (collections.mapValues(\.objects), resourceVersion, history.events) }
        } else {
            history.coversFrom = 1
        }
    }

    public static func key(namespace: String?, name: String) -> String { "\(namespace ?? "")/\(name)" }

    public var currentResourceVersion: Int64 { lock.withLock { resourceVersion } }

    public func get(_ storageKey: String, namespace: String?, name: String) -> JSON? {
        lock.withLock { collections[storageKey]?.objects[Self.key(namespace: namespace, name: name)] }
    }

    public struct ListPage: Sendable {
        public var items: [JSON]
        public var resourceVersion: Int64
        /// The key to continue after, when more items remain.
        public var continueAfter: String?
        public var remaining: Int
    }

    /// Objects in key order (namespace/name), after `startAfter`, at most `limit`. With `atVersion` (the pages
    /// after the first) the collection as it was at that version: later events are undone from the history, so
    /// every page comes from the first page's snapshot, as etcd serves them; 410 when history no longer reaches back.
    public func list(
        _ storageKey: String, namespace: String?, startAfter: String? = nil, limit: Int? = nil, atVersion: Int64? = nil,
        where matches: (JSON) -> Bool = { _ in true }
    ) throws(ApiError) -> ListPage {
        lock.lock()
        defer { lock.unlock() }
        let collection = collections[storageKey] ?? Collection()
        var objects = collection.objects
        var keys: [String]
        var listVersion = resourceVersion
        if let atVersion, atVersion < resourceVersion {
            guard atVersion >= history.coversFrom - 1 else { throw ApiError.expired(Self.tooOldContinue) }
            history.forEachReversed(after: atVersion) { event in
                guard event.storageKey == storageKey else { return }
                objects[Journal.key(of: event.object)] = event.kind == .added ? nil : event.previous
            }
            keys = objects.keys.sorted()
            listVersion = atVersion
        } else {
            keys = collection.sortedKeys
        }
        // Keys sort by namespace then name: a namespace and a continue position are both ranges of the index.
        var start = keys.startIndex
        if let namespace { start = keys.firstIndex(atLeast: "\(namespace)/") }
        if let startAfter { start = max(start, keys.firstIndex(above: startAfter)) }
        let prefix = namespace.map { "\($0)/" }
        var items: [JSON] = []
        var lastScanned: String?
        var index = start
        while index < keys.endIndex {
            let key = keys[index]
            if let prefix, !key.hasPrefix(prefix) { break }
            if let limit, items.count >= limit { break }
            lastScanned = key
            if let object = objects[key], matches(object) { items.append(object) }
            index += 1
        }
        let more = index < keys.endIndex && (prefix.map { keys[index].hasPrefix($0) } ?? true)
        let remaining = more ? keys[index...].prefix { prefix.map($0.hasPrefix) ?? true }.count : 0
        return ListPage(items: items, resourceVersion: listVersion, continueAfter: more ? lastScanned : nil,
                        remaining: remaining)
    }

    static let tooOldContinue = "The provided continue parameter is too old to display a consistent list result. You "
        + "can start a new list without the continue parameter, or use the continue token in this response to retrieve "
        + "the remainder of the results. Continuing with the provided token results in an inconsistent list - objects "
        + "that were created, modified, or deleted between the time the first chunk was returned and now may show up in "
        + "the list."

    /// Every object of every collection (for the garbage collector and namespace cleanup).
    public func allObjects() -> [(storageKey: String, object: JSON)] {
        lock.withLock {
            collections.flatMap { storageKey, collection in collection.objects.values.map { (storageKey, $0) } }
        }
    }

    /// Atomically reads one object, lets `decide` choose a mutation, applies it and notifies watchers.
    /// `decide` gets a reader for other collections (e.g. to check that the namespace exists).
    @discardableResult
    public func modify(
        _ storageKey: String, namespace: String?, name: String,
        _ decide: (JSON?, StoreReader) throws(ApiError) -> Mutation
    ) throws(ApiError) -> JSON? {
        let key = Self.key(namespace: namespace, name: name)
        lock.lock()
        defer { lock.unlock() }
        let current = collections[storageKey]?.objects[key]
        let mutation = try decide(current, StoreReader(store: self))
        switch mutation {
        case .unchanged:
            return current
        case .put(var object):
            resourceVersion += 1
            object[path: ["metadata", "resourceVersion"]] = .string(String(resourceVersion))
            collections[storageKey, default: Collection()].put(object, key: key)
            record(WatchEvent(kind: current == nil ? .added : .modified, storageKey: storageKey, object: object,
                              previous: current, resourceVersion: resourceVersion))
            return object
        case .delete(var object):
            guard current != nil else { return nil }
            resourceVersion += 1
            object[path: ["metadata", "resourceVersion"]] = .string(String(resourceVersion))
            collections[storageKey]?.remove(key: key)
            record(WatchEvent(kind: .deleted, storageKey: storageKey, object: object, previous: current,
                              resourceVersion: resourceVersion))
            return object
        }
    }

    /// Read access to the store from inside `modify` (the lock is already held).
    public struct StoreReader {
        fileprivate let store: ObjectStore
        public func get(_ storageKey: String, namespace: String?, name: String) -> JSON? {
            store.collections[storageKey]?.objects[ObjectStore.key(namespace: namespace, name: name)]
        }
    }

    private func record(_ event: WatchEvent) {
        journal?.append(event)
        history.append(event)
        guard let interested = watchers[event.storageKey] else { return }
        // One encoding of the event's object, shared by every watcher that sees it unchanged.
        let shared = SharedEncoding(event.object)
        for (filter, deliver) in interested.values {
            if let (kind, _) = filter.view(of: event) { deliver(kind, shared) }
        }
    }

    /// Starts a watch. Without `fromVersion` the watcher first gets every matching object as ADDED (Kubernetes'
    /// "Get State and Start at Most Recent"); with one it gets every later event, or 410 when history no longer
    /// reaches back that far.
    public func watch(
        _ filter: WatchFilter, fromVersion: Int64?,
        deliver: @escaping @Sendable (WatchEvent.Kind, SharedEncoding) -> Void
    ) throws(ApiError) -> (WatchHandle, currentVersion: Int64) {
        lock.lock()
        defer { lock.unlock() }
        if let fromVersion {
            if fromVersion < history.coversFrom - 1 {
                throw ApiError.expired("too old resource version: \(fromVersion) (\(history.coversFrom - 1))")
            }
            history.forEach(after: fromVersion) { event in
                guard event.storageKey == filter.storageKey, let (kind, object) = filter.view(of: event) else { return }
                deliver(kind, SharedEncoding(object))
            }
        } else {
            let collection = collections[filter.storageKey] ?? Collection()
            for key in collection.sortedKeys {
                let object = collection.objects[key]!
                if filter.accepts(object) { deliver(.added, SharedEncoding(object)) }
            }
        }
        nextWatcherID += 1
        watchers[filter.storageKey, default: [:]][nextWatcherID] = (filter, deliver)
        return (WatchHandle(id: nextWatcherID, storageKey: filter.storageKey), resourceVersion)
    }

    public func stopWatching(_ handle: WatchHandle) {
        lock.withLock { _ = watchers[handle.storageKey]?.removeValue(forKey: handle.id) }
    }

    public var watcherCount: Int { lock.withLock { watchers.values.reduce(0) { $0 + $1.count } } }
}

/// The most recent events, oldest first, up to a capacity.
struct EventHistory {
    let capacity: Int
    private var ring: [WatchEvent] = []
    private var head = 0
    /// The oldest resourceVersion whose event is still held (or the next one to come when none were dropped).
    var coversFrom: Int64 = 1

    init(capacity: Int) { self.capacity = max(1, capacity) }

    mutating func append(_ event: WatchEvent) {
        if ring.count < capacity {
            ring.append(event)
        } else {
            ring[head] = event
            head = (head + 1) % capacity
            coversFrom = ring[head].resourceVersion
        }
    }

    var events: [WatchEvent] { Array(ring[head...] + ring[..<head]) }

    private func event(at logicalIndex: Int) -> WatchEvent { ring[(head + logicalIndex) % ring.count] }

    /// The logical index of the first event newer than `version` (events are in version order).
    private func firstIndex(after version: Int64) -> Int {
        var low = 0
        var high = ring.count
        while low < high {
            let middle = (low + high) / 2
            if event(at: middle).resourceVersion > version { high = middle } else { low = middle + 1 }
        }
        return low
    }

    func forEach(after version: Int64, _ body: (WatchEvent) -> Void) {
        for index in firstIndex(after: version)..<ring.count { body(event(at: index)) }
    }

    func forEachReversed(after version: Int64, _ body: (WatchEvent) -> Void) {
        for index in (firstIndex(after: version)..<ring.count).reversed() { body(event(at: index)) }
    }
}

/// One collection: its objects by key and the keys in order, so lists and pages are ranges, not sorts.
struct Collection {
    private(set) var objects: [String: JSON] = [:]
    private(set) var sortedKeys: [String] = []

    init() {}

    init(_ objects: [String: JSON]) {
        self.objects = objects
        sortedKeys = objects.keys.sorted()
    }

    mutating func put(_ object: JSON, key: String) {
        if objects.updateValue(object, forKey: key) == nil {
            sortedKeys.insert(key, at: sortedKeys.firstIndex(atLeast: key))
        }
    }

    mutating func remove(key: String) {
        guard objects.removeValue(forKey: key) != nil else { return }
        sortedKeys.remove(at: sortedKeys.firstIndex(atLeast: key))
    }
}

extension [String] {
    /// Binary search in a sorted array: the first index whose element is ≥ `value`.
    func firstIndex(atLeast value: String) -> Int {
        var low = 0
        var high = count
        while low < high {
            let middle = (low + high) / 2
            if self[middle] < value { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// The first index whose element is > `value`.
    func firstIndex(above value: String) -> Int {
        var low = 0
        var high = count
        while low < high {
            let middle = (low + high) / 2
            if self[middle] <= value { low = middle + 1 } else { high = middle }
        }
        return low
    }
}

/// An object with its JSON encoding computed once, on first use, for every watcher that sends it as is.
public final class SharedEncoding: @unchecked Sendable {
    public let object: JSON
    private let lock = NIOLock()
    private var encoded: [UInt8]?

    init(_ object: JSON) {
        self.object = object
    }

    public var bytes: [UInt8] {
        lock.withLock {
            if let encoded { return encoded }
            let bytes = object.serialized()
            encoded = bytes
            return bytes
        }
    }
}
