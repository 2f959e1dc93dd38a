/// Server-side printing (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`): kubectl shows the columns
/// the server chooses, so built-ins get their familiar columns and CRDs their `additionalPrinterColumns`.
extension ApiServer {
    func table(_ resource: ResourceType, objects: [JSON], resourceVersion: Int64?, format: ResponseFormat) -> JSON {
        var definitions: [JSON] = resource.standardColumns
            ? [column("Name", type: "string", format: "name", description: "Name must be unique within a namespace.")] : []
        for column in resource.columns {
            definitions.append(self.column(column.name, type: column.type, format: column.format,
                                           description: column.description, priority: column.priority))
        }
        let addsAge = resource.standardColumns && (resource.schema == nil || resource.columns.isEmpty)
        if addsAge {
            definitions.append(column("Age", type: "string", format: "",
                                      description: "CreationTimestamp is a timestamp representing the server time when this object was created."))
        }
        let rows: [JSON] = objects.map { object in
            var cells: [JSON] = resource.standardColumns ? [object[path: ["metadata", "name"]] ?? ""] : []
            for column in resource.columns { cells.append(column.cell(object)) }
            if addsAge {
                cells.append(PrinterColumnPath.cellText([object[path: ["metadata", "creationTimestamp"]] ?? ""], type: "date"))
            }
            var row: JSON = ["cells": .array(cells)]
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

    private func column(_ name: String, type: String, format: String, description: String, priority: Int = 0) -> JSON {
        [
            "name": .string(name), "type": .string(type), "format": .string(format),
            "description": .string(description), "priority": .int(Int64(priority)),
        ]
    }
}
