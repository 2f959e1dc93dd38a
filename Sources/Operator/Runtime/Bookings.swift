/// Which media pod each broadcast occupies (DESIGN.md §5 "load"): what the cache shows, plus assignments being
/// written, so that two workers placing broadcasts at the same time never book the same room. Pure; the controller
/// keeps it behind a lock and changes it in the same critical section as the scheduling decision.
public struct Bookings: Sendable {
    private var podOfBroadcast: [String: String] = [:]
    private var broadcastsOnPod: [String: Set<String>] = [:]
    /// `broadcastsOnPod`'s counts, kept so that `load` costs nothing in the common case.
    private var counts: [String: Int] = [:]
    /// Broadcasts waiting for room (no assignment, not failed, not being deleted).
    public private(set) var pending: Set<String> = []

    public init() {}

    public func pod(of broadcast: String) -> String? { podOfBroadcast[broadcast] }

    public func count(on pod: String) -> Int { counts[pod] ?? 0 }

    public func broadcasts(on pod: String) -> Set<String> { broadcastsOnPod[pod] ?? [] }

    /// Pods with at least one broadcast.
    public var podsInUse: Set<String> { Set(broadcastsOnPod.keys) }

    /// Broadcasts per pod, leaving out `broadcast` itself (the scheduler places it against the others).
    public func load(excluding broadcast: String) -> [String: Int] {
        guard let own = podOfBroadcast[broadcast] else { return counts }
        var load = counts
        load[own, default: 1] -= 1
        return load
    }

    /// What a booking changed: the pod that lost a broadcast (room freed) and the pod that gained one.
    public struct Change: Sendable, Equatable {
        public var freed: String?
        public var taken: String?

        public var pods: [String] { [freed, taken].compactMap { $0 } }
    }

    /// Books `broadcast` on `pod` (nil: nowhere).
    @discardableResult
    public mutating func set(_ broadcast: String, pod: String?, pending isPending: Bool = false) -> Change {
        if isPending { pending.insert(broadcast) } else { pending.remove(broadcast) }
        let previous = podOfBroadcast[broadcast]
        guard previous != pod else { return Change() }
        if let previous {
            broadcastsOnPod[previous]?.remove(broadcast)
            counts[previous, default: 1] -= 1
            if broadcastsOnPod[previous]?.isEmpty == true {
                broadcastsOnPod[previous] = nil
                counts[previous] = nil
            }
        }
        if let pod {
            broadcastsOnPod[pod, default: []].insert(broadcast)
            counts[pod, default: 0] += 1
        }
        podOfBroadcast[broadcast] = pod
        return Change(freed: previous, taken: pod)
    }

    /// The broadcast is gone.
    @discardableResult
    public mutating func remove(_ broadcast: String) -> Change {
        let change = set(broadcast, pod: nil)
        podOfBroadcast[broadcast] = nil
        return change
    }
}

/// Which Broadcasts name which Secret (both as `namespace/name` keys), kept from the Broadcast informer's events.
struct SecretReferences: Sendable {
    private var secretsOfBroadcast: [String: Set<String>] = [:]
    private var broadcastsOfSecret: [String: Set<String>] = [:]

    func broadcasts(naming secret: String) -> Set<String> { broadcastsOfSecret[secret] ?? [] }

    mutating func set(_ broadcast: String, _ secrets: Set<String>) {
        let previous = secretsOfBroadcast[broadcast] ?? []
        guard previous != secrets else { return }
        for secret in previous.subtracting(secrets) {
            broadcastsOfSecret[secret]?.remove(broadcast)
            if broadcastsOfSecret[secret]?.isEmpty == true { broadcastsOfSecret[secret] = nil }
        }
        for secret in secrets.subtracting(previous) { broadcastsOfSecret[secret, default: []].insert(broadcast) }
        secretsOfBroadcast[broadcast] = secrets.isEmpty ? nil : secrets
    }
}
