import Foundation

/// The JSON coders of every request and response. Kubernetes writes `metav1.Time` as RFC 3339 in seconds and
/// `metav1.MicroTime` (Lease renewTime, Event eventTime) with six fractional digits; both are read here, and dates
/// are written with six digits because the MicroTime parser demands exactly that and the Time parser accepts it.
enum KubeCoding {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(formatTimestamp(date))
        }
        return encoder
    }()

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = parseTimestamp(text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an RFC 3339 timestamp")
            }
            return date
        }
        return decoder
    }()

    static func parseTimestamp(_ text: String) -> Date? {
        (try? Date(text, strategy: .iso8601))
            ?? (try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
    }

    static func formatTimestamp(_ date: Date) -> String {
        let seconds = date.timeIntervalSince1970.rounded(.down)
        let microseconds = min(999_999, Int(((date.timeIntervalSince1970 - seconds) * 1_000_000).rounded()))
        let wholeSeconds = Date(timeIntervalSince1970: seconds).formatted(.iso8601)  // 2026-11-26T10:00:00Z
        return wholeSeconds.dropLast() + "." + String(format: "%06d", microseconds) + "Z"
    }
}
