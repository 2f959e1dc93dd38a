import Foundation

// The configuration of a pod's service account: kubelet mounts a token (rotated), the cluster CA and the pod's
// namespace, and sets the environment variables that say where the API server is.
extension KubeConfig {
    public static let serviceAccountDirectory = "/var/run/secrets/kubernetes.io/serviceaccount"
    static let serviceHostVariable = "KUBERNETES_SERVICE_HOST"
    static let servicePortVariable = "KUBERNETES_SERVICE_PORT"

    /// The pod's own service account. `serviceAccountDirectory` holds `token`, `ca.crt` and `namespace`; tests
    /// point it at a temporary directory.
    public static func inCluster(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        serviceAccountDirectory: String = KubeConfig.serviceAccountDirectory
    ) throws(KubeConfigError) -> KubeConfig {
        guard let host = environment[serviceHostVariable], !host.isEmpty,
              let port = environment[servicePortVariable], !port.isEmpty
        else {
            throw KubeConfigError(
                "not running in a cluster: \(serviceHostVariable) and \(servicePortVariable) must both be set")
        }
        let directory = URL(fileURLWithPath: serviceAccountDirectory)
        let tokenPath = directory.appendingPathComponent("token").path
        let authorityPath = directory.appendingPathComponent("ca.crt").path
        // Read once now so that a missing mount fails at start with its path, not at the first request.
        _ = try BearerTokenFile.read(tokenPath)
        let authority = try readFile(authorityPath, purpose: "the service account CA")
        let namespaceText = try? String(
            contentsOfFile: directory.appendingPathComponent("namespace").path, encoding: .utf8)
        let namespace = namespaceText?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        // An IPv6 service address needs brackets in a URL.
        let urlHost = host.contains(":") ? "[\(host)]" : host
        return KubeConfig(
            server: "https://\(urlHost):\(port)", namespace: namespace.isEmpty ? "default" : namespace,
            certificateAuthority: PEM(bytes: authority, origin: authorityPath),
            credentials: .bearerTokenFile(tokenPath), origin: "in-cluster (\(serviceAccountDirectory))")
    }
}
