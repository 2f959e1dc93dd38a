import BroadcastAPI
import Foundation
import Yams

/// A problem in one manifest document, named by file, document and field so a user can fix it.
struct ManifestProblem: Sendable, CustomStringConvertible {
    var file: String
    var document: Int
    var message: String

    var description: String { "\(file) (document \(document)): \(message)" }
}

/// What `--manifests DIR` holds: Broadcasts and Secrets as YAML (or JSON) files, several documents per file allowed.
struct StaticManifests: Sendable {
    var broadcasts: [Broadcast] = []
    /// "namespace/name" → key → decoded value.
    var secrets: [String: [String: [UInt8]]] = [:]
    var problems: [ManifestProblem] = []

    static func load(directory: String) throws -> StaticManifests {
        let fileManager = FileManager.default
        var isDirectory: ObjCBool = false
        guard fileManager.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ManifestDirectoryError(message: "--manifests \(directory) is not a directory")
        }
        var manifests = StaticManifests()
        let names = try fileManager.contentsOfDirectory(atPath: directory).sorted()
        for name in names where [".yaml", ".yml", ".json"].contains(where: name.hasSuffix) {
            let path = (directory as NSString).appendingPathComponent(name)
            guard let text = fileManager.contents(atPath: path).flatMap({ String(data: $0, encoding: .utf8) }) else {
                manifests.problems.append(.init(file: path, document: 1, message: "cannot be read as UTF-8 text"))
                continue
            }
            manifests.add(text: text, file: path)
        }
        return manifests
    }

    mutating func add(text: String, file: String) {
        var documents: [Node] = []
        do {
            // Parser rather than compose_all: the latter's sequence ends silently at a syntax error.
            let parser = try Parser(yaml: text)
            while let node = try parser.nextRoot() {
                documents.append(node)
            }
        } catch {
            // Documents before the broken one still run.
            problems.append(.init(file: file, document: documents.count + 1, message: "is not valid YAML: \(error)"))
        }
        for (index, node) in documents.enumerated() {
            add(node: node, file: file, document: index + 1)
        }
    }

    private mutating func add(node: Node, file: String, document: Int) {
        let kind = node["kind"]?.string
        let apiVersion = node["apiVersion"]?.string
        do {
            switch (apiVersion, kind) {
            case (Broadcast.apiVersion, Broadcast.kind):
                let broadcast = try YAMLDecoder().decode(Broadcast.self, from: node)
                let errors = broadcast.validate()
                guard errors.isEmpty else {
                    let list = errors.map(\.description).joined(separator: "; ")
                    problems.append(.init(file: file, document: document, message: "Broadcast \(broadcast.key) is invalid: \(list)"))
                    return
                }
                broadcasts.append(broadcast)
            case ("v1", "Secret"):
                let secret = try YAMLDecoder().decode(SecretManifest.self, from: node)
                var values: [String: [UInt8]] = [:]
                for (key, encoded) in secret.data ?? [:] {
                    guard let decoded = Data(base64Encoded: encoded) else {
                        problems.append(.init(file: file, document: document, message: "Secret field data.\(key) is not base64"))
                        return
                    }
                    values[key] = Array(decoded)
                }
                for (key, value) in secret.stringData ?? [:] {
                    values[key] = Array(value.utf8)
                }
                secrets["\(secret.metadata.namespace ?? "default")/\(secret.metadata.name)"] = values
            case (nil, _), (_, nil):
                problems.append(.init(file: file, document: document, message: "field apiVersion and kind are required"))
            default:
                problems.append(.init(file: file, document: document, message: "\(apiVersion!)/\(kind!) is not a Broadcast or Secret; ignored"))
            }
        } catch let error as DecodingError {
            problems.append(.init(file: file, document: document, message: Self.describe(error, kind: kind ?? "object")))
        } catch {
            problems.append(.init(file: file, document: document, message: "\(error)"))
        }
    }

    /// Turns a DecodingError into "field spec.video.maxBitrateKbps: expected Int".
    static func describe(_ error: DecodingError, kind: String) -> String {
        func path(_ codingPath: [any CodingKey]) -> String {
            codingPath.map { key in key.intValue.map { "[\($0)]" } ?? ".\(key.stringValue)" }.joined().drop { $0 == "." }.description
        }
        switch error {
        case .keyNotFound(let key, let context):
            let parent = path(context.codingPath)
            return "\(kind) field \(parent.isEmpty ? "" : parent + ".")\(key.stringValue) is required"
        case .typeMismatch(let type, let context), .valueNotFound(let type, let context):
            return "\(kind) field \(path(context.codingPath)) must be \(type)"
        case .dataCorrupted(let context):
            return "\(kind) field \(path(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "\(kind): \(error)"
        }
    }

    /// The runtimes the pod should run: each valid Broadcast with its ingest token, or the reason it cannot run.
    func runtimes() -> [BroadcastRuntime] {
        broadcasts.map { broadcast in
            let namespace = broadcast.metadata.namespace ?? "default"
            // Without an explicit reference, the Secret the operator would have created (DESIGN.md §2).
            let reference = broadcast.spec.ingestTokenSecret(broadcastName: broadcast.metadata.name)
            guard let secret = secrets["\(namespace)/\(reference.name)"] else {
                return BroadcastRuntime(broadcast: broadcast, ingestToken: nil,
                                        failure: "ingest token Secret \(namespace)/\(reference.name) not found")
            }
            guard let token = secret[reference.key], !token.isEmpty else {
                return BroadcastRuntime(broadcast: broadcast, ingestToken: nil,
                                        failure: "ingest token Secret \(namespace)/\(reference.name) has no key \(reference.key)")
            }
            return BroadcastRuntime(broadcast: broadcast, ingestToken: token, failure: nil,
                                    destinations: destinationTargets(of: broadcast))
        }
    }

    /// Each destination with its stream key from its Secret; a missing Secret fails that destination only.
    func destinationTargets(of broadcast: Broadcast) -> [DestinationTarget] {
        let namespace = broadcast.metadata.namespace ?? "default"
        return (broadcast.spec.destinations ?? []).map { destination in
            let reference = destination.streamKeySecretRef
            guard let key = secrets["\(namespace)/\(reference.name)"]?[reference.key], !key.isEmpty else {
                return DestinationTarget(
                    name: destination.name, url: "", enabled: destination.isEnabled,
                    problem: "stream key Secret \(namespace)/\(reference.name) (key \(reference.key)) not found")
            }
            return DestinationTarget(
                name: destination.name,
                url: DestinationTarget.publishURL(base: destination.url, streamKey: String(decoding: key, as: UTF8.self)),
                enabled: destination.isEnabled, problem: nil)
        }
    }
}

struct ManifestDirectoryError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// The part of a core/v1 Secret static mode reads.
struct SecretManifest: Decodable {
    var metadata: ObjectMeta
    var data: [String: String]?
    var stringData: [String: String]?
}
