/// The `broadcasts.media.streamlick.io` CRD (DESIGN.md §2), generated from the bounds the Swift types use, so
/// `kubectl apply` rejects what `Broadcast.validate()` rejects. `broadcast-operator crd` prints it and
/// `manifests/crd/broadcasts.media.streamlick.io.yaml` is that output (a test keeps them equal).
public enum BroadcastCRD {
    public static let group = "media.streamlick.io"
    public static let version = "v1alpha1"
    public static let plural = "broadcasts"
    public static let name = "\(plural).\(group)"

    public static var yaml: String { document.text }

    public static var document: YAMLNode {
        .map([
            ("apiVersion", "apiextensions.k8s.io/v1"),
            ("kind", "CustomResourceDefinition"),
            ("metadata", .map([("name", .string(name))])),
            ("spec", .map([
                ("group", .string(group)),
                ("names", .map([
                    ("kind", "Broadcast"), ("listKind", "BroadcastList"), ("plural", .string(plural)),
                    ("singular", "broadcast"), ("shortNames", ["bc"]), ("categories", ["media"]),
                ])),
                ("scope", "Namespaced"),
                ("versions", .list([.map([
                    ("name", .string(version)), ("served", true), ("storage", true),
                    ("subresources", .map([("status", .map([]))])),
                    ("additionalPrinterColumns", .list(printerColumns)),
                    ("schema", .map([("openAPIV3Schema", schema.node)])),
                ])])),
            ])),
        ])
    }

    static var printerColumns: [YAMLNode] {
        func column(_ name: String, _ type: String, _ path: String, _ description: String, priority: Int = 0) -> YAMLNode {
            var entries: [(String, YAMLNode)] = [
                ("name", .string(name)), ("type", .string(type)), ("jsonPath", .string(path)),
                ("description", .string(description)),
            ]
            if priority > 0 { entries.append(("priority", .int(priority))) }
            return .map(entries)
        }
        return [
            column("Phase", "string", ".status.phase", "Pending, Scheduled, Live, Ended or Failed"),
            column("Pod", "string", ".status.assignment.pod", "The media pod running the broadcast"),
            column("Method", "string", ".spec.egress.method", "rtmp or relay"),
            column("Destinations", "string", ".status.destinationsReady", "Live destinations / destinations"),
            column("Age", "date", ".metadata.creationTimestamp", "Time since the Broadcast was created"),
            column("Title", "string", ".spec.title", "The show's title", priority: 1),
        ]
    }

    static var schema: Schema {
        .object(
            properties: [
                ("apiVersion", .string()), ("kind", .string()), ("metadata", .object(properties: [])),
                ("spec", spec), ("status", status),
            ],
            required: ["spec"],
            options: .init(description: "A live show published over WHIP and pushed to RTMP destinations or a relay."))
    }

    // MARK: - spec (written by users)

    static let namePattern = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
    static let subdomainPattern = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"

    static func secretReference(_ description: String) -> Schema {
        .object(
            properties: [
                ("name", .string(options: .init(description: "Name of a Secret in the Broadcast's namespace.",
                                                pattern: subdomainPattern, maxLength: 253))),
                ("key", .string(options: .init(description: "Key in the Secret's data.",
                                               pattern: "^[-._a-zA-Z0-9]+$", minLength: 1, maxLength: 253))),
            ],
            required: ["name", "key"], options: .init(description: description))
    }

    static var spec: Schema {
        .object(
            properties: [
                ("title", .string(options: .init(description: "Free text.", maxLength: 200))),
                ("egress", egress),
                ("destinations", .array(
                    items: .object(
                        properties: [
                            ("name", .string(options: .init(description: "Unique within the Broadcast.",
                                                            pattern: namePattern, maxLength: 63))),
                            ("url", .string(options: .init(description: "rtmp:// or rtmps:// server URL, without the stream key.",
                                                           pattern: "^rtmps?://.+", maxLength: 2048))),
                            ("streamKeySecretRef", secretReference("The Secret key holding the stream key.")),
                            ("enabled", .boolean(options: .init(description: "false stops this destination only.",
                                                                defaultValue: true))),
                        ],
                        required: ["name", "url", "streamKeySecretRef"]),
                    options: .init(description: "RTMP destinations (method rtmp), names unique.",
                                   maxItems: BroadcastSpec.maxDestinations, listType: "map", listMapKeys: ["name"]))),
                ("ingest", .object(
                    properties: [("tokenSecretRef", secretReference(
                        "The Secret key holding the publisher's WHIP bearer token; the operator creates one when absent."))],
                    options: .init(description: "How the studio publishes."))),
                ("guests", .object(
                    properties: [("max", .integer(options: .init(
                        description: "SFU room size.", defaultValue: .int(BroadcastSpec.defaultGuests),
                        minimum: BroadcastSpec.guestRange.lowerBound, maximum: BroadcastSpec.guestRange.upperBound)))],
                    options: .init(defaultValue: .map([])))),
                ("video", .object(
                    properties: [("maxBitrateKbps", .integer(options: .init(
                        description: "Bitrate cap sent to the publisher (REMB).",
                        defaultValue: .int(BroadcastSpec.defaultMaxBitrateKbps),
                        minimum: BroadcastSpec.bitrateRange.lowerBound, maximum: BroadcastSpec.bitrateRange.upperBound)))],
                    options: .init(defaultValue: .map([])))),
                ("placement", .object(
                    properties: [("zones", .array(
                        items: .string(options: .init(maxLength: 63)),
                        options: .init(description: "Only pods whose topology.kubernetes.io/zone label is one of these.",
                                       listType: "set")))])),
            ],
            options: .init(description: "What the user asks for."))
    }

    static var egress: Schema {
        .object(
            properties: [
                ("method", .string(options: .init(description: "rtmp: mux RTMP in the pod; relay: WHIP push to a managed service.",
                                                  defaultValue: "rtmp", enumValues: ["rtmp", "relay"]))),
                ("relay", .object(
                    properties: [
                        ("whipURL", .string(options: .init(description: "The managed service's WHIP endpoint.",
                                                           pattern: "^https?://.+", maxLength: 2048))),
                        ("bearerTokenSecretRef", secretReference("The Secret key holding the relay's bearer token.")),
                    ],
                    required: ["whipURL", "bearerTokenSecretRef"],
                    options: .init(description: "Required when method is relay."))),
                ("rtpExport", .object(
                    properties: [
                        ("host", .string(options: .init(minLength: 1, maxLength: 253))),
                        ("videoPort", .integer(options: .init(minimum: 1, maximum: 65535))),
                        ("audioPort", .integer(options: .init(minimum: 1, maximum: 65535))),
                    ],
                    required: ["host", "videoPort", "audioPort"],
                    options: .init(description: "Plain RTP copy of the program for an external encoder."))),
            ],
            options: .init(
                defaultValue: .map([]),
                // method relay needs relay: as a value validation (every server runs it) and as CEL (clearer message).
                anyOf: [
                    .map([("properties", .map([("method", .map([("enum", ["rtmp"])]))]))]),
                    .map([("required", ["relay"])]),
                ],
                rules: [(rule: "self.method != 'relay' || has(self.relay)", message: "relay is required when method is relay")]))
    }

    // MARK: - status (written by the operator and the media pod)

    static var status: Schema {
        let condition = Schema.object(
            properties: [
                ("type", .string(options: .init(maxLength: 316))),
                ("status", .string(options: .init(enumValues: ["True", "False", "Unknown"]))),
                ("observedGeneration", .integer(options: .init(format: "int64", minimum: 0))),
                ("lastTransitionTime", .string(options: .init(format: "date-time"))),
                ("reason", .string(options: .init(maxLength: 1024))),
                ("message", .string(options: .init(maxLength: 32768))),
            ],
            required: ["type", "status", "lastTransitionTime", "reason", "message"])
        return .object(
            properties: [
                ("phase", .string(options: .init(enumValues: ["Pending", "Scheduled", "Live", "Ended", "Failed"]))),
                ("observedGeneration", .integer(options: .init(format: "int64"))),
                ("assignment", .object(properties: [
                    ("pod", .string()), ("epoch", .integer(options: .init(format: "int64"))),
                    ("since", .string(options: .init(format: "date-time"))),
                ])),
                ("lastEpoch", .integer(options: .init(format: "int64", minimum: 0))),
                ("ingest", .object(properties: [
                    ("whipURL", .string()), ("whepURL", .string()), ("tokenSecretName", .string()),
                ])),
                ("destinations", .array(
                    items: .object(
                        properties: [
                            ("name", .string()),
                            ("state", .string(options: .init(enumValues: ["Connecting", "Live", "Retrying", "Failed", "Disabled"]))),
                            ("bitrateKbps", .integer()), ("reconnects", .integer()), ("lastError", .string()),
                        ],
                        required: ["name"]),
                    options: .init(listType: "map", listMapKeys: ["name"]))),
                ("destinationsReady", .string(options: .init(description: "Live destinations / destinations, e.g. 2/3."))),
                ("stats", .object(properties: [
                    ("videoKbps", .integer()), ("audioKbps", .integer()), ("fps", .number()), ("guests", .integer()),
                ])),
                ("conditions", .array(items: condition, options: .init(listType: "map", listMapKeys: ["type"]))),
            ],
            options: .init(description: "What the operator and the media pod observe."))
    }
}
