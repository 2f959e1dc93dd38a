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
