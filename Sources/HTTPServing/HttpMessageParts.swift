import NIOCore
import NIOHTTP1

/// A request body collected up to a limit; past it, only the fact that it was too large is kept.
public struct RequestBodyCollector: Sendable {
    public let limit: Int
    public private(set) var bytes: [UInt8] = []
    public private(set) var tooLarge = false

    public init(limit: Int) {
        self.limit = limit
    }

    /// A new request: a declared length over the limit is too large before any byte arrives.
    public mutating func start(_ head: HTTPRequestHead) {
        bytes = []
        let declared = head.headers.first(name: "Content-Length").flatMap(Int.init) ?? 0
        tooLarge = declared > limit
    }

    public mutating func append(_ chunk: inout ByteBuffer) {
        guard !tooLarge else { return }
        if bytes.count + chunk.readableBytes > limit {
            tooLarge = true
            bytes = []
        } else if let read = chunk.readBytes(length: chunk.readableBytes) {
            bytes += read
        }
    }

    /// The collected body, leaving the collector empty.
    public mutating func take() -> [UInt8] {
        defer { bytes = [] }
        return bytes
    }
}

extension ChannelHandlerContext {
    /// Writes a whole response with its Content-Length; without keep-alive, closes the connection once it is sent.
    public func writeWholeResponse(
        status: HTTPResponseStatus, headers: HTTPHeaders, body: [UInt8], keepAlive: Bool, version: HTTPVersion
    ) {
        var headers = headers
        headers.replaceOrAdd(name: "Content-Length", value: String(body.count))
        headers.replaceOrAdd(name: "Connection", value: keepAlive ? "keep-alive" : "close")
        write(NIOAny(HTTPServerResponsePart.head(HTTPResponseHead(version: version, status: status, headers: headers))),
              promise: nil)
        if !body.isEmpty {
            write(NIOAny(HTTPServerResponsePart.body(.byteBuffer(channel.allocator.buffer(bytes: body)))), promise: nil)
        }
        let done = writeAndFlush(NIOAny(HTTPServerResponsePart.end(nil)))
        if !keepAlive {
            let channel = self.channel
            done.whenComplete { _ in channel.close(promise: nil) }
        }
    }
}
