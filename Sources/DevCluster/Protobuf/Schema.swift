/// What one value on the wire is, and so how it is written in JSON.
enum ValueKind: Sendable {
    case string
    /// Base64 in JSON, as Go's encoding/json writes []byte.
    case bytes
    case int32
    case int64
    case bool
    /// A nested object, named by its full protobuf message name.
    case message(String)
    /// metav1.Time: an RFC 3339 string with whole seconds, null when unset.
    case time
    /// metav1.MicroTime: an RFC 3339 string with six fraction digits, null when unset.
    case microTime
    /// resource.Quantity: its string form.
    case quantity
    /// intstr.IntOrString: a JSON number or string.
    case intOrString
    /// metav1.FieldsV1: raw JSON carried as bytes.
    case fieldsV1
}

/// How a field of a message maps to JSON.
enum FieldKind: Sendable {
    case single(ValueKind)
    case repeated(ValueKind)
    /// map<string, V>, sent as repeated entries {key = 1, value = 2}.
    case map(ValueKind)
    /// A Go struct embedded with `json:",inline"` (e.g. Volume.volumeSource): its fields join the parent object.
    case inlined(String)

    // Shorthands so the tables read like the .proto files.
    static let string = FieldKind.single(.string)
    static let int32 = FieldKind.single(.int32)
    static let int64 = FieldKind.single(.int64)
    static let bool = FieldKind.single(.bool)
    static let time = FieldKind.single(.time)
    static let microTime = FieldKind.single(.microTime)
    static let quantity = FieldKind.single(.quantity)
    static let intOrString = FieldKind.single(.intOrString)
    static let fieldsV1 = FieldKind.single(.fieldsV1)
    static func message(_ name: String) -> FieldKind { .single(.message(name)) }
}

struct Field: Sendable {
    let jsonName: String
    let kind: FieldKind
    /// Whether a zero scalar ("", 0, false) sent on the wire stays in the JSON. Go's encoding/json drops it for a
    /// non-pointer field tagged omitempty (the default here, and most Kubernetes fields); it keeps it for pointer
    /// fields (`replicas: 0` means something) and for fields without omitempty (`containerPort`).
    let keepsZero: Bool

    init(_ jsonName: String, _ kind: FieldKind, keepsZero: Bool = false) {
        self.jsonName = jsonName
        self.kind = kind
        self.keepsZero = keepsZero
    }

    static func inline(_ messageName: String) -> Field { Field("", .inlined(messageName)) }
}

/// Protobuf field number → JSON field, for one message.
typealias MessageSchema = [Int: Field]

/// The messages the decoder knows, from the real generated.proto files of k8s.io/api and k8s.io/apimachinery.
/// Fields a table leaves out are skipped, like any unknown protobuf field.
enum KubernetesSchema {
    static let messages: [String: MessageSchema] = apimachineryMessages
        .merging(coreV1Messages) { _, _ in preconditionFailure("a message is declared twice") }
        .merging(apisMessages) { _, _ in preconditionFailure("a message is declared twice") }

    /// "apiVersion/kind" from the envelope → the top-level message of the object.
    static let kinds: [String: String] = [
        "v1/ConfigMap": "k8s.io.api.core.v1.ConfigMap",
        "v1/Secret": "k8s.io.api.core.v1.Secret",
        "v1/Namespace": "k8s.io.api.core.v1.Namespace",
        "v1/ServiceAccount": "k8s.io.api.core.v1.ServiceAccount",
        "v1/Service": "k8s.io.api.core.v1.Service",
        "v1/Pod": "k8s.io.api.core.v1.Pod",
        "apps/v1/Deployment": "k8s.io.api.apps.v1.Deployment",
        "rbac.authorization.k8s.io/v1/Role": "k8s.io.api.rbac.v1.Role",
        "rbac.authorization.k8s.io/v1/RoleBinding": "k8s.io.api.rbac.v1.RoleBinding",
        "rbac.authorization.k8s.io/v1/ClusterRole": "k8s.io.api.rbac.v1.ClusterRole",
        "rbac.authorization.k8s.io/v1/ClusterRoleBinding": "k8s.io.api.rbac.v1.ClusterRoleBinding",
        "policy/v1/PodDisruptionBudget": "k8s.io.api.policy.v1.PodDisruptionBudget",
        "coordination.k8s.io/v1/Lease": "k8s.io.api.coordination.v1.Lease",
        "autoscaling/v1/Scale": "k8s.io.api.autoscaling.v1.Scale",
        "autoscaling/v1/HorizontalPodAutoscaler": "k8s.io.api.autoscaling.v1.HorizontalPodAutoscaler",
    ]
}
