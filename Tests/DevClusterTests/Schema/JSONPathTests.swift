import Foundation
@testable import DevCluster
import Testing

@Suite struct JSONPathTests {
    private let object: JSON = [
        "metadata": [
            "name": "show",
            "creationTimestamp": "2024-05-01T10:00:00Z",
            "labels": ["app.kubernetes.io/name": "media-pod"],
        ],
        "spec": [
            "items": [["name": "a", "weight": 1], ["name": "b", "weight": 2.5]],
            "guests": ["max": 6],
            "ready": true,
        ],
        "status": [
            "phase": nil,
            "conditions": [["type": "Live", "status": "False"], ["type": "Ready", "status": "True"]],
        ],
    ]

    private func values(_ path: String) throws -> [JSON] { try PrinterColumnPath(path).values(in: object) }

    @Test func fieldsIndexesAndWildcards() throws {
        #expect(try values(".metadata.name") == ["show"])
        #expect(try values(#".metadata.labels.app\.kubernetes\.io/name"#) == ["media-pod"])
        #expect(try values(".metadata.labels['app.kubernetes.io/name']") == ["media-pod"])
        #expect(try values(".spec.items[0].name") == ["a"])
        #expect(try values(".spec.items[-1].name") == ["b"])
        #expect(try values(".spec.items[*].name") == ["a", "b"])
        #expect(try values(".spec.items[0:1].name") == ["a"])
        #expect(try values(".spec.guests.*") == [6])
        #expect(try values(".status.phase") == [nil], "an explicit null is a value")
    }

    @Test func missingOrInapplicablePathsSelectNothing() throws {
        #expect(try values(".spec.missing.deeper") == [])
        #expect(try values(".spec.items[5].name") == [])
        #expect(try values(".spec.guests[0]") == [])
        #expect(try values(".status.phase.reason") == [])
    }

    @Test func filters() throws {
        #expect(try values(#".status.conditions[?(@.type=="Ready")].status"#) == ["True"])
        #expect(try values(".status.conditions[?(@.type != 'Ready')].status") == ["False"])
        #expect(try values(".spec.items[?(@.weight > 1)].name") == [], "an int literal does not compare with a float")
        #expect(try values(#".spec.items[?(@.name > "a")].name"#) == ["b"])
        #expect(try values(".status.conditions[?(@.reason)].type") == [])
    }

    @Test func unsupportedSyntaxIsRejected() {
        #expect(throws: SelectorError.self) { try PrinterColumnPath("..name") }
        #expect(throws: SelectorError.self) { try PrinterColumnPath(".spec[0") }
        #expect(throws: SelectorError.self) { try PrinterColumnPath(".spec[a,b]") }
    }

    @Test func cellsFollowTheColumnType() throws {
        #expect(PrinterColumnPath.cellText(try values(".spec.guests.max"), type: "integer") == 6)
        #expect(PrinterColumnPath.cellText(try values(".spec.items[1].weight"), type: "integer") == 2)
        #expect(PrinterColumnPath.cellText(try values(".spec.guests.max"), type: "number") == .double(6))
        #expect(PrinterColumnPath.cellText(try values(".spec.ready"), type: "boolean") == true)
        #expect(PrinterColumnPath.cellText(try values(".spec.ready"), type: "string") == "true")
        #expect(PrinterColumnPath.cellText(try values(".spec.items[1].weight"), type: "string") == "2.5")
        #expect(PrinterColumnPath.cellText(try values(".spec.guests"), type: "string") == #"{"max":6}"#)
        #expect(PrinterColumnPath.cellText(try values(".metadata.name"), type: "integer") == nil, "wrong type: no cell")
        #expect(PrinterColumnPath.cellText(try values(".status.missing"), type: "string") == nil, "kubectl prints <none>")
        #expect(PrinterColumnPath.cellText(try values(".status.phase"), type: "string") == "<no value>")
        #expect(PrinterColumnPath.cellText(try values(".spec.items[*].name"), type: "string") == "a", "only the first value counts")
    }

    @Test func dateCellsShowTheAge() throws {
        let created = try values(".metadata.creationTimestamp")
        let creation = Date(timeIntervalSince1970: 1_714_557_600)  // 2024-05-01T10:00:00Z
        #expect(PrinterColumnPath.cellText(created, type: "date", now: creation.addingTimeInterval(90)) == "90s")
        #expect(PrinterColumnPath.cellText(created, type: "date", now: creation.addingTimeInterval(5 * 60 + 7)) == "5m7s")
        #expect(PrinterColumnPath.cellText(created, type: "date", now: creation.addingTimeInterval(3 * 3600)) == "3h")
        #expect(PrinterColumnPath.cellText(created, type: "date", now: creation.addingTimeInterval(26 * 3600)) == "26h")
        #expect(PrinterColumnPath.cellText(created, type: "date", now: creation.addingTimeInterval(3 * 86400 + 4 * 3600)) == "3d4h")
        #expect(PrinterColumnPath.cellText(created, type: "date", now: creation.addingTimeInterval(400 * 86400)) == "400d")
        #expect(PrinterColumnPath.cellText(created, type: "date", now: creation.addingTimeInterval(-60)) == "<invalid>")
        #expect(PrinterColumnPath.cellText(["2024-05-01T12:00:00+02:00"], type: "date", now: creation) == "0s")
        #expect(PrinterColumnPath.cellText(["yesterday"], type: "date", now: creation) == "<invalid>")
        #expect(PrinterColumnPath.cellText([""], type: "date", now: creation) == "<unknown>")
    }
}
