#if canImport(Glibc)
import Glibc
#endif
import BenchSupport
import Benchmark
import Exporter
import Foundation
import Gzip
import OTLP
import ScopeCore
import SeriesStore

// The OTLP receiver and exporter. Input: the request the Python OpenTelemetry SDK encodes for a
// kafka-consumer workload (scripts/bench-otlp-python: 8159 data points, counters, gauges and
// histograms with 3 attributes), whose encode rate is the anchor. Measured in the same run:
//   - decode: the protobuf body → ExportMetricsServiceRequest;
//   - receive → store: OTLPReceiver.handle (content checks, decode, OTLP → Prometheus mapping,
//     append to the SeriesStore: what scope and eval do) — each iteration a body with new
//     timestamps, so the store appends rather than skipping duplicates;
//   - receive → /metrics table: the same into ReceivedSeries (what export does);
//   - export: Prometheus families → OTLP request → protobuf → gzip (what the pusher sends).
// Goal: receive ≥ 1,000,000 data points/s.

enum Rate {
    static let pointsPerSecond = BenchmarkMetric.custom("points/s", polarity: .prefersLarger, useScalingFactor: false)
}

private final class StepClock: ScopeCore.Clock, @unchecked Sendable {
    var ms: Int64 = 1_800_000_000_000
    func nowMs() -> Int64 { ms }
}

let benchmarks: @Sendable () -> Void = {
    let name = "otlp receive and export vs Python SDK encode"
    Benchmark(name, configuration: .init(metrics: [.wallClock, Rate.pointsPerSecond], warmupIterations: 0, maxIterations: 1,
                                         teardown: { Results.shared.flush(name) })) { benchmark in
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let python = root.appendingPathComponent(".venv/bin/python").path
        let script = root.appendingPathComponent("scripts/bench-otlp-python").path
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw BenchFailure("\(python) is missing (run scripts/bootstrap): the input comes from the Python SDK")
        }
        let file = Scratch.path("otlp-request.bin")
        defer { try? FileManager.default.removeItem(atPath: file) }
        benchmark.startMeasurement()
        let output = try run(python, [script, file, "--repeat", "5"])
        guard let line = output.split(separator: "\n").last(where: { $0.hasPrefix("points=") }) else {
            throw BenchFailure("no points= line from \(script):\n\(output)")
        }
        let fields = Dictionary(uniqueKeysWithValues: line.split(separator: " ").map { pair -> (String, Double) in
            let kv = pair.split(separator: "=")
            return (String(kv[0]), Double(kv[1]) ?? 0)
        })
        let points = Int(fields["points"] ?? 0)
        let pythonRate = fields["encode_points_per_s"] ?? 0
        let body = try [UInt8](Data(contentsOf: URL(fileURLWithPath: file)))

        // Bodies with the timestamps moved 15 s further each (prepared outside the timed loops).
        let decoded = try ExportMetricsServiceRequest.decode(protobuf: body)
        let rounds = 15
        let bodies: [[UInt8]] = try (0..<rounds).map { round in
            var copy = decoded
            let shift = UInt64(round) * 15_000_000_000
            for r in copy.resourceMetrics.indices {
                for s in copy.resourceMetrics[r].scopeMetrics.indices {
                    for m in copy.resourceMetrics[r].scopeMetrics[s].metrics.indices {
                        switch copy.resourceMetrics[r].scopeMetrics[s].metrics[m].data {
                        case .sum(var sum)?:
                            for i in sum.dataPoints.indices { sum.dataPoints[i].timeUnixNano += shift }
                            copy.resourceMetrics[r].scopeMetrics[s].metrics[m].sum = sum
                        case .gauge(var gauge)?:
                            for i in gauge.dataPoints.indices { gauge.dataPoints[i].timeUnixNano += shift }
                            copy.resourceMetrics[r].scopeMetrics[s].metrics[m].gauge = gauge
                        case .histogram(var h)?:
                            for i in h.dataPoints.indices { h.dataPoints[i].timeUnixNano += shift }
                            copy.resourceMetrics[r].scopeMetrics[s].metrics[m].histogram = h
                        default: break
                        }
                    }
                }
            }
            return try copy.serializedBytes()
        }

        // The first round of a receiver meets every series for the first time (cold); the median
        // is the steady state of a receiver whose senders export the same streams every interval.
        var firstRound = 0.0
        func rate(_ body: () throws -> Int) rethrows -> Double {
            var rates: [Double] = []
            for _ in 0..<rounds {
                let start = now()
                let n = try body()
                rates.append(Double(n) / (now() - start))
            }
            firstRound = rates[0]
            return rates.sorted()[rates.count / 2]
        }

        var round = 0
        let decodeRate = try rate {
            let request = try ExportMetricsServiceRequest.decode(protobuf: bodies[round % rounds])
            round += 1
            blackHole(request)
            return points
        }

        let metrics = SelfMetrics()
        let store = SeriesStore(options: StoreOptions(retentionMs: 24 * 3_600_000, maxSeries: 1_000_000, maxSeriesPerQuery: 100_000))
        let clock = StepClock()
        let storeReceiver = OTLPReceiver(metrics: metrics, clock: clock, sink: storeSink(store, metrics: metrics))
        round = 0
        let storeRate = try rate {
            let response = storeReceiver.handle(HTTPServerRequest(method: "POST", path: "/v1/metrics",
                                                                  headers: ["content-type": "application/x-protobuf"], body: bodies[round]))
            round += 1
            guard response.status == 200 else { throw BenchFailure("receiver answered \(response.status): \(response.bodyText)") }
            return points
        }
        let storeCold = firstRound
        let rejected = metrics.value("strmscope_otlp_samples_rejected_total")
        guard rejected == 0 else { throw BenchFailure("the store rejected \(rejected) samples") }

        let table = ReceivedSeries(metrics: metrics)
        let tableReceiver = OTLPReceiver(metrics: metrics, clock: clock) { table.ingest($0, receivedAtMs: clock.ms) }
        round = 0
        let tableRate = try rate {
            _ = tableReceiver.handle(HTTPServerRequest(method: "POST", path: "/v1/metrics",
                                                       headers: ["content-type": "application/x-protobuf"], body: bodies[round]))
            round += 1
            return points
        }

        // The exporter's side: what the receiver made of the request, back to OTLP, gzip'd.
        let families = table.snapshot(nowMs: clock.ms)
        let mapper = PrometheusToOTLP(startTimeUnixNano: 1)
        var exportedPoints = 0
        var gzipBytes = 0
        let exportRate = try rate {
            let (request, n) = mapper.request(families, collectedAtMs: clock.ms)
            let gz = Gzip.compress(try request.serializedBytes())
            exportedPoints = n
            gzipBytes = gz.count
            return n
        }
        benchmark.stopMeasurement()
        benchmark.measurement(Rate.pointsPerSecond, Int(storeRate))

        let results = Results.shared
        results.add("otlp.python_encode_points_per_s", pythonRate)
        results.add("otlp.decode_points_per_s", decodeRate)
        results.add("otlp.receive_store_points_per_s", storeRate)
        results.add("otlp.receive_store_cold_points_per_s", storeCold)
        results.add("otlp.receive_table_points_per_s", tableRate)
        results.add("otlp.export_points_per_s", exportRate)
        func f(_ v: Double) -> String { String(format: "%.0f", v) }
        results.note("""
            input: \(points) data points, \(body.count) bytes protobuf, encoded by the Python SDK
            \(output.trimmingCharacters(in: .newlines))
            decode (swift-protobuf):                        \(f(decodeRate)) points/s
            receive -> store (decode, map, append):         \(f(storeRate)) points/s  (\(String(format: "%.1f", storeRate / pythonRate))x the SDK's encode rate; goal >= 1,000,000: \(storeRate >= 1_000_000 ? "met" : "NOT MET"))
            receive -> store, first request (all new):    \(f(storeCold)) points/s
            receive -> /metrics table (export's receiver): \(f(tableRate)) points/s
            export (families -> OTLP -> protobuf -> gzip): \(f(exportRate)) points/s (\(exportedPoints) points, \(gzipBytes) bytes gzip)
            medians of \(rounds) rounds, each a new request body (timestamps 15 s on); store series per OTLP point: \(String(format: "%.2f", Double(store.stats.series) / Double(points)))
            """)
    }
}
