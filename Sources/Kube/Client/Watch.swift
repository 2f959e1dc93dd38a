import Foundation

/// One change of a watched collection.
public enum WatchEvent<Object: Sendable>: Sendable {
    case added(Object)
    case modified(Object)
    /// The object's last state.
    case deleted(Object)
    /// Nothing changed for this watch up to `resourceVersion`: a later watch may resume from there.
    case bookmark(resourceVersion: String)
}

extension KubeClient {
    /// The changes of a collection as the server sends them, one event per line of its response, decoded as they
    /// arrive. Without `resourceVersion` the server first sends ADDED for every current object. The stream ends
    /// when the server closes the watch (`timeoutSeconds`); a watch ERROR event ends it with a `KubeError`, whose
    /// `isGone` says the version is too old (list again). Stopping the iteration closes the connection.
    public func watch<T: Decodable & Sendable>(
        _ resource: ResourceDescriptor, namespace: String? = nil, resourceVersion: String? = nil,
        allowBookmarks: Bool = false, timeoutSeconds: Int? = nil, labelSelector: String? = nil,
        fieldSelector: String? = nil, as type: T.Type = T.self
    ) -> AsyncThrowingStream<WatchEvent<T>, any Error> {
        let request = Request(.GET, resource.path(namespace: namespace), query: [
            ("watch", "true"), ("resourceVersion", resourceVersion),
            ("allowWatchBookmarks", allowBookmarks ? "true" : nil), ("timeoutSeconds", timeoutSeconds.map(String.init)),
            ("labelSelector", labelSelector), ("fieldSelector", fieldSelector),
        ])
        return AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    let response = try await self.start(request)
                    var lines = LineSplitter()
                    for try await chunk in response.body {
                        for line in lines.append(chunk.readableBytesView) {
                            continuation.yield(try self.decodeWatchLine(line, as: T.self, request))
                        }
                    }
                    // A partial last line (the connection dropped mid-event) is not an event: a watch resumed
                    // from the last delivered version gets it again.
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: self.transportError(error, request))
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    private func decodeWatchLine<T: Decodable & Sendable>(
        _ line: Data, as type: T.Type, _ request: Request
    ) throws -> WatchEvent<T> {
        switch try decode(WatchLine<T>.self, from: line, request) {
        case .event(let event): return event
        case .failure(let status): throw KubeError.api(status, request: request.description)
        }
    }
}

/// `{"type": "ADDED", "object": {…}}`. ERROR lines carry a `Status` instead of an object, and BOOKMARK lines an
/// object with nothing but `metadata.resourceVersion`, so the object is decoded by type.
private enum WatchLine<T: Decodable & Sendable>: Decodable {
    case event(WatchEvent<T>)
    case failure(Status)

    private enum CodingKeys: String, CodingKey { case type, object }

    private struct Bookmark: Decodable {
        struct Metadata: Decodable { var resourceVersion: String }
        var metadata: Metadata
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let type = try container.decode(String.self, forKey: .type)
        switch type {
        case "ADDED": self = .event(.added(try container.decode(T.self, forKey: .object)))
        case "MODIFIED": self = .event(.modified(try container.decode(T.self, forKey: .object)))
        case "DELETED": self = .event(.deleted(try container.decode(T.self, forKey: .object)))
        case "BOOKMARK":
            let bookmark = try container.decode(Bookmark.self, forKey: .object)
            self = .event(.bookmark(resourceVersion: bookmark.metadata.resourceVersion))
        case "ERROR": self = .failure(try container.decode(Status.self, forKey: .object))
        default:
            throw DecodingError.dataCorruptedError(
                forKey: .type, in: container, debugDescription: "unknown watch event type \(type)")
        }
    }
}

/// Cuts a byte stream into newline-terminated lines; chunk boundaries fall anywhere, even inside a character.
struct LineSplitter {
    private var pending: [UInt8] = []

    /// The lines completed by `chunk`, without their newline; blank lines are skipped.
    mutating func append(_ bytes: some Collection<UInt8>) -> [Data] {
        var lines: [Data] = []
        var start = bytes.startIndex
        while let newline = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) {
            pending.append(contentsOf: bytes[start..<newline])
            if !pending.isEmpty { lines.append(Data(pending)) }
            pending.removeAll(keepingCapacity: true)
            start = bytes.index(after: newline)
        }
        pending.append(contentsOf: bytes[start...])
        return lines
    }
}
