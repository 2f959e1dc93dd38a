/// The controllers' queue of object keys (client-go's workqueue semantics): a key waits at most once however often
/// it is added, is handed to one worker at a time, is queued again when added while being worked on, and failed
/// keys come back after a per-key exponential backoff.
public actor WorkQueue<Key: Hashable & Sendable> {
    public let baseDelay: Duration
    public let maxDelay: Duration

    private var ready: [Key] = []
    private var waiting: Set<Key> = []
    private var processing: Set<Key> = []
    /// Added while being processed: queued again by `done`.
    private var dirty: Set<Key> = []
    private var failures: [Key: Int] = [:]
    private var workers: [CheckedContinuation<Key?, Never>] = []
    private var isShutDown = false

    public init(baseDelay: Duration = .milliseconds(100), maxDelay: Duration = .seconds(30)) {
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
    }

    public func add(_ key: Key) {
        guard !isShutDown else { return }
        if processing.contains(key) {
            dirty.insert(key)
            return
        }
        guard waiting.insert(key).inserted else { return }
        if workers.isEmpty {
            ready.append(key)
        } else {
            waiting.remove(key)
            processing.insert(key)
            workers.removeFirst().resume(returning: key)
        }
    }

    /// Adds `key` once `delay` has passed (a requeue for later, e.g. the next failover check).
    public nonisolated func add(_ key: Key, after delay: Duration) {
        Task {
            try? await Task.sleep(for: delay)
            await add(key)
        }
    }

    /// The next key to work on, waiting for one; nil once the queue is shut down.
    public func next() async -> Key? {
        if !ready.isEmpty {
            let key = ready.removeFirst()
            waiting.remove(key)
            processing.insert(key)
            return key
        }
        if isShutDown { return nil }
        return await withCheckedContinuation { workers.append($0) }
    }

    /// The worker finished with `key` (successfully or not).
    public func done(_ key: Key) {
        processing.remove(key)
        if dirty.remove(key) != nil { add(key) }
    }

    /// `key` failed: it comes back after `baseDelay × 2^failures`, at most `maxDelay`.
    public func retry(_ key: Key) {
        let count = failures[key, default: 0]
        failures[key] = count + 1
        add(key, after: backoff(afterFailures: count))
    }

    /// `key` succeeded: its next failure starts from `baseDelay` again.
    public func forget(_ key: Key) {
        failures[key] = nil
    }

    public func shutdown() {
        isShutDown = true
        for worker in workers { worker.resume(returning: nil) }
        workers = []
    }

    /// Keys waiting to be worked on (the `queue depth` metric).
    public var depth: Int { ready.count }

    public func failureCount(_ key: Key) -> Int { failures[key, default: 0] }

    nonisolated func backoff(afterFailures count: Int) -> Duration {
        let factor = 1 << min(count, 30)
        return min(baseDelay * factor, maxDelay)
    }
}
