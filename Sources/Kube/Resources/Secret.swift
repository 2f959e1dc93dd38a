import Foundation

/// `v1 Secret`. `data` is `Data` so printing a Secret shows byte counts, not values.
public struct Secret: Codable, Sendable, Hashable {
    public var apiVersion: String? = "v1"
    public var kind: String? = "Secret"
    public var metadata: ObjectMeta
    public var type: String?
    /// Base64 in JSON; Foundation's `Data` coding does the conversion.
    public var data: [String: Data]?
    /// Write-only convenience: the server folds it into `data` and never returns it.
    public var stringData: [String: String]?
    public var immutable: Bool?

    public init(metadata: ObjectMeta, type: String? = nil, data: [String: Data]? = nil) {
        self.metadata = metadata
        self.type = type
        self.data = data
    }

    /// The value of `key` as UTF-8 text (tokens, stream keys), nil when absent or not text.
    public func string(_ key: String) -> String? {
        data?[key].flatMap { String(data: $0, encoding: .utf8) }
    }
}
