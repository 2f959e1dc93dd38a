import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL

/// A typed client for the Kubernetes REST API over one `HTTPClient`. Objects are any Codable types (or
/// `JSONValue`); `ResourceDescriptor` says where they live. Calls throw `KubeError` (and `CancellationError` when
/// the calling task is cancelled). Call `shutdown()` before dropping the client.
///
/// Single-object calls without a namespace use the object's own `metadata.namespace`, then the configuration's
/// namespace; `list` and `watch` without a namespace cover all namespaces.
public final class KubeClient: Sendable {
    public let config: KubeConfig
    private let http: HTTPClient
    private let baseURL: String
    private let authorization: Authorization
    private let requestTimeout: TimeAmount
    private let userAgent: String
    private let logger: Logger

    public init(
        config: KubeConfig, userAgent: String = "streamlick-kube", requestTimeout: Duration = .seconds(30),
        logger: Logger = Logger(label: "kube")
    ) throws(KubeConfigError) {
        var configuration = HTTPClient.Configuration(
            tlsConfiguration: try Self.tlsConfiguration(config),
            // A redirect would carry the bearer token to wherever it points; the API server never redirects.
            redirectConfiguration: .disallow,
            // No read timeout: a watch may stay silent for minutes. Plain requests have `requestTimeout`.
            timeout: .init(connect: .seconds(10)))
        // Over HTTP/1.1 (devcluster; a real server negotiates HTTP/2) every open watch holds a connection, and
        // requests beyond the per-host limit wait for one: keep the limit well above the number of watches.
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 64)
        // Otherwise a refused connection or a TLS failure (a wrong CA) is retried silently for the whole connect
        // timeout; callers (informers, reconcilers) have their own backoff and should hear about it at once.
        configuration.connectionPool.retryConnectionEstablishment = false
        self.http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration,
                               backgroundActivityLogger: logger)
        self.config = config
        self.baseURL = config.server.hasSuffix("/") ? String(config.server.dropLast()) : config.server
        self.authorization = switch config.credentials {
        case .none: .none
        case .bearerToken(let token): .token(token)
        case .bearerTokenFile(let path): .file(BearerTokenFile(path: path))
        }
        let seconds = requestTimeout.components
        self.requestTimeout = .nanoseconds(seconds.seconds * 1_000_000_000 + seconds.attoseconds / 1_000_000_000)
        self.userAgent = userAgent
        self.logger = logger
    }

    /// Closes the connections (and ends open watches).
    public func shutdown() async throws {
        try await http.shutdown()
    }

    // MARK: - Reads

    public func get<T: Decodable & Sendable>(
        _ resource: ResourceDescriptor, _ name: String, namespace: String? = nil, as type: T.Type = T.self
    ) async throws -> T {
        let request = Request(.GET, resource.path(namespace: namespace ?? config.namespace, name: name))
        return try decode(T.self, from: try await send(request), request)
    }

    /// One page when `limit` is set (pass the returned `continueToken` for the next), else every object.
    public func list<T: Decodable & Sendable>(
        _ resource: ResourceDescriptor, namespace: String? = nil, labelSelector: String? = nil,
        fieldSelector: String? = nil, limit: Int? = nil, continueToken: String? = nil, as type: T.Type = T.self
    ) async throws -> ObjectList<T> {
        let request = Request(.GET, resource.path(namespace: namespace), query: [
            ("labelSelector", labelSelector), ("fieldSelector", fieldSelector), ("limit", limit.map(String.init)),
            ("continue", continueToken),
        ])
        return try decode(ObjectList<T>.self, from: try await send(request), request)
    }

    // MARK: - Writes

    public func create<T: Codable & Sendable>(
        _ resource: ResourceDescriptor, _ object: T, namespace: String? = nil
    ) async throws -> T {
        try await create(resource, object, namespace: namespace, as: T.self)
    }

    /// A create whose answer is read as `R`, e.g. `ObjectHeader` when only the new object's metadata matters
    /// (decoding less of a large answer saves CPU on busy controllers).
    public func create<T: Encodable & Sendable, R: Decodable & Sendable>(
        _ resource: ResourceDescriptor, _ object: T, namespace: String? = nil, as type: R.Type
    ) async throws -> R {
        let body = try encode(object)
        let target = try target(of: body, namespace: namespace, requireName: false)
        var request = Request(.POST, resource.path(namespace: target.namespace))
        request.body = (body, "application/json")
        return try decode(R.self, from: try await send(request), request)
    }

    /// PUT of the whole object. Its `metadata.resourceVersion` is the precondition: the server answers 409
    /// (`isConflict`) when the object changed since it was read.
    public func replace<T: Codable & Sendable>(
        _ resource: ResourceDescriptor, _ object: T, namespace: String? = nil
    ) async throws -> T {
        try await put(resource, object, namespace: namespace, subresource: nil)
    }

    /// PUT to the status subresource: only `status` is written (and `spec` changes are ignored), with the same
    /// resourceVersion precondition as `replace`.
    public func replaceStatus<T: Codable & Sendable>(
        _ resource: ResourceDescriptor, _ object: T, namespace: String? = nil
    ) async throws -> T {
        try await put(resource, object, namespace: namespace, subresource: "status")
    }

    public func patch<T: Decodable & Sendable>(
        _ resource: ResourceDescriptor, _ name: String, namespace: String? = nil, _ patch: Patch,
        as type: T.Type = T.self
    ) async throws -> T {
        try await send(patch, to: resource, name, namespace: namespace, subresource: nil)
    }

    public func patchStatus<T: Decodable & Sendable>(
        _ resource: ResourceDescriptor, _ name: String, namespace: String? = nil, _ patch: Patch,
        as type: T.Type = T.self
    ) async throws -> T {
        try await send(patch, to: resource, name, namespace: namespace, subresource: "status")
    }

    /// Deletes now, or marks the object for deletion while finalizers hold it.
    public func delete(
        _ resource: ResourceDescriptor, _ name: String, namespace: String? = nil,
        options: DeleteOptions = DeleteOptions()
    ) async throws {
        var request = Request(.DELETE, resource.path(namespace: namespace ?? config.namespace, name: name))
        request.body = (try encode(options), "application/json")
        _ = try await send(request)
    }

    private func put<T: Codable & Sendable>(
        _ resource: ResourceDescriptor, _ object: T, namespace: String?, subresource: String?
    ) async throws -> T {
        let body = try encode(object)
        let target = try target(of: body, namespace: namespace, requireName: true)
        var request = Request(.PUT, resource.path(namespace: target.namespace, name: target.name, subresource: subresource))
        request.body = (body, "application/json")
        return try decode(T.self, from: try await send(request), request)
    }

    private func send<T: Decodable & Sendable>(
        _ patch: Patch, to resource: ResourceDescriptor, _ name: String, namespace: String?, subresource: String?
    ) async throws -> T {
        var request = Request(
            .PATCH, resource.path(namespace: namespace ?? config.namespace, name: name, subresource: subresource),
            query: patch.kind.query)
        request.body = (try encode(patch.body), patch.kind.contentType)
        return try decode(T.self, from: try await send(request), request)
    }

    /// Where an object goes: its name, and the namespace given, else its own, else the configuration's.
    private func target(of body: Data, namespace: String?, requireName: Bool) throws -> (name: String?, namespace: String) {
        let metadata = (try? KubeCoding.decoder.decode(ObjectIdentity.self, from: body))?.metadata
        if requireName, metadata?.name?.isEmpty ?? true {
            throw KubeError.invalidRequest("the object has no metadata.name")
        }
        return (metadata?.name, namespace ?? metadata?.namespace ?? config.namespace)
    }

    private struct ObjectIdentity: Decodable {
        struct Metadata: Decodable {
            var name: String?
            var namespace: String?
        }
        var metadata: Metadata?
    }

    // MARK: - HTTP

    struct Request: Sendable, CustomStringConvertible {
        var method: HTTPMethod
        var path: String
        var query: [(String, String?)]
        var body: (data: Data, contentType: String)?

        init(_ method: HTTPMethod, _ path: String, query: [(String, String?)] = []) {
            self.method = method
            self.path = path
            self.query = query
        }

        /// Method and path only: query strings and bodies stay out of messages and logs.
        var description: String { "\(method.rawValue) \(path)" }
    }

    /// Sends a request and returns its response once the head arrived (the body may still be streaming).
    /// Failure statuses become `KubeError.api` with the server's `Status`.
    func start(_ request: Request) async throws -> HTTPClientResponse {
        var url = baseURL + request.path
        let query = request.query.compactMap { key, value in value.map { "\(key)=\(Self.escapedQueryValue($0))" } }
        if !query.isEmpty { url += "?" + query.joined(separator: "&") }
        var outgoing = HTTPClientRequest(url: url)
        outgoing.method = request.method
        outgoing.headers.add(name: "Accept", value: "application/json")
        outgoing.headers.add(name: "User-Agent", value: userAgent)
        do {
            if let token = try authorization.token() {
                outgoing.headers.add(name: "Authorization", value: "Bearer \(token)")
            }
        } catch {
            throw KubeError.invalidRequest("\(request): \(error)")
        }
        if let body = request.body {
            outgoing.headers.add(name: "Content-Type", value: body.contentType)
            outgoing.body = .bytes(ByteBuffer(bytes: body.data))
        }
        let response: HTTPClientResponse
        do {
            response = try await http.execute(outgoing, timeout: requestTimeout, logger: logger)
        } catch {
            throw transportError(error, request)
        }
        logger.debug("\(request) → \(response.status.code)")
        guard (200..<300).contains(response.status.code) else {
            throw KubeError.api(await Self.failureStatus(of: response), request: request.description)
        }
        return response
    }

    /// The whole body of a successful request.
    func send(_ request: Request) async throws -> Data {
        let response = try await start(request)
        do {
            return Data(try await response.body.collect(upTo: Self.maximumBodyBytes).readableBytesView)
        } catch {
            throw transportError(error, request)
        }
    }

    /// Large lists (10 000 objects) stay well below this; it only stops a runaway response.
    private static let maximumBodyBytes = 512 << 20

    /// A failure below the API (connection, TLS, timeout), naming the server: the usual cause is a wrong address
    /// or certificate authority.
    func transportError(_ error: any Error, _ request: Request) -> any Error {
        if error is KubeError { return error }
        if Task.isCancelled { return CancellationError() }
        return KubeError.transport(message: "\(baseURL): \(error)", request: request.description)
    }

    /// The `Status` a failed request carries, or one made from the HTTP status when the body is something else
    /// (a proxy's text). Only the server's words are kept, never the request.
    private static func failureStatus(of response: HTTPClientResponse) async -> Status {
        let code = Int(response.status.code)
        let body = (try? await response.body.collect(upTo: 1 << 20)).map { Data($0.readableBytesView) } ?? Data()
        if var status = try? KubeCoding.decoder.decode(Status.self, from: body), status.message != nil || status.reason != nil {
            status.code = status.code ?? code
            return status
        }
        let text = String(decoding: body.prefix(200), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return Status(code: code, reason: nil, message: text.isEmpty ? response.status.reasonPhrase : text)
    }

    private static func escapedQueryValue(_ value: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
    }

    func encode(_ value: some Encodable) throws -> Data {
        do {
            return try KubeCoding.encoder.encode(value)
        } catch {
            throw KubeError.invalidRequest("cannot encode \(type(of: value)) as JSON: \(error)")
        }
    }

    /// A body that does not match the expected type. The message has the coding path, never the body: it may
    /// hold Secret data.
    func decode<T: Decodable>(_ type: T.Type, from data: Data, _ request: Request) throws -> T {
        do {
            return try KubeCoding.decoder.decode(T.self, from: data)
        } catch {
            throw KubeError.transport(
                message: "the response is not a valid \(T.self): \(Self.summary(of: error))", request: request.description)
        }
    }

    static func summary(of error: any Error) -> String {
        guard let error = error as? DecodingError else { return "not JSON" }
        let path: [any CodingKey]
        switch error {
        case .keyNotFound(let key, let context): path = context.codingPath + [key]
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            path = context.codingPath
        @unknown default: path = []
        }
        let field = path.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        return field.isEmpty ? "malformed JSON" : "bad or missing field \(field)"
    }

    // MARK: - TLS and credentials

    private static func tlsConfiguration(_ config: KubeConfig) throws(KubeConfigError) -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        // Closing a connection (a watch the caller stopped, shutdown) waits for the server's close_notify, by
        // default up to 5 s; nothing is left to read by then, and devcluster does not answer it on a watch.
        tls.shutdownTimeout = .milliseconds(100)
        if config.insecureSkipTLSVerify { tls.certificateVerification = .none }
        if let authority = config.certificateAuthority {
            tls.trustRoots = .certificates(try certificates(authority))
        }
        if let certificate = config.clientCertificate, let key = config.clientKey {
            tls.certificateChain = try certificates(certificate).map { .certificate($0) }
            do {
                tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: key.bytes, format: .pem))
            } catch {
                throw KubeConfigError("\(key.origin) is not a PEM private key: \(error)")
            }
        }
        return tls
    }

    private static func certificates(_ pem: KubeConfig.PEM) throws(KubeConfigError) -> [NIOSSLCertificate] {
        let certificates = try? NIOSSLCertificate.fromPEMBytes(pem.bytes)
        guard let certificates, !certificates.isEmpty else {
            throw KubeConfigError("\(pem.origin) holds no PEM certificate")
        }
        return certificates
    }

    private enum Authorization: Sendable {
        case none
        case token(String)
        case file(BearerTokenFile)

        func token() throws -> String? {
            switch self {
            case .none: nil
            case .token(let token): token
            case .file(let file): try file.token()
            }
        }
    }
}
