import Testing
@testable import MediaPod

@Suite struct StaticManifestsTests {
    @Test func goodAndBadDocumentsInOneFile() {
        var manifests = StaticManifests()
        manifests.add(text: """
            apiVersion: v1
            kind: Secret
            metadata: {name: show-ingest, namespace: studio}
            data: {token: dG9rLTEyMw==}
            ---
            apiVersion: media.streamlick.io/v1alpha1
            kind: Broadcast
            metadata: {name: show, namespace: studio}
            spec:
              ingest: {tokenSecretRef: {name: show-ingest, key: token}}
            ---
            apiVersion: media.streamlick.io/v1alpha1
            kind: Broadcast
            metadata: {name: typo, namespace: studio}
            spec:
              video: {maxBitrateKbps: lots}
            ---
            apiVersion: media.streamlick.io/v1alpha1
            kind: Broadcast
            metadata: {name: wrong-url, namespace: studio}
            spec:
              egress: {method: carrier-pigeon}
              destinations: [{name: yt, url: "http://example.com", streamKeySecretRef: {name: k, key: k}}]
            ---
            apiVersion: media.streamlick.io/v1alpha1
            kind: Broadcast
            metadata: {name: no-secret, namespace: studio}
            spec: {}
            """, file: "shows.yaml")
        #expect(manifests.broadcasts.map(\.metadata.name) == ["show", "no-secret"])
        #expect(manifests.problems.count == 2)
        #expect(manifests.problems[0].description == "shows.yaml (document 3): Broadcast field spec.video.maxBitrateKbps must be Int")
        #expect(manifests.problems[1].description.contains("spec.egress.method: must be rtmp or relay"))
        #expect(manifests.problems[1].description.contains("spec.destinations[0].url: must start with rtmp:// or rtmps://"))

        let runtimes = manifests.runtimes()
        #expect(runtimes[0].ingestToken == Array("tok-123".utf8))
        #expect(runtimes[0].failure == nil)
        #expect(runtimes[1].failure == "ingest token Secret studio/no-secret-ingest not found")
    }

    @Test func notYamlIsReportedWithTheFileName() {
        var manifests = StaticManifests()
        manifests.add(text: "key: [unclosed", file: "broken.yaml")
        #expect(manifests.problems.first?.description.hasPrefix("broken.yaml (document 1): is not valid YAML") == true)
        manifests.add(text: "kind: Deployment\napiVersion: apps/v1\nmetadata: {name: x}", file: "other.yaml")
        #expect(manifests.problems.last?.description == "other.yaml (document 1): apps/v1/Deployment is not a Broadcast or Secret; ignored")
    }
}

@Suite struct RateLimiterTests {
    @Test func limitsPerClientAndWindow() {
        let limiter = RateLimiter(limit: 2, window: .seconds(60))
        let start = ContinuousClock.now
        #expect(limiter.admit("10.0.0.1", now: start) == nil)
        #expect(limiter.admit("10.0.0.1", now: start) == nil)
        #expect(limiter.admit("10.0.0.1", now: start + .seconds(10)) == 50)
        #expect(limiter.admit("10.0.0.2", now: start + .seconds(10)) == nil)
        #expect(limiter.admit("10.0.0.1", now: start + .seconds(61)) == nil)
    }
}
