import MediaCodecs
import Testing

private func hex(_ text: String) -> [UInt8] {
    var bytes: [UInt8] = []
    var index = text.startIndex
    while index < text.endIndex {
        let next = text.index(index, offsetBy: 2)
        bytes.append(UInt8(text[index..<next], radix: 16)!)
        index = next
    }
    return bytes
}

@Suite struct AvcConfigurationTests {
    // x264 320x240 parameter sets.
    let baselineSps = hex("6742c00dd90141fb0110000003001000000303c0f142a480")
    let baselinePps = hex("68cb83cb20")
    let highSps = hex("6764000dacd94141fb0110000003001000000303c0f1429960")
    let highPps = hex("68ebe3cb22c0")

    @Test func baselineRecordHasProfileLevelAndFourByteLengths() throws {
        let record = try AvcDecoderConfigurationRecord(sps: baselineSps, pps: baselinePps)
        #expect(record.bytes == [1, 0x42, 0xC0, 0x0D, 0xFF, 0xE1, 0, UInt8(baselineSps.count)] + baselineSps + [1, 0, UInt8(baselinePps.count)] + baselinePps)
        #expect(record.profileIndication == 66)
        #expect(record.profileCompatibility == 0xC0)
        #expect(record.levelIndication == 13)
        #expect(record.nalLengthSize == 4)
    }

    @Test func highProfileRecordMatchesFFmpegsAvcC() throws {
        // avcC written by FFmpeg's mp4 muxer for the same stream, chroma/bit-depth extension included.
        let ffmpeg = hex("0164000dffe100196764000dacd94141fb0110000003001000000303c0f142996001000668ebe3cb22c0fdf8f800")
        let record = try AvcDecoderConfigurationRecord(sps: highSps, pps: highPps)
        #expect(record.bytes == ffmpeg)
        let parsed = try AvcDecoderConfigurationRecord(parsing: ffmpeg)
        #expect(parsed.sequenceParameterSets == [highSps])
        #expect(parsed.pictureParameterSets == [highPps])
    }

    @Test func rejectsSwappedOrMissingParameterSets() {
        #expect(throws: AvcFormatError.wrongNalUnitType(expected: 7, found: 8)) {
            try AvcDecoderConfigurationRecord(sps: baselinePps, pps: baselineSps)
        }
        #expect(throws: AvcFormatError.noPictureParameterSet) {
            try AvcDecoderConfigurationRecord(sequenceParameterSets: [baselineSps], pictureParameterSets: [])
        }
        #expect(throws: AvcFormatError.malformed) { try AvcDecoderConfigurationRecord(parsing: [1, 2, 3]) }
    }

    @Test func avccFramesDropDelimitersAndOptionallyParameterSets() throws {
        let aud: [UInt8] = [0x09, 0xF0]
        let sei: [UInt8] = [0x06, 0x05, 0x01, 0xAA, 0x80]
        let idr: [UInt8] = [0x65, 0x88, 0x84, 0x00, 0x33]
        let units = [aud, baselineSps, baselinePps, sei, idr]

        let frame = Avcc.frame(nalUnits: units)
        #expect(frame == [0, 0, 0, 5] + sei + [0, 0, 0, 5] + idr)
        #expect(try Avcc.nalUnits(in: frame).map(Array.init) == [sei, idr])

        let withParameterSets = Avcc.frame(nalUnits: units, dropParameterSets: false)
        #expect(try Avcc.nalUnits(in: withParameterSets).map(Array.init) == [baselineSps, baselinePps, sei, idr])

        let big = [UInt8](repeating: 0x41, count: 70_000)
        #expect(Array(Avcc.frame(nalUnits: [big]).prefix(4)) == [0, 1, 0x11, 0x70])
        #expect(throws: AvcFormatError.malformed) { try Avcc.nalUnits(in: [0, 0, 0, 9, 1]) }
    }
}

@Suite struct RedactTests {
    @Test(arguments: [
        ("rtmp://a.rtmp.youtube.com/live2/abcd-efgh-ijkl-mnop", "rtmp://a.rtmp.youtube.com/live2/***"),
        ("rtmps://live-api-s.facebook.com:443/rtmp/FB-1234-0-AbCdEf?s_bl=1&s_sw=0", "rtmps://live-api-s.facebook.com:443/rtmp/***?***"),
        ("rtmp://127.0.0.1:1935/live/key", "rtmp://127.0.0.1:1935/live/***"),
        ("rtmp://user:secret@host/app/key", "rtmp://***@host/app/***"),
        ("rtmp://host/app/instance/key", "rtmp://host/app/***"),
        ("rtmp://host/app", "rtmp://host/app"),
        ("rtmp://host/app/", "rtmp://host/app"),
        ("rtmp://host:1935", "rtmp://host:1935"),
        ("RTMP://Host/Live/Key", "RTMP://Host/Live/***"),
        ("/tmp/out.flv", "/tmp/out.flv"),
        ("file:///tmp/out.flv", "file:///tmp/out.flv"),
    ])
    func redactsStreamKey(url: String, expected: String) {
        #expect(FlvMuxer.redact(url) == expected)
    }
}
