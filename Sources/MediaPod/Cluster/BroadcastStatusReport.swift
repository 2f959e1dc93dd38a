import BroadcastAPI

/// What this pod writes into a Broadcast's status (DESIGN.md §2 "who writes what"): phase Live/Scheduled,
/// destinations, stats and the conditions IngestConnected, EgressHealthy and Ready; for a Broadcast being deleted,
/// EgressStopped once its egress is gone. Pure: the caller passes the stored status and what the engine runs.
struct BroadcastStatusReport {
    var podName: String
    var now: String

    /// The status this pod wants, or nil when it has nothing to say about this Broadcast.
    /// - Parameters:
    ///   - running: the engine's snapshot of the broadcast, nil when the pod does not run it (any more).
    func status(
        current: BroadcastStatus, generation: Int, deleting: Bool, running: BroadcastSnapshot?
    ) -> BroadcastStatus? {
        guard current.assignment?.pod == podName else { return nil }
        var status = current
        if deleting {
            // The finalizer protocol: the operator waits for this before letting the Broadcast go.
            guard running == nil else { return nil }
            status.setCondition(condition(Broadcast.egressStoppedCondition, true, "Stopped",
                                          "the media pod \(podName) stopped the egress", generation))
            return status
        }
        guard let running else { return nil }
        status.phase = running.publisherConnected ? .live : .scheduled
        status.destinations = running.destinations.map { destination in
            BroadcastStatus.DestinationStatus(
                name: destination.name, state: destination.state.rawValue,
                bitrateKbps: destination.state == .live ? destination.bitrateKbps : nil,
                reconnects: destination.reconnects, lastError: destination.lastError.isEmpty ? nil : destination.lastError)
        }
        let enabled = running.destinations.filter { $0.state != .disabled }
        let live = enabled.filter { $0.state == .live }
        status.destinationsReady = "\(live.count)/\(enabled.count)"
        status.stats = running.publisherConnected
            ? .init(videoKbps: running.statistics.bitrateKbps, fps: (running.statistics.fps * 10).rounded() / 10)
            : nil
        status.setCondition(running.publisherConnected
            ? condition("IngestConnected", true, "PublisherConnected", "media from the publisher arrives", generation)
            : condition("IngestConnected", false, "WaitingForPublisher", "no publisher connected", generation))
        let unhealthy = enabled.filter { $0.state != .live }.map(\.name)
        status.setCondition(unhealthy.isEmpty
            ? condition("EgressHealthy", true, "AllDestinationsLive", "\(live.count) of \(enabled.count) destinations live", generation)
            : condition("EgressHealthy", false, "DestinationsNotLive",
                        "not live: \(unhealthy.joined(separator: ", "))", generation))
        status.setCondition(running.failure.map {
            condition("Ready", false, "CannotRun", $0, generation)
        } ?? condition("Ready", true, "Running", "running on media pod \(podName)", generation))
        return status
    }

    private func condition(
        _ type: String, _ isTrue: Bool, _ reason: String, _ message: String, _ generation: Int
    ) -> BroadcastStatus.Condition {
        .init(type: type, status: isTrue ? "True" : "False", observedGeneration: generation, lastTransitionTime: now,
              reason: reason, message: message)
    }
}
