import Foundation
import Testing
@testable import WebRTC

@Suite struct H264SpsTests {
    @Test func gstreamerConstrainedBaseline720p() throws {
        let nal = [UInt8](Data(base64Encoded: "Z0LAH9oBQBbsBagICAoAAAMAAgAAAwB5HjBlQA==")!)
        let sps = try H264Sps(parsing: nal)
        #expect(sps == H264Sps(profileIdc: 66, constraintFlags: 0xC0, levelIdc: 31, width: 1280, height: 720))
    }

    /// SPS NAL units written by libx264 through ffmpeg 
    /// (`ffmpeg -f lavfi -i testsrc=size=WxH:rate=30 -frames:v 1 -c:v libx264 -pix_fmt ... -f h264`),
    /// with the size ffprobe reports for the same stream.
    @Test(arguments: [
        // -profile:v high, 1080 rows coded as 1088 and cropped by 8 (crop unit 2 in 4:2:0).
        ("67640028acd940780227e5c044000003000400000300f03c60c658", 100, 40, 1920, 1080),
        // -profile:v baseline
        ("6742c01ed900a02ff970110000030001000003003c0f162e48", 66, 30, 640, 360),
        // -pix_fmt yuv444p: High 4:4:4 Predictive, chroma_format_idc 3.
        ("67f4001f919b280a00b76022000003000200000300781e30632c", 244, 31, 1280, 720),
        // -pix_fmt yuv422p at 642x362: High 4:2:2, horizontal crop unit 2, vertical 1.
        ("677a001ebcd940a42fe227c044000003000400000300f03c58b658", 122, 30, 642, 362),
        // -x264-params interlaced=1 at 854x480: frame_mbs_only_flag 0, map units are field pairs.
        ("6764001facd940d87bcde022000003000200000300783e2c5b2c", 100, 31, 854, 480),
    ])
    func ffmpegLibx264(hex: String, profile: Int, level: Int, width: Int, height: Int) throws {
        let sps = try H264Sps(parsing: hexBytes(hex))
        #expect(Int(sps.profileIdc) == profile)
        #expect(Int(sps.levelIdc) == level)
        #expect(sps.width == width)
        #expect(sps.height == height)
    }

    /// Paths no encoder at hand produces: scaling matrices (one list cut short by a zero
    /// nextScale), pic_order_cnt_type 1, and emulation prevention inside parsed fields.
    @Test func scalingMatricesAndPicOrderCountType1() throws {
        var w = SpsBitWriter()
        w.bits(0x67, 8)
        w.bits(100, 8)  // profile_idc High
        w.bits(0, 8)  // constraint flags
        w.bits(40, 8)  // level_idc
        w.ue(0)  // seq_parameter_set_id
        w.ue(1)  // chroma_format_idc 4:2:0
        w.ue(0)  // bit_depth_luma_minus8
        w.ue(0)  // bit_depth_chroma_minus8
        w.bits(0, 1)  // qpprime_y_zero_transform_bypass_flag
        w.bits(1, 1)  // seq_scaling_matrix_present_flag
        for list in 0..<8 {
            switch list {
            case 0:
                w.bits(1, 1)
                for delta in [5, -3] + Array(repeating: 0, count: 14) { w.se(delta) }
            case 6:
                w.bits(1, 1)
                w.se(-8)  // nextScale 0: the rest of the 8x8 list uses the default, nothing more is read
            default:
                w.bits(0, 1)
            }
        }
        w.ue(4)  // log2_max_frame_num_minus4
        w.ue(1)  // pic_order_cnt_type
        w.bits(0, 1)  // delta_pic_order_always_zero_flag
        w.se(-40_000)  // offset_for_non_ref_pic: a long run of zero bits
        w.se(-(1 << 24))  // offset_for_top_to_bottom_field: more zero bits, two of them 0x000003 in the NAL
        w.ue(3)  // num_ref_frames_in_pic_order_cnt_cycle
        for offset in [1, -2, 3] { w.se(offset) }
        w.ue(4)  // max_num_ref_frames
        w.bits(0, 1)  // gaps_in_frame_num_value_allowed_flag
        w.ue(119)  // pic_width_in_mbs_minus1: 1920
        w.ue(67)  // pic_height_in_map_units_minus1: 1088
        w.bits(1, 1)  // frame_mbs_only_flag
        w.bits(1, 1)  // direct_8x8_inference_flag
        w.bits(1, 1)  // frame_cropping_flag
        w.ue(0)
        w.ue(0)
        w.ue(0)
        w.ue(4)  // bottom: 4 * 2 rows
        w.bits(0, 1)  // vui_parameters_present_flag
        w.bits(1, 1)  // rbsp_stop_one_bit
        let nal = w.nalUnit()
        #expect(nal.count == w.bytes.count + 2, "the test should exercise emulation prevention")

        let sps = try H264Sps(parsing: nal)
        #expect(sps == H264Sps(profileIdc: 100, constraintFlags: 0, levelIdc: 40, width: 1920, height: 1080))
    }

    @Test func monochromeCropsInLumaSamples() throws {
        var w = SpsBitWriter()
        w.bits(0x67, 8)
        w.bits(100, 8)
        w.bits(0, 8)
        w.bits(30, 8)
        w.ue(0)
        w.ue(0)  // chroma_format_idc 0: ChromaArrayType 0, crop unit 1
        w.ue(0)
        w.ue(0)
        w.bits(0, 1)
        w.bits(0, 1)
        w.ue(0)
        w.ue(2)  // pic_order_cnt_type 2
        w.ue(1)
        w.bits(0, 1)
        w.ue(39)  // 640
        w.ue(22)  // 368
        w.bits(1, 1)
        w.bits(1, 1)
        w.bits(1, 1)
        w.ue(1)
        w.ue(2)
        w.ue(3)
        w.ue(5)
        w.bits(0, 1)
        w.bits(1, 1)
        let sps = try H264Sps(parsing: w.nalUnit())
        #expect(sps.width == 637)
        #expect(sps.height == 360)
    }

    @Test func rejectsOtherNalUnits() {
        #expect(throws: H264SpsParseError.notSps) { try H264Sps(parsing: [0x68, 0xCE, 0x3C, 0x80]) }
        #expect(throws: H264SpsParseError.notSps) { try H264Sps(parsing: [UInt8]()) }
    }

    @Test func truncatedSpsThrows() {
        let nal = hexBytes("67640028acd940780227e5c044000003000400000300f03c60c658")
        // The cropping fields end within the first 9 bytes; any shorter prefix cannot hold them.
        for length in 1..<9 {
            #expect(throws: H264SpsParseError.truncated) { try H264Sps(parsing: nal.prefix(length)) }
        }
    }

    @Test func garbageNeverCrashes() {
        var rng = SeededRandom(seed: 11)
        for _ in 0..<20_000 {
            let length = Int(rng.next() % 40)
            var bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            if !bytes.isEmpty { bytes[0] = 0x67 }
            if bytes.count > 1, rng.next() % 2 == 0 { bytes[1] = [100, 110, 122, 244, 44][Int(rng.next() % 5)] }
            _ = try? H264Sps(parsing: bytes)
        }
        let allZeros = [0x67] + [UInt8](repeating: 0, count: 64)
        #expect(throws: (any Error).self) { try H264Sps(parsing: allZeros) }
        let allOnes = [0x67] + [UInt8](repeating: 0xFF, count: 64)
        _ = try? H264Sps(parsing: allOnes)
    }
}

/// Writes SPS syntax elements MSB first and wraps them as a NAL unit with emulation prevention.
private struct SpsBitWriter {
    var bytes: [UInt8] = []
    var bitCount = 0

    mutating func bits(_ value: Int, _ count: Int) {
        for i in stride(from: count - 1, through: 0, by: -1) {
            if bitCount % 8 == 0 { bytes.append(0) }
            if (value >> i) & 1 == 1 {
                bytes[bytes.count - 1] |= 0x80 >> UInt8(bitCount % 8)
            }
            bitCount += 1
        }
    }

    mutating func ue(_ value: Int) {
        let code = value + 1
        let length = Int.bitWidth - code.leadingZeroBitCount
        bits(0, length - 1)
        bits(code, length)
    }

    mutating func se(_ value: Int) {
        ue(value > 0 ? 2 * value - 1 : -2 * value)
    }

    func nalUnit() -> [UInt8] {
        var out: [UInt8] = []
        var zeros = 0
        for byte in bytes {
            if zeros >= 2, byte <= 3 {
                out.append(3)
                zeros = 0
            }
            out.append(byte)
            zeros = byte == 0 ? zeros + 1 : 0
        }
        return out
    }
}
