/// Puts a publisher's audio and video on one millisecond timeline for FLV, so they stay in sync at the sink.
///
/// Each RTP stream has its own clock and random offset; RTCP sender reports map each one to the sender's NTP
/// wall clock (RFC 3550 §6.4.1), which both share. The timeline waits (buffering) until both streams have a
/// sender report, then fixes its origin; a publisher that never sends reports falls back, after
/// `syncTimeout`, to mapping by arrival time. A new publisher session continues where the last one ended, so
/// FLV timestamps stay monotonic across reconnects. Pure state machine: time is passed in.
struct EgressTimeline {
    enum Kind: Sendable { case video, audio }

    struct Mapping {
        /// Unwrapped RTP timestamp and the wall-clock second it corresponds to.
        var rtp: Int64
        var seconds: Double
    }

    struct Stream {
        let clockRate: Double
        var unwrapper = RtpTimestampUnwrapper()
        var senderReport: Mapping?
        var firstArrival: Mapping?
        var lastOutputMs: Int64?
    }

    let syncTimeout: Duration
    /// How long to collect sender reports before fixing the origin (aiortc reports about once a second).
    let reportCollection: Duration
    private(set) var video = Stream(clockRate: 90_000)
    private(set) var audio = Stream(clockRate: 48_000)
    /// Wall-clock second (sender NTP or local arrival) that maps to `baseMs`.
    private var origin: Double?
    private var usesSenderReports = false
    private var waitingSince: ContinuousClock.Instant?
    /// Where this publisher session's timeline starts: 0 at first, the end of the previous session after a reconnect.
    private var baseMs: Int64 = 0
    private let epoch: ContinuousClock.Instant

    init(syncTimeout: Duration = .seconds(5), reportCollection: Duration = .milliseconds(2500), epoch: ContinuousClock.Instant) {
        self.syncTimeout = syncTimeout
        self.reportCollection = reportCollection
        self.epoch = epoch
    }

    var isSynchronised: Bool { origin != nil }

    mutating func noteSenderReport(_ kind: Kind, ntpTimestamp: UInt64, rtpTimestamp: UInt32) {
        // Once the origin is fixed the mapping stays: moving it would move the stream against the other.
        guard origin == nil else { return }
        let seconds = Double(ntpTimestamp >> 32) + Double(ntpTimestamp & 0xFFFF_FFFF) / 4_294_967_296
        let report = Mapping(rtp: self[kind].unwrapper.peek(rtpTimestamp), seconds: seconds)
        // Senders stamp reports late, never early (aiortc and GStreamer map the last *sent* packet to the send
        // time, so a busy sender's report says its media was captured later than it was). Of the reports seen
        // while waiting, keep the one that places the stream earliest: the least delayed.
        if let current = self[kind].senderReport, Self.captureOffset(current, self[kind].clockRate) <= Self.captureOffset(report, self[kind].clockRate) {
            return
        }
        self[kind].senderReport = report
    }

    /// Wall-clock second at which RTP time 0 of the stream was captured, according to one report.
    private static func captureOffset(_ mapping: Mapping, _ clockRate: Double) -> Double {
        mapping.seconds - Double(mapping.rtp) / clockRate
    }

    /// Call for every frame as it arrives, before asking for its timestamp: the first arrival of each stream
    /// anchors the fallback mapping and tells the timeline both streams exist.
    mutating func noteArrival(_ kind: Kind, rtpTimestamp: UInt32, at arrival: ContinuousClock.Instant) {
        if self[kind].firstArrival == nil {
            let rtp = self[kind].unwrapper.peek(rtpTimestamp)
            self[kind].firstArrival = Mapping(rtp: rtp, seconds: seconds(since: arrival))
        }
        if waitingSince == nil { waitingSince = arrival }
    }

    /// The FLV time of a frame in milliseconds, or nil while the timeline still waits for synchronisation
    /// (the caller keeps the frame and asks again later). `now` decides when waiting for sender reports ends.
    mutating func timestampMs(_ kind: Kind, rtpTimestamp: UInt32, now: ContinuousClock.Instant) -> Int64? {
        noteArrival(kind, rtpTimestamp: rtpTimestamp, at: now)
        if origin == nil && !establishOrigin(now: now) { return nil }
        let rtp = self[kind].unwrapper.unwrap(rtpTimestamp)
        let mapping = (usesSenderReports ? self[kind].senderReport : self[kind].firstArrival)!
        let seconds = mapping.seconds + Double(rtp - mapping.rtp) / self[kind].clockRate
        var ms = baseMs + Int64(((seconds - origin!) * 1000).rounded())
        // FLV needs non-decreasing timestamps per stream; video needs them strictly increasing.
        if let last = self[kind].lastOutputMs {
            ms = max(ms, kind == .video ? last + 1 : last)
        }
        self[kind].lastOutputMs = ms
        return ms
    }

    /// A new publisher session: new SSRCs and clocks. Its first frame continues right after the last output.
    mutating func startNewSession() {
        let lastMs = [video.lastOutputMs, audio.lastOutputMs].compactMap { $0 }.max()
        baseMs = lastMs.map { $0 + 40 } ?? baseMs
        video = Stream(clockRate: 90_000)
        audio = Stream(clockRate: 48_000)
        origin = nil
        usesSenderReports = false
        waitingSince = nil
    }

    private mutating func establishOrigin(now: ContinuousClock.Instant) -> Bool {
        // Time zero is the first video frame: destinations start on video, and audio a publisher queued up before
        // its first frame (GStreamer sends such a burst once DTLS is up) gets negative times and is dropped.
        if let videoReport = video.senderReport, audio.senderReport != nil,
           let videoStart = video.firstArrival, audio.firstArrival != nil,
           now - waitingSince! >= reportCollection {
            usesSenderReports = true
            origin = videoReport.seconds + Double(videoStart.rtp - videoReport.rtp) / video.clockRate
            return true
        }
        guard now - waitingSince! >= syncTimeout,
              let videoStart = video.firstArrival?.seconds ?? audio.firstArrival?.seconds
        else { return false }
        origin = videoStart
        return true
    }

    private func seconds(since instant: ContinuousClock.Instant) -> Double {
        let elapsed = instant - epoch
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    private subscript(kind: Kind) -> Stream {
        get { kind == .video ? video : audio }
        set {
            if kind == .video { video = newValue } else { audio = newValue }
        }
    }
}

/// Extends 32-bit RTP timestamps to 64 bits across wrap-around (RFC 3550 §5.1: they wrap every ~13 h at 90 kHz).
struct RtpTimestampUnwrapper {
    private var last: Int64?

    /// The unwrapped value without remembering it (for sender reports, which may lag the media).
    func peek(_ timestamp: UInt32) -> Int64 {
        guard let last else { return Int64(timestamp) }
        let delta = Int64(Int32(bitPattern: timestamp &- UInt32(truncatingIfNeeded: last)))
        return last + delta
    }

    mutating func unwrap(_ timestamp: UInt32) -> Int64 {
        let value = peek(timestamp)
        last = max(last ?? value, value)
        return value
    }
}
