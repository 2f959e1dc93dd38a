import Foundation
import Logging

/// Static mode's source of broadcasts: the `--manifests` directory, read at start and again whenever a file in it
/// changes (like kubelet's static pods), so editing a Broadcast — disabling a destination, rotating a key —
/// takes effect without a restart. Broadcasts whose spec did not change keep their sessions and streams.
struct StaticManifestWatcher: Sendable {
    let directory: String
    let logger: Logger
    let announcedBaseURL: String
    var pollInterval: Duration = .seconds(1)

    /// Reads the directory and logs every problem with file, document and field.
    func load() throws -> [BroadcastRuntime] {
        let loaded = try StaticManifests.load(directory: directory)
        for problem in loaded.problems {
            logger.error("manifest skipped", metadata: ["problem": "\(problem)"])
        }
        let runtimes = loaded.runtimes()
        for runtime in runtimes {
            if let failure = runtime.failure {
                logger.error("broadcast cannot run", metadata: ["broadcast": "\(runtime.broadcast.key)", "reason": "\(failure)"])
            } else {
                logger.info("broadcast ready for its publisher", metadata: [
                    "broadcast": "\(runtime.broadcast.key)", "whip": "\(announcedBaseURL)/whip/\(runtime.broadcast.key)"])
            }
        }
        return runtimes
    }

    /// Polls for changes until cancelled and hands each new set of broadcasts to `apply`.
    func watch(apply: @escaping @Sendable ([BroadcastRuntime]) -> Void) async {
        var last = fingerprint()
        while !Task.isCancelled {
            try? await Task.sleep(for: pollInterval)
            let current = fingerprint()
            guard current != last else { continue }
            last = current
            logger.info("manifests changed; reloading", metadata: ["directory": "\(directory)"])
            do {
                apply(try load())
            } catch {
                logger.error("cannot reload manifests", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Name, size and modification time of every file: cheap, and enough to notice an edit.
    private func fingerprint() -> [String] {
        let fileManager = FileManager.default
        let names = (try? fileManager.contentsOfDirectory(atPath: directory).sorted()) ?? []
        return names.map { name in
            let attributes = try? fileManager.attributesOfItem(atPath: (directory as NSString).appendingPathComponent(name))
            let size = (attributes?[.size] as? NSNumber)?.intValue ?? -1
            let modified = (attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
            return "\(name)|\(size)|\(modified)"
        }
    }
}
