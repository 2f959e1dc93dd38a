import BroadcastAPI
import BroadcastKube
import Foundation
import Kube

extension BroadcastObject {
    public var observed: ObservedBroadcast {
        ObservedBroadcast(
            namespace: metadata.namespace ?? "default", name: metadata.name ?? "",
            generation: Int(metadata.generation ?? 1), deleting: metadata.deletionTimestamp != nil,
            finalizers: metadata.finalizers ?? [], podLabel: metadata.labels?[Broadcast.podLabel],
            spec: spec, status: status ?? BroadcastStatus())
    }
}

/// How the operator recognises and reads media pods (DESIGN.md §5).
public enum MediaPods {
    public static let selector = "app.kubernetes.io/component=media-pod"
    public static let capacityAnnotation = "media.streamlick.io/capacity"
    public static let drainingAnnotation = "media.streamlick.io/draining"
    public static let publicURLAnnotation = "media.streamlick.io/public-url"
    public static let zoneLabel = "topology.kubernetes.io/zone"
    public static let deletionCostAnnotation = "controller.kubernetes.io/pod-deletion-cost"
    /// The media pod's HTTP port (WHIP, health, metrics) when the pod does not announce a URL.
    public static let defaultHTTPPort = 8080

    public static func state(of pod: Pod) -> MediaPodState {
        let annotations = pod.metadata.annotations ?? [:]
        return MediaPodState(
            name: pod.metadata.name ?? "", ready: pod.isReady, terminating: pod.metadata.deletionTimestamp != nil,
            draining: annotations[drainingAnnotation] == "true",
            capacity: annotations[capacityAnnotation].flatMap(Int.init).map { max($0, 0) } ?? MediaPodState.defaultCapacity,
            zone: pod.metadata.labels?[zoneLabel])
    }

    /// Where publishers reach the pod: its announced URL, else its IP and the default port; nil before it has an IP.
    public static func url(of pod: Pod) -> String? {
        if let announced = pod.metadata.annotations?[publicURLAnnotation], !announced.isEmpty {
            return announced.hasSuffix("/") ? String(announced.dropLast()) : announced
        }
        guard let ip = pod.podIP, !ip.isEmpty else { return nil }
        let host = ip.contains(":") ? "[\(ip)]" : ip
        return "http://\(host):\(defaultHTTPPort)"
    }
}
