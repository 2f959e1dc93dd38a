// Every call into libopus lives in this file: the WebRTC ingest's Opus (RFC 7587, always 48 kHz) decoded to PCM
// for the AAC encoder, and an encoder used by tests and benchmarks.
import COpus

/// A libopus failure: the negative `OPUS_*` code and libopus' own text for it (`opus_strerror`).
public struct OpusError: Error, CustomStringConvertible, Equatable, Sendable {
    public let operation: String
    public let code: Int32
    public let message: String

    init(_ operation: String, code: Int32) {
        self.operation = operation
        self.code = code
        message = String(cString: opus_strerror(code))
    }

    public var description: String { "\(operation): \(message) (\(code))" }
}

/// Decodes Opus to interleaved 16-bit stereo PCM at 48 kHz. Not thread-safe; owned by one task.
public final class OpusDecoder: @unchecked Sendable {
    public static let sampleRate = 48_000
    public static let channels = 2
    /// RFC 6716 §3.2.5: no packet is longer than 120 ms.
    public static let maxFrameSamples = 5_760
    /// PLC and FEC work in whole 2.5 ms steps (`opus_decode` rejects other sizes).
    static let concealmentGranularity = 120

    private let decoder: OpaquePointer

    public init() throws(OpusError) {
        var error: Int32 = 0
        guard let decoder = opus_decoder_create(Int32(Self.sampleRate), Int32(Self.channels), &error), error == OPUS_OK
        else { throw OpusError("opus_decoder_create", code: error == OPUS_OK ? OPUS_ALLOC_FAIL : error) }
        self.decoder = decoder
    }

    deinit {
        opus_decoder_destroy(decoder)
    }

    /// Decodes one packet (an RTP payload); its duration comes from the packet's TOC (2.5–120 ms).
    /// - Returns: `samples × 2` interleaved values.
    public func decode(packet: [UInt8]) throws(OpusError) -> [Int16] {
        guard !packet.isEmpty else { throw OpusError("opus_decode", code: OPUS_INVALID_PACKET) }
        let expected = packet.withUnsafeBufferPointer {
            opus_packet_get_nb_samples($0.baseAddress!, Int32($0.count), Int32(Self.sampleRate))
        }
        guard expected > 0 else { throw OpusError("opus_packet_get_nb_samples", code: expected == 0 ? OPUS_INVALID_PACKET : expected) }
        return try run("opus_decode", samples: Int(expected)) { pcm in
            packet.withUnsafeBufferPointer {
                opus_decode(decoder, $0.baseAddress, Int32($0.count), pcm, expected, 0)
            }
        }
    }

    /// Packet loss concealment for `samples` missing samples per channel (`opus_decode` with no data).
    /// Always returns exactly `samples × 2` values: PLC covers the whole 2.5 ms steps, any remainder is silence,
    /// and if libopus refuses, the gap is silence — the caller's timeline never shifts.
    public func concealLoss(samples: Int) -> [Int16] {
        guard samples > 0 else { return [] }
        var output: [Int16] = []
        output.reserveCapacity(samples * Self.channels)
        var remaining = samples - samples % Self.concealmentGranularity
        while remaining > 0 {
            let chunk = min(remaining, Self.maxFrameSamples)
            let decoded = try? run("opus_decode (PLC)", samples: chunk) { pcm in
                opus_decode(decoder, nil, 0, pcm, Int32(chunk), 0)
            }
            output += decoded ?? [Int16](repeating: 0, count: chunk * Self.channels)
            remaining -= chunk
        }
        output += [Int16](repeating: 0, count: samples * Self.channels - output.count)
        return output
    }

    /// Recovers the lost packet just before `nextPacket` from the in-band FEC (LBRR) data `nextPacket` carries
    /// (RFC 6716 §2.1.7), for `samples` per channel (the lost packet's duration, a multiple of 2.5 ms).
    /// Decode `nextPacket` itself afterwards with `decode(packet:)`. Without FEC data libopus falls back to PLC.
    public func decodeFec(nextPacket: [UInt8], samples: Int) throws(OpusError) -> [Int16] {
        guard samples > 0, samples % Self.concealmentGranularity == 0, samples <= Self.maxFrameSamples else {
            throw OpusError("opus_decode (FEC)", code: OPUS_BAD_ARG)
        }
        return try run("opus_decode (FEC)", samples: samples) { pcm in
            nextPacket.withUnsafeBufferPointer {
                opus_decode(decoder, $0.baseAddress, Int32($0.count), pcm, Int32(samples), 1)
            }
        }
    }

    /// Forgets the decoder's history (a new publisher on the same track).
    public func reset() {
        _ = copus_decoder_reset(decoder)
    }

    private func run(
        _ operation: String, samples: Int, _ body: (UnsafeMutablePointer<Int16>) -> Int32
    ) throws(OpusError) -> [Int16] {
        var pcm = [Int16](repeating: 0, count: samples * Self.channels)
        let decoded = pcm.withUnsafeMutableBufferPointer { body($0.baseAddress!) }
        guard decoded >= 0 else { throw OpusError(operation, code: decoded) }
        if Int(decoded) < samples { pcm.removeLast((samples - Int(decoded)) * Self.channels) }
        return pcm
    }
}

/// Encodes 48 kHz stereo PCM to Opus packets. For tests and benchmarks (the server only decodes).
/// Not thread-safe; owned by one task.
public final class OpusEncoder: @unchecked Sendable {
    private let encoder: OpaquePointer

    /// - Parameters:
    ///   - bitrate: bits per second.
    ///   - inbandFec: encode LBRR data so a receiver can `decodeFec` a lost packet (needs `expectedLossPercent` > 0).
    public init(bitrate: Int = 64_000, inbandFec: Bool = false, expectedLossPercent: Int = 0) throws(OpusError) {
        var error: Int32 = 0
        guard let encoder = opus_encoder_create(
            Int32(OpusDecoder.sampleRate), Int32(OpusDecoder.channels), OPUS_APPLICATION_AUDIO, &error), error == OPUS_OK
        else { throw OpusError("opus_encoder_create", code: error == OPUS_OK ? OPUS_ALLOC_FAIL : error) }
        self.encoder = encoder
        for (operation, result) in [
            ("OPUS_SET_BITRATE", copus_encoder_set_bitrate(encoder, Int32(bitrate))),
            ("OPUS_SET_INBAND_FEC", copus_encoder_set_inband_fec(encoder, inbandFec ? 1 : 0)),
            ("OPUS_SET_PACKET_LOSS_PERC", copus_encoder_set_packet_loss_perc(encoder, Int32(expectedLossPercent))),
        ] where result != OPUS_OK {
            throw OpusError(operation, code: result)
        }
    }

    deinit {
        opus_encoder_destroy(encoder)
    }

    /// Samples of algorithmic delay the decoder's output lags the input by (312 at 48 kHz for the AUDIO application).
    public var lookahead: Int {
        var samples: Int32 = 0
        _ = copus_encoder_get_lookahead(encoder, &samples)
        return Int(samples)
    }

    /// Encodes one frame: `pcm.count / 2` samples per channel must be 2.5, 5, 10, 20, 40 or 60 ms.
    public func encode(pcm: [Int16]) throws(OpusError) -> [UInt8] {
        guard !pcm.isEmpty else { throw OpusError("opus_encode", code: OPUS_BAD_ARG) }
        var packet = [UInt8](repeating: 0, count: 4_000)
        let frameSize = Int32(pcm.count / OpusDecoder.channels)
        let length = pcm.withUnsafeBufferPointer { input in
            packet.withUnsafeMutableBufferPointer { output in
                opus_encode(encoder, input.baseAddress!, frameSize, output.baseAddress!, Int32(output.count))
            }
        }
        guard length > 0 else { throw OpusError("opus_encode", code: length == 0 ? OPUS_INTERNAL_ERROR : length) }
        return Array(packet.prefix(Int(length)))
    }
}
