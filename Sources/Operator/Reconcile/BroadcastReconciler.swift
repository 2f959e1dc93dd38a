import BroadcastAPI

/// One Broadcast as the reconciler reads it from the cache.
public struct ObservedBroadcast: Sendable, Equatable {
    public var namespace: String
    public var name: String
    public var generation: Int
    public var deleting: Bool
    public var finalizers: [String]
    /// The `media.streamlick.io/pod` label.
    public var podLabel: String?
    public var spec: BroadcastSpec
    public var status: BroadcastStatus

    public init(namespace: String, name: String, generation: Int = 1, deleting: Bool = false, finalizers: [String] = [],
                podLabel: String? = nil, spec: BroadcastSpec, status: BroadcastStatus = BroadcastStatus()) {
        self.namespace = namespace
        self.name = name
        self.generation = generation
        self.deleting = deleting
        self.finalizers = finalizers
        self.podLabel = podLabel
        self.spec = spec
        self.status = status
    }
}

/// The rest of the world the decision depends on, read from the caches at reconcile time.
public struct ReconcileContext: Sendable {
    public var pods: [MediaPodState]
    /// Where each media pod is reached: its `media.streamlick.io/public-url` annotation, else `http://IP:port`.
    public var podURLs: [String: String]
    /// Broadcasts per pod, in-flight assignments included, this broadcast excluded.
    public var load: [String: Int]
    /// Pods the availability tracker says to leave (unavailable for `--failover-after`).
    public var failedPods: Set<String>
    public var secretNames: Set<String>
    public var now: String

    public init(pods: [MediaPodState], podURLs: [String: String], load: [String: Int], failedPods: Set<String> = [],
                secretNames: Set<String>, now: String) {
        self.pods = pods
        self.podURLs = podURLs
        self.load = load
        self.failedPods = failedPods
        self.secretNames = secretNames
        self.now = now
    }
}

/// One step toward the desired state; the controller carries them out in order.
public enum ReconcileAction: Sendable, Equatable {
    case addFinalizer
    /// Create the ingest token Secret (random `token` and `guestToken`, owned by the Broadcast).
    case createIngestSecret(name: String)
    case updateStatus(BroadcastStatus)
    /// Set (or remove, nil) the `media.streamlick.io/pod` label.
    case setPodLabel(String?)
    case recordEvent(type: String, reason: String, message: String)
    case removeFinalizer
}

/// The Broadcast controller's decisions (DESIGN.md §2, §5), level-based and pure: the same observation always
/// gives the same actions, and actions already in effect are not repeated.
public struct BroadcastReconciler: Sendable {
    public static let finalizer = Broadcast.finalizer
    public static let podLabel = Broadcast.podLabel
    public static let egressStoppedCondition = Broadcast.egressStoppedCondition

    public var scheduler: Scheduler

    public init(scheduler: Scheduler) {
        self.scheduler = scheduler
    }

    public func reconcile(_ broadcast: ObservedBroadcast, _ context: ReconcileContext) -> [ReconcileAction] {
        if broadcast.deleting { return finish(broadcast, context) }
        var actions: [ReconcileAction] = []
        if !broadcast.finalizers.contains(Self.finalizer) { actions.append(.addFinalizer) }

        var status = broadcast.status
        status.observedGeneration = broadcast.generation
        let problems = broadcast.spec.validate()
        if !problems.isEmpty {
            status.phase = .failed
            status.setCondition(condition("Scheduled", false, "InvalidSpec",
                                          problems.map(\.description).joined(separator: "; "), broadcast, context))
            return actions + statusActions(broadcast, status, event: ("Warning", "InvalidSpec", problems[0].description))
        }

        let tokenSecret = broadcast.spec.ingestTokenSecret(broadcastName: broadcast.name).name
        if broadcast.spec.ingest?.tokenSecretRef == nil, !context.secretNames.contains(tokenSecret) {
            actions.append(.createIngestSecret(name: tokenSecret))
        }
        let missingKeys = missingStreamKeySecrets(broadcast.spec, context)
        status.setCondition(missingKeys.isEmpty
            ? condition("StreamKeysFound", true, "SecretsFound", "every stream key Secret exists", broadcast, context)
            : condition("StreamKeysFound", false, "SecretNotFound",
                        "Secret \(missingKeys.joined(separator: ", ")) not found; waiting for it", broadcast, context))

        var event: (String, String, String)?
        let current = status.assignment
        // A pod that went away keeps its broadcasts until the availability tracker says it was gone long enough.
        if let current, !context.failedPods.contains(current.pod) {
            // Stays where it is.
        } else {
            // The pod being left stays in the count of the NoCapacity message, as a pod without room.
            let candidates = context.pods.map { pod in
                var pod = pod
                if pod.name == current?.pod { pod.ready = false }
                return pod
            }
            switch scheduler.choose(zones: broadcast.spec.placement?.zones, pods: candidates, load: context.load) {
            case .success(let pod):
                let epoch = max(current?.epoch ?? 0, status.lastEpoch ?? 0) + 1
                status.assignment = .init(pod: pod, epoch: epoch, since: context.now)
                status.lastEpoch = epoch
                status.phase = .scheduled
                status.destinations = nil
                status.stats = nil
                status.setCondition(condition("Scheduled", true, "Scheduled", "assigned to media pod \(pod)", broadcast, context))
                if let current {
                    event = ("Normal", "Rescheduled", "media pod \(current.pod) is unavailable; moved to \(pod) (epoch \(epoch))")
                } else if epoch > 1 {
                    event = ("Normal", "Rescheduled", "placed on media pod \(pod) after waiting for room (epoch \(epoch))")
                } else {
                    event = ("Normal", "Scheduled", "assigned to media pod \(pod)")
                }
            case .failure(let noCapacity):
                status.assignment = nil
                status.ingest = nil
                status.phase = .pending
                status.setCondition(condition("Scheduled", false, noCapacity.reason, noCapacity.message, broadcast, context))
                if broadcast.status.condition("Scheduled")?.reason != noCapacity.reason || current != nil {
                    event = ("Warning", noCapacity.reason, noCapacity.message)
                }
            }
        }
        if let assignment = status.assignment, let base = context.podURLs[assignment.pod] {
            let path = "\(broadcast.namespace)/\(broadcast.name)"
            status.ingest = .init(whipURL: "\(base)/whip/\(path)", whepURL: "\(base)/whep/\(path)", tokenSecretName: tokenSecret)
        }
        if status.phase == nil { status.phase = status.assignment == nil ? .pending : .scheduled }
        if status.assignment?.pod != broadcast.podLabel { actions.append(.setPodLabel(status.assignment?.pod)) }
        return actions + statusActions(broadcast, status, event: event)
    }

    /// Deletion: the assigned pod stops the egress and says so; a pod that is gone cannot, so it is not waited for.
    private func finish(_ broadcast: ObservedBroadcast, _ context: ReconcileContext) -> [ReconcileAction] {
        guard broadcast.finalizers.contains(Self.finalizer) else { return [] }
        let stopped = broadcast.status.condition(Self.egressStoppedCondition)?.status == "True"
        let pod = broadcast.status.assignment?.pod
        let podAlive = pod.map { name in
            !context.failedPods.contains(name) && context.pods.contains { $0.name == name && $0.ready }
        } ?? false
        if stopped || !podAlive { return [.removeFinalizer] }
        guard broadcast.status.phase != .ended else { return [] }
        var status = broadcast.status
        status.phase = .ended
        return [.updateStatus(status)]
    }

    private func missingStreamKeySecrets(_ spec: BroadcastSpec, _ context: ReconcileContext) -> [String] {
        guard spec.egressMethod == "rtmp" else { return [] }
        let names = (spec.destinations ?? []).filter(\.isEnabled).map(\.streamKeySecretRef.name)
        return Array(Set(names.filter { !context.secretNames.contains($0) })).sorted()
    }

    private func condition(
        _ type: String, _ isTrue: Bool, _ reason: String, _ message: String, _ broadcast: ObservedBroadcast,
        _ context: ReconcileContext
    ) -> BroadcastStatus.Condition {
        .init(type: type, status: isTrue ? "True" : "False", observedGeneration: broadcast.generation,
              lastTransitionTime: context.now, reason: reason, message: message)
    }

    private func statusActions(
        _ broadcast: ObservedBroadcast, _ status: BroadcastStatus, event: (String, String, String)?
    ) -> [ReconcileAction] {
        var actions: [ReconcileAction] = []
        if status != broadcast.status { actions.append(.updateStatus(status)) }
        if let (type, reason, message) = event { actions.append(.recordEvent(type: type, reason: reason, message: message)) }
        return actions
    }
}
