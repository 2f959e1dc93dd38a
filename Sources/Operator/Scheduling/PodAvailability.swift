/// Decides when a broadcast's pod has been unavailable (gone, NotReady or terminating) long enough to fail
/// over (`--failover-after`, DESIGN.md §5). A pod annotated draining is alive by its own word: it keeps its live
/// broadcasts while it drains (DESIGN.md §4), NotReady and terminating as it then is; only its disappearance moves
/// them. Pure: observations and time come in as parameters.
public struct PodAvailability: Sendable {
    public let failoverAfter: Duration
    private var unavailableSince: [String: ContinuousClock.Instant] = [:]

    public init(failoverAfter: Duration) {
        self.failoverAfter = failoverAfter
    }

    /// Records what the pod informer shows now: pods missing from `pods` count as gone.
    public mutating func observe(pods: [MediaPodState], assignedTo podNames: Set<String>, now: ContinuousClock.Instant) {
        let byName = Dictionary(pods.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        for name in podNames {
            let available = byName[name].map { ($0.ready && !$0.terminating) || $0.draining } ?? false
            if available {
                unavailableSince[name] = nil
            } else if unavailableSince[name] == nil {
                unavailableSince[name] = now
            }
        }
        unavailableSince = unavailableSince.filter { podNames.contains($0.key) }
    }

    /// True once `pod` has been unavailable for `failoverAfter`.
    public func shouldFailOver(from pod: String, now: ContinuousClock.Instant) -> Bool {
        guard let since = unavailableSince[pod] else { return false }
        return now - since >= failoverAfter
    }

    /// When to look again for a pod that is unavailable but not for long enough yet.
    public func nextCheck(for pod: String) -> ContinuousClock.Instant? {
        unavailableSince[pod].map { $0 + failoverAfter }
    }
}
