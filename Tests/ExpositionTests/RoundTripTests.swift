import ScopeCore
import Testing

@testable import Exposition

/// Encoder output, in both dialects, parses back to the same families and samples.
@Suite struct RoundTripTests {
    // MARK: Fixed examples

    static let textFamilies: [MetricFamily] = {
        var histogram = Histogram(upperBounds: [0.005, 0.5, 1])
        histogram.observe(0.5)
        histogram.observe(7)
        var latency = MetricFamily(name: "strm_processing_duration_seconds", type: .histogram, help: "Processing time.")
        latency.points = histogram.points(name: latency.name, labels: ["topic": "orders"])
        var produced = MetricFamily(name: "strm_records_produced_total", type: .counter, help: "Records \"produced\" \\ acked.\nSecond line.")
        produced.add(["topic": "orders"], 1027)
        produced.add(["topic": "dlq\n\"x\"\\"], 0)
        var lag = MetricFamily(name: "kafka_consumergroup_lag", type: .gauge, help: "")
        lag.points = [
            MetricPoint(name: "kafka_consumergroup_lag", labels: ["consumergroup": "billing", "partition": "0", "topic": "orders"], value: 12, timestampMs: 1_700_000_000_123),
            MetricPoint(name: "kafka_consumergroup_lag", labels: ["consumergroup": "ünïcødé ☃ 🚀", "partition": "1", "topic": "orders"], value: -0.0),
        ]
        var summary = MetricFamily(name: "rpc_seconds", type: .summary, help: "RPC.")
        summary.points = [
            MetricPoint(name: "rpc_seconds", labels: ["quantile": "0.5"], value: .nan),
            MetricPoint(name: "rpc_seconds", labels: ["quantile": "0.99"], value: 1e-300),
            MetricPoint(name: "rpc_seconds_sum", value: 1.7976931348623157e308),
            MetricPoint(name: "rpc_seconds_count", value: 3),
        ]
        let empty = MetricFamily(name: "nothing_yet", type: .untyped, help: "No samples.")
        return [latency, produced, lag, summary, empty]
    }()

    @Test func prometheusTextRoundTrip() throws {
        let text = PrometheusTextEncoder.encode(Self.textFamilies)
        let parsed = try ExpositionParser.parseFamilies(text, dialect: .prometheusText)
        #expect(parsed == Self.textFamilies)
        #expect(parsed[2].points[1].value.sign == .minus, "-0 keeps its sign")
        #expect(parsed[3].points[0].value.isNaN)
    }

    @Test func openMetricsRoundTrip() throws {
        var families = Self.textFamilies
        families[1].name = "strm_records_produced"  // OpenMetrics names the counter family without _total
        families[1].points = families[1].points.map { var p = $0; p.name = "strm_records_produced_total"; return p }
        families[1].points.insert(MetricPoint(name: "strm_records_produced_created", labels: ["topic": "orders"], value: 1.7e9), at: 1)
        families[0].unit = "seconds"
        families[4].type = .unknown
        var info = MetricFamily(name: "build", type: .info, help: "Build.")
        info.points = [MetricPoint(name: "build_info", labels: ["version": "1.2.3"], value: 1)]
        var state = MetricFamily(name: "breaker", type: .stateset, help: "")
        state.points = [MetricPoint(name: "breaker", labels: ["breaker": "open"], value: 1), MetricPoint(name: "breaker", labels: ["breaker": "closed"], value: 0)]
        var gh = MetricFamily(name: "queue_bytes", type: .gaugehistogram, help: "", unit: "bytes")
        gh.points = [
            MetricPoint(name: "queue_bytes_bucket", labels: ["le": "1024"], value: 3),
            MetricPoint(name: "queue_bytes_bucket", labels: ["le": "+Inf"], value: 5),
            MetricPoint(name: "queue_bytes_gcount", value: 5),
            MetricPoint(name: "queue_bytes_gsum", value: 9000),
        ]
        families += [info, state, gh]
        let text = OpenMetricsEncoder.encode(families)
        #expect(text.hasSuffix("\n# EOF\n"))
        let parsed = try ExpositionParser.parseFamilies(text, dialect: .openMetrics)
        #expect(parsed == families)
    }

    @Test func zeroPointFamiliesAndCountersNamedTheTextWay() throws {
        // A 0.0.4-style counter (family and points named x_total) comes back the OpenMetrics way.
        var counter = MetricFamily(name: "x_total", type: .counter, help: "X.")
        counter.add(["a": "b"], 2)
        let text = OpenMetricsEncoder.encode([counter])
        #expect(text == "# HELP x X.\n# TYPE x counter\nx_total{a=\"b\"} 2.0\n# EOF\n")
        let parsed = try ExpositionParser.parseFamilies(text, dialect: .openMetrics)
        #expect(parsed == [MetricFamily(name: "x", type: .counter, help: "X.", points: [MetricPoint(name: "x_total", labels: ["a": "b"], value: 2)])])
    }

    // MARK: Randomized property test

    /// Random families that are valid in `dialect`, encoded, parsed back: the same families, every
    /// value bit for bit (NaN as NaN, -0 as -0), and the visitor sees the same samples as `next()`.
    @Test(arguments: [ExpositionDialect.prometheusText, .openMetrics])
    func randomFamiliesRoundTrip(_ dialect: ExpositionDialect) throws {
        var rng = SplitMix64(seed: dialect == .openMetrics ? 0x0E11_2024 : 0x0004_2024)
        for round in 0..<300 {
            let families = FamilyGenerator(dialect: dialect).families(&rng)
            let text = encodeExposition(families, as: dialect)
            let parsed: [MetricFamily]
            do {
                parsed = try ExpositionParser.parseFamilies(text, dialect: dialect)
            } catch {
                Issue.record("round \(round): encoder output does not parse: \(error)\n\(text)")
                return
            }
            #expect(parsed == families, "round \(round):\n\(text)")
            guard parsed == families else { return }
            for (a, b) in zip(parsed.flatMap(\.points), families.flatMap(\.points)) {
                #expect(a.value.isNaN ? b.value.isNaN : a.value.bitPattern == b.value.bitPattern, "round \(round): \(a.value) vs \(b.value)")
            }
            let pulled = try samples(text, dialect)
            #expect(try visitedSamples(Array(text.utf8), dialect) == pulled)
            #expect(pulled.count == families.reduce(0) { $0 + $1.points.count })
        }
    }

    @Test func theGeneratorMakesInterestingInputs() {
        var rng = SplitMix64(seed: 1)
        var all: [MetricFamily] = []
        for _ in 0..<50 { all += FamilyGenerator(dialect: .openMetrics).families(&rng) }
        let values = all.flatMap(\.points).map(\.value)
        #expect(values.contains { $0.isNaN })
        #expect(values.contains(.infinity))
        #expect(values.contains { $0 == 0 && $0.sign == .minus })
        #expect(values.contains { $0 != 0 && abs($0) < 1e-300 })
        let labelValues = all.flatMap(\.points).flatMap { $0.labels.map(\.value) }
        #expect(labelValues.contains { $0.contains("\n") })
        #expect(labelValues.contains { $0.contains("\\") })
        #expect(labelValues.contains { $0.contains("\"") })
        #expect(labelValues.contains { $0.unicodeScalars.contains { $0.value > 0xFFFF } })
        #expect(Set(all.map(\.type)).count == 8)
    }
}

/// A small seeded generator (SplitMix64), so every run tests the same inputs.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Random families that follow the rules of one dialect (OpenMetrics: counters not negative,
/// histograms cumulative and ending in +Inf, one label set's samples together, …).
struct FamilyGenerator {
    let dialect: ExpositionDialect
    var om: Bool { dialect == .openMetrics }

    func families(_ rng: inout SplitMix64) -> [MetricFamily] {
        (0..<Int.random(in: 1...5, using: &rng)).map { family(index: $0, &rng) }
    }

    private func family(index: Int, _ rng: inout SplitMix64) -> MetricFamily {
        let types: [MetricType] = om
            ? [.counter, .gauge, .histogram, .gaugehistogram, .summary, .info, .stateset, .unknown]
            : [.counter, .gauge, .histogram, .summary, .untyped]
        let type = types.randomElement(using: &rng)!
        var name = "f\(index)x" + String((0..<Int.random(in: 0...6, using: &rng)).map { _ in "abcxyz_09".randomElement(using: &rng)! })
        var unit = ""
        if om && [.counter, .gauge, .histogram, .gaugehistogram, .summary].contains(type) && Bool.random(using: &rng) {
            unit = ["seconds", "bytes", "ratio"].randomElement(using: &rng)!
            name += "_" + unit
        }
        if !om && type == .counter { name += "_total" }
        var family = MetricFamily(name: name, type: type, help: help(&rng), unit: unit)
        let withTimestamps = Bool.random(using: &rng)
        var timestamp = Int64.random(in: -1_000_000_000_000...4_000_000_000_000, using: &rng)
        for set in 0..<Int.random(in: 0...3, using: &rng) {
            var labels = labelSet(set, &rng)
            func add(_ sampleName: String, _ extra: [Label] = [], _ value: Double) {
                var l = labels.pairs + extra
                l.sort()
                family.points.append(MetricPoint(name: sampleName, labels: Labels(l), value: value, timestampMs: withTimestamps ? timestamp : nil))
            }
            // One timestamp per label set: an OpenMetrics histogram's buckets, count and sum are one
            // observation at one time; across label sets it never goes backwards.
            defer { timestamp += Int64.random(in: 0...2000, using: &rng) }
            switch type {
            case .counter:
                add(om ? name + "_total" : name, [], om ? abs(value(&rng, nan: false)) : value(&rng))
                if om && Bool.random(using: &rng) { add(name + "_created", [], Double(Int.random(in: 0...2_000_000_000, using: &rng))) }
            case .gauge, .unknown, .untyped:
                add(name, [], value(&rng))
            case .histogram, .gaugehistogram:
                var bound = 0.0
                var count = 0.0
                for _ in 0..<Int.random(in: 0...4, using: &rng) {
                    bound += Double(Int.random(in: 1...1000, using: &rng)) / 64
                    count += Double(Int.random(in: 0...50, using: &rng))
                    add(name + "_bucket", [Label("le", formatBound(bound))], om ? count : value(&rng))
                }
                count += Double(Int.random(in: 0...50, using: &rng))
                add(name + "_bucket", [Label("le", "+Inf")], om ? count : value(&rng))
                if type == .histogram {
                    if Bool.random(using: &rng) || !om {
                        add(name + "_count", [], om ? count : value(&rng))
                        add(name + "_sum", [], om ? abs(value(&rng, nan: false)) : value(&rng))
                    }
                    if om && Bool.random(using: &rng) { add(name + "_created", [], 1.5e9) }
                } else if Bool.random(using: &rng) {
                    add(name + "_gcount", [], count)
                    add(name + "_gsum", [], abs(value(&rng, nan: false)))
                }
            case .summary:
                for q in ["0", "0.5", "0.99", "1"] where Bool.random(using: &rng) {
                    add(name, [Label("quantile", q)], om ? abs(value(&rng)) : value(&rng))
                }
                add(name + "_sum", [], om ? abs(value(&rng, nan: false)) : value(&rng))
                add(name + "_count", [], om ? Double(Int.random(in: 0...1_000_000, using: &rng)) : value(&rng))
            case .info:
                add(name + "_info", [], 1)
            case .stateset:
                labels = Labels(labels.pairs.filter { $0.name != name })
                for state in ["a", "b", "é ☃"] { add(name, [Label(name, state)], Bool.random(using: &rng) ? 1 : 0) }
            }
        }
        return family
    }

    /// Distinct per `set` (the `idx` label); other names random, values full of escapes and unicode.
    private func labelSet(_ set: Int, _ rng: inout SplitMix64) -> Labels {
        var pairs = [Label("idx", String(set))]
        for _ in 0..<Int.random(in: 0...3, using: &rng) {
            let first = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_".randomElement(using: &rng)!
            var name = String(first) + String((0..<Int.random(in: 0...8, using: &rng)).map { _ in "abc_XYZ019".randomElement(using: &rng)! })
            if ["idx", "le", "quantile", "__name__"].contains(name) || name.hasPrefix("f") { name = "l_" + name }
            if pairs.contains(where: { $0.name == name }) { continue }
            pairs.append(Label(name, text(&rng)))
        }
        return Labels(pairs)
    }

    private static let pieces = [
        "a", "Z", "0", " ", "\\", "\"", "\n", "\t", "\r", "#", "{", "}", ",", "=", "é", "ü", "☃", "🚀", "日本", "\u{0}", "\u{7F}",
        "\\n", "\\\"", "\\\\", "# {", "} 1", "e\u{301}", "\u{FEFF}",
    ]

    private func text(_ rng: inout SplitMix64) -> String {
        (0..<Int.random(in: 0...8, using: &rng)).map { _ in Self.pieces.randomElement(using: &rng)! }.joined()
    }

    /// HELP text. The 0.0.4 format cannot keep blanks right after the metric name (Go skips them).
    private func help(_ rng: inout SplitMix64) -> String {
        var help = text(&rng)
        if !om { while help.first == " " || help.first == "\t" { help.removeFirst() } }
        return help
    }

    private func value(_ rng: inout SplitMix64, nan: Bool = true) -> Double {
        switch Int.random(in: 0...13, using: &rng) {
        case 0: return nan ? .nan : 0
        case 1: return .infinity
        case 2: return -.infinity
        case 3: return -0.0
        case 4: return 0
        case 5: return .leastNonzeroMagnitude
        case 6: return .greatestFiniteMagnitude
        case 7: return -.leastNormalMagnitude
        case 8: return Double(Int64.random(in: -1_000_000...1_000_000, using: &rng))
        case 9: return Double(Int64.random(in: Int64.min...Int64.max, using: &rng))
        case 10: return Double.random(in: -1...1, using: &rng)
        case 11: return Double.random(in: -1e300...1e300, using: &rng)
        default:
            // Any finite bit pattern.
            var d: Double
            repeat { d = Double(bitPattern: rng.next()) } while !d.isFinite
            return d
        }
    }
}
