import Foundation
import Synchronization
import Testing
@testable import DevCluster

@Suite struct ObjectStoreTests {
    func configMap(_ name: String, labels: [String: String] = [:]) -> JSON {
        ["metadata": ["name": .string(name), "namespace": "default",
                      "labels": .object(labels.mapValues { .string($0) })]]
    }

    func put(_ store: ObjectStore, _ object: JSON) throws {
        try store.modify("configmaps", namespace: "default", name: object[path: ["metadata", "name"]]!.stringValue!) { _, _ in
            .put(object)
        }
    }

    @Test func everyWriteGetsTheNextResourceVersion() throws {
        let store = try ObjectStore(historyLimit: 100)
        try put(store, configMap("a"))
        try put(store, configMap("b"))
        #expect(store.get("configmaps", namespace: "default", name: "b")?[path: ["metadata", "resourceVersion"]] == "2")
        #expect(store.currentResourceVersion == 2)
    }

    @Test func watchReplaysHistoryAfterAVersionAndExpiresBeyondIt() throws {
        let store = try ObjectStore(historyLimit: 100)
        for index in 0..<150 { try put(store, configMap("cm-\(index)")) }
        let seen = Mutex<[Int64]>([])
        let filter = WatchFilter(storageKey: "configmaps", namespace: "default") { _ in true }
        let (handle, _) = try store.watch(filter, fromVersion: 140) { _, shared in
            seen.withLock { $0.append(Int64(shared.object[path: ["metadata", "resourceVersion"]]!.stringValue!)!) }
        }
        #expect(seen.withLock { $0 } == Array(141...150))
        store.stopWatching(handle)
        #expect(throws: ApiError.self) { try store.watch(filter, fromVersion: 10) { _, _ in } }
    }

    @Test func labelTransitionsBecomeAddedAndDeletedForASelectiveWatcher() throws {
        let store = try ObjectStore(historyLimit: 100)
        let kinds = Mutex<[WatchEvent.Kind]>([])
        let filter = WatchFilter(storageKey: "configmaps", namespace: nil) {
            $0[path: ["metadata", "labels", "tier"]] == "web"
        }
        _ = try store.watch(filter, fromVersion: 0) { kind, _ in kinds.withLock { $0.append(kind) } }
        try put(store, configMap("a"))
        try put(store, configMap("a", labels: ["tier": "web"]))
        try put(store, configMap("a", labels: ["tier": "web", "x": "y"]))
        try put(store, configMap("a"))
        #expect(kinds.withLock { $0 } == [.added, .modified, .deleted])
    }

    @Test func journalRestoresObjectsVersionsAndRecentEvents() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("journal-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        do {
            let store = try ObjectStore(historyLimit: 100, journal: try Journal(directory: directory, historyLimit: 100))
            try put(store, configMap("a"))
            try put(store, configMap("b"))
            try store.modify("configmaps", namespace: "default", name: "a") { current, _ in .delete(current!) }
        }
        let restored = try ObjectStore(historyLimit: 100, journal: try Journal(directory: directory, historyLimit: 100))
        #expect(restored.currentResourceVersion == 3)
        #expect(restored.get("configmaps", namespace: "default", name: "a") == nil)
        #expect(restored.get("configmaps", namespace: "default", name: "b") != nil)
        let kinds = Mutex<[WatchEvent.Kind]>([])
        let filter = WatchFilter(storageKey: "configmaps", namespace: nil) { _ in true }
        _ = try restored.watch(filter, fromVersion: 1) { kind, _ in kinds.withLock { $0.append(kind) } }
        #expect(kinds.withLock { $0 } == [.added, .deleted])
    }
}

@Suite struct ObjectStoreListTests {
    func put(_ store: ObjectStore, namespace: String, name: String) throws {
        try store.modify("configmaps", namespace: namespace, name: name) { _, _ in
            .put(["metadata": ["name": .string(name), "namespace": .string(namespace)]])
        }
    }

    func names(_ page: ObjectStore.ListPage) -> [String] {
        page.items.map { $0[path: ["metadata", "name"]]!.stringValue! }
    }

    @Test func pagesWalkOneNamespaceInKeyOrder() throws {
        let store = try ObjectStore(historyLimit: 100)
        for (namespace, name) in [("b", "z"), ("a", "x"), ("b", "c"), ("c", "a"), ("b", "m")] {
            try put(store, namespace: namespace, name: name)
        }
        let first = try store.list("configmaps", namespace: "b", limit: 2)
        #expect(names(first) == ["c", "m"])
        #expect(first.remaining == 1)
        let second = try store.list("configmaps", namespace: "b", startAfter: first.continueAfter, limit: 2)
        #expect(names(second) == ["z"])
        #expect(second.continueAfter == nil)
        #expect(names(try store.list("configmaps", namespace: nil)) == ["x", "c", "m", "z", "a"])
    }

    @Test func laterPagesComeFromTheFirstPagesSnapshot() throws {
        let store = try ObjectStore(historyLimit: 100)
        for name in ["a", "b", "c"] { try put(store, namespace: "n", name: name) }
        let first = try store.list("configmaps", namespace: "n", limit: 1)
        try put(store, namespace: "n", name: "bb")
        try store.modify("configmaps", namespace: "n", name: "c") { current, _ in .delete(current!) }
        let rest = try store.list("configmaps", namespace: "n", startAfter: first.continueAfter, atVersion: first.resourceVersion)
        #expect(names(rest) == ["b", "c"])
        #expect(rest.resourceVersion == first.resourceVersion)
    }
}
