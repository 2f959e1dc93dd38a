import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import WebRTC

/// The single UDP port for all ICE, DTLS and SRTP (DESIGN.md §4): a thin shell that feeds the engine and sends
/// what it returns. A 20 ms timer drives the sessions' clocks (NACK, feedback, consent, DTLS retransmission).
final class UdpTransport: Sendable {
    static let tickInterval = TimeAmount.milliseconds(20)

    private let engine: MediaEngine
    private let logger: Logger
    private let channel = NIOLockedValueBox<Channel?>(nil)
    private let timer = NIOLockedValueBox<RepeatedTask?>(nil)

    init(engine: MediaEngine, logger: Logger) {
        self.engine = engine
        self.logger = logger
    }

    func bind(host: String, port: Int, group: EventLoopGroup) async throws {
        let bound = try await DatagramBootstrap(group: group)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            // Bursts of keyframe packets from several publishers must not overflow the kernel queue.
            .channelOption(.socketOption(.so_rcvbuf), value: 4 << 20)
            .channelOption(.maxMessagesPerRead, value: 32)
            .channelInitializer { channel in
                channel.pipeline.addHandler(DatagramHandler(transport: self))
            }
            .bind(host: host, port: port)
            .get()
        channel.withLockedValue { $0 = bound }
        engine.setOutputSink { [weak self] output in self?.send(output) }
        let task = bound.eventLoop.scheduleRepeatedTask(initialDelay: Self.tickInterval, delay: Self.tickInterval) { [self] _ in
            send(engine.tick(now: .now))
        }
        timer.withLockedValue { $0 = task }
    }

    func close() async {
        timer.withLockedValue { $0?.cancel() }
        let bound = channel.withLockedValue { $0 }
        try? await bound?.close()
    }

    fileprivate func receive(_ datagram: [UInt8], from remote: SocketAddress) {
        guard let address = TransportAddress(remote) else { return }
        send(engine.handleDatagram(datagram, from: address, now: .now))
    }

    /// Sends a session's datagrams and reports its events; safe from any thread.
    func send(_ output: SessionOutput) {
        for event in output.events {
            if case .closed(let reason) = event {
                logger.info("publisher session closed", metadata: ["reason": "\(reason)"])
            }
        }
        guard !output.datagrams.isEmpty, let channel = channel.withLockedValue({ $0 }) else { return }
        for datagram in output.datagrams {
            guard let remote = try? SocketAddress(ipAddress: datagram.to.ipText, port: Int(datagram.to.port)) else { continue }
            let envelope = AddressedEnvelope(remoteAddress: remote, data: channel.allocator.buffer(bytes: datagram.bytes))
            channel.write(envelope, promise: nil)
        }
        channel.flush()
    }
}

private final class DatagramHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    private let transport: UdpTransport

    init(transport: UdpTransport) {
        self.transport = transport
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var envelope = unwrapInboundIn(data)
        guard let bytes = envelope.data.readBytes(length: envelope.data.readableBytes) else { return }
        transport.receive(bytes, from: envelope.remoteAddress)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // ICMP port unreachable from a vanished publisher surfaces here; the socket stays usable.
    }
}

extension TransportAddress {
    init?(_ address: SocketAddress) {
        guard let port = address.port else { return nil }
        switch address {
        case .v4(let v4):
            let raw = v4.address.sin_addr.s_addr.bigEndian
            self.init(ip: [UInt8(raw >> 24), UInt8((raw >> 16) & 0xFF), UInt8((raw >> 8) & 0xFF), UInt8(raw & 0xFF)], port: UInt16(port))
        case .v6(let v6):
            var storage = v6.address.sin6_addr
            let bytes = withUnsafeBytes(of: &storage) { Array($0) }
            self.init(ip: bytes, port: UInt16(port))
        default:
            return nil
        }
    }
}
