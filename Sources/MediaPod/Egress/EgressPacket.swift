/// One FLV-ready frame, shared by every destination of a broadcast.
enum EgressPacket: Sendable {
    /// H.264 in AVCC form (4-byte lengths); `configuration` is the avcC record in force for this frame.
    case video(avcc: [UInt8], timestampMs: Int64, isKeyframe: Bool, configuration: VideoConfiguration)
    /// Raw AAC-LC (no ADTS).
    case audio(aac: [UInt8], timestampMs: Int64)

    var byteCount: Int {
        switch self {
        case .video(let avcc, _, _, _): avcc.count
        case .audio(let aac, _): aac.count
        }
    }
}

/// What a muxer needs to describe the video track: size and the AVC decoder configuration record (SPS/PPS).
struct VideoConfiguration: Sendable, Equatable {
    var width: Int
    var height: Int
    var avcDecoderConfiguration: [UInt8]
}
