import ArgumentParser
import Foundation
import Logging
import MediaCrypto
import NIOCore
import NIOPosix
import NIOSSL

/// `devcluster`: the local Kubernetes API server (DESIGN.md §6, §8).
public struct DevClusterCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "devcluster",
        abstract: "A local Kubernetes API server for development and tests (not for production).",
        subcommands: [Serve.self])

    public init() {}
}

public struct Serve: ParsableCommand {
    public static let configuration = CommandConfiguration(
        abstract: "Serve the Kubernetes API on loopback and write a kubeconfig for kubectl and clients.")

    @Option(help: "TCP port of the API server (env DEVCLUSTER_PORT).")
    public var port: Int = Int(ProcessInfo.processInfo.environment["DEVCLUSTER_PORT"] ?? "") ?? 6443

    @Option(help: "Address to listen on (env DEVCLUSTER_BIND_ADDRESS).")
    public var bindAddress: String = ProcessInfo.processInfo.environment["DEVCLUSTER_BIND_ADDRESS"] ?? "127.0.0.1"

    @Option(help: "Where to write the kubeconfig (env DEVCLUSTER_KUBECONFIG_OUT).")
    public var kubeconfigOut: String = ProcessInfo.processInfo.environment["DEVCLUSTER_KUBECONFIG_OUT"] ?? "devcluster.kubeconfig"

    @Option(help: "Keep objects here so they survive a restart (env DEVCLUSTER_DATA_DIR); in memory only when absent.")
    public var dataDir: String?

    @Option(help: "Bearer token clients must send (env DEVCLUSTER_TOKEN); random when absent, or kept in the data dir.")
    public var token: String?

    @Option(help: "Watch events kept for resuming watches; older resourceVersions get 410 Expired (env DEVCLUSTER_WATCH_HISTORY).")
    public var watchHistory: Int = Int(ProcessInfo.processInfo.environment["DEVCLUSTER_WATCH_HISTORY"] ?? "") ?? 20_000

    @Option(help: "Seconds between watch bookmarks (env DEVCLUSTER_BOOKMARK_SECONDS).")
    public var bookmarkSeconds: Int = Int(ProcessInfo.processInfo.environment["DEVCLUSTER_BOOKMARK_SECONDS"] ?? "") ?? 5

    @Option(help: "Log level: trace, debug, info, notice, warning, error (env DEVCLUSTER_LOG_LEVEL).")
    public var logLevel: String = ProcessInfo.processInfo.environment["DEVCLUSTER_LOG_LEVEL"] ?? "info"

    public init() {}

    public func validate() throws {
        guard (1...65535).contains(port) else { throw ValidationError("--port must be between 1 and 65535") }
        guard watchHistory >= 100 else { throw ValidationError("--watch-history must be at least 100") }
        guard bookmarkSeconds >= 1 else { throw ValidationError("--bookmark-seconds must be at least 1") }
    }

    public func serve() async throws {
        let environment = ProcessInfo.processInfo.environment
        let dataDir = self.dataDir ?? environment["DEVCLUSTER_DATA_DIR"]
        let token = self.token ?? environment["DEVCLUSTER_TOKEN"]
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "devcluster")
        let journal = try dataDir.map { try Journal(directory: $0, historyLimit: watchHistory) }
        let store = try ObjectStore(historyLimit: watchHistory, journal: journal)
        let bearerToken = try token ?? Self.persistentToken(dataDir: dataDir)
        let registry = ResourceRegistry()
        let cleanup = CleanupTrigger()
        let server = ApiServer(
            store: store, registry: registry, token: bearerToken, serverAddress: "\(bindAddress):\(port)",
            bookmarkInterval: .seconds(bookmarkSeconds), logger: logger, onDelete: { cleanup.poke() })
        server.customResources.restore(from: store)
        Bootstrap.ensureSystemObjects(store)
        let controller = CleanupController(server: server)
        cleanup.controller = controller

        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(2, System.coreCount))
        let certificate = try Self.servingCertificate(dataDir: dataDir, host: bindAddress)
        let tls = try NIOSSLContext(configuration: .makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMBytes(Array(certificate.certificatePEM.utf8)).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(certificate.privateKeyPEM.utf8), format: .pem))))
        let http = HttpServer(maxBodyBytes: 8 << 20) { server.handle($0) }
        let channel = try await http.bind(host: bindAddress, port: port, tls: tls, group: group)
        let url = "https://\(bindAddress.contains(":") ? "[\(bindAddress)]" : bindAddress):\(port)"
        try Kubeconfig.write(to: kubeconfigOut, server: url, authorityPEM: certificate.authorityPEM, token: bearerToken)
        logger.info("devcluster serving the Kubernetes API on \(url); kubeconfig: \(kubeconfigOut)")

        let signals = SignalWaiter()
        await withTaskGroup(of: Void.self) { tasks in
            tasks.addTask { await controller.run() }
            tasks.addTask {
                await signals.wait()
                controller.stop()
            }
            await tasks.next()
            tasks.cancelAll()
        }
        logger.info("devcluster stopping")
        try? await channel.close()
        try? await group.shutdownGracefully()
    }

    /// HTTPS is not optional: kubectl sends a bearer token only over TLS (client-go drops credentials on http).
    /// With a data dir the authority is kept, so clients holding the old kubeconfig still trust the server.
    static func servingCertificate(dataDir: String?, host: String) throws -> ServingCertificate {
        let hosts = Array(Set([host, "127.0.0.1", "localhost"])).sorted()
        guard let dataDir else { return try .generate(hosts: hosts) }
        let directory = URL(fileURLWithPath: dataDir)
        let files = ["ca.crt", "server.crt", "server.key"].map { directory.appendingPathComponent($0) }
        if let saved = try? files.map({ try String(contentsOf: $0, encoding: .utf8) }) {
            return ServingCertificate(authorityPEM: saved[0], certificatePEM: saved[1], privateKeyPEM: saved[2])
        }
        let fresh = try ServingCertificate.generate(hosts: hosts)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for (file, text) in zip(files, [fresh.authorityPEM, fresh.certificatePEM, fresh.privateKeyPEM]) {
            try text.write(to: file, atomically: true, encoding: .utf8)
        }
        chmod(files[2].path, 0o600)
        return fresh
    }

    /// Keeps the token across restarts with a data dir, so kubeconfigs written earlier stay valid.
    static func persistentToken(dataDir: String?) throws -> String {
        let fresh = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
        guard let dataDir else { return fresh }
        let path = URL(fileURLWithPath: dataDir).appendingPathComponent("token")
        if let saved = try? String(contentsOf: path, encoding: .utf8), !saved.isEmpty {
            return saved.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true)
        try fresh.write(to: path, atomically: true, encoding: .utf8)
        return fresh
    }
}

/// Lets the API server wake the cleanup controller, which is created after it.
final class CleanupTrigger: @unchecked Sendable {
    private let lock = NSLock()
    private var _controller: CleanupController?
    var controller: CleanupController? {
        get { lock.withLock { _controller } }
        set { lock.withLock { _controller = newValue } }
    }
    func poke() { controller?.poke() }
}

/// Objects every cluster has from the start.
enum Bootstrap {
    static func ensureSystemObjects(_ store: ObjectStore) {
        for namespace in ["default", "kube-system", "kube-public", "kube-node-lease"] {
            _ = try? store.modify("namespaces", namespace: nil, name: namespace) { current, _ in
                guard current == nil else { return .unchanged }
                return .put([
                    "apiVersion": "v1", "kind": "Namespace",
                    "metadata": [
                        "name": .string(namespace), "uid": .string(UUID().uuidString.lowercased()),
                        "creationTimestamp": .string(ApiServer.now()), "generation": 1,
                        "labels": ["kubernetes.io/metadata.name": .string(namespace)],
                    ],
                    "spec": ["finalizers": ["kubernetes"]], "status": ["phase": "Active"],
                ])
            }
        }
    }
}

/// Waits for SIGTERM or SIGINT.
final class SignalWaiter: Sendable {
    func wait() async {
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self)
        let sources = [SIGTERM, SIGINT].map { signalNumber -> DispatchSourceSignal in
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { continuation.yield() }
            source.resume()
            return source
        }
        for await _ in stream { break }
        sources.forEach { $0.cancel() }
    }
}

enum Kubeconfig {
    static func write(to path: String, server: String, authorityPEM: String, token: String) throws {
        let text = """
            apiVersion: v1
            kind: Config
            clusters:
            - name: devcluster
              cluster:
                server: \(server)
                certificate-authority-data: \(Data(authorityPEM.utf8).base64EncodedString())
            users:
            - name: devcluster-admin
              user:
                token: \(token)
            contexts:
            - name: devcluster
              context:
                cluster: devcluster
                user: devcluster-admin
                namespace: default
            current-context: devcluster
            preferences: {}

            """
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: url, atomically: true, encoding: .utf8)
        chmod(path, 0o600)
    }
}
