import ScopeCore
import Testing

@testable import Exposition

@Suite struct OpenMetricsEncoderTests {
    @Test func counterGetsTotalAndTheExpositionEndsWithEOF() {
        var family = MetricFamily(name: "strm_records_produced_total", type: .counter, help: "Records produced.")
        family.add(["topic": "orders"], 1027)
        family.points.append(MetricPoint(name: "strm_records_produced_total", labels: ["topic": "dlq"], value: 3, timestampMs: 1_700_000_000_123))
        #expect(OpenMetricsEncoder.encode([family]) == """
            # HELP strm_records_produced Records produced.
            # TYPE strm_records_produced counter
            strm_records_produced_total{topic="orders"} 1027.0
            strm_records_produced_total{topic="dlq"} 3.0 1700000000.123
            # EOF

            """)
    }

    @Test func pointsNamedLikeTheFamilyGetTheirSuffix() {
        var counter = MetricFamily(name: "requests", type: .counter, help: "")
        counter.add(Labels(), 5)
        counter.points.append(MetricPoint(name: "requests_created", value: 1.7e9))
        var info = MetricFamily(name: "build", type: .info, help: "")
        info.add(["version": "1.0"], 1)
        #expect(OpenMetricsEncoder.encode([counter, info]) == """
            # TYPE requests counter
            requests_total 5.0
            requests_created 1700000000.0
            # TYPE build info
            build_info{version="1.0"} 1.0
            # EOF

            """)
    }

    @Test func histogramWithUnit() {
        var histogram = Histogram(upperBounds: [0.005, 0.5])
        histogram.observe(0.25)
        var family = MetricFamily(name: "strm_processing_duration_seconds", type: .histogram, help: "Latency.", unit: "seconds")
        family.points = histogram.points(name: family.name, labels: ["topic": "t"])
        #expect(OpenMetricsEncoder.encode([family]) == """
            # HELP strm_processing_duration_seconds Latency.
            # TYPE strm_processing_duration_seconds histogram
            # UNIT strm_processing_duration_seconds seconds
            strm_processing_duration_seconds_bucket{le="0.005",topic="t"} 0.0
            strm_processing_duration_seconds_bucket{le="0.5",topic="t"} 1.0
            strm_processing_duration_seconds_bucket{le="+Inf",topic="t"} 1.0
            strm_processing_duration_seconds_sum{topic="t"} 0.25
            strm_processing_duration_seconds_count{topic="t"} 1.0
            # EOF

            """)
    }

    @Test func unitOnlyWhenTheNameCarriesIt() {
        let mismatched = MetricFamily(name: "latency", type: .gauge, help: "", unit: "seconds")
        let info = MetricFamily(name: "x_seconds", type: .info, help: "", unit: "seconds")
        let text = OpenMetricsEncoder.encode([mismatched, info])
        #expect(!text.contains("# UNIT"), "a UNIT the name does not end with, or on an info, would not parse")
    }

    @Test func untypedIsUnknownAndEmptyIsJustEOF() {
        #expect(OpenMetricsEncoder.encode([MetricFamily(name: "u", type: .untyped, help: "")]) == "# TYPE u unknown\n# EOF\n")
        #expect(OpenMetricsEncoder.encode([]) == "# EOF\n")
        #expect(encodeExposition([], as: .prometheusText) == "")
        #expect(OpenMetricsEncoder.contentType == "application/openmetrics-text; version=1.0.0; charset=utf-8")
    }

    @Test func openMetricsValueFormatting() {
        let cases: [(Double, String)] = [
            (.nan, "NaN"), (.infinity, "+Inf"), (-.infinity, "-Inf"), (0, "0.0"), (-0.0, "-0.0"), (1, "1.0"), (-1, "-1.0"),
            (1027, "1027.0"), (999_999_999_999_999, "999999999999999.0"), (1e15, "1000000000000000.0"), (1e16, "1e+16"), (0.1, "0.1"), (-2.5, "-2.5"),
            (1e-7, "1e-07"), (5e-324, "5e-324"), (1.7976931348623157e308, "1.7976931348623157e+308"),
        ]
        for (value, text) in cases {
            #expect(formatOpenMetricsValue(value) == text)
            let back = try? single("a \(text)\n# EOF\n", .openMetrics).value
            #expect(back.map { $0.isNaN ? value.isNaN : $0.bitPattern == value.bitPattern } == true, "\(text) reads back")
        }
        for value in [0.1 + 0.2, 1.0 / 3, 123456.789, -9_007_199_254_740_993, 1e21] {
            let text = formatOpenMetricsValue(value)
            #expect(text.contains(".") || text.contains("e"), "\(text) shows it is a float")
        }
    }

    @Test func openMetricsTimestampFormatting() {
        let cases: [(Int64, String)] = [
            (0, "0.0"), (1, "0.001"), (-1, "-0.001"), (1000, "1.0"), (1500, "1.5"), (-1500, "-1.5"), (1_700_000_000_123, "1700000000.123"),
            (1_700_000_000_120, "1700000000.12"), (.max, "9223372036854775.807"), (.min, "-9223372036854775.808"),
        ]
        for (ms, text) in cases {
            #expect(formatOpenMetricsTimestamp(milliseconds: ms) == text)
            #expect((try? single("a 1 \(text)\n# EOF\n", .openMetrics).timestampMs) == ms, "\(text) reads back exactly")
        }
    }
}
