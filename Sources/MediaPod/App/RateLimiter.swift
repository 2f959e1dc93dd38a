import Synchronization

/// Fixed-window request counting per client IP, as the old server's express-rate-limit did
/// (DESIGN.md §4: 100 session-creating requests per 15 minutes by default).
final class RateLimiter: Sendable {
    let limit: Int
    let window: Duration
    private let windows = Mutex<[String: (start: ContinuousClock.Instant, count: Int)]>([:])

    init(limit: Int, window: Duration) {
        self.limit = limit
        self.window = window
    }

    /// Counts one request; returns nil when allowed, else the seconds until the client may try again.
    func admit(_ clientIP: String, now: ContinuousClock.Instant) -> Int? {
        windows.withLock { windows in
            if windows.count > 10_000 {
                windows = windows.filter { now - $0.value.start < window }
            }
            var entry = windows[clientIP] ?? (now, 0)
            if now - entry.start >= window {
                entry = (now, 0)
            }
            entry.count += 1
            windows[clientIP] = entry
            guard entry.count > limit else { return nil }
            let remaining = window - (now - entry.start)
            return max(1, Int(remaining.components.seconds) + (remaining.components.attoseconds > 0 ? 1 : 0))
        }
    }
}
