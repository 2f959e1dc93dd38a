import Foundation
import Kube
import Logging
import Synchronization

/// What to do with the Lease this round (client-go's leader election rules). Pure, for tests.
public enum LeaseDecision: Sendable, Equatable {
    case create, renew, takeOver, wait

    /// - Parameter unchangedFor: how long this process has seen the same holder and renew time. Expiry is judged
    ///   by that local observation, not by the renewTime the holder wrote, so clocks of different machines need
    ///   not agree.
    public static func decide(lease: Lease?, identity: String, unchangedFor: Duration, leaseDuration: Duration)
        -> LeaseDecision
    {
        guard let lease else { return .create }
        let holder = lease.spec?.holderIdentity ?? ""
        if holder == identity { return .renew }
        if holder.isEmpty { return .takeOver }
        let duration = lease.spec?.leaseDurationSeconds.map { Duration.seconds($0) } ?? leaseDuration
        return unchangedFor >= duration ? .takeOver : .wait
    }
}

/// Leader election on a `coordination.k8s.io/v1` Lease (DESIGN.md §5 `--leader-elect`): one process holds it and
/// runs the workers; the others keep their caches warm and take over once the holder stopped renewing for the
/// lease duration.
public final class LeaderElector: Sendable {
    public let name: String
    public let namespace: String
    public let identity: String
    public let leaseDuration: Duration
    /// A leader that could not renew for this long stops leading (before anyone may take over).
    public let renewDeadline: Duration
    public let retryPeriod: Duration

    private let client: KubeClient
    private let logger: Logger
    private let observed = Mutex<(holder: String?, renewTime: Date?, since: ContinuousClock.Instant)?>(nil)

    public init(client: KubeClient, name: String, namespace: String, identity: String, leaseDuration: Duration,
                logger: Logger) {
        self.client = client
        self.name = name
        self.namespace = namespace
        self.identity = identity
        self.leaseDuration = leaseDuration
        // client-go's defaults are 15 s / 10 s / 2 s; the same proportions for any duration.
        self.renewDeadline = leaseDuration * 2 / 3
        self.retryPeriod = max(leaseDuration / 10, .milliseconds(100))
        self.logger = logger
    }

    /// Returns once this process holds the Lease.
    public func acquire() async throws {
        logger.info("waiting to lead", metadata: ["lease": "\(namespace)/\(name)", "identity": "\(identity)"])
        while try await !tryAcquireOrRenew() {
            try await Task.sleep(for: retryPeriod)
        }
        logger.info("leading", metadata: ["lease": "\(namespace)/\(name)", "identity": "\(identity)"])
    }

    /// Renews until a renewal has failed for `renewDeadline`, then returns (leadership lost), or until cancelled.
    public func holdLease() async {
        var lastRenewal = ContinuousClock.now
        while !Task.isCancelled {
            try? await Task.sleep(for: retryPeriod)
            if Task.isCancelled { return }
            do {
                if try await tryAcquireOrRenew() {
                    lastRenewal = .now
                    continue
                }
            } catch {
                logger.warning("could not renew the lease", metadata: ["error": "\(error)"])
            }
            if ContinuousClock.now - lastRenewal >= renewDeadline { return }
        }
    }

    /// Gives the Lease up (on shutdown), so a standby takes over at once instead of after the lease duration.
    public func release() async {
        do {
            var lease: Lease = try await client.get(.leases, name, namespace: namespace)
            guard lease.spec?.holderIdentity == identity else { return }
            lease.spec?.holderIdentity = nil
            lease.spec?.leaseDurationSeconds = 1
            lease.spec?.renewTime = Date()
            _ = try await client.replace(.leases, lease)
            logger.info("released the lease", metadata: ["lease": "\(namespace)/\(name)"])
        } catch {
            logger.warning("could not release the lease", metadata: ["error": "\(error)"])
        }
    }

    func tryAcquireOrRenew() async throws -> Bool {
        let existing: Lease?
        do {
            existing = try await client.get(.leases, name, namespace: namespace)
        } catch let error as KubeError where error.isNotFound {
            existing = nil
        }
        let now = ContinuousClock.now
        let unchangedFor = observed.withLock { observed -> Duration in
            let record = (existing?.spec?.holderIdentity, existing?.spec?.renewTime)
            if let previous = observed, previous.holder == record.0, previous.renewTime == record.1 {
                return now - previous.since
            }
            observed = (record.0, record.1, now)
            return .zero
        }
        let seconds = Int((Double(leaseDuration.components.seconds) + Double(leaseDuration.components.attoseconds) / 1e18)
            .rounded(.up))
        switch LeaseDecision.decide(lease: existing, identity: identity, unchangedFor: unchangedFor,
                                    leaseDuration: leaseDuration) {
        case .wait:
            return false
        case .create:
            let lease = Lease(
                metadata: ObjectMeta(name: name, namespace: namespace),
                spec: .init(holderIdentity: identity, leaseDurationSeconds: seconds, acquireTime: Date(),
                            renewTime: Date(), leaseTransitions: 0))
            return try await write { try await self.client.create(.leases, lease) }
        case .renew:
            guard var lease = existing else { return false }
            lease.spec?.renewTime = Date()
            lease.spec?.leaseDurationSeconds = seconds
            return try await write { try await self.client.replace(.leases, lease) }
        case .takeOver:
            guard var lease = existing else { return false }
            let transitions = lease.spec?.leaseTransitions ?? 0
            lease.spec = .init(holderIdentity: identity, leaseDurationSeconds: seconds, acquireTime: Date(),
                               renewTime: Date(), leaseTransitions: transitions + 1)
            logger.info("taking over the lease", metadata: [
                "lease": "\(namespace)/\(name)", "previousHolder": "\(existing?.spec?.holderIdentity ?? "")",
            ])
            return try await write { try await self.client.replace(.leases, lease) }
        }
    }

    /// A write that lost a race (409 / already exists) means someone else acted first: not leading this round.
    private func write(_ operation: () async throws -> Lease) async throws -> Bool {
        do {
            let lease = try await operation()
            observed.withLock { $0 = (lease.spec?.holderIdentity, lease.spec?.renewTime, .now) }
            return true
        } catch let error as KubeError where error.isConflict || error.isAlreadyExists {
            return false
        }
    }
}
