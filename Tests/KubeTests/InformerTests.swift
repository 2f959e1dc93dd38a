import Foundation
import Kube
import Logging
import Synchronization
import Testing

/// The informer against real devcluster processes: list, watch, the read cache, resuming and relisting.
@Suite(.timeLimit(.minutes(1)))
struct InformerTests {
    /// What a handler saw, in order, as short strings ("added a", "modified a", "deleted a", "synced").
    final class Recorder: Sendable {
        private let seen = Mutex<[String]>([])

        func handle(_ change: InformerChange<ConfigMap>) {
            let line = switch change {
            case .upserted(nil, let new): "added \(new.metadata.name ?? "")"
            case .upserted(_, let new): "modified \(new.metadata.name ?? "")"
            case .deleted(let old): "deleted \(old.metadata.name ?? "")"
            case .synced: "synced"
            }
            seen.withLock { $0.append(line) }
        }

        var lines: [String] { seen.withLock { $0 } }

        func wait(for line: String, count: Int = 1) async throws {
            let deadline = ContinuousClock.now + .seconds(10)
            while lines.filter({ $0 == line }).count < count {
                guard ContinuousClock.now < deadline else {
                    throw DevClusterProcess.Failure(description: "no \"\(line)\" ×\(count) in \(lines)")
                }
                try await Task.sleep(for: .milliseconds(20))
            }
        }
    }

    func configMap(_ name: String, _ value: String, label: String = "watched") -> ConfigMap {
        ConfigMap(metadata: ObjectMeta(name: name, namespace: "default", labels: ["app": label]), data: ["v": value])
    }

    @Test func listsThenWatchesIntoTheCache() async throws {
        try await DevClusterProcess.with { client, _ in
            _ = try await client.create(.configMaps, configMap("before", "1"))
            _ = try await client.create(.configMaps, configMap("other", "1", label: "ignored"))
            let informer = Informer<ConfigMap>(
                client: client, resource: .configMaps, labelSelector: "app=watched", pageSize: 1,
                logger: Logger(label: "test"))
            let recorder = Recorder()
            let running = Task { await informer.run { recorder.handle($0) } }
            defer { running.cancel() }
            try await recorder.wait(for: "synced")
            #expect(recorder.lines == ["added before", "synced"])
            #expect(informer.hasSynced)

            _ = try await client.create(.configMaps, configMap("after", "1"))
            _ = try await client.patch(.configMaps, "before", .merge(["data": ["v": "2"]] as JSONValue), as: ConfigMap.self)
            try await client.delete(.configMaps, "after")
            try await recorder.wait(for: "deleted after")
            #expect(recorder.lines == ["added before", "synced", "added after", "modified before", "deleted after"])
            #expect(informer.get(namespace: "default", name: "before")?.data == ["v": "2"])
            #expect(informer.get("default/after") == nil)
            #expect(informer.get("default/other") == nil)
            #expect(informer.count == 1)
        }
    }

    @Test func olderVersionsDoNotUndoARecordedWrite() async throws {
        try await DevClusterProcess.with { client, _ in
            let informer = Informer<ConfigMap>(client: client, resource: .configMaps, logger: Logger(label: "test"))
            let recorder = Recorder()
            let running = Task { await informer.run { recorder.handle($0) } }
            defer { running.cancel() }
            try await recorder.wait(for: "synced")
            let created = try await client.create(.configMaps, configMap("mine", "1"))
            let updated = try await client.patch(.configMaps, "mine", .merge(["data": ["v": "2"]] as JSONValue),
                                                 as: ConfigMap.self)
            informer.record(written: updated)
            // The ADDED event of the older version arrives after the record: it must not replace the newer object.
            informer.record(written: created)
            #expect(informer.get("default/mine")?.data == ["v": "2"])
            _ = try await client.create(.configMaps, configMap("marker", "1"))
            try await recorder.wait(for: "added marker")
            #expect(informer.get("default/mine")?.data == ["v": "2"])
        }
    }

    @Test func resumesAfterAServerRestartAndRelistsWhenItsVersionIsGone() async throws {
        let dataDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("informer-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dataDirectory) }
        // No periodic bookmarks: the informer's version stays at its last own event while unrelated objects change.
        let flags = ["--data-dir", dataDirectory.path, "--bookmark-seconds", "3600"]
        var cluster = try await DevClusterProcess.start(flags)
        let config = try KubeConfig.fromKubeconfig(files: [cluster.kubeconfigPath])
        let port = Int(URL(string: config.server)?.port ?? 0)
        let client = try KubeClient(config: config)
        let informer = Informer<ConfigMap>(
            client: client, resource: .configMaps, labelSelector: "app=watched", logger: Logger(label: "test"))
        let recorder = Recorder()
        let running = Task { await informer.run { recorder.handle($0) } }
        do {
            try await recorder.wait(for: "synced")
            _ = try await client.create(.configMaps, configMap("first", "1"))
            try await recorder.wait(for: "added first")

            // A restart keeps recent history: the watch resumes where it was, nothing listed again.
            await cluster.stop(keepingDirectory: true)
            cluster = try await DevClusterProcess.start(flags, port: port)
            _ = try await client.create(.configMaps, configMap("second", "1"))
            try await recorder.wait(for: "added second")
            #expect(informer.restarts.relists == 0)
            #expect(recorder.lines.filter { $0 == "synced" }.count == 1)

            // Many unrelated changes, then a restart that keeps only the last few: the informer's version is
            // gone (410), so it lists again, and reports only what changed.
            for index in 0..<130 {
                _ = try await client.create(.configMaps, configMap("noise-\(index)", "1", label: "ignored"))
            }
            await cluster.stop(keepingDirectory: true)
            cluster = try await DevClusterProcess.start(flags + ["--watch-history", "100"], port: port)
            try await recorder.wait(for: "synced", count: 2)
            #expect(informer.restarts.relists == 1)
            #expect(Set(informer.objects.compactMap(\.metadata.name)) == ["first", "second"])
            #expect(recorder.lines.filter { $0.hasPrefix("added") }.count == 2)
        } catch {
            running.cancel()
            try? await client.shutdown()
            await cluster.stop()
            throw error
        }
        running.cancel()
        try await client.shutdown()
        await cluster.stop()
    }
}
