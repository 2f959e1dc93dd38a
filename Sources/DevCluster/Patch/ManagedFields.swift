/// One entry of `metadata.managedFields`: the fields one manager owns through one kind of operation.
public struct ManagedFieldsEntry: Sendable, Equatable {
    public static let applyOperation = "Apply"
    public static let updateOperation = "Update"

    public var manager: String
    /// "Apply" (server-side apply) or "Update" (create, update and the other patch types).
    public var operation: String
    public var apiVersion: String
    /// RFC 3339 time of the manager's last change to the object; empty when unknown.
    public var time: String
    public var fieldsType: String
    public var fields: FieldSet
    /// "status" or another subresource the writes went through; nil for the main resource.
    public var subresource: String?

    public init(
        manager: String, operation: String, apiVersion: String, time: String, fieldsType: String = "FieldsV1",
        fields: FieldSet, subresource: String? = nil
    ) {
        self.manager = manager
        self.operation = operation
        self.apiVersion = apiVersion
        self.time = time
        self.fieldsType = fieldsType
        self.fields = fields
        self.subresource = subresource
    }

    /// Nil unless the operation is Apply or Update and the fields are FieldsV1, as Kubernetes' decoder demands.
    public init?(json: JSON) {
        guard case .object(let members) = json,
            let operation = members["operation"]?.stringValue,
            operation == Self.applyOperation || operation == Self.updateOperation,
            let fields = FieldSet(fieldsV1: members["fieldsV1"] ?? .object([:]))
        else { return nil }
        let fieldsType = members["fieldsType"]?.stringValue ?? "FieldsV1"
        guard fieldsType == "FieldsV1" else { return nil }
        let subresource = members["subresource"]?.stringValue ?? ""
        self.init(
            manager: members["manager"]?.stringValue ?? "", operation: operation,
            apiVersion: members["apiVersion"]?.stringValue ?? "", time: members["time"]?.stringValue ?? "",
            fieldsType: fieldsType, fields: fields, subresource: subresource.isEmpty ? nil : subresource)
    }

    public var json: JSON {
        var members: [String: JSON] = [
            "manager": .string(manager),
            "operation": .string(operation),
            "apiVersion": .string(apiVersion),
            "fieldsType": .string(fieldsType),
            "fieldsV1": fields.fieldsV1,
        ]
        if !time.isEmpty { members["time"] = .string(time) }
        if let subresource { members["subresource"] = .string(subresource) }
        return .object(members)
    }

    /// Kubernetes `BuildManagerIdentifier`: a manager has one Apply entry, and one Update entry per API version,
    /// for each subresource.
    func isSameManager(as other: ManagedFieldsEntry) -> Bool {
        manager == other.manager && operation == other.operation && subresource == other.subresource
            && (operation == Self.applyOperation || apiVersion == other.apiVersion)
    }

    /// How apply conflict messages name the manager (fieldmanager `printManager`).
    var conflictDescription: String {
        var text = JSON.string(manager).text
        if let subresource { text += " with subresource \(JSON.string(subresource).text)" }
        if operation == Self.updateOperation { text += " using \(apiVersion)" }
        return text
    }
}

/// Ownership tracking for writes that are not server-side apply.
public enum ManagedFieldsTracker {
    /// Records a create (`old` nil), update or non-apply patch by `manager` and returns `new` with its
    /// `metadata.managedFields` updated, as Kubernetes' field manager does on every write:
    /// - the fields whose value the write set or changed become the manager's (its Update entry for this API version
    ///   and subresource, stamped `now`) and are taken from every other entry;
    /// - fields the write removed are removed from every entry; entries left empty are dropped.
    /// A client may write `managedFields` itself on the main resource (kubectl does, to hand client-side apply
    /// fields to server-side apply): then those entries are the starting point instead of the stored ones, and
    /// `[{}]` clears them all.
    public static func recordUpdate(
        old: JSON?, new: JSON, manager: String, apiVersion: String, now: String, shape: MergeShape,
        subresource: String?
    ) -> JSON {
        var result = new
        let submitted = new[path: ManagedFields.path]
        if submitted == [[:]] {
            result[path: ManagedFields.path] = nil
            return result
        }
        let submittedEntries = ManagedFields.entries(in: new)
        var entries =
            subresource == nil && !submittedEntries.isEmpty ? submittedEntries : ManagedFields.entries(in: old)

        let before = ManagedFields.withoutManagedFields(old ?? .object([:]))
        let (changed, removed) = FieldSet.changes(
            from: before, to: ManagedFields.withoutManagedFields(new), shape: shape)
        let writer = ManagedFieldsEntry(
            manager: manager, operation: ManagedFieldsEntry.updateOperation, apiVersion: apiVersion, time: now,
            fields: changed, subresource: subresource)
        let taken = changed.union(removed)
        for index in entries.indices where !entries[index].isSameManager(as: writer) {
            entries[index].fields = entries[index].fields.subtracting(taken)
        }
        if let index = entries.firstIndex(where: { $0.isSameManager(as: writer) }) {
            entries[index].fields = entries[index].fields.subtracting(removed).union(changed)
            // The time says when the manager last changed something; a write that only removed fields keeps it.
            if !changed.isEmpty { entries[index].time = now }
        } else {
            entries.append(writer)
        }
        ManagedFields.store(entries, in: &result)
        return result
    }
}

/// Reading and writing `metadata.managedFields`.
enum ManagedFields {
    static let path = ["metadata", "managedFields"]

    /// The object's entries; entries Kubernetes could not decode are left out.
    static func entries(in object: JSON?) -> [ManagedFieldsEntry] {
        object?[path: path]?.arrayValue?.compactMap(ManagedFieldsEntry.init(json:)) ?? []
    }

    static func withoutManagedFields(_ object: JSON) -> JSON {
        var copy = object
        if copy[path: path] != nil { copy[path: path] = nil }
        return copy
    }

    /// Writes the non-empty entries in Kubernetes' order (operation, time, manager, API version, subresource);
    /// with none left the field is removed.
    static func store(_ entries: [ManagedFieldsEntry], in object: inout JSON) {
        let kept = entries.filter { !$0.fields.isEmpty }.sorted {
            ($0.operation, $0.time, $0.manager, $0.apiVersion, $0.subresource ?? "")
                < ($1.operation, $1.time, $1.manager, $1.apiVersion, $1.subresource ?? "")
        }
        if !kept.isEmpty {
            object[path: path] = .array(kept.map(\.json))
        } else if object[path: path] != nil {
            object[path: path] = nil
        }
    }
}
