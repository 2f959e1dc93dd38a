import ArgumentParser
import BroadcastAPI
import Foundation

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

    @Option(help: "Port of /metrics and /healthz (env OPERATOR_METRICS_PORT).")
    public var metricsPort: Int = Int(environment["OPERATOR_METRICS_PORT"] ?? "") ?? 8081

    public init() {}

    public func validate() throws {
        guard Self.seconds(failoverAfter) != nil else {
            throw ValidationError("--failover-after must be a duration like 2s, 500ms or 1m, not \"\(failoverAfter)\"")
        }
        guard (1...65535).contains(metricsPort) else { throw ValidationError("--metrics-port must be between 1 and 65535") }
    }

    public func run() throws {
        throw ValidationError(
            "the controllers are not built yet (issue 6 is in progress); `broadcast-operator crd` prints the CRD")
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
