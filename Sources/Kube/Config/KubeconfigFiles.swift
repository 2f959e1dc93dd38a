import Foundation
import Yams

/// One or more kubeconfig files merged as kubectl merges `KUBECONFIG`: for each named cluster, user and context
/// (and for current-context) the first file that sets it wins. Each entry remembers its file, because relative
/// paths in it are relative to that file and errors should point at it.
struct KubeconfigFiles {
    private var clusters: [String: Entry<Cluster>] = [:]
    private var users: [String: Entry<User>] = [:]
    private var contexts: [String: Entry<Context>] = [:]
    private var currentContext: String?
    private let paths: [String]

    struct Entry<Value> {
        var value: Value
        var file: String
    }

    init(paths: [String]) throws(KubeConfigError) {
        self.paths = paths
        for path in paths {
            let file = try Self.parse(path)
            for named in file.clusters ?? [] where clusters[named.name] == nil {
                clusters[named.name] = Entry(value: named.cluster ?? Cluster(), file: path)
            }
            for named in file.users ?? [] where users[named.name] == nil {
                users[named.name] = Entry(value: named.user ?? User(), file: path)
            }
            for named in file.contexts ?? [] where contexts[named.name] == nil {
                contexts[named.name] = Entry(value: named.context ?? Context(), file: path)
            }
            if currentContext == nil, let name = file.currentContext, !name.isEmpty { currentContext = name }
        }
    }

    private static func parse(_ path: String) throws(KubeConfigError) -> File {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw KubeConfigError("cannot read kubeconfig \(path): \(error.localizedDescription)")
        }
        do {
            return try YAMLDecoder().decode(File?.self, from: text) ?? File()
        } catch {
            throw KubeConfigError("kubeconfig \(path) is not valid: \(error)")
        }
    }

    private var fileList: String { paths.joined(separator: ", ") }

    func resolve(contextName requested: String?) throws(KubeConfigError) -> KubeConfig {
        guard let contextName = requested ?? currentContext else {
            throw KubeConfigError("no current-context in \(fileList) and no context given"
                + " (contexts: \(contexts.keys.sorted().joined(separator: ", ")))")
        }
        guard let context = contexts[contextName] else {
            throw KubeConfigError("context \"\(contextName)\" not found in \(fileList)"
                + " (contexts: \(contexts.keys.sorted().joined(separator: ", ")))")
        }
        guard let clusterName = context.value.cluster, !clusterName.isEmpty else {
            throw KubeConfigError("context \"\(contextName)\" in \(context.file) has no cluster (contexts[].context.cluster)")
        }
        guard let cluster = clusters[clusterName] else {
            throw KubeConfigError("cluster \"\(clusterName)\" of context \"\(contextName)\" not found in \(fileList)")
        }
        let clusterPlace = "cluster \"\(clusterName)\" in \(cluster.file)"
        guard let server = cluster.value.server, !server.isEmpty else {
            throw KubeConfigError("\(clusterPlace) has no server (clusters[].cluster.server)")
        }
        let authority = try pem(
            data: cluster.value.certificateAuthorityData, dataField: "certificate-authority-data",
            path: cluster.value.certificateAuthority, pathField: "certificate-authority", place: clusterPlace,
            file: cluster.file)
        let insecure = cluster.value.insecureSkipTLSVerify ?? false
        if insecure, authority != nil {
            // kubectl refuses the combination too: it is almost always a forgotten leftover.
            throw KubeConfigError("\(clusterPlace) sets both insecure-skip-tls-verify and a certificate authority")
        }
        var config = KubeConfig(
            server: server, namespace: context.value.namespace.flatMap { $0.isEmpty ? nil : $0 } ?? "default",
            certificateAuthority: authority, insecureSkipTLSVerify: insecure,
            origin: "context \"\(contextName)\" in \(context.file)")
        if let userName = context.value.user, !userName.isEmpty {
            guard let user = users[userName] else {
                throw KubeConfigError("user \"\(userName)\" of context \"\(contextName)\" not found in \(fileList)")
            }
            try apply(user, named: userName, to: &config)
        }
        return config
    }

    private func apply(_ user: Entry<User>, named name: String, to config: inout KubeConfig) throws(KubeConfigError) {
        let place = "user \"\(name)\" in \(user.file)"
        let certificate = try pem(
            data: user.value.clientCertificateData, dataField: "client-certificate-data",
            path: user.value.clientCertificate, pathField: "client-certificate", place: place, file: user.file)
        let key = try pem(
            data: user.value.clientKeyData, dataField: "client-key-data",
            path: user.value.clientKey, pathField: "client-key", place: place, file: user.file)
        switch (certificate, key) {
        case (nil, nil): break
        case (.some, nil): throw KubeConfigError("\(place) has a client certificate but no client-key(-data)")
        case (nil, .some): throw KubeConfigError("\(place) has a client key but no client-certificate(-data)")
        case (.some, .some): (config.clientCertificate, config.clientKey) = (certificate, key)
        }
        // client-go: a token file, re-read as it changes, takes precedence over a literal token.
        if let tokenFile = user.value.tokenFile, !tokenFile.isEmpty {
            let path = Self.resolve(tokenFile, relativeTo: user.file)
            _ = try BearerTokenFile.read(path)
            config.credentials = .bearerTokenFile(path)
        } else if let token = user.value.token, !token.isEmpty {
            config.credentials = .bearerToken(token)
        } else if certificate == nil, let unsupported = user.value.unsupportedMechanism {
            throw KubeConfigError("\(place) authenticates with \(unsupported), which this client does not support;"
                + " use a token, tokenFile or client certificate")
        }
    }

    /// `-data` (base64, inline) wins over the file path, as in client-go.
    private func pem(
        data: String?, dataField: String, path: String?, pathField: String, place: String, file: String
    ) throws(KubeConfigError) -> KubeConfig.PEM? {
        if let data, !data.isEmpty {
            guard let bytes = Data(base64Encoded: data, options: .ignoreUnknownCharacters) else {
                throw KubeConfigError("\(dataField) of \(place) is not valid base64")
            }
            return KubeConfig.PEM(bytes: [UInt8](bytes), origin: "\(dataField) of \(place)")
        }
        guard let path, !path.isEmpty else { return nil }
        let resolved = Self.resolve(path, relativeTo: file)
        let bytes = try KubeConfig.readFile(resolved, purpose: "\(pathField) of \(place)")
        return KubeConfig.PEM(bytes: bytes, origin: "\(pathField) \(resolved) of \(place)")
    }

    /// kubectl resolves relative paths in a kubeconfig against the directory of the file that holds them.
    static func resolve(_ path: String, relativeTo file: String) -> String {
        if path.hasPrefix("/") { return path }
        return URL(fileURLWithPath: file).deletingLastPathComponent().appendingPathComponent(path).standardized.path
    }
}

// MARK: - The file format (only the fields this client uses)

extension KubeconfigFiles {
    struct File: Decodable {
        var clusters: [NamedCluster]?
        var users: [NamedUser]?
        var contexts: [NamedContext]?
        var currentContext: String?

        enum CodingKeys: String, CodingKey {
            case clusters, users, contexts
            case currentContext = "current-context"
        }
    }

    struct NamedCluster: Decodable {
        var name: String
        var cluster: Cluster?
    }

    struct NamedUser: Decodable {
        var name: String
        var user: User?
    }

    struct NamedContext: Decodable {
        var name: String
        var context: Context?
    }

    struct Cluster: Decodable {
        var server: String?
        var certificateAuthority: String?
        var certificateAuthorityData: String?
        var insecureSkipTLSVerify: Bool?

        enum CodingKeys: String, CodingKey {
            case server
            case certificateAuthority = "certificate-authority"
            case certificateAuthorityData = "certificate-authority-data"
            case insecureSkipTLSVerify = "insecure-skip-tls-verify"
        }
    }

    struct User: Decodable {
        var token: String?
        var tokenFile: String?
        var clientCertificate: String?
        var clientCertificateData: String?
        var clientKey: String?
        var clientKeyData: String?
        var username: String?
        var exec: Present?
        var authProvider: Present?

        enum CodingKeys: String, CodingKey {
            case token, tokenFile, username, exec
            case clientCertificate = "client-certificate"
            case clientCertificateData = "client-certificate-data"
            case clientKey = "client-key"
            case clientKeyData = "client-key-data"
            case authProvider = "auth-provider"
        }

        /// The kubeconfig field of a mechanism kubectl knows and this client does not.
        var unsupportedMechanism: String? {
            if exec != nil { return "exec (a credential plugin)" }
            if authProvider != nil { return "auth-provider" }
            if username != nil { return "username/password" }
            return nil
        }
    }

    struct Context: Decodable {
        var cluster: String?
        var user: String?
        var namespace: String?
    }

    /// A field whose presence matters and whose content does not.
    struct Present: Decodable {
        init(from decoder: any Decoder) {}
    }
}
