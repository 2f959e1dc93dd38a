// Every call into libsrtp2 lives in this file.
import CSRTP

public enum SrtpError: Error, Equatable, Sendable {
    /// The authentication tag did not verify: a forged, corrupted or wrongly keyed packet.
    case authenticationFailed
    /// RFC 3711 §3.3.2: a packet already seen or older than the replay window.
    case replayed
    case malformed
    case other(code: Int32)

    init(status: srtp_err_status_t) {
        switch status {
        case srtp_err_status_auth_fail: self = .authenticationFailed
        case srtp_err_status_replay_fail, srtp_err_status_replay_old: self = .replayed
        case srtp_err_status_bad_param, srtp_err_status_parse_err: self = .malformed
        default: self = .other(code: Int32(status.rawValue))
        }
    }
}

private let libraryInitialised: Bool = {
    srtp_init() == srtp_err_status_ok
}()

/// One direction of SRTP/SRTCP for all SSRCs of a session: inbound (unprotect what the peer sent) or outbound.
/// Not thread-safe; owned by one session.
public final class SrtpSession: @unchecked Sendable {
    public enum Direction: Sendable { case inbound, outbound }

    private var session: srtp_t?
    /// Packets from a browser can arrive up to a few hundred ms late after retransmission; a wide window keeps
    /// replay protection without rejecting them (RFC 3711 §3.3.2 allows windows larger than 64).
    static let replayWindow = 1024

    /// `keyAndSalt` is the master key followed by the master salt, as `DtlsEndpoint` exports them.
    public init(profile: SrtpProfile, keyAndSalt: [UInt8], direction: Direction) throws(SrtpError) {
        guard libraryInitialised else { throw .other(code: -1) }
        guard keyAndSalt.count == profile.keyLength + profile.saltLength else { throw .malformed }
        var policy = srtp_policy_t()
        switch profile {
        case .aes128CmHmacSha1_80:
            srtp_crypto_policy_set_rtp_default(&policy.rtp)
            srtp_crypto_policy_set_rtcp_default(&policy.rtcp)
        case .aeadAes128Gcm:
            srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtp)
            srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtcp)
        }
        policy.ssrc.type = direction == .inbound ? ssrc_any_inbound : ssrc_any_outbound
        policy.window_size = UInt(Self.replayWindow)
        // Our own RTCP may legitimately repeat (identical feedback); never applies to inbound.
        policy.allow_repeat_tx = direction == .outbound ? 1 : 0
        var key = keyAndSalt
        var created: srtp_t?
        let status = key.withUnsafeMutableBufferPointer { keyBuffer in
            policy.key = keyBuffer.baseAddress
            return srtp_create(&created, &policy)
        }
        guard status == srtp_err_status_ok, let created else { throw SrtpError(status: status) }
        session = created
    }

    deinit {
        if let session { srtp_dealloc(session) }
    }

    public func unprotectRtp(_ packet: some Collection<UInt8>) throws(SrtpError) -> [UInt8] {
        try transform(packet, spare: 0) { srtp_unprotect($0, $1, $2) }
    }

    public func unprotectRtcp(_ packet: some Collection<UInt8>) throws(SrtpError) -> [UInt8] {
        try transform(packet, spare: 0) { srtp_unprotect_rtcp($0, $1, $2) }
    }

    public func protectRtp(_ packet: some Collection<UInt8>) throws(SrtpError) -> [UInt8] {
        try transform(packet, spare: Int(SRTP_MAX_TRAILER_LEN)) { srtp_protect($0, $1, $2) }
    }

    public func protectRtcp(_ packet: some Collection<UInt8>) throws(SrtpError) -> [UInt8] {
        // SRTCP adds the E-flag/index word as well as the tag (RFC 3711 §3.4).
        try transform(packet, spare: Int(SRTP_MAX_TRAILER_LEN) + 4) { srtp_protect_rtcp($0, $1, $2) }
    }

    private func transform(
        _ packet: some Collection<UInt8>,
        spare: Int,
        _ operation: (srtp_t?, UnsafeMutableRawPointer?, UnsafeMutablePointer<Int32>) -> srtp_err_status_t
    ) throws(SrtpError) -> [UInt8] {
        // libsrtp reads a 12-byte RTP or 8-byte RTCP header without checking the length first in some paths.
        guard packet.count >= 12 else { throw .malformed }
        var buffer = Array(packet)
        buffer.append(contentsOf: repeatElement(0, count: spare))
        var length = Int32(packet.count)
        let status = buffer.withUnsafeMutableBytes { operation(session, $0.baseAddress, &length) }
        guard status == srtp_err_status_ok else { throw SrtpError(status: status) }
        buffer.removeLast(buffer.count - Int(length))
        return buffer
    }
}
