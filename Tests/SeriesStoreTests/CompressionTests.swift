import Testing
import ScopeCore

@testable import SeriesStore

/// The encoding's size on regular scrape data. Deterministic (seeded data, exact encoding), so the
/// goal of at most 2 bytes per sample is asserted, not just reported.
@Suite struct CompressionTests {
    /// 1 000 series × 240 samples (1 h at 15 s, two chunks each), ±5 ms jitter. The mix:
    /// 50 % counters (+0 half the scrapes, else +1…10), 30 % integer gauges (move ±1…5 in 30 % of
    /// scrapes), 10 % float gauges (a new arbitrary double in 20 % of scrapes), 10 % constants.
    @Test func regularScrapeDataFitsInTwoBytesPerSample() throws {
        let store = SeriesStore()
        let workload = RegularWorkload(seriesCount: 1_000, samplesPerSeries: 240)
        var perKind: [RegularWorkload.Kind: (bytes: Int, samples: Int)] = [:]
        workload.generate { index, samples in
            var appender = XORChunkAppender()
            var bytes = 0
            for (i, sample) in samples.enumerated() {
                if i > 0 && i % 120 == 0 {
                    bytes += appender.byteCount
                    appender = XORChunkAppender()
                }
                appender.append(timestampMs: sample.timestampMs, value: sample.value)
                try! store.append(workload.labels(index), timestampMs: sample.timestampMs, value: sample.value)
            }
            bytes += appender.byteCount
            let kind = RegularWorkload.kind(of: index)
            perKind[kind, default: (0, 0)].bytes += bytes
            perKind[kind, default: (0, 0)].samples += samples.count
        }
        let stats = store.stats
        #expect(stats.samplesInMemory == 240_000)
        #expect(stats.series == 1_000)
        #expect(stats.chunks == 2_000, "120 samples per chunk")
        let bytesPerSample = stats.bytesPerSample
        for kind in RegularWorkload.Kind.allCases {
            let entry = perKind[kind]!
            print("bytes/sample \(kind): \(Double(entry.bytes) / Double(entry.samples))")
        }
        print("bytes/sample on regular scrape data (store, 1000 series × 240 samples): \(bytesPerSample)")
        #expect(bytesPerSample <= 2.0)
        #expect(bytesPerSample > 0.5, "sanity: the figure is a real measurement")
        let total = perKind.values.reduce(0) { $0 + $1.bytes }
        #expect(total == stats.chunkBytes, "the store's accounting matches the encoder's")
    }

    @Test func jitterFreeDataIsSmallerStill() {
        let store = SeriesStore()
        let workload = RegularWorkload(seriesCount: 200, samplesPerSeries: 240, jitterMs: 0)
        workload.generate { index, samples in
            for sample in samples { try! store.append(workload.labels(index), timestampMs: sample.timestampMs, value: sample.value) }
        }
        print("bytes/sample without jitter: \(store.stats.bytesPerSample)")
        #expect(store.stats.bytesPerSample <= 1.2)
    }
}
