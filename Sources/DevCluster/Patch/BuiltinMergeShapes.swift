/// The patch metadata of the built-in kinds devcluster serves, transcribed from the `patchStrategy` /
/// `patchMergeKey` tags and `+listType` / `+listMapKey` markers of k8s.io/api (1.32). Only fields whose lists or
/// maps merge in a particular way are listed; everything else falls back to `MergeShape.unknown` (maps merge,
/// lists are atomic), which is what an untagged field means.
///
/// One shape serves both patch kinds. Strategic merge uses a list map's first key, apply all of them, so the merge
/// key comes first: container `ports` merge on `containerPort` and are keyed by `containerPort` and `protocol`
/// for apply. Where the two disagree, strategic merge wins, because clients see its results directly: Pod
/// `status.hostIPs` merges by `ip` (atomic for apply), label selectors (`+structType=atomic`) and `nodeSelector` or
/// Service `selector` (`+mapType=atomic`) merge field by field, and `atomicObject` marks only what strategic merge
/// replaces (`patchStrategy: replace`).
public enum BuiltinMergeShapes {
    /// Nil for a kind that is not built in: the API server answers 415 to a strategic merge patch on a custom
    /// resource. Group "" is the core group.
    public static func shape(group: String, kind: String) -> MergeShape? {
        switch (group, kind) {
        case ("", "Pod"): return pod
        case ("", "PodTemplate"): return resource(fields: ["template": podTemplate])
        case ("", "Service"): return service
        case ("", "Endpoints"), ("", "ConfigMap"), ("", "Secret"), ("", "Event"), ("events.k8s.io", "Event"),
            ("coordination.k8s.io", "Lease"), ("rbac.authorization.k8s.io", "Role"),
            ("rbac.authorization.k8s.io", "ClusterRole"), ("rbac.authorization.k8s.io", "RoleBinding"),
            ("rbac.authorization.k8s.io", "ClusterRoleBinding"), ("apiextensions.k8s.io", "CustomResourceDefinition"):
            return metadataOnly
        case ("", "Namespace"): return withConditions
        case ("", "ServiceAccount"): return resource(fields: ["secrets": listMap("name")])
        case ("apps", "Deployment"): return deployment
        case ("apps", "ReplicaSet"), ("apps", "DaemonSet"), ("apps", "StatefulSet"): return podController
        case ("autoscaling", "HorizontalPodAutoscaler"): return withConditions
        case ("policy", "PodDisruptionBudget"): return podDisruptionBudget
        default: return nil
        }
    }

    // MARK: Shared pieces

    /// A map with arbitrary keys (labels, annotations, resource quantities): each key is its own field.
    private static let stringMap = MergeShape(additionalProperties: .unknown)

    private static func listMap(_ keys: String..., of element: MergeShape = .unknown, retainKeys: Bool = false)
        -> MergeShape
    {
        MergeShape(list: .map(keys: keys), items: element, retainKeys: retainKeys)
    }

    /// ObjectMeta: `finalizers` is `patchStrategy: merge` / `+listType=set`, `ownerReferences` merges by `uid`.
    private static let objectMeta = MergeShape(fields: [
        "labels": stringMap,
        "annotations": stringMap,
        "finalizers": MergeShape(list: .set),
        "ownerReferences": listMap("uid"),
    ])

    /// A top-level object: `metadata` plus the given fields.
    private static func resource(fields: [String: MergeShape]) -> MergeShape {
        MergeShape(fields: fields.merging(["metadata": objectMeta]) { own, _ in own })
    }

    private static let metadataOnly = resource(fields: [:])

    /// `status.conditions` merging by `type`, the convention of most kinds.
    private static let conditions = listMap("type")
    private static let withConditions = resource(fields: ["status": MergeShape(fields: ["conditions": conditions])])

    private static let labelSelector = MergeShape(fields: ["matchLabels": stringMap])

    // MARK: Pods

    private static let resourceRequirements = MergeShape(fields: [
        "limits": stringMap,
        "requests": stringMap,
        "claims": listMap("name"),
    ])

    /// Container, and EphemeralContainer which shares its tags.
    private static let container = MergeShape(fields: [
        "ports": listMap("containerPort", "protocol"),
        "env": listMap("name"),
        "volumeMounts": listMap("mountPath"),
        "volumeDevices": listMap("devicePath"),
        "resources": resourceRequirements,
    ])

    private static let podSpec = MergeShape(fields: [
        "containers": listMap("name", of: container),
        "initContainers": listMap("name", of: container),
        "ephemeralContainers": listMap("name", of: container),
        "volumes": listMap("name", retainKeys: true),
        "imagePullSecrets": listMap("name"),
        "hostAliases": listMap("ip"),
        "topologySpreadConstraints": listMap("topologyKey", "whenUnsatisfiable"),
        "schedulingGates": listMap("name"),
        "resourceClaims": listMap("name", retainKeys: true),
        "nodeSelector": stringMap,
        "overhead": stringMap,
        "resources": resourceRequirements,
    ])

    private static let podStatus = MergeShape(fields: [
        "conditions": conditions,
        "podIPs": listMap("ip"),
        "hostIPs": listMap("ip"),
        "resourceClaimStatuses": listMap("name"),
    ])

    private static let pod = resource(fields: ["spec": podSpec, "status": podStatus])

    private static let podTemplate = MergeShape(fields: ["metadata": objectMeta, "spec": podSpec])

    // MARK: Workloads

    /// ReplicaSet, StatefulSet and DaemonSet: a selector, a pod template and conditions merging by `type`.
    private static let podController = resource(fields: [
        "spec": MergeShape(fields: ["selector": labelSelector, "template": podTemplate]),
        "status": MergeShape(fields: ["conditions": conditions]),
    ])

    /// Deployment `spec.strategy` is `patchStrategy: retainKeys`.
    private static let deployment = resource(fields: [
        "spec": MergeShape(fields: [
            "selector": labelSelector,
            "template": podTemplate,
            "strategy": MergeShape(retainKeys: true),
        ]),
        "status": MergeShape(fields: ["conditions": conditions]),
    ])

    // MARK: Services and policy

    private static let service = resource(fields: [
        "spec": MergeShape(fields: ["ports": listMap("port", "protocol"), "selector": stringMap]),
        "status": MergeShape(fields: ["conditions": conditions]),
    ])

    /// policy/v1 `spec.selector` is `patchStrategy: replace`.
    private static let podDisruptionBudget = resource(fields: [
        "spec": MergeShape(fields: [
            "selector": MergeShape(fields: ["matchLabels": stringMap], atomicObject: true)
        ]),
        "status": MergeShape(fields: ["conditions": conditions, "disruptedPods": stringMap]),
    ])
}
