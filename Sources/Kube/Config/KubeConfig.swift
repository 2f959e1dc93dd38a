import Foundation

/// Where the API server is and how to authenticate to it: from kubeconfig files (as kubectl reads them) or from
/// the service account a pod runs as.
public struct KubeConfig: Sendable {
    /// `https://host:port`, possibly with a path prefix (a proxy in front of the API server).
    public var server: String
    /// The context's namespace, `default` when it names none: where single-object calls go without a namespace.
    public var namespace: String
    /// The only authority trusted for the server's certificate; the system roots when nil.
    public var certificateAuthority: PEM?
    public var insecureSkipTLSVerify: Bool
    public var clientCertificate: PEM?
    public var clientKey: PEM?
    public var credentials: Credentials
    /// Where this came from, for messages: `context "devcluster" in /tmp/kubeconfig`, or `in-cluster`.
    public var origin: String

    public init(
        server: String, namespace: String = "default", certificateAuthority: PEM? = nil,
        insecureSkipTLSVerify: Bool = false, clientCertificate: PEM? = nil, clientKey: PEM? = nil,
        credentials: Credentials = .none, origin: String = "configured in code"
    ) {
        self.server = server
        self.namespace = namespace
        self.certificateAuthority = certificateAuthority
        self.insecureSkipTLSVerify = insecureSkipTLSVerify
        self.clientCertificate = clientCertificate
        self.clientKey = clientKey
        self.credentials = credentials
        self.origin = origin
    }

    /// PEM text and where it was read from. Printing it shows only the origin: a client key is a secret.
    public struct PEM: Sendable, Hashable, CustomStringConvertible, CustomReflectable {
        public var bytes: [UInt8]
        /// `certificate-authority-data of cluster "devcluster" in /tmp/kubeconfig`.
        public var origin: String

        public init(bytes: [UInt8], origin: String) {
            self.bytes = bytes
            self.origin = origin
        }

        public var description: String { origin }
        public var customMirror: Mirror { Mirror(self, children: ["origin": origin]) }
    }

    /// How requests authenticate (besides a client certificate). Printing never shows a token.
    public enum Credentials: Sendable, Hashable, CustomStringConvertible, CustomReflectable {
        case none
        case bearerToken(String)
        /// Read again whenever the file changes: projected service account tokens rotate.
        case bearerTokenFile(String)

        public var description: String {
            switch self {
            case .none: "none"
            case .bearerToken: "bearer token (redacted)"
            case .bearerTokenFile(let path): "bearer token file \(path)"
            }
        }

        public var customMirror: Mirror { Mirror(self, children: ["credentials": description]) }
    }
}

/// A configuration that cannot be used; the message names the file and the field.
public struct KubeConfigError: Error, Sendable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}

// MARK: - Choosing a source

extension KubeConfig {
    /// What the operator and the media pods use: `kubeconfig` when given, else the pod's service account when
    /// running in a cluster, else `KUBECONFIG` / `~/.kube/config`.
    public static func load(
        kubeconfig: String? = nil, context: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        serviceAccountDirectory: String = KubeConfig.serviceAccountDirectory
    ) throws(KubeConfigError) -> KubeConfig {
        if let kubeconfig { return try fromKubeconfig(files: [kubeconfig], context: context) }
        if context == nil, environment[serviceHostVariable] != nil {
            return try inCluster(environment: environment, serviceAccountDirectory: serviceAccountDirectory)
        }
        return try fromKubeconfig(environment: environment, context: context)
    }

    /// kubectl's lookup: the files of `KUBECONFIG` (separated by `:`, missing ones skipped, merged with the first
    /// file winning), or `$HOME/.kube/config`.
    public static func fromKubeconfig(
        environment: [String: String] = ProcessInfo.processInfo.environment, context: String? = nil
    ) throws(KubeConfigError) -> KubeConfig {
        let listed = (environment["KUBECONFIG"] ?? "").split(separator: ":").map(String.init).filter { !$0.isEmpty }
        if listed.isEmpty {
            let home = environment["HOME"] ?? NSHomeDirectory()
            return try fromKubeconfig(files: [home + "/.kube/config"], context: context)
        }
        let existing = listed.filter { FileManager.default.fileExists(atPath: $0) }
        guard !existing.isEmpty else {
            throw KubeConfigError("no kubeconfig found: none of the KUBECONFIG files exist (\(listed.joined(separator: ", ")))")
        }
        return try fromKubeconfig(files: existing, context: context)
    }

    /// The given kubeconfig files merged as kubectl merges them; `context` defaults to their current-context.
    public static func fromKubeconfig(files: [String], context: String? = nil) throws(KubeConfigError) -> KubeConfig {
        let merged = try KubeconfigFiles(paths: files)
        return try merged.resolve(contextName: context)
    }

    static func readFile(_ path: String, purpose: String) throws(KubeConfigError) -> [UInt8] {
        do {
            return [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw KubeConfigError("cannot read \(path) (\(purpose)): \(error.localizedDescription)")
        }
    }
}
