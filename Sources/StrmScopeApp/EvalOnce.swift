import Alerting
import Collectors
import Foundation
import PromQL
import ScopeCore

/// `eval --once`: is anything firing now, the way a Prometheus that had been running would say.
///
/// Every alert of the shipped pack has a `for`, so a single evaluation can only make it pending.
/// Where the sources hold history — the embedded log's own files, a Prometheus server, exposition
/// files with timestamps — the rules are evaluated at their interval over the past window that
/// `for` and `keep_firing_for` span, ending now, and an alert whose condition held that long is
/// reported firing. Where they do not (a scrape or an OTLP receiver has only the present), an
/// alert that is pending only because its `for` could not be observed carries
/// `"for_unmet_no_history": true`, and with nothing firing the exit status is 3. The alerts as
/// judged (pending or firing now) are returned for Alertmanager.
enum EvalOnce {
    struct Sources {
        var log: EmbeddedLogSource?
        var scraper: Scraper
        var kafka: KafkaCluster?
        var lagEstimator: LagTimeEstimator?
        var follower: PrometheusBackfill.Follower?
        /// The time spans of the loaded exposition files' samples.
        var fileSpans: [ClosedRange<Int64>]
        var hasReceiver: Bool
    }

    /// The log is rebuilt as finely as 1 s where its history is short, so a lag spike shorter
    /// than an evaluation interval still shows in `max_over_time` as it does for a watcher
    /// collecting every second or two; about 2,000 collections over a longer history.
    static func backfillStepMs(fromMs: Int64, toMs: Int64, evaluationStepMs: Int64) -> Int64 {
        min(evaluationStepMs, max(1_000, (toMs - fromMs) / 2_000))
    }

    /// How far back the evaluations reach: the longest `for` + `keep_firing_for` of any alert.
    static func windowMs(_ groups: [RuleGroup]) -> Int64 {
        groups.flatMap(\.rules).filter { if case .alert = $0.kind { true } else { false } }
            .map { $0.forMs + $0.keepFiringForMs }.max() ?? 0
    }

    /// The first evaluation time on the grid of `stepMs` that ends at `nowMs`: one step before
    /// the window (so a condition true throughout it has fired by now), and not before
    /// `historyFromMs` (never after `nowMs`).
    static func firstEvaluation(nowMs: Int64, windowMs: Int64, stepMs: Int64, historyFromMs: Int64) -> (planned: Int64, actual: Int64) {
        let steps = windowMs == 0 ? 0 : (windowMs + stepMs - 1) / stepMs + 1
        let planned = nowMs - steps * stepMs
        guard historyFromMs > planned else { return (planned, planned) }
        let skipped = (historyFromMs - planned + stepMs - 1) / stepMs
        return (planned, min(nowMs, planned + skipped * stepMs))
    }

    static func run(
        _ options: EvalOptions, groups: [RuleGroup], evaluator: RuleEvaluator, sources: Sources, sink: OutputSink, clock: any Clock
    ) throws -> (status: Int32, alerts: [ActiveAlert]) {
        let now = clock.nowMs()
        let step = options.intervalMs
        let window = windowMs(groups)
        let planned = firstEvaluation(nowMs: now, windowMs: window, stepMs: step, historyFromMs: .min).planned
        // How far back the expressions read when evaluated at the first planned time.
        let dataFrom = groups.flatMap(\.rules).map { PrometheusBackfill.span(of: $0.expression, startMs: planned, endMs: now).minMs }.min() ?? planned

        // The latest start of history among the sources: evaluations begin there.
        var historyFrom = Int64.min
        var withoutHistory: [String] = []
        if let log = sources.log {
            let from = max(dataFrom, log.log.firstActivityMs() ?? now)
            historyFrom = max(historyFrom, log.backfill(fromMs: dataFrom, toMs: now,
                                                        stepMs: backfillStepMs(fromMs: from, toMs: now, evaluationStepMs: step)))
            log.collect(atMs: now)
        }
        if let follower = sources.follower {
            follower.firstEvaluationMs = planned
            do { try follower.update(atMs: now) } catch { throw CommandError("\(options.prometheusURL ?? ""): \(error)") }
        }
        if !sources.fileSpans.isEmpty {
            // A file whose samples are all of one instant (or carry no timestamps) has no past.
            if sources.fileSpans.contains(where: { $0.lowerBound == $0.upperBound }) {
                historyFrom = now
                withoutHistory.append("--file (one instant)")
            } else {
                historyFrom = max(historyFrom, sources.fileSpans.map(\.lowerBound).max()!)
            }
        }
        for url in options.scrapeURLs { sources.scraper.scrape(ScrapeTarget(url: url, job: "scrape", limits: options.scrapeLimits), atMs: now) }
        if !options.scrapeURLs.isEmpty {
            historyFrom = now
            withoutHistory.append("--scrape")
        }
        // Names whose data reaches back further than `historyFrom`, as lower bounds (lag in
        // seconds from a cluster's record timestamps); every other name starts at `historyFrom`.
        var coverage = Coverage(from: .min)
        if let kafka = sources.kafka {
            // A cluster answers with the present, and with lower bounds of past lag in seconds.
            let lagFrom = kafka.collect(atMs: now, lagHistoryFromMs: dataFrom, stepMs: step)
            historyFrom = now
            withoutHistory.append("--kafka")
            if let lagFrom { coverage.lowerBounds["strm_consumergroup_lag_seconds"] = lagFrom }
        }
        if sources.hasReceiver {
            historyFrom = now
            withoutHistory.append("--otlp-listen")
        }

        // Only a cluster's lag history is partial: with any other source without history, no name has more.
        if withoutHistory != ["--kafka"] { coverage.lowerBounds = [:] }
        coverage.from = historyFrom
        let (_, start) = firstEvaluation(nowMs: now, windowMs: window, stepMs: step, historyFromMs: coverage.earliest)
        var evaluations = 0
        var errors: [String] = []
        var at = start
        while true {
            sources.lagEstimator?.update(atMs: at)
            for evaluation in evaluator.evaluateDue(atMs: at) {
                evaluations += 1
                for (rule, message) in evaluation.errors {
                    let line = "group \(evaluation.group), rule \(rule): \(message)"
                    if !errors.contains(line) { errors.append(line) }
                }
            }
            guard let next = evaluator.nextDueAtMs, next <= now, next > at else { break }
            at = next
        }
        for line in errors { writeError("strmscope: warning: \(line)") }

        // Every rule is evaluated from `start`, but one has data only since its own start: before
        // it, what it saw was no data, so an alert active since then is active since its start at
        // most (an absence would otherwise "hold" through a past nobody observed). A pending alert
        // whose condition held since its start may have held longer than the data shows, and one
        // judged on lower bounds may be further on than they show: then `for` is unmet for want
        // of history.
        var firing = false
        var undetermined = false
        var judged: [ActiveAlert] = []
        for (rule, active) in evaluator.allActiveAlerts() {
            let ruleStart = max(start, min(now, coverage.dataStart(of: rule)))
            var alert = active
            if alert.activeAtMs < ruleStart {
                alert.activeAtMs = ruleStart
                if alert.state == .firing && now - ruleStart < rule.forMs {
                    alert.state = .pending
                    alert.firedAtMs = nil
                }
            }
            var extra: [String: Any] = ["evaluated_from": rfc3339(ruleStart)]
            if alert.state == .firing { firing = true }
            if alert.state == .pending && ((ruleStart > planned && alert.activeAtMs <= ruleStart) || coverage.readsLowerBounds(rule)) {
                extra["for_unmet_no_history"] = true
                undetermined = true
            }
            judged.append(alert)
            let transition = AlertTransition(alertName: rule.name, to: alert.state, from: nil, alert: alert, atMs: now)
            sink.write(EvalRunner.transitionJSON(transition, rule: rule, extra: extra) + "\n")
        }
        sink.flush()
        let shortOfHistory = start > planned
        if let lagFrom = coverage.lowerBounds["strm_consumergroup_lag_seconds"], start < now {
            writeError("strmscope eval: lag in seconds before now is a lower bound from the records' timestamps (since \(rfc3339(lagFrom))); "
                       + "the cluster's other series have no history")
        }
        if start == now {
            let which = withoutHistory.isEmpty ? "the sources" : withoutHistory.joined(separator: ", ")
            writeError("strmscope eval: one evaluation at \(rfc3339(now)); no history in \(which), so no `for` window could be observed"
                       + (undetermined ? " (alerts pending for that reason carry \"for_unmet_no_history\": true; exit 3)" : ""))
        } else {
            writeError("strmscope eval: \(evaluations) group evaluations from \(rfc3339(start)) to \(rfc3339(now)) over the sources' history"
                       + (shortOfHistory ? " (it starts after the \(formatDurationMs(window)) that `for` spans)" : ""))
        }
        return (firing ? 1 : undetermined ? 3 : 0, judged)
    }
}

/// When the sources' data begins, per metric name: `from` for every name, except the names in
/// `lowerBounds`, whose data reaches back to an earlier time but only as lower bounds of the
/// truth (a cluster's lag in seconds before now). A lower bound can prove `lag > 4` but never
/// disprove it, so only an alert that compares an expression rising with those names to a number
/// (`max_over_time(lag[1m]) > 4`) is judged over that earlier data; every other rule has data
/// since `from`.
struct Coverage {
    var from: Int64
    var lowerBounds: [String: Int64] = [:]

    /// The earliest data of any name.
    var earliest: Int64 { min(from, lowerBounds.values.min() ?? from) }

    /// Since when `rule` has data it can be judged on.
    func dataStart(of rule: Rule) -> Int64 {
        guard case .alert = rule.kind, let names = Self.risingThreshold(rule.expression), !names.isEmpty,
              let starts = Optional(names.compactMap({ lowerBounds[$0] })), starts.count == names.count
        else { return from }
        return starts.max()!
    }

    /// Whether the rule reads a name whose past is only a lower bound.
    func readsLowerBounds(_ rule: Rule) -> Bool {
        rule.expression.vectorSelectors.contains { Self.name($0).map { lowerBounds[$0] != nil } ?? false }
    }

    static func name(_ selector: VectorSelector) -> String? {
        selector.name ?? selector.matchers.first { $0.name == "__name__" && $0.kind == .equal }?.value
    }

    /// The names read by `expression` when it is `E > N` or `E >= N` (no `bool`), N a number and
    /// E built only from selectors, parentheses, max/min/sum/avg aggregations and the
    /// max/min/avg/last `_over_time` functions, all of which rise when the values they read rise;
    /// nil for any other shape.
    static func risingThreshold(_ expression: Expr) -> Set<String>? {
        guard case .binary(let b) = expression.unwrappingParens, b.op == .gtr || b.op == .gte, !b.returnBool,
              case .number = b.rhs.unwrappingParens
        else { return nil }
        var names: Set<String> = []
        func rising(_ e: Expr) -> Bool {
            switch e {
            case .vectorSelector(let v):
                guard let name = name(v) else { return false }
                names.insert(name)
                return true
            case .matrixSelector(let m): return rising(.vectorSelector(m.selector))
            case .paren(let p): return rising(p.expr)
            case .aggregate(let a): return [.max, .min, .sum, .avg].contains(a.op) && a.param == nil && rising(a.expr)
            case .call(let c):
                return ["max_over_time", "min_over_time", "avg_over_time", "last_over_time"].contains(c.function.name)
                    && c.args.count == 1 && rising(c.args[0])
            default: return false
            }
        }
        return rising(b.lhs) ? names : nil
    }
}
