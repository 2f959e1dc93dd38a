extension StructuralSchema {
    /// Structural defaulting as apiextensions applies it when decoding a custom object: first nulls of
    /// non-nullable fields without a default are dropped, then every missing field with a default — and
    /// every null non-nullable one — gets that default (pruned against its schema), and defaulting continues
    /// inside it, inside array items and inside additionalProperties values.
    public func applyDefaults(to object: JSON) -> JSON {
        var result = object
        Self.dropNonNullableNullsWithoutDefault(in: &result, schema: self)
        fillDefaults(in: &result)
        return result
    }

    private func isNonNullableNull(_ value: JSON) -> Bool { value.isNull && !nullable }

    /// apiextensions' PruneNonNullableNullsWithoutDefaults.
    private static func dropNonNullableNullsWithoutDefault(in value: inout JSON, schema: StructuralSchema?) {
        switch value {
        case .object(var fields):
            for key in Array(fields.keys) {
                let fieldSchema = schema?.properties[key] ?? schema?.additionalProperties?.schema
                if let fieldSchema, fieldSchema.isNonNullableNull(fields[key]!), fieldSchema.defaultValue == nil {
                    fields[key] = nil
                } else {
                    dropNonNullableNullsWithoutDefault(in: &fields[key]!, schema: fieldSchema)
                }
            }
            value = .object(fields)
        case .array(var elements):
            for index in elements.indices {
                dropNonNullableNullsWithoutDefault(in: &elements[index], schema: schema?.items)
            }
            value = .array(elements)
        default:
            break
        }
    }

    /// apiextensions' defaulting.Default.
    private func fillDefaults(in value: inout JSON) {
        switch value {
        case .object(var fields):
            for (key, property) in properties {
                guard let defaultValue = property.defaultValue else { continue }
                if fields[key] == nil || property.isNonNullableNull(fields[key]!) {
                    fields[key] = property.pruned(defaultValue)
                }
            }
            for key in Array(fields.keys) {
                if let property = properties[key] {
                    property.fillDefaults(in: &fields[key]!)
                } else if let valueSchema = additionalProperties?.schema {
                    if valueSchema.isNonNullableNull(fields[key]!), let defaultValue = valueSchema.defaultValue {
                        fields[key] = valueSchema.pruned(defaultValue)
                    }
                    valueSchema.fillDefaults(in: &fields[key]!)
                }
            }
            value = .object(fields)
        case .array(var elements):
            guard let items else { return }
            for index in elements.indices {
                if items.isNonNullableNull(elements[index]), let defaultValue = items.defaultValue {
                    elements[index] = items.pruned(defaultValue)
                }
                items.fillDefaults(in: &elements[index])
            }
            value = .array(elements)
        default:
            break
        }
    }

    private func pruned(_ value: JSON) -> JSON {
        var result = value
        var pruner = Pruner()
        pruner.prune(&result, schema: self, keepsTypeMeta: isEmbeddedResource, path: "")
        return result
    }

    /// Drops the fields the schema does not know (pruning), as apiextensions does before storing a custom
    /// object: everything not in `properties`, not under `x-kubernetes-preserve-unknown-fields` and not
    /// covered by `additionalProperties`. apiVersion, kind and metadata are kept at the root and in embedded
    /// resources. `prunedPaths` are the dropped fields, sorted, as the server words its
    /// `unknown field "spec.foo"` warnings.
    public func prune(_ object: JSON) -> (JSON, prunedPaths: [String]) {
        var result = object
        var pruner = Pruner()
        pruner.prune(&result, schema: self, keepsTypeMeta: true, path: "")
        return (result, pruner.prunedPaths.sorted())
    }
}

/// apiextensions' pruning algorithm, remembering the paths of the fields it drops.
private struct Pruner {
    private static let typeMetaFields: Set<String> = ["apiVersion", "kind", "metadata"]

    private(set) var prunedPaths: [String] = []

    private static func appending(_ key: String, to path: String) -> String { path.isEmpty ? key : path + "." + key }

    /// `keepsTypeMeta` is the schema's x-kubernetes-embedded-resource, forced on for the object's root.
    mutating func prune(_ value: inout JSON, schema: StructuralSchema?, keepsTypeMeta: Bool, path: String) {
        if let schema, schema.preservesUnknownFields {
            pruneKnownFields(&value, schema: schema, keepsTypeMeta: keepsTypeMeta, path: path)
            return
        }
        switch value {
        case .object(var fields):
            for key in Array(fields.keys) {
                if keepsTypeMeta, Self.typeMetaFields.contains(key) { continue }
                let keyPath = Self.appending(key, to: path)
                if let property = schema?.properties[key] {
                    descend(&fields[key]!, into: property, path: keyPath)
                } else if let additional = schema?.additionalProperties {
                    descend(&fields[key]!, into: additional.schema, path: keyPath)
                } else {
                    prunedPaths.append(keyPath)
                    fields[key] = nil
                }
            }
            value = .object(fields)
        case .array(var elements):
            for index in elements.indices {
                descend(&elements[index], into: schema?.items, path: "\(path)[\(index)]")
            }
            value = .array(elements)
        default:
            break
        }
    }

    private mutating func descend(_ value: inout JSON, into schema: StructuralSchema?, path: String) {
        prune(&value, schema: schema, keepsTypeMeta: schema?.isEmbeddedResource ?? false, path: path)
    }

    /// apiextensions' skipPrune: under x-kubernetes-preserve-unknown-fields unknown fields stay, but the
    /// fields the schema does describe are still pruned below.
    private mutating func pruneKnownFields(_ value: inout JSON, schema: StructuralSchema?, keepsTypeMeta: Bool, path: String) {
        guard let schema else { return }
        switch value {
        case .object(var fields):
            for key in Array(fields.keys) {
                if keepsTypeMeta, Self.typeMetaFields.contains(key) { continue }
                if let property = schema.properties[key] {
                    descend(&fields[key]!, into: property, path: Self.appending(key, to: path))
                } else if let additional = schema.additionalProperties {
                    descend(&fields[key]!, into: additional.schema, path: Self.appending(key, to: path))
                }
            }
            value = .object(fields)
        case .array(var elements):
            let items = schema.items
            for index in elements.indices {
                let elementPath = "\(path)[\(index)]"
                pruneKnownFields(&elements[index], schema: items, keepsTypeMeta: items?.isEmbeddedResource ?? false, path: elementPath)
            }
            value = .array(elements)
        default:
            break
        }
    }
}
