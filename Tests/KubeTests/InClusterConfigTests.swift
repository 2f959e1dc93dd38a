import Foundation
import Testing
@testable import Kube

@Suite struct InClusterConfigTests {
    let environment = ["KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"]

    /// A service account mount laid out as kubelet does: every file a symlink into `..data`, itself a symlink to
    /// a timestamped directory that a rotation replaces.
    func mountServiceAccount(in directory: borrowing TemporaryDirectory, token: String, generation: Int) throws {
        let data = "..\(generation)"
        try directory.write("\(data)/token", token)
        try directory.write("\(data)/ca.crt", "CLUSTER CA")
        try directory.write("\(data)/namespace", "studio\n")
        let files = FileManager.default
        let link = directory.url.appendingPathComponent("..data_tmp").path
        try files.createSymbolicLink(atPath: link, withDestinationPath: data)
        // rename(2) over the old link is atomic, as kubelet's AtomicWriter does it.
        guard rename(link, directory.url.appendingPathComponent("..data").path) == 0 else {
            throw KubeConfigError("rename failed")
        }
        for name in ["token", "ca.crt", "namespace"] {
            let path = directory.url.appendingPathComponent(name).path
            if (try? files.destinationOfSymbolicLink(atPath: path)) == nil {
                try files.createSymbolicLink(atPath: path, withDestinationPath: "..data/\(name)")
            }
        }
    }

    @Test func serviceAccountFilesAndEnvironment() throws {
        let directory = try TemporaryDirectory()
        try mountServiceAccount(in: directory, token: "token-1", generation: 1)
        let config = try KubeConfig.inCluster(environment: environment, serviceAccountDirectory: directory.url.path)
        #expect(config.server == "https://10.96.0.1:443")
        #expect(config.namespace == "studio")
        #expect(config.certificateAuthority?.bytes == Array("CLUSTER CA".utf8))
        #expect(config.credentials == .bearerTokenFile(directory.url.appendingPathComponent("token").path))

        var ipv6 = environment
        ipv6["KUBERNETES_SERVICE_HOST"] = "fd00::1"
        let v6 = try KubeConfig.inCluster(environment: ipv6, serviceAccountDirectory: directory.url.path)
        #expect(v6.server == "https://[fd00::1]:443")

        // `load` prefers the service account when the kubelet environment is there and no kubeconfig is named.
        let loaded = try KubeConfig.load(environment: environment, serviceAccountDirectory: directory.url.path)
        #expect(loaded.origin.hasPrefix("in-cluster"))
    }

    @Test func missingEnvironmentOrMountIsExplained() throws {
        let directory = try TemporaryDirectory()
        let noEnvironment = #expect(throws: KubeConfigError.self) {
            try KubeConfig.inCluster(environment: [:], serviceAccountDirectory: directory.url.path)
        }
        #expect(noEnvironment?.message.contains("KUBERNETES_SERVICE_HOST") == true)
        let noToken = #expect(throws: KubeConfigError.self) {
            try KubeConfig.inCluster(environment: environment, serviceAccountDirectory: directory.url.path)
        }
        #expect(noToken?.message.contains(directory.url.appendingPathComponent("token").path) == true)
    }

    @Test func rotatedTokenIsReadAgain() throws {
        let directory = try TemporaryDirectory()
        try mountServiceAccount(in: directory, token: "token-1", generation: 1)
        let tokenFile = BearerTokenFile(path: directory.url.appendingPathComponent("token").path)
        #expect(try tokenFile.token() == "token-1")
        #expect(try tokenFile.token() == "token-1")

        try mountServiceAccount(in: directory, token: "token-2", generation: 2)
        #expect(try tokenFile.token() == "token-2")

        // A file replaced in place (same path, same length, likely the same second) differs by inode.
        try directory.write("..2/token", "token-X")
        #expect(try tokenFile.token() == "token-X")

        try mountServiceAccount(in: directory, token: "token-3", generation: 3)
        #expect(try tokenFile.token() == "token-3")

        // Mid-rotation the link may point nowhere for a moment: the last good token is kept.
        try FileManager.default.removeItem(at: directory.url.appendingPathComponent("..3"))
        #expect(try tokenFile.token() == "token-3")
    }
}
