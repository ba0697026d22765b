import ScopeCore
import Testing

@testable import Exposition

/// `check metrics`: the expected lines are what Debian's promtool 2.42 printed for the same input
/// (scripts/check-metrics-test compares the two tools on hundreds more).
@Suite struct MetricsCheckTests {
    func lint(_ text: String) -> [String] {
        let result = MetricsCheck.check(Array(text.utf8))
        #expect(result.error == nil, "\(String(describing: result.error))")
        return MetricsLint.problems(result.families).map(\.description)
    }

    func parseError(_ bytes: [UInt8]) -> String? {
        MetricsCheck.check(bytes).error?.description
    }

    @Test func lintProblemsAreWordedAndSortedAsPromtoolPrintsThem() {
        #expect(lint("# TYPE c counter\nc 1\n# TYPE c_bucket gauge\nc_bucket 2\n# TYPE d_count counter\nd_count 1\n") == [
            "c counter metrics should have \"_total\" suffix",
            "c no help text",
            "c_bucket no help text",
            "c_bucket non-histogram metrics should not have \"_bucket\" suffix",
            "d_count counter metrics should have \"_total\" suffix",
            "d_count no help text",
            "d_count non-histogram and non-summary metrics should not have \"_count\" suffix",
        ])
        #expect(lint("# HELP x_total h\n# TYPE x_total gauge\nx_total 1\n") == ["x_total non-counter metrics should not have \"_total\" suffix"])
        #expect(lint("# HELP bits_total x\n# TYPE bits_total counter\nbits_total 1\n# HELP kilobytes_thing x\n# TYPE kilobytes_thing gauge\nkilobytes_thing 1\n") == [
            "bits_total use base unit \"bytes\" instead of \"bits\"",
            "kilobytes_thing use base unit \"bytes\" instead of \"kilobytes\"",
        ])
        // "thermometers" is not a length; "celsius" is a base unit.
        #expect(lint("# HELP thermometers x\n# TYPE thermometers gauge\nthermometers 1\n# HELP z_celsius x\n# TYPE z_celsius gauge\nz_celsius 1\n").isEmpty)
        #expect(lint("# TYPE foo_gauge_histogram gauge\nfoo_gauge_histogram 1\n") == [
            "foo_gauge_histogram metric name should not include type 'gauge'",
            "foo_gauge_histogram metric name should not include type 'gauge_histogram'",
            "foo_gauge_histogram metric name should not include type 'histogram'",
            "foo_gauge_histogram no help text",
        ])
        #expect(lint("# HELP a:b h\n# TYPE a:b gauge\na:b 1\n") == ["a:b metric names should not contain ':'"])
    }

    /// A rule about labels fires once per metric that has the label, as promlint does.
    @Test func labelRulesFireOncePerMetric() {
        #expect(lint("# HELP fooBar h\n# TYPE fooBar gauge\nfooBar{myLabel=\"1\"} 1\nfooBar{myLabel=\"2\",otherOne=\"x\"} 1\n") == [
            "fooBar label names should be written in 'snake_case' not 'camelCase'",
            "fooBar label names should be written in 'snake_case' not 'camelCase'",
            "fooBar label names should be written in 'snake_case' not 'camelCase'",
            "fooBar metric names should be written in 'snake_case' not 'camelCase'",
        ])
        #expect(lint("# HELP x h\n# TYPE x gauge\nx{le=\"1\"} 1\nx{le=\"2\"} 1\nx{quantile=\"0.5\"} 1\n") == [
            "x non-histogram metrics should not have \"le\" label",
            "x non-histogram metrics should not have \"le\" label",
            "x non-summary metrics should not have \"quantile\" label",
        ])
        // Untyped metrics are exempt from the reserved-label rule; abbreviations count per match.
        #expect(lint("m{le=\"x\"} 1\n") == ["m no help text"])
        #expect(lint("# HELP x_s_m h\n# TYPE x_s_m gauge\nx_s_m 1\n") == [
            "x_s_m metric names should not contain abbreviated units", "x_s_m metric names should not contain abbreviated units",
        ])
    }

    /// A histogram's or summary's lines join one metric per label set: its first line's labels
    /// are the metric's, and its `_bucket`'s HELP documents the histogram.
    @Test func histogramAndSummaryLinesJoinTheirFamily() {
        #expect(lint("""
            # HELP h h
            # TYPE h histogram
            h_bucket{le="1",a="x"} 1
            h_bucket{le="+Inf",a="x"} 2
            h_sum{a="x"} 1
            h_count{a="x"} 2
            h_bucket{a="y",le="1",quantile="0.5"} 1
            h_bucket{le="2",a="y",quantile="0.5"} 1

            """) == ["h non-summary metrics should not have \"quantile\" label"])
        #expect(lint("# TYPE m histogram\nm_bucket{le=\"1\"} 1\nm_count 1\nm_sum 1\n# HELP m_bucket x\n").isEmpty)
        #expect(lint("# HELP s h\n# TYPE s summary\ns{quantile=\"0.5\"} 1\ns{quantile=\"0.9\",le=\"3\"} 1\ns_sum 1\ns_count 1\n")
            == ["s non-histogram metrics should not have \"le\" label"])
    }

    @Test func parseErrorsNameTheLineAndQuoteAsGoDoes() {
        #expect(parseError(Array("m 1".utf8)) == "text format parsing error in line 1: unexpected end of input stream")
        #expect(parseError(Array("m 1\n# TYPE m counter\n".utf8))
            == "text format parsing error in line 2: second TYPE line for metric name \"m\", or TYPE reported after samples")
        #expect(parseError(Array("# HELP m x\n# HELP m y\n".utf8)) == "text format parsing error in line 2: second HELP line for metric name \"m\"")
        #expect(parseError(Array("m 1e400\n".utf8)) == "text format parsing error in line 1: expected float as value, got \"1e400\"")
        #expect(parseError(Array("m 0x1p3\n".utf8)) == "text format parsing error in line 1: expected float as value, got \"0x1p3\"")
        #expect(parseError(Array("m 1\r\n".utf8)) == "text format parsing error in line 1: expected float as value, got \"1\\r\"")
        #expect(parseError(Array("   m  1  \n".utf8)) == "text format parsing error in line 1: expected integer as timestamp, got \"\"")
        #expect(parseError(Array("m 1 2 3\n".utf8)) == "text format parsing error in line 1: spurious string after timestamp: \" 3\"")
        #expect(parseError([UInt8]("m{a=\"".utf8) + [0xFF] + [UInt8]("\"} 1\n".utf8))
            == "text format parsing error in line 1: invalid label value \"\\xff\"")
        #expect(parseError(Array("m{a=\"1\",a=\"2\"} 1\n".utf8)) == "text format parsing error in line 1: duplicate label names for metric \"m\"")
        #expect(parseError(Array("m{a+b} 1\n".utf8)) == "text format parsing error in line 1: expected '=' after label name, found '+'")
        #expect(parseError(Array("# HELP m a\\\"b\nm 1\n".utf8)) == "text format parsing error in line 1: invalid escape sequence '\\\"'")
        #expect(parseError(Array("# TYPE m info\nm 1\n".utf8)) == "text format parsing error in line 1: unknown metric type \"info\"")
        #expect(parseError(Array("# TYPE m histogram\nm{le=\"x\"} 1\n".utf8))
            == "text format parsing error in line 2: expected float as value for 'le' label, got \"x\"")
        // OpenMetrics' end marker without a final line feed: promtool fails there too.
        #expect(parseError(Array("# TYPE m counter\nm_total 1\n# EOF".utf8)) == "text format parsing error in line 3: unexpected end of input stream")
    }

    /// What the Go parser lets through: blank lines, `#HELP` without a space, gauge_histogram,
    /// underflow, signed infinities, timestamps with a sign.
    @Test func goParserLeniencies() {
        #expect(MetricsCheck.check([]).error == nil)
        #expect(lint("\n\n  \n").isEmpty)
        #expect(lint("#HELP m x\nm 1\n").isEmpty)
        #expect(lint("# TYPE g gauge_histogram\ng 1\n") == ["g no help text"])
        #expect(lint("m 1e-400\nn +Infinity\no -inf\np nan\nq 1 +5\n").count == 5)
        #expect(lint("m{a=\"1\",} 1\n") == ["m no help text"])
    }

    @Test func cardinalityCountsBucketsOfTheFirstMetric() {
        let result = MetricsCheck.check(Array("""
            # HELP h x
            # TYPE h histogram
            h_bucket{a="1",le="1"} 1
            h_bucket{a="1",le="+Inf"} 1
            h_sum{a="1"} 1
            h_count{a="1"} 1
            h_bucket{a="2",le="+Inf"} 1
            # HELP g x
            # TYPE g gauge
            g{b="1"} 1
            g{b="2"} 1

            """.utf8))
        let (rows, total) = MetricsLint.cardinality(result.families)
        #expect(rows.map(\.name) == ["h", "g"])
        #expect(rows.map(\.series) == [2 * (2 + 2), 2])
        #expect(total == 10)
    }

    @Test func goQuotingOfBytes() {
        #expect(strconvQuote(bytes: [0x61, 0xFF, 0x0A, 0x1B]) == "\"a\\xff\\n\\x1b\"")
        #expect(strconvQuote(bytes: Array("é\u{202E}".utf8)) == "\"é\\u202e\"")
        #expect(strconvQuote(String(Unicode.Scalar(0x2B)), quote: "'") == "'+'")
    }
}
