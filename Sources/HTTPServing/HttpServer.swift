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
    private var body: RequestBodyCollector

    init(server: HttpServer) {
        self.server = server
        self.body = RequestBodyCollector(limit: server.maxBodyBytes)
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
            let response: HttpResponse
            let tooLarge = body.tooLarge
            if tooLarge {
                response = .text(.payloadTooLarge, "request body larger than \(server.maxBodyBytes) bytes")
            } else {
                let path = String(head.uri.split(separator: "?", maxSplits: 1).first ?? "")
                let request = HttpRequest(
                    method: head.method, path: path, headers: head.headers, body: body.take(),
                    clientIP: context.remoteAddress?.ipAddress ?? "unknown")
                response = server.respond(request)
            }
            context.writeWholeResponse(status: response.status, headers: response.headers, body: response.body,
                                       keepAlive: head.isKeepAlive && !tooLarge, version: head.version)
        }
    }
}
