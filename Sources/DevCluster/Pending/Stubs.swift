// TEMPORARY: minimal stand-ins until the patch and schema code lands (same API). Not committed.
public struct PatchError: Error, Sendable { public let message: String }
public enum MergePatch {
    public static func apply(_ patch: JSON, to target: JSON) -> JSON {
        guard case .object(let patchFields) = patch else { return patch }
        var result = target.objectValue ?? [:]
        for (key, value) in patchFields {
            if value.isNull { result[key] = nil } else { result[key] = apply(value, to: result[key] ?? .null) }
        }
        return .object(result)
    }
}
public enum JSONPatch {
    public static func apply(_ operations: JSON, to target: JSON) throws(PatchError) -> JSON {
        throw PatchError(message: "json patch not implemented")
    }
}
public enum StrategicMergePatch {
    public static func apply(_ patch: JSON, to original: JSON, shape: MergeShape) throws(PatchError) -> JSON {
        MergePatch.apply(patch, to: original)
    }
}
public enum BuiltinMergeShapes {
    public static func shape(group: String, kind: String) -> MergeShape? { MergeShape() }
}
public struct ApplyConflict: Error, Sendable { public var message: String }
public enum ServerSideApply {
    public static func apply(config: JSON, to live: JSON?, manager: String, apiVersion: String, now: String, force: Bool, shape: MergeShape) throws(ApplyConflict) -> JSON {
        MergePatch.apply(config, to: live ?? .object([:]))
    }
}
public enum ManagedFieldsTracker {
    public static func recordUpdate(old: JSON?, new: JSON, manager: String, apiVersion: String, now: String, shape: MergeShape, subresource: String?) -> JSON { new }
}
public struct FieldError: Sendable, Equatable {
    public enum Reason: String, Sendable { case required = "FieldValueRequired", invalid = "FieldValueInvalid", notSupported = "FieldValueNotSupported", duplicate = "FieldValueDuplicate", tooLong = "FieldValueTooLong", tooMany = "FieldValueTooMany", typeInvalid = "FieldValueTypeInvalid", forbidden = "FieldValueForbidden" }
    public var reason: Reason
    public var field: String
    public var message: String
}
public struct SelectorError: Error, Sendable { public let message: String }
public struct LabelSelector: Sendable {
    var pairs: [(String, String)]
    public static func parse(_ text: String) throws(SelectorError) -> LabelSelector {
        LabelSelector(pairs: text.split(separator: ",").compactMap { part in
            let kv = part.split(separator: "=", maxSplits: 1); return kv.count == 2 ? (String(kv[0]), String(kv[1])) : nil })
    }
    public init(json: JSON) throws(SelectorError) { pairs = (json["matchLabels"]?.objectValue ?? [:]).map { ($0.key, $0.value.stringValue ?? "") } }
    init(pairs: [(String, String)]) { self.pairs = pairs }
    public func matches(_ labels: [String: String]) -> Bool { pairs.allSatisfy { labels[$0.0] == $0.1 } }
    public var isEverything: Bool { pairs.isEmpty }
}
public struct FieldSelector: Sendable {
    var pairs: [(String, String)]
    public static func parse(_ text: String) throws(SelectorError) -> FieldSelector {
        FieldSelector(pairs: text.split(separator: ",").compactMap { part in
            let kv = part.split(separator: "=", maxSplits: 1); return kv.count == 2 ? (String(kv[0]), String(kv[1])) : nil })
    }
    public func matches(_ value: (String) -> String?) -> Bool { pairs.allSatisfy { value($0.0) == $0.1 } }
    public var requirements: [(field: String, value: String)] { pairs.map { (field: $0.0, value: $0.1) } }
}
public final class StructuralSchema: Sendable {
    public init(_ json: JSON) throws(PatchError) {}
    public func validate(_ object: JSON) -> [FieldError] { [] }
    public func applyDefaults(to object: JSON) -> JSON { object }
    public func prune(_ object: JSON) -> (JSON, prunedPaths: [String]) { (object, []) }
    public var mergeShape: MergeShape { MergeShape() }
    public var celRules: [String] { [] }
}
public struct PrinterColumnPath: Sendable {
    let path: [String]
    public init(_ text: String) throws(SelectorError) { path = text.split(separator: ".").map(String.init) }
    public func values(in object: JSON) -> [JSON] { object[path: path].map { [$0] } ?? [] }
    public static func cellText(_ values: [JSON], type: String) -> JSON { values.first ?? .null }
}
