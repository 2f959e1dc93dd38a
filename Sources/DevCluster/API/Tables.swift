/// Server-side printing (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`): kubectl shows the columns
/// the server chooses, so built-ins get their familiar columns and CRDs their `additionalPrinterColumns`.
extension ApiServer {
    func table(_ resource: ResourceType, objects: [JSON], resourceVersion: Int64?, format: ResponseFormat) -> JSON {
        let definitions: [JSON] = resource.columns.map { column in
            [
                "name": .string(column.name), "type": .string(column.type), "format": .string(column.format),
                "description": .string(column.description), "priority": .int(Int64(column.priority)),
            ]
        }
        let rows: [JSON] = objects.map { object in
            var row: JSON = ["cells": .array(resource.columns.map { $0.cell(object) })]
            switch format.includeObject {
            case .none: break
            case .object: row["object"] = object
            case .metadata:
                row["object"] = [
                    "kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                    "metadata": object["metadata"] ?? [:],
                ]
            }
            return row
        }
        var metadata: JSON = [:]
        if let resourceVersion { metadata["resourceVersion"] = .string(String(resourceVersion)) }
        return [
            "kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": metadata,
            "columnDefinitions": .array(definitions), "rows": .array(rows),
        ]
    }
}
