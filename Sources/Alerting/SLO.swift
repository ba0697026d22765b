import Foundation
import PromQL
import ScopeCore
import YAMLConfig

/// A threshold SLO: "the indicator is at or below `threshold` for `objective` % of the time over
/// `period`", e.g. consumer lag under 30 s for 99.9 % of 28 days, per consumer group. Compiled
/// (SRE workbook, chapter 5; Sloth's windows) into a recording rule marking each evaluation good
/// or bad, error ratios over the alert windows, burn-rate and budget series, and two
/// multiwindow, multi-burn-rate alerts.
public struct SLODefinition: Sendable, Equatable {
    public var name: String
    public var description: String
    /// PromQL giving one series per thing the SLO is about (its labels are kept).
    public var indicator: String
    public var threshold: Double
    /// Percent, e.g. 99.9.
    public var objective: Double
    public var periodMs: Int64
    public var pageAlert: String
    public var ticketAlert: String
    public var labels: [String: String]
    /// Where the alerts' runbooks are (`Runbooks/<Alert>.md` unless set).
    public var runbookBase: String

    /// The error budget as a ratio (0.001 for 99.9 %).
    public var budget: Double { (100 - objective) / 100 }
}

/// The windows and burn factors: page on 14.4× (1h and 5m) or 6× (6h and 30m), ticket on 3×
/// (1d and 2h) or 1× (3d and 6h), as for a 30-day period (Sloth's google-30d; the SRE workbook).
public enum BurnWindows {
    public struct Pair: Sendable, Equatable {
        public var long: String
        public var short: String
        public var factor: Double
    }

    public static let page = [Pair(long: "1h", short: "5m", factor: 14.4), Pair(long: "6h", short: "30m", factor: 6)]
    public static let ticket = [Pair(long: "1d", short: "2h", factor: 3), Pair(long: "3d", short: "6h", factor: 1)]
    public static var all: [String] { ["5m", "30m", "1h", "2h", "6h", "1d", "3d"] }
}

public enum SLOCompiler {
    public static func load(file: String) throws -> [SLODefinition] {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw ParseError(file: file, position: SourcePosition(line: 1, column: 1), message: "cannot read the SLO file")
        }
        return try parse(String(decoding: data, as: UTF8.self), file: file)
    }

    /// ```yaml
    /// slos:
    ///   - name: consumer-lag
    ///     description: Consumer lag under 30 s for 99.9% of the time over 28 days, per group.
    ///     indicator: max by (consumergroup) (strm_consumergroup_lag_seconds)
    ///     threshold: 30
    ///     objective: 99.9
    ///     period: 28d
    ///     alerts: {page: ConsumerLagSLOBurnFast, ticket: ConsumerLagSLOBurnSlow}
    ///     labels: {team: streaming}
    /// ```
    public static func parse(_ text: String, file: String) throws(ParseError) -> [SLODefinition] {
        let root = try YAMLNode.load(text, file: file)
        let f = try root.mapping(allowed: ["slos"], what: "an SLO file")
        guard let list = f["slos"] else { throw root.error("an SLO file needs \"slos\"") }
        var slos: [SLODefinition] = []
        for node in try list.sequence(what: "slos") {
            let s = try node.mapping(allowed: ["name", "description", "indicator", "threshold", "objective", "period", "alerts", "labels", "runbooks"],
                                     what: "an SLO")
            guard let nameNode = s["name"] else { throw node.error("an SLO needs a \"name\"") }
            let name = try nameNode.string(what: "name")
            guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
                throw nameNode.error("an SLO name is letters, digits, - and _, not \"\(name)\"")
            }
            guard !slos.contains(where: { $0.name == name }) else { throw nameNode.error("SLO \"\(name)\" is defined twice") }
            guard let indicatorNode = s["indicator"] else { throw node.error("an SLO needs an \"indicator\" (PromQL)") }
            let indicator = try indicatorNode.string(what: "indicator")
            do throws(ParseError) {
                let expr = try PromQLCheck.parse(indicator)
                guard expr == .instantVector else { throw indicatorNode.error("indicator must give an instant vector, not a \(expr)") }
            } catch where error.file == nil {
                throw indicatorNode.error("invalid PromQL: \(error.message)", at: indicatorNode.filePosition(ofValuePosition: error.position))
            }
            guard let thresholdNode = s["threshold"] else { throw node.error("an SLO needs a \"threshold\" (a sample above it is bad)") }
            guard let objectiveNode = s["objective"] else { throw node.error("an SLO needs an \"objective\" in percent, e.g. 99.9") }
            let objective = try objectiveNode.double(what: "objective")
            guard objective > 0 && objective < 100 else { throw objectiveNode.error("objective is a percentage above 0 and below 100, not \(objective)") }
            let period = try s["period"]?.duration(what: "period") ?? 28 * 86_400_000
            guard period >= 86_400_000 else { throw s["period"]!.error("period must be at least 1d") }
            var page = "\(camel(name))SLOBurnFast", ticket = "\(camel(name))SLOBurnSlow"
            if let alerts = s["alerts"] {
                let a = try alerts.mapping(allowed: ["page", "ticket"], what: "alerts")
                page = try a["page"]?.string(what: "page") ?? page
                ticket = try a["ticket"]?.string(what: "ticket") ?? ticket
            }
            var labels: [String: String] = [:]
            if let node = s["labels"], !node.isNull {
                for entry in try node.entries(what: "labels") {
                    guard isValidLabelName(entry.key) else { throw entry.keyNode.error("invalid label name \"\(entry.key)\"") }
                    labels[entry.key] = try entry.value.string(what: entry.key)
                }
            }
            slos.append(SLODefinition(
                name: name, description: try s["description"]?.string(what: "description") ?? "", indicator: indicator,
                threshold: try thresholdNode.double(what: "threshold"), objective: objective, periodMs: period, pageAlert: page,
                ticketAlert: ticket, labels: labels, runbookBase: try s["runbooks"]?.string(what: "runbooks") ?? "Runbooks"))
        }
        return slos
    }

    /// A Prometheus rule file (YAML) for the SLOs, which `promtool check rules` accepts.
    public static func ruleFile(_ slos: [SLODefinition]) -> String {
        var out = "# Generated by `strmscope slo generate`: edit the SLO definition, not this file.\ngroups:\n"
        for slo in slos {
            let selector = "{slo=\"\(slo.name)\"}"
            let fixed = ["slo": slo.name].merging(slo.labels) { a, _ in a }
            out += "  - name: slo-\(slo.name)-sli\n    interval: 30s\n    rules:\n"
            // Each evaluation is one time slice: 1 when the indicator is above the threshold.
            out += record("strmscope_slo:sli_bad:bool", expr: "(\(slo.indicator)) > bool \(number(slo.threshold))", labels: fixed)
            // The share of bad slices in each window, counting slices the window should hold but
            // does not (a fresh collector, a gap) as good: divided by at least the number of 30 s
            // slices in the window, so a few minutes of data never claim a whole hour's burn rate.
            // With the window covered it is the plain average.
            for window in BurnWindows.all {
                let slices = max(1, (parseDurationMs(window) ?? 300_000) / 30_000)
                let bad = "strmscope_slo:sli_bad:bool\(selector)[\(window)]"
                out += record("strmscope_slo:sli_error:ratio_rate\(window)",
                              expr: "sum_over_time(\(bad)) / clamp_min(count_over_time(\(bad)), \(slices))", labels: [:])
            }
            let period = days(slo.periodMs)
            out += "  - name: slo-\(slo.name)-budget\n    interval: 5m\n    rules:\n"
            out += record("strmscope_slo:sli_error:ratio_period",
                          expr: "sum_over_time(strmscope_slo:sli_error:ratio_rate5m\(selector)[\(period)]) / count_over_time(strmscope_slo:sli_error:ratio_rate5m\(selector)[\(period)])",
                          labels: [:])
            out += record("strmscope_slo:objective:ratio", expr: "vector(\(number(slo.objective / 100)))", labels: fixed)
            out += record("strmscope_slo:error_budget_remaining:ratio",
                          expr: "1 - strmscope_slo:sli_error:ratio_period\(selector) / \(number(slo.budget))", labels: [:])
            out += record("strmscope_slo:burn_rate:ratio_rate1h", expr: "strmscope_slo:sli_error:ratio_rate1h\(selector) / \(number(slo.budget))",
                          labels: [:])
            out += "  - name: slo-\(slo.name)-alerts\n    rules:\n"
            for (alert, pairs, severity, forText) in [(slo.pageAlert, BurnWindows.page, "page", "2m"), (slo.ticketAlert, BurnWindows.ticket, "ticket", "15m")] {
                let conditions = pairs.map { pair in
                    "(strmscope_slo:sli_error:ratio_rate\(pair.long)\(selector) > (\(number(pair.factor)) * \(number(slo.budget)))"
                        + " and strmscope_slo:sli_error:ratio_rate\(pair.short)\(selector) > (\(number(pair.factor)) * \(number(slo.budget))))"
                }
                let windows = pairs.map { "\(number($0.factor))× over \($0.long) and \($0.short)" }.joined(separator: ", or ")
                out += "      - alert: \(alert)\n"
                out += "        expr: \(quote(conditions.joined(separator: " or ")))\n"
                out += "        for: \(forText)\n"
                out += "        labels:\n"
                for (key, value) in (fixed.merging(["severity": severity]) { a, _ in a }).sorted(by: { $0.key < $1.key }) {
                    out += "          \(key): \(quote(value))\n"
                }
                out += "        annotations:\n"
                out += "          summary: \(quote("SLO \(slo.name) is burning its error budget too fast ({{ $labels.consumergroup }})"))\n"
                let what = slo.description.isEmpty ? "indicator at or below \(number(slo.threshold)) for \(number(slo.objective))% of \(period)" : slo.description
                out += "          description: \(quote("The \(slo.name) SLO (\(what)) burns its error budget at \(windows) the sustainable rate. Error ratio over the long window: {{ $value | humanizePercentage }}."))\n"
                out += "          runbook_url: \(quote("\(slo.runbookBase)/\(alert).md"))\n"
            }
        }
        return out
    }

    private static func record(_ name: String, expr: String, labels: [String: String]) -> String {
        var out = "      - record: \(name)\n        expr: \(quote(expr))\n"
        if !labels.isEmpty {
            out += "        labels:\n"
            for (key, value) in labels.sorted(by: { $0.key < $1.key }) { out += "          \(key): \(quote(value))\n" }
        }
        return out
    }

    /// A single-quoted YAML scalar (a quote inside is doubled).
    static func quote(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "''") + "'" }

    /// Twelve significant digits: 100 − 99.9 is 0.001 to a reader, not 0.0009999999999999432.
    static func number(_ value: Double) -> String {
        if value == value.rounded() && abs(value) < 1e15 { return String(Int64(value)) }
        return String(format: "%.12g", value)
    }

    /// `28d` rather than `4w`: SLO periods are spoken of in days.
    static func days(_ ms: Int64) -> String {
        ms % 86_400_000 == 0 ? "\(ms / 86_400_000)d" : formatDurationMs(ms)
    }

    static func camel(_ name: String) -> String {
        name.split(whereSeparator: { $0 == "-" || $0 == "_" }).map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }
}

enum PromQLCheck {
    static func parse(_ text: String) throws(ParseError) -> ValueType { try PromQL.parse(text).type }
}
