import Foundation
import MediaCodecs
import Testing

/// Signal-to-noise ratio (dB) of `decoded` against `reference` delayed by the best lag in `lags`, left channel.
private func bestSnr(reference: [Int16], decoded: [Int16], lags: ClosedRange<Int>, window: Range<Int>) -> (lag: Int, snr: Double) {
    var best = (lag: 0, snr: -Double.infinity)
    for lag in lags {
        var signal = 0.0, noise = 0.0
        for index in window {
            let expected = Double(reference[2 * (index - lag)])
            let difference = Double(decoded[2 * index]) - expected
            signal += expected * expected
            noise += difference * difference
        }
        let snr = 10 * log10(signal / max(noise, 1))
        if snr > best.snr { best = (lag, snr) }
    }
    return best
}

@Suite struct OpusTests {
    @Test func roundTripOfA1kHzSine() throws {
        let encoder = try OpusEncoder(bitrate: 96_000)
        let decoder = try OpusDecoder()
        let frame = 960  // 20 ms
        let reference = sine(frequency: 1_000, samples: frame * 50)
        var decoded: [Int16] = []
        for start in stride(from: 0, to: frame * 50, by: frame) {
            let packet = try encoder.encode(pcm: Array(reference[(2 * start)..<(2 * (start + frame))]))
            let pcm = try decoder.decode(packet: packet)
            #expect(pcm.count == frame * 2)
            decoded += pcm
        }
        #expect(encoder.lookahead == 312)
        // The decoder's output lags by the encoder's lookahead (PEERS.md: ~6.5 ms); a 1 kHz sine repeats every
        // 48 samples, so search less than one period around it.
        let match = bestSnr(reference: reference, decoded: decoded, lags: 290...330, window: 10_000..<40_000)
        #expect(match.lag == encoder.lookahead)
        #expect(match.snr > 20, "SNR \(match.snr) dB")
    }

    @Test func frameSizeComesFromThePacket() throws {
        let encoder = try OpusEncoder()
        let decoder = try OpusDecoder()
        for samples in [120, 240, 480, 960, 1_920, 2_880] {
            let packet = try encoder.encode(pcm: sine(frequency: 440, samples: samples))
            #expect(try decoder.decode(packet: packet).count == samples * 2)
        }
    }

    @Test func concealmentReturnsExactlyTheMissingDuration() throws {
        let encoder = try OpusEncoder()
        let decoder = try OpusDecoder()
        _ = try decoder.decode(packet: encoder.encode(pcm: sine(frequency: 440, samples: 960)))
        #expect(decoder.concealLoss(samples: 960).count == 1_920)
        #expect(decoder.concealLoss(samples: 9_600).count == 19_200)  // longer than one 120 ms call
        #expect(decoder.concealLoss(samples: 1_000).count == 2_000)  // not a 2.5 ms multiple: silence tail
        #expect(decoder.concealLoss(samples: 0).isEmpty)
        // PLC continues the tone rather than going silent.
        let concealed = decoder.concealLoss(samples: 480)
        #expect(concealed.map { abs(Int($0)) }.max()! > 1_000)
    }

    @Test func forwardErrorCorrectionRecoversALostPacket() throws {
        let encoder = try OpusEncoder(bitrate: 64_000, inbandFec: true, expectedLossPercent: 20)
        let decoder = try OpusDecoder()
        var packets: [[UInt8]] = []
        for index in 0..<20 {
            packets.append(try encoder.encode(pcm: sine(frequency: 440, samples: 960, offset: index * 960)))
        }
        for packet in packets[0..<10] { _ = try decoder.decode(packet: packet) }
        // packets[10] is lost; packets[11] carries its LBRR copy.
        let recovered = try decoder.decodeFec(nextPacket: packets[11], samples: 960)
        #expect(recovered.count == 1_920)
        #expect(try decoder.decode(packet: packets[11]).count == 1_920)
        #expect(throws: OpusError.self) { try decoder.decodeFec(nextPacket: packets[12], samples: 1_000) }
    }

    @Test func corruptPacketThrowsLibopusMessage() throws {
        let decoder = try OpusDecoder()
        // TOC code 3 (arbitrary frame count) with a frame count byte of 0 is invalid (RFC 6716 §3.2.5).
        let error = #expect(throws: OpusError.self) { try decoder.decode(packet: [0xFB, 0x00]) }
        #expect(error?.message == "corrupted stream")
        #expect(error?.code == -4)
        #expect(throws: OpusError.self) { try decoder.decode(packet: []) }
    }
}
