import Foundation
import Testing
@testable import Kube

/// A directory of files for one test, removed afterwards.
struct TemporaryDirectory: ~Copyable {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("kube-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    /// Writes `text` to `name` (subdirectories are created) and returns its path.
    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        let file = url.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: file, options: .atomic)
        return file.path
    }
}

func base64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }

@Suite struct KubeConfigTests {
    @Test func tokenAuthorityDataAndNamespaceOfTheCurrentContext() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write("config", """
            apiVersion: v1
            kind: Config
            clusters:
            - name: dev
              cluster:
                server: https://127.0.0.1:6443
                certificate-authority-data: \(base64("AUTHORITY PEM"))
            users:
            - name: admin
              user:
                token: abc123
            contexts:
            - name: dev
              context: {cluster: dev, user: admin, namespace: studio}
            - name: other
              context: {cluster: dev, user: admin}
            current-context: dev
            """)
        let config = try KubeConfig.fromKubeconfig(files: [path])
        #expect(config.server == "https://127.0.0.1:6443")
        #expect(config.namespace == "studio")
        #expect(config.certificateAuthority?.bytes == Array("AUTHORITY PEM".utf8))
        #expect(config.certificateAuthority?.origin == "certificate-authority-data of cluster \"dev\" in \(path)")
        #expect(config.credentials == .bearerToken("abc123"))
        #expect(!config.insecureSkipTLSVerify)
        #expect(config.origin == "context \"dev\" in \(path)")
        // Printing a configuration never shows the token.
        #expect(!"\(config)".contains("abc123"))
        var dumped = ""
        dump(config, to: &dumped)
        #expect(!dumped.contains("abc123"))

        let other = try KubeConfig.fromKubeconfig(files: [path], context: "other")
        #expect(other.namespace == "default")
    }

    @Test func authorityAndClientCertificateFilesAreRelativeToTheKubeconfig() throws {
        let directory = try TemporaryDirectory()
        try directory.write("pki/ca.crt", "CA FILE")
        try directory.write("pki/client.crt", "CLIENT CERT FILE")
        try directory.write("pki/client.key", "CLIENT KEY FILE")
        let path = try directory.write("kube/config", """
            clusters:
            - name: c
              cluster: {server: "https://10.0.0.1", certificate-authority: ../pki/ca.crt}
            users:
            - name: u
              user:
                client-certificate: ../pki/client.crt
                client-key: \(directory.url.path)/pki/client.key
            contexts:
            - name: x
              context: {cluster: c, user: u}
            current-context: x
            """)
        let config = try KubeConfig.fromKubeconfig(files: [path])
        #expect(config.certificateAuthority?.bytes == Array("CA FILE".utf8))
        #expect(config.certificateAuthority?.origin.contains("\(directory.url.path)/pki/ca.crt") == true)
        #expect(config.clientCertificate?.bytes == Array("CLIENT CERT FILE".utf8))
        #expect(config.clientKey?.bytes == Array("CLIENT KEY FILE".utf8))
        #expect(config.credentials == .none)
        // The key's description names where it came from, not what it holds.
        #expect(!"\(config.clientKey!)".contains("CLIENT KEY FILE"))
    }

    @Test func inlineDataWinsOverFiles() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write("config", """
            clusters:
            - name: c
              cluster: {server: "https://h", certificate-authority: missing.crt, certificate-authority-data: \(base64("INLINE CA"))}
            users:
            - name: u
              user:
                client-certificate: missing.crt
                client-certificate-data: \(base64("INLINE CERT"))
                client-key-data: \(base64("INLINE KEY"))
            contexts: [{name: x, context: {cluster: c, user: u}}]
            current-context: x
            """)
        let config = try KubeConfig.fromKubeconfig(files: [path])
        #expect(config.certificateAuthority?.bytes == Array("INLINE CA".utf8))
        #expect(config.clientCertificate?.bytes == Array("INLINE CERT".utf8))
        #expect(config.clientKey?.bytes == Array("INLINE KEY".utf8))
    }

    @Test func insecureSkipTLSVerify() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write("config", """
            clusters: [{name: c, cluster: {server: "https://h:6443", insecure-skip-tls-verify: true}}]
            users: [{name: u, user: {token: t}}]
            contexts: [{name: x, context: {cluster: c, user: u}}]
            current-context: x
            """)
        let config = try KubeConfig.fromKubeconfig(files: [path])
        #expect(config.insecureSkipTLSVerify)
        #expect(config.certificateAuthority == nil)

        let both = try directory.write("both", """
            clusters: [{name: c, cluster: {server: "https://h", insecure-skip-tls-verify: true, certificate-authority-data: \(base64("CA"))}}]
            contexts: [{name: x, context: {cluster: c}}]
            current-context: x
            """)
        let error = #expect(throws: KubeConfigError.self) { try KubeConfig.fromKubeconfig(files: [both]) }
        #expect(error?.message.contains("insecure-skip-tls-verify") == true)
        #expect(error?.message.contains(both) == true)
    }

    @Test func tokenFileIsRelativeAndWinsOverAToken() throws {
        let directory = try TemporaryDirectory()
        try directory.write("secrets/token", "from-file\n")
        let path = try directory.write("config", """
            clusters: [{name: c, cluster: {server: "https://h"}}]
            users: [{name: u, user: {token: literal, tokenFile: secrets/token}}]
            contexts: [{name: x, context: {cluster: c, user: u}}]
            current-context: x
            """)
        let config = try KubeConfig.fromKubeconfig(files: [path])
        #expect(config.credentials == .bearerTokenFile("\(directory.url.path)/secrets/token"))
        #expect(try BearerTokenFile(path: "\(directory.url.path)/secrets/token").token() == "from-file")
    }

    @Test func kubeconfigVariableMergesFilesFirstOneWinning() throws {
        let directory = try TemporaryDirectory()
        let first = try directory.write("first", """
            clusters: [{name: shared, cluster: {server: "https://first"}}]
            users: [{name: alice, user: {token: first-token}}]
            contexts: [{name: a, context: {cluster: shared, user: alice, namespace: from-first}}]
            current-context: a
            """)
        let second = try directory.write("second", """
            clusters:
            - {name: shared, cluster: {server: "https://second"}}
            - {name: own, cluster: {server: "https://own"}}
            users: [{name: alice, user: {token: second-token}}, {name: bob, user: {token: bob-token}}]
            contexts:
            - {name: a, context: {cluster: own, user: bob}}
            - {name: b, context: {cluster: shared, user: bob}}
            current-context: b
            """)
        let missing = directory.url.appendingPathComponent("does-not-exist").path
        let environment = ["KUBECONFIG": "\(missing):\(first)::\(second)", "HOME": "/nonexistent"]

        let current = try KubeConfig.fromKubeconfig(environment: environment)
        #expect(current.server == "https://first")
        #expect(current.credentials == .bearerToken("first-token"))
        #expect(current.namespace == "from-first")

        // Context b exists only in the second file; its cluster "shared" comes from the first.
        let b = try KubeConfig.fromKubeconfig(environment: environment, context: "b")
        #expect(b.server == "https://first")
        #expect(b.credentials == .bearerToken("bob-token"))
        #expect(b.origin == "context \"b\" in \(second)")

        let reversed = try KubeConfig.fromKubeconfig(environment: ["KUBECONFIG": "\(second):\(first)"])
        #expect(reversed.server == "https://second")
        #expect(reversed.credentials == .bearerToken("bob-token"))
    }

    @Test func homeKubeconfigWhenTheVariableIsUnset() throws {
        let directory = try TemporaryDirectory()
        try directory.write(".kube/config", """
            clusters: [{name: c, cluster: {server: "https://home"}}]
            contexts: [{name: x, context: {cluster: c}}]
            current-context: x
            """)
        let config = try KubeConfig.fromKubeconfig(environment: ["HOME": directory.url.path])
        #expect(config.server == "https://home")
        #expect(config.credentials == .none)

        let error = #expect(throws: KubeConfigError.self) {
            try KubeConfig.fromKubeconfig(environment: ["HOME": directory.url.path + "/nowhere"])
        }
        #expect(error?.message.contains("nowhere/.kube/config") == true)
    }

    @Test func missingContextClusterUserAndServerAreNamed() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write("config", """
            clusters: [{name: no-server, cluster: {}}]
            users: []
            contexts:
            - {name: a, context: {cluster: no-server}}
            - {name: b, context: {cluster: absent}}
            - {name: c, context: {cluster: no-server, user: ghost}}
            - {name: d, context: {user: ghost}}
            """)
        func failure(_ context: String?) -> String {
            let error = #expect(throws: KubeConfigError.self) { try KubeConfig.fromKubeconfig(files: [path], context: context) }
            return error?.message ?? ""
        }
        let noCurrent = failure(nil)
        #expect(noCurrent.contains("no current-context") && noCurrent.contains(path))
        let unknown = failure("nope")
        #expect(unknown.contains("context \"nope\" not found") && unknown.contains(path) && unknown.contains("a, b, c, d"))
        #expect(failure("a") == "cluster \"no-server\" in \(path) has no server (clusters[].cluster.server)")
        #expect(failure("b").contains("cluster \"absent\" of context \"b\" not found in \(path)"))
        #expect(failure("d").contains("context \"d\" in \(path) has no cluster"))
    }

    @Test func userProblemsAreNamed() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write("config", """
            clusters: [{name: c, cluster: {server: "https://h"}}]
            users:
            - {name: plugin, user: {exec: {command: aws, apiVersion: client.authentication.k8s.io/v1}}}
            - {name: half, user: {client-certificate-data: \(base64("CERT"))}}
            - {name: bad, user: {client-certificate-data: "!!!", client-key-data: "@@@"}}
            - {name: gone, user: {tokenFile: /nonexistent/token}}
            contexts:
            - {name: plugin, context: {cluster: c, user: plugin}}
            - {name: half, context: {cluster: c, user: half}}
            - {name: bad, context: {cluster: c, user: bad}}
            - {name: gone, context: {cluster: c, user: gone}}
            - {name: ghost, context: {cluster: c, user: ghost}}
            """)
        func failure(_ context: String) -> String {
            let error = #expect(throws: KubeConfigError.self) { try KubeConfig.fromKubeconfig(files: [path], context: context) }
            return error?.message ?? ""
        }
        #expect(failure("plugin").contains("user \"plugin\" in \(path) authenticates with exec"))
        #expect(failure("half") == "user \"half\" in \(path) has a client certificate but no client-key(-data)")
        #expect(failure("bad") == "client-certificate-data of user \"bad\" in \(path) is not valid base64")
        #expect(failure("gone").contains("/nonexistent/token"))
        #expect(failure("ghost") == "user \"ghost\" of context \"ghost\" not found in \(path)")
    }

    @Test func unreadableOrInvalidFilesAreNamed() throws {
        let directory = try TemporaryDirectory()
        let broken = try directory.write("broken", "clusters: [unclosed")
        let parse = #expect(throws: KubeConfigError.self) { try KubeConfig.fromKubeconfig(files: [broken]) }
        #expect(parse?.message.hasPrefix("kubeconfig \(broken) is not valid") == true)
        let absent = directory.url.appendingPathComponent("absent").path
        let read = #expect(throws: KubeConfigError.self) { try KubeConfig.fromKubeconfig(files: [absent]) }
        #expect(read?.message.hasPrefix("cannot read kubeconfig \(absent)") == true)
        let none = #expect(throws: KubeConfigError.self) {
            try KubeConfig.fromKubeconfig(environment: ["KUBECONFIG": "\(absent):\(absent)2"])
        }
        #expect(none?.message.contains("none of the KUBECONFIG files exist") == true)
    }

    @Test func unusableCertificateIsNamedWhenTheClientIsBuilt() {
        let origin = "certificate-authority-data of cluster \"c\" in /k"
        let config = KubeConfig(server: "https://h", certificateAuthority: .init(bytes: Array("junk".utf8), origin: origin))
        let error = #expect(throws: KubeConfigError.self) { _ = try KubeClient(config: config) }
        #expect(error?.message == "\(origin) holds no PEM certificate")
    }
}
