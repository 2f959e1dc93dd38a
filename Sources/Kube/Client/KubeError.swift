import Foundation

/// `metav1.Status`: how the API server explains a failed request (and a watch ERROR event).
public struct Status: Codable, Sendable, Hashable {
    /// `Failure` or `Success`.
    public var status: String?
    public var message: String?
    /// `NotFound`, `AlreadyExists`, `Conflict`, `Invalid`, `Expired`, `Gone`, …
    public var reason: String?
    public var code: Int?
    public var details: Details?

    public struct Details: Codable, Sendable, Hashable {
        public var name: String?
        public var group: String?
        public var kind: String?
        public var uid: String?
        public var causes: [Cause]?
        public var retryAfterSeconds: Int?
    }

    /// One reason behind the failure, e.g. a field that failed validation.
    public struct Cause: Codable, Sendable, Hashable {
        /// `FieldValueInvalid`, `FieldValueRequired`, … (`reason` on the wire).
        public var reason: String?
        public var message: String?
        /// `spec.egress.method`.
        public var field: String?
    }

    public init(code: Int, reason: String?, message: String?) {
        self.status = "Failure"
        self.code = code
        self.reason = reason
        self.message = message
    }
}

/// A request that failed. Messages name the request (method and path) and never carry credentials or bodies.
public enum KubeError: Error, Sendable, CustomStringConvertible {
    /// The server answered with a failure `Status` (an HTTP error, or a watch ERROR event).
    case api(Status, request: String)
    /// No usable answer: connection, TLS, timeout, or a body that is not what the API promises.
    case transport(message: String, request: String)
    /// The request could not be made: the object has no name or does not encode, the token file is unreadable.
    case invalidRequest(String)

    public var status: Status? {
        if case .api(let status, _) = self { return status }
        return nil
    }

    public var code: Int? { status?.code }

    public var isNotFound: Bool { matches(reason: "NotFound", code: 404) }
    /// A stale resourceVersion (update, patch or delete precondition): read again and retry.
    public var isConflict: Bool { matches(reason: "Conflict", code: 409) }
    public var isAlreadyExists: Bool { status?.reason == "AlreadyExists" }
    public var isInvalid: Bool { matches(reason: "Invalid", code: 422) }
    /// 410: the resourceVersion is older than the server keeps; list again and watch from the new version.
    public var isGone: Bool { matches(reason: "Expired", code: 410) || status?.reason == "Gone" }

    /// As apimachinery's `errors.IsNotFound` and friends: the reason decides; the code only when a proxy or an old
    /// server sent no reason.
    private func matches(reason: String, code: Int) -> Bool {
        guard let status else { return false }
        if let actual = status.reason, !actual.isEmpty, actual != "Unknown" { return actual == reason }
        return status.code == code
    }

    public var description: String {
        switch self {
        case .api(let status, let request):
            let reason = status.reason.map { " (\($0))" } ?? ""
            return "\(request): \(status.code.map(String.init) ?? "error")\(reason): \(status.message ?? "no message")"
        case .transport(let message, let request):
            return "\(request): \(message)"
        case .invalidRequest(let message):
            return message
        }
    }
}
