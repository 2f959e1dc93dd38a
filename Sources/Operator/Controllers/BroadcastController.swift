import BroadcastAPI
import BroadcastKube
import Foundation
import Kube
import Logging
import Synchronization

/// The Broadcast and Pod controllers (DESIGN.md §5): informers for Broadcasts, media Pods and Secrets feed two work
/// queues; Broadcast keys are reconciled by `BroadcastReconciler` and its actions carried out against the API,
/// pod names get their deletion-cost annotation. Informers run from the start (a standby's cache is warm);
/// workers run only while this process leads.
public final class BroadcastController: Sendable {
    public let broadcasts: Informer<BroadcastObject>
    public let pods: Informer<Pod>
    /// Secrets as metadata only: which exist is all the operator needs (their data is never decoded or kept).
    public let secrets: Informer<ObjectHeader>
    let queue = WorkQueue<String>()
    /// Pods whose deletion cost may be stale. Written in batches: while Packed fills a pod, its count changes
    /// with every broadcast, and one write per interval is enough for a scale-down to see.
    private let costsToCheck = Mutex<Set<String>>([])
    let costInterval: Duration = .milliseconds(250)

    private let client: KubeClient
    private let reconciler: BroadcastReconciler
    private let metrics: OperatorMetrics
    private let logger: Logger
    private let identity: String
    private let bookings = Mutex(Bookings())
    private let availability: Mutex<PodAvailability>
    private let mediaPods = Mutex(MediaPodIndex())
    /// `namespace/secret` → the Broadcasts that name it, so a Secret event finds its Broadcasts without a scan.
    private let secretReferences = Mutex(SecretReferences())
    /// When this process first saw each unscheduled Broadcast, for the schedule latency histogram.
    private let firstSeen = Mutex<[String: ContinuousClock.Instant]>([:])

    struct MediaPod: Equatable {
        var namespace: String
        var state: MediaPodState
        var url: String?
        var deletionCost: String?
    }

    /// The media pods by name, with the scheduler's inputs derived once per pod change rather than per reconcile.
    struct MediaPodIndex {
        private(set) var byName: [String: MediaPod] = [:]
        private(set) var states: [MediaPodState] = []
        private(set) var urls: [String: String] = [:]

        subscript(name: String) -> MediaPod? { byName[name] }

        /// Returns the previous entry.
        @discardableResult
        mutating func set(_ name: String, _ pod: MediaPod?) -> MediaPod? {
            let previous = byName[name]
            byName[name] = pod
            if previous?.state != pod?.state || previous?.url != pod?.url {
                states = byName.values.map(\.state)
                urls = byName.compactMapValues(\.url)
            }
            return previous
        }

        mutating func setDeletionCost(_ cost: String?, of name: String) {
            byName[name]?.deletionCost = cost
        }
    }

    public init(
        client: KubeClient, policy: SchedulingPolicy, failoverAfter: Duration, metrics: OperatorMetrics,
        identity: String, logger: Logger
    ) {
        self.client = client
        self.reconciler = BroadcastReconciler(scheduler: Scheduler(policy: policy))
        self.availability = Mutex(PodAvailability(failoverAfter: failoverAfter))
        self.metrics = metrics
        self.identity = identity
        self.logger = logger
        // The cache keeps what the reconciler reads; annotations (kubectl's last-applied copy of the spec) are
        // dropped, which a status write does not mind: the server takes metadata from the stored object.
        broadcasts = Informer(client: client, resource: .broadcasts, logger: logger) { broadcast in
            var broadcast = broadcast
            broadcast.metadata.annotations = nil
            return broadcast
        }
        pods = Informer(client: client, resource: .pods, labelSelector: MediaPods.selector, logger: logger)
        secrets = Informer(client: client, resource: .secrets, logger: logger, transform: Self.secretPresence)
    }

    public var hasSynced: Bool { broadcasts.hasSynced && pods.hasSynced && secrets.hasSynced }

    /// Runs the three informers until cancelled.
    public func runInformers() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.broadcasts.run { await self.broadcastChanged($0) } }
            group.addTask { await self.pods.run { await self.podChanged($0) } }
            group.addTask { await self.secrets.run { await self.secretChanged($0) } }
        }
    }

    /// Runs `workers` Broadcast workers and one deletion-cost worker until cancelled.
    public func runWorkers(_ workers: Int) async {
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<workers {
                group.addTask { await self.work(self.queue, "broadcast", self.reconcile) }
            }
            group.addTask { await self.syncDeletionCosts() }
            group.addTask { await self.reportQueueDepth() }
            await withTaskCancellationHandler {
                await group.waitForAll()
            } onCancel: {
                Task { await self.queue.shutdown() }
            }
        }
    }

    /// Broadcasts per phase, for the metric.
    public func phaseCounts() -> [BroadcastStatus.Phase: Int] {
        var counts: [BroadcastStatus.Phase: Int] = [:]
        for broadcast in broadcasts.objects { counts[broadcast.status?.phase ?? .pending, default: 0] += 1 }
        return counts
    }

    // MARK: - Informer events: only bookkeeping and enqueueing

    private func broadcastChanged(_ change: InformerChange<BroadcastObject>) async {
        switch change {
        case .synced:
            return
        case .upserted(_, let object):
            let key = object.cacheKey
            let status = object.status
            let waiting = object.metadata.deletionTimestamp == nil && status?.assignment == nil
                && status?.phase != .failed
            if waiting { firstSeen.withLock { $0[key] = $0[key] ?? .now } }
            let change = bookings.withLock { $0.set(key, pod: status?.assignment?.pod, pending: waiting) }
            secretReferences.withLock { $0.set(key, Self.secretsNamed(by: object)) }
            await queue.add(key)
            await podLoadChanged(change)
        case .deleted(let object):
            let key = object.cacheKey
            firstSeen.withLock { $0[key] = nil }
            secretReferences.withLock { $0.set(key, []) }
            await podLoadChanged(bookings.withLock { $0.remove(key) })
        }
    }

    private func podChanged(_ change: InformerChange<Pod>) async {
        let name: String
        let now = ContinuousClock.now
        switch change {
        case .synced:
            return
        case .upserted(_, let pod):
            name = pod.metadata.name ?? ""
            let updated = MediaPod(
                namespace: pod.metadata.namespace ?? "default", state: MediaPods.state(of: pod),
                url: MediaPods.url(of: pod), deletionCost: pod.metadata.annotations?[MediaPods.deletionCostAnnotation])
            let previous = mediaPods.withLock { $0.set(name, updated) }
            costsToCheck.withLock { _ = $0.insert(name) }
            // The deletion-cost annotation this controller writes changes nothing else.
            if var previous {
                previous.deletionCost = updated.deletionCost
                if previous == updated { return }
            }
        case .deleted(let pod):
            name = pod.metadata.name ?? ""
            mediaPods.withLock { $0.set(name, nil) }
        }
        let states = mediaPods.withLock { $0.states }
        let (affected, inUse) = bookings.withLock { ($0.broadcasts(on: name).union($0.pending), $0.podsInUse) }
        availability.withLock { $0.observe(pods: states, assignedTo: inUse, now: now) }
        for key in affected { await queue.add(key) }
    }

    private func secretChanged(_ change: InformerChange<ObjectHeader>) async {
        // A Secret that appears or goes can change a Broadcast's StreamKeysFound condition: only the Broadcasts of
        // its namespace that name it are looked at again.
        let secret: ObjectHeader
        switch change {
        case .synced: return
        case .upserted(let old, let new):
            guard old == nil else { return }
            secret = new
        case .deleted(let old): secret = old
        }
        let key = secret.cacheKey
        for broadcast in secretReferences.withLock({ $0.broadcasts(naming: key) }) { await queue.add(broadcast) }
    }

    /// A Secret reduced to its identity.
    @Sendable static func secretPresence(_ secret: ObjectHeader) -> ObjectHeader {
        var metadata = Kube.ObjectMeta(name: secret.metadata.name, namespace: secret.metadata.namespace)
        metadata.resourceVersion = secret.metadata.resourceVersion
        return ObjectHeader(metadata: metadata)
    }

    /// The Secrets a Broadcast depends on, as `namespace/name`: stream keys and its ingest token Secret.
    static func secretsNamed(by broadcast: BroadcastObject) -> Set<String> {
        let names = broadcast.spec.referencedSecretNames(broadcastName: broadcast.metadata.name ?? "")
        return Set(names.map { objectKey(namespace: broadcast.metadata.namespace, name: $0) })
    }

    /// Pod counts changed: their deletion costs follow, and room freed may place a pending broadcast.
    private func podLoadChanged(_ change: Bookings.Change) async {
        costsToCheck.withLock { $0.formUnion(change.pods) }
        guard change.freed != nil else { return }
        for key in bookings.withLock({ $0.pending }) { await queue.add(key) }
    }

    // MARK: - Workers

    private func work(_ queue: WorkQueue<String>, _ controller: String, _ handle: (String) async throws -> Void) async {
        while let key = await queue.next() {
            do {
                try await handle(key)
                await queue.forget(key)
                metrics.reconciled(controller, success: true)
            } catch let error as KubeError where error.isConflict {
                // The newer version's watch event queues the key again; no backoff needed.
                logger.debug("conflict; waiting for the newer version", metadata: ["key": "\(key)"])
                metrics.reconciled(controller, success: true)
            } catch {
                logger.warning("reconcile failed; retrying", metadata: [
                    "controller": "\(controller)", "key": "\(key)", "error": "\(error)",
                ])
                metrics.reconciled(controller, success: false)
                await queue.retry(key)
            }
            await queue.done(key)
        }
    }

    private func reportQueueDepth() async {
        while !Task.isCancelled {
            metrics.queueDepth("broadcast", await queue.depth)
            metrics.queueDepth("pod", costsToCheck.withLock { $0.count })
            try? await Task.sleep(for: .seconds(1))
        }
    }

    // MARK: - Reconcile one Broadcast

    func reconcile(_ key: String) async throws {
        guard let object = broadcasts.get(key) else { return }
        let observed = object.observed
        let now = ContinuousClock.now
        let (podStates, podURLs) = mediaPods.withLock { ($0.states, $0.urls) }
        let assignedPod = observed.status.assignment?.pod
        let failedPods: Set<String> = assignedPod.flatMap { pod in
            availability.withLock { $0.shouldFailOver(from: pod, now: now) } ? [pod] : nil
        } ?? []
        let timestamp = Self.timestamp(Date())
        let (actions, booked) = bookings.withLock { bookings in
            let context = ReconcileContext(
                pods: podStates, podURLs: podURLs,
                load: bookings.load(excluding: key), failedPods: failedPods,
                secretNames: existingSecrets(referencedBy: object), now: timestamp)
            let actions = reconciler.reconcile(observed, context)
            var change = Bookings.Change()
            for case .updateStatus(let status) in actions {
                let waiting = status.assignment == nil && status.phase != .failed && !observed.deleting
                change = bookings.set(key, pod: status.assignment?.pod, pending: waiting)
            }
            return (actions, change)
        }
        do {
            try await carryOut(actions, on: object)
        } catch {
            // The booking made for a write that failed is not real: back to what the cache shows.
            let cached = broadcasts.get(key)?.status?.assignment?.pod
            let undo = bookings.withLock { $0.set(key, pod: cached, pending: cached == nil && !observed.deleting) }
            await podLoadChanged(undo)
            throw error
        }
        await podLoadChanged(booked)
        // A pod that is unavailable, but not for long enough yet, is looked at again when it would be.
        if let pod = broadcasts.get(key)?.status?.assignment?.pod,
           let due = availability.withLock({ $0.nextCheck(for: pod) }), due > now {
            queue.add(key, after: due - now + .milliseconds(20))
        }
    }

    private func carryOut(_ actions: [ReconcileAction], on object: BroadcastObject) async throws {
        var current = object
        var finalizers = object.metadata.finalizers ?? []
        var metadataChanged = false
        var labelChange: String??
        var events: [(type: String, reason: String, message: String)] = []
        for action in actions {
            switch action {
            case .addFinalizer:
                finalizers.append(BroadcastReconciler.finalizer)
                metadataChanged = true
            case .removeFinalizer:
                finalizers.removeAll { $0 == BroadcastReconciler.finalizer }
                metadataChanged = true
            case .setPodLabel(let pod):
                labelChange = .some(pod)
                metadataChanged = true
            case .recordEvent(let type, let reason, let message):
                events.append((type, reason, message))
            case .createIngestSecret(let name):
                // Before the status names it: a publisher that reads `status.ingest` finds the token Secret.
                try await createIngestSecret(name, for: current)
            case .updateStatus(let status):
                // The status subresource PUT carries the resourceVersion read: 409 if anyone wrote since.
                var body = current
                body.status = status
                current = try await client.replaceStatus(.broadcasts, body)
                broadcasts.record(written: current)
                if status.assignment != nil, object.status?.assignment == nil,
                   let seen = firstSeen.withLock({ $0.removeValue(forKey: object.cacheKey) }) {
                    metrics.scheduled(after: .now - seen)
                }
            }
        }
        // The status is what clients wait for, so it went first; the rest does not depend on each other.
        let written = current
        async let eventsRecorded: Void = record(events, on: written)
        if metadataChanged {
            var labels: [String: JSONValue] = [:]
            if let labelChange { labels[BroadcastReconciler.podLabel] = labelChange.map(JSONValue.string) ?? .null }
            var metadata: [String: JSONValue] = [
                "resourceVersion": .string(current.metadata.resourceVersion ?? ""),
                "finalizers": .array(finalizers.map(JSONValue.string)),
            ]
            if !labels.isEmpty { metadata["labels"] = .object(labels) }
            current = try await client.patch(
                .broadcasts, current.metadata.name ?? "", namespace: current.metadata.namespace,
                .merge(JSONValue.object(["metadata": .object(metadata)])), as: BroadcastObject.self)
            broadcasts.record(written: current)
        }
        await eventsRecorded
    }

    /// The names of the Secrets `broadcast` depends on that exist now.
    private func existingSecrets(referencedBy broadcast: BroadcastObject) -> Set<String> {
        Set(Self.secretsNamed(by: broadcast).compactMap { key in secrets.get(key).flatMap(\.metadata.name) })
    }

    /// The studio's and guests' ingest tokens: random 32 bytes each, hex, owned by the Broadcast so they go with it.
    private func createIngestSecret(_ name: String, for broadcast: BroadcastObject) async throws {
        var metadata = Kube.ObjectMeta(name: name, namespace: broadcast.metadata.namespace, labels: [
            "app.kubernetes.io/managed-by": "broadcast-operator",
        ])
        metadata.ownerReferences = [OwnerReference(
            apiVersion: Broadcast.apiVersion, kind: Broadcast.kind, name: broadcast.metadata.name ?? "",
            uid: broadcast.metadata.uid ?? "", controller: true, blockOwnerDeletion: true)]
        var secret = Secret(metadata: metadata, type: "Opaque")
        secret.stringData = ["token": IngestToken.random(), "guestToken": IngestToken.random()]
        do {
            let created = try await client.create(.secrets, secret, as: ObjectHeader.self)
            secrets.record(written: created)
        } catch let error as KubeError where error.isAlreadyExists {
            return
        }
    }

    private func record(_ events: [(type: String, reason: String, message: String)], on broadcast: BroadcastObject) async {
        for event in events { await record(event, on: broadcast) }
    }

    private func record(_ event: (type: String, reason: String, message: String), on broadcast: BroadcastObject) async {
        let name = broadcast.metadata.name ?? ""
        let now = Date()
        // client-go names Events `<object>.<unique hex>` too.
        let metadata = Kube.ObjectMeta(name: "\(name).\(IngestToken.random(bytes: 8))", namespace: broadcast.metadata.namespace)
        var involved = ObjectReference(
            apiVersion: Broadcast.apiVersion, kind: Broadcast.kind, namespace: broadcast.metadata.namespace, name: name,
            uid: broadcast.metadata.uid)
        involved.resourceVersion = broadcast.metadata.resourceVersion
        var record = Event(metadata: metadata, involvedObject: involved, reason: event.reason, message: event.message,
                           type: event.type)
        record.source = .init(component: "broadcast-operator")
        record.count = 1
        record.firstTimestamp = now
        record.lastTimestamp = now
        record.reportingComponent = "broadcast-operator"
        record.reportingInstance = identity
        do {
            _ = try await client.create(.events, record, as: ObjectHeader.self)
        } catch {
            // An Event is a record for people; losing one must not hold up the broadcast.
            logger.warning("could not record Event", metadata: [
                "broadcast": "\(broadcast.cacheKey)", "reason": "\(event.reason)", "error": "\(error)",
            ])
        }
        logger.info("\(event.message)", metadata: ["broadcast": "\(broadcast.cacheKey)", "reason": "\(event.reason)"])
    }

    // MARK: - Deletion cost

    private func syncDeletionCosts() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: costInterval)
            let pods = costsToCheck.withLock { pods in
                defer { pods = [] }
                return pods
            }
            for pod in pods.sorted() {
                do {
                    try await updateDeletionCost(pod)
                    metrics.reconciled("pod", success: true)
                } catch {
                    logger.warning("could not update the deletion cost; retrying", metadata: [
                        "pod": "\(pod)", "error": "\(error)",
                    ])
                    metrics.reconciled("pod", success: false)
                    costsToCheck.withLock { _ = $0.insert(pod) }
                }
            }
        }
    }

    /// `controller.kubernetes.io/pod-deletion-cost` = the pod's broadcasts, so a scale-down removes idle pods first.
    func updateDeletionCost(_ podName: String) async throws {
        guard let pod = mediaPods.withLock({ $0[podName] }), !pod.state.terminating else { return }
        let wanted = String(bookings.withLock { $0.count(on: podName) })
        guard pod.deletionCost != wanted else { return }
        let patch = JSONValue.object(["metadata": .object(["annotations": .object([
            MediaPods.deletionCostAnnotation: .string(wanted),
        ])])])
        do {
            let updated: Pod = try await client.patch(.pods, podName, namespace: pod.namespace, .merge(patch))
            mediaPods.withLock {
                $0.setDeletionCost(updated.metadata.annotations?[MediaPods.deletionCostAnnotation], of: podName)
            }
        } catch let error as KubeError where error.isNotFound {
            return
        }
    }

    /// RFC 3339 in UTC with seconds, as metav1.Time is written.
    static func timestamp(_ date: Date) -> String { date.formatted(.iso8601) }
}
