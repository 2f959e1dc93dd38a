import Foundation
import Synchronization

/// `GET /health` (DESIGN.md §4): the pod's state as the old servers reported it, plus its resource use.
final class HealthReporter: Sendable {
    struct Report: Encodable {
        var status: String
        var podName: String
        var activeStreams: Int
        var capacity: Int
        var uptimeSeconds: Int
        var memoryBytes: Int
        var cpuSeconds: Double
    }

    let podName: String
    let capacity: Int
    private let started = ContinuousClock.now
    private let engine: MediaEngine
    let draining = Atomic<Bool>(false)

    init(podName: String, capacity: Int, engine: MediaEngine) {
        self.podName = podName
        self.capacity = capacity
        self.engine = engine
    }

    func report() -> Report {
        let uptime = ContinuousClock.now - started
        return Report(
            status: draining.load(ordering: .relaxed) ? "draining" : "ok",
            podName: podName,
            activeStreams: engine.snapshot().filter { $0.failure == nil }.count,
            capacity: capacity,
            uptimeSeconds: Int(uptime.components.seconds),
            memoryBytes: Self.residentMemoryBytes(),
            cpuSeconds: Self.cpuSeconds())
    }

    /// Resident set size from /proc/self/statm (second field, in pages).
    static func residentMemoryBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8),
              let pages = text.split(separator: " ").dropFirst().first.flatMap({ Int($0) })
        else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let user = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
        let system = Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
        return ((user + system) * 1000).rounded() / 1000
    }
}
