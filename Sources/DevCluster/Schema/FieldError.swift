/// One cause of an Invalid (422) response, as apimachinery's `field.Error` renders it: `message` is the
/// text of `Status.details.causes[].message` (`ErrorBody()`), `field` the cause's field path.
public struct FieldError: Sendable, Equatable, CustomStringConvertible {
    /// The `StatusCause.reason` values (`field.ErrorType`).
    public enum Reason: String, Sendable {
        case required = "FieldValueRequired"
        case invalid = "FieldValueInvalid"
        case notSupported = "FieldValueNotSupported"
        case duplicate = "FieldValueDuplicate"
        case tooLong = "FieldValueTooLong"
        case tooMany = "FieldValueTooMany"
        case typeInvalid = "FieldValueTypeInvalid"
        case forbidden = "FieldValueForbidden"
    }

    public let reason: Reason
    public let field: String
    public let message: String

    public init(reason: Reason, field: String, message: String) {
        self.reason = reason
        self.field = field
        self.message = message
    }

    /// `field.Error.Error()`: how the error appears inside `Status.message`.
    public var description: String { "\(field): \(message)" }

    // Constructors mirroring apimachinery's field.Required, field.Invalid, ... so every message is worded
    // and formatted (Go %q / %v / %#v of the bad value) as the real server's.

    public static func required(_ field: String, detail: String = "") -> FieldError {
        FieldError(reason: .required, field: field, message: withDetail("Required value", detail))
    }

    public static func forbidden(_ field: String, detail: String) -> FieldError {
        FieldError(reason: .forbidden, field: field, message: withDetail("Forbidden", detail))
    }

    public static func invalid(_ field: String, value: JSON, detail: String) -> FieldError {
        FieldError(reason: .invalid, field: field, message: withDetail("Invalid value: " + GoFormat.badValue(value), detail))
    }

    public static func typeInvalid(_ field: String, value: JSON, detail: String) -> FieldError {
        FieldError(reason: .typeInvalid, field: field, message: withDetail("Invalid value: " + GoFormat.badValue(value), detail))
    }

    /// `field.NotSupported`: the supported values are listed quoted, in the given order.
    public static func notSupported(_ field: String, value: JSON, supported: [String]) -> FieldError {
        let detail = supported.isEmpty ? "" : "supported values: " + supported.map(GoFormat.quoted).joined(separator: ", ")
        let body = "Unsupported value: " + GoFormat.badValue(value)
        return FieldError(reason: .notSupported, field: field, message: withDetail(body, detail))
    }

    public static func duplicate(_ field: String, value: JSON) -> FieldError {
        FieldError(reason: .duplicate, field: field, message: "Duplicate value: " + GoFormat.badValue(value))
    }

    /// `field.TooLong` as of Kubernetes 1.32: the value itself is never echoed.
    public static func tooLong(_ field: String, maxLength: Int64) -> FieldError {
        FieldError(reason: .tooLong, field: field, message: "Too long: may not be more than \(maxLength) bytes")
    }

    public static func tooMany(_ field: String, count: Int64, max: Int64) -> FieldError {
        FieldError(reason: .tooMany, field: field, message: "Too many: \(count): must have at most \(max) items")
    }

    private static func withDetail(_ body: String, _ detail: String) -> String {
        detail.isEmpty ? body : body + ": " + detail
    }
}

/// The `Status.message` of an Invalid response (apimachinery `errors.NewInvalid`):
/// `Kind.group "name" is invalid: <errors>` where one error is printed bare and several as `[a, b]`,
/// identical messages collapsed as `ErrorList.ToAggregate` does.
public func statusMessage(kind: String, group: String, name: String, errors: [FieldError]) -> String {
    let qualifiedKind = group.isEmpty ? kind : "\(kind).\(group)"
    let header = "\(qualifiedKind) \(GoFormat.quoted(name)) is invalid"
    var seen = Set<String>()
    let messages = errors.map(\.description).filter { seen.insert($0).inserted }
    switch messages.count {
    case 0: return header
    case 1: return header + ": " + messages[0]
    default: return header + ": [" + messages.joined(separator: ", ") + "]"
    }
}
