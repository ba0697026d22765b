import ScopeCore

@testable import SeriesStore

/// Deterministic, seedable generator (SplitMix64) so randomized tests replay exactly.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Shorthand for a matcher in tests (the patterns used here are all valid).
func m(_ name: String, _ kind: LabelMatcher.Kind, _ value: String) -> LabelMatcher {
    try! LabelMatcher(name, kind, value)
}

let t0: Int64 = 1_700_000_000_000

/// Samples encoded into one chunk and decoded back.
func roundTrip(_ samples: [Sample]) -> [Sample] {
    var appender = XORChunkAppender()
    for sample in samples {
        let ok = appender.append(timestampMs: sample.timestampMs, value: sample.value)
        precondition(ok, "test data must have increasing timestamps")
    }
    return appender.sealed().samples()
}

/// A store's series as a dictionary from labels to samples (select order is creation order;
/// tests compare contents).
func byLabels(_ series: [Series]) -> [Labels: [Sample]] {
    Dictionary(uniqueKeysWithValues: series.map { ($0.labels, $0.samples) })
}

/// Regular scrape data: every series scraped every 15 s (each with its own phase) with a small
/// timestamp jitter, values like an exporter's — mostly slowly increasing counters and gauges that
/// rarely move. The mix is described in `CompressionTests`.
struct RegularWorkload {
    enum Kind: CaseIterable { case counter, gauge, floatGauge, constant }

    var seriesCount: Int
    var samplesPerSeries: Int
    var jitterMs: Int64 = 5
    var intervalMs: Int64 = 15_000
    var seed: UInt64 = 42

    static func kind(of index: Int) -> Kind {
        switch index % 10 {
        case 0...4: .counter      // 50 %: counters, +0 half the time, else +1…10
        case 5...7: .gauge        // 30 %: integer gauges (lag, members, depth), moving 30 % of scrapes
        case 8: .floatGauge       // 10 %: float gauges, a new arbitrary value 20 % of scrapes
        default: .constant        // 10 %: constants (`up`, partition counts, info metrics)
        }
    }

    func labels(_ index: Int) -> Labels {
        let names = ["kafka_consumergroup_lag", "kafka_topic_partition_current_offset", "strm_records_consumed_total", "strm_dlq_records_total"]
        return [
            "__name__": names[index % names.count], "job": "kafka", "instance": "broker-\(index % 7):9308",
            "topic": "topic-\(index / 100 % 50)", "partition": "\(index % 100)",
        ]
    }

    /// Calls `body(seriesIndex, samples)` for every series.
    func generate(_ body: (Int, [Sample]) -> Void) {
        var rng = SplitMix64(seed: seed)
        for index in 0..<seriesCount {
            let kind = Self.kind(of: index)
            let phase = Int64.random(in: 0..<intervalMs, using: &rng)
            var value: Double = switch kind {
            case .counter: Double(Int.random(in: 0...1_000_000, using: &rng))
            case .gauge: Double(Int.random(in: 0...5_000, using: &rng))
            case .floatGauge: Double.random(in: 0...1, using: &rng)
            case .constant: 1
            }
            var samples: [Sample] = []
            samples.reserveCapacity(samplesPerSeries)
            for i in 0..<samplesPerSeries {
                let jitter = jitterMs == 0 ? 0 : Int64.random(in: -jitterMs...jitterMs, using: &rng)
                let t = t0 + phase + Int64(i) * intervalMs + jitter
                switch kind {
                case .counter:
                    if Bool.random(using: &rng) { value += Double(Int.random(in: 1...10, using: &rng)) }
                case .gauge:
                    if Int.random(in: 0..<10, using: &rng) < 3 { value = max(0, value + Double(Int.random(in: -5...5, using: &rng))) }
                case .floatGauge:
                    if Int.random(in: 0..<5, using: &rng) == 0 { value = Double.random(in: 0...1, using: &rng) }
                case .constant:
                    break
                }
                samples.append(Sample(timestampMs: t, value: value))
            }
            body(index, samples)
        }
    }
}
