import Foundation
import PromQL
import ScopeCore
import SeriesStore
import YAMLConfig

/// Runs rule unit tests in promtool's test-file format (`rule_files`, `evaluation_interval`,
/// `group_eval_order`, `tests` of `input_series`, `alert_rule_test`, `promql_expr_test`,
/// `external_labels`, `external_url`) the way `promtool test rules` 2.42 does: every group is
/// evaluated at every evaluation interval from 0 to the last `eval_time`; an alert test at `t`
/// compares the firing alerts of the evaluation at the last interval at or before `t`;
/// expression tests run after all evaluations. Failures are reported like promtool's.
public enum RuleUnitTestRunner {
    public struct Outcome: Sendable {
        public var file: String
        public var passed: Bool
        /// The file could not be run at all (unreadable, not a test file, a rule file that does
        /// not load): an error, not a failed test.
        public var couldNotRun: Bool
        /// promtool-style lines: `Unit Testing:  FILE` then `  SUCCESS` or `  FAILED:` and the problems.
        public var report: String
    }

    public static func run(file: String) -> Outcome {
        var problems: [String]
        var couldNotRun = false
        do {
            problems = try runFile(file)
        } catch {
            problems = ["\(error)"]
            couldNotRun = true
        }
        var report = "Unit Testing:  \(file)\n"
        report += problems.isEmpty ? "  SUCCESS\n" : "  FAILED:\n" + problems.map { $0 + "\n" }.joined() + "\n"
        return Outcome(file: file, passed: problems.isEmpty, couldNotRun: couldNotRun, report: report)
    }

    static func runFile(_ file: String) throws -> [String] {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw ParseError(file: file, position: SourcePosition(line: 1, column: 1), message: "cannot read the test file")
        }
        let root = try YAMLNode.load(String(decoding: data, as: UTF8.self), file: file)
        let f = try root.mapping(allowed: ["rule_files", "evaluation_interval", "group_eval_order", "tests"], what: "a rule test file")
        let evaluationMs = try f["evaluation_interval"]?.duration(what: "evaluation_interval") ?? 60_000
        guard evaluationMs > 0 else { throw f["evaluation_interval"]!.error("evaluation_interval must be more than 0") }
        let directory = (file as NSString).deletingLastPathComponent
        var groups: [RuleGroup] = []
        for node in try f["rule_files"]?.sequence(what: "rule_files") ?? [] {
            let name = try node.string(what: "a rule file")
            let path = name.hasPrefix("/") ? name : (directory.isEmpty ? name : directory + "/" + name)
            let paths = try glob(path, node: node)
            for path in paths { groups += try RuleFile.load(file: path).groups }
        }
        // group_eval_order: the named groups first, in that order; the others after, as loaded.
        if let order = f["group_eval_order"] {
            let names = try order.sequence(what: "group_eval_order").map { try $0.string(what: "a group name") }
            for name in names where !groups.contains(where: { $0.name == name }) {
                throw order.error("group \"\(name)\" in group_eval_order is not in the rule files")
            }
            groups = names.compactMap { name in groups.first { $0.name == name } } + groups.filter { !names.contains($0.name) }
        }
        var problems: [String] = []
        for test in try f["tests"]?.sequence(what: "tests") ?? [] {
            problems += try runGroup(test, groups: groups, evaluationMs: evaluationMs)
        }
        return problems
    }

    private static func glob(_ pattern: String, node: YAMLNode) throws -> [String] {
        guard pattern.contains(where: { "*?[".contains($0) }) else { return [pattern] }
        var result = glob_t()
        defer { globfree(&result) }
        guard Glibc.glob(pattern, 0, nil, &result) == 0 else { throw node.error("no file matches \"\(pattern)\"") }
        return (0..<Int(result.gl_pathc)).compactMap { result.gl_pathv[$0].map { String(cString: $0) } }.sorted()
    }

    private struct AlertCase {
        var evalMs: Int64
        var evalText: String
        var alertName: String
        var expected: [(labels: Labels, annotations: [String: String])]
    }

    private static func runGroup(_ node: YAMLNode, groups: [RuleGroup], evaluationMs: Int64) throws -> [String] {
        let f = try node.mapping(allowed: ["interval", "input_series", "name", "alert_rule_test", "promql_expr_test", "external_labels", "external_url"],
                                 what: "a test group")
        let intervalMs = try f["interval"]?.duration(what: "interval") ?? evaluationMs
        let name = try f["name"]?.string(what: "name")
        let prefix = name.map { "    name: \($0),\n" } ?? ""
        var options = StoreOptions()
        options.retentionMs = .max / 4
        let store = SeriesStore(options: options, clock: ManualClock(startMs: 0))
        for series in try f["input_series"]?.sequence(what: "input_series") ?? [] {
            let s = try series.mapping(allowed: ["series", "values"], what: "a series")
            guard let seriesNode = s["series"] else { throw series.error("a series needs \"series\"") }
            let line = try seriesNode.string(what: "series") + " " + (try s["values"]?.string(what: "values") ?? "")
            let description: SeriesDescription
            do { description = try SeriesDescription.parse(line) } catch {
                throw seriesNode.error("\(error.column):\(error.message)")
            }
            for (i, value) in description.values.enumerated() {
                guard let value else { continue }
                try store.append(description.labels, timestampMs: Int64(i) * intervalMs, value: value)
            }
        }
        var externalLabels: [String: String] = [:]
        if let node = f["external_labels"], !node.isNull {
            for entry in try node.entries(what: "external_labels") { externalLabels[entry.key] = try entry.value.string(what: entry.key) }
        }
        let evaluator = RuleEvaluator(groups: groups, store: store, defaultIntervalMs: evaluationMs, externalLabels: externalLabels,
                                      externalURL: try f["external_url"]?.string(what: "external_url") ?? "")
        var alertCases: [AlertCase] = []
        for test in try f["alert_rule_test"]?.sequence(what: "alert_rule_test") ?? [] {
            let t = try test.mapping(allowed: ["eval_time", "alertname", "exp_alerts"], what: "an alert test")
            guard let alertName = try t["alertname"]?.string(what: "alertname"), !alertName.isEmpty else {
                throw test.error("an alert test needs an \"alertname\"")
            }
            let evalText = try t["eval_time"]?.string(what: "eval_time") ?? "0s"
            var expected: [(labels: Labels, annotations: [String: String])] = []
            for alert in try t["exp_alerts"].map({ $0.isNull ? [] : try $0.sequence(what: "exp_alerts") }) ?? [] {
                let a = try alert.mapping(allowed: ["exp_labels", "exp_annotations"], what: "an expected alert")
                var labels = Labels(["alertname": alertName])
                var annotations: [String: String] = [:]
                if let node = a["exp_labels"], !node.isNull {
                    for entry in try node.entries(what: "exp_labels") { labels = labels.setting(entry.key, try entry.value.string(what: entry.key)) }
                }
                if let node = a["exp_annotations"], !node.isNull {
                    for entry in try node.entries(what: "exp_annotations") { annotations[entry.key] = try entry.value.string(what: entry.key) }
                }
                expected.append((labels, annotations))
            }
            alertCases.append(AlertCase(evalMs: try t["eval_time"]?.duration(what: "eval_time") ?? 0, evalText: promDuration(evalText),
                                        alertName: alertName, expected: expected))
        }
        let exprTests = try f["promql_expr_test"]?.sequence(what: "promql_expr_test") ?? []
        var exprTimes: [Int64] = []
        for test in exprTests {
            exprTimes.append(try test.mapping(allowed: ["expr", "eval_time", "exp_samples"], what: "an expression test")["eval_time"]?
                .duration(what: "eval_time") ?? 0)
        }
        let maxMs = (alertCases.map(\.evalMs) + exprTimes).max() ?? 0
        alertCases.sort { $0.evalMs < $1.evalMs }

        var problems: [String] = []
        var next = 0
        var ts: Int64 = 0
        while ts <= maxMs {
            let evaluations = evaluator.evaluateAll(atMs: ts)
            let errors = evaluations.flatMap { evaluation in
                evaluation.errors.map { "    rule: \($0.rule), time: \(promDuration(formatDurationMs(ts))), err: \($0.message)" }
            }
            if !errors.isEmpty { return problems + errors }
            while next < alertCases.count, alertCases[next].evalMs >= ts, alertCases[next].evalMs < ts + evaluationMs {
                let test = alertCases[next]
                let got = evaluator.activeAlerts(named: test.alertName).filter { $0.state == .firing }
                    .map { (labels: $0.labels, annotations: $0.annotations) }
                let (want, have) = (sortAlerts(test.expected), sortAlerts(got))
                if !alertsEqual(want, have) {
                    problems.append("\(prefix)    alertname: \(test.alertName), time: \(test.evalText), \n        exp:\(alertList(want)), \n        got:\(alertList(have))")
                }
                next += 1
            }
            ts += evaluationMs
        }

        let engine = Engine()
        for (index, test) in exprTests.enumerated() {
            let t = try test.mapping(allowed: ["expr", "eval_time", "exp_samples"], what: "an expression test")
            guard let expression = try t["expr"]?.string(what: "expr") else { throw test.error("an expression test needs \"expr\"") }
            let timeText = promDuration(try t["eval_time"]?.string(what: "eval_time") ?? "0s")
            var expected: [(Labels, Double)] = []
            for sample in try t["exp_samples"].map({ $0.isNull ? [] : try $0.sequence(what: "exp_samples") }) ?? [] {
                let s = try sample.mapping(allowed: ["labels", "value"], what: "an expected sample")
                let labelsText = try s["labels"]?.string(what: "labels") ?? "{}"
                let labels: Labels
                do { labels = try SeriesDescription.parseLabels(labelsText).0 } catch {
                    problems.append("    expr: \(quoted(expression)), time: \(timeText), err: labels \(quoted(labelsText)): \(error.message)")
                    continue
                }
                expected.append((labels, try s["value"]?.double(what: "value") ?? 0))
            }
            let got: [(Labels, Double)]
            do {
                switch try engine.instant(expression, at: exprTimes[index], on: store) {
                case .vector(let samples): got = samples.map { ($0.labels, $0.value) }
                case .scalar(_, let value): got = [(Labels(), value)]
                case .matrix, .string: throw RuleError("the expression must give an instant vector or a scalar")
                }
            } catch {
                problems.append("    expr: \(quoted(expression)), time: \(timeText), err: \(error)")
                continue
            }
            let want = expected.sorted { $0.0.description < $1.0.description }, have = got.sorted { $0.0.description < $1.0.description }
            let equal = want.count == have.count && zip(want, have).allSatisfy { $0.0 == $1.0 && ($0.1 == $1.1 || $0.1.isNaN && $1.1.isNaN) }
            if !equal {
                problems.append("    expr: \(quoted(expression)), time: \(timeText),\n        exp: \(sampleList(want))\n        got: \(sampleList(have))")
            }
        }
        return problems
    }

    private static func sortAlerts(_ alerts: [(labels: Labels, annotations: [String: String])]) -> [(labels: Labels, annotations: [String: String])] {
        alerts.sorted { $0.labels.description < $1.labels.description }
    }

    private static func alertsEqual(_ a: [(labels: Labels, annotations: [String: String])], _ b: [(labels: Labels, annotations: [String: String])]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { $0.labels == $1.labels && $0.annotations == $1.annotations }
    }

    /// promtool's layout of an alert list.
    private static func alertList(_ alerts: [(labels: Labels, annotations: [String: String])]) -> String {
        if alerts.isEmpty { return "[]" }
        var out = "[\n"
        for (i, alert) in alerts.enumerated() {
            out += "            \(i):\n"
            out += "              Labels:\(formatLabelSet(alert.labels))\n"
            out += "              Annotations:\(formatLabelSet(Labels(alert.annotations)))\n"
        }
        return out + "            ]"
    }

    private static func sampleList(_ samples: [(Labels, Double)]) -> String {
        "[" + samples.map { "\(formatLabelSet($0.0)) \(formatSampleValueGo($0.1))" }.joined(separator: ", ") + "]"
    }

    private static func quoted(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    /// A duration as Go's model.Duration prints it (`10m`, `1h5m`, `0s`).
    static func promDuration(_ text: String) -> String {
        guard let ms = parseDurationMs(text) else { return text }
        return formatDurationMs(ms)
    }

    /// Go's %v of a float64 is not needed exactly here: the shortest round-trip form is.
    private static func formatSampleValueGo(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e21 { return String(format: "%.0f", value) }
        return "\(value)"
    }
}
