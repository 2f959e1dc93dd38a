/// A media pod as the scheduler sees it (DESIGN.md §5): read from the Pod's conditions, labels and annotations.
public struct MediaPodState: Sendable, Equatable {
    public var name: String
    public var ready: Bool
    /// The Pod has a deletionTimestamp.
    public var terminating: Bool
    /// Annotated `media.streamlick.io/draining=true`.
    public var draining: Bool
    /// Annotation `media.streamlick.io/capacity`, default 10.
    public var capacity: Int
    /// Label `topology.kubernetes.io/zone`.
    public var zone: String?

    public static let defaultCapacity = 10

    public init(name: String, ready: Bool, terminating: Bool = false, draining: Bool = false,
                capacity: Int = MediaPodState.defaultCapacity, zone: String? = nil) {
        self.name = name
        self.ready = ready
        self.terminating = terminating
        self.draining = draining
        self.capacity = capacity
        self.zone = zone
    }

    public var schedulable: Bool { ready && !terminating && !draining }
}

public enum SchedulingPolicy: String, Sendable, CaseIterable {
    /// Fill the busiest pod that has room, so idle pods can be scaled away.
    case packed = "Packed"
    /// The least loaded pod.
    case distributed = "Distributed"
}

/// Why a broadcast could not be placed; `message` is what its `Scheduled` condition says.
public struct NoCapacity: Error, Sendable, Equatable {
    public var podsWithRoom: Int
    public var podsConsidered: Int
    public var zones: [String]?

    public var reason: String { "NoCapacity" }

    public var message: String {
        let scope = zones.map { " in zones \($0.joined(separator: ", "))" } ?? ""
        return "\(podsWithRoom) of \(podsConsidered) media pods\(scope) have room"
    }
}

/// Chooses a media pod for a broadcast. Pure: the caller passes the pods and the current load (broadcasts per pod,
/// in-flight assignments included) and records the choice before placing the next one, so capacity holds.
public struct Scheduler: Sendable {
    public var policy: SchedulingPolicy

    public init(policy: SchedulingPolicy) {
        self.policy = policy
    }

    public func choose(zones: [String]?, pods: [MediaPodState], load: [String: Int]) -> Result<String, NoCapacity> {
        let wanted = zones.flatMap { $0.isEmpty ? nil : Set($0) }
        // One pass, one load lookup per pod: this runs for every placement, over every media pod.
        var considered = 0
        var best: (name: String, load: Int)?
        for pod in pods {
            if let wanted, !(pod.zone.map(wanted.contains) ?? false) { continue }
            considered += 1
            let podLoad = load[pod.name, default: 0]
            guard pod.schedulable, podLoad < pod.capacity else { continue }
            if let current = best {
                let better = podLoad == current.load
                    ? pod.name < current.name
                    : (policy == .packed ? podLoad > current.load : podLoad < current.load)
                if !better { continue }
            }
            best = (pod.name, podLoad)
        }
        guard let best else {
            return .failure(NoCapacity(podsWithRoom: 0, podsConsidered: considered, zones: wanted == nil ? nil : zones))
        }
        return .success(best.name)
    }
}
