import MediaPod

// Parsed and run by hand: `AsyncParsableCommand.main()` and `run()` called from another module resolve to the
// synchronous defaults on Linux, which only print help.
do {
    let command = try MediaPodCommand.parse()
    try await command.serve()
} catch {
    MediaPodCommand.exit(withError: error)
}
