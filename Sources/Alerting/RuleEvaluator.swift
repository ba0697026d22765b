import Foundation
import PromQL
import ScopeCore
import SeriesStore

/// What one evaluation of a group did.
public struct GroupEvaluation: Sendable {
    /// The group's index in the evaluator's `groups` (names may repeat across files).
    public var groupIndex: Int
    public var group: String
    public var atMs: Int64
    public var transitions: [AlertTransition] = []
    /// Per rule that failed: its name and the error (the other rules still ran).
    public var errors: [(rule: String, message: String)] = []
    public var durationSeconds: Double = 0
}

/// Evaluates rule groups against a SeriesStore at explicit times, with Prometheus's semantics:
/// rules in order, recording rules written back into the store before the next rule runs,
/// alerting rules through `AlertRuleState`, `ALERTS` / `ALERTS_FOR_STATE` written for pending
/// and firing alerts, and staleness markers for every series a rule stops producing.
public final class RuleEvaluator: @unchecked Sendable {
    public let groups: [RuleGroup]
    public let store: SeriesStore
    public var externalLabels: [String: String]
    public var externalURL: String
    public let defaultIntervalMs: Int64
    private let engine: Engine
    /// Per group, per rule: the alert state (alerting rules only).
    public private(set) var states: [[AlertRuleState?]]
    /// Per group, per rule: the series written at the last evaluation (for staleness markers).
    private var written: [[Set<Labels>]]

    public init(groups: [RuleGroup], store: SeriesStore, defaultIntervalMs: Int64 = 60_000, externalLabels: [String: String] = [:],
                externalURL: String = "", engine: Engine = Engine()) {
        self.groups = groups
        self.store = store
        self.defaultIntervalMs = defaultIntervalMs
        self.externalLabels = externalLabels
        self.externalURL = externalURL
        self.engine = engine
        states = groups.map { group in
            group.rules.map { rule in
                if case .alert(let name) = rule.kind { return AlertRuleState(name: name, forMs: rule.forMs, keepFiringForMs: rule.keepFiringForMs) }
                return nil
            }
        }
        written = groups.map { $0.rules.map { _ in [] } }
        nextDueMs = groups.map { _ in nil }
    }

    public func intervalMs(ofGroup index: Int) -> Int64 { groups[index].intervalMs ?? defaultIntervalMs }

    /// When each group is due next (nil: at the first call).
    private var nextDueMs: [Int64?]

    /// Evaluates the groups whose interval has come round at `atMs` (every group the first time),
    /// each at a stable phase; a group that fell behind skips the missed evaluations.
    public func evaluateDue(atMs: Int64) -> [GroupEvaluation] {
        var out: [GroupEvaluation] = []
        for index in groups.indices where (nextDueMs[index] ?? .min) <= atMs {
            out.append(evaluate(group: index, atMs: atMs))
            let interval = intervalMs(ofGroup: index)
            var next = (nextDueMs[index] ?? atMs) + interval
            if next <= atMs { next = atMs + interval - (atMs - next) % interval }
            nextDueMs[index] = next
        }
        return out
    }

    /// The earliest time a group is due.
    public var nextDueAtMs: Int64? { nextDueMs.compactMap { $0 }.min() }

    /// Evaluates every group at `atMs`, in order.
    public func evaluateAll(atMs: Int64) -> [GroupEvaluation] {
        groups.indices.map { evaluate(group: $0, atMs: atMs) }
    }

    /// Evaluates group `index` at `atMs`.
    public func evaluate(group index: Int, atMs: Int64) -> GroupEvaluation {
        let started = monotonicNanos()
        let group = groups[index]
        var result = GroupEvaluation(groupIndex: index, group: group.name, atMs: atMs)
        for (r, rule) in group.rules.enumerated() {
            var series: [(Labels, Double)] = []
            do {
                let samples = try query(rule, atMs: atMs)
                switch rule.kind {
                case .record(let name):
                    series = try record(rule, name: name, samples: samples, limit: group.limit)
                case .alert(let name):
                    let alerts = samples.map { sample in alert(rule, name: name, sample: sample) }
                    result.transitions += try states[index][r]!.evaluate(alerts, atMs: atMs, limit: group.limit)
                    for alert in states[index][r]!.pendingOrFiring {
                        series.append((alert.labels.setting("__name__", "ALERTS").setting("alertstate", alert.state.rawValue), 1))
                        series.append((alert.labels.setting("__name__", "ALERTS_FOR_STATE"), Double(alert.activeAtMs / 1000)))
                    }
                }
            } catch {
                // As Prometheus 2.42: a rule whose evaluation fails writes nothing, not even
                // staleness markers for what it wrote last time (the next success compares with that).
                result.errors.append((rule.name, "\(error)"))
                continue
            }
            write(series, group: index, rule: r, atMs: atMs)
        }
        result.durationSeconds = Double(monotonicNanos() - started) / 1e9
        return result
    }

    /// The expression's samples at `atMs` (a scalar counts as one sample without labels).
    private func query(_ rule: Rule, atMs: Int64) throws -> [InstantSample] {
        switch try engine.instant(rule.expression, source: rule.source, at: atMs, on: store) {
        case .vector(let samples): return samples
        case .scalar(let ms, let value): return [InstantSample(labels: Labels(), timestampMs: ms, value: value)]
        case .matrix, .string: throw RuleError("the expression must give an instant vector or a scalar")
        }
    }

    private func record(_ rule: Rule, name: String, samples: [InstantSample], limit: Int) throws -> [(Labels, Double)] {
        var seen = Set<Labels>()
        var out: [(Labels, Double)] = []
        for sample in samples {
            var labels = sample.labels.setting("__name__", name)
            // Recording rules' labels are plain text, not templates (as in Prometheus).
            for label in rule.labels { labels = label.template.source.isEmpty ? labels.removing(label.name) : labels.setting(label.name, label.template.source) }
            guard seen.insert(labels).inserted else {
                throw RuleError("vector contains metrics with the same labelset after applying rule labels")
            }
            out.append((labels, sample.value))
        }
        if limit > 0 && out.count > limit { throw RuleError("exceeded limit of \(limit) with \(out.count) series") }
        return out
    }

    private func alert(_ rule: Rule, name: String, sample: InstantSample) -> (labels: Labels, annotations: [String: String], value: Double) {
        var map: [String: String] = [:]
        for label in sample.labels { map[label.name] = label.value }
        let data = TemplateData(labels: map, value: sample.value, externalLabels: externalLabels, externalURL: externalURL)
        // A template that fails renders its error, as Prometheus does, so the alert still goes out.
        func expand(_ template: AlertTemplate, _ what: String) -> String {
            do { return try template.render(data) } catch { return "<error expanding template: \(what): \(error)>" }
        }
        var labels = sample.labels.removing("__name__")
        for label in rule.labels {
            let value = expand(label.template, label.name)
            labels = value.isEmpty ? labels.removing(label.name) : labels.setting(label.name, value)
        }
        labels = labels.setting("alertname", name)
        var annotations: [String: String] = [:]
        for annotation in rule.annotations { annotations[annotation.name] = expand(annotation.template, annotation.name) }
        return (labels, annotations, sample.value)
    }

    /// Appends this evaluation's series and ends (staleness marker) those written last time only.
    private func write(_ series: [(Labels, Double)], group: Int, rule: Int, atMs: Int64) {
        var now = Set<Labels>()
        for (labels, value) in series {
            now.insert(labels)
            _ = try? store.append(labels, timestampMs: atMs, value: value)
        }
        for gone in written[group][rule].subtracting(now) {
            _ = try? store.append(gone, timestampMs: atMs, value: .staleMarker)
        }
        written[group][rule] = now
    }

    /// The alerts of every alerting rule named `name`, pending or firing.
    public func activeAlerts(named name: String) -> [ActiveAlert] {
        states.flatMap { $0.compactMap { $0 } }.filter { $0.name == name }.flatMap(\.pendingOrFiring)
    }

    /// Every alert the rules hold, resolved ones still kept included (for notifications).
    public func keptAlerts() -> [ActiveAlert] {
        states.flatMap { $0.compactMap { $0 } }.flatMap { $0.active.values }.sorted { $0.labels.description < $1.labels.description }
    }

    /// Every alerting rule's active alerts, with the rule they belong to.
    public func allActiveAlerts() -> [(rule: Rule, alert: ActiveAlert)] {
        var out: [(rule: Rule, alert: ActiveAlert)] = []
        for (g, group) in groups.enumerated() {
            for (r, rule) in group.rules.enumerated() {
                for alert in states[g][r]?.pendingOrFiring ?? [] { out.append((rule, alert)) }
            }
        }
        return out
    }
}

public struct RuleError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
