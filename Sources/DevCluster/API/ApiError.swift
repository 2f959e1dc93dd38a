/// A failed request as the Kubernetes API reports it: a `Status` object whose reason and message kubectl prints
/// (`Error from server (NotFound): configmaps "x" not found`).
public struct ApiError: Error, Sendable {
    public var code: Int
    public var reason: String
    public var message: String
    public var details: JSON?

    public init(code: Int, reason: String, message: String, details: JSON? = nil) {
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details
    }

    public var status: JSON {
        var status: JSON = [
            "kind": "Status", "apiVersion": "v1", "metadata": [:], "status": "Failure",
            "message": .string(message), "reason": .string(reason), "code": .int(Int64(code)),
        ]
        if let details { status["details"] = details }
        return status
    }

    static func details(_ resource: ResourceType, name: String) -> JSON {
        var details: JSON = ["name": .string(name), "kind": .string(resource.plural)]
        if !resource.group.isEmpty { details["group"] = .string(resource.group) }
        return details
    }

    public static func notFound(_ resource: ResourceType, name: String) -> ApiError {
        ApiError(code: 404, reason: "NotFound", message: "\(resource.qualifiedResource) \"\(name)\" not found",
                 details: details(resource, name: name))
    }

    public static func namespaceNotFound(_ namespace: String) -> ApiError {
        ApiError(code: 404, reason: "NotFound", message: "namespaces \"\(namespace)\" not found",
                 details: ["name": .string(namespace), "kind": "namespaces"])
    }

    public static func alreadyExists(_ resource: ResourceType, name: String) -> ApiError {
        ApiError(code: 409, reason: "AlreadyExists",
                 message: "\(resource.qualifiedResource) \"\(name)\" already exists", details: details(resource, name: name))
    }

    public static func conflict(_ resource: ResourceType, name: String) -> ApiError {
        ApiError(
            code: 409, reason: "Conflict",
            message: "Operation cannot be fulfilled on \(resource.qualifiedResource) \"\(name)\": the object has been "
                + "modified; please apply your changes to the latest version and try again",
            details: details(resource, name: name))
    }

    public static func conflict(_ resource: ResourceType, name: String, because message: String) -> ApiError {
        ApiError(code: 409, reason: "Conflict", message: message, details: details(resource, name: name))
    }

    public static func invalid(_ resource: ResourceType, name: String, errors: [FieldError]) -> ApiError {
        var details: JSON = [
            "name": .string(name), "kind": .string(resource.kind),
            "causes": .array(errors.map {
                ["reason": .string($0.reason.rawValue), "message": .string($0.message), "field": .string($0.field)]
            }),
        ]
        if !resource.group.isEmpty { details["group"] = .string(resource.group) }
        return ApiError(code: 422, reason: "Invalid",
                        message: statusMessage(kind: resource.kind, group: resource.group, name: name, errors: errors),
                        details: details)
    }

    public static func badRequest(_ message: String) -> ApiError {
        ApiError(code: 400, reason: "BadRequest", message: message)
    }

    public static func methodNotAllowed(_ message: String) -> ApiError {
        ApiError(code: 405, reason: "MethodNotAllowed", message: message)
    }

    public static func unsupportedMediaType(_ contentType: String) -> ApiError {
        ApiError(code: 415, reason: "UnsupportedMediaType",
                 message: "the body of the request was in an unknown format - accepted media types include: "
                    + "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml")
    }

    public static func expired(_ message: String) -> ApiError {
        ApiError(code: 410, reason: "Expired", message: message)
    }

    public static func forbidden(_ message: String) -> ApiError {
        ApiError(code: 403, reason: "Forbidden", message: message)
    }

    public static let unauthorized = ApiError(code: 401, reason: "Unauthorized", message: "Unauthorized")

    public static func pathNotFound(_ path: String) -> ApiError {
        ApiError(code: 404, reason: "NotFound", message: "the server could not find the requested resource",
                 details: ["causes": [["reason": "UnexpectedServerResponse", "message": "404 page not found"]]])
    }
}
