@testable import DevCluster

/// Parses a JSON literal written in a test.
func json(_ text: String) throws -> JSON {
    try JSON.parse(text)
}
