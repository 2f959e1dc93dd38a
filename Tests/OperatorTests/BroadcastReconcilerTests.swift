import Foundation
import BroadcastAPI
import Testing
@testable import Operator

@Suite struct BroadcastReconcilerTests {
    let reconciler = BroadcastReconciler(scheduler: Scheduler(policy: .packed))
    let now = "2026-11-27T10:00:00Z"

    func spec(destinations: [(String, String)] = [("yt", "yt-key")]) -> BroadcastSpec {
        var spec = BroadcastSpec()
        spec.destinations = destinations.map { name, secret in
            try! JSONDecoder().decode(BroadcastSpec.Destination.self, from: Data(
                #"{"name":"\#(name)","url":"rtmp://example/live","streamKeySecretRef":{"name":"\#(secret)","key":"k"}}"#.utf8))
        }
        return spec
    }

    func context(pods: [MediaPodState], load: [String: Int] = [:], failed: Set<String> = [],
                 secrets: Set<String> = ["yt-key", "show-ingest"]) -> ReconcileContext {
        ReconcileContext(
            pods: pods, podURLs: Dictionary(uniqueKeysWithValues: pods.map { ($0.name, "http://\($0.name):8080") }),
            load: load, failedPods: failed, secretNames: secrets, now: now)
    }

    func status(in actions: [ReconcileAction]) -> BroadcastStatus? {
        actions.compactMap { if case .updateStatus(let status) = $0 { status } else { nil } }.last
    }

    /// Applies what the controller would write, so the next reconcile sees it.
    func applied(_ broadcast: ObservedBroadcast, _ actions: [ReconcileAction]) -> ObservedBroadcast {
        var next = broadcast
        for action in actions {
            switch action {
            case .addFinalizer: next.finalizers.append(BroadcastReconciler.finalizer)
            case .removeFinalizer: next.finalizers.removeAll { $0 == BroadcastReconciler.finalizer }
            case .updateStatus(let status): next.status = status
            case .setPodLabel(let pod): next.podLabel = pod
            case .createIngestSecret, .recordEvent: break
            }
        }
        return next
    }

    @Test func aNewBroadcastIsScheduledWithIngestURLsAndThenLeftAlone() {
        let broadcast = ObservedBroadcast(namespace: "studio", name: "show", spec: spec())
        let world = context(pods: [MediaPodState(name: "media-0", ready: true)], secrets: ["yt-key"])
        let actions = reconciler.reconcile(broadcast, world)
        #expect(actions.contains(.addFinalizer))
        #expect(actions.contains(.createIngestSecret(name: "show-ingest")))
        #expect(actions.contains(.setPodLabel("media-0")))
        #expect(actions.contains(.recordEvent(type: "Normal", reason: "Scheduled", message: "assigned to media pod media-0")))
        let written = status(in: actions)
        #expect(written?.phase == .scheduled)
        #expect(written?.assignment == .init(pod: "media-0", epoch: 1, since: now))
        #expect(written?.ingest == .init(whipURL: "http://media-0:8080/whip/studio/show",
                                         whepURL: "http://media-0:8080/whep/studio/show", tokenSecretName: "show-ingest"))
        #expect(written?.condition("Scheduled")?.status == "True")

        var settled = applied(broadcast, actions)
        let secrets: Set<String> = ["yt-key", "show-ingest"]
        #expect(reconciler.reconcile(settled, context(pods: world.pods, secrets: secrets)).isEmpty)
        // The pod's own writes (Live) are not undone.
        settled.status.phase = .live
        #expect(reconciler.reconcile(settled, context(pods: world.pods, secrets: secrets)).isEmpty)
    }

    @Test func withoutRoomItStaysPendingSayingWhyAndIsPlacedWhenAPodHasRoom() {
        let full = MediaPodState(name: "media-0", ready: true, capacity: 10)
        let broadcast = ObservedBroadcast(namespace: "studio", name: "show", finalizers: [BroadcastReconciler.finalizer],
                                          podLabel: nil, spec: spec())
        let actions = reconciler.reconcile(broadcast, context(pods: [full], load: ["media-0": 10]))
        let written = status(in: actions)
        #expect(written?.phase == .pending)
        #expect(written?.condition("Scheduled")?.reason == "NoCapacity")
        #expect(written?.condition("Scheduled")?.message == "0 of 1 media pods have room")
        #expect(actions.contains(.recordEvent(type: "Warning", reason: "NoCapacity", message: "0 of 1 media pods have room")))

        let pending = applied(broadcast, actions)
        #expect(reconciler.reconcile(pending, context(pods: [full], load: ["media-0": 10])).isEmpty)
        let more = [full, MediaPodState(name: "media-1", ready: true)]
        #expect(status(in: reconciler.reconcile(pending, context(pods: more, load: ["media-0": 10])))?.assignment?.pod == "media-1")
    }

    @Test func anUnavailablePodsBroadcastMovesWithTheNextEpoch() {
        var broadcast = ObservedBroadcast(namespace: "studio", name: "show", finalizers: [BroadcastReconciler.finalizer],
                                          podLabel: "media-0", spec: spec())
        broadcast.status.assignment = .init(pod: "media-0", epoch: 3, since: "2026-11-27T09:00:00Z")
        broadcast.status.phase = .live
        let pods = [MediaPodState(name: "media-0", ready: false), MediaPodState(name: "media-1", ready: true)]
        let actions = reconciler.reconcile(broadcast, context(pods: pods, failed: ["media-0"]))
        #expect(status(in: actions)?.assignment == .init(pod: "media-1", epoch: 4, since: now))
        #expect(status(in: actions)?.phase == .scheduled)
        #expect(actions.contains(.setPodLabel("media-1")))
        #expect(actions.contains { if case .recordEvent(_, "Rescheduled", _) = $0 { true } else { false } })
    }

    @Test func aBroadcastThatWaitedForRoomAfterAFailoverGetsANewerEpoch() {
        var broadcast = ObservedBroadcast(namespace: "studio", name: "show", finalizers: [BroadcastReconciler.finalizer],
                                          podLabel: "media-0", spec: spec())
        broadcast.status.assignment = .init(pod: "media-0", epoch: 1, since: "2026-11-27T09:00:00Z")
        broadcast.status.lastEpoch = 1
        let alone = [MediaPodState(name: "media-0", ready: false)]
        let leaving = reconciler.reconcile(broadcast, context(pods: alone, failed: ["media-0"]))
        #expect(status(in: leaving)?.assignment == nil)
        #expect(status(in: leaving)?.lastEpoch == 1)
        // The pod being left still counts: "0 of 1", not "0 of 0".
        #expect(status(in: leaving)?.condition("Scheduled")?.message == "0 of 1 media pods have room")
        #expect(leaving.contains(.setPodLabel(nil)))

        let waiting = applied(broadcast, leaving)
        let placed = reconciler.reconcile(waiting, context(pods: alone + [MediaPodState(name: "media-1", ready: true)]))
        #expect(status(in: placed)?.assignment == .init(pod: "media-1", epoch: 2, since: now))
        #expect(status(in: placed)?.lastEpoch == 2)
        #expect(placed.contains { if case .recordEvent(_, "Rescheduled", _) = $0 { true } else { false } })
    }

    @Test func aMissingStreamKeySecretIsReportedAndClearedWhenItAppears() {
        let broadcast = ObservedBroadcast(namespace: "studio", name: "show", finalizers: [BroadcastReconciler.finalizer],
                                          spec: spec(destinations: [("yt", "yt-key"), ("tw", "tw-key")]))
        let pods = [MediaPodState(name: "media-0", ready: true)]
        let waiting = applied(broadcast, reconciler.reconcile(broadcast, context(pods: pods)))
        #expect(waiting.status.condition("StreamKeysFound")?.message == "Secret tw-key not found; waiting for it")
        #expect(waiting.status.assignment?.pod == "media-0")
        let found = reconciler.reconcile(waiting, context(pods: pods, secrets: ["yt-key", "tw-key", "show-ingest"]))
        #expect(status(in: found)?.condition("StreamKeysFound")?.status == "True")
    }

    @Test func deletionWaitsForTheEgressToStopUnlessThePodIsGone() {
        var broadcast = ObservedBroadcast(namespace: "studio", name: "show", deleting: true,
                                          finalizers: [BroadcastReconciler.finalizer], podLabel: "media-0", spec: spec())
        broadcast.status.assignment = .init(pod: "media-0", epoch: 1, since: now)
        broadcast.status.phase = .live
        let pods = [MediaPodState(name: "media-0", ready: true)]
        let first = reconciler.reconcile(broadcast, context(pods: pods))
        #expect(status(in: first)?.phase == .ended)
        let ending = applied(broadcast, first)
        #expect(reconciler.reconcile(ending, context(pods: pods)).isEmpty)
        var stopped = ending
        stopped.status.setCondition(.init(type: "EgressStopped", status: "True", lastTransitionTime: now,
                                          reason: "Stopped", message: "RTMP streams ended"))
        #expect(reconciler.reconcile(stopped, context(pods: pods)) == [.removeFinalizer])
        #expect(reconciler.reconcile(ending, context(pods: [])) == [.removeFinalizer])
    }

    @Test func anInvalidSpecFailsWithTheFieldInTheMessage() {
        var invalid = spec()
        invalid.guests = try! JSONDecoder().decode(BroadcastSpec.Guests.self, from: Data(#"{"max":40}"#.utf8))
        let actions = reconciler.reconcile(
            ObservedBroadcast(namespace: "studio", name: "show", spec: invalid),
            context(pods: [MediaPodState(name: "media-0", ready: true)]))
        #expect(status(in: actions)?.phase == .failed)
        #expect(status(in: actions)?.condition("Scheduled")?.message == "spec.guests.max: must be between 0 and 16")
        #expect(!actions.contains { if case .setPodLabel = $0 { true } else { false } })
    }
}
