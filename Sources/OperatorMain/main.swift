import Operator
#if canImport(Glibc)
import Glibc

// glibc gives every thread that allocates its own arena (up to 8 per core); with NIO's and the concurrency pool's
// threads decoding JSON, freed memory stays spread over them and RSS grows well past what is live. Two suffice.
// `mallopt` is declared in <malloc.h>, which the Glibc module does not export: found by name instead.
if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") {
    let mallopt = unsafeBitCast(symbol, to: (@convention(c) (Int32, Int32) -> Int32).self)
    let arenaMax: Int32 = -8  // M_ARENA_MAX
    _ = mallopt(arenaMax, 2)
}
#endif

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
