#if canImport(Glibc)
import Glibc
#endif
import BenchSupport
import Benchmark
import Foundation

// Metrics of the PromQL benchmarks (timing, scratch space and results come from BenchSupport).

/// Custom package-benchmark metrics (one value per iteration).
enum Figure {
    static let endToEndMs = BenchmarkMetric.custom("ms engine+JSON", polarity: .prefersSmaller, useScalingFactor: false)
}
