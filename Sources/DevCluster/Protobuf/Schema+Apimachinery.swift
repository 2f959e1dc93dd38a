// k8s.io/apimachinery generated.proto: pkg/runtime, pkg/apis/meta/v1, pkg/api/resource and pkg/util/intstr.
extension KubernetesSchema {
    static let apimachineryMessages: [String: MessageSchema] = [
        // The envelope's type information (runtime.Unknown's typeMeta).
        "k8s.io.apimachinery.pkg.runtime.TypeMeta": [
            1: Field("apiVersion", .string),
            2: Field("kind", .string),
        ],
        "k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta": [
            1: Field("name", .string),
            2: Field("generateName", .string),
            3: Field("namespace", .string),
            4: Field("selfLink", .string),
            5: Field("uid", .string),
            6: Field("resourceVersion", .string),
            7: Field("generation", .int64),
            8: Field("creationTimestamp", .time),
            9: Field("deletionTimestamp", .time),
            10: Field("deletionGracePeriodSeconds", .int64, keepsZero: true),
            11: Field("labels", .map(.string)),
            12: Field("annotations", .map(.string)),
            13: Field("ownerReferences", .repeated(.message("k8s.io.apimachinery.pkg.apis.meta.v1.OwnerReference"))),
            14: Field("finalizers", .repeated(.string)),
            17: Field("managedFields", .repeated(.message("k8s.io.apimachinery.pkg.apis.meta.v1.ManagedFieldsEntry"))),
        ],
        "k8s.io.apimachinery.pkg.apis.meta.v1.OwnerReference": [
            5: Field("apiVersion", .string, keepsZero: true),
            1: Field("kind", .string, keepsZero: true),
            3: Field("name", .string, keepsZero: true),
            4: Field("uid", .string, keepsZero: true),
            6: Field("controller", .bool, keepsZero: true),
            7: Field("blockOwnerDeletion", .bool, keepsZero: true),
        ],
        "k8s.io.apimachinery.pkg.apis.meta.v1.ManagedFieldsEntry": [
            1: Field("manager", .string),
            2: Field("operation", .string),
            3: Field("apiVersion", .string),
            4: Field("time", .time),
            6: Field("fieldsType", .string),
            7: Field("fieldsV1", .fieldsV1),
            8: Field("subresource", .string),
        ],
        "k8s.io.apimachinery.pkg.apis.meta.v1.LabelSelector": [
            1: Field("matchLabels", .map(.string)),
            2: Field("matchExpressions",
                     .repeated(.message("k8s.io.apimachinery.pkg.apis.meta.v1.LabelSelectorRequirement"))),
        ],
        "k8s.io.apimachinery.pkg.apis.meta.v1.LabelSelectorRequirement": [
            1: Field("key", .string, keepsZero: true),
            2: Field("operator", .string, keepsZero: true),
            3: Field("values", .repeated(.string)),
        ],
        "k8s.io.apimachinery.pkg.apis.meta.v1.Condition": [
            1: Field("type", .string, keepsZero: true),
            2: Field("status", .string, keepsZero: true),
            3: Field("observedGeneration", .int64),
            4: Field("lastTransitionTime", .time),
            5: Field("reason", .string, keepsZero: true),
            6: Field("message", .string, keepsZero: true),
        ],

        // Wire shapes of the types with their own JSON form; ValueKind says how each is written.
        "k8s.io.apimachinery.pkg.apis.meta.v1.Time": [
            1: Field("seconds", .int64, keepsZero: true),
            2: Field("nanos", .int32, keepsZero: true),
        ],
        "k8s.io.apimachinery.pkg.apis.meta.v1.MicroTime": [
            1: Field("seconds", .int64, keepsZero: true),
            2: Field("nanos", .int32, keepsZero: true),
        ],
        "k8s.io.apimachinery.pkg.api.resource.Quantity": [
            1: Field("string", .string, keepsZero: true),
        ],
        "k8s.io.apimachinery.pkg.util.intstr.IntOrString": [
            1: Field("type", .int64, keepsZero: true),
            2: Field("intVal", .int32, keepsZero: true),
            3: Field("strVal", .string, keepsZero: true),
        ],
    ]
}
