import Foundation
import Kube
import Testing

/// The client against a real devcluster process (one per test, so each can pick its own server flags).
@Suite(.timeLimit(.minutes(1)))
struct ClientIntegrationTests {
    @Test func configMapCreateGetListReplacePatchApplyDelete() async throws {
        try await DevClusterProcess.with { client, _ in
            let created = try await client.create(.configMaps, ConfigMap(
                metadata: ObjectMeta(name: "settings", labels: ["app": "kube-tests"]), data: ["color": "blue"]))
            #expect(created.metadata.namespace == "default")
            #expect(created.metadata.uid != nil)

            var fetched = try await client.get(.configMaps, "settings", as: ConfigMap.self)
            #expect(fetched.data == ["color": "blue"])

            let listed = try await client.list(.configMaps, namespace: "default", labelSelector: "app=kube-tests",
                                               as: ConfigMap.self)
            #expect(listed.items.map(\.metadata.name) == ["settings"])
            #expect(!listed.resourceVersion.isEmpty)
            let none = try await client.list(.configMaps, labelSelector: "app notin (kube-tests)", as: ConfigMap.self)
            #expect(!none.items.contains { $0.metadata.name == "settings" })

            fetched.data?["size"] = "large"
            let replaced = try await client.replace(.configMaps, fetched)
            #expect(replaced.data == ["color": "blue", "size": "large"])
            #expect(replaced.metadata.resourceVersion != fetched.metadata.resourceVersion)

            // `null` in a merge patch deletes the key.
            let patched = try await client.patch(
                .configMaps, "settings", .merge(["data": ["color": nil, "shape": "round"]] as JSONValue),
                as: ConfigMap.self)
            #expect(patched.data == ["size": "large", "shape": "round"])

            let intent = ConfigMap(metadata: ObjectMeta(name: "settings"), data: ["size": "small"])
            let applied = try await client.patch(
                .configMaps, "settings", .apply(intent, fieldManager: "kube-tests", force: true), as: JSONValue.self)
            #expect(applied["data"]?["size"] == "small")
            let managers = applied["metadata"]?["managedFields"]?.arrayValue?.compactMap { $0["manager"]?.stringValue }
            #expect(managers?.contains("kube-tests") == true)

            try await client.delete(.configMaps, "settings")
            let gone = await #expect(throws: KubeError.self) {
                _ = try await client.get(.configMaps, "settings", as: ConfigMap.self)
            }
            #expect(gone?.isNotFound == true)
        }
    }

    @Test func conflictsAndMissingObjectsAreRecognisable() async throws {
        try await DevClusterProcess.with { client, _ in
            let original = try await client.create(.configMaps, ConfigMap(metadata: ObjectMeta(name: "counter"),
                                                                           data: ["n": "1"]))
            var newer = original
            newer.data = ["n": "2"]
            _ = try await client.replace(.configMaps, newer)

            var stale = original
            stale.data = ["n": "3"]
            let conflict = await #expect(throws: KubeError.self) { _ = try await client.replace(.configMaps, stale) }
            #expect(conflict?.isConflict == true)
            #expect(conflict?.code == 409)

            let staleDelete = await #expect(throws: KubeError.self) {
                try await client.delete(.configMaps, "counter", options: DeleteOptions(
                    preconditions: .init(resourceVersion: original.metadata.resourceVersion)))
            }
            #expect(staleDelete?.isConflict == true)

            let duplicate = await #expect(throws: KubeError.self) { _ = try await client.create(.configMaps, original) }
            #expect(duplicate?.isAlreadyExists == true)
            #expect(duplicate?.isConflict == false)

            let missing = await #expect(throws: KubeError.self) {
                _ = try await client.get(.configMaps, "no-such-map", namespace: "default", as: ConfigMap.self)
            }
            #expect(missing?.isNotFound == true)
            #expect(missing?.status?.message?.contains("no-such-map") == true)
            #expect(missing?.description.contains("GET /api/v1/namespaces/default/configmaps/no-such-map") == true)
        }
    }

    @Test func customResourceStatusGoesThroughTheStatusSubresource() async throws {
        try await DevClusterProcess.with { client, _ in
            _ = try await client.create(.customResourceDefinitions, Widget.definition)
            let created = try await client.create(.widgets, Widget(name: "gear", size: 3))
            #expect(created.metadata.generation == 1)
            #expect(created.status == nil)

            let ready = try await client.patchStatus(
                .widgets, "gear", .merge(["status": ["phase": "Ready"]] as JSONValue), as: Widget.self)
            #expect(ready.status?.phase == "Ready")
            #expect(ready.metadata.generation == 1)

            // The main resource ignores status; a spec change bumps the generation.
            let resized = try await client.patch(
                .widgets, "gear", .merge(["spec": ["size": 4], "status": ["phase": "Hacked"]] as JSONValue),
                as: Widget.self)
            #expect(resized.spec.size == 4)
            #expect(resized.status?.phase == "Ready")
            #expect(resized.metadata.generation == 2)

            var done = resized
            done.status = .init(phase: "Done")
            done.spec.size = 99
            let replaced = try await client.replaceStatus(.widgets, done)
            #expect(replaced.status?.phase == "Done")
            #expect(replaced.spec.size == 4)

            let invalid = await #expect(throws: KubeError.self) {
                _ = try await client.create(.widgets, Widget(name: "broken", size: 0))
            }
            #expect(invalid?.isInvalid == true)
            #expect(invalid?.status?.details?.causes?.map(\.field) == ["spec.size"])
        }
    }

    @Test func watchSeesAddedModifiedDeletedInOrder() async throws {
        try await DevClusterProcess.with { client, _ in
            let before = try await client.list(.configMaps, namespace: "default", as: ConfigMap.self)
            let events = client.watch(.configMaps, namespace: "default", resourceVersion: before.resourceVersion,
                                      labelSelector: "watched=yes", as: ConfigMap.self)
            _ = try await client.create(.configMaps, ConfigMap(metadata: ObjectMeta(name: "ignored"), data: ["v": "0"]))
            _ = try await client.create(.configMaps, ConfigMap(
                metadata: ObjectMeta(name: "watched", labels: ["watched": "yes"]), data: ["v": "1"]))
            _ = try await client.patch(.configMaps, "watched", .merge(["data": ["v": "2"]] as JSONValue),
                                       as: ConfigMap.self)
            try await client.delete(.configMaps, "watched")

            let seen = try await firstEvents(3, of: events).map(describe)
            #expect(seen == ["ADDED watched v=1", "MODIFIED watched v=2", "DELETED watched v=2"])
        }
    }

    @Test func watchFromAnExpiredVersionIsGone() async throws {
        try await DevClusterProcess.with(["--watch-history", "100"]) { client, _ in
            _ = try await client.create(.configMaps, ConfigMap(metadata: ObjectMeta(name: "busy"), data: ["n": "0"]))
            for n in 1...110 {
                _ = try await client.patch(.configMaps, "busy", .merge(["data": ["n": "\(n)"]] as JSONValue),
                                           as: ConfigMap.self)
            }
            let events = client.watch(.configMaps, namespace: "default", resourceVersion: "1", as: ConfigMap.self)
            let error = await #expect(throws: KubeError.self) { _ = try await firstEvents(1, of: events) }
            #expect(error?.isGone == true)
            #expect(error?.code == 410)
        }
    }

    @Test func bookmarksArriveWhenAllowed() async throws {
        try await DevClusterProcess.with(["--bookmark-seconds", "1"]) { client, _ in
            let list = try await client.list(.configMaps, namespace: "default", as: ConfigMap.self)
            let events = client.watch(.configMaps, namespace: "default", resourceVersion: list.resourceVersion,
                                      allowBookmarks: true, timeoutSeconds: 30, as: ConfigMap.self)
            let first = try await firstEvents(1, of: events)
            guard case .bookmark(let version) = first.first else {
                Issue.record("expected a bookmark, got \(first.map(describe))")
                return
            }
            #expect(Int(version)! >= Int(list.resourceVersion)!)
        }
    }

    @Test func watchEndsWhenItsTimeoutExpires() async throws {
        try await DevClusterProcess.with { client, _ in
            let started = ContinuousClock.now
            for try await _ in client.watch(.configMaps, namespace: "default", timeoutSeconds: 1, as: ConfigMap.self) {}
            #expect(ContinuousClock.now - started < .seconds(3))
        }
    }

    @Test func listPagesWithLimitAndContinue() async throws {
        try await DevClusterProcess.with { client, _ in
            for index in 1...5 {
                _ = try await client.create(.configMaps, ConfigMap(
                    metadata: ObjectMeta(name: "page-\(index)", labels: ["paged": "yes"])))
            }
            var names: [String] = []
            var token: String?
            var pages = 0
            repeat {
                let page = try await client.list(.configMaps, namespace: "default", labelSelector: "paged=yes",
                                                 limit: 2, continueToken: token, as: ConfigMap.self)
                names += page.items.compactMap(\.metadata.name)
                token = page.continueToken
                pages += 1
            } while token != nil
            #expect(pages == 3)
            #expect(names == (1...5).map { "page-\($0)" })
        }
    }

    @Test func secretDataRoundTripsAsBytes() async throws {
        try await DevClusterProcess.with { client, _ in
            var secret = Secret(metadata: ObjectMeta(name: "ingest"), type: "Opaque",
                                data: ["raw": Data([0, 1, 2, 255])])
            secret.stringData = ["token": "s3cret"]
            _ = try await client.create(.secrets, secret)
            let fetched = try await client.get(.secrets, "ingest", as: Secret.self)
            #expect(fetched.string("token") == "s3cret")
            #expect(fetched.data?["raw"] == Data([0, 1, 2, 255]))
            #expect(!String(describing: fetched).contains("s3cret"))
        }
    }

    @Test func rotatedTokenFileIsPickedUpAndBadTokensStayOutOfErrors() async throws {
        try await DevClusterProcess.with { client, cluster in
            let tokenFile = cluster.directory.appendingPathComponent("token")
            let wrongToken = "not-the-token-\(UUID().uuidString)"
            try Data(wrongToken.utf8).write(to: tokenFile, options: .atomic)
            var config = client.config
            config.credentials = .bearerTokenFile(tokenFile.path)
            let rotating = try KubeClient(config: config)
            do {
                let rejected = await #expect(throws: KubeError.self) {
                    _ = try await rotating.list(.namespaces, as: JSONValue.self)
                }
                #expect(rejected?.code == 401)
                #expect(rejected.map { !String(describing: $0).contains(wrongToken) } == true)

                try Data(try cluster.token().utf8).write(to: tokenFile, options: .atomic)
                let namespaces = try await rotating.list(.namespaces, as: JSONValue.self)
                #expect(namespaces.items.contains { $0["metadata"]?["name"] == "default" })
                try await rotating.shutdown()
            } catch {
                try? await rotating.shutdown()
                throw error
            }
        }
    }

    @Test func untrustedServerCertificateIsATransportError() async throws {
        try await DevClusterProcess.with { client, _ in
            var config = client.config
            config.certificateAuthority = nil  // the system roots do not know devcluster's CA
            let untrusting = try KubeClient(config: config)
            let error = await #expect(throws: KubeError.self) {
                _ = try await untrusting.list(.namespaces, as: JSONValue.self)
            }
            if case .transport(let message, _) = error {
                #expect(message.contains("CERTIFICATE_VERIFY_FAILED"))
                #expect(message.contains(config.server))
            } else {
                Issue.record("expected a transport error, got \(String(describing: error))")
            }
            try await untrusting.shutdown()
        }
    }
}

// MARK: - Helpers

/// The first `count` events of a watch, failing after `limit` rather than hanging a test.
func firstEvents<T: Sendable>(
    _ count: Int, of stream: AsyncThrowingStream<WatchEvent<T>, any Error>, within limit: Duration = .seconds(4)
) async throws -> [WatchEvent<T>] {
    try await withThrowingTaskGroup(of: [WatchEvent<T>].self) { group in
        group.addTask {
            var events: [WatchEvent<T>] = []
            for try await event in stream {
                events.append(event)
                if events.count == count { break }
            }
            return events
        }
        group.addTask {
            try await Task.sleep(for: limit)
            throw DevClusterProcess.Failure(description: "fewer than \(count) watch events within \(limit)")
        }
        let events = try await group.next()!
        group.cancelAll()
        return events
    }
}

func describe(_ event: WatchEvent<ConfigMap>) -> String {
    switch event {
    case .added(let map): "ADDED \(map.metadata.name ?? "") v=\(map.data?["v"] ?? "")"
    case .modified(let map): "MODIFIED \(map.metadata.name ?? "") v=\(map.data?["v"] ?? "")"
    case .deleted(let map): "DELETED \(map.metadata.name ?? "") v=\(map.data?["v"] ?? "")"
    case .bookmark(let version): "BOOKMARK \(version)"
    }
}

/// A small custom resource with a status subresource and a validated field.
struct Widget: Codable, Sendable {
    var apiVersion = "kube.test/v1"
    var kind = "Widget"
    var metadata: ObjectMeta
    var spec: Spec
    var status: WidgetStatus?

    struct Spec: Codable, Sendable {
        var size: Int
    }

    struct WidgetStatus: Codable, Sendable {
        var phase: String
    }

    init(name: String, size: Int) {
        metadata = ObjectMeta(name: name)
        spec = Spec(size: size)
    }

    static let definition: JSONValue = [
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": ["name": "widgets.kube.test"],
        "spec": [
            "group": "kube.test", "scope": "Namespaced",
            "names": ["plural": "widgets", "singular": "widget", "kind": "Widget", "listKind": "WidgetList"],
            "versions": [[
                "name": "v1", "served": true, "storage": true, "subresources": ["status": [:]],
                "schema": ["openAPIV3Schema": [
                    "type": "object",
                    "properties": [
                        "spec": ["type": "object", "properties": ["size": ["type": "integer", "minimum": 1]]],
                        "status": ["type": "object", "properties": ["phase": ["type": "string"]]],
                    ],
                ]],
            ]],
        ],
    ]
}

extension ResourceDescriptor {
    static let widgets = ResourceDescriptor(group: "kube.test", version: "v1", plural: "widgets")
}
