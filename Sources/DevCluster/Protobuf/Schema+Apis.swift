// k8s.io/api generated.proto of apps/v1, rbac/v1, policy/v1, coordination/v1 and autoscaling/v1.
extension KubernetesSchema {
    static let apisMessages: [String: MessageSchema] = [
        // MARK: apps/v1

        "k8s.io.api.apps.v1.Deployment": [
            1: Field("metadata", .message("k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta")),
            2: Field("spec", .message("k8s.io.api.apps.v1.DeploymentSpec")),
            3: Field("status", .message("k8s.io.api.apps.v1.DeploymentStatus")),
        ],
        "k8s.io.api.apps.v1.DeploymentSpec": [
            1: Field("replicas", .int32, keepsZero: true),
            2: Field("selector", .message("k8s.io.apimachinery.pkg.apis.meta.v1.LabelSelector")),
            3: Field("template", .message("k8s.io.api.core.v1.PodTemplateSpec")),
            4: Field("strategy", .message("k8s.io.api.apps.v1.DeploymentStrategy")),
            5: Field("minReadySeconds", .int32),
            6: Field("revisionHistoryLimit", .int32, keepsZero: true),
            7: Field("paused", .bool),
            9: Field("progressDeadlineSeconds", .int32, keepsZero: true),
        ],
        "k8s.io.api.apps.v1.DeploymentStrategy": [
            1: Field("type", .string),
            2: Field("rollingUpdate", .message("k8s.io.api.apps.v1.RollingUpdateDeployment")),
        ],
        "k8s.io.api.apps.v1.RollingUpdateDeployment": [
            1: Field("maxUnavailable", .intOrString),
            2: Field("maxSurge", .intOrString),
        ],
        "k8s.io.api.apps.v1.DeploymentStatus": [
            1: Field("observedGeneration", .int64),
            2: Field("replicas", .int32),
            3: Field("updatedReplicas", .int32),
            7: Field("readyReplicas", .int32),
            4: Field("availableReplicas", .int32),
            5: Field("unavailableReplicas", .int32),
            9: Field("terminatingReplicas", .int32, keepsZero: true),
            6: Field("conditions", .repeated(.message("k8s.io.api.apps.v1.DeploymentCondition"))),
            8: Field("collisionCount", .int32, keepsZero: true),
        ],
        "k8s.io.api.apps.v1.DeploymentCondition": [
            1: Field("type", .string, keepsZero: true),
            2: Field("status", .string, keepsZero: true),
            6: Field("lastUpdateTime", .time),
            7: Field("lastTransitionTime", .time),
            4: Field("reason", .string),
            5: Field("message", .string),
        ],

        // MARK: rbac.authorization.k8s.io/v1

        "k8s.io.api.rbac.v1.Role": [
            1: Field("metadata", .message("k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta")),
            2: Field("rules", .repeated(.message("k8s.io.api.rbac.v1.PolicyRule"))),
        ],
        "k8s.io.api.rbac.v1.ClusterRole": [
            1: Field("metadata", .message("k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta")),
            2: Field("rules", .repeated(.message("k8s.io.api.rbac.v1.PolicyRule"))),
            3: Field("aggregationRule", .message("k8s.io.api.rbac.v1.AggregationRule")),
        ],
        "k8s.io.api.rbac.v1.PolicyRule": [
            1: Field("verbs", .repeated(.string)),
            2: Field("apiGroups", .repeated(.string)),
            3: Field("resources", .repeated(.string)),
            4: Field("resourceNames", .repeated(.string)),
            5: Field("nonResourceURLs", .repeated(.string)),
        ],
        "k8s.io.api.rbac.v1.AggregationRule": [
            1: Field("clusterRoleSelectors", .repeated(.message("k8s.io.apimachinery.pkg.apis.meta.v1.LabelSelector"))),
        ],
        "k8s.io.api.rbac.v1.RoleBinding": [
            1: Field("metadata", .message("k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta")),
            2: Field("subjects", .repeated(.message("k8s.io.api.rbac.v1.Subject"))),
            3: Field("roleRef", .message("k8s.io.api.rbac.v1.RoleRef")),
        ],
        "k8s.io.api.rbac.v1.ClusterRoleBinding": [
            1: Field("metadata", .message("k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta")),
            2: Field("subjects", .repeated(.message("k8s.io.api.rbac.v1.Subject"))),
            3: Field("roleRef", .message("k8s.io.api.rbac.v1.RoleRef")),
        ],
        "k8s.io.api.rbac.v1.Subject": [
            1: Field("kind", .string, keepsZero: true),
            2: Field("apiGroup", .string),
            3: Field("name", .string, keepsZero: true),
            4: Field("namespace", .string),
        ],
        "k8s.io.api.rbac.v1.RoleRef": [
            1: Field("apiGroup", .string, keepsZero: true),
            2: Field("kind", .string, keepsZero: true),
            3: Field("name", .string, keepsZero: true),
        ],

        // MARK: policy/v1

        "k8s.io.api.policy.v1.PodDisruptionBudget": [
            1: Field("metadata", .message("k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta")),
            2: Field("spec", .message("k8s.io.api.policy.v1.PodDisruptionBudgetSpec")),
            3: Field("status", .message("k8s.io.api.policy.v1.PodDisruptionBudgetStatus")),
        ],
        "k8s.io.api.policy.v1.PodDisruptionBudgetSpec": [
            1: Field("minAvailable", .intOrString),
            2: Field("selector", .message("k8s.io.apimachinery.pkg.apis.meta.v1.LabelSelector")),
            3: Field("maxUnavailable", .intOrString),
            4: Field("unhealthyPodEvictionPolicy", .string, keepsZero: true),
        ],
        "k8s.io.api.policy.v1.PodDisruptionBudgetStatus": [
            1: Field("observedGeneration", .int64),
            2: Field("disruptedPods", .map(.time)),
            3: Field("disruptionsAllowed", .int32, keepsZero: true),
            4: Field("currentHealthy", .int32, keepsZero: true),
            5: Field("desiredHealthy", .int32, keepsZero: true),
            6: Field("expectedPods", .int32, keepsZero: true),
            7: Field("conditions", .repeated(.message("k8s.io.apimachinery.pkg.apis.meta.v1.Condition"))),
        ],

        // MARK: coordination.k8s.io/v1

        "k8s.io.api.coordination.v1.Lease": [
            1: Field("metadata", .message("k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta")),
            2: Field("spec", .message("k8s.io.api.coordination.v1.LeaseSpec")),
        ],
        "k8s.io.api.coordination.v1.LeaseSpec": [
            1: Field("holderIdentity", .string, keepsZero: true),
            2: Field("leaseDurationSeconds", .int32, keepsZero: true),
            3: Field("acquireTime", .microTime),
            4: Field("renewTime", .microTime),
            5: Field("leaseTransitions", .int32, keepsZero: true),
            6: Field("strategy", .string, keepsZero: true),
            7: Field("preferredHolder", .string, keepsZero: true),
        ],

        // MARK: autoscaling/v1

        "k8s.io.api.autoscaling.v1.Scale": [
            1: Field("metadata", .message("k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta")),
            2: Field("spec", .message("k8s.io.api.autoscaling.v1.ScaleSpec")),
            3: Field("status", .message("k8s.io.api.autoscaling.v1.ScaleStatus")),
        ],
        "k8s.io.api.autoscaling.v1.ScaleSpec": [
            1: Field("replicas", .int32),
        ],
        "k8s.io.api.autoscaling.v1.ScaleStatus": [
            1: Field("replicas", .int32, keepsZero: true),
            2: Field("selector", .string),
        ],
        // kubectl autoscale sends this version.
        "k8s.io.api.autoscaling.v1.HorizontalPodAutoscaler": [
            1: Field("metadata", .message("k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta")),
            2: Field("spec", .message("k8s.io.api.autoscaling.v1.HorizontalPodAutoscalerSpec")),
            3: Field("status", .message("k8s.io.api.autoscaling.v1.HorizontalPodAutoscalerStatus")),
        ],
        "k8s.io.api.autoscaling.v1.HorizontalPodAutoscalerSpec": [
            1: Field("scaleTargetRef", .message("k8s.io.api.autoscaling.v1.CrossVersionObjectReference")),
            2: Field("minReplicas", .int32, keepsZero: true),
            3: Field("maxReplicas", .int32, keepsZero: true),
            4: Field("targetCPUUtilizationPercentage", .int32, keepsZero: true),
        ],
        "k8s.io.api.autoscaling.v1.CrossVersionObjectReference": [
            1: Field("kind", .string, keepsZero: true),
            2: Field("name", .string, keepsZero: true),
            3: Field("apiVersion", .string),
        ],
        "k8s.io.api.autoscaling.v1.HorizontalPodAutoscalerStatus": [
            1: Field("observedGeneration", .int64, keepsZero: true),
            2: Field("lastScaleTime", .time),
            3: Field("currentReplicas", .int32, keepsZero: true),
            4: Field("desiredReplicas", .int32, keepsZero: true),
            5: Field("currentCPUUtilizationPercentage", .int32, keepsZero: true),
        ],
    ]
}
