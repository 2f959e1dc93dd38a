import BroadcastAPI
import Kube

/// A Broadcast as the operator and the media pods read and write it through the API server: Kubernetes metadata
/// (finalizers, deletion, owner data) around the API types.
public struct BroadcastObject: Codable, Sendable, KubeObject {
    public var apiVersion: String? = Broadcast.apiVersion
    public var kind: String? = Broadcast.kind
    public var metadata: Kube.ObjectMeta
    public var spec: BroadcastSpec
    public var status: BroadcastStatus?

    public init(metadata: Kube.ObjectMeta, spec: BroadcastSpec, status: BroadcastStatus? = nil) {
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }
}

extension ResourceDescriptor {
    public static let broadcasts = ResourceDescriptor(group: "media.streamlick.io", version: "v1alpha1", plural: "broadcasts")
}

extension Broadcast {
    /// The API-facing Broadcast of this object (what a media pod runs).
    public init(_ object: BroadcastObject) {
        var metadata = BroadcastAPI.ObjectMeta(name: object.metadata.name ?? "", namespace: object.metadata.namespace)
        metadata.uid = object.metadata.uid
        metadata.resourceVersion = object.metadata.resourceVersion
        metadata.generation = object.metadata.generation.map(Int.init)
        metadata.labels = object.metadata.labels
        self.init(metadata: metadata, spec: object.spec)
    }
}
