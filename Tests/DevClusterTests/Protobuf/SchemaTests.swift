import Testing
@testable import DevCluster

/// The tables name messages by string, so a typo would only show when such a field arrives; check them all here.
@Suite("Schema tables")
struct SchemaTests {
    @Test func everyReferencedMessageIsDeclared() {
        for (messageName, schema) in KubernetesSchema.messages {
            for (number, field) in schema {
                for referenced in field.kind.referencedMessages {
                    #expect(KubernetesSchema.messages[referenced] != nil,
                            "field \(number) of \(messageName) names undeclared \(referenced)")
                }
            }
        }
    }

    @Test func everyKindHasItsMessage() {
        for (kind, messageName) in KubernetesSchema.kinds {
            #expect(KubernetesSchema.messages[messageName] != nil, "\(kind) names undeclared \(messageName)")
        }
    }

    /// Map entries carry their value length-delimited; a varint value kind would never decode.
    @Test func mapValuesAreLengthDelimited() {
        for (messageName, schema) in KubernetesSchema.messages {
            for (number, field) in schema {
                if case .map(let valueKind) = field.kind {
                    #expect(!valueKind.isVarint, "field \(number) of \(messageName)")
                }
            }
        }
    }

    @Test func jsonNamesAreUniqueWithinAMessage() {
        for (messageName, schema) in KubernetesSchema.messages {
            let names = schema.values.map(\.jsonName).filter { !$0.isEmpty }
            #expect(Set(names).count == names.count, "\(messageName) repeats a JSON name")
        }
    }
}

extension FieldKind {
    var referencedMessages: [String] {
        let value: ValueKind
        switch self {
        case .single(let kind), .repeated(let kind), .map(let kind): value = kind
        case .inlined(let name): return [name]
        }
        switch value {
        case .message(let name): return [name]
        case .time: return ["k8s.io.apimachinery.pkg.apis.meta.v1.Time"]
        case .microTime: return ["k8s.io.apimachinery.pkg.apis.meta.v1.MicroTime"]
        case .quantity: return ["k8s.io.apimachinery.pkg.api.resource.Quantity"]
        case .intOrString: return ["k8s.io.apimachinery.pkg.util.intstr.IntOrString"]
        case .string, .bytes, .int32, .int64, .bool, .fieldsV1: return []
        }
    }
}
