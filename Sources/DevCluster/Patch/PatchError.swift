/// A patch that cannot be applied. `message` is worded as the Kubernetes API server words it, because clients
/// (kubectl, the Python client) show it to people verbatim.
public struct PatchError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}

extension JSON {
    /// The JSON type name Go's encoding/json puts in an UnmarshalTypeError, which the API server passes on.
    var goJSONTypeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "bool"
        case .int, .double: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }
}
