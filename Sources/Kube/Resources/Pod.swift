import Foundation

/// `v1 Pod`. `spec` and `status` stay JSON so that a Pod read and written back loses none of their many fields;
/// the accessors cover what the operator reads.
public struct Pod: Codable, Sendable, Hashable {
    public var apiVersion: String? = "v1"
    public var kind: String? = "Pod"
    public var metadata: ObjectMeta
    public var spec: JSONValue?
    public var status: JSONValue?

    public init(metadata: ObjectMeta, spec: JSONValue? = nil, status: JSONValue? = nil) {
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }

    public var nodeName: String? { spec?["nodeName"]?.stringValue }
    public var phase: String? { status?["phase"]?.stringValue }
    public var podIP: String? { status?["podIP"]?.stringValue }
    public var hostIP: String? { status?["hostIP"]?.stringValue }

    /// The `Ready` condition is `True`.
    public var isReady: Bool {
        let conditions = status?["conditions"]?.arrayValue ?? []
        return conditions.contains { $0["type"] == "Ready" && $0["status"] == "True" }
    }
}
