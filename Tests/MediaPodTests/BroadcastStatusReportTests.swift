import BroadcastAPI
import Testing
import WebRTC
@testable import MediaPod

@Suite struct BroadcastStatusReportTests {
    let report = BroadcastStatusReport(podName: "media-a", now: "2026-11-27T10:00:00Z")

    func assigned(to pod: String, phase: BroadcastStatus.Phase = .scheduled) -> BroadcastStatus {
        var status = BroadcastStatus()
        status.phase = phase
        status.assignment = .init(pod: pod, epoch: 1, since: "2026-11-27T09:00:00Z")
        status.setCondition(.init(type: "Scheduled", status: "True", lastTransitionTime: "2026-11-27T09:00:00Z",
                                  reason: "Scheduled", message: "assigned to media pod \(pod)"))
        return status
    }

    func running(connected: Bool, destinations: [DestinationStatus] = []) -> BroadcastSnapshot {
        var statistics = IngestStatistics()
        statistics.fps = 29.97
        statistics.bitrateKbps = 2500
        return BroadcastSnapshot(namespace: "studio", name: "show", publisherConnected: connected, hasSession: connected,
                                 statistics: statistics, destinations: destinations)
    }

    @Test func liveWithDestinationsStatsAndConditionsKeepingTheOperators() throws {
        let status = try #require(report.status(
            current: assigned(to: "media-a"), generation: 3, deleting: false,
            running: running(connected: true, destinations: [
                DestinationStatus(name: "yt", state: .live, bitrateKbps: 2600, reconnects: 1),
                DestinationStatus(name: "tw", state: .retrying, reconnects: 2, lastError: "connection refused"),
                DestinationStatus(name: "fb", state: .disabled),
            ])))
        #expect(status.phase == .live)
        #expect(status.destinationsReady == "1/2")
        #expect(status.destinations?.map(\.state) == ["Live", "Retrying", "Disabled"])
        #expect(status.destinations?[1].lastError == "connection refused")
        #expect(status.stats == .init(videoKbps: 2500, fps: 30.0))
        #expect(status.condition("IngestConnected")?.status == "True")
        #expect(status.condition("EgressHealthy")?.message == "not live: tw")
        #expect(status.condition("Ready")?.observedGeneration == 3)
        #expect(status.condition("Scheduled")?.reason == "Scheduled")
        #expect(status.assignment?.pod == "media-a")
    }

    @Test func backToScheduledWhenThePublisherLeaves() throws {
        let status = try #require(report.status(
            current: assigned(to: "media-a", phase: .live), generation: 1, deleting: false,
            running: running(connected: false)))
        #expect(status.phase == .scheduled)
        #expect(status.stats == nil)
        #expect(status.condition("IngestConnected")?.reason == "WaitingForPublisher")
        #expect(status.condition("EgressHealthy")?.status == "True")
    }

    @Test func anotherPodsBroadcastIsNotTouched() {
        #expect(report.status(current: assigned(to: "media-b"), generation: 1, deleting: false,
                              running: running(connected: true)) == nil)
        #expect(report.status(current: BroadcastStatus(), generation: 1, deleting: false, running: nil) == nil)
    }

    @Test func aDeletedBroadcastIsReportedStoppedOnlyOnceItsEgressIsGone() throws {
        #expect(report.status(current: assigned(to: "media-a"), generation: 1, deleting: true,
                              running: running(connected: true)) == nil)
        let stopped = try #require(report.status(current: assigned(to: "media-a"), generation: 1, deleting: true,
                                                 running: nil))
        #expect(stopped.condition(Broadcast.egressStoppedCondition)?.status == "True")
    }

    @Test func thePatchClearsWhatThePodNoLongerReports() throws {
        var status = assigned(to: "media-a")
        status.stats = nil
        let patch = try ClusterBroadcastSource.statusPatch(status, resourceVersion: "42")
        #expect(patch["metadata"]?["resourceVersion"] == "42")
        #expect(patch["status"]?["stats"] == .null)
        #expect(patch["status"]?["phase"] == "Scheduled")
    }
}
