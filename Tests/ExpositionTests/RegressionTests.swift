// Regression tests for bugs found in Sources/Exposition by review (each describes the failure it guards against).
import ScopeCore
import Testing

@testable import Exposition

@Suite struct ExpositionRegressionTests {
    /// Regression: PrometheusTextEncoder.escapeHelp (and String.replacingAll) compare Characters, and
    /// "\r\n" is ONE Character in Swift, unequal to "\n": a HELP text containing CR LF is written
    /// with a raw line feed, which ends the HELP line early and breaks the exposition.
    @Test func helpWithCRLFStaysOnOneLine() {
        let text = PrometheusTextEncoder.encode([MetricFamily(name: "x", type: .gauge, help: "first\r\nsecond")])
        #expect(text.split(separator: "\n", omittingEmptySubsequences: false).count == 3, "HELP line, TYPE line, final newline: \(text.debugDescription)")
        #expect(text == "# HELP x first\r\\nsecond\n# TYPE x gauge\n")
    }

    /// Regression: same cause; a backslash followed by a combining mark is one Character, unequal to
    /// "\\", so the backslash is not doubled and a parser sees an invalid escape sequence.
    @Test func helpBackslashBeforeACombiningMarkIsEscaped() {
        let text = PrometheusTextEncoder.encode([MetricFamily(name: "x", type: .gauge, help: "a\\\u{301}b")])
        #expect(text == "# HELP x a\\\\\u{301}b\n# TYPE x gauge\n")
    }
}
