#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// An open file descriptor, closed when the last reference goes. Positional reads and writes
/// (`pread`/`pwrite`) are safe from several threads at once; callers serialise writes.
final class FileHandleRef: @unchecked Sendable {
    let fd: Int32
    let path: String

    /// A file opened for writing never follows a symbolic link (`O_NOFOLLOW`): a link planted in
    /// a log directory must not make the log write — or truncate — a file elsewhere.
    init(path: String, flags: Int32, mode: mode_t = 0o644) throws(LogError) {
        let writing = flags & (O_WRONLY | O_RDWR) != 0
        let fd = Glibc.open(path, flags | O_CLOEXEC | (writing ? O_NOFOLLOW : 0), mode)
        guard fd >= 0 else {
            let code = errno
            if code == ELOOP && writing { throw .symbolicLink(path: path) }
            throw .io(path: path, operation: "open", errno: code)
        }
        self.fd = fd
        self.path = path
    }

    deinit { Glibc.close(fd) }

    func size() throws(LogError) -> Int {
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw .io(path: path, operation: "stat", errno: errno) }
        return Int(st.st_size)
    }

    /// Reads up to `count` bytes at `offset`; fewer only at end of file.
    func read(at offset: Int, count: Int, into buffer: UnsafeMutableRawPointer) throws(LogError) -> Int {
        var done = 0
        while done < count {
            let n = pread(fd, buffer + done, count - done, off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                throw .io(path: path, operation: "read", errno: errno)
            }
            if n == 0 { break }
            done += n
        }
        return done
    }

    /// Reads into the start of `buffer` (which must hold `count` bytes); returns the bytes read.
    func read(at offset: Int, count: Int, into buffer: inout [UInt8]) throws(LogError) -> Int {
        precondition(count <= buffer.count)
        let outcome: Result<Int, LogError> = buffer.withUnsafeMutableBytes { raw in
            do throws(LogError) {
                return .success(try read(at: offset, count: count, into: raw.baseAddress!))
            } catch {
                return .failure(error)
            }
        }
        return try outcome.get()
    }

    func read(at offset: Int, count: Int) throws(LogError) -> [UInt8] {
        var failure: LogError?
        let result = [UInt8](unsafeUninitializedCapacity: count) { raw, initialized in
            do throws(LogError) {
                initialized = count == 0 ? 0 : try read(at: offset, count: count, into: UnsafeMutableRawPointer(raw.baseAddress!))
            } catch {
                failure = error
                initialized = 0
            }
        }
        if let failure { throw failure }
        return result
    }

    /// Writes every byte at `offset` or throws; a short write is retried, never left half done silently.
    func write(at offset: Int, _ bytes: UnsafeRawBufferPointer) throws(LogError) {
        var done = 0
        while done < bytes.count {
            let n = pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                throw .io(path: path, operation: "write", errno: errno)
            }
            done += n
        }
    }

    func write(at offset: Int, _ bytes: [UInt8]) throws(LogError) {
        let failure: LogError? = bytes.withUnsafeBytes { raw in
            do throws(LogError) {
                try write(at: offset, raw)
                return nil
            } catch {
                return error
            }
        }
        if let failure { throw failure }
    }

    func truncate(to size: Int) throws(LogError) {
        guard ftruncate(fd, off_t(size)) == 0 else { throw .io(path: path, operation: "truncate", errno: errno) }
    }

    /// Data (and the size that makes it reachable) reach stable storage before this returns.
    func syncData() throws(LogError) {
        guard fdatasync(fd) == 0 else { throw .io(path: path, operation: "fdatasync", errno: errno) }
    }
}

/// Directory and whole-file helpers with errors that name the path.
enum FileSystem {
    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    static func createDirectory(_ path: String) throws(LogError) {
        if mkdir(path, 0o755) != 0 && errno != EEXIST {
            throw .io(path: path, operation: "mkdir", errno: errno)
        }
    }

    static func list(_ path: String) throws(LogError) -> [String] {
        guard let dir = opendir(path) else { throw .io(path: path, operation: "list", errno: errno) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    static func remove(_ path: String) throws(LogError) {
        if unlink(path) != 0 && errno != ENOENT { throw .io(path: path, operation: "remove", errno: errno) }
    }

    static func removeDirectory(_ path: String) throws(LogError) {
        if rmdir(path) != 0 && errno != ENOENT { throw .io(path: path, operation: "remove directory", errno: errno) }
    }

    /// Makes a directory's entries (new, renamed or removed files) durable.
    static func syncDirectory(_ path: String) throws(LogError) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw .io(path: path, operation: "open directory", errno: errno) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw .io(path: path, operation: "fsync directory", errno: errno) }
    }

    static func readFile(_ path: String) throws(LogError) -> [UInt8] {
        let file = try FileHandleRef(path: path, flags: O_RDONLY)
        return try file.read(at: 0, count: file.size())
    }

    /// Replaces `path` atomically and durably: a reader sees the old or the new contents, never a
    /// mix, also after a crash (write temp, fsync, rename, fsync directory).
    static func writeFileAtomically(_ path: String, _ bytes: [UInt8]) throws(LogError) {
        let temp = path + ".tmp"
        let file = try FileHandleRef(path: temp, flags: O_WRONLY | O_CREAT | O_TRUNC)
        try file.write(at: 0, bytes)
        try file.syncData()
        guard rename(temp, path) == 0 else { throw .io(path: path, operation: "rename", errno: errno) }
        try syncDirectory(parent(of: path))
    }

    static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    static func join(_ a: String, _ b: String) -> String { a.hasSuffix("/") ? a + b : a + "/" + b }
}
