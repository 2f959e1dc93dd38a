import NIOCore
import NIOHTTP1
import NIOPosix

/// A request with its whole body, as the handlers see it.
public struct HttpRequest: Sendable {
    public var method: HTTPMethod
    public var path: String
    public var headers: HTTPHeaders
    public var body: [UInt8]
    /// The peer's IP address as text (rate limiting is per client IP).
    public var clientIP: String
}

public struct HttpResponse: Sendable {
    public var status: HTTPResponseStatus
    public var headers: HTTPHeaders = [:]
    public var body: [UInt8] = []

    public init(status: HTTPResponseStatus, headers: HTTPHeaders = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A one-line plain-text error, as clients print them.
    public static func text(_ status: HTTPResponseStatus, _ message: String, headers: HTTPHeaders = [:]) -> HttpResponse {
        var headers = headers
        headers.replaceOrAdd(name: "Content-Type", value: "text/plain; charset=utf-8")
        let line = message.split(whereSeparator: \.isNewline).joined(separator: " ")
        return HttpResponse(status: status, headers: headers, body: Array((line + "\n").utf8))
    }
}

/// HTTP/1.1 on SwiftNIO for the small plain-HTTP servers (media pod WHIP/health/metrics, operator metrics/health):
/// collects each request (up to `maxBodyBytes`) and hands it to `respond`.
public final class HttpServer: Sendable {
    public let maxBodyBytes: Int
    public let respond: @Sendable (HttpRequest) -> HttpResponse

    public init(maxBodyBytes: Int, respond: @escaping @Sendable (HttpRequest) -> HttpResponse) {
        self.maxBodyBytes = maxBodyBytes
        self.respond = respond
    }

    public func bind(host: String, port: Int, group: EventLoopGroup) async throws -> Channel {
        try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline(withErrorHandling: true).flatMap {
                    channel.pipeline.addHandler(HttpRequestHandler(server: self))
                }
            }
            .childChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: host, port: port)
            .get()
    }
}

private final class HttpRequestHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let server: HttpServer
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    private var tooLarge = false

    init(server: HttpServer) {
        self.server = server
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let requestHead):
            head = requestHead
            body = []
            let declared = requestHead.headers.first(name: "Content-Length").flatMap(Int.init) ?? 0
            tooLarge = declared > server.maxBodyBytes
        case .body(var chunk):
            guard !tooLarge else { return }
            if body.count + chunk.readableBytes > server.maxBodyBytes {
                tooLarge = true
                body = []
            } else if let bytes = chunk.readBytes(length: chunk.readableBytes) {
                body += bytes
            }
        case .end:
            guard let head else { return }
            self.head = nil
            let response: HttpResponse
            if tooLarge {
                response = .text(.payloadTooLarge, "request body larger than \(server.maxBodyBytes) bytes")
            } else {
                let path = String(head.uri.split(separator: "?", maxSplits: 1).first ?? "")
                let request = HttpRequest(
                    method: head.method, path: path, headers: head.headers, body: body,
                    clientIP: context.remoteAddress?.ipAddress ?? "unknown")
                response = server.respond(request)
            }
            write(response, keepAlive: head.isKeepAlive && !tooLarge, version: head.version, context: context)
        }
    }

    private func write(_ response: HttpResponse, keepAlive: Bool, version: HTTPVersion, context: ChannelHandlerContext) {
        var headers = response.headers
        headers.replaceOrAdd(name: "Content-Length", value: String(response.body.count))
        headers.replaceOrAdd(name: "Connection", value: keepAlive ? "keep-alive" : "close")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: version, status: response.status, headers: headers))), promise: nil)
        if !response.body.isEmpty {
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: response.body)))), promise: nil)
        }
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            let channel = context.channel
            done.whenComplete { _ in channel.close(promise: nil) }
        }
    }
}
