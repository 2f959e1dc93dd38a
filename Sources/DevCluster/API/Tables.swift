import Foundation

/// Server-side printing (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`): kubectl shows the columns
/// the server chooses, so built-ins get their familiar columns and CRDs their `additionalPrinterColumns`.
extension ApiServer {
    func table(_ resource: ResourceType, objects: [JSON], resourceVersion: Int64?, format: ResponseFormat) -> JSON {
        var definitions: [JSON] = [column("Name", type: "string", format: "name",
                                          description: "Name must be unique within a namespace.")]
        for column in resource.columns {
            definitions.append(self.column(column.name, type: column.type, format: column.format,
                                           description: column.description, priority: column.priority))
        }
        let addsAge = resource.schema == nil || resource.columns.isEmpty
        if addsAge {
            definitions.append(column("Age", type: "string", format: "",
                                      description: "CreationTimestamp is a timestamp representing the server time when this object was created."))
        }
        let rows: [JSON] = objects.map { object in
            var cells: [JSON] = [object[path: ["metadata", "name"]] ?? ""]
            for column in resource.columns {
                var cell = column.cell(object)
                if column.type == "date", let timestamp = cell.stringValue { cell = .string(Self.age(since: timestamp)) }
                cells.append(cell)
            }
            if addsAge {
                cells.append(.string(Self.age(since: object[path: ["metadata", "creationTimestamp"]]?.stringValue ?? "")))
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

    /// The age kubectl prints (apimachinery's `duration.HumanDuration`).
    static func age(since timestamp: String) -> String {
        guard let created = try? Date(timestamp, strategy: .iso8601) else { return "<unknown>" }
        let seconds = Int(Date.now.timeIntervalSince(created))
        if seconds < -1 { return "<invalid>" }
        if seconds < 0 { return "0s" }
        if seconds < 60 * 2 { return "\(seconds)s" }
        let minutes = seconds / 60
        if minutes < 10 { return seconds % 60 == 0 ? "\(minutes)m" : "\(minutes)m\(seconds % 60)s" }
        if minutes < 60 * 3 { return "\(minutes)m" }
        let hours = minutes / 60
        if hours < 8 { return minutes % 60 == 0 ? "\(hours)h" : "\(hours)h\(minutes % 60)m" }
        if hours < 48 { return "\(hours)h" }
        if hours < 24 * 8 { return hours % 24 == 0 ? "\(hours / 24)d" : "\(hours / 24)d\(hours % 24)h" }
        if hours < 24 * 365 * 2 { return "\(hours / 24)d" }
        if hours < 24 * 365 * 8 { return "\(hours / 24 / 365)y\((hours / 24) % 365)d" }
        return "\(hours / 24 / 365)y"
    }
}
