import DevCluster

// AsyncParsableCommand's main() resolves to the synchronous default from another module on Linux
// (docs/ARCHITECTURE.md), so parse here and run the async entry point directly.
do {
    var command = try DevClusterCommand.parseAsRoot()
    if let serve = command as? Serve {
        try await serve.serve()
    } else {
        try command.run()
    }
} catch {
    DevClusterCommand.exit(withError: error)
}
