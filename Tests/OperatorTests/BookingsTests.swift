import Kube
@testable import Operator
import Testing

@Suite struct BookingsTests {
    @Test func countsFollowBookingsMovesAndRemovals() {
        var bookings = Bookings()
        #expect(bookings.set("ns/a", pod: "pod-1") == Bookings.Change(freed: nil, taken: "pod-1"))
        bookings.set("ns/b", pod: "pod-1")
        bookings.set("ns/c", pod: nil, pending: true)
        #expect(bookings.count(on: "pod-1") == 2)
        #expect(bookings.pending == ["ns/c"])
        #expect(bookings.load(excluding: "ns/a") == ["pod-1": 1])
        #expect(bookings.load(excluding: "ns/c") == ["pod-1": 2])

        // Setting the same pod again changes nothing.
        #expect(bookings.set("ns/a", pod: "pod-1") == Bookings.Change())
        #expect(bookings.set("ns/a", pod: "pod-2") == Bookings.Change(freed: "pod-1", taken: "pod-2"))
        #expect(bookings.count(on: "pod-1") == 1)
        #expect(bookings.broadcasts(on: "pod-2") == ["ns/a"])

        bookings.set("ns/c", pod: "pod-2")
        #expect(bookings.pending.isEmpty)
        #expect(bookings.remove("ns/b") == Bookings.Change(freed: "pod-1", taken: nil))
        #expect(bookings.podsInUse == ["pod-2"])
        #expect(bookings.pod(of: "ns/b") == nil)
        #expect(bookings.remove("ns/missing") == Bookings.Change())
    }
}

@Suite struct LeaseDecisionTests {
    func lease(holder: String?, duration: Int? = 15) -> Lease {
        Lease(metadata: ObjectMeta(name: "broadcast-operator"),
              spec: .init(holderIdentity: holder, leaseDurationSeconds: duration))
    }

    @Test func createRenewWaitAndTakeOver() {
        let fifteen = Duration.seconds(15)
        #expect(LeaseDecision.decide(lease: nil, identity: "a", unchangedFor: .zero, leaseDuration: fifteen) == .create)
        #expect(LeaseDecision.decide(lease: lease(holder: "a"), identity: "a", unchangedFor: .seconds(60),
                                     leaseDuration: fifteen) == .renew)
        #expect(LeaseDecision.decide(lease: lease(holder: "b"), identity: "a", unchangedFor: .seconds(14),
                                     leaseDuration: fifteen) == .wait)
        #expect(LeaseDecision.decide(lease: lease(holder: "b"), identity: "a", unchangedFor: .seconds(15),
                                     leaseDuration: fifteen) == .takeOver)
        // A released Lease (no holder) is free at once.
        #expect(LeaseDecision.decide(lease: lease(holder: nil), identity: "a", unchangedFor: .zero,
                                     leaseDuration: fifteen) == .takeOver)
        // The holder's own duration counts, not ours.
        #expect(LeaseDecision.decide(lease: lease(holder: "b", duration: 3), identity: "a", unchangedFor: .seconds(4),
                                     leaseDuration: fifteen) == .takeOver)
    }
}
