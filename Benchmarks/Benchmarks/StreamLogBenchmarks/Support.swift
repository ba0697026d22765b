#if canImport(Glibc)
import Glibc
#endif
import BenchSupport
import Benchmark
import Foundation
import StreamLog

// Helpers of the StreamLog benchmarks: workload builders and metrics (timing, scratch space and
// the results file come from BenchSupport).

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

/// Custom package-benchmark metrics (larger is better, one value per iteration).
enum Rate {
    static let recordsPerSecond = BenchmarkMetric.custom("records/s", polarity: .prefersLarger, useScalingFactor: false)
    static let megabytesPerSecond = BenchmarkMetric.custom("MB/s (log bytes)", polarity: .prefersLarger, useScalingFactor: false)
    static let appendsPerSecond = BenchmarkMetric.custom("appends/s", polarity: .prefersLarger, useScalingFactor: false)
    static let fsyncsPerSecond = BenchmarkMetric.custom("fsyncs/s", polarity: .prefersLarger, useScalingFactor: false)
    static let mebibytesPerSecond = BenchmarkMetric.custom("MiB/s", polarity: .prefersLarger, useScalingFactor: false)
}
