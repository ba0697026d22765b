#if canImport(Glibc)
import Glibc
#endif
import BenchSupport
import Benchmark
import Foundation

// Metrics of the exposition benchmarks (timing, scratch space and results come from BenchSupport).

/// Custom package-benchmark metrics (larger is better, one value per iteration).
enum Rate {
    static let megabytesPerSecond = BenchmarkMetric.custom("MB/s (input)", polarity: .prefersLarger, useScalingFactor: false)
    static let samplesPerSecond = BenchmarkMetric.custom("samples/s", polarity: .prefersLarger, useScalingFactor: false)
    static let ratio = BenchmarkMetric.custom("x Python", polarity: .prefersLarger, useScalingFactor: false)
}
