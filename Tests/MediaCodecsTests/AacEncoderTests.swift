import MediaCodecs
import Testing

@Suite struct AacEncoderTests {
    @Test func tenSecondsOfSineGiveContiguousFrames() throws {
        let encoder = try AacEncoder()
        #expect(encoder.frameSamples == 1024)
        // AAC-LC (object type 2), 48 kHz (index 3), 2 channels; FFmpeg adds an explicit "no SBR" extension.
        #expect(Array(encoder.audioSpecificConfig.prefix(2)) == [0x11, 0x90])

        // Opus-sized chunks (20 ms) never line up with AAC's 1024-sample frames.
        var frames: [AacFrame] = []
        let total = 10 * 48_000
        for start in stride(from: 0, to: total, by: 960) {
            frames += try encoder.encode(pcm: sine(frequency: 1_000, samples: 960, offset: start), ptsSamples: Int64(start))
        }
        let beforeFlush = frames.count
        let tail = encoder.flush()
        #expect(!tail.isEmpty)
        frames += tail
        #expect(encoder.flush().isEmpty)

        let expected = Double(total) / 1024
        #expect(abs(Double(frames.count) - expected) <= 3, "\(frames.count) frames, \(beforeFlush) before flush")
        // The first frame is the encoder's priming: 1024 samples before the first input sample.
        #expect(frames.first?.ptsSamples == -1024)
        for (previous, next) in zip(frames, frames.dropFirst()) {
            #expect(next.ptsSamples == previous.ptsSamples + previous.durationSamples)
            #expect(next.ptsSamples > previous.ptsSamples)
        }
        #expect(frames.dropLast().allSatisfy { $0.durationSamples == 1024 })
        let end = frames.last!.ptsSamples + frames.last!.durationSamples
        #expect(end >= Int64(total) - 1024 && end <= Int64(total) + 1024)
        #expect(frames.allSatisfy { !$0.data.isEmpty && $0.data.count < 1_000 })
        // 128 kbit/s ≈ 341 bytes per 1024-sample frame.
        let bytes = frames.reduce(0) { $0 + $1.data.count }
        #expect(Double(bytes) * 8 / 10 > 100_000 && Double(bytes) * 8 / 10 < 160_000)
        #expect(throws: FFmpegError.self) { try encoder.encode(pcm: [0, 0], ptsSamples: Int64(total)) }
    }

    @Test func smallTimestampErrorsAreAbsorbedLargeOnesThrow() throws {
        let encoder = try AacEncoder()
        var frames = try encoder.encode(pcm: sine(frequency: 440, samples: 4_800), ptsSamples: 96_000)
        // 100 samples missing: filled with silence.
        frames += try encoder.encode(pcm: sine(frequency: 440, samples: 4_800), ptsSamples: 96_000 + 4_800 + 100)
        // 50 samples repeated: trimmed.
        frames += try encoder.encode(pcm: sine(frequency: 440, samples: 4_800), ptsSamples: 96_000 + 9_700 - 50)
        let error = #expect(throws: FFmpegError.self) {
            try encoder.encode(pcm: sine(frequency: 440, samples: 960), ptsSamples: 96_000 + 14_450 + 200_000)
        }
        #expect(error?.message.contains("timestamp jumps") == true)
        frames += try encoder.encode(pcm: sine(frequency: 440, samples: 960), ptsSamples: 96_000 + 14_450)
        frames += encoder.flush()
        #expect(frames.first?.ptsSamples == Int64(96_000 - 1024))
        for (previous, next) in zip(frames, frames.dropFirst()) {
            #expect(next.ptsSamples == previous.ptsSamples + previous.durationSamples)
        }
        #expect(frames.last!.ptsSamples + frames.last!.durationSamples == 96_000 + 14_450 + 960)
    }

    @Test func oddSampleCountIsRejected() throws {
        let encoder = try AacEncoder()
        #expect(throws: FFmpegError.self) { try encoder.encode(pcm: [1, 2, 3], ptsSamples: 0) }
    }
}
