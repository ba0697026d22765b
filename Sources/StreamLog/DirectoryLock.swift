#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// The single-writer lock of a log directory: an exclusive `flock` on `<dir>/lock`, holding the
/// writer's pid so a second writer can say who is in the way. The kernel drops the lock when the
/// process dies, so a `kill -9` never leaves a stale lock behind.
final class DirectoryLock: @unchecked Sendable {
    static let fileName = "lock"
    private let file: FileHandleRef

    init(directory: String) throws(LogError) {
        let path = FileSystem.join(directory, Self.fileName)
        file = try FileHandleRef(path: path, flags: O_RDWR | O_CREAT)
        if flock(file.fd, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            guard code == EWOULDBLOCK else { throw .io(path: path, operation: "lock", errno: code) }
            throw .locked(path: directory, holderPid: Self.holder(of: directory))
        }
        let pid = Array("\(getpid())\n".utf8)
        try file.truncate(to: 0)
        try file.write(at: 0, pid)
    }

    /// The pid written by the current holder, if it can be read.
    static func holder(of directory: String) -> Int32? {
        guard let bytes = try? FileSystem.readFile(FileSystem.join(directory, fileName)) else { return nil }
        return Int32(String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Releases the lock and clears the pid, so nobody takes this (still running) process for the
    /// writer any more.
    func release() {
        try? file.truncate(to: 0)
        flock(file.fd, LOCK_UN)
    }
}

