#if canImport(Glibc)
import Glibc
#endif
import Benchmark
import Foundation

// Helpers of the PromQL benchmarks (each benchmark executable is a target of its own, so these
// mirror the other targets' helpers rather than share them).

/// Monotonic seconds.
@inline(__always)
func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// CPU seconds of the calling thread (the engine evaluates on the caller's thread).
@inline(__always)
func threadCPU() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

struct BenchFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Scratch files: under `STRMSCOPE_BENCH_DIR` (set by the scripts) or the system temp dir.
enum Scratch {
    static func path(_ name: String) -> String {
        let environment = ProcessInfo.processInfo.environment
        let base = environment["STRMSCOPE_BENCH_DIR"].flatMap { $0.isEmpty ? nil : $0 } ?? NSTemporaryDirectory()
        try? FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        return "\(base)/\(getpid())-\(name)"
    }
}

/// Per-iteration figures; each benchmark's teardown writes the medians as `key value` lines to
/// `$STRMSCOPE_BENCH_RESULTS` (when set) and prints them.
final class Results: @unchecked Sendable {
    static let shared = Results()
    private let lock = NSLock()
    private var values: [(String, [Double])] = []
    private var notes: [String] = []

    /// Free text printed (not written to the results file) with the next flush.
    func note(_ text: String) {
        lock.lock()
        defer { lock.unlock() }
        notes.append(text)
    }

    func add(_ key: String, _ value: Double) {
        lock.lock()
        defer { lock.unlock() }
        if let i = values.firstIndex(where: { $0.0 == key }) {
            values[i].1.append(value)
        } else {
            values.append((key, [value]))
        }
    }

    func flush(_ title: String) {
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

/// Custom package-benchmark metrics (one value per iteration).
enum Figure {
    static let endToEndMs = BenchmarkMetric.custom("ms engine+JSON", polarity: .prefersSmaller, useScalingFactor: false)
}

func run(_ executable: String, _ arguments: [String]) throws -> String {
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
