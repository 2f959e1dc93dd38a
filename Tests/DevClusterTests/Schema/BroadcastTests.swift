import Foundation
@testable import DevCluster
import Testing

@Suite struct BroadcastTests {
    @Test func aValidBroadcastHasNoErrors() throws {
        let schema = try broadcastSchema()
        let object = try broadcast(spec: #"{"destinations": [{"name": "yt", "url": "rtmps://a.rtmp.youtube.com/live2"}]}"#)
        #expect(schema.validate(schema.applyDefaults(to: object)) == [])
    }

    @Test func decodingPrunesThenDefaults() throws {
        let schema = try broadcastSchema()
        let object = try broadcast(spec: #"{"destinations": [{"name": "yt", "url": "rtmp://x", "bitrate": 6000}], "shiny": true}"#)
        let (pruned, prunedPaths) = schema.prune(object)
        #expect(prunedPaths == ["spec.destinations[0].bitrate", "spec.shiny"])
        let stored = schema.applyDefaults(to: pruned)
        #expect(stored["spec"]?["egress"] == ["method": "rtmp"])
        #expect(stored["spec"]?["guests"] == ["max": 6])
        #expect(stored["spec"]?["destinations"] == [["name": "yt", "url": "rtmp://x", "enabled": true]])
    }

    @Test func everyKindOfMistakeIsReportedAsTheAPIServerWordsIt() throws {
        let schema = try broadcastSchema()
        let destinations = (0...10).map { #"{"name": "d\#($0)", "url": "rtmp://x"}"# }.joined(separator: ",")
        let object = try broadcast(spec: #"{"egress": {"method": "foo"}, "guests": {"max": 20}, "destinations": [\#(destinations)]}"#)
        let errors = schema.validate(schema.applyDefaults(to: object))
        #expect(
            errors == [
                FieldError(reason: .tooMany, field: "spec.destinations", message: "Too many: 11: must have at most 10 items"),
                FieldError(
                    reason: .notSupported, field: "spec.egress.method",
                    message: #"Unsupported value: "foo": supported values: "rtmp", "relay""#),
                FieldError(
                    reason: .invalid, field: "spec.guests.max",
                    message: "Invalid value: 20: spec.guests.max in body should be less than or equal to 16"),
            ])
        #expect(
            statusMessage(kind: "Broadcast", group: "media.streamlick.io", name: "x", errors: errors)
                == #"Broadcast.media.streamlick.io "x" is invalid: [spec.destinations: Too many: 11: must have at most 10 items, "#
                + #"spec.egress.method: Unsupported value: "foo": supported values: "rtmp", "relay", "#
                + #"spec.guests.max: Invalid value: 20: spec.guests.max in body should be less than or equal to 16]"#)
    }

    @Test func destinationsAreAListMapKeyedByName() throws {
        let schema = try broadcastSchema()
        let object = try broadcast(
            spec: #"{"destinations": [{"name": "a", "url": "ftp://x"}, {"name": "a", "url": "rtmp://y"}, {"url": "rtmp://z"}]}"#)
        #expect(
            schema.validate(object) == [
                FieldError(
                    reason: .invalid, field: "spec.destinations[0].url",
                    message: "Invalid value: \"ftp://x\": spec.destinations[0].url in body should match '^rtmps?://'"),
                FieldError(reason: .required, field: "spec.destinations[2].name", message: "Required value"),
                FieldError(
                    reason: .duplicate, field: "spec.destinations[1]",
                    message: #"Duplicate value: map[string]interface {}{"name":"a"}"#),
            ])
        #expect(schema.mergeShape.field("spec").field("destinations").list == .map(keys: ["name"]))
    }

    @Test func aMissingRequiredFieldIsOneErrorWithoutBrackets() throws {
        let schema = try broadcastSchema()
        let errors = schema.validate(try broadcast(spec: "{}"))
        #expect(errors == [FieldError(reason: .required, field: "spec.destinations", message: "Required value")])
        #expect(
            statusMessage(kind: "Broadcast", group: "media.streamlick.io", name: "x", errors: errors)
                == #"Broadcast.media.streamlick.io "x" is invalid: spec.destinations: Required value"#)
    }

    @Test func aStringWhereTheGuestCountGoes() throws {
        let schema = try broadcastSchema()
        let errors = schema.validate(try broadcast(spec: #"{"destinations": [], "guests": {"max": "string"}}"#))
        #expect(
            errors == [
                FieldError(
                    reason: .typeInvalid, field: "spec.guests.max",
                    message: #"Invalid value: "string": spec.guests.max in body must be of type integer: "string""#)
            ])
    }

    @Test func theCELRuleIsReportedNotEvaluated() throws {
        let schema = try broadcastSchema()
        #expect(schema.celRules == ["self.guests.max >= 0"])
        #expect(schema.celRuleCount == 1)
    }
}
