import Foundation
import Logging
import NIOHTTP1

/// The Kubernetes REST API over the object store: routing, authentication, content negotiation, and the
/// read/write/watch handlers (in the extensions next to this file).
public final class ApiServer: Sendable {
    let store: ObjectStore
    let registry: ResourceRegistry
    let token: String
    let logger: Logger
    let serverAddress: String
    let customResources: CustomResourceDefinitions
    let bookmarkInterval: Duration
    /// Wakes the garbage collector and namespace cleanup after deletions.
    let onDelete: @Sendable () -> Void

    public init(
        store: ObjectStore, registry: ResourceRegistry, token: String, serverAddress: String,
        bookmarkInterval: Duration = .seconds(5), logger: Logger, onDelete: @escaping @Sendable () -> Void = {}
    ) {
        self.store = store
        self.registry = registry
        self.token = token
        self.serverAddress = serverAddress
        self.bookmarkInterval = bookmarkInterval
        self.logger = logger
        self.onDelete = onDelete
        customResources = CustomResourceDefinitions(registry: registry)
    }

    public func handle(_ request: HttpRequest) -> HttpReply {
        // Like a real cluster (system:public-info-viewer), version and health answer without credentials:
        // the kubectl dispatcher asks /version anonymously to pick the kubectl minor version.
        let isPublic = ["/version", "/healthz", "/readyz", "/livez"].contains(request.path)
        guard isPublic || authorized(request) else { return Self.reply(ApiError.unauthorized) }
        do {
            return try route(request)
        } catch {
            if error.code >= 500 { logger.error("\(request.method) \(request.path): \(error.message)") }
            return Self.reply(error)
        }
    }

    private func authorized(_ request: HttpRequest) -> Bool {
        guard let header = request.headers.first(name: "Authorization"), header.hasPrefix("Bearer ") else { return false }
        return constantTimeEquals(Array(header.utf8.dropFirst(7)), Array(token.utf8))
    }

    private func route(_ request: HttpRequest) throws(ApiError) -> HttpReply {
        let segments = request.path.split(separator: "/")
        switch segments.first {
        case nil: return Self.reply(json: ["paths": .array(["/api", "/apis", "/version", "/openapi/v2", "/openapi/v3"].map { .string($0) })])
        case "version": return Self.reply(json: Self.versionInfo)
        case "healthz", "readyz", "livez":
            return .full(status: .ok, headers: ["Content-Type": "text/plain"], body: Array("ok".utf8))
        case "openapi": return try openAPI(Array(segments.dropFirst()), query: request.query)
        case "api" where segments.count == 1: return Self.reply(json: coreVersions)
        case "apis" where segments.count == 1: return Self.reply(json: groupList)
        default: break
        }
        switch RequestTarget.parse(segments, registry: registry) {
        case .groupVersion(let group, let version):
            guard let list = resourceList(group: group, version: version) else { throw ApiError.pathNotFound(request.path) }
            return Self.reply(json: list)
        case .group(let name):
            guard let group = groupInfo(name) else { throw ApiError.pathNotFound(request.path) }
            return Self.reply(json: group)
        case .unknown:
            throw ApiError.pathNotFound(request.path)
        case .target(let target):
            return try dispatch(target, request)
        }
    }

    private func dispatch(_ target: RequestTarget, _ request: HttpRequest) throws(ApiError) -> HttpReply {
        if target.resource.namespaced, target.name != nil, target.namespace == nil {
            throw ApiError.pathNotFound(request.path)
        }
        if let subresource = target.subresource {
            guard (subresource == "status" && target.resource.hasStatusSubresource)
                || (subresource == "scale" && target.resource.scale != nil)
            else { throw ApiError.pathNotFound(request.path) }
        }
        let format = ResponseFormat(request)
        switch (request.method, target.name) {
        case (.GET, nil):
            if Self.flag(request.query["watch"]) { return try watch(target, request, format: format) }
            return try list(target, request, format: format)
        case (.POST, nil):
            return try create(target, request)
        case (.DELETE, nil):
            return try deleteCollection(target, request)
        case (.GET, .some):
            return try get(target, format: format)
        case (.PUT, .some):
            return try update(target, request)
        case (.PATCH, .some):
            return try patch(target, request)
        case (.DELETE, .some):
            return try delete(target, request)
        default:
            throw ApiError.methodNotAllowed("the server does not allow this method on the requested resource")
        }
    }

    // MARK: - Encoding

    static let versionInfo: JSON = [
        "major": "1", "minor": "32", "gitVersion": "v1.32.0-devcluster", "gitCommit": "devcluster",
        "gitTreeState": "clean", "buildDate": "2026-11-27T00:00:00Z", "goVersion": "go1.23.0", "compiler": "gc",
        "platform": "linux/amd64",
    ]

    static func reply(json: JSON, status: HTTPResponseStatus = .ok, warnings: [String] = []) -> HttpReply {
        var headers: HTTPHeaders = ["Content-Type": "application/json", "Cache-Control": "no-cache, private"]
        for warning in warnings { headers.add(name: "Warning", value: "299 - \(quoted(warning))") }
        return .full(status: status, headers: headers, body: json.serialized())
    }

    static func reply(_ error: ApiError) -> HttpReply {
        reply(json: error.status, status: HTTPResponseStatus(statusCode: error.code))
    }

    /// A Go-quoted string, as Warning headers carry their text.
    static func quoted(_ text: String) -> String {
        var out = "\""
        for character in text {
            switch character {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            default: out.append(character)
            }
        }
        return out + "\""
    }

    static func flag(_ value: String?) -> Bool { value == "1" || value == "true" }

    static func now() -> String { Date.now.formatted(.iso8601) }

    private func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}

/// What representation the client asked for in `Accept`.
struct ResponseFormat {
    enum IncludeObject { case none, metadata, object }
    var table: Bool
    var includeObject: IncludeObject

    init(_ request: HttpRequest) {
        let accept = request.headers.first(name: "Accept") ?? ""
        table = accept.contains("as=Table")
        switch request.query["includeObject"] {
        case "None": includeObject = .none
        case "Object": includeObject = .object
        default: includeObject = .metadata
        }
    }
}
