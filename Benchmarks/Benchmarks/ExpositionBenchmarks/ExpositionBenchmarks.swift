#if canImport(Glibc)
import Glibc
#endif
import BenchSupport
import Benchmark
import Exposition
import Foundation
import ScopeCore

// Throughput of the exposition parser on a kafka_exporter-shaped exposition (KafkaExposition:
// 500 consumer groups × 50 partitions, ≈10.5 MB). Each iteration parses the whole input; the
// rates that matter (MB/s of input, samples/s) are custom metrics, one value per iteration.
// Goals: ≥ 300 MB/s, and ≥ 20× Python prometheus_client's parser on the same bytes — the last
// benchmark measures both back to back in the same process run and prints the ratio.

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .mallocCountTotal, Rate.megabytesPerSecond, Rate.samplesPerSecond],
        timeUnits: .milliseconds,
        warmupIterations: 2,
        maxDuration: .seconds(10),
        maxIterations: 30
    )
    parseBenchmark("exposition kafka 10MB 0.0.4 forEachSample", key: "exposition.text_visitor", dialect: .prometheusText) { parser in
        var count = 0
        var sum = 0.0
        try parser.forEachSample {
            count += 1
            sum += $0.value
        }
        blackHole(sum)
        return count
    }
    parseBenchmark("exposition kafka 10MB 0.0.4 next()", key: "exposition.text_pull", dialect: .prometheusText) { parser in
        var count = 0
        while let entry = try parser.next() {
            if case .sample(let sample) = entry {
                count += 1
                blackHole(sample.value)
            }
        }
        return count
    }
    parseBenchmark("exposition kafka 10MB OpenMetrics forEachSample", key: "exposition.om_visitor", dialect: .openMetrics) { parser in
        var count = 0
        try parser.forEachSample { _ in count += 1 }
        return count
    }
    parseBenchmark("exposition kafka 10MB 0.0.4 parseFamilies", key: "exposition.text_families", dialect: .prometheusText, families: true) { _ in 0 }
    pythonComparison()
}

/// The input, generated once per process.
enum Input {
    static let text: [UInt8] = KafkaExposition.generate()
    static let openMetrics: [UInt8] = KafkaExposition.openMetrics(text)
    static let samples: Int = {
        var parser = ExpositionParser(text, dialect: .prometheusText)
        var n = 0
        try? parser.forEachSample { _ in n += 1 }
        return n
    }()
}

func parseBenchmark(_ name: String, key: String, dialect: ExpositionDialect, families: Bool = false,
                    _ body: @escaping @Sendable (inout ExpositionParser) throws -> Int) {
    Benchmark(name, configuration: .init(teardown: { Results.shared.flush(name) })) { benchmark in
        let bytes = dialect == .openMetrics ? Input.openMetrics : Input.text
        benchmark.startMeasurement()
        let start = now()
        var count: Int
        if families {
            let parsed = try ExpositionParser.parseFamilies(bytes, dialect: dialect)
            count = parsed.reduce(0) { $0 + $1.points.count }
        } else {
            var parser = ExpositionParser(bytes, dialect: dialect)
            count = try body(&parser)
        }
        let seconds = now() - start
        benchmark.stopMeasurement()
        guard count == Input.samples else { throw BenchFailure("\(name): parsed \(count) samples, expected \(Input.samples)") }
        record(key, bytes: bytes.count, samples: count, seconds: seconds, benchmark)
    }
}

func record(_ key: String, bytes: Int, samples: Int, seconds: Double, _ benchmark: Benchmark) {
    let mbps = Double(bytes) / seconds / 1e6
    let sps = Double(samples) / seconds
    benchmark.measurement(Rate.megabytesPerSecond, Int(mbps))
    benchmark.measurement(Rate.samplesPerSecond, Int(sps))
    Results.shared.add("\(key).mb_per_s", mbps)
    Results.shared.add("\(key).samples_per_s", sps)
}

// MARK: Python anchor

/// Python prometheus_client's text parser (scripts/bench-exposition-python, the median of 3 runs)
/// and ours (forEachSample, the median of 15 runs) on the same file, one after the other, and the
/// ratio. Skipped with a note when .venv/bin/python or prometheus_client is missing.
func pythonComparison() {
    let name = "exposition kafka 10MB vs Python prometheus_client"
    Benchmark(name, configuration: .init(metrics: [.wallClock, Rate.megabytesPerSecond, Rate.ratio], warmupIterations: 0, maxIterations: 1,
                                         teardown: { Results.shared.flush(name) })) { benchmark in
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let python = root.appendingPathComponent(".venv/bin/python").path
        let script = root.appendingPathComponent("scripts/bench-exposition-python").path
        guard FileManager.default.isExecutableFile(atPath: python) else {
            FileHandle.standardError.write(Data("[\(name)] skipped: \(python) is missing (run scripts/bootstrap)\n".utf8))
            return
        }
        let file = Scratch.path("kafka-exposition.prom")
        defer { try? FileManager.default.removeItem(atPath: file) }
        try Data(Input.text).write(to: URL(fileURLWithPath: file))

        benchmark.startMeasurement()
        let output = try run(python, [script, file, "--repeat", "3"])
        var ours: [Double] = []
        for _ in 0..<15 {
            var parser = ExpositionParser(Input.text, dialect: .prometheusText)
            let start = now()
            var count = 0
            try parser.forEachSample { _ in count += 1 }
            ours.append(Double(Input.text.count) / (now() - start) / 1e6)
            guard count == Input.samples else { throw BenchFailure("parsed \(count) samples") }
        }
        benchmark.stopMeasurement()

        guard let line = output.split(separator: "\n").last(where: { $0.hasPrefix("mb_per_s=") }),
              let pythonMBps = Double(line.split(separator: " ")[0].dropFirst("mb_per_s=".count))
        else { throw BenchFailure("no mb_per_s= line from \(script):\n\(output)") }
        let oursMBps = ours.sorted()[ours.count / 2]
        let ratio = oursMBps / pythonMBps
        benchmark.measurement(Rate.megabytesPerSecond, Int(oursMBps))
        benchmark.measurement(Rate.ratio, Int(ratio))
        Results.shared.add("exposition.vs_python.ours_mb_per_s", oursMBps)
        Results.shared.add("exposition.vs_python.python_mb_per_s", pythonMBps)
        Results.shared.add("exposition.vs_python.ratio", ratio)
        let goal = oursMBps >= 300 && ratio >= 20 ? "goals met" : "GOAL NOT MET"
        Results.shared.note("""
            input: \(Input.text.count) bytes, \(Input.samples) samples (500 groups × 50 partitions)
            \(output.trimmingCharacters(in: .newlines))
            ours (forEachSample, median of 15): \(String(format: "%.1f", oursMBps)) MB/s
            ratio: \(String(format: "%.1f", ratio))× (goals: ≥ 300 MB/s, ≥ 20×: \(goal))
            """)
    }
}
