#if canImport(Glibc)
import Glibc
#endif
import BenchSupport
import Benchmark
import Foundation
import ScopeCore
#if canImport(SeriesStore)
import SeriesStore
#endif

// Benchmarks of the in-memory series store (SeriesStore):
//   ingest   100k series × 120 samples at 15 s (one chunk each): samples/s and bytes/sample, by
//            labels (series creation), by ref in batches (the collector's fast path), one call per
//            sample, and whole scrapes through ingestScrape (labels → series, staleness tracking)
//   select   a store of 10k series × 1 h at 15 s, typical selectors, latency per select
//
// The store's sources are compiled into this executable (SeriesStoreSources is a symlink to
// ../../../Sources/SeriesStore) because the root package exports no SeriesStore library product;
// with one, depend on it instead and the `canImport` above picks it up.

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .peakMemoryResident],
        timeUnits: .milliseconds,
        warmupIterations: 0,
        maxDuration: .seconds(600),
        maxIterations: 3
    )
    ingestBenchmarks()
    selectBenchmarks()
}

let t0: Int64 = 1_700_000_000_000

// MARK: - Data

/// Deterministic generator (SplitMix64).
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

/// Regular scrape data as in the store's CompressionTests: 15 s interval per series (own phase),
/// ±5 ms jitter; 50 % counters (+0 half the scrapes, else +1…10), 30 % integer gauges (move in
/// 30 % of scrapes), 10 % float gauges (new arbitrary value in 20 % of scrapes), 10 % constants.
/// Series look like kafka_exporter's / strmscope's own.
final class Workload: @unchecked Sendable {
    let seriesCount: Int
    let labels: [Labels]
    private let phase: [Int64]
    private var values: [Double]
    private var rng = SplitMix64(seed: 42)

    init(seriesCount: Int) {
        self.seriesCount = seriesCount
        let names = ["kafka_consumergroup_lag", "kafka_topic_partition_current_offset", "strm_records_consumed_total", "strm_dlq_records_total"]
        var rng = SplitMix64(seed: 7)
        labels = (0..<seriesCount).map { i in
            [
                "__name__": names[i % names.count], "job": "kafka", "instance": "broker-\(i % 7):9308",
                "consumergroup": "group-\(i / 4 % 10)", "topic": "topic-\(i / 40 % 50)", "partition": "\(i / 2000)",
            ]
        }
        phase = (0..<seriesCount).map { _ in Int64.random(in: 0..<15_000, using: &rng) }
        values = (0..<seriesCount).map { i in
            switch i % 10 {
            case 0...4: Double(Int.random(in: 0...1_000_000, using: &rng))
            case 5...7: Double(Int.random(in: 0...5_000, using: &rng))
            case 8: Double.random(in: 0...1, using: &rng)
            default: 1
            }
        }
    }

    func timestamp(series: Int, round: Int) -> Int64 {
        t0 + phase[series] + Int64(round) * 15_000 + Int64.random(in: -5...5, using: &rng)
    }

    /// Advances series `i` by one scrape and returns its value.
    func nextValue(_ i: Int) -> Double {
        switch i % 10 {
        case 0...4:
            if Bool.random(using: &rng) { values[i] += Double(Int.random(in: 1...10, using: &rng)) }
        case 5...7:
            if Int.random(in: 0..<10, using: &rng) < 3 { values[i] = max(0, values[i] + Double(Int.random(in: -5...5, using: &rng))) }
        case 8:
            if Int.random(in: 0..<5, using: &rng) == 0 { values[i] = Double.random(in: 0...1, using: &rng) }
        default:
            break
        }
        return values[i]
    }
}

enum Figure {
    static let samplesPerSecond = BenchmarkMetric.custom("samples/s", polarity: .prefersLarger, useScalingFactor: false)
    static let bytesPerSampleX1000 = BenchmarkMetric.custom("bytes/sample ×1000", polarity: .prefersSmaller, useScalingFactor: false)

    /// The figures as `key value` lines, appended to `$STRMSCOPE_BENCH_RESULTS` when set (as the
    /// StreamLog benchmarks do; scripts/bench reads that file) and printed to stderr.
    static func report(_ title: String, _ lines: [(String, Double)]) {
        var text = ""
        for (key, value) in lines { text += "store.\(title).\(key) \(value)\n" }
        if let path = ProcessInfo.processInfo.environment["STRMSCOPE_BENCH_RESULTS"], !path.isEmpty {
            let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
            if fd >= 0 {
                _ = text.withCString { write(fd, $0, strlen($0)) }
                close(fd)
            }
        }
        FileHandle.standardError.write(Data(text.utf8))
    }
}


// MARK: - Ingest

func ingestBenchmarks() {
    let seriesCount = 100_000
    let rounds = 120

    // Round 0 creates every series by labels; rounds 1…119 append by ref, one batch per round
    // (a scrape's worth), which the store applies 1024 samples per lock acquisition. Building a
    // round's batch is not timed; only the store calls are.
    Benchmark(
        "ingest 100k series x 120 samples (create by labels, then batches by ref)",
        configuration: .init(metrics: [.wallClock, .peakMemoryResident, Figure.samplesPerSecond, Figure.bytesPerSampleX1000])
    ) { benchmark in
        let workload = Workload(seriesCount: seriesCount)
        let store = SeriesStore(options: StoreOptions(retentionMs: 3_600_000, maxSeries: 200_000))
        var refs: [SeriesRef] = []
        refs.reserveCapacity(seriesCount)
        var firstRound: [(Labels, Int64, Double)] = []
        for i in 0..<seriesCount { firstRound.append((workload.labels[i], workload.timestamp(series: i, round: 0), workload.nextValue(i))) }
        var start = now()
        for (labels, t, value) in firstRound { refs.append(try store.append(labels, timestampMs: t, value: value)) }
        let createSeconds = now() - start
        var refSeconds = 0.0
        var batch: [RefSample] = []
        batch.reserveCapacity(seriesCount)
        for round in 1..<rounds {
            batch.removeAll(keepingCapacity: true)
            for i in 0..<seriesCount { batch.append(RefSample(ref: refs[i], timestampMs: workload.timestamp(series: i, round: round), value: workload.nextValue(i))) }
            start = now()
            let summary = store.append(batch)
            refSeconds += now() - start
            guard summary.appended == seriesCount else { throw BenchFailure("rejected: \(summary.rejected)") }
        }
        let stats = store.stats
        guard stats.samplesInMemory == seriesCount * rounds else { throw BenchFailure("lost samples") }
        let total = Double(seriesCount * rounds)
        let overall = total / (createSeconds + refSeconds)
        benchmark.measurement(Figure.samplesPerSecond, Int(overall))
        benchmark.measurement(Figure.bytesPerSampleX1000, Int(stats.bytesPerSample * 1000))
        Figure.report("ingest_100k_x120", [
            ("samples_per_s.overall", overall),
            ("samples_per_s.create_by_labels", Double(seriesCount) / createSeconds),
            ("samples_per_s.batch_by_ref", Double(seriesCount * (rounds - 1)) / refSeconds),
            ("bytes_per_sample", stats.bytesPerSample),
            ("chunk_bytes", Double(stats.chunkBytes)),
            ("series", Double(stats.series)),
        ])
    }

    // The same data with one store call (one lock acquisition) per sample: 20 rounds.
    Benchmark(
        "ingest 100k series x 20 samples, one append(ref:) call per sample",
        configuration: .init(metrics: [.wallClock, Figure.samplesPerSecond])
    ) { benchmark in
        let workload = Workload(seriesCount: seriesCount)
        let store = SeriesStore(options: StoreOptions(retentionMs: 3_600_000, maxSeries: 200_000))
        var refs: [SeriesRef] = []
        for i in 0..<seriesCount {
            refs.append(try store.append(workload.labels[i], timestampMs: workload.timestamp(series: i, round: 0), value: workload.nextValue(i)))
        }
        var seconds = 0.0
        var ts: [Int64] = Array(repeating: 0, count: seriesCount)
        var vs: [Double] = Array(repeating: 0, count: seriesCount)
        for round in 1..<21 {
            for i in 0..<seriesCount {
                ts[i] = workload.timestamp(series: i, round: round)
                vs[i] = workload.nextValue(i)
            }
            let start = now()
            for i in 0..<seriesCount { try store.append(ref: refs[i], timestampMs: ts[i], value: vs[i]) }
            seconds += now() - start
        }
        let rate = Double(seriesCount * 20) / seconds
        benchmark.measurement(Figure.samplesPerSecond, Int(rate))
        Figure.report("append_ref_per_call", [("samples_per_s", rate)])
    }

    // Whole scrapes: 100k labelled samples per scrape from one target, 10 scrapes (the first
    // creates the series). Labels → series lookup (hashing outside the lock) and staleness tracking.
    Benchmark(
        "ingestScrape 100k series x 10 scrapes",
        configuration: .init(metrics: [.wallClock, Figure.samplesPerSecond])
    ) { benchmark in
        let workload = Workload(seriesCount: seriesCount)
        let store = SeriesStore(options: StoreOptions(retentionMs: 3_600_000, maxSeries: 200_000))
        var seconds = 0.0
        var steadySeconds = 0.0
        for round in 0..<10 {
            let samples = (0..<seriesCount).map { ScrapedSample(labels: workload.labels[$0], value: workload.nextValue($0)) }
            let start = now()
            let summary = store.ingestScrape(targetKey: "kafka", samples: samples, timestampMs: t0 + Int64(round) * 15_000)
            let elapsed = now() - start
            seconds += elapsed
            if round > 0 { steadySeconds += elapsed }
            guard summary.samples.appended == seriesCount else { throw BenchFailure("rejected: \(summary.samples.rejected)") }
        }
        let rate = Double(seriesCount * 10) / seconds
        benchmark.measurement(Figure.samplesPerSecond, Int(rate))
        Figure.report("ingest_scrape_100k_x10", [
            ("samples_per_s.all_scrapes", rate),
            ("samples_per_s.existing_series", Double(seriesCount * 9) / steadySeconds),
        ])
    }
}

// MARK: - Select

/// A store of 10k series × 240 samples (1 h at 15 s), built once for all select benchmarks.
final class SelectFixture: @unchecked Sendable {
    static let shared = SelectFixture()
    private var built: SeriesStore?
    let end = t0 + 239 * 15_000 + 15_000

    func store() throws -> SeriesStore {
        if let built { return built }
        let workload = Workload(seriesCount: 10_000)
        let store = SeriesStore()
        var refs: [SeriesRef] = []
        for i in 0..<10_000 {
            refs.append(try store.append(workload.labels[i], timestampMs: workload.timestamp(series: i, round: 0), value: workload.nextValue(i)))
        }
        for round in 1..<240 {
            let batch = (0..<10_000).map { RefSample(ref: refs[$0], timestampMs: workload.timestamp(series: $0, round: round), value: workload.nextValue($0)) }
            _ = store.append(batch)
        }
        built = store
        return store
    }
}

func selectBenchmarks() {
    func matcher(_ name: String, _ kind: LabelMatcher.Kind, _ value: String) -> LabelMatcher { try! LabelMatcher(name, kind, value) }
    let cases: [(String, [LabelMatcher], Int64)] = [
        // A channel on the scope: one group's lag, the 5 m window of an instant query.
        ("select kafka_consumergroup_lag{consumergroup=\"group-3\"}[5m] (250 of 10k series)",
         [matcher("__name__", .equal, "kafka_consumergroup_lag"), matcher("consumergroup", .equal, "group-3")], 300_000),
        // The same over the whole hour (a range query's data).
        ("select kafka_consumergroup_lag{consumergroup=\"group-3\"}[1h] (250 of 10k series)",
         [matcher("__name__", .equal, "kafka_consumergroup_lag"), matcher("consumergroup", .equal, "group-3")], 3_600_000),
        // A regex over topics.
        ("select strm_records_consumed_total{topic=~\"topic-1.*\"}[5m] (275 of 10k series)",
         [matcher("__name__", .equal, "strm_records_consumed_total"), matcher("topic", .regexMatch, "topic-1.*")], 300_000),
        // Everything under one job: what rate(x[5m]) summed over 10k series reads per step.
        ("select {job=\"kafka\"}[5m] (all 10k series)", [matcher("job", .equal, "kafka")], 300_000),
        ("select {job=\"kafka\"}[1h] (all 10k series, 2.4M samples)", [matcher("job", .equal, "kafka")], 3_600_000),
    ]
    for (name, matchers, window) in cases {
        Benchmark(
            name,
            configuration: .init(metrics: [.wallClock, .cpuTotal, .mallocCountTotal], timeUnits: .microseconds, warmupIterations: 3, maxDuration: .seconds(20), maxIterations: 200)
        ) { benchmark in
            let store = try SelectFixture.shared.store()
            let end = SelectFixture.shared.end
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                blackHole(try store.select(matchers, minMs: end - window, maxMs: end))
            }
            benchmark.stopMeasurement()
        }
    }
}
