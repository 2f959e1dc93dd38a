/// OpenAPI v3, one document per group version. kubectl reads it to learn that PATCH takes `fieldValidation`
/// (else it falls back to /openapi/v2, which is not served) and, for custom resources, for `kubectl explain`.
/// Built-in kinds carry no schema: kubectl computes their strategic merge patches from its compiled-in types.
extension ApiServer {
    func openAPI(_ segments: [Substring], query: [String: String]) throws(ApiError) -> HttpReply {
        guard segments.first == "v3" else { throw ApiError.pathNotFound("/openapi/" + segments.joined(separator: "/")) }
        let rest = segments.dropFirst().joined(separator: "/")
        var byPath: [String: [ResourceType]] = [:]
        for resource in registry.all {
            for version in resource.servedVersions {
                var served = resource
                served.version = version
                byPath[resource.group.isEmpty ? "api/\(version)" : "apis/\(resource.group)/\(version)", default: []].append(served)
            }
        }
        if rest.isEmpty {
            var paths: [String: JSON] = [:]
            for (path, resources) in byPath {
                let document = openAPIDocument(resources)
                paths[path] = ["serverRelativeURL": .string("/openapi/v3/\(path)?hash=\(Self.hash(document.serialized()))")]
            }
            return Self.reply(json: ["paths": .object(paths)])
        }
        guard let resources = byPath[rest] else { throw ApiError.pathNotFound("/openapi/v3/" + rest) }
        return Self.reply(json: openAPIDocument(resources))
    }

    private func openAPIDocument(_ resources: [ResourceType]) -> JSON {
        var schemas: [String: JSON] = ["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta": Self.objectMetaSchema]
        var paths: [String: JSON] = [:]
        for resource in resources {
            let gvk: JSON = ["group": .string(resource.group), "kind": .string(resource.kind), "version": .string(resource.version)]
            // Field validation is advertised per operation: kubectl checks for it before sending fieldValidation.
            let parameters: JSON = [
                ["name": "fieldValidation", "in": "query", "schema": ["type": "string", "uniqueItems": true]],
                ["name": "fieldManager", "in": "query", "schema": ["type": "string", "uniqueItems": true]],
                ["name": "dryRun", "in": "query", "schema": ["type": "string", "uniqueItems": true]],
            ]
            let base = (resource.group.isEmpty ? "/api/\(resource.version)" : "/apis/\(resource.groupVersion)")
                + (resource.namespaced ? "/namespaces/{namespace}" : "")
            guard let openAPISchema = resource.openAPISchema else {
                let operation: JSON = ["parameters": parameters, "x-kubernetes-group-version-kind": gvk]
                paths["\(base)/\(resource.plural)"] = ["post": operation]
                paths["\(base)/\(resource.plural)/{name}"] = ["put": operation, "patch": operation]
                continue
            }
            let schemaName = Self.schemaName(resource)
            var schema = openAPISchema
            var properties = schema["properties"]?.objectValue ?? [:]
            properties["apiVersion"] = ["type": "string", "description": "APIVersion defines the versioned schema of this representation of an object."]
            properties["kind"] = ["type": "string", "description": "Kind is a string value representing the REST resource this object represents."]
            properties["metadata"] = [
                "allOf": [["$ref": "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"]],
                "description": "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata",
            ]
            schema["properties"] = .object(properties)
            schema["x-kubernetes-group-version-kind"] = [gvk]
            schemas[schemaName] = schema
            let operation: JSON = [
                "parameters": parameters,
                "responses": ["200": ["content": ["application/json": ["schema": ["$ref": .string("#/components/schemas/\(schemaName)")]]]]],
                "x-kubernetes-group-version-kind": gvk,
            ]
            paths["\(base)/\(resource.plural)"] = ["post": operation, "get": operation]
            paths["\(base)/\(resource.plural)/{name}"] = ["get": operation, "put": operation, "patch": operation, "delete": operation]
        }
        return [
            "openapi": "3.0.0", "info": ["title": "Kubernetes CRD Swagger", "version": "v0.1.0"],
            "paths": .object(paths), "components": ["schemas": .object(schemas)],
        ]
    }

    /// Kubernetes names OpenAPI definitions by the reversed group: `io.streamlick.media.v1alpha1.Broadcast`.
    static func schemaName(_ resource: ResourceType) -> String {
        let reversedGroup = resource.group.split(separator: ".").reversed().joined(separator: ".")
        return "\(reversedGroup).\(resource.version).\(resource.kind)"
    }

    static func hash(_ bytes: [UInt8]) -> String {
        var value: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes { value = (value ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return String(value, radix: 16, uppercase: true)
    }

    static let objectMetaSchema: JSON = [
        "type": "object",
        "description": "ObjectMeta is metadata that all persisted resources must have, which includes all objects users must create.",
        "properties": [
            "name": ["type": "string", "description": "Name must be unique within a namespace."],
            "namespace": ["type": "string", "description": "Namespace defines the space within which each name must be unique."],
            "labels": ["type": "object", "additionalProperties": ["type": "string"], "description": "Map of string keys and values that can be used to organize and categorize objects."],
            "annotations": ["type": "object", "additionalProperties": ["type": "string"], "description": "Annotations is an unstructured key value map stored with a resource."],
            "uid": ["type": "string", "description": "UID is the unique in time and space value for this object."],
            "resourceVersion": ["type": "string", "description": "An opaque value that represents the internal version of this object."],
            "generation": ["type": "integer", "format": "int64", "description": "A sequence number representing a specific generation of the desired state."],
            "creationTimestamp": ["type": "string", "format": "date-time", "description": "CreationTimestamp is a timestamp representing the server time when this object was created."],
            "deletionTimestamp": ["type": "string", "format": "date-time", "description": "DeletionTimestamp is RFC 3339 date and time at which this resource will be deleted."],
            "finalizers": ["type": "array", "items": ["type": "string"], "description": "Must be empty before the object is deleted from the registry."],
            "generateName": ["type": "string", "description": "GenerateName is an optional prefix, used by the server, to generate a unique name."],
            "ownerReferences": ["type": "array", "items": ["type": "object", "x-kubernetes-preserve-unknown-fields": true], "description": "List of objects depended by this object."],
        ],
    ]
}
