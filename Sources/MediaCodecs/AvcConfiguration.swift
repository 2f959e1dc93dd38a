// H.264 in the form FLV (and MP4) carry it: the AVCDecoderConfigurationRecord and length-prefixed NAL units.
// Pure Swift; no C library involved.

public enum AvcFormatError: Error, Equatable, Sendable {
    case noSequenceParameterSet
    case noPictureParameterSet
    /// A NAL unit given as SPS or PPS has another type.
    case wrongNalUnitType(expected: UInt8, found: UInt8)
    case sequenceParameterSetTooShort
    case parameterSetTooLarge
    /// An avcC record or AVCC frame whose lengths do not add up.
    case malformed
}

/// ISO/IEC 14496-15 §5.2.4.1 AVCDecoderConfigurationRecord ("avcC"), with 4-byte NAL lengths.
public struct AvcDecoderConfigurationRecord: Sendable, Equatable {
    public let sequenceParameterSets: [[UInt8]]
    public let pictureParameterSets: [[UInt8]]
    /// The serialized record: FLV's AVC sequence header payload, `VideoParameters.avcDecoderConfiguration`.
    public let bytes: [UInt8]

    public var profileIndication: UInt8 { bytes[1] }
    public var profileCompatibility: UInt8 { bytes[2] }
    public var levelIndication: UInt8 { bytes[3] }
    /// NAL length field size in frames that use this record (always 4 here).
    public var nalLengthSize: Int { Int(bytes[4] & 0x03) + 1 }

    public init(sps: [UInt8], pps: [UInt8]) throws(AvcFormatError) {
        try self.init(sequenceParameterSets: [sps], pictureParameterSets: [pps])
    }

    /// Profile, compatibility flags and level come from the first SPS (its bytes 1…3).
    public init(sequenceParameterSets: [[UInt8]], pictureParameterSets: [[UInt8]]) throws(AvcFormatError) {
        guard let sps = sequenceParameterSets.first else { throw .noSequenceParameterSet }
        guard !pictureParameterSets.isEmpty else { throw .noPictureParameterSet }
        for set in sequenceParameterSets {
            guard let header = set.first else { throw .sequenceParameterSetTooShort }
            guard header & 0x1F == H264NalUnitType.sps else { throw .wrongNalUnitType(expected: H264NalUnitType.sps, found: header & 0x1F) }
            guard set.count >= 4 else { throw .sequenceParameterSetTooShort }
        }
        for set in pictureParameterSets {
            let type = (set.first ?? 0) & 0x1F
            guard type == H264NalUnitType.pps else { throw .wrongNalUnitType(expected: H264NalUnitType.pps, found: type) }
        }
        // 5 bits for the SPS count, 8 for PPS, 16-bit lengths.
        guard sequenceParameterSets.count < 32, pictureParameterSets.count < 256,
              (sequenceParameterSets + pictureParameterSets).allSatisfy({ $0.count <= 0xFFFF })
        else { throw .parameterSetTooLarge }

        var bytes: [UInt8] = [1, sps[1], sps[2], sps[3], 0xFC | 3, 0xE0 | UInt8(sequenceParameterSets.count)]
        for set in sequenceParameterSets {
            bytes += [UInt8(set.count >> 8), UInt8(set.count & 0xFF)] + set
        }
        bytes.append(UInt8(pictureParameterSets.count))
        for set in pictureParameterSets {
            bytes += [UInt8(set.count >> 8), UInt8(set.count & 0xFF)] + set
        }
        // §5.2.4.1.1: profiles above Main/Extended append chroma format and bit depths. The rule is FFmpeg's
        // (everything but 66, 77, 88), which also covers High 4:4:4 Predictive (244), newer than the spec's list.
        if ![66, 77, 88].contains(sps[1]) {
            let format = SpsChromaFormat(sps: sps)
            bytes += [
                0xFC | (format.chromaFormatIdc & 0x03),
                0xF8 | (format.bitDepthLumaMinus8 & 0x07),
                0xF8 | (format.bitDepthChromaMinus8 & 0x07),
                0,  // numOfSequenceParameterSetExt
            ]
        }
        self.sequenceParameterSets = sequenceParameterSets
        self.pictureParameterSets = pictureParameterSets
        self.bytes = bytes
    }

    /// Reads a serialized record (e.g. to check one, or to recover SPS/PPS from an FLV sequence header).
    public init(parsing record: [UInt8]) throws(AvcFormatError) {
        guard record.count >= 7, record[0] == 1 else { throw .malformed }
        var offset = 6
        func readSets(count: Int) throws(AvcFormatError) -> [[UInt8]] {
            var sets: [[UInt8]] = []
            for _ in 0..<count {
                guard offset + 2 <= record.count else { throw .malformed }
                let length = Int(record[offset]) << 8 | Int(record[offset + 1])
                offset += 2
                guard offset + length <= record.count else { throw .malformed }
                sets.append(Array(record[offset..<offset + length]))
                offset += length
            }
            return sets
        }
        let sps = try readSets(count: Int(record[5] & 0x1F))
        guard offset < record.count else { throw .malformed }
        let ppsCount = Int(record[offset])
        offset += 1
        let pps = try readSets(count: ppsCount)
        guard !sps.isEmpty else { throw .noSequenceParameterSet }
        guard !pps.isEmpty else { throw .noPictureParameterSet }
        sequenceParameterSets = sps
        pictureParameterSets = pps
        bytes = record
    }
}

public enum H264NalUnitType {
    public static let idrSlice: UInt8 = 5
    public static let sei: UInt8 = 6
    public static let sps: UInt8 = 7
    public static let pps: UInt8 = 8
    public static let accessUnitDelimiter: UInt8 = 9
}

/// AVCC framing (ISO/IEC 14496-15 §5.3.4.2 with lengthSizeMinusOne = 3): each NAL unit prefixed by its
/// 4-byte big-endian length, as FLV video tags and MP4 samples carry them.
public enum Avcc {
    /// Builds one frame from an access unit's NAL units (no start codes). Access unit delimiters (type 9) are
    /// dropped, and SPS/PPS too when `dropParameterSets` (FLV carries them in the AVC sequence header).
    public static func frame(nalUnits: some Sequence<[UInt8]>, dropParameterSets: Bool = true) -> [UInt8] {
        var frame: [UInt8] = []
        for nal in nalUnits {
            guard let header = nal.first else { continue }
            let type = header & 0x1F
            if type == H264NalUnitType.accessUnitDelimiter { continue }
            if dropParameterSets && (type == H264NalUnitType.sps || type == H264NalUnitType.pps) { continue }
            let length = UInt32(nal.count)
            frame += [UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)]
            frame += nal
        }
        return frame
    }

    /// Splits an AVCC frame back into NAL units.
    public static func nalUnits(in frame: [UInt8]) throws(AvcFormatError) -> [ArraySlice<UInt8>] {
        var units: [ArraySlice<UInt8>] = []
        var offset = 0
        while offset < frame.count {
            guard offset + 4 <= frame.count else { throw .malformed }
            let length = Int(frame[offset]) << 24 | Int(frame[offset + 1]) << 16 | Int(frame[offset + 2]) << 8 | Int(frame[offset + 3])
            offset += 4
            guard length > 0, offset + length <= frame.count else { throw .malformed }
            units.append(frame[offset..<offset + length])
            offset += length
        }
        return units
    }
}

/// The few SPS fields (H.264 §7.3.2.1.1) the avcC extension repeats; 4:2:0 8-bit when the SPS is unreadable.
private struct SpsChromaFormat {
    var chromaFormatIdc: UInt8 = 1
    var bitDepthLumaMinus8: UInt8 = 0
    var bitDepthChromaMinus8: UInt8 = 0

    /// Profiles whose SPS carries chroma_format_idc and bit depths.
    private static let highProfiles: Set<UInt8> = [100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]

    init(sps: [UInt8]) {
        guard Self.highProfiles.contains(sps[1]) else { return }
        // Remove emulation prevention bytes (00 00 03 → 00 00) to get the RBSP.
        var rbsp: [UInt8] = []
        var zeros = 0
        for byte in sps.dropFirst() {
            if zeros >= 2 && byte == 3 { zeros = 0; continue }
            rbsp.append(byte)
            zeros = byte == 0 ? zeros + 1 : 0
        }
        var reader = BitReader(bytes: rbsp, bitOffset: 24)
        guard reader.readExpGolomb() != nil,  // seq_parameter_set_id
              let chroma = reader.readExpGolomb(), chroma <= 3
        else { return }
        if chroma == 3 { _ = reader.readBit() }  // separate_colour_plane_flag
        guard let luma = reader.readExpGolomb(), let chromaDepth = reader.readExpGolomb(), luma <= 6, chromaDepth <= 6
        else { return }
        chromaFormatIdc = UInt8(chroma)
        bitDepthLumaMinus8 = UInt8(luma)
        bitDepthChromaMinus8 = UInt8(chromaDepth)
    }
}

private struct BitReader {
    let bytes: [UInt8]
    var bitOffset: Int

    mutating func readBit() -> UInt32? {
        guard bitOffset < bytes.count * 8 else { return nil }
        let bit = (bytes[bitOffset / 8] >> (7 - UInt8(bitOffset % 8))) & 1
        bitOffset += 1
        return UInt32(bit)
    }

    /// ue(v), H.264 §9.1.
    mutating func readExpGolomb() -> UInt32? {
        var leadingZeros = 0
        while true {
            guard let bit = readBit() else { return nil }
            if bit == 1 { break }
            leadingZeros += 1
            if leadingZeros > 31 { return nil }
        }
        var value: UInt32 = 0
        for _ in 0..<leadingZeros {
            guard let bit = readBit() else { return nil }
            value = value << 1 | bit
        }
        return (1 << leadingZeros) - 1 + value
    }
}
