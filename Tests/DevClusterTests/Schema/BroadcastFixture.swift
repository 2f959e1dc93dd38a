@testable import DevCluster

/// The Broadcast CRD (media.streamlick.io) schema the devcluster serves, trimmed to what the tests need.
let broadcastSchemaText = """
    {
      "type": "object",
      "properties": {
        "apiVersion": {"type": "string"},
        "kind": {"type": "string"},
        "metadata": {"type": "object"},
        "spec": {
          "type": "object",
          "required": ["destinations"],
          "x-kubernetes-validations": [{"rule": "self.guests.max >= 0", "message": "no negative guests"}],
          "properties": {
            "egress": {
              "type": "object",
              "default": {},
              "properties": {
                "method": {"type": "string", "enum": ["rtmp", "relay"], "default": "rtmp"}
              }
            },
            "destinations": {
              "type": "array",
              "maxItems": 10,
              "x-kubernetes-list-type": "map",
              "x-kubernetes-list-map-keys": ["name"],
              "items": {
                "type": "object",
                "required": ["name", "url"],
                "properties": {
                  "name": {"type": "string", "minLength": 1, "maxLength": 63},
                  "url": {"type": "string", "pattern": "^rtmps?://"},
                  "enabled": {"type": "boolean", "default": true}
                }
              }
            },
            "guests": {
              "type": "object",
              "default": {},
              "properties": {
                "max": {"type": "integer", "minimum": 0, "maximum": 16, "default": 6}
              }
            },
            "labels": {"type": "object", "additionalProperties": {"type": "string", "maxLength": 5}},
            "tags": {"type": "array", "x-kubernetes-list-type": "set", "items": {"type": "string"}},
            "startAt": {"type": "string", "format": "date-time"},
            "note": {"type": "string", "nullable": true}
          }
        },
        "status": {
          "type": "object",
          "x-kubernetes-preserve-unknown-fields": true,
          "properties": {
            "phase": {"type": "string"},
            "detail": {"type": "object", "properties": {"code": {"type": "integer"}}}
          }
        }
      }
    }
    """


func broadcastSchema() throws -> StructuralSchema { try StructuralSchema(json(broadcastSchemaText)) }

/// A Broadcast whose spec is the given JSON text.
func broadcast(spec: String) throws -> JSON {
    try json(#"{"apiVersion": "media.streamlick.io/v1alpha1", "kind": "Broadcast", "metadata": {"name": "x"}, "spec": "# + spec + "}")
}
