/// Server-side apply (`application/apply-patch+yaml`, `kubectl apply --server-side`), after Kubernetes'
/// structured-merge-diff `Updater.Apply`, simplified to what devcluster's objects need:
/// 1. the applied configuration is merged into the live object (objects field by field, list maps element by key,
///    sets by union, everything else replaced; `null` removes a field);
/// 2. fields the manager applied last time, no longer applies, and nobody else owns are removed (an object left
///    empty by that goes too, unless someone owns it);
/// 3. a field another manager owns that this apply adds or changes is a conflict, unless `force` moves it;
/// 4. the manager's Apply entry becomes exactly the applied field set.
public enum ServerSideApply {
    /// The manager Kubernetes credits with every field of an object that has no managedFields yet, so that a first
    /// apply cannot silently take over (or drop) what was written before tracking began.
    static let beforeFirstApplyManager = "before-first-apply"

    /// Applies `config` for `manager`; `live` nil creates. Returns the new object with `metadata.managedFields`
    /// (equal to `live` when the apply changes nothing).
    public static func apply(
        config: JSON, to live: JSON?, manager: String, apiVersion: String, now: String, force: Bool,
        shape: MergeShape
    ) throws(ApplyConflict) -> JSON {
        // The managed fields are the server's: a configuration cannot set them.
        let applied = ManagedFields.withoutManagedFields(config)
        let base = live.map(ManagedFields.withoutManagedFields) ?? .object([:])
        var entries = ManagedFields.entries(in: live)
        if let live, entries.isEmpty {
            entries = [
                ManagedFieldsEntry(
                    manager: beforeFirstApplyManager, operation: ManagedFieldsEntry.updateOperation,
                    apiVersion: apiVersion, time: "", fields: FieldSet.of(live, shape: shape))
            ]
        }
        let applier = ManagedFieldsEntry(
            manager: manager, operation: ManagedFieldsEntry.applyOperation, apiVersion: apiVersion, time: now,
            fields: FieldSet.of(applied, shape: shape))
        let previous = entries.first { $0.isSameManager(as: applier) }
        var others = entries.filter { !$0.isSameManager(as: applier) }

        var merged = merge(applied, into: base, shape: shape) ?? .object([:])
        let owned = others.reduce(applier.fields) { $0.union($1.fields) }
        for path in (previous?.fields ?? FieldSet()).subtracting(applier.fields).paths
        where !owned.containsAnything(atOrBelow: path) {
            removeValue(at: path[...], in: &merged, shape: shape, owned: owned)
        }

        let (changed, removed) = FieldSet.changes(from: base, to: merged, shape: shape)
        let conflicts = others.map { (owner: $0, paths: $0.fields.intersection(changed).paths) }
            .filter { !$0.paths.isEmpty }
        if !conflicts.isEmpty && !force { throw ApplyConflict(conflicts) }
        // Forced fields move to the applier; removed fields belong to nobody.
        for index in others.indices {
            others[index].fields = others[index].fields.subtracting(changed).subtracting(removed)
        }

        var entry = applier
        if let previous, previous.fields == applier.fields, merged == base {
            // The time says when the manager last changed the object; a repeated apply leaves it.
            entry.time = previous.time
        }
        var result = merged
        ManagedFields.store(others + [entry], in: &result)
        return result
    }

    /// Merges an applied value into the live one; nil means the field is removed.
    private static func merge(_ applied: JSON, into live: JSON?, shape: MergeShape) -> JSON? {
        switch (live, applied) {
        case (_, .null):
            return nil
        case (.object(var fields)?, .object(let appliedFields)) where !shape.atomicObject:
            for (name, value) in appliedFields {
                fields[name] = merge(value, into: fields[name], shape: shape.field(name))
            }
            return .object(fields)
        case (_, .array(let appliedElements)) where shape.list != .atomic:
            return .array(mergeList(appliedElements, into: live?.arrayValue ?? [], shape: shape))
        case (_, .object(let appliedFields)) where !shape.atomicObject:
            return merge(.object(appliedFields), into: .object([:]), shape: shape)
        default:
            return applied
        }
    }

    /// Merges list-map or set elements the way structured-merge-diff orders them: live elements the configuration
    /// does not name stay where they are, the configuration's elements come in its order, and a shared element
    /// is placed where the configuration's order reaches it.
    private static func mergeList(_ applied: [JSON], into live: [JSON], shape: MergeShape) -> [JSON] {
        let liveElements = live.map(shape.pathElement(of:))
        let appliedElements = applied.map(shape.pathElement(of:))
        let named = Set(appliedElements)
        var liveByElement: [PathElement: JSON] = [:]
        for (element, value) in zip(liveElements, live) where liveByElement[element] == nil {
            liveByElement[element] = value
        }
        var shared = appliedElements.filter { liveByElement[$0] != nil }[...]
        var merged: Set<PathElement> = []
        var result: [JSON] = []

        func take(_ position: Int) {
            let element = appliedElements[position]
            merged.insert(element)
            if let value = merge(applied[position], into: liveByElement[element], shape: shape.element) {
                result.append(value)
            }
            if shared.first == element { shared = shared.dropFirst() }
        }

        var (liveIndex, appliedIndex) = (0, 0)
        while liveIndex < live.count || appliedIndex < applied.count {
            if liveIndex < live.count, appliedIndex < applied.count {
                let element = liveElements[liveIndex]
                if element == appliedElements[appliedIndex] {
                    take(appliedIndex)
                    liveIndex += 1
                    appliedIndex += 1
                    continue
                }
                if named.contains(element), let next = shared.first, next != element {
                    // A shared element the configuration wants later: it is placed when the configuration gets there.
                    liveIndex += 1
                    continue
                }
            }
            if liveIndex < live.count {
                let element = liveElements[liveIndex]
                if !named.contains(element) {
                    result.append(live[liveIndex])
                    liveIndex += 1
                    continue
                }
                if merged.contains(element) {
                    liveIndex += 1
                    continue
                }
            }
            if appliedIndex < applied.count {
                take(appliedIndex)
                appliedIndex += 1
            }
        }
        return result
    }

    /// Removes the value at `path`. An object the removal leaves empty goes too, unless a manager owns it.
    private static func removeValue(
        at path: ArraySlice<PathElement>, in node: inout JSON, shape: MergeShape, owned: FieldSet?
    ) {
        guard let step = path.first else { return }
        let rest = path.dropFirst()
        switch (step, node) {
        case (.field(let name), .object(var fields)):
            guard var child = fields[name] else { return }
            if rest.isEmpty {
                fields[name] = nil
            } else {
                removeValue(at: rest, in: &child, shape: shape.field(name), owned: owned?.subset(at: [step]))
                let ownedItself = owned?.contains([step]) ?? false
                if child == .object([:]) && !ownedItself {
                    fields[name] = nil
                } else {
                    fields[name] = child
                }
            }
            node = .object(fields)
        case (.key, .array(var elements)), (.value, .array(var elements)), (.index, .array(var elements)):
            let position: Int?
            if case .index(let index) = step {
                position = elements.indices.contains(index) ? index : nil
            } else {
                position = elements.firstIndex { shape.pathElement(of: $0) == step }
            }
            guard let position else { return }
            if rest.isEmpty {
                elements.remove(at: position)
            } else {
                removeValue(at: rest, in: &elements[position], shape: shape.element, owned: owned?.subset(at: [step]))
            }
            node = .array(elements)
        default:
            return
        }
    }
}

/// An apply that would change fields other managers own (HTTP 409 Conflict).
public struct ApplyConflict: Error, Sendable, CustomStringConvertible {
    /// Each conflicting field, as a path like `.spec.replicas`, with the manager that owns it.
    public let conflicts: [(manager: String, field: String)]
    /// The message Kubernetes returns, e.g.
    /// `Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas`.
    public let message: String

    /// `found` holds each other manager's entry with the paths it owns that the apply would change.
    init(_ found: [(owner: ManagedFieldsEntry, paths: [[PathElement]])]) {
        // Kubernetes sorts managers by their identifier, which starts with the name and operation.
        let byManager = found.sorted {
            ($0.owner.manager, $0.owner.operation, $0.owner.apiVersion, $0.owner.subresource ?? "")
                < ($1.owner.manager, $1.owner.operation, $1.owner.apiVersion, $1.owner.subresource ?? "")
        }
        conflicts = byManager.flatMap { owner, paths in paths.map { (owner.manager, Self.pathText($0)) } }
        if conflicts.count == 1, let only = byManager.first {
            message =
                "Apply failed with 1 conflict: conflict with \(only.owner.conflictDescription): \(conflicts[0].field)"
            return
        }
        // fieldmanager `getConflictMessage`: grouped by manager, one "- path" line per field.
        let lines = byManager.flatMap { owner, paths in
            ["conflicts with \(owner.conflictDescription):"] + paths.map { "- " + Self.pathText($0) }
        }
        message = "Apply failed with \(conflicts.count) conflicts: " + lines.joined(separator: "\n")
    }

    public var description: String { message }

    private static func pathText(_ path: [PathElement]) -> String {
        path.map(\.description).joined()
    }
}
