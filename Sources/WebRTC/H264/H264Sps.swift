// H.264 sequence parameter set parsing (ITU-T H.264 §7.3.2.1.1), as far as the picture size:
// the RTMP/FLV muxer needs profile, level and dimensions for its metadata and AVC config record.

public enum H264SpsParseError: Error, Sendable, Equatable {
    /// The first byte is not a NAL header of type 7.
    case notSps
    /// The bit stream ended before the frame cropping fields.
    case truncated
    /// A syntax element has a value H.264 forbids; the associated value names it.
    case outOfRange(String)
}

public struct H264Sps: Sendable, Equatable {
    public var profileIdc: UInt8
    /// constraint_set0_flag (most significant bit) to constraint_set5_flag and 2 reserved bits.
    public var constraintFlags: UInt8
    public var levelIdc: UInt8
    /// Displayed width in pixels, after frame cropping.
    public var width: Int
    /// Displayed height in pixels, after frame cropping.
    public var height: Int

    public init(profileIdc: UInt8, constraintFlags: UInt8, levelIdc: UInt8, width: Int, height: Int) {
        self.profileIdc = profileIdc
        self.constraintFlags = constraintFlags
        self.levelIdc = levelIdc
        self.width = width
        self.height = height
    }

    /// High and multiview/scalable profiles carry chroma format, bit depth and scaling matrices
    /// before log2_max_frame_num_minus4 (§7.3.2.1.1).
    private static let profilesWithChromaInfo: Set<UInt8> = [100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]

    /// Annex A.3.1: PicWidthInMbs and FrameHeightInMbs are at most Sqrt(MaxFS * 8), and the
    /// largest MaxFS of any level (6.2, Table A-1) is 139264, so no valid stream exceeds 1055.
    private static let maxDimensionInMbs = 1055

    /// Parses an SPS NAL unit: NAL header byte first, no start code, emulation prevention bytes
    /// still in place.
    public init(parsing nal: some Collection<UInt8>) throws(H264SpsParseError) {
        guard let header = nal.first, header & 0x1F == 7 else { throw .notSps }
        var r = SpsBitReader(rbsp: Self.removingEmulationPrevention(nal.dropFirst()))

        profileIdc = try r.bits(8)
        constraintFlags = try r.bits(8)
        levelIdc = try r.bits(8)
        guard try r.ue() <= 31 else { throw .outOfRange("seq_parameter_set_id") }

        var chromaFormatIdc = 1  // 4:2:0 when not signalled (§7.4.2.1.1)
        var separateColourPlane = false
        if Self.profilesWithChromaInfo.contains(profileIdc) {
            chromaFormatIdc = try r.ue()
            guard chromaFormatIdc <= 3 else { throw .outOfRange("chroma_format_idc") }
            if chromaFormatIdc == 3 {
                separateColourPlane = try r.flag()
            }
            guard try r.ue() <= 6 else { throw .outOfRange("bit_depth_luma_minus8") }
            guard try r.ue() <= 6 else { throw .outOfRange("bit_depth_chroma_minus8") }
            _ = try r.flag()  // qpprime_y_zero_transform_bypass_flag
            if try r.flag() {  // seq_scaling_matrix_present_flag
                let listCount = chromaFormatIdc == 3 ? 12 : 8
                for list in 0..<listCount where try r.flag() {
                    try r.skipScalingList(size: list < 6 ? 16 : 64)
                }
            }
        }

        guard try r.ue() <= 12 else { throw .outOfRange("log2_max_frame_num_minus4") }
        switch try r.ue() {  // pic_order_cnt_type
        case 0:
            guard try r.ue() <= 12 else { throw .outOfRange("log2_max_pic_order_cnt_lsb_minus4") }
        case 1:
            _ = try r.flag()  // delta_pic_order_always_zero_flag
            _ = try r.se()  // offset_for_non_ref_pic
            _ = try r.se()  // offset_for_top_to_bottom_field
            let cycleLength = try r.ue()
            guard cycleLength <= 255 else { throw .outOfRange("num_ref_frames_in_pic_order_cnt_cycle") }
            for _ in 0..<cycleLength {
                _ = try r.se()  // offset_for_ref_frame
            }
        case 2:
            break
        default:
            throw .outOfRange("pic_order_cnt_type")
        }
        _ = try r.ue()  // max_num_ref_frames
        _ = try r.flag()  // gaps_in_frame_num_value_allowed_flag

        let widthInMbs = try r.ue() + 1
        let heightInMapUnits = try r.ue() + 1
        let frameMbsOnly = try r.flag()
        if !frameMbsOnly {
            _ = try r.flag()  // mb_adaptive_frame_field_flag
        }
        _ = try r.flag()  // direct_8x8_inference_flag

        // §7.4.2.1.1: without frame_mbs_only a map unit is a pair of macroblocks (one per field).
        let frameHeightInMbs = (frameMbsOnly ? 1 : 2) * heightInMapUnits
        guard widthInMbs <= Self.maxDimensionInMbs else { throw .outOfRange("pic_width_in_mbs_minus1") }
        guard frameHeightInMbs <= Self.maxDimensionInMbs else { throw .outOfRange("pic_height_in_map_units_minus1") }
        var width = widthInMbs * 16
        var height = frameHeightInMbs * 16

        if try r.flag() {  // frame_cropping_flag
            let left = try r.ue()
            let right = try r.ue()
            let top = try r.ue()
            let bottom = try r.ue()
            // §7.4.2.1.1 (7-19..7-22): offsets count chroma samples, and field pairs vertically
            // for interlaced streams. ChromaArrayType is 0 for monochrome or separate planes.
            let chromaArrayType = separateColourPlane ? 0 : chromaFormatIdc
            let (subWidthC, subHeightC) = switch chromaArrayType {
            case 1: (2, 2)
            case 2: (2, 1)
            default: (1, 1)
            }
            let cropUnitX = chromaArrayType == 0 ? 1 : subWidthC
            let cropUnitY = (chromaArrayType == 0 ? 1 : subHeightC) * (frameMbsOnly ? 1 : 2)
            width -= (left + right) * cropUnitX
            height -= (top + bottom) * cropUnitY
            guard width > 0, height > 0 else { throw .outOfRange("frame_crop_offset") }
        }
        self.width = width
        self.height = height
    }

    /// §7.4.1: inside a NAL unit, 0x000003 is written wherever the payload has 0x0000 followed by
    /// 0x00...0x03, so start codes never appear; the 0x03 is not part of the RBSP.
    private static func removingEmulationPrevention(_ bytes: some Collection<UInt8>) -> [UInt8] {
        var rbsp: [UInt8] = []
        rbsp.reserveCapacity(bytes.count)
        var zeros = 0
        for byte in bytes {
            if zeros >= 2 && byte == 0x03 {
                zeros = 0
                continue
            }
            zeros = byte == 0 ? zeros + 1 : 0
            rbsp.append(byte)
        }
        return rbsp
    }
}

/// Reads the bit fields and Exp-Golomb codes (§9.1) of an RBSP, throwing rather than reading
/// past the end.
private struct SpsBitReader {
    let rbsp: [UInt8]
    var position = 0

    init(rbsp: [UInt8]) {
        self.rbsp = rbsp
    }

    mutating func flag() throws(H264SpsParseError) -> Bool {
        guard position < rbsp.count * 8 else { throw .truncated }
        let bit = rbsp[position >> 3] >> (7 - UInt8(position & 7)) & 1
        position += 1
        return bit == 1
    }

    mutating func bits<T: FixedWidthInteger>(_ count: Int) throws(H264SpsParseError) -> T {
        var value: T = 0
        for _ in 0..<count {
            value = value << 1 | (try flag() ? 1 : 0)
        }
        return value
    }

    /// ue(v): leading zeros, a one, then as many bits; 32 or more zeros cannot be a 32-bit value.
    mutating func ue() throws(H264SpsParseError) -> Int {
        var leadingZeros = 0
        while try !flag() {
            leadingZeros += 1
            guard leadingZeros < 32 else { throw .outOfRange("exp-Golomb code longer than 32 bits") }
        }
        let suffix: UInt64 = try bits(leadingZeros)
        return Int((UInt64(1) << leadingZeros) - 1 + suffix)
    }

    /// se(v), §9.1.1: 1, 2, 3, 4 ... map to 1, -1, 2, -2 ...
    mutating func se() throws(H264SpsParseError) -> Int {
        let k = try ue()
        return k % 2 == 1 ? (k + 1) / 2 : -(k / 2)
    }

    /// scaling_list() of §7.3.2.1.1.1; only its length in bits matters here.
    mutating func skipScalingList(size: Int) throws(H264SpsParseError) {
        var lastScale = 8
        var nextScale = 8
        for _ in 0..<size {
            if nextScale != 0 {
                let delta = try se()
                guard (-128...127).contains(delta) else { throw .outOfRange("delta_scale") }
                nextScale = (lastScale + delta + 256) % 256
            }
            lastScale = nextScale == 0 ? lastScale : nextScale
        }
    }
}
