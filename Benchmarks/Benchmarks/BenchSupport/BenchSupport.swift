#if canImport(Glibc)
import Glibc
#endif
import Foundation

// What every benchmark target of this package needs: timing, scratch space, the results file
// scripts/bench reads, and running helper programs.

/// Monotonic seconds.
@inline(__always)
public func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// CPU seconds of the calling thread.
@inline(__always)
public func threadCPU() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

public struct BenchFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Scratch space: `STRMSCOPE_BENCH_DIR` (set by scripts/bench to a directory on the same disk as
/// the work tree) wins; otherwise a directory under the system temp dir.
public enum Scratch {
    public static let root: String = {
        let environment = ProcessInfo.processInfo.environment
        let base = environment["STRMSCOPE_BENCH_DIR"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (NSTemporaryDirectory() + "strmscope-bench")
        try? FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        return base
    }()

    nonisolated(unsafe) private static var counter = 0

    /// A file path in the scratch space, named after this process and `name`.
    public static func path(_ name: String) -> String { "\(root)/\(getpid())-\(name)" }

    /// A path that does not exist yet (StreamLog.open with `create: true` makes it).
    public static func freshDirectory(_ label: String) -> String {
        counter += 1
        let path = "\(root)/\(label)-\(getpid())-\(counter)"
        remove(path)
        return path
    }

    public static func remove(_ path: String) {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Evicts every file under `directory` from the page cache (the data must be clean, i.e.
    /// fsynced, which a clean close guarantees), so the next read comes from the disk.
    public static func dropPageCache(_ directory: String) {
        guard let enumerator = FileManager.default.enumerator(atPath: directory) else { return }
        while let name = enumerator.nextObject() as? String {
            let fd = open("\(directory)/\(name)", O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { continue }
            _ = fdatasync(fd)
            _ = posix_fadvise(fd, 0, 0, Int32(POSIX_FADV_DONTNEED))
            close(fd)
        }
    }
}

/// Per-iteration figures computed by the benchmarks themselves. Each benchmark's teardown writes
/// the medians as `key value` lines to `$STRMSCOPE_BENCH_RESULTS` (when set) and prints them.
public final class Results: @unchecked Sendable {
    public static let shared = Results()
    private let lock = NSLock()
    private var values: [(String, [Double])] = []
    private var notes: [String] = []

    /// Free text printed (not written to the results file) with the next flush.
    public func note(_ text: String) {
        lock.lock()
        defer { lock.unlock() }
        notes.append(text)
    }

    public func add(_ key: String, _ value: Double) {
        lock.lock()
        defer { lock.unlock() }
        if let i = values.firstIndex(where: { $0.0 == key }) {
            values[i].1.append(value)
        } else {
            values.append((key, [value]))
        }
    }

    /// Median of each key (of the measured iterations), written out, then forgotten.
    public func flush(_ title: String) {
        lock.lock()
        let snapshot = values
        let notesSnapshot = notes
        values.removeAll()
        notes.removeAll()
        lock.unlock()
        guard !snapshot.isEmpty || !notesSnapshot.isEmpty else { return }
        var lines = ""
        for (key, samples) in snapshot {
            let sorted = samples.sorted()
            let median = sorted.count % 2 == 1
                ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
            lines += "\(key) \(median) n=\(sorted.count) min=\(sorted.first!) max=\(sorted.last!)\n"
        }
        if let path = ProcessInfo.processInfo.environment["STRMSCOPE_BENCH_RESULTS"], !path.isEmpty {
            let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
            if fd >= 0 {
                _ = lines.withCString { write(fd, $0, strlen($0)) }
                close(fd)
            }
        }
        let noteText = notesSnapshot.map { $0.hasSuffix("\n") ? $0 : $0 + "\n" }.joined()
        FileHandle.standardError.write(Data("[\(title)]\n\(lines)\(noteText)".utf8))
    }
}

/// Runs a program to completion and returns its standard output; a non-zero exit is an error.
public func run(_ executable: String, _ arguments: [String]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw BenchFailure("\(executable) \(arguments) exited \(process.terminationStatus)") }
    return String(decoding: data, as: UTF8.self)
}
