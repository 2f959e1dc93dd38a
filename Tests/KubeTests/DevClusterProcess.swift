import Foundation
import Kube
import Testing
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A devcluster server of one test: started on a free loopback port with its own kubeconfig, stopped when the test
/// body returns or throws.
struct DevClusterProcess {
    let process: Process
    let directory: URL
    let kubeconfigPath: String

    /// `make test` builds the binary before `swift test`; a missing binary fails the test rather than skipping it.
    static let binary: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent(".build/debug/devcluster")

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Runs `body` with a client of a fresh devcluster started with `arguments` (e.g. `--watch-history 100`).
    static func with<Result>(
        _ arguments: [String] = [], _ body: (KubeClient, DevClusterProcess) async throws -> Result
    ) async throws -> Result {
        let cluster = try await start(arguments)
        let client: KubeClient
        do {
            client = try KubeClient(config: try KubeConfig.fromKubeconfig(files: [cluster.kubeconfigPath]))
        } catch {
            await cluster.stop()
            throw error
        }
        do {
            let result = try await body(client, cluster)
            try await client.shutdown()
            await cluster.stop()
            return result
        } catch {
            try? await client.shutdown()
            await cluster.stop()
            throw error
        }
    }

    /// `port`: a given one (to restart a server where its clients expect it), else a free one.
    static func start(_ arguments: [String], port: Int? = nil) async throws -> DevClusterProcess {
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw Failure(description: "\(binary.path) is missing: run `swift build --product devcluster` first")
        }
        // The port is free when chosen but may be taken before devcluster binds it: try a few.
        var lastFailure = ""
        for _ in 0..<3 {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kube-tests-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let kubeconfig = directory.appendingPathComponent("kubeconfig").path
            let log = directory.appendingPathComponent("devcluster.log")
            _ = FileManager.default.createFile(atPath: log.path, contents: nil)
            let process = Process()
            process.executableURL = binary
            process.arguments = ["serve", "--port", String(try port ?? freeLoopbackPort()), "--kubeconfig-out", kubeconfig,
                                 "--log-level", "warning"] + arguments
            let logHandle = try FileHandle(forWritingTo: log)
            process.standardOutput = logHandle
            process.standardError = logHandle
            process.standardInput = FileHandle.nullDevice
            try process.run()
            let cluster = DevClusterProcess(process: process, directory: directory, kubeconfigPath: kubeconfig)
            // devcluster writes the kubeconfig (atomically) once it listens.
            let deadline = ContinuousClock.now + .seconds(10)
            while process.isRunning, !FileManager.default.fileExists(atPath: kubeconfig), ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            if process.isRunning, FileManager.default.fileExists(atPath: kubeconfig) { return cluster }
            lastFailure = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            await cluster.stop()
        }
        throw Failure(description: "devcluster did not start:\n\(lastFailure)")
    }

    /// `keepingDirectory`: leave the kubeconfig and log for a restart of the same server.
    func stop(keepingDirectory: Bool = false) async {
        if process.isRunning { process.terminate() }
        let deadline = ContinuousClock.now + .seconds(3)
        while process.isRunning, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        if !keepingDirectory { try? FileManager.default.removeItem(at: directory) }
    }

    /// The bearer token devcluster wrote into its kubeconfig.
    func token() throws -> String {
        let config = try KubeConfig.fromKubeconfig(files: [kubeconfigPath])
        guard case .bearerToken(let token) = config.credentials else {
            throw Failure(description: "devcluster's kubeconfig has no token")
        }
        return token
    }
}

/// A loopback TCP port nobody listens on right now (the kernel picks it for a socket bound to port 0).
func freeLoopbackPort() throws -> Int {
    #if canImport(Glibc)
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    #else
    let fd = socket(AF_INET, SOCK_STREAM, 0)
    #endif
    guard fd >= 0 else { throw DevClusterProcess.Failure(description: "socket() failed") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
            bind(fd, socketAddress, length) == 0 && getsockname(fd, socketAddress, &length) == 0
        }
    }
    guard bound else { throw DevClusterProcess.Failure(description: "bind() to a loopback port failed") }
    return Int(UInt16(bigEndian: address.sin_port))
}
