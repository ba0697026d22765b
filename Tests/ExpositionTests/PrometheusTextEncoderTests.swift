import ScopeCore
import Testing

@testable import Exposition

@Suite struct PrometheusTextEncoderTests {
    @Test func counterWithHelpAndType() {
        var family = MetricFamily(name: "http_requests_total", type: .counter, help: "Requests served.")
        family.add(["method": "GET", "code": "200"], 1027)
        family.add(["method": "POST", "code": "500"], 3)
        #expect(PrometheusTextEncoder.encode([family]) == """
            # HELP http_requests_total Requests served.
            # TYPE http_requests_total counter
            http_requests_total{code="200",method="GET"} 1027
            http_requests_total{code="500",method="POST"} 3

            """)
    }

    @Test func gaugeLabelValuesAreEscaped() {
        var family = MetricFamily(name: "file_size_bytes", type: .gauge, help: "")
        family.add(["path": #"C:\data\"quoted"\name"#, "note": "line one\nline two"], 12.5)
        family.add(Labels(), -3)
        let text = PrometheusTextEncoder.encode([family])
        #expect(text == #"""
            # TYPE file_size_bytes gauge
            file_size_bytes{note="line one\nline two",path="C:\\data\\\"quoted\"\\name"} 12.5
            file_size_bytes -3

            """#)
        #expect(!text.contains("# HELP"), "no HELP line without help text")
    }

    @Test func helpEscapesBackslashAndNewlineButNotQuotes() {
        let family = MetricFamily(name: "x", type: .untyped, help: #"a "quoted" \path"# + "\nsecond line")
        #expect(PrometheusTextEncoder.encode([family]) == #"""
            # HELP x a "quoted" \\path\nsecond line
            # TYPE x untyped

            """#)
    }

    @Test func histogramWithLeLabelsAndInf() {
        var histogram = Histogram(upperBounds: [0.005, 0.5, 1])
        histogram.observe(0.5)  // on a bound: le is inclusive
        histogram.observe(0.75)
        histogram.observe(7)
        var family = MetricFamily(name: "op_duration_seconds", type: .histogram, help: "Op latency.")
        family.points = histogram.points(name: family.name, labels: ["op": "append"])
        #expect(PrometheusTextEncoder.encode([family]) == """
            # HELP op_duration_seconds Op latency.
            # TYPE op_duration_seconds histogram
            op_duration_seconds_bucket{le="0.005",op="append"} 0
            op_duration_seconds_bucket{le="0.5",op="append"} 1
            op_duration_seconds_bucket{le="1",op="append"} 2
            op_duration_seconds_bucket{le="+Inf",op="append"} 3
            op_duration_seconds_sum{op="append"} 8.25
            op_duration_seconds_count{op="append"} 3

            """)
    }

    @Test func specialValues() {
        var family = MetricFamily(name: "v", type: .gauge, help: "")
        for value in [Double.nan, .infinity, -.infinity, -0.0, 0.0, 999_999_999_999_999, 123456789, 0.1, -2.5, 1e-7] {
            family.add(Labels(), value)
        }
        let lines = PrometheusTextEncoder.encode([family]).split(separator: "\n").dropFirst().map { String($0.dropFirst(2)) }
        #expect(lines == ["NaN", "+Inf", "-Inf", "-0", "0", "999999999999999", "123456789", "0.1", "-2.5", "1e-07"])
    }

    @Test func formattedValuesReadBackAsTheSameDouble() {
        for value in [0.1 + 0.2, 1.0 / 3.0, 5e-324, Double.greatestFiniteMagnitude, -1e300, 9_007_199_254_740_993, 1e15 - 1, 1e15, 1e16, 1e21, -1e15, 123.456] {
            let text = formatSampleValue(value)
            #expect(Double(text) == value, "\(value) → \(text)")
        }
        #expect(formatSampleValue(-0.0) == "-0")
        #expect(Double(formatSampleValue(-0.0))?.sign == .minus)
    }

    @Test func timestampsFollowTheValue() {
        var family = MetricFamily(name: "t", type: .gauge, help: "")
        family.points = [MetricPoint(name: "t", labels: ["a": "b"], value: 1, timestampMs: 1_700_000_000_123)]
        #expect(PrometheusTextEncoder.encode([family]).hasSuffix("t{a=\"b\"} 1 1700000000123\n"))
    }

    @Test func openMetricsOnlyTypesAreUntyped() {
        for type in [MetricType.info, .stateset, .gaugehistogram, .unknown] {
            let family = MetricFamily(name: "m", type: type, help: "")
            #expect(PrometheusTextEncoder.encode([family]) == "# TYPE m untyped\n")
        }
        #expect(PrometheusTextEncoder.encode([MetricFamily(name: "s", type: .summary, help: "")]) == "# TYPE s summary\n")
    }

    @Test func familiesFollowOneAnother() {
        var a = MetricFamily(name: "a", type: .counter, help: "A.")
        a.add(Labels(), 1)
        var b = MetricFamily(name: "b", type: .gauge, help: "B.")
        b.add(Labels(), 2)
        #expect(PrometheusTextEncoder.encode([a, b]) == "# HELP a A.\n# TYPE a counter\na 1\n# HELP b B.\n# TYPE b gauge\nb 2\n")
        #expect(PrometheusTextEncoder.encode([]) == "")
        #expect(PrometheusTextEncoder.contentType == "text/plain; version=0.0.4; charset=utf-8")
    }
}
