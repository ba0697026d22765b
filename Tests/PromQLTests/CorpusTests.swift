import Foundation
import PromQL
import ScopeCore
import Testing

/// The PromQL expressions of Prometheus's promqltest scripts (../shared/conformance/promql):
/// every `eval` expression of the 2.42 corpus must parse and survive a print/re-parse round trip;
/// the current upstream corpus is parsed too and its newer syntax is reported.
@Suite struct CorpusTests {
    struct Case: CustomStringConvertible {
        let file: String
        let line: Int
        let expr: String
        /// `eval_fail …`, or an `expect fail` line follows.
        let expectFail: Bool
        var description: String { "\(file):\(line): \(expr)" }
    }

    /// The package root, found from this file's real path (symlinks resolved).
    static let conformanceDir: URL = {
        let here = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        let root = here.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.deletingLastPathComponent().appendingPathComponent("shared/conformance/promql")
    }()

    static func cases(in folder: String) -> [Case] {
        let dir = conformanceDir.appendingPathComponent(folder)
        guard let files = try? FileManager.default.contentsOfDirectory(atPath: dir.path) else { return [] }
        var out: [Case] = []
        let instant = /^eval(_fail|_ordered|_warn|_info)?\s+instant\s+at\s+\S+\s+(.+)$/
        let range = /^eval(_fail|_ordered|_warn|_info)?\s+range\s+from\s+\S+\s+to\s+\S+\s+step\s+\S+\s+(.+)$/
        for file in files.sorted() where file.hasSuffix(".test") {
            guard let text = try? String(contentsOf: dir.appendingPathComponent(file), encoding: .utf8) else { continue }
            let lines = text.components(separatedBy: "\n")
            for (i, raw) in lines.enumerated() {
                let line = raw.trimmingCharacters(in: .whitespaces)
                let match = line.wholeMatch(of: instant).map { ($0.1, $0.2) } ?? line.wholeMatch(of: range).map { ($0.1, $0.2) }
                guard let (variant, expr) = match else { continue }
                var fails = variant == "_fail"
                // `expect fail` lines follow the eval line (before a blank line or the next command).
                for next in lines[(i + 1)...] {
                    let t = next.trimmingCharacters(in: .whitespaces)
                    if t.isEmpty || t.hasPrefix("eval") || t.hasPrefix("load") || t.hasPrefix("clear") { break }
                    if t.hasPrefix("expect fail") { fails = true }
                }
                out.append(Case(file: file, line: i + 1, expr: String(expr), expectFail: fails))
            }
        }
        return out
    }

    /// 2.42 expressions that do not parse, with the reason. None so far.
    static let exceptions242: [String: String] = [:]

    /// Checks one corpus: returns the cases that failed to parse (and their errors).
    private func run(_ folder: String) -> (cases: [Case], failures: [(Case, ParseError)]) {
        let cases = Self.cases(in: folder)
        var failures: [(Case, ParseError)] = []
        for c in cases {
            do {
                let expr = try PromQL.parse(c.expr)
                let printed = expr.description
                do {
                    let again = try PromQL.parse(printed)
                    #expect(again == expr, "round trip of \(c) via \(printed)")
                } catch {
                    Issue.record("printed form of \(c) does not parse: \(printed)\n\(error)")
                }
            } catch {
                failures.append((c, error))
            }
        }
        return (cases, failures)
    }

    @Test func prometheus242CorpusParsesAndRoundTrips() throws {
        let (cases, failures) = run("testdata-v2.42.0")
        try #require(cases.count > 500, "corpus not found at \(Self.conformanceDir.path)")
        for (c, error) in failures where !c.expectFail && Self.exceptions242[c.expr] == nil {
            Issue.record("\(c)\n\(error)")
        }
        let evals = cases.filter { !$0.expectFail }
        let failing = cases.filter(\.expectFail)
        let failingAtParse = failures.filter { $0.0.expectFail }
        print("promql corpus 2.42: \(evals.count) eval expressions parsed and round-tripped; "
              + "\(failing.count) eval_fail cases, \(failingAtParse.count) of them fail at parse time")
        for (c, error) in failingAtParse { print("  parse-time failure: \(c) — \(error.headline)") }
    }

    @Test func upstreamCorpusIsReported() throws {
        let (cases, failures) = run("testdata")
        try #require(cases.count > 1000, "corpus not found at \(Self.conformanceDir.path)")
        let failingAtParse = failures.filter { $0.0.expectFail }
        let newerSyntax = failures.filter { !$0.0.expectFail }
        print("promql corpus upstream: \(cases.count) expressions, \(cases.count - failures.count) parse and round-trip; "
              + "\(cases.filter(\.expectFail).count) expect fail (\(failingAtParse.count) at parse time); "
              + "\(newerSyntax.count) eval expressions use syntax or functions newer than 2.42")
        var byReason: [String: (count: Int, example: String)] = [:]
        for (c, error) in newerSyntax {
            byReason[Self.reason(error.message, c.expr), default: (0, c.expr)].count += 1
        }
        for (reason, v) in byReason.sorted(by: { $0.value.count > $1.value.count }) {
            print("  \(v.count)× \(reason), e.g. \(v.example)")
        }
        for (c, error) in failingAtParse { print("  expect-fail at parse time: \(c) — \(error.headline)") }
        // Only features Prometheus added after 2.42 may fail.
        for (c, error) in newerSyntax where Self.reason(error.message, c.expr) == error.message {
            Issue.record("unexpected failure: \(c)\n\(error)")
        }
    }

    /// Groups the errors the newer corpus produces by the post-2.42 feature behind them; returns
    /// the message itself when no such feature explains the failure.
    static func reason(_ message: String, _ expr: String) -> String {
        if expr.contains("limitk") || expr.contains("limit_ratio") { return "limitk/limit_ratio aggregations (2.54+)" }
        if expr.contains(" anchored") || expr.contains(" smoothed") { return "anchored/smoothed range modifiers (3.x)" }
        if expr.contains("fill(") || expr.contains("fill_left") || expr.contains("fill_right") { return "fill modifiers (3.x)" }
        if expr.contains("</") || expr.contains(">/") { return "histogram trim operators </ and >/ (3.x)" }
        let newFunctions = ["info", "histogram_avg", "histogram_stddev", "histogram_stdvar", "sort_by_label",
                            "sort_by_label_desc", "mad_over_time", "double_exponential_smoothing", "first_over_time",
                            "ts_of_first_over_time", "ts_of_last_over_time", "ts_of_max_over_time", "ts_of_min_over_time",
                            "histogram_quantiles", "step", "range", "min_of", "max_of", "start_timestamp"]
        for f in newFunctions where message == "unknown function with name \"\(f)\"" {
            return "functions added after 2.42 (info, histogram_avg, sort_by_label, step, …)"
        }
        for clue in ["in offset, expected duration", "in @, expected timestamp", "missing unit character", "subquery or range",
                     "bad duration syntax", "unexpected duration"] where message.contains(clue) {
            return "durations as numbers and duration arithmetic (3.x)"
        }
        if message == "trailing commas not allowed in function call args" && expr.contains(/, *[0-9]+[smhdwy]/) {
            return "durations as numbers and duration arithmetic (3.x)"
        }
        if message == "unexpected \"(\"" && (expr.contains("start()") || expr.contains("end()")) {
            return "start()/end() functions (3.x)"
        }
        return message
    }
}
