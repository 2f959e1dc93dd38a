/// The two deletion controllers of a real control plane that clients notice: the garbage collector
/// (objects whose every owner is gone are deleted, background propagation) and the namespace controller
/// (a deleted namespace's objects are deleted, then the namespace itself).
final class CleanupController: Sendable {
    let server: ApiServer
    private let wakeups: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation

    init(server: ApiServer) {
        self.server = server
        (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    func poke() { wake.yield() }

    /// Runs a pass after each wake-up (and every few seconds, for owners deleted while nothing was watching).
    func run() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [wake] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(2))
                    wake.yield()
                }
            }
            group.addTask { [self] in
                for await _ in wakeups {
                    // Let a burst of deletions settle into one pass.
                    try? await Task.sleep(for: .milliseconds(50))
                    pass()
                }
            }
            await group.waitForAll()
        }
    }

    func stop() { wake.finish() }

    func pass() {
        let objects = server.store.allObjects()
        collectGarbage(objects)
        finishForegroundDeletions(objects)
        finishNamespaces(objects)
    }

    /// Foreground propagation: the owner's dependents are deleted first; the owner goes (its `foregroundDeletion`
    /// finalizer is removed) once no dependent with `blockOwnerDeletion` remains.
    private func finishForegroundDeletions(_ objects: [(storageKey: String, object: JSON)]) {
        for (storageKey, owner) in objects {
            guard owner[path: ["metadata", "deletionTimestamp"]] != nil,
                  (owner[path: ["metadata", "finalizers"]]?.arrayValue ?? []).contains("foregroundDeletion"),
                  let ownerUID = owner[path: ["metadata", "uid"]]?.stringValue
            else { continue }
            var blocked = false
            for (dependentKey, dependent) in objects {
                let references = dependent[path: ["metadata", "ownerReferences"]]?.arrayValue ?? []
                guard let reference = references.first(where: { $0["uid"]?.stringValue == ownerUID }) else { continue }
                if reference["blockOwnerDeletion"]?.boolValue == true { blocked = true }
                if dependent[path: ["metadata", "deletionTimestamp"]] == nil { delete(dependent, storageKey: dependentKey) }
            }
            if !blocked { removeForegroundFinalizer(owner, storageKey: storageKey) }
        }
    }

    private func removeForegroundFinalizer(_ owner: JSON, storageKey: String) {
        let namespace = owner[path: ["metadata", "namespace"]]?.stringValue
        let name = owner[path: ["metadata", "name"]]?.stringValue ?? ""
        _ = try? server.store.modify(storageKey, namespace: namespace, name: name) { current, _ in
            guard var current else { return .unchanged }
            let remaining = (current[path: ["metadata", "finalizers"]]?.arrayValue ?? []).filter { $0 != "foregroundDeletion" }
            if remaining.isEmpty { return .delete(current) }
            current[path: ["metadata", "finalizers"]] = .array(remaining)
            return .put(current)
        }
    }

    private func collectGarbage(_ objects: [(storageKey: String, object: JSON)]) {
        let liveUIDs = Set(objects.compactMap { $0.object[path: ["metadata", "uid"]]?.stringValue })
        for (storageKey, object) in objects {
            guard let owners = object[path: ["metadata", "ownerReferences"]]?.arrayValue, !owners.isEmpty,
                  object[path: ["metadata", "deletionTimestamp"]] == nil
            else { continue }
            let ownerAlive = owners.contains { liveUIDs.contains($0["uid"]?.stringValue ?? "") }
            if !ownerAlive { delete(object, storageKey: storageKey) }
        }
    }

    private func finishNamespaces(_ objects: [(storageKey: String, object: JSON)]) {
        let terminating = Set(objects.filter {
            $0.storageKey == "namespaces" && $0.object[path: ["metadata", "deletionTimestamp"]] != nil
        }.compactMap { $0.object[path: ["metadata", "name"]]?.stringValue })
        guard !terminating.isEmpty else { return }
        var remaining: Set<String> = []
        for (storageKey, object) in objects {
            guard let namespace = object[path: ["metadata", "namespace"]]?.stringValue, terminating.contains(namespace)
            else { continue }
            remaining.insert(namespace)
            if object[path: ["metadata", "deletionTimestamp"]] == nil { delete(object, storageKey: storageKey) }
        }
        for namespace in terminating where !remaining.contains(namespace) {
            _ = try? server.store.modify("namespaces", namespace: nil, name: namespace) { current, _ in
                current.map { .delete($0) } ?? .unchanged
            }
        }
    }

    private func delete(_ object: JSON, storageKey: String) {
        guard let resource = server.registry.resource(storageKey: storageKey) else { return }
        let namespace = object[path: ["metadata", "namespace"]]?.stringValue
        let name = object[path: ["metadata", "name"]]?.stringValue ?? ""
        let target = RequestTarget(resource: resource, version: resource.version, namespace: namespace, name: name)
        _ = try? server.deleteObject(
            target, name: name,
            options: .init(resourceVersion: nil, uid: object[path: ["metadata", "uid"]]?.stringValue, dryRun: false))
    }
}
