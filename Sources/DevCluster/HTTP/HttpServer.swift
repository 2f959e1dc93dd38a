import HTTPServing
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOTLS

/// A request with its whole body.
public struct HttpRequest: Sendable {
    public var method: HTTPMethod
    public var path: String
    /// Query parameters, percent-decoded; the last value wins.
    public var query: [String: String]
    public var headers: HTTPHeaders
    public var body: [UInt8]

    public init(method: HTTPMethod, path: String, query: [String: String] = [:], headers: HTTPHeaders = [:], body: [UInt8] = []) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
    }
}

/// Where a streamed response (a watch) writes. Writes are queued on the connection's event loop in call order.
public struct ResponseStream: Sendable {
    let channel: Channel

    public func write(_ bytes: [UInt8]) {
        write { bytes }
    }

    /// Queues `produce` on the connection's event loop and writes what it returns: callers holding a lock
    /// (watch delivery) leave the encoding to the event loop.
    public func write(_ produce: @escaping @Sendable () -> [UInt8]) {
        let channel = channel
        channel.eventLoop.execute {
            let buffer = channel.allocator.buffer(bytes: produce())
            channel.writeAndFlush(HTTPServerResponsePart.body(.byteBuffer(buffer)), promise: nil)
        }
    }

    /// Ends the response; the connection stays open for the next request.
    public func finish() {
        let channel = channel
        channel.eventLoop.execute {
            channel.writeAndFlush(HTTPServerResponsePart.end(nil), promise: nil)
        }
    }

    public var eventLoop: EventLoop { channel.eventLoop }
}

public enum HttpReply: Sendable {
    case full(status: HTTPResponseStatus, headers: HTTPHeaders, body: [UInt8])
    /// A chunked response: `start` begins streaming and returns what to call when the client goes away.
    case stream(status: HTTPResponseStatus, headers: HTTPHeaders, start: @Sendable (ResponseStream) -> (@Sendable () -> Void))
}

/// HTTP/1.1 on SwiftNIO with streamed responses (watches).
public final class HttpServer: Sendable {
    let maxBodyBytes: Int
    let respond: @Sendable (HttpRequest) -> HttpReply

    public init(maxBodyBytes: Int, respond: @escaping @Sendable (HttpRequest) -> HttpReply) {
        self.maxBodyBytes = maxBodyBytes
        self.respond = respond
    }

    /// Listens on `host:port`, with TLS when `tls` is given.
    public func bind(host: String, port: Int, tls: NIOSSLContext?, group: EventLoopGroup) async throws -> Channel {
        try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls))
                    }
                    // Without pipelining assistance NIO keeps reading while a response streams, so a watcher
                    // that hangs up (TCP FIN, TLS close_notify) is noticed at once, not at the watch's timeout.
                    // Clients do not pipeline requests behind a watch.
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(
                        withPipeliningAssistance: false, withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(HttpRequestHandler(server: self))
                }
            }
            .childChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .bind(host: host, port: port)
            .get()
    }

    static func parseQuery(_ text: Substring) -> [String: String] {
        var query: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = percentDecode(parts[0])
            query[key] = parts.count > 1 ? percentDecode(parts[1]) : ""
        }
        return query
    }

    static func percentDecode(_ text: Substring) -> String {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "+") {
                bytes.append(UInt8(ascii: " "))
            } else if byte == UInt8(ascii: "%"), let high = iterator.next(), let low = iterator.next(),
                      let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16) {
                bytes.append(value)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

private final class HttpRequestHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let server: HttpServer
    private var head: HTTPRequestHead?
    private var body: RequestBodyCollector
    private var cancelStream: (@Sendable () -> Void)?

    init(server: HttpServer) {
        self.server = server
        self.body = RequestBodyCollector(limit: server.maxBodyBytes)
    }

    func channelInactive(context: ChannelHandlerContext) {
        cancelStream?()
        cancelStream = nil
        context.fireChannelInactive()
    }

    /// A client that closes its side (TLS close_notify, TCP FIN) while a watch streams wants the watch over; the
    /// HTTP pipeline would otherwise keep the connection until the response ends, which a watch does not do soon.
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        let peerClosed = (event as? ChannelEvent) == .inputClosed || (event as? TLSUserEvent) == .shutdownCompleted
        if peerClosed, let cancel = cancelStream {
            cancel()
            cancelStream = nil
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let requestHead):
            head = requestHead
            body.start(requestHead)
        case .body(var chunk):
            body.append(&chunk)
        case .end:
            guard let head else { return }
            self.head = nil
            // A new request on a connection whose watch ended: the old stream is over.
            cancelStream?()
            cancelStream = nil
            let reply: HttpReply
            if body.tooLarge {
                let status = ApiError(code: 413, reason: "RequestEntityTooLarge",
                                      message: "request body larger than \(server.maxBodyBytes) bytes").status
                reply = .full(status: .payloadTooLarge, headers: ["Content-Type": "application/json"], body: status.serialized())
            } else {
                let parts = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
                let request = HttpRequest(
                    method: head.method, path: HttpServer.percentDecode(parts[0]),
                    query: parts.count > 1 ? HttpServer.parseQuery(parts[1]) : [:], headers: head.headers, body: body.take())
                reply = server.respond(request)
            }
            switch reply {
            case .full(let status, let headers, let body):
                context.writeWholeResponse(status: status, headers: headers, body: body, keepAlive: head.isKeepAlive,
                                           version: head.version)
            case .stream(let status, var headers, let start):
                headers.replaceOrAdd(name: "Transfer-Encoding", value: "chunked")
                context.writeAndFlush(
                    wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))),
                    promise: nil)
                cancelStream = start(ResponseStream(channel: context.channel))
            }
        }
    }
}
