/// The Broadcast custom resource, `media.streamlick.io/v1alpha1` (DESIGN.md §2). Field names are fixed.
public struct Broadcast: Codable, Sendable, Equatable {
    public static let apiVersion = "media.streamlick.io/v1alpha1"
    public static let kind = "Broadcast"

    public var apiVersion: String
    public var kind: String
    public var metadata: ObjectMeta
    public var spec: BroadcastSpec

    public init(metadata: ObjectMeta, spec: BroadcastSpec) {
        apiVersion = Self.apiVersion
        kind = Self.kind
        self.metadata = metadata
        self.spec = spec
    }

    /// "namespace/name", the key other parts of the system use.
    public var key: String { "\(metadata.namespace ?? "default")/\(metadata.name)" }
}

public struct ObjectMeta: Codable, Sendable, Equatable {
    public var name: String
    public var namespace: String?
    public var labels: [String: String]?
    public var annotations: [String: String]?
    public var uid: String?
    public var resourceVersion: String?
    public var generation: Int?

    public init(name: String, namespace: String? = nil) {
        self.name = name
        self.namespace = namespace
    }
}

public struct SecretKeyReference: Codable, Sendable, Equatable {
    public var name: String
    public var key: String

    public init(name: String, key: String) {
        self.name = name
        self.key = key
    }
}

public struct BroadcastSpec: Codable, Sendable, Equatable {
    public var title: String?
    public var egress: Egress?
    public var destinations: [Destination]?
    public var ingest: Ingest?
    public var guests: Guests?
    public var video: Video?
    public var placement: Placement?

    public init() {}

    public struct Egress: Codable, Sendable, Equatable {
        /// `rtmp` (default) or `relay`; kept as text so a wrong value gets a validation message, not a decode error.
        public var method: String?
        public var relay: Relay?
        public var rtpExport: RtpExport?
    }

    public struct Relay: Codable, Sendable, Equatable {
        public var whipURL: String
        public var bearerTokenSecretRef: SecretKeyReference
    }

    public struct RtpExport: Codable, Sendable, Equatable {
        public var host: String
        public var videoPort: Int
        public var audioPort: Int
    }

    public struct Destination: Codable, Sendable, Equatable {
        public var name: String
        public var url: String
        public var streamKeySecretRef: SecretKeyReference
        public var enabled: Bool?
    }

    public struct Ingest: Codable, Sendable, Equatable {
        public var tokenSecretRef: SecretKeyReference?
    }

    public struct Guests: Codable, Sendable, Equatable {
        public var max: Int?
    }

    public struct Video: Codable, Sendable, Equatable {
        public var maxBitrateKbps: Int?
    }

    public struct Placement: Codable, Sendable, Equatable {
        public var zones: [String]?
    }
}

// MARK: Defaults (DESIGN.md §2)

extension BroadcastSpec {
    public static let defaultMaxBitrateKbps = 4500
    public static let defaultGuests = 6
    public static let maxDestinations = 10
    public static let guestRange = 0...16
    public static let bitrateRange = 100...100_000

    public var egressMethod: String { egress?.method ?? "rtmp" }
    public var maxBitrateKbps: Int { video?.maxBitrateKbps ?? Self.defaultMaxBitrateKbps }
    public var maxGuests: Int { guests?.max ?? Self.defaultGuests }
}

extension BroadcastSpec.Destination {
    public var isEnabled: Bool { enabled ?? true }
}
