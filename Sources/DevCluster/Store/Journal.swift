import Foundation

/// Makes the store survive a restart (`--data-dir`): a snapshot of every object plus the recent events (so watches
/// can resume across the restart), and an append-only log of the changes since. The log is folded into a new
/// snapshot at start-up and whenever it grows past `compactAfter` entries.
public final class Journal: @unchecked Sendable {
    struct Restored {
        var collections: [String: [String: JSON]] = [:]
        var resourceVersion: Int64 = 0
        var recentEvents: [WatchEvent] = []
    }

    private let directory: URL
    private let historyLimit: Int
    private let compactAfter: Int
    private var log: FileHandle?
    private var entriesSinceSnapshot = 0
    /// Set by the store so compaction can snapshot the live state (called with the store's lock held).
    var snapshotSource: (() -> (collections: [String: [String: JSON]], resourceVersion: Int64, events: [WatchEvent]))?

    public init(directory: String, historyLimit: Int, compactAfter: Int = 200_000) throws {
        self.directory = URL(fileURLWithPath: directory, isDirectory: true)
        self.historyLimit = historyLimit
        self.compactAfter = compactAfter
        try FileManager.default.createDirectory(at: self.directory, withIntermediateDirectories: true)
    }

    private var snapshotURL: URL { directory.appendingPathComponent("snapshot.json") }
    private var logURL: URL { directory.appendingPathComponent("changes.log") }

    func load() throws -> Restored {
        var restored = Restored()
        if let data = try? Data(contentsOf: snapshotURL) {
            let snapshot = try JSON.parse([UInt8](data))
            restored.resourceVersion = snapshot["resourceVersion"]?.intValue ?? 0
            for (storageKey, objects) in snapshot["collections"]?.objectValue ?? [:] {
                for object in objects.arrayValue ?? [] {
                    restored.collections[storageKey, default: [:]][Self.key(of: object)] = object
                }
            }
            restored.recentEvents = (snapshot["events"]?.arrayValue ?? []).compactMap(Self.event(from:))
        }
        if let data = try? Data(contentsOf: logURL) {
            // A line cut short by a kill ends the log: everything before it was written whole.
            for line in data.split(separator: UInt8(ascii: "\n")) {
                guard let entry = try? JSON.parse([UInt8](line)), let event = Self.event(from: entry) else { break }
                let key = Self.key(of: event.object)
                if event.kind == .deleted {
                    restored.collections[event.storageKey]?[key] = nil
                } else {
                    restored.collections[event.storageKey, default: [:]][key] = event.object
                }
                restored.resourceVersion = max(restored.resourceVersion, event.resourceVersion)
                restored.recentEvents.append(event)
            }
        }
        restored.recentEvents = Array(restored.recentEvents.suffix(historyLimit))
        return restored
    }

    /// Writes a fresh snapshot and starts an empty log.
    func compact(collections: [String: [String: JSON]], resourceVersion: Int64, recentEvents: [WatchEvent]) throws {
        try? log?.close()
        log = nil
        let snapshot: JSON = [
            "resourceVersion": .int(resourceVersion),
            "collections": .object(collections.mapValues { objects in .array(objects.keys.sorted().map { objects[$0]! }) }),
            "events": .array(recentEvents.suffix(historyLimit).map(Self.entry(for:))),
        ]
        let temporary = directory.appendingPathComponent("snapshot.json.tmp")
        try Data(snapshot.serialized()).write(to: temporary)
        // rename(2) swaps the snapshot atomically: a kill leaves the old or the new one, never half.
        guard rename(temporary.path, snapshotURL.path) == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: snapshotURL.path])
        }
        _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        log = try FileHandle(forWritingTo: logURL)
        entriesSinceSnapshot = 0
    }

    /// Appends one change (called with the store's lock held, so lines never interleave).
    func append(_ event: WatchEvent) {
        var line = Self.entry(for: event).serialized()
        line.append(UInt8(ascii: "\n"))
        log?.write(Data(line))
        entriesSinceSnapshot += 1
        if entriesSinceSnapshot >= compactAfter, let state = snapshotSource?() {
            try? compact(collections: state.collections, resourceVersion: state.resourceVersion, recentEvents: state.events)
        }
    }

    static func key(of object: JSON) -> String {
        ObjectStore.key(
            namespace: object[path: ["metadata", "namespace"]]?.stringValue,
            name: object[path: ["metadata", "name"]]?.stringValue ?? "")
    }

    static func entry(for event: WatchEvent) -> JSON {
        var entry: JSON = [
            "rv": .int(event.resourceVersion), "type": .string(event.kind.rawValue),
            "key": .string(event.storageKey), "object": event.object,
        ]
        if let previous = event.previous { entry["previous"] = previous }
        return entry
    }

    static func event(from entry: JSON) -> WatchEvent? {
        guard let rv = entry["rv"]?.intValue, let type = entry["type"]?.stringValue,
              let kind = WatchEvent.Kind(rawValue: type), let storageKey = entry["key"]?.stringValue,
              let object = entry["object"]
        else { return nil }
        return WatchEvent(kind: kind, storageKey: storageKey, object: object, previous: entry["previous"],
                          resourceVersion: rv)
    }
}
