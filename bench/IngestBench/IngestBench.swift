// `make bench` (DESIGN.md §9): the media pod's ingest path against its baselines, side by side.
//
//   ingest   `UdpDemultiplexer.handle` for every datagram of a 720p30 2.5 Mbit/s publisher, plus
//            `PublisherSession.handleTimer` every 20 ms of stream time (NACK, transport-cc, RR+REMB, SRTCP out)
//   libsrtp  `SrtpSession.unprotectRtp`/`unprotectRtcp` alone over the same datagrams: the crypto floor any
//            WebRTC receiver pays
//   ffmpeg   `ffmpeg -f h264 -i clip.h264 -c copy -f null -`: parsing the same H.264 elementary stream
//
// Everything runs on one core with a hand-driven clock, so "streams per core" is stream time over processing time.
// Prints a table and writes bench/results/latest.json.
import Foundation
import MediaCrypto
import WebRTC

@main
struct IngestBench {
    struct Options {
        var seconds = 30
        var kbps = 2500
        var repetitions = 5
        var ffmpeg = true
        var output = "bench/results/latest.json"
        var workDirectory = ".build/ingest-bench"
        var offer = packageRoot.appendingPathComponent("Tests/WebRTCTests/Fixtures/sdp/chrome-156-offer-h264.sdp").path

        static let usage = """
            usage: ingest-bench [--seconds N] [--kbps N] [--repetitions N] [--no-ffmpeg] [--output FILE]
                                [--work-dir DIR] [--offer FILE]
            """

        init(arguments: [String]) throws {
            var remaining = arguments[...]
            func value(_ flag: String) throws -> String {
                guard let value = remaining.popFirst() else { throw BenchError("\(flag) needs a value\n\(Self.usage)") }
                return value
            }
            func number(_ flag: String) throws -> Int {
                guard let number = Int(try value(flag)), number > 0 else { throw BenchError("\(flag) needs a positive number") }
                return number
            }
            while let flag = remaining.popFirst() {
                switch flag {
                case "--seconds": seconds = try number(flag)
                case "--kbps": kbps = try number(flag)
                case "--repetitions": repetitions = try number(flag)
                case "--no-ffmpeg": ffmpeg = false
                case "--output": output = try value(flag)
                case "--work-dir": workDirectory = try value(flag)
                case "--offer": offer = try value(flag)
                case "-h", "--help":
                    print(Self.usage)
                    exit(0)
                default: throw BenchError("unknown argument \(flag)\n\(Self.usage)")
                }
            }
        }
    }

    /// bench/IngestBench/IngestBench.swift → the package root, so the bench finds the fixture offer from anywhere.
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func main() {
        do {
            try run(Options(arguments: Array(CommandLine.arguments.dropFirst())))
        } catch {
            FileHandle.standardError.write(Data("ingest-bench: \(error)\n".utf8))
            exit(1)
        }
    }

    static func run(_ options: Options) throws {
        let offerTemplate = try String(contentsOfFile: options.offer, encoding: .utf8)
        log("encoding \(options.seconds) s of 1280x720 30 fps H.264 at \(options.kbps) kbit/s (cached after the first run)")
        let clipFile = try BenchClip.annexB(seconds: options.seconds, kbps: options.kbps,
                                            in: URL(fileURLWithPath: options.workDirectory))
        guard let clip = FileManager.default.contents(atPath: clipFile.path) else { throw BenchError("cannot read \(clipFile.path)") }
        let stream = BenchStream(accessUnits: H264Packetizer.accessUnits(annexB: Array(clip)), clipBytes: clip.count)
        log("stream: \(stream.frames) frames (\(stream.keyframes) keyframes), \(stream.videoPackets) video and " +
            "\(stream.audioPackets) audio packets, \(stream.items.count) datagrams")

        var ingest: [Sample] = []
        var libsrtp: [Sample] = []
        for repetition in 1...options.repetitions {
            let run = try PreparedRun(stream: stream, offerTemplate: offerTemplate, maxBitrateKbps: options.kbps)
            // Alternate the order so neither side always runs with the other's data in the caches.
            if repetition % 2 == 0 {
                libsrtp.append(try run.measureLibsrtp())
                ingest.append(try run.measureIngest())
            } else {
                ingest.append(try run.measureIngest())
                libsrtp.append(try run.measureLibsrtp())
            }
            log("run \(repetition)/\(options.repetitions): ingest \(format(ingest.last!.seconds * 1000, 1)) ms, " +
                "libsrtp \(format(libsrtp.last!.seconds * 1000, 1)) ms")
        }
        var ffmpegLoop: [Sample] = []
        var ffmpegProcess: [Sample] = []
        if options.ffmpeg {
            for _ in 1...options.repetitions {
                let (loop, process) = try measureFfmpeg(clipFile, packets: stream.videoPackets, bytes: clip.count)
                ffmpegLoop.append(loop)
                ffmpegProcess.append(process)
            }
        }

        let results = [
            BenchResult(name: "ingest", description: "media-pod ingest: UdpDemultiplexer.handle + 20 ms handleTimer",
                   samples: ingest, streamSeconds: stream.seconds),
            BenchResult(name: "libsrtp", description: "baseline: libsrtp unprotect only (SrtpSession)",
                   samples: libsrtp, streamSeconds: stream.seconds),
        ] + (options.ffmpeg ? [
            BenchResult(name: "ffmpeg-parse", description: "reference: ffmpeg -c copy, transcode loop (-benchmark rtime)",
                   samples: ffmpegLoop, streamSeconds: stream.seconds),
            BenchResult(name: "ffmpeg-process", description: "reference: ffmpeg -c copy, whole process wall time",
                   samples: ffmpegProcess, streamSeconds: stream.seconds),
        ] : [])
        let report = Report(
            date: ISO8601DateFormatter().string(from: Date()), host: BenchHost.current(),
            stream: .init(seconds: stream.seconds, width: 1280, height: 720, framesPerSecond: BenchStream.framesPerSecond,
                          frames: stream.frames, keyframes: stream.keyframes,
                          videoBitrateKbps: Double(stream.clipBytes) * 8 / stream.seconds / 1000,
                          videoPackets: stream.videoPackets, audioPackets: stream.audioPackets,
                          datagrams: stream.items.count, datagramBytes: ingest[0].bytes,
                          packetsPerSecond: Double(stream.items.count) / stream.seconds),
            repetitions: options.repetitions, results: results,
            ingestOverLibsrtp: results[0].secondsPerStream / results[1].secondsPerStream,
            ingestOverFfmpegParse: options.ffmpeg ? results[0].secondsPerStream / results[2].secondsPerStream : nil)
        print(report.table())
        try report.write(to: options.output)
        log("wrote \(options.output)")
    }

    static func log(_ message: String) {
        FileHandle.standardError.write(Data("ingest-bench: \(message)\n".utf8))
    }
}

/// One measured pass: how long, over how many datagrams and bytes.
struct Sample: Codable {
    var seconds: Double
    var packets: Int
    var bytes: Int
}

/// A fresh publisher/server pair (a new DTLS handshake, hence new keys) with the whole stream protected up front,
/// so that only the receiving side is timed. Each pass consumes the datagrams once, as the replay window requires.
final class PreparedRun {
    let publisher: InMemoryPublisher
    let server: IngestServer
    let stream: BenchStream
    let start: ContinuousClock.Instant
    /// Protected datagrams with their stream-time offsets.
    let datagrams: [(bytes: [UInt8], at: Duration)]

    init(stream: BenchStream, offerTemplate: String, maxBitrateKbps: Int) throws {
        let connected = ContinuousClock.now
        (publisher, server) = try IngestServer.connectedPair(offerTemplate: offerTemplate, maxBitrateKbps: maxBitrateKbps,
                                                             now: connected)
        self.stream = stream
        start = connected + .milliseconds(100)
        var datagrams: [(bytes: [UInt8], at: Duration)] = []
        datagrams.reserveCapacity(stream.items.count)
        for (at, item) in stream.items {
            switch item {
            case .rtp(let packet):
                datagrams.append((try publisher.protect(packet), at))
            case .rtcp(let compound):
                datagrams.append((try publisher.protectRtcp(compound), at))
            case .consentCheck:
                datagrams.append((publisher.bindingRequest(serverUfrag: server.local.ufrag,
                                                           serverPassword: server.local.password), at))
            }
        }
        self.datagrams = datagrams
    }

    /// The whole receive path as `UdpTransport` drives it, with the 20 ms timer interleaved in stream time.
    func measureIngest() throws -> Sample {
        let demultiplexer = server.demultiplexer
        let session = server.session
        let address = publisher.address
        let timerInterval = Duration.milliseconds(20)
        var nextTimer = start + timerInterval
        var nalUnits = 0
        var audioPackets = 0
        var datagramsOut = 0
        var bytes = 0
        func tally(_ output: SessionOutput) {
            datagramsOut += output.datagrams.count
            for event in output.events {
                switch event {
                case .videoAccessUnit(let unit): nalUnits += unit.nalUnits.count
                case .audioPacket: audioPackets += 1
                default: break
                }
            }
        }
        let clock = ContinuousClock()
        let began = clock.now
        for (datagram, at) in datagrams {
            let now = start + at
            while nextTimer <= now {
                tally(session.handleTimer(now: nextTimer))
                nextTimer += timerInterval
            }
            bytes += datagram.count
            tally(demultiplexer.handle(datagram, from: address, now: now).output)
        }
        // Let the last feedback go out, as the timer would after the stream ends.
        for _ in 0..<5 {
            tally(session.handleTimer(now: nextTimer))
            nextTimer += timerInterval
        }
        let elapsed = clock.now - began

        // A benchmark of a path that drops media measures nothing: insist that everything arrived.
        let statistics = session.statistics
        guard session.state == .connected, statistics.videoFrames == stream.frames, statistics.corruptFrames == 0,
              statistics.audioFrames == stream.audioPackets, statistics.srtpAuthFailures == 0,
              statistics.keyframes == stream.keyframes, statistics.width == 1280, statistics.height == 720,
              audioPackets == stream.audioPackets, nalUnits > 0, datagramsOut > 0,
              demultiplexer.dropped.isEmpty
        else {
            throw BenchError("the ingest path did not deliver the stream intact: \(statistics), state \(session.state), " +
                             "dropped \(demultiplexer.dropped)")
        }
        return Sample(seconds: elapsed.secondsValue, packets: datagrams.count, bytes: bytes)
    }

    /// libsrtp alone on the same SRTP/SRTCP datagrams, through a session of its own (its own replay window).
    func measureLibsrtp() throws -> Sample {
        guard let keys = publisher.keys else { throw BenchError("no keys") }
        let inbound = try SrtpSession(profile: keys.profile, keyAndSalt: keys.clientKey, direction: .inbound)
        var packets = 0
        var bytes = 0
        var plainBytes = 0
        let clock = ContinuousClock()
        let began = clock.now
        for (datagram, _) in datagrams where (128...191).contains(datagram[0]) {
            // RFC 5761 §4, inline: `RtpPacket.isRtcp` is generic and would not be specialised across the module.
            let isRtcp = (192...223).contains(datagram[1])
            let plain = isRtcp ? try inbound.unprotectRtcp(datagram) : try inbound.unprotectRtp(datagram)
            plainBytes += plain.count
            packets += 1
            bytes += datagram.count
        }
        let elapsed = clock.now - began
        guard plainBytes > 0 else { throw BenchError("libsrtp produced nothing") }
        return Sample(seconds: elapsed.secondsValue, packets: packets, bytes: bytes)
    }
}

/// ffmpeg demuxing and parsing the same elementary stream with `-c copy`: `-benchmark`'s rtime covers the transcode
/// loop after the input was opened and probed; the wall time adds process start-up. Its per-packet figures in the
/// JSON count the video RTP packets the same stream makes, and its bytes are the elementary stream's.
func measureFfmpeg(_ clip: URL, packets: Int, bytes: Int) throws -> (loop: Sample, process: Sample) {
    let clock = ContinuousClock()
    let began = clock.now
    let (status, stderr) = try runFfmpeg(["-nostdin", "-hide_banner", "-nostats", "-benchmark",
                                          "-f", "h264", "-i", clip.path, "-c", "copy", "-f", "null", "-"])
    let wall = clock.now - began
    guard status == 0 else { throw BenchError("ffmpeg -c copy failed (exit \(status)): \(stderr.suffix(300))") }
    // "bench: utime=0.009s stime=0.000s rtime=0.010s"
    guard let field = stderr.split(whereSeparator: { $0 == " " || $0 == "\n" }).first(where: { $0.hasPrefix("rtime=") }),
          let rtime = Double(field.dropFirst("rtime=".count).dropLast())
    else { throw BenchError("no rtime in ffmpeg -benchmark output: \(stderr.suffix(300))") }
    return (Sample(seconds: rtime, packets: packets, bytes: bytes), Sample(seconds: wall.secondsValue, packets: packets, bytes: bytes))
}

// MARK: - Report

struct BenchResult: Codable {
    var name: String
    var description: String
    /// Median over the repetitions.
    var secondsPerStream: Double
    var packetsPerSecond: Double
    var megabytesPerSecond: Double
    var nanosecondsPerPacket: Double
    /// How many such publishers one core keeps up with: stream time over processing time.
    var streamsPerCore: Double
    var samples: [Sample]

    init(name: String, description: String, samples: [Sample], streamSeconds: Double) {
        let median = samples.sorted { $0.seconds < $1.seconds }[samples.count / 2]
        self.name = name
        self.description = description
        self.samples = samples
        secondsPerStream = median.seconds
        packetsPerSecond = Double(median.packets) / median.seconds
        megabytesPerSecond = Double(median.bytes) / median.seconds / 1e6
        nanosecondsPerPacket = median.seconds * 1e9 / Double(median.packets)
        streamsPerCore = streamSeconds / median.seconds
    }
}

struct BenchHost: Codable {
    var cpu: String
    var cores: Int
    var system: String

    static func current() -> BenchHost {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model = cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }
            .flatMap { $0.split(separator: ":", maxSplits: 1).last }.map { $0.trimmingCharacters(in: .whitespaces) }
        return BenchHost(cpu: model ?? "unknown", cores: ProcessInfo.processInfo.activeProcessorCount,
                    system: ProcessInfo.processInfo.operatingSystemVersionString)
    }
}

struct Report: Codable {
    struct Stream: Codable {
        var seconds: Double
        var width: Int
        var height: Int
        var framesPerSecond: Int
        var frames: Int
        var keyframes: Int
        var videoBitrateKbps: Double
        var videoPackets: Int
        var audioPackets: Int
        var datagrams: Int
        var datagramBytes: Int
        var packetsPerSecond: Double
    }

    var benchmark = "ingest-bench"
    var date: String
    var host: BenchHost
    var stream: Stream
    var repetitions: Int
    var results: [BenchResult]
    /// Time per stream of the ingest path over libsrtp's; 1 would mean the pod adds nothing to the crypto.
    var ingestOverLibsrtp: Double
    var ingestOverFfmpegParse: Double?

    func table() -> String {
        var lines: [String] = []
        lines.append("ingest-bench: \(format(stream.seconds, 1)) s of \(stream.width)x\(stream.height) \(stream.framesPerSecond) fps "
            + "H.264 at \(format(stream.videoBitrateKbps / 1000, 2)) Mbit/s + Opus-sized audio: \(stream.datagrams) datagrams, "
            + "\(format(Double(stream.datagramBytes) / 1e6, 1)) MB, \(format(stream.packetsPerSecond, 0)) packets/s")
        lines.append("host: \(host.cpu), \(host.cores) cores; median of \(repetitions) runs, one core")
        lines.append("")
        let header = ["", "ms/stream", "packets/s", "MB/s", "ns/packet", "streams/core", "× libsrtp"]
        var rows: [[String]] = [header]
        let floor = results.first { $0.name == "libsrtp" }?.secondsPerStream ?? 1
        for result in results {
            let perPacket = result.name.hasPrefix("ffmpeg")
            rows.append([
                result.description,
                format(result.secondsPerStream * 1000, 1),
                perPacket ? "-" : format(result.packetsPerSecond, 0),
                format(result.megabytesPerSecond, 0),
                perPacket ? "-" : format(result.nanosecondsPerPacket, 0),
                format(result.streamsPerCore, 0),
                format(result.secondsPerStream / floor, 2),
            ])
        }
        let widths = header.indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        for (index, row) in rows.enumerated() {
            lines.append(row.enumerated().map { column, cell in
                column == 0 ? cell.padding(toLength: widths[0], withPad: " ", startingAt: 0)
                            : String(repeating: " ", count: widths[column] - cell.count) + cell
            }.joined(separator: "  "))
            if index == 0 { lines.append(String(repeating: "-", count: widths.reduce(0, +) + 2 * (widths.count - 1))) }
        }
        lines.append("")
        lines.append("ingest / libsrtp: \(format(ingestOverLibsrtp, 2))× the crypto floor" +
            (ingestOverFfmpegParse.map { "; ingest / ffmpeg parse loop: \(format($0, 2))×" } ?? ""))
        lines.append("720p30 \(format(stream.videoBitrateKbps / 1000, 1)) Mbit/s streams per core: "
            + "\(format(results[0].streamsPerCore, 0)) (ingest), \(format(results[1].streamsPerCore, 0)) (libsrtp alone)")
        lines.append("ffmpeg rows: demux + H.264 parser over the video only; MB/s counts the elementary stream's bytes")
        return lines.joined(separator: "\n")
    }

    func write(to path: String) throws {
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(self).write(to: url)
    }
}

func format(_ value: Double, _ decimals: Int) -> String {
    String(format: "%.\(decimals)f", value)
}
