// k8s.io/api/core/v1/generated.proto: the objects kubectl creates, and the pod template they share.
// Pod fields left out (affinity, ephemeral containers, topology spread, resource claims, rarer volume sources,
// container statuses) are skipped when present.
extension KubernetesSchema {
    static let coreV1Messages: [String: MessageSchema] = [
        // MARK: Config and identity

        "k8s.io.api.core.v1.ConfigMap": [
            1: Field("metadata", .message("k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta")),
            4: Field("immutable", .bool, keepsZero: true),
            2: Field("data", .map(.string)),
            3: Field("binaryData", .map(.bytes)),
        ],
        "k8s.io.api.core.v1.Secret": [
            1: Field("metadata", .message("k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta")),
            5: Field("immutable", .bool, keepsZero: true),
            2: Field("data", .map(.bytes)),
            4: Field("stringData", .map(.string)),
            3: Field("type", .string),
        ],
        "k8s.io.api.core.v1.Namespace": [
            1: Field("metadata", .message("k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta")),
            2: Field("spec", .message("k8s.io.api.core.v1.NamespaceSpec")),
            3: Field("status", .message("k8s.io.api.core.v1.NamespaceStatus")),
        ],
        "k8s.io.api.core.v1.NamespaceSpec": [
            1: Field("finalizers", .repeated(.string)),
        ],
        "k8s.io.api.core.v1.NamespaceStatus": [
            1: Field("phase", .string),
            2: Field("conditions", .repeated(.message("k8s.io.api.core.v1.NamespaceCondition"))),
        ],
        "k8s.io.api.core.v1.NamespaceCondition": [
            1: Field("type", .string, keepsZero: true),
            2: Field("status", .string, keepsZero: true),
            4: Field("lastTransitionTime", .time),
            5: Field("reason", .string),
            6: Field("message", .string),
        ],
        "k8s.io.api.core.v1.ServiceAccount": [
            1: Field("metadata", .message("k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta")),
            2: Field("secrets", .repeated(.message("k8s.io.api.core.v1.ObjectReference"))),
            3: Field("imagePullSecrets", .repeated(.message("k8s.io.api.core.v1.LocalObjectReference"))),
            4: Field("automountServiceAccountToken", .bool, keepsZero: true),
        ],
        "k8s.io.api.core.v1.ObjectReference": [
            1: Field("kind", .string),
            2: Field("namespace", .string),
            3: Field("name", .string),
            4: Field("uid", .string),
            5: Field("apiVersion", .string),
            6: Field("resourceVersion", .string),
            7: Field("fieldPath", .string),
        ],
        "k8s.io.api.core.v1.LocalObjectReference": [
            1: Field("name", .string),
        ],

        // MARK: Service

        "k8s.io.api.core.v1.Service": [
            1: Field("metadata", .message("k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta")),
            2: Field("spec", .message("k8s.io.api.core.v1.ServiceSpec")),
            3: Field("status", .message("k8s.io.api.core.v1.ServiceStatus")),
        ],
        "k8s.io.api.core.v1.ServiceSpec": [
            1: Field("ports", .repeated(.message("k8s.io.api.core.v1.ServicePort"))),
            2: Field("selector", .map(.string)),
            3: Field("clusterIP", .string),
            18: Field("clusterIPs", .repeated(.string)),
            4: Field("type", .string),
            5: Field("externalIPs", .repeated(.string)),
            7: Field("sessionAffinity", .string),
            8: Field("loadBalancerIP", .string),
            9: Field("loadBalancerSourceRanges", .repeated(.string)),
            10: Field("externalName", .string),
            11: Field("externalTrafficPolicy", .string),
            12: Field("healthCheckNodePort", .int32),
            13: Field("publishNotReadyAddresses", .bool),
            14: Field("sessionAffinityConfig", .message("k8s.io.api.core.v1.SessionAffinityConfig")),
            19: Field("ipFamilies", .repeated(.string)),
            17: Field("ipFamilyPolicy", .string, keepsZero: true),
            20: Field("allocateLoadBalancerNodePorts", .bool, keepsZero: true),
            21: Field("loadBalancerClass", .string, keepsZero: true),
            22: Field("internalTrafficPolicy", .string, keepsZero: true),
        ],
        "k8s.io.api.core.v1.ServicePort": [
            1: Field("name", .string),
            2: Field("protocol", .string),
            6: Field("appProtocol", .string, keepsZero: true),
            3: Field("port", .int32, keepsZero: true),
            4: Field("targetPort", .intOrString),
            5: Field("nodePort", .int32),
        ],
        "k8s.io.api.core.v1.SessionAffinityConfig": [
            1: Field("clientIP", .message("k8s.io.api.core.v1.ClientIPConfig")),
        ],
        "k8s.io.api.core.v1.ClientIPConfig": [
            1: Field("timeoutSeconds", .int32, keepsZero: true),
        ],
        "k8s.io.api.core.v1.ServiceStatus": [
            1: Field("loadBalancer", .message("k8s.io.api.core.v1.LoadBalancerStatus")),
            2: Field("conditions", .repeated(.message("k8s.io.apimachinery.pkg.apis.meta.v1.Condition"))),
        ],
        "k8s.io.api.core.v1.LoadBalancerStatus": [
            1: Field("ingress", .repeated(.message("k8s.io.api.core.v1.LoadBalancerIngress"))),
        ],
        "k8s.io.api.core.v1.LoadBalancerIngress": [
            1: Field("ip", .string),
            2: Field("hostname", .string),
            3: Field("ipMode", .string, keepsZero: true),
            4: Field("ports", .repeated(.message("k8s.io.api.core.v1.PortStatus"))),
        ],
        "k8s.io.api.core.v1.PortStatus": [
            1: Field("port", .int32, keepsZero: true),
            2: Field("protocol", .string, keepsZero: true),
            3: Field("error", .string, keepsZero: true),
        ],

        // MARK: Pod

        "k8s.io.api.core.v1.Pod": [
            1: Field("metadata", .message("k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta")),
            2: Field("spec", .message("k8s.io.api.core.v1.PodSpec")),
            3: Field("status", .message("k8s.io.api.core.v1.PodStatus")),
        ],
        "k8s.io.api.core.v1.PodTemplateSpec": [
            1: Field("metadata", .message("k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta")),
            2: Field("spec", .message("k8s.io.api.core.v1.PodSpec")),
        ],
        "k8s.io.api.core.v1.PodSpec": [
            1: Field("volumes", .repeated(.message("k8s.io.api.core.v1.Volume"))),
            20: Field("initContainers", .repeated(.message("k8s.io.api.core.v1.Container"))),
            2: Field("containers", .repeated(.message("k8s.io.api.core.v1.Container"))),
            3: Field("restartPolicy", .string),
            4: Field("terminationGracePeriodSeconds", .int64, keepsZero: true),
            5: Field("activeDeadlineSeconds", .int64, keepsZero: true),
            6: Field("dnsPolicy", .string),
            7: Field("nodeSelector", .map(.string)),
            8: Field("serviceAccountName", .string),
            9: Field("serviceAccount", .string),
            21: Field("automountServiceAccountToken", .bool, keepsZero: true),
            10: Field("nodeName", .string),
            11: Field("hostNetwork", .bool),
            12: Field("hostPID", .bool),
            13: Field("hostIPC", .bool),
            27: Field("shareProcessNamespace", .bool, keepsZero: true),
            14: Field("securityContext", .message("k8s.io.api.core.v1.PodSecurityContext")),
            15: Field("imagePullSecrets", .repeated(.message("k8s.io.api.core.v1.LocalObjectReference"))),
            16: Field("hostname", .string),
            17: Field("subdomain", .string),
            19: Field("schedulerName", .string),
            22: Field("tolerations", .repeated(.message("k8s.io.api.core.v1.Toleration"))),
            23: Field("hostAliases", .repeated(.message("k8s.io.api.core.v1.HostAlias"))),
            24: Field("priorityClassName", .string),
            25: Field("priority", .int32, keepsZero: true),
            26: Field("dnsConfig", .message("k8s.io.api.core.v1.PodDNSConfig")),
            28: Field("readinessGates", .repeated(.message("k8s.io.api.core.v1.PodReadinessGate"))),
            29: Field("runtimeClassName", .string, keepsZero: true),
            30: Field("enableServiceLinks", .bool, keepsZero: true),
            31: Field("preemptionPolicy", .string, keepsZero: true),
            32: Field("overhead", .map(.quantity)),
            35: Field("setHostnameAsFQDN", .bool, keepsZero: true),
            36: Field("os", .message("k8s.io.api.core.v1.PodOS")),
            37: Field("hostUsers", .bool, keepsZero: true),
            38: Field("schedulingGates", .repeated(.message("k8s.io.api.core.v1.PodSchedulingGate"))),
        ],
        "k8s.io.api.core.v1.PodSecurityContext": [
            1: Field("seLinuxOptions", .message("k8s.io.api.core.v1.SELinuxOptions")),
            2: Field("runAsUser", .int64, keepsZero: true),
            6: Field("runAsGroup", .int64, keepsZero: true),
            3: Field("runAsNonRoot", .bool, keepsZero: true),
            4: Field("supplementalGroups", .repeated(.int64)),
            5: Field("fsGroup", .int64, keepsZero: true),
            7: Field("sysctls", .repeated(.message("k8s.io.api.core.v1.Sysctl"))),
            9: Field("fsGroupChangePolicy", .string, keepsZero: true),
            10: Field("seccompProfile", .message("k8s.io.api.core.v1.SeccompProfile")),
        ],
        "k8s.io.api.core.v1.Sysctl": [
            1: Field("name", .string, keepsZero: true),
            2: Field("value", .string, keepsZero: true),
        ],
        "k8s.io.api.core.v1.Toleration": [
            1: Field("key", .string),
            2: Field("operator", .string),
            3: Field("value", .string),
            4: Field("effect", .string),
            5: Field("tolerationSeconds", .int64, keepsZero: true),
        ],
        "k8s.io.api.core.v1.HostAlias": [
            1: Field("ip", .string, keepsZero: true),
            2: Field("hostnames", .repeated(.string)),
        ],
        "k8s.io.api.core.v1.PodDNSConfig": [
            1: Field("nameservers", .repeated(.string)),
            2: Field("searches", .repeated(.string)),
            3: Field("options", .repeated(.message("k8s.io.api.core.v1.PodDNSConfigOption"))),
        ],
        "k8s.io.api.core.v1.PodDNSConfigOption": [
            1: Field("name", .string),
            2: Field("value", .string, keepsZero: true),
        ],
        "k8s.io.api.core.v1.PodReadinessGate": [
            1: Field("conditionType", .string, keepsZero: true),
        ],
        "k8s.io.api.core.v1.PodOS": [
            1: Field("name", .string, keepsZero: true),
        ],
        "k8s.io.api.core.v1.PodSchedulingGate": [
            1: Field("name", .string, keepsZero: true),
        ],
        "k8s.io.api.core.v1.PodStatus": [
            1: Field("phase", .string),
            2: Field("conditions", .repeated(.message("k8s.io.api.core.v1.PodCondition"))),
            3: Field("message", .string),
            4: Field("reason", .string),
            11: Field("nominatedNodeName", .string),
            5: Field("hostIP", .string),
            16: Field("hostIPs", .repeated(.message("k8s.io.api.core.v1.HostIP"))),
            6: Field("podIP", .string),
            12: Field("podIPs", .repeated(.message("k8s.io.api.core.v1.PodIP"))),
            7: Field("startTime", .time),
            9: Field("qosClass", .string),
        ],
        "k8s.io.api.core.v1.PodCondition": [
            1: Field("type", .string, keepsZero: true),
            2: Field("status", .string, keepsZero: true),
            3: Field("lastProbeTime", .time),
            4: Field("lastTransitionTime", .time),
            5: Field("reason", .string),
            6: Field("message", .string),
        ],
        "k8s.io.api.core.v1.HostIP": [
            1: Field("ip", .string, keepsZero: true),
        ],
        "k8s.io.api.core.v1.PodIP": [
            1: Field("ip", .string, keepsZero: true),
        ],

        // MARK: Container

        "k8s.io.api.core.v1.Container": [
            1: Field("name", .string, keepsZero: true),
            2: Field("image", .string),
            3: Field("command", .repeated(.string)),
            4: Field("args", .repeated(.string)),
            5: Field("workingDir", .string),
            6: Field("ports", .repeated(.message("k8s.io.api.core.v1.ContainerPort"))),
            19: Field("envFrom", .repeated(.message("k8s.io.api.core.v1.EnvFromSource"))),
            7: Field("env", .repeated(.message("k8s.io.api.core.v1.EnvVar"))),
            8: Field("resources", .message("k8s.io.api.core.v1.ResourceRequirements")),
            23: Field("resizePolicy", .repeated(.message("k8s.io.api.core.v1.ContainerResizePolicy"))),
            24: Field("restartPolicy", .string, keepsZero: true),
            9: Field("volumeMounts", .repeated(.message("k8s.io.api.core.v1.VolumeMount"))),
            21: Field("volumeDevices", .repeated(.message("k8s.io.api.core.v1.VolumeDevice"))),
            10: Field("livenessProbe", .message("k8s.io.api.core.v1.Probe")),
            11: Field("readinessProbe", .message("k8s.io.api.core.v1.Probe")),
            22: Field("startupProbe", .message("k8s.io.api.core.v1.Probe")),
            12: Field("lifecycle", .message("k8s.io.api.core.v1.Lifecycle")),
            13: Field("terminationMessagePath", .string),
            20: Field("terminationMessagePolicy", .string),
            14: Field("imagePullPolicy", .string),
            15: Field("securityContext", .message("k8s.io.api.core.v1.SecurityContext")),
            16: Field("stdin", .bool),
            17: Field("stdinOnce", .bool),
            18: Field("tty", .bool),
        ],
        "k8s.io.api.core.v1.ContainerPort": [
            1: Field("name", .string),
            2: Field("hostPort", .int32),
            3: Field("containerPort", .int32, keepsZero: true),
            4: Field("protocol", .string),
            5: Field("hostIP", .string),
        ],
        "k8s.io.api.core.v1.ContainerResizePolicy": [
            1: Field("resourceName", .string, keepsZero: true),
            2: Field("restartPolicy", .string, keepsZero: true),
        ],
        "k8s.io.api.core.v1.EnvVar": [
            1: Field("name", .string, keepsZero: true),
            2: Field("value", .string),
            3: Field("valueFrom", .message("k8s.io.api.core.v1.EnvVarSource")),
        ],
        "k8s.io.api.core.v1.EnvVarSource": [
            1: Field("fieldRef", .message("k8s.io.api.core.v1.ObjectFieldSelector")),
            2: Field("resourceFieldRef", .message("k8s.io.api.core.v1.ResourceFieldSelector")),
            3: Field("configMapKeyRef", .message("k8s.io.api.core.v1.ConfigMapKeySelector")),
            4: Field("secretKeyRef", .message("k8s.io.api.core.v1.SecretKeySelector")),
        ],
        "k8s.io.api.core.v1.ObjectFieldSelector": [
            1: Field("apiVersion", .string),
            2: Field("fieldPath", .string, keepsZero: true),
        ],
        "k8s.io.api.core.v1.ResourceFieldSelector": [
            1: Field("containerName", .string),
            2: Field("resource", .string, keepsZero: true),
            3: Field("divisor", .quantity),
        ],
        "k8s.io.api.core.v1.ConfigMapKeySelector": [
            1: .inline("k8s.io.api.core.v1.LocalObjectReference"),
            2: Field("key", .string, keepsZero: true),
            3: Field("optional", .bool, keepsZero: true),
        ],
        "k8s.io.api.core.v1.SecretKeySelector": [
            1: .inline("k8s.io.api.core.v1.LocalObjectReference"),
            2: Field("key", .string, keepsZero: true),
            3: Field("optional", .bool, keepsZero: true),
        ],
        "k8s.io.api.core.v1.EnvFromSource": [
            1: Field("prefix", .string),
            2: Field("configMapRef", .message("k8s.io.api.core.v1.ConfigMapEnvSource")),
            3: Field("secretRef", .message("k8s.io.api.core.v1.SecretEnvSource")),
        ],
        "k8s.io.api.core.v1.ConfigMapEnvSource": [
            1: .inline("k8s.io.api.core.v1.LocalObjectReference"),
            2: Field("optional", .bool, keepsZero: true),
        ],
        "k8s.io.api.core.v1.SecretEnvSource": [
            1: .inline("k8s.io.api.core.v1.LocalObjectReference"),
            2: Field("optional", .bool, keepsZero: true),
        ],
        "k8s.io.api.core.v1.ResourceRequirements": [
            1: Field("limits", .map(.quantity)),
            2: Field("requests", .map(.quantity)),
            3: Field("claims", .repeated(.message("k8s.io.api.core.v1.ResourceClaim"))),
        ],
        "k8s.io.api.core.v1.ResourceClaim": [
            1: Field("name", .string, keepsZero: true),
        ],
        "k8s.io.api.core.v1.VolumeMount": [
            1: Field("name", .string, keepsZero: true),
            2: Field("readOnly", .bool),
            3: Field("mountPath", .string, keepsZero: true),
            4: Field("subPath", .string),
            5: Field("mountPropagation", .string, keepsZero: true),
            6: Field("subPathExpr", .string),
        ],
        "k8s.io.api.core.v1.VolumeDevice": [
            1: Field("name", .string, keepsZero: true),
            2: Field("devicePath", .string, keepsZero: true),
        ],
        "k8s.io.api.core.v1.Probe": [
            1: .inline("k8s.io.api.core.v1.ProbeHandler"),
            2: Field("initialDelaySeconds", .int32),
            3: Field("timeoutSeconds", .int32),
            4: Field("periodSeconds", .int32),
            5: Field("successThreshold", .int32),
            6: Field("failureThreshold", .int32),
            7: Field("terminationGracePeriodSeconds", .int64, keepsZero: true),
        ],
        "k8s.io.api.core.v1.ProbeHandler": [
            1: Field("exec", .message("k8s.io.api.core.v1.ExecAction")),
            2: Field("httpGet", .message("k8s.io.api.core.v1.HTTPGetAction")),
            3: Field("tcpSocket", .message("k8s.io.api.core.v1.TCPSocketAction")),
            4: Field("grpc", .message("k8s.io.api.core.v1.GRPCAction")),
        ],
        "k8s.io.api.core.v1.Lifecycle": [
            1: Field("postStart", .message("k8s.io.api.core.v1.LifecycleHandler")),
            2: Field("preStop", .message("k8s.io.api.core.v1.LifecycleHandler")),
        ],
        "k8s.io.api.core.v1.LifecycleHandler": [
            1: Field("exec", .message("k8s.io.api.core.v1.ExecAction")),
            2: Field("httpGet", .message("k8s.io.api.core.v1.HTTPGetAction")),
            3: Field("tcpSocket", .message("k8s.io.api.core.v1.TCPSocketAction")),
            4: Field("sleep", .message("k8s.io.api.core.v1.SleepAction")),
        ],
        "k8s.io.api.core.v1.ExecAction": [
            1: Field("command", .repeated(.string)),
        ],
        "k8s.io.api.core.v1.HTTPGetAction": [
            1: Field("path", .string),
            2: Field("port", .intOrString),
            3: Field("host", .string),
            4: Field("scheme", .string),
            5: Field("httpHeaders", .repeated(.message("k8s.io.api.core.v1.HTTPHeader"))),
        ],
        "k8s.io.api.core.v1.HTTPHeader": [
            1: Field("name", .string, keepsZero: true),
            2: Field("value", .string, keepsZero: true),
        ],
        "k8s.io.api.core.v1.TCPSocketAction": [
            1: Field("port", .intOrString),
            2: Field("host", .string),
        ],
        "k8s.io.api.core.v1.GRPCAction": [
            1: Field("port", .int32, keepsZero: true),
            2: Field("service", .string, keepsZero: true),
        ],
        "k8s.io.api.core.v1.SleepAction": [
            1: Field("seconds", .int64, keepsZero: true),
        ],
        "k8s.io.api.core.v1.SecurityContext": [
            1: Field("capabilities", .message("k8s.io.api.core.v1.Capabilities")),
            2: Field("privileged", .bool, keepsZero: true),
            3: Field("seLinuxOptions", .message("k8s.io.api.core.v1.SELinuxOptions")),
            4: Field("runAsUser", .int64, keepsZero: true),
            8: Field("runAsGroup", .int64, keepsZero: true),
            5: Field("runAsNonRoot", .bool, keepsZero: true),
            6: Field("readOnlyRootFilesystem", .bool, keepsZero: true),
            7: Field("allowPrivilegeEscalation", .bool, keepsZero: true),
            9: Field("procMount", .string, keepsZero: true),
            11: Field("seccompProfile", .message("k8s.io.api.core.v1.SeccompProfile")),
        ],
        "k8s.io.api.core.v1.Capabilities": [
            1: Field("add", .repeated(.string)),
            2: Field("drop", .repeated(.string)),
        ],
        "k8s.io.api.core.v1.SELinuxOptions": [
            1: Field("user", .string),
            2: Field("role", .string),
            3: Field("type", .string),
            4: Field("level", .string),
        ],
        "k8s.io.api.core.v1.SeccompProfile": [
            1: Field("type", .string, keepsZero: true),
            2: Field("localhostProfile", .string, keepsZero: true),
        ],

        // MARK: Volumes

        "k8s.io.api.core.v1.Volume": [
            1: Field("name", .string, keepsZero: true),
            2: .inline("k8s.io.api.core.v1.VolumeSource"),
        ],
        "k8s.io.api.core.v1.VolumeSource": [
            1: Field("hostPath", .message("k8s.io.api.core.v1.HostPathVolumeSource")),
            2: Field("emptyDir", .message("k8s.io.api.core.v1.EmptyDirVolumeSource")),
            6: Field("secret", .message("k8s.io.api.core.v1.SecretVolumeSource")),
            10: Field("persistentVolumeClaim", .message("k8s.io.api.core.v1.PersistentVolumeClaimVolumeSource")),
            19: Field("configMap", .message("k8s.io.api.core.v1.ConfigMapVolumeSource")),
        ],
        "k8s.io.api.core.v1.HostPathVolumeSource": [
            1: Field("path", .string, keepsZero: true),
            2: Field("type", .string, keepsZero: true),
        ],
        "k8s.io.api.core.v1.EmptyDirVolumeSource": [
            1: Field("medium", .string),
            2: Field("sizeLimit", .quantity),
        ],
        "k8s.io.api.core.v1.SecretVolumeSource": [
            1: Field("secretName", .string),
            2: Field("items", .repeated(.message("k8s.io.api.core.v1.KeyToPath"))),
            3: Field("defaultMode", .int32, keepsZero: true),
            4: Field("optional", .bool, keepsZero: true),
        ],
        "k8s.io.api.core.v1.ConfigMapVolumeSource": [
            1: .inline("k8s.io.api.core.v1.LocalObjectReference"),
            2: Field("items", .repeated(.message("k8s.io.api.core.v1.KeyToPath"))),
            3: Field("defaultMode", .int32, keepsZero: true),
            4: Field("optional", .bool, keepsZero: true),
        ],
        "k8s.io.api.core.v1.KeyToPath": [
            1: Field("key", .string, keepsZero: true),
            2: Field("path", .string, keepsZero: true),
            3: Field("mode", .int32, keepsZero: true),
        ],
        "k8s.io.api.core.v1.PersistentVolumeClaimVolumeSource": [
            1: Field("claimName", .string, keepsZero: true),
            2: Field("readOnly", .bool),
        ],
    ]
}
