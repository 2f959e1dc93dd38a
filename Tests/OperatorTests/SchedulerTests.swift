import Testing
@testable import Operator

@Suite struct SchedulerTests {
    let pods = [
        MediaPodState(name: "a", ready: true, capacity: 3, zone: "z1"),
        MediaPodState(name: "b", ready: true, capacity: 3, zone: "z2"),
        MediaPodState(name: "c", ready: true, capacity: 3, zone: "z1"),
    ]

    /// Places `count` broadcasts one after another, recording each choice before the next, as the operator does.
    func place(_ count: Int, _ scheduler: Scheduler, pods: [MediaPodState], zones: [String]? = nil,
               load: [String: Int] = [:]) -> (choices: [String], load: [String: Int]) {
        var load = load
        var choices: [String] = []
        for _ in 0..<count {
            guard case .success(let pod) = scheduler.choose(zones: zones, pods: pods, load: load) else { break }
            choices.append(pod)
            load[pod, default: 0] += 1
        }
        return (choices, load)
    }

    @Test func packedFillsTheBusiestPodWithRoomFirst() {
        let (choices, _) = place(7, Scheduler(policy: .packed), pods: pods, load: ["b": 1])
        #expect(choices == ["b", "b", "a", "a", "a", "c", "c"])
    }

    @Test func distributedSpreadsOverTheLeastLoaded() {
        let (choices, _) = place(6, Scheduler(policy: .distributed), pods: pods, load: ["b": 1])
        #expect(choices == ["a", "c", "a", "b", "c", "a"])
    }

    @Test func capacityIsNeverExceededAndTheRestWaitWithAReason() {
        let scheduler = Scheduler(policy: .packed)
        let (choices, load) = place(20, scheduler, pods: pods)
        #expect(choices.count == 9)
        #expect(load.values.allSatisfy { $0 <= 3 })
        let refusal = scheduler.choose(zones: nil, pods: pods, load: load)
        #expect(refusal == .failure(NoCapacity(podsWithRoom: 0, podsConsidered: 3, zones: nil)))
        if case .failure(let noCapacity) = refusal {
            #expect(noCapacity.message == "0 of 3 media pods have room")
        }
    }

    @Test func unschedulablePodsAreSkipped() {
        let mixed = [
            MediaPodState(name: "not-ready", ready: false),
            MediaPodState(name: "terminating", ready: true, terminating: true),
            MediaPodState(name: "draining", ready: true, draining: true),
            MediaPodState(name: "ok", ready: true),
        ]
        #expect(Scheduler(policy: .packed).choose(zones: nil, pods: mixed, load: [:]) == .success("ok"))
        #expect(Scheduler(policy: .packed).choose(zones: nil, pods: Array(mixed.dropLast()), load: [:])
                == .failure(NoCapacity(podsWithRoom: 0, podsConsidered: 3, zones: nil)))
    }

    @Test func placementZonesRestrictThePods() {
        let scheduler = Scheduler(policy: .distributed)
        let (choices, _) = place(4, scheduler, pods: pods, zones: ["z2"])
        #expect(choices == ["b", "b", "b"])
        guard case .failure(let refusal) = scheduler.choose(zones: ["z9"], pods: pods, load: [:]) else {
            Issue.record("a zone without pods must not be placed")
            return
        }
        #expect(refusal.message == "0 of 0 media pods in zones z9 have room")
    }
}

@Suite struct PodAvailabilityTests {
    @Test func failsOverOnlyAfterThePodWasUnavailableLongEnough() {
        var availability = PodAvailability(failoverAfter: .seconds(2))
        let start = ContinuousClock.now
        availability.observe(pods: [MediaPodState(name: "p", ready: true)], assignedTo: ["p"], now: start)
        #expect(!availability.shouldFailOver(from: "p", now: start + .seconds(10)))

        availability.observe(pods: [MediaPodState(name: "p", ready: false)], assignedTo: ["p"], now: start + .seconds(1))
        #expect(!availability.shouldFailOver(from: "p", now: start + .milliseconds(2900)))
        #expect(availability.shouldFailOver(from: "p", now: start + .seconds(3)))
        #expect(availability.nextCheck(for: "p") == start + .seconds(3))

        // Ready again before the deadline: the clock starts over next time.
        availability.observe(pods: [MediaPodState(name: "p", ready: true)], assignedTo: ["p"], now: start + .seconds(4))
        #expect(!availability.shouldFailOver(from: "p", now: start + .seconds(5)))
    }

    @Test func aPodThatIsGoneCountsAsUnavailable() {
        var availability = PodAvailability(failoverAfter: .seconds(2))
        let start = ContinuousClock.now
        availability.observe(pods: [], assignedTo: ["gone"], now: start)
        #expect(availability.shouldFailOver(from: "gone", now: start + .seconds(2)))
    }
}
