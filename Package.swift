// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "streamlick-broadcast",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "media-pod", targets: ["MediaPodMain"]),
        .executable(name: "ingest-bench", targets: ["IngestBench"]),
        .executable(name: "devcluster", targets: ["DevClusterMain"]),
        .executable(name: "broadcast-operator", targets: ["OperatorMain"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        // TLS for devcluster's HTTPS (kubectl sends credentials only over TLS). Only `import NIOSSL`, never
        // CNIOBoringSSL: ../shared/SWIFT-C.md pitfall 1.
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        // The Kubernetes client (Sources/Kube) talks HTTPS to the API server.
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
    ],
    targets: [
        // C libraries, each wrapped once (see docs/ARCHITECTURE.md).
        .systemLibrary(name: "CSRTP", pkgConfig: "libsrtp2", providers: [.apt(["libsrtp2-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        // libavformat's pkg-config --libs gives only -lavformat: the module map links avcodec and avutil too.
        .systemLibrary(name: "CAV", pkgConfig: "libavformat", providers: [.apt(["libavformat-dev", "libavcodec-dev"])]),
        .systemLibrary(name: "COpus", pkgConfig: "opus", providers: [.apt(["libopus-dev"])]),

        // OpenSSL (DTLS, HMAC, certificates) and libsrtp2. Never imports swift-nio-ssl (../shared/SWIFT-C.md pitfall 1).
        .target(name: "MediaCrypto", dependencies: ["CSRTP", "COpenSSL"]),

        // FFmpeg (AAC encoder, FLV/RTMP muxer) and libopus (decoder), plus AVC configuration helpers, for the RTMP egress.
        .target(name: "MediaCodecs", dependencies: ["CAV", "COpus"]),

        // Sans-IO WebRTC protocol logic: STUN/ICE-lite, SDP, RTP/RTCP, H.264, the publisher session state machine.
        .target(name: "WebRTC", dependencies: ["MediaCrypto"]),

        // The Broadcast API types (media.streamlick.io/v1alpha1), defaults and validation.
        .target(name: "BroadcastAPI"),

        // A small HTTP/1.1 server (whole requests in, whole responses out) for the media pod and the operator.
        .target(
            name: "HTTPServing",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),

        // The media pod: HTTP (WHIP), the UDP IO loop, static manifests, metrics.
        .target(
            name: "MediaPod",
            dependencies: [
                "WebRTC", "BroadcastAPI", "BroadcastKube", "Kube", "MediaCodecs", "HTTPServing",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .executableTarget(name: "MediaPodMain", dependencies: ["MediaPod"]),

        // The local Kubernetes API server for development and tests (DESIGN.md §6).
        .target(
            name: "DevCluster",
            dependencies: [
                "MediaCrypto", "HTTPServing",
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .executableTarget(name: "DevClusterMain", dependencies: ["DevCluster"]),

        // A small typed Kubernetes client: kubeconfig / in-cluster auth, CRUD, patch, status, watch.
        .target(
            name: "Kube",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),

        // Broadcasts as Kubernetes objects (the API types inside Kube metadata), for the operator and the media pods.
        .target(name: "BroadcastKube", dependencies: ["BroadcastAPI", "Kube"]),

        // The Broadcast operator (DESIGN.md §5); `broadcast-operator crd` prints the CRD.
        .target(
            name: "Operator",
            dependencies: [
                "BroadcastAPI", "BroadcastKube", "Kube", "HTTPServing",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "OperatorMain", dependencies: ["Operator"]),
        // `make bench`: the ingest path beside its libsrtp and ffmpeg baselines (DESIGN.md §9).
        .executableTarget(name: "IngestBench", dependencies: ["WebRTC", "MediaCrypto"], path: "bench/IngestBench"),

        .testTarget(name: "MediaCryptoTests", dependencies: ["MediaCrypto"]),
        .testTarget(name: "WebRTCTests", dependencies: ["WebRTC"], resources: [.copy("Fixtures")]),
        .testTarget(name: "MediaPodTests", dependencies: ["MediaPod", "MediaCodecs", "WebRTC"]),
        .testTarget(name: "MediaCodecsTests", dependencies: ["MediaCodecs", "WebRTC"]),
        .testTarget(name: "DevClusterTests", dependencies: ["DevCluster"]),
        .testTarget(name: "KubeTests", dependencies: ["Kube"]),
        .testTarget(name: "BroadcastAPITests", dependencies: ["BroadcastAPI", "Operator"]),
        .testTarget(name: "OperatorTests", dependencies: ["Operator", "Kube"]),
    ],
    swiftLanguageModes: [.v6]
)
