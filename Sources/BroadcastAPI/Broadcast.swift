/// The Broadcast custom resource, `media.streamlick.io/v1alpha1` (DESIGN.md §2). Field names are fixed.
public struct Broadcast: Codable, Sendable, Equatable {
    public static let apiVersion = "media.streamlick.io/v1alpha1"
    public static let kind = "Broadcast"
    /// Held by the operator until the media pod has stopped the egress of a deleted Broadcast (DESIGN.md §2).
    public static let finalizer = "media.streamlick.io/egress-stopped"
    /// The media pod a Broadcast is assigned to, as a label, so each pod watches only its own.
    public static let podLabel = "media.streamlick.io/pod"
    /// The status condition a media pod sets once the egress of a deleted Broadcast has stopped.
    public static let egressStoppedCondition = "EgressStopped"

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

extension BroadcastSpec {
    /// Where the ingest token is: `ingest.tokenSecretRef`, else key `token` of `<name>-ingest`, the Secret the
    /// operator creates (DESIGN.md §2).
    public func ingestTokenSecret(broadcastName: String) -> SecretKeyReference {
        ingest?.tokenSecretRef ?? SecretKeyReference(name: "\(broadcastName)-ingest", key: "token")
    }

    /// Every Secret the broadcast names: its destinations' stream keys and its ingest token.
    public func referencedSecretNames(broadcastName: String) -> Set<String> {
        var names = Set((destinations ?? []).map(\.streamKeySecretRef.name))
        names.insert(ingestTokenSecret(broadcastName: broadcastName).name)
        return names
    }
}

// MARK: Status (DESIGN.md §2: the operator writes phase, assignment, ingest and Scheduled; the media pod the rest)

public struct BroadcastStatus: Codable, Sendable, Equatable {
    public enum Phase: String, Codable, Sendable {
        case pending = "Pending", scheduled = "Scheduled", live = "Live", ended = "Ended", failed = "Failed"
    }

    public var phase: Phase?
    public var observedGeneration: Int?
    public var assignment: Assignment?
    /// The epoch of the latest assignment, kept while the broadcast waits for room without one, so that its next
    /// assignment is newer than anything a pod may still hold.
    public var lastEpoch: Int?
    public var ingest: IngestEndpoints?
    public var destinations: [DestinationStatus]?
    /// "live/total", the DESTINATIONS printer column.
    public var destinationsReady: String?
    public var stats: Stats?
    public var conditions: [Condition]?

    public init() {}

    public struct Assignment: Codable, Sendable, Equatable {
        public var pod: String
        /// Incremented on every reassignment; a pod acts only on the epoch it was given.
        public var epoch: Int
        public var since: String

        public init(pod: String, epoch: Int, since: String) {
            self.pod = pod
            self.epoch = epoch
            self.since = since
        }
    }

    public struct IngestEndpoints: Codable, Sendable, Equatable {
        public var whipURL: String
        public var whepURL: String
        public var tokenSecretName: String

        public init(whipURL: String, whepURL: String, tokenSecretName: String) {
            self.whipURL = whipURL
            self.whepURL = whepURL
            self.tokenSecretName = tokenSecretName
        }
    }

    public struct DestinationStatus: Codable, Sendable, Equatable {
        public var name: String
        public var state: String?
        public var bitrateKbps: Int?
        public var reconnects: Int?
        public var lastError: String?

        public init(name: String, state: String? = nil, bitrateKbps: Int? = nil, reconnects: Int? = nil,
                    lastError: String? = nil) {
            self.name = name
            self.state = state
            self.bitrateKbps = bitrateKbps
            self.reconnects = reconnects
            self.lastError = lastError
        }
    }

    public struct Stats: Codable, Sendable, Equatable {
        public var videoKbps: Int?
        public var audioKbps: Int?
        public var fps: Double?
        public var guests: Int?

        public init(videoKbps: Int? = nil, audioKbps: Int? = nil, fps: Double? = nil, guests: Int? = nil) {
            self.videoKbps = videoKbps
            self.audioKbps = audioKbps
            self.fps = fps
            self.guests = guests
        }
    }

    /// The standard metav1.Condition shape.
    public struct Condition: Codable, Sendable, Equatable {
        public var type: String
        public var status: String
        public var observedGeneration: Int?
        public var lastTransitionTime: String
        public var reason: String
        public var message: String

        public init(type: String, status: String, observedGeneration: Int? = nil, lastTransitionTime: String,
                    reason: String, message: String) {
            self.type = type
            self.status = status
            self.observedGeneration = observedGeneration
            self.lastTransitionTime = lastTransitionTime
            self.reason = reason
            self.message = message
        }
    }

    /// Sets a condition, keeping its transition time when its status does not change (metav1 convention).
    public mutating func setCondition(_ condition: Condition) {
        var all = conditions ?? []
        if let index = all.firstIndex(where: { $0.type == condition.type }) {
            var updated = condition
            if all[index].status == condition.status { updated.lastTransitionTime = all[index].lastTransitionTime }
            all[index] = updated
        } else {
            all.append(condition)
        }
        conditions = all
    }

    public func condition(_ type: String) -> Condition? { conditions?.first { $0.type == type } }
}
