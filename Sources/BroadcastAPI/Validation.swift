/// One problem with a Broadcast spec, named by its field path as `kubectl` prints them.
public struct FieldError: Error, Sendable, Equatable, CustomStringConvertible {
    public var field: String
    public var message: String

    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }

    public var description: String { "\(field): \(message)" }
}

extension Broadcast {
    /// Checks what the CRD schema checks (and a little more), so static manifests get the same answers.
    public func validate() -> [FieldError] {
        var errors: [FieldError] = []
        if !isDnsLabel(metadata.name, maxLength: 253, allowDots: true) {
            errors.append(.init(field: "metadata.name", message: "must be a lowercase RFC 1123 name"))
        }
        if apiVersion != Self.apiVersion {
            errors.append(.init(field: "apiVersion", message: "must be \(Self.apiVersion)"))
        }
        errors += spec.validate()
        return errors
    }
}

extension BroadcastSpec {
    public func validate() -> [FieldError] {
        var errors: [FieldError] = []
        let method = egressMethod
        if method != "rtmp" && method != "relay" {
            errors.append(.init(field: "spec.egress.method", message: "must be rtmp or relay, not \"\(method)\""))
        }
        if method == "relay" {
            if let relay = egress?.relay {
                if !(relay.whipURL.hasPrefix("https://") || relay.whipURL.hasPrefix("http://")) {
                    errors.append(.init(field: "spec.egress.relay.whipURL", message: "must be an http(s) URL"))
                }
                errors += relay.bearerTokenSecretRef.validate(field: "spec.egress.relay.bearerTokenSecretRef")
            } else {
                errors.append(.init(field: "spec.egress.relay", message: "is required when method is relay"))
            }
        }
        if let export = egress?.rtpExport {
            if export.host.isEmpty {
                errors.append(.init(field: "spec.egress.rtpExport.host", message: "must not be empty"))
            }
            for (field, port) in [("videoPort", export.videoPort), ("audioPort", export.audioPort)] where !(1...65535).contains(port) {
                errors.append(.init(field: "spec.egress.rtpExport.\(field)", message: "must be between 1 and 65535"))
            }
        }
        let destinations = destinations ?? []
        if destinations.count > Self.maxDestinations {
            errors.append(.init(field: "spec.destinations", message: "must have at most \(Self.maxDestinations) items"))
        }
        var seen: Set<String> = []
        for (index, destination) in destinations.enumerated() {
            let field = "spec.destinations[\(index)]"
            if !isDnsLabel(destination.name, maxLength: 63, allowDots: false) {
                errors.append(.init(field: "\(field).name", message: "must be a lowercase RFC 1123 label"))
            }
            if !seen.insert(destination.name).inserted {
                errors.append(.init(field: "\(field).name", message: "duplicate destination name \"\(destination.name)\""))
            }
            if !(destination.url.hasPrefix("rtmp://") || destination.url.hasPrefix("rtmps://")) {
                errors.append(.init(field: "\(field).url", message: "must start with rtmp:// or rtmps://"))
            }
            errors += destination.streamKeySecretRef.validate(field: "\(field).streamKeySecretRef")
        }
        if let reference = ingest?.tokenSecretRef {
            errors += reference.validate(field: "spec.ingest.tokenSecretRef")
        }
        if !Self.guestRange.contains(maxGuests) {
            errors.append(.init(field: "spec.guests.max", message:
                "must be between \(Self.guestRange.lowerBound) and \(Self.guestRange.upperBound)"))
        }
        if !Self.bitrateRange.contains(maxBitrateKbps) {
            errors.append(.init(field: "spec.video.maxBitrateKbps", message:
                "must be between \(Self.bitrateRange.lowerBound) and \(Self.bitrateRange.upperBound)"))
        }
        return errors
    }
}

extension SecretKeyReference {
    func validate(field: String) -> [FieldError] {
        var errors: [FieldError] = []
        if !isDnsLabel(name, maxLength: 253, allowDots: true) {
            errors.append(.init(field: "\(field).name", message: "must be a Secret name"))
        }
        if key.isEmpty {
            errors.append(.init(field: "\(field).key", message: "must not be empty"))
        }
        return errors
    }
}

/// RFC 1123 label (or subdomain when dots are allowed), as Kubernetes names require.
func isDnsLabel(_ text: String, maxLength: Int, allowDots: Bool) -> Bool {
    guard !text.isEmpty, text.count <= maxLength else { return false }
    let labels = allowDots ? text.split(separator: ".", omittingEmptySubsequences: false) : [text[...]]
    return labels.allSatisfy { label in
        guard let first = label.first, let last = label.last else { return false }
        let allowed = label.allSatisfy { ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "-" }
        return allowed && first != "-" && last != "-"
    }
}
