import Testing
@testable import DevCluster

@Suite struct JSONTests {
    @Test func parsesAndSerializesRoundTrip() throws {
        let text = #"{"a":[1,-2.5,true,false,null],"b":{"c":"x\"y\\z\n\u00e9\ud83d\ude00"},"n":12345678901234}"#
        let value = try JSON.parse(text)
        #expect(value["a"] == [1, -2.5, true, false, nil])
        #expect(value[path: ["b", "c"]] == .string("x\"y\\z\né😀"))
        #expect(value["n"] == .int(12_345_678_901_234))
        #expect(try JSON.parse(value.text) == value)
    }

    @Test func rejectsMalformedInput() {
        for bad in ["", "{", "{\"a\":}", "[1,]", "tru", "\"unterminated", "{\"a\":1} x", "01x"] {
            #expect(throws: JSONParseError.self) { try JSON.parse(bad) }
        }
    }

    @Test func integersAndDoublesWithTheSameValueAreEqual() {
        #expect(JSON.int(3) == JSON.double(3.0))
        #expect(JSON.int(3) != JSON.double(3.5))
        #expect(Set<JSON>([.int(3), .double(3.0)]).count == 1)
    }

    @Test func pathSubscriptCreatesIntermediateObjects() {
        var object: JSON = [:]
        object[path: ["metadata", "labels", "app"]] = "web"
        #expect(object.text == #"{"metadata":{"labels":{"app":"web"}}}"#)
        object[path: ["metadata", "labels", "app"]] = nil
        #expect(object.text == #"{"metadata":{"labels":{}}}"#)
    }
}
