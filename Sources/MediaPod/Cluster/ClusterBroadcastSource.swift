import BroadcastAPI
import BroadcastKube
import Foundation
import Kube
import Logging
import Synchronization

/// Cluster mode's source of broadcasts (issue 7): the Broadcasts the operator assigned to this pod — labelled
/// `media.streamlick.io/pod=<pod>` and with `status.assignment.pod` naming it — and the Secrets they reference,
/// through two informers. Every change of either recomputes the whole desired set, which the engine applies as it
/// applies static manifests: broadcasts whose spec did not change keep their sessions and streams.
final class ClusterBroadcastSource: Sendable {
    let podName: String
    let podNamespace: String?
    let broadcasts: Informer<BroadcastObject>
    let secrets: Informer<Secret>
    private let client: KubeClient
    private let logger: Logger
    /// The newest epoch this pod was given for each broadcast: an older assignment is never acted on.
    private let epochs = Mutex<[String: Int]>([:])

    /// - Parameters:
    ///   - podNamespace: where this pod's own Pod object is (to annotate it while draining).
    ///   - namespace: the namespace to watch, nil for all.
    init(client: KubeClient, podName: String, podNamespace: String?, namespace: String?, logger: Logger) {
        self.podName = podName
        self.podNamespace = podNamespace
        self.client = client
        self.logger = logger
        broadcasts = Informer(
            client: client, resource: .broadcasts, namespace: namespace,
            labelSelector: "\(Broadcast.podLabel)=\(podName)", logger: logger)
        secrets = Informer(client: client, resource: .secrets, namespace: namespace, logger: logger)
    }

    /// Runs the informers until cancelled, handing each new desired set to `apply` once both have synced.
    func watch(apply: @escaping @Sendable ([BroadcastRuntime]) -> Void) async {
        let (changes, changed) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.broadcasts.run { _ in changed.yield() } }
            group.addTask { await self.secrets.run { _ in changed.yield() } }
            group.addTask {
                for await _ in changes {
                    guard self.broadcasts.hasSynced, self.secrets.hasSynced else { continue }
                    apply(self.desired())
                }
            }
            await group.next()
            changed.finish()
            group.cancelAll()
        }
    }

    /// The broadcasts this pod should run now, each with its ingest token and destinations' keys, or the reason
    /// it cannot run.
    func desired() -> [BroadcastRuntime] {
        var wanted = StaticManifests()
        for object in broadcasts.objects.sorted(by: { $0.cacheKey < $1.cacheKey }) where runsHere(object) {
            let broadcast = Broadcast(object)
            let problems = broadcast.spec.validate()
            guard problems.isEmpty else {
                logger.error("broadcast cannot run", metadata: [
                    "broadcast": "\(broadcast.key)", "reason": "\(problems.map(\.description).joined(separator: "; "))",
                ])
                continue
            }
            wanted.broadcasts.append(broadcast)
            for name in broadcast.spec.referencedSecretNames(broadcastName: broadcast.metadata.name) {
                let key = objectKey(namespace: broadcast.metadata.namespace, name: name)
                if let secret = secrets.get(key) { wanted.secrets[key] = (secret.data ?? [:]).mapValues { Array($0) } }
            }
        }
        return wanted.runtimes()
    }

    private func runsHere(_ object: BroadcastObject) -> Bool {
        guard object.metadata.deletionTimestamp == nil, let assignment = object.status?.assignment,
              assignment.pod == podName else { return false }
        return epochs.withLock { epochs in
            let key = object.cacheKey
            if let newest = epochs[key], assignment.epoch < newest { return false }
            epochs[key] = assignment.epoch
            return true
        }
    }

    // MARK: - Draining

    /// Annotates this pod's Pod object `media.streamlick.io/draining=true`: the operator then places nothing new
    /// here and leaves what runs here, even while the pod reports NotReady.
    func announceDraining() async {
        guard let podNamespace else {
            logger.warning("draining, but the pod's namespace is unknown (--namespace / POD_NAMESPACE): not annotated")
            return
        }
        let patch = JSONValue.object(["metadata": .object(["annotations": .object([
            "media.streamlick.io/draining": "true",
        ])])])
        do {
            let _: ObjectHeader = try await client.patch(.pods, podName, namespace: podNamespace, .merge(patch))
            logger.info("annotated the Pod as draining", metadata: ["pod": "\(podNamespace)/\(podName)"])
        } catch {
            logger.warning("could not annotate the Pod as draining", metadata: ["error": "\(error)"])
        }
    }

    // MARK: - Status

    /// Writes each assigned Broadcast's status as this pod sees it, until cancelled: checked every 500 ms, written
    /// when it differs from the stored status — at once when the phase or a condition changes, else at most every
    /// 2 s per broadcast. A merge patch of the status subresource carrying the resourceVersion read: a conflict
    /// (the operator wrote meanwhile) is retried at the next check with the newer version.
    func reportStatus(of engine: MediaEngine) async {
        var lastWrite: [String: ContinuousClock.Instant] = [:]
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(500))
            guard broadcasts.hasSynced else { continue }
            let running = Dictionary(engine.snapshot().map { ("\($0.namespace)/\($0.name)", $0) },
                                     uniquingKeysWith: { first, _ in first })
            let report = BroadcastStatusReport(podName: podName, now: Date().formatted(.iso8601))
            for object in broadcasts.objects {
                let key = object.cacheKey
                let current = object.status ?? BroadcastStatus()
                let deleting = object.metadata.deletionTimestamp != nil
                // A deleted broadcast's streams must have ended (end of stream sent) before it says so.
                if deleting, running[key] == nil, !engine.egressHasStopped(key) { continue }
                guard let wanted = report.status(
                    current: current, generation: Int(object.metadata.generation ?? 1),
                    deleting: deleting, running: running[key]),
                    wanted != current else { continue }
                let urgent = wanted.phase != current.phase
                    || wanted.conditions?.map(\.status) != current.conditions?.map(\.status)
                if !urgent, let last = lastWrite[key], ContinuousClock.now - last < .seconds(2) { continue }
                do {
                    let written = try await client.patchStatus(
                        .broadcasts, object.metadata.name ?? "", namespace: object.metadata.namespace,
                        .merge(try Self.statusPatch(wanted, resourceVersion: object.metadata.resourceVersion)),
                        as: BroadcastObject.self)
                    broadcasts.record(written: written)
                    lastWrite[key] = .now
                    if wanted.phase != current.phase {
                        logger.info("status", metadata: ["broadcast": "\(key)", "phase": "\(wanted.phase?.rawValue ?? "")"])
                    }
                } catch let error as KubeError where error.isConflict || error.isNotFound {
                    continue
                } catch {
                    logger.warning("could not write the status", metadata: ["broadcast": "\(key)", "error": "\(error)"])
                }
            }
            lastWrite = lastWrite.filter { broadcasts.get($0.key) != nil }
        }
    }

    /// `{"metadata": {"resourceVersion": …}, "status": {…}}` with `null` for what this pod clears, so the merge
    /// removes it.
    static func statusPatch(_ status: BroadcastStatus, resourceVersion: String?) throws -> JSONValue {
        var body = try JSONValue(encoding: status)
        for field in ["stats", "destinations", "destinationsReady"] where body[field] == nil { body[field] = .null }
        return .object(["metadata": .object(["resourceVersion": resourceVersion.map(JSONValue.string) ?? .null]),
                        "status": body])
    }
}
