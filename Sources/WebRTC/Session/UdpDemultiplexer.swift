/// Routes datagrams on the one shared UDP port to publisher sessions: STUN by the USERNAME's local ufrag,
/// everything else by the remote address a valid STUN check came from (RFC 7983 §7 first-byte ranges).
/// Not thread-safe: the owner serialises calls.
public final class UdpDemultiplexer: @unchecked Sendable {
    public enum DropReason: String, Sendable, CaseIterable {
        case malformedStun = "malformed_stun"
        case unknownUsername = "unknown_username"
        case stunIntegrity = "stun_integrity"
        case unexpectedStun = "unexpected_stun"
        case unknownSource = "unknown_source"
        case unclassified
    }

    public private(set) var dropped: [DropReason: Int] = [:]
    private var sessionsByUfrag: [String: PublisherSession] = [:]
    private var sessionsByAddress: [TransportAddress: PublisherSession] = [:]

    public init() {}

    public var sessions: Dictionary<String, PublisherSession>.Values { sessionsByUfrag.values }

    public func add(_ session: PublisherSession) {
        sessionsByUfrag[session.local.ufrag] = session
    }

    public func remove(_ session: PublisherSession) {
        sessionsByUfrag[session.local.ufrag] = nil
        for (address, owner) in sessionsByAddress where owner === session {
            sessionsByAddress[address] = nil
        }
    }

    public func handle(_ datagram: [UInt8], from address: TransportAddress, now: ContinuousClock.Instant)
        -> (session: PublisherSession?, output: SessionOutput)
    {
        guard let first = datagram.first else { return drop(.unclassified) }
        switch first {
        case 0...3:
            return handleStun(datagram, from: address, now: now)
        case 20...63:
            guard let session = sessionsByAddress[address] else { return drop(.unknownSource) }
            return (session, session.handleDtls(datagram, now: now))
        case 128...191:
            guard let session = sessionsByAddress[address] else { return drop(.unknownSource) }
            return (session, session.handleSrtp(datagram, now: now))
        default:
            return drop(.unclassified)
        }
    }

    private func handleStun(_ datagram: [UInt8], from address: TransportAddress, now: ContinuousClock.Instant)
        -> (session: PublisherSession?, output: SessionOutput)
    {
        guard let message = try? StunMessage(parsing: datagram), message.hasValidFingerprint() else {
            return drop(.malformedStun)
        }
        // A lite agent answers binding requests and ignores everything else (responses, indications).
        guard message.type == StunMessage.bindingRequest else { return drop(.unexpectedStun) }
        // RFC 8445 §7.2.2: USERNAME is "<receiver ufrag>:<sender ufrag>"; we are the receiver.
        guard let username = message.username, let colon = username.firstIndex(of: ":"),
              let session = sessionsByUfrag[String(username[..<colon])],
              String(username[username.index(after: colon)...]) == session.negotiated.remoteUfrag
        else { return drop(.unknownUsername) }
        guard let output = session.handleBindingRequest(message, from: address, now: now) else {
            return drop(.stunIntegrity)
        }
        if let current = session.remoteAddress {
            sessionsByAddress[current] = session
        }
        sessionsByAddress[address] = session
        return (session, output)
    }

    private func drop(_ reason: DropReason) -> (session: PublisherSession?, output: SessionOutput) {
        dropped[reason, default: 0] += 1
        return (nil, SessionOutput())
    }
}
