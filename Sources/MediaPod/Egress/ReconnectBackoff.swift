/// Exponential backoff for a destination that failed: 1 s, 2 s, 4 s … capped at 30 s, each jittered by ±20 %
/// so many destinations that failed together do not reconnect in lockstep.
struct ReconnectBackoff: Sendable {
    let initial: Duration
    let maximum: Duration
    private(set) var failures = 0

    init(initial: Duration = .seconds(1), maximum: Duration = .seconds(30)) {
        self.initial = initial
        self.maximum = maximum
    }

    /// The wait before the next attempt; `unitRandom` in 0...1 picks the jitter.
    mutating func nextDelay(unitRandom: Double = Double.random(in: 0...1)) -> Duration {
        let exponent = min(failures, 16)
        failures += 1
        let base = min(initial * (1 << exponent), maximum)
        let jittered = base * (0.8 + 0.4 * unitRandom)
        return min(jittered, maximum)
    }

    /// A connection that worked resets the sequence.
    mutating func reset() {
        failures = 0
    }
}
