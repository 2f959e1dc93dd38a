import Foundation
import Synchronization

/// A bearer token kept in a file that is replaced while the process runs: kubelet rotates projected service
/// account tokens by swapping a symlink, so the file is read again whenever its identity, size or modification
/// time changes (one `stat` per request, no polling).
final class BearerTokenFile: Sendable {
    let path: String
    private let cache = Mutex<(stamp: FileStamp, token: String)?>(nil)

    init(path: String) {
        self.path = path
    }

    /// The current token. When a changed file cannot be read (mid-rotation), the last good token is kept.
    func token() throws(KubeConfigError) -> String {
        let stamp = FileStamp(path: path)
        if let cached = cache.withLock({ $0 }), cached.stamp == stamp { return cached.token }
        do {
            let token = try Self.read(path)
            cache.withLock { $0 = (stamp, token) }
            return token
        } catch {
            if let cached = cache.withLock({ $0 }) { return cached.token }
            throw error
        }
    }

    static func read(_ path: String) throws(KubeConfigError) -> String {
        let bytes = try KubeConfig.readFile(path, purpose: "bearer token file")
        let token = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !token.isEmpty else { throw KubeConfigError("bearer token file \(path) is empty") }
        return token
    }
}

/// What changes when a file is replaced or rewritten. Symlinks are followed: the token path itself is a link
/// whose own metadata stays the same across rotations.
struct FileStamp: Equatable {
    var resolvedPath: String
    var inode: UInt64?
    var size: UInt64?
    var modified: Date?

    init(path: String) {
        resolvedPath = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        let attributes = (try? FileManager.default.attributesOfItem(atPath: resolvedPath)) ?? [:]
        inode = (attributes[.systemFileNumber] as? NSNumber)?.uint64Value
        size = (attributes[.size] as? NSNumber)?.uint64Value
        modified = attributes[.modificationDate] as? Date
    }
}
