import ArgumentParser
import BroadcastAPI
import Foundation
import Kube
import Logging
import ServiceLifecycle

/// `broadcast-operator` (DESIGN.md §5, §8). Every flag can also come from its environment variable.
public struct OperatorCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "broadcast-operator",
        abstract: "Schedules Broadcasts onto media pods and keeps their status.",
        subcommands: [Run.self, PrintCRD.self],
        defaultSubcommand: Run.self)

    public init() {}
}

/// `broadcast-operator crd`: the CustomResourceDefinition, generated from the Swift types.
public struct PrintCRD: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "crd", abstract: "Print the broadcasts.media.streamlick.io CustomResourceDefinition (YAML).")

    public init() {}

    public func run() throws {
        print(BroadcastCRD.yaml, terminator: "")
    }
}

public struct Run: ParsableCommand {
    public static let configuration = CommandConfiguration(commandName: "run", abstract: "Run the controllers.")

    public enum Scheduling: String, ExpressibleByArgument, CaseIterable, Sendable {
        case packed = "Packed", distributed = "Distributed"
    }

    static let environment = ProcessInfo.processInfo.environment

    @Option(help: "Kubeconfig file (env KUBECONFIG_PATH); else in-cluster, else KUBECONFIG.")
    public var kubeconfig: String?

    @Option(help: "Packed fills the busiest pod with room; Distributed the least loaded (env OPERATOR_SCHEDULING).")
    public var scheduling: Scheduling = Scheduling(rawValue: environment["OPERATOR_SCHEDULING"] ?? "") ?? .packed

    @Option(help: "Reassign a broadcast when its pod is gone or NotReady this long, e.g. 2s (env OPERATOR_FAILOVER_AFTER).")
    public var failoverAfter: String = environment["OPERATOR_FAILOVER_AFTER"] ?? "2s"

    @Flag(help: "Elect a leader through a coordination.k8s.io Lease (env OPERATOR_LEADER_ELECT=true).")
    public var leaderElect = environment["OPERATOR_LEADER_ELECT"] == "true"

    @Option(help: "Name of the leader-election Lease (env OPERATOR_LEASE_NAME).")
    public var leaseName: String = environment["OPERATOR_LEASE_NAME"] ?? "broadcast-operator"

    @Option(help: "Namespace of the Lease (env OPERATOR_LEASE_NAMESPACE, else POD_NAMESPACE, else the kubeconfig's).")
    public var leaseNamespace: String? = environment["OPERATOR_LEASE_NAMESPACE"] ?? environment["POD_NAMESPACE"]

    @Option(help: "How long a silent leader keeps the Lease, e.g. 15s (env OPERATOR_LEASE_DURATION).")
    public var leaseDuration: String = environment["OPERATOR_LEASE_DURATION"] ?? "15s"

    @Option(help: "This process's name in the Lease (env OPERATOR_IDENTITY; default hostname-pid).")
    public var identity: String = environment["OPERATOR_IDENTITY"]
        ?? "\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)"

    @Option(help: "Port of /metrics and /healthz (env OPERATOR_METRICS_PORT).")
    public var metricsPort: Int = Int(environment["OPERATOR_METRICS_PORT"] ?? "") ?? 8081

    @Option(help: "Address /metrics and /healthz listen on (env OPERATOR_METRICS_BIND_ADDRESS).")
    public var metricsBindAddress: String = environment["OPERATOR_METRICS_BIND_ADDRESS"] ?? "0.0.0.0"

    @Option(help: "Broadcasts reconciled in parallel (env OPERATOR_WORKERS).")
    public var workers: Int = Int(environment["OPERATOR_WORKERS"] ?? "") ?? 4

    @Option(help: "trace, debug, info, notice, warning, error or critical (env OPERATOR_LOG_LEVEL).")
    public var logLevel: String = environment["OPERATOR_LOG_LEVEL"] ?? "info"

    public init() {}

    public func validate() throws {
        guard Self.seconds(failoverAfter) != nil else {
            throw ValidationError("--failover-after must be a duration like 2s, 500ms or 1m, not \"\(failoverAfter)\"")
        }
        guard let lease = Self.seconds(leaseDuration), lease >= 1 else {
            throw ValidationError("--lease-duration must be a duration of at least 1s, like 15s, not \"\(leaseDuration)\"")
        }
        guard (1...65535).contains(metricsPort) else { throw ValidationError("--metrics-port must be between 1 and 65535") }
        guard (1...64).contains(workers) else { throw ValidationError("--workers must be between 1 and 64") }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level must be one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    /// Called by `main.swift` (see there for why not `run()`).
    public func serve() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "broadcast-operator")
        let config: KubeConfig
        do {
            config = try KubeConfig.load(kubeconfig: kubeconfig ?? Self.environment["KUBECONFIG_PATH"])
        } catch {
            throw ValidationError("cannot reach the cluster: \(error)")
        }
        let client = try KubeClient(config: config, userAgent: "broadcast-operator", logger: logger)
        let metrics = OperatorMetrics()
        let controller = BroadcastController(
            client: client, policy: scheduling == .packed ? .packed : .distributed,
            failoverAfter: .milliseconds(Int((Self.seconds(failoverAfter) ?? 2) * 1000)), metrics: metrics,
            identity: identity, logger: logger)
        let elector = leaderElect ? LeaderElector(
            client: client, name: leaseName, namespace: leaseNamespace ?? config.namespace, identity: identity,
            leaseDuration: .milliseconds(Int((Self.seconds(leaseDuration) ?? 15) * 1000)), logger: logger) : nil
        logger.info("starting", metadata: [
            "server": "\(config.server)", "scheduling": "\(scheduling.rawValue)", "failoverAfter": "\(failoverAfter)",
            "leaderElect": "\(leaderElect)", "identity": "\(identity)",
        ])
        let service = OperatorService(
            controller: controller, elector: elector, metrics: metrics, workers: workers,
            metricsHost: metricsBindAddress, metricsPort: metricsPort, logger: logger)
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: service)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await group.run()
        } catch {
            try? await client.shutdown()
            throw error
        }
        try? await client.shutdown()
    }

    /// "2s", "500ms", "1m" → seconds.
    static func seconds(_ text: String) -> Double? {
        for (suffix, scale) in [("ms", 0.001), ("s", 1.0), ("m", 60.0)] where text.hasSuffix(suffix) {
            if let value = Double(text.dropLast(suffix.count)), value >= 0 { return value * scale }
            return nil
        }
        return nil
    }
}
