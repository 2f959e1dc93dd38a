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
    let broadcasts: Informer<BroadcastObject>
    let secrets: Informer<Secret>
    private let logger: Logger
    /// The newest epoch this pod was given for each broadcast: an older assignment is never acted on.
    private let epochs = Mutex<[String: Int]>([:])

    /// - Parameter namespace: the namespace to watch, nil for all.
    init(client: KubeClient, podName: String, namespace: String?, logger: Logger) {
        self.podName = podName
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
            for name in Self.secretNames(of: broadcast) {
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

    private static func secretNames(of broadcast: Broadcast) -> Set<String> {
        var names = Set((broadcast.spec.destinations ?? []).map(\.streamKeySecretRef.name))
        names.insert(broadcast.spec.ingest?.tokenSecretRef?.name ?? "\(broadcast.metadata.name)-ingest")
        return names
    }
}
