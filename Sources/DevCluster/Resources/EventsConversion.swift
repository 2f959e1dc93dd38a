/// events.k8s.io/v1 Events are the core/v1 Events under other field names: one collection, converted both ways,
/// so an event written through either API is listed by both (as a real server stores them).
enum EventsConversion {
    /// events.k8s.io/v1 field → core/v1 field; the other fields have the same name in both.
    static let renamed: [(eventsV1: String, core: String)] = [
        ("regarding", "involvedObject"), ("note", "message"), ("deprecatedSource", "source"),
        ("deprecatedFirstTimestamp", "firstTimestamp"), ("deprecatedLastTimestamp", "lastTimestamp"),
        ("deprecatedCount", "count"), ("reportingController", "reportingComponent"),
    ]

    static func sharingCoreStorage(_ resource: ResourceType) -> ResourceType {
        guard resource.group == "events.k8s.io", resource.plural == "events" else { return resource }
        var resource = resource
        resource.storage = SharedStorage(storageKey: "events", toStorage: toCore, fromStorage: toEventsV1)
        return resource
    }

    @Sendable static func toCore(_ event: JSON) -> JSON {
        rename(event, renamed.map { ($0.eventsV1, $0.core) })
    }

    @Sendable static func toEventsV1(_ event: JSON) -> JSON {
        rename(event, renamed.map { ($0.core, $0.eventsV1) })
    }

    private static func rename(_ event: JSON, _ pairs: [(from: String, to: String)]) -> JSON {
        guard var fields = event.objectValue else { return event }
        var renamedFields: [String: JSON] = [:]
        for (from, to) in pairs {
            if let value = fields.removeValue(forKey: from) { renamedFields[to] = value }
        }
        fields.merge(renamedFields) { _, renamed in renamed }
        return .object(fields)
    }
}
