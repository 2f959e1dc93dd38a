/// RFC 7386 JSON merge patch (`application/merge-patch+json`).
public enum MergePatch {
    /// RFC 7386 §2: an object patch is merged member by member into the target (a non-object target counts as `{}`),
    /// a `null` member removes that member, and any other patch value replaces the target whole.
    public static func apply(_ patch: JSON, to target: JSON) -> JSON {
        guard case .object(let patchMembers) = patch else { return patch }
        var result = target.objectValue ?? [:]
        for (name, value) in patchMembers {
            if value.isNull {
                result[name] = nil
            } else {
                result[name] = apply(value, to: result[name] ?? .null)
            }
        }
        return .object(result)
    }
}
