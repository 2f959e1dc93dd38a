import Foundation
import Testing
import WebRTC
#if canImport(Glibc)
import Glibc
#endif

struct CommandResult {
    var status: Int32
    var stdout: [UInt8]
    var stderr: String
    var text: String { String(decoding: stdout, as: UTF8.self) }
}

struct CommandFailed: Error, CustomStringConvertible {
    var command: String
    var result: CommandResult
    var description: String { "\(command) exited \(result.status): \(result.stderr)" }
}

/// Runs a tool from PATH; stdout is returned, stderr kept in a file (no pipe deadlock on large output).
@discardableResult
func run(_ tool: String, _ arguments: [String], check: Bool = true) throws -> CommandResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [tool] + arguments
    let stdout = Pipe()
    let stderrURL = FileManager.default.temporaryDirectory.appendingPathComponent("stderr-\(UUID().uuidString)")
    _ = FileManager.default.createFile(atPath: stderrURL.path, contents: nil)
    let stderrHandle = try FileHandle(forWritingTo: stderrURL)
    defer { try? FileManager.default.removeItem(at: stderrURL) }
    process.standardOutput = stdout
    process.standardError = stderrHandle
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let output = stdout.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    try stderrHandle.close()
    let result = CommandResult(
        status: process.terminationStatus, stdout: [UInt8](output),
        stderr: (try? String(contentsOf: stderrURL, encoding: .utf8)) ?? "")
    if check && result.status != 0 {
        throw CommandFailed(command: ([tool] + arguments).joined(separator: " "), result: result)
    }
    return result
}

func makeTemporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("media-codecs-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

func ffprobeJSON(_ arguments: [String]) throws -> [String: Any] {
    let result = try run("ffprobe", ["-v", "error", "-of", "json"] + arguments)
    return try #require(JSONSerialization.jsonObject(with: Data(result.stdout)) as? [String: Any])
}

// MARK: - H.264 clips


struct AccessUnit: Sendable {
    var nalUnits: [[UInt8]]
    var isKeyframe: Bool { nalUnits.contains { $0[0] & 0x1F == 5 } }
    func nal(ofType type: UInt8) -> [UInt8]? { nalUnits.first { $0[0] & 0x1F == type } }
}

struct H264Clip: Sendable {
    var width: Int
    var height: Int
    var accessUnits: [AccessUnit]
}

/// x264 baseline clip with an AUD in front of every access unit (`aud=1`), split at the AUDs.
func makeH264Clip(width: Int, height: Int, seconds: Int, pattern: String = "testsrc2") throws -> H264Clip {
    let result = try run("ffmpeg", [
        "-v", "error", "-f", "lavfi", "-i", "\(pattern)=size=\(width)x\(height):rate=30", "-t", "\(seconds)",
        "-pix_fmt", "yuv420p", "-c:v", "libx264", "-profile:v", "baseline", "-bf", "0", "-g", "30",
        "-x264-params", "aud=1", "-f", "h264", "-",
    ])
    var accessUnits: [AccessUnit] = []
    for nal in H264Packetizer.nalUnits(annexB: result.stdout) {
        if nal[0] & 0x1F == 9 || accessUnits.isEmpty {
            accessUnits.append(AccessUnit(nalUnits: []))
        }
        accessUnits[accessUnits.count - 1].nalUnits.append(nal)
    }
    return H264Clip(width: width, height: height, accessUnits: accessUnits)
}

/// Generated once per test process and shared (x264 at 720p takes a few seconds on 2 cores).
let clip720p5s: Result<H264Clip, any Error> = Result { try makeH264Clip(width: 1280, height: 720, seconds: 5) }
let clip360p2s: Result<H264Clip, any Error> = Result { try makeH264Clip(width: 640, height: 360, seconds: 2, pattern: "smptebars") }

// MARK: - Audio

/// Interleaved stereo 16-bit sine, `count` samples per channel starting at sample `offset`.
func sine(frequency: Double, samples count: Int, offset: Int = 0, amplitude: Double = 0.5, sampleRate: Double = 48_000) -> [Int16] {
    var pcm = [Int16](repeating: 0, count: count * 2)
    for index in 0..<count {
        let value = Int16(amplitude * 32_767 * sin(2 * Double.pi * frequency * Double(index + offset) / sampleRate))
        pcm[2 * index] = value
        pcm[2 * index + 1] = value
    }
    return pcm
}

// MARK: - FLV reader (FLV spec v10.1 §E.4)

struct FlvTag {
    var type: UInt8
    var timestampMs: Int64
    var data: [UInt8]
    var isVideo: Bool { type == 9 }
    var isAudio: Bool { type == 8 }
    /// AVCPacketType for H.264 video tags: 0 sequence header, 1 NAL units, 2 end of sequence.
    var avcPacketType: UInt8? { isVideo && data.count >= 2 && data[0] & 0x0F == 7 ? data[1] : nil }
    var avcPayload: [UInt8] { Array(data.dropFirst(5)) }
    /// AACPacketType: 0 sequence header, 1 raw.
    var aacPacketType: UInt8? { isAudio && data.count >= 2 && data[0] >> 4 == 10 ? data[1] : nil }
}

struct FlvFormatError: Error {}

func parseFlv(_ bytes: [UInt8]) throws -> [FlvTag] {
    guard bytes.count >= 13, bytes[0] == 0x46, bytes[1] == 0x4C, bytes[2] == 0x56 else { throw FlvFormatError() }
    var offset = Int(bytes[5]) << 24 | Int(bytes[6]) << 16 | Int(bytes[7]) << 8 | Int(bytes[8])
    offset += 4  // PreviousTagSize0
    var tags: [FlvTag] = []
    while offset + 11 <= bytes.count {
        let type = bytes[offset] & 0x1F
        let size = Int(bytes[offset + 1]) << 16 | Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
        let timestamp = Int64(bytes[offset + 7]) << 24 | Int64(bytes[offset + 4]) << 16 | Int64(bytes[offset + 5]) << 8 | Int64(bytes[offset + 6])
        guard offset + 11 + size + 4 <= bytes.count else { throw FlvFormatError() }
        tags.append(FlvTag(type: type, timestampMs: timestamp, data: Array(bytes[(offset + 11)..<(offset + 11 + size)])))
        offset += 11 + size + 4
    }
    return tags
}

// MARK: - Sockets

/// A TCP port on 127.0.0.1 that nothing listens on (bound, read back, closed).
func closedLocalPort() throws -> Int {
    let listener = try LocalListener(backlog: 1)
    let port = listener.port
    listener.close()
    return port
}

/// A listening TCP socket that never accepts: the kernel completes connections, nobody ever answers.
final class LocalListener: @unchecked Sendable {
    let descriptor: Int32
    let port: Int
    private var open = true

    struct SocketError: Error { var call: String; var errno: Int32 }

    init(backlog: Int32 = 8) throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw SocketError(call: "socket", errno: errno) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(descriptor, backlog) == 0 else {
            Glibc.close(descriptor)
            throw SocketError(call: "bind/listen", errno: errno)
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        self.descriptor = descriptor
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    func close() {
        guard open else { return }
        open = false
        Glibc.close(descriptor)
    }

    deinit { close() }
}

/// True once something accepts TCP connections on 127.0.0.1:`port`.
func canConnect(port: Int) -> Bool {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard descriptor >= 0 else { return false }
    defer { Glibc.close(descriptor) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = UInt16(port).bigEndian
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    } == 0
}
