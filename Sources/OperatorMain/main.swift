import Operator

// Parsed and run by hand: `AsyncParsableCommand.main()` and `run()` called from another module resolve to the
// synchronous defaults on Linux, which only print help.
do {
    let command = try OperatorCommand.parseAsRoot()
    if let run = command as? Run {
        try await run.serve()
    } else {
        var command = command
        try command.run()
    }
} catch {
    OperatorCommand.exit(withError: error)
}
