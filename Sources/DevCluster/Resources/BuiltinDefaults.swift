import Foundation

/// Defaults of the built-in kinds that clients read back: what the real SetDefaults_* functions and the
/// resource strategies and allocators of a 1.32 API server fill in.
enum BuiltinDefaults {
    /// What a real server sets only when an object is created: initial status, allocated addresses.
    static func onCreate(_ object: JSON, _ resource: ResourceType) -> JSON {
        var object = object
        switch (resource.group, resource.plural) {
        case ("", "namespaces"):
            object["status"] = ["phase": "Active"]
            object[path: ["spec", "finalizers"]] = ["kubernetes"]
            let name = object[path: ["metadata", "name"]] ?? ""
            object[path: ["metadata", "labels", "kubernetes.io/metadata.name"]] = name
        case ("", "pods"):
            // onWrite runs after this: default first so requests copied from limits count for the QoS class.
            let spec = defaultPod(object)["spec"] ?? [:]
            object["status"] = ["phase": "Pending", "qosClass": .string(qosClass(of: spec))]
        case ("", "services"):
            object = allocateServiceAddresses(object)
            object["status"] = ["loadBalancer": [:]]
        case ("policy", "poddisruptionbudgets"):
            // These status counters are not omitempty: a new budget reads back with zeros.
            object["status"] = ["currentHealthy": 0, "desiredHealthy": 0, "disruptionsAllowed": 0, "expectedPods": 0]
        case ("autoscaling", "horizontalpodautoscalers"):
            object["status"] = ["desiredReplicas": 0]  // not omitempty either
        default: break
        }
        return object
    }

    /// Defaults a real server applies on every write (create and update) of a built-in kind.
    static func onWrite(_ object: JSON, _ resource: ResourceType) -> JSON {
        switch (resource.group, resource.plural) {
        case ("", "pods"): return defaultPod(object)
        case ("", "services"): return defaultService(object)
        case ("", "endpoints"): return defaultEndpoints(object)
        case ("", "secrets"): return filledIfZero(object, ["type"], "Opaque")
        case ("apps", "deployments"): return defaultDeployment(object)
        case ("apps", "replicasets"): return defaultPodTemplate(filledIfAbsent(object, ["spec", "replicas"], 1))
        case ("autoscaling", "horizontalpodautoscalers"): return defaultHorizontalPodAutoscaler(object)
        default: return object
        }
    }

    // MARK: - Filling in

    /// Sets an optional (Go pointer) field that is absent or null; an explicit zero is kept.
    private static func fillIfAbsent(_ object: inout JSON, _ path: [String], _ value: JSON) {
        if object[path: path] == nil || object[path: path] == .null { object[path: path] = value }
    }

    /// Sets a plain Go field whose zero value ("", 0, false) means unset.
    private static func fillIfZero(_ object: inout JSON, _ path: [String], _ value: JSON) {
        switch object[path: path] {
        case nil, .null?, .string("")?, .int(0)?, .bool(false)?: object[path: path] = value
        default: break
        }
    }

    private static func filledIfAbsent(_ object: JSON, _ path: [String], _ value: JSON) -> JSON {
        var object = object
        fillIfAbsent(&object, path, value)
        return object
    }

    private static func filledIfZero(_ object: JSON, _ path: [String], _ value: JSON) -> JSON {
        var object = object
        fillIfZero(&object, path, value)
        return object
    }

    /// Replaces each element of the array at `path`, if there is one.
    private static func updateEach(_ object: inout JSON, _ path: [String], _ transform: (JSON) -> JSON) {
        guard let elements = object[path: path]?.arrayValue else { return }
        object[path: path] = .array(elements.map(transform))
    }

    // MARK: - Pods and pod templates

    /// SetDefaults_Pod: the pod spec defaults plus those only a Pod (not a pod template) gets.
    private static func defaultPod(_ pod: JSON) -> JSON {
        var pod = pod
        pod["spec"] = defaultPodSpec(pod["spec"] ?? [:])
        let onHostNetwork = pod[path: ["spec", "hostNetwork"]]?.boolValue == true
        for list in ["initContainers", "containers"] {
            updateEach(&pod, ["spec", list], requestsDefaultedFromLimits)
            if onHostNetwork { updateEach(&pod, ["spec", list], hostPortsDefaultedToContainerPorts) }
        }
        fillIfAbsent(&pod, ["spec", "enableServiceLinks"], true)
        return pod
    }

    /// The pod spec defaults of a workload's `spec.template`.
    private static func defaultPodTemplate(_ workload: JSON) -> JSON {
        var workload = workload
        let path = ["spec", "template", "spec"]
        workload[path: path] = defaultPodSpec(workload[path: path] ?? [:])
        return workload
    }

    /// SetDefaults_PodSpec and the defaults of what a pod spec holds (containers, probes, volumes).
    private static func defaultPodSpec(_ spec: JSON) -> JSON {
        var spec = spec
        fillIfZero(&spec, ["dnsPolicy"], "ClusterFirst")
        fillIfZero(&spec, ["restartPolicy"], "Always")
        fillIfAbsent(&spec, ["securityContext"], [:])
        fillIfAbsent(&spec, ["terminationGracePeriodSeconds"], 30)
        fillIfZero(&spec, ["schedulerName"], "default-scheduler")
        for list in ["initContainers", "containers"] { updateEach(&spec, [list], defaultContainer) }
        updateEach(&spec, ["volumes"], defaultVolume)
        return spec
    }

    private static func defaultContainer(_ container: JSON) -> JSON {
        var container = container
        let pullsLatest = imagePullsLatest(container["image"]?.stringValue ?? "")
        fillIfZero(&container, ["imagePullPolicy"], pullsLatest ? "Always" : "IfNotPresent")
        fillIfZero(&container, ["terminationMessagePath"], "/dev/termination-log")
        fillIfZero(&container, ["terminationMessagePolicy"], "File")
        updateEach(&container, ["ports"]) { filledIfZero($0, ["protocol"], "TCP") }
        updateEach(&container, ["env"]) { fieldRefDefaulted($0, ["valueFrom", "fieldRef"]) }
        for probe in ["livenessProbe", "readinessProbe", "startupProbe"] where container[probe]?.objectValue != nil {
            fillIfZero(&container, [probe, "timeoutSeconds"], 1)
            fillIfZero(&container, [probe, "periodSeconds"], 10)
            fillIfZero(&container, [probe, "successThreshold"], 1)
            fillIfZero(&container, [probe, "failureThreshold"], 3)
            defaultHTTPGet(&container, [probe, "httpGet"])
        }
        for hook in ["postStart", "preStop"] { defaultHTTPGet(&container, ["lifecycle", hook, "httpGet"]) }
        return container
    }

    private static func defaultHTTPGet(_ object: inout JSON, _ path: [String]) {
        guard object[path: path]?.objectValue != nil else { return }
        fillIfZero(&object, path + ["path"], "/")
        fillIfZero(&object, path + ["scheme"], "HTTP")
    }

    /// parsers.ParseImageName: an image without tag or digest means the `latest` tag, which is always pulled.
    /// An image reference that does not parse (here: an empty one) is not.
    private static func imagePullsLatest(_ image: String) -> Bool {
        guard !image.isEmpty else { return false }
        let digestStart = image.firstIndex(of: "@")
        let name = image[..<(digestStart ?? image.endIndex)]
        // A colon before the last slash belongs to a registry host:port, not to a tag.
        let lastComponent = name.split(separator: "/", omittingEmptySubsequences: false).last ?? name[...]
        guard let colon = lastComponent.firstIndex(of: ":") else { return digestStart == nil }
        return lastComponent[lastComponent.index(after: colon)...] == "latest"
    }

    private static func defaultVolume(_ volume: JSON) -> JSON {
        var volume = volume
        // SetDefaults_Volume: a volume that names no source is an emptyDir.
        if (volume.objectValue ?? [:]).keys.allSatisfy({ $0 == "name" }) { volume["emptyDir"] = [:] }
        for source in ["secret", "configMap", "downwardAPI", "projected"] where volume[source]?.objectValue != nil {
            fillIfAbsent(&volume, [source, "defaultMode"], 420)  // 0644
        }
        if volume["hostPath"]?.objectValue != nil { fillIfAbsent(&volume, ["hostPath", "type"], "") }
        updateEach(&volume, ["downwardAPI", "items"]) { fieldRefDefaulted($0, ["fieldRef"]) }
        return volume
    }

    /// SetDefaults_ObjectFieldSelector: a downward API field reference is to a v1 field.
    private static func fieldRefDefaulted(_ holder: JSON, _ path: [String]) -> JSON {
        guard holder[path: path]?.objectValue != nil else { return holder }
        return filledIfZero(holder, path + ["apiVersion"], "v1")
    }

    /// Only in a Pod: a container that sets limits but not requests requests its limits.
    private static func requestsDefaultedFromLimits(_ container: JSON) -> JSON {
        guard let limits = container[path: ["resources", "limits"]]?.objectValue else { return container }
        var container = container
        for (name, quantity) in limits { fillIfAbsent(&container, ["resources", "requests", name], quantity) }
        return container
    }

    /// Only in a Pod on the host network: container ports are host ports.
    private static func hostPortsDefaultedToContainerPorts(_ container: JSON) -> JSON {
        var container = container
        updateEach(&container, ["ports"]) { port in
            filledIfZero(port, ["hostPort"], port["containerPort"] ?? 0)
        }
        return container
    }

    /// qos.GetPodQOS: BestEffort without cpu or memory requests and limits; Guaranteed when every container
    /// limits both and the summed requests equal the summed limits; Burstable otherwise.
    private static func qosClass(of spec: JSON) -> String {
        let containers = (spec["containers"]?.arrayValue ?? []) + (spec["initContainers"]?.arrayValue ?? [])
        var requests: [String: Decimal] = [:]
        var limits: [String: Decimal] = [:]
        var limitsEverything = true
        func positiveComputeQuantities(_ list: JSON?) -> [String: Decimal] {
            (list?.objectValue ?? [:]).compactMapValues { value in
                value.stringValue.flatMap(quantity) ?? value.doubleValue.map { Decimal($0) }
            }.filter { ["cpu", "memory"].contains($0.key) && $0.value > 0 }
        }
        for container in containers {
            requests.merge(positiveComputeQuantities(container[path: ["resources", "requests"]]), uniquingKeysWith: +)
            let limited = positiveComputeQuantities(container[path: ["resources", "limits"]])
            limits.merge(limited, uniquingKeysWith: +)
            if limited["cpu"] == nil || limited["memory"] == nil { limitsEverything = false }
        }
        if requests.isEmpty && limits.isEmpty { return "BestEffort" }
        return limitsEverything && requests == limits ? "Guaranteed" : "Burstable"
    }

    /// A resource.Quantity's value: a decimal number with an optional SI, binary or exponent suffix.
    private static func quantity(_ text: String) -> Decimal? {
        let suffixes: [(String, Decimal)] = [
            ("Ki", 1024), ("Mi", pow(1024, 2)), ("Gi", pow(1024, 3)), ("Ti", pow(1024, 4)), ("Pi", pow(1024, 5)),
            ("Ei", pow(1024, 6)), ("n", Decimal(sign: .plus, exponent: -9, significand: 1)),
            ("u", Decimal(sign: .plus, exponent: -6, significand: 1)),
            ("m", Decimal(sign: .plus, exponent: -3, significand: 1)),
            ("k", pow(10, 3)), ("M", pow(10, 6)), ("G", pow(10, 9)), ("T", pow(10, 12)), ("P", pow(10, 15)),
            ("E", pow(10, 18)),
        ]
        for (suffix, multiplier) in suffixes where text.hasSuffix(suffix) {
            return Decimal(string: String(text.dropLast(suffix.count)), locale: Locale(identifier: "en_US_POSIX"))
                .map { $0 * multiplier }
        }
        return Decimal(string: text, locale: Locale(identifier: "en_US_POSIX"))
    }

    // MARK: - Services and endpoints

    private static func serviceType(_ service: JSON) -> String {
        let type = service[path: ["spec", "type"]]?.stringValue ?? ""
        return type.isEmpty ? "ClusterIP" : type
    }

    /// SetDefaults_Service.
    private static func defaultService(_ service: JSON) -> JSON {
        var service = service
        fillIfZero(&service, ["spec", "sessionAffinity"], "None")
        switch service[path: ["spec", "sessionAffinity"]]?.stringValue {
        case "None":
            service[path: ["spec", "sessionAffinityConfig"]] = nil
        case "ClientIP" where service[path: ["spec", "sessionAffinityConfig", "clientIP", "timeoutSeconds"]] == nil:
            service[path: ["spec", "sessionAffinityConfig"]] = ["clientIP": ["timeoutSeconds": 10800]]
        default:
            break
        }
        fillIfZero(&service, ["spec", "type"], "ClusterIP")
        updateEach(&service, ["spec", "ports"]) { port in
            var port = port
            fillIfZero(&port, ["protocol"], "TCP")
            fillIfZero(&port, ["targetPort"], port["port"] ?? 0)
            return port
        }
        let type = serviceType(service)
        let externalIPs = service[path: ["spec", "externalIPs"]]?.arrayValue ?? []
        if type == "NodePort" || type == "LoadBalancer" || (type == "ClusterIP" && !externalIPs.isEmpty) {
            fillIfZero(&service, ["spec", "externalTrafficPolicy"], "Cluster")
        }
        if type != "ExternalName" { fillIfAbsent(&service, ["spec", "internalTrafficPolicy"], "Cluster") }
        if type == "LoadBalancer" {
            fillIfAbsent(&service, ["spec", "allocateLoadBalancerNodePorts"], true)
            updateEach(&service, ["status", "loadBalancer", "ingress"]) { ingress in
                (ingress["ip"]?.stringValue ?? "").isEmpty ? ingress : filledIfAbsent(ingress, ["ipMode"], "VIP")
            }
        }
        return service
    }

    /// What the service registry assigns on create in a single-stack IPv4 cluster with the default service
    /// CIDR 10.96.0.0/12: IP family fields, a cluster IP, node ports.
    private static func allocateServiceAddresses(_ service: JSON) -> JSON {
        let type = serviceType(service)
        guard type != "ExternalName" else { return service }
        var spec = service["spec"] ?? [:]
        // clusterIP is clusterIPs[0] seen through the older field.
        var clusterIPs = (spec["clusterIPs"]?.arrayValue ?? []).compactMap(\.stringValue)
        let clusterIP = spec["clusterIP"]?.stringValue ?? ""
        if clusterIPs.isEmpty, !clusterIP.isEmpty { clusterIPs = [clusterIP] }
        let headless = clusterIPs.first == "None"
        let selectorless = (spec["selector"]?.objectValue ?? [:]).isEmpty
        // A headless service without selector may point at endpoints of either family.
        let anyFamily = headless && selectorless
        fillIfAbsent(&spec, ["ipFamilyPolicy"], anyFamily ? "RequireDualStack" : "SingleStack")
        if (spec["ipFamilies"]?.arrayValue ?? []).isEmpty {
            let dualStack = anyFamily && spec["ipFamilyPolicy"]?.stringValue != "SingleStack"
            spec["ipFamilies"] = dualStack ? ["IPv4", "IPv6"] : ["IPv4"]
        }
        if clusterIPs.isEmpty { clusterIPs = [randomServiceIP()] }
        spec["clusterIP"] = .string(clusterIPs[0])
        spec["clusterIPs"] = .array(clusterIPs.map(JSON.string))

        let allocatesNodePorts = type == "NodePort"
            || (type == "LoadBalancer" && spec["allocateLoadBalancerNodePorts"]?.boolValue != false)
        if allocatesNodePorts {
            var taken = Set((spec["ports"]?.arrayValue ?? []).compactMap { $0["nodePort"]?.intValue })
            updateEach(&spec, ["ports"]) { port in
                guard (port["nodePort"]?.intValue ?? 0) == 0,
                      let nodePort = (Int64(30000)...32767).filter({ !taken.contains($0) }).randomElement()
                else { return port }
                taken.insert(nodePort)
                return filledIfZero(port, ["nodePort"], .int(nodePort))
            }
        }
        var service = service
        service["spec"] = spec
        return service
    }

    /// A random address of the allocator's dynamic band: above the first 256 addresses (kept for static
    /// assignment, 10.96.0.1 being the kubernetes service's), below the broadcast address. Uniqueness is
    /// not tracked; clashes among a million addresses are left to chance.
    private static func randomServiceIP() -> String {
        let offset = UInt32.random(in: 256...((1 << 20) - 2))
        let address = (UInt32(10) << 24 | UInt32(96) << 16) + offset
        return [24, 16, 8, 0].map { String(address >> $0 & 0xFF) }.joined(separator: ".")
    }

    private static func defaultEndpoints(_ endpoints: JSON) -> JSON {
        var endpoints = endpoints
        updateEach(&endpoints, ["subsets"]) { subset in
            var subset = subset
            updateEach(&subset, ["ports"]) { filledIfZero($0, ["protocol"], "TCP") }
            return subset
        }
        return endpoints
    }

    // MARK: - Workloads

    /// SetDefaults_Deployment (apps/v1).
    private static func defaultDeployment(_ deployment: JSON) -> JSON {
        var deployment = deployment
        fillIfAbsent(&deployment, ["spec", "replicas"], 1)
        fillIfZero(&deployment, ["spec", "strategy", "type"], "RollingUpdate")
        if deployment[path: ["spec", "strategy", "type"]] == "RollingUpdate" {
            fillIfAbsent(&deployment, ["spec", "strategy", "rollingUpdate", "maxUnavailable"], "25%")
            fillIfAbsent(&deployment, ["spec", "strategy", "rollingUpdate", "maxSurge"], "25%")
        }
        fillIfAbsent(&deployment, ["spec", "revisionHistoryLimit"], 10)
        fillIfAbsent(&deployment, ["spec", "progressDeadlineSeconds"], 600)
        return defaultPodTemplate(deployment)
    }

    /// SetDefaults_HorizontalPodAutoscaler (autoscaling/v2): one replica at least, 80% CPU as the metric, and
    /// the controller's scaling rules written out for whatever `behavior` leaves open.
    private static func defaultHorizontalPodAutoscaler(_ hpa: JSON) -> JSON {
        var hpa = hpa
        fillIfAbsent(&hpa, ["spec", "minReplicas"], 1)
        if (hpa[path: ["spec", "metrics"]]?.arrayValue ?? []).isEmpty {
            hpa[path: ["spec", "metrics"]] = [[
                "type": "Resource",
                "resource": ["name": "cpu", "target": ["type": "Utilization", "averageUtilization": 80]],
            ]]
        }
        guard hpa[path: ["spec", "behavior"]]?.objectValue != nil else { return hpa }
        let scaleUp: [String: JSON] = [
            "stabilizationWindowSeconds": 0, "selectPolicy": "Max",
            "policies": [
                ["type": "Pods", "value": 4, "periodSeconds": 15],
                ["type": "Percent", "value": 100, "periodSeconds": 15],
            ],
        ]
        // Scaling down gets no window here: the controller's --horizontal-pod-autoscaler-downscale-stabilization
        // flag applies.
        let scaleDown: [String: JSON] = [
            "selectPolicy": "Max", "policies": [["type": "Percent", "value": 100, "periodSeconds": 15]],
        ]
        for (direction, defaults) in [("scaleUp", scaleUp), ("scaleDown", scaleDown)] {
            for (field, value) in defaults { fillIfAbsent(&hpa, ["spec", "behavior", direction, field], value) }
        }
        return hpa
    }
}
