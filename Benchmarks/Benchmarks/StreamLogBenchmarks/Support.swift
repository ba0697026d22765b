#if canImport(Glibc)
import Glibc
#endif
import Benchmark
import Foundation
import StreamLog

// Helpers shared by the StreamLog benchmarks: scratch directories, workload builders, timing and
// the results file that scripts/bench reads.

/// Where the benchmarks put their logs. `STRMSCOPE_BENCH_DIR` (set by scripts/bench to a directory
/// on the same disk as the work tree) wins; otherwise a directory under the system temp dir.
enum Scratch {
    static let root: String = {
        let environment = ProcessInfo.processInfo.environment
        let base = environment["STRMSCOPE_BENCH_DIR"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (NSTemporaryDirectory() + "strmscope-bench")
        try? FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        return base
    }()

    nonisolated(unsafe) private static var counter = 0

    /// A path that does not exist yet (StreamLog.open with `create: true` makes it).
    static func freshDirectory(_ label: String) -> String {
        counter += 1
        let path = "\(root)/\(label)-\(getpid())-\(counter)"
        remove(path)
        return path
    }

    static func remove(_ path: String) {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Evicts every file under `directory` from the page cache (the data must be clean, i.e.
    /// fsynced, which a clean close guarantees), so the next read comes from the disk.
    static func dropPageCache(_ directory: String) {
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

/// Monotonic seconds.
@inline(__always)
func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

struct BenchFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

enum Workload {
    static let valueSize = 100
    static let batchSize = 100

    /// `count` records without a key, each with a distinct 100-byte value.
    static func batch(count: Int = batchSize) -> [ProducerRecord] {
        (0..<count).map { i in
            ProducerRecord(key: nil, value: (0..<valueSize).map { UInt8(truncatingIfNeeded: i &* 31 &+ $0) })
        }
    }

    /// Appends batches of 100 × 100-byte records with acks=leader: `records` records, or as many
    /// whole batches as fit in `bytes` bytes of log (every batch has the same size). Returns the
    /// number of records written.
    @discardableResult
    static func fill(_ log: StreamLog, _ tp: TopicPartition, bytes: Int? = nil, records: Int? = nil) throws -> Int {
        let batch = batch()
        let before = try log.partitionStatus(tp).bytes
        try log.append(tp, batch, acks: .leader)
        let frame = try log.partitionStatus(tp).bytes - before
        let batches = bytes.map { $0 / frame } ?? ((records ?? batchSize) + batchSize - 1) / batchSize
        for _ in 1..<max(batches, 1) {
            try log.append(tp, batch, acks: .leader)
        }
        return max(batches, 1) * batch.count
    }

    /// Fsyncs made for acks=all writes so far (the log's `strm_log_fsyncs_total`).
    static func fsyncs(_ log: StreamLog) -> Double {
        log.metricFamilies().first { $0.name == "strm_log_fsyncs_total" }?.points.first?.value ?? 0
    }
}

/// Per-iteration figures computed by the benchmarks themselves. Each benchmark's teardown writes
/// the medians as `key value` lines to `$STRMSCOPE_BENCH_RESULTS` (when set) and prints them.
final class Results: @unchecked Sendable {
    static let shared = Results()
    private let lock = NSLock()
    private var values: [(String, [Double])] = []

    func add(_ key: String, _ value: Double) {
        lock.lock()
        defer { lock.unlock() }
        if let i = values.firstIndex(where: { $0.0 == key }) {
            values[i].1.append(value)
        } else {
            values.append((key, [value]))
        }
    }

    /// Median of each key (of the measured iterations), written out, then forgotten.
    func flush(_ title: String) {
        lock.lock()
        let snapshot = values
        values.removeAll()
        lock.unlock()
        guard !snapshot.isEmpty else { return }
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
        FileHandle.standardError.write(Data("[\(title)]\n\(lines)".utf8))
    }
}

/// Custom package-benchmark metrics (larger is better, one value per iteration).
enum Rate {
    static let recordsPerSecond = BenchmarkMetric.custom("records/s", polarity: .prefersLarger, useScalingFactor: false)
    static let megabytesPerSecond = BenchmarkMetric.custom("MB/s (log bytes)", polarity: .prefersLarger, useScalingFactor: false)
    static let appendsPerSecond = BenchmarkMetric.custom("appends/s", polarity: .prefersLarger, useScalingFactor: false)
    static let fsyncsPerSecond = BenchmarkMetric.custom("fsyncs/s", polarity: .prefersLarger, useScalingFactor: false)
    static let mebibytesPerSecond = BenchmarkMetric.custom("MiB/s", polarity: .prefersLarger, useScalingFactor: false)
}
