import Alerting
import Collectors
import Foundation
import KafkaDirect
import PromQL
import ScopeCore
import ScopeUI
import SeriesStore
import StreamLog
import Synchronization

/// Where the scope's data comes from.
public enum ScopeSourceKind: Sendable {
    /// An embedded log (the demo's, or `--log DIR` read-only), sampled into the local store.
    case log(StreamLog)
    /// `/metrics` endpoints, scraped into the local store every tick.
    case scrape([String])
    /// A Prometheus-compatible server that evaluates the dashboard's expressions itself.
    case prometheus(String)
    /// A Kafka cluster read directly every tick (`--kafka`), with its groups' rebalances.
    case kafka(KafkaOptions)

    /// The source reports rebalances itself, rather than leaving them to be read off metrics.
    var hasOwnEvents: Bool {
        switch self {
        case .log, .kafka: true
        case .scrape, .prometheus: false
        }
    }
}

/// The scope's acquisition: every tick it collects the sources, evaluates each trace's
/// expression at that instant and appends the value to the trace's history (NaN, a gap, when the
/// expression returns nothing). The UI thread takes snapshots; nothing here touches the terminal.
public final class ScopeAcquisition: @unchecked Sendable {
    public let dashboard: Dashboard
    let store: SeriesStore
    private let source: ScopeSourceKind
    private let logSource: EmbeddedLogSource?
    private let kafkaSource: KafkaSource?
    private let scraper: Scraper
    /// Lag in seconds for scraped offsets (the embedded log has the exact figure).
    private let lagEstimator: LagTimeEstimator
    private let parsed: [[Expr]]
    /// Per trace, how far back its expression reads (range selectors, subqueries, offsets).
    private let reachMs: [[Int64]]
    /// Since when the local store holds the sources' data (history included): a trace is drawn
    /// only once its whole window lies after it, so a rate does not ramp up from a fraction of
    /// its value while its window fills. Set by `backfill` or the first tick.
    private var dataStartMs: Int64?
    /// A trace or rule that runs long fails alone (a gap, the reason in the status line) instead
    /// of stalling every trace behind it.
    private let engine: Engine
    private let scrapeLimits: ScrapeLimits
    private let state: Mutex<Snapshot>
    /// The newest scrape failure per URL (guarded by the serial use of `tick`).
    private var scrapeProblems: [String: String] = [:]
    /// Rebalance events from the metrics of sources that have no events of their own (every
    /// source but the embedded log). Guarded by the serial use of `tick` (and `backfill` before).
    private var rebalances = RebalanceDetector()
    /// The newest problem another part reported (the OTLP receiver dropping points).
    private let reported = Mutex<String?>(nil)

    /// Shows `line` in the status line until a problem of the acquisition itself replaces it.
    public func report(_ line: String) { reported.withLock { $0 = line } }

    /// What the UI draws from.
    public struct Snapshot: Sendable {
        public var histories: [[TraceHistory]]
        public var events: [Event] = []
        /// Bumped by every tick that added data.
        public var version = 0
        /// Time of the newest tick.
        public var newestMs: Int64?
        public var problem: String?
        /// Firing first, then pending, newest first within each.
        public var alerts: [ScopeAlert] = []
    }

    /// Rules evaluated on the collected data (their transitions become alert markers).
    private let rules: RuleEvaluator?

    public init(dashboard: Dashboard, source: ScopeSourceKind, ruleGroups: [RuleGroup] = [], historyPoints: Int = 20_000,
                queryTimeoutMs: Int64 = 2_000, scrapeLimits: ScrapeLimits = ScrapeLimits(),
                maxMemoryBytes: Int = StoreOptions().maxMemoryBytes) throws {
        self.scrapeLimits = scrapeLimits
        self.dashboard = dashboard
        self.source = source
        var options = StoreOptions()
        options.retentionMs = 15 * 60_000  // the store only feeds rate windows; histories keep the past
        options.maxMemoryBytes = maxMemoryBytes
        store = SeriesStore(options: options)
        let problems = Mutex<[String]>([])
        scraper = Scraper(store: store, report: { line in problems.withLock { $0.append(line) } })
        lagEstimator = LagTimeEstimator(store: store)
        if case .log(let log) = source { logSource = EmbeddedLogSource(log: log, store: store) } else { logSource = nil }
        if case .kafka(let options) = source { kafkaSource = try KafkaSource(options: options) } else { kafkaSource = nil }
        var parsed: [[Expr]] = []
        for channel in dashboard.channels {
            // Dashboard.load already checked every expression.
            parsed.append(try channel.traces.map { trace throws -> Expr in try PromQL.parse(trace.expression) })
        }
        self.parsed = parsed
        engine = Engine(timeoutMs: queryTimeoutMs)
        reachMs = parsed.map { traces in
            traces.map { expr in -PrometheusBackfill.span(of: expr, startMs: 0, endMs: 0, lookbackMs: 0).minMs }
        }
        rules = ruleGroups.isEmpty ? nil : RuleEvaluator(groups: ruleGroups, store: store, defaultIntervalMs: max(dashboard.refreshMs, 5_000),
                                                         engine: Engine(timeoutMs: queryTimeoutMs))
        state = Mutex(Snapshot(histories: dashboard.channels.map { $0.traces.map { _ in TraceHistory(capacity: historyPoints) } }))
    }

    public func snapshot() -> Snapshot { state.withLock { $0 } }

    /// Fills the histories from the source's own past (`window` back from `nowMs`), so the screen
    /// starts full instead of empty or ramping: a Prometheus server answers range queries; the
    /// embedded log's series are rebuilt from its files (and the rules judged over them, so the
    /// alert panel and markers are right from the first frame). Scrapes have no past: their
    /// traces start empty and each is drawn once its window holds data.
    public func backfill(nowMs: Int64, windowMs: Int64) {
        if case .log(let log) = source, let logSource {
            backfillLog(log, logSource, nowMs: nowMs, windowMs: windowMs)
            return
        }
        guard case .prometheus(let url) = source else { return }
        let client = PrometheusAPIClient(baseURL: url, timeoutMs: 10_000)
        let step = max(dashboard.refreshMs, windowMs / 1_000)
        // Past rebalances in the window, from the server's history of the same metrics.
        var byTime: [Int64: (members: [String: Double], rebalances: [String: Double])] = [:]
        for (query, isMembers) in [(RebalanceDetector.membersQuery, true), (RebalanceDetector.rebalancesQuery, false)] {
            for series in (try? client.queryRange(query, startMs: nowMs - windowMs, endMs: nowMs, stepMs: step)) ?? [] {
                guard let group = series.labels["consumergroup"] else { continue }
                for sample in series.samples {
                    if isMembers { byTime[sample.timestampMs, default: ([:], [:])].members[group] = sample.value }
                    else { byTime[sample.timestampMs, default: ([:], [:])].rebalances[group] = sample.value }
                }
            }
        }
        for time in byTime.keys.sorted() {
            for event in rebalances.observe(atMs: time, members: byTime[time]!.members, rebalances: byTime[time]!.rebalances) {
                store.appendEvent(event)
            }
        }
        for (c, channel) in dashboard.channels.enumerated() {
            for (t, trace) in channel.traces.enumerated() {
                guard let series = try? client.queryRange(trace.expression, startMs: nowMs - windowMs, endMs: nowMs, stepMs: step) else { continue }
                let values = Self.combine(series.map { $0.samples.map { ($0.timestampMs, $0.value) } })
                state.withLock { snapshot in
                    for (time, value) in values { snapshot.histories[c][t].append(timeMs: time, value: value) }
                }
            }
        }
    }

    private func backfillLog(_ log: StreamLog, _ logSource: EmbeddedLogSource, nowMs: Int64, windowMs: Int64) {
        let step = max(100, dashboard.refreshMs)
        let window = min(windowMs, 30 * 60_000)
        let reach = reachMs.flatMap { $0 }.max() ?? 0
        let covered = logSource.backfill(fromMs: nowMs - window - reach, toMs: nowMs, stepMs: step)
        // Before the log's first write there was no pipeline to show: a window reaching back
        // there is not yet full.
        let start = max(covered, log.firstActivityMs() ?? nowMs)
        dataStartMs = start
        guard start < nowMs else { return }
        // The grid of ticks that ends at now, from the first one with data.
        let first = nowMs - ((nowMs - max(start, nowMs - window)) / step) * step
        var rows: [[[(Int64, Double)]]] = []
        for (c, channel) in dashboard.channels.enumerated() {
            rows.append(channel.traces.indices.map { t in
                let from = first + ((max(0, start + reachMs[c][t] - first) + step - 1) / step) * step
                guard from < nowMs, case .matrix(let series)? = try? engine.range(parsed[c][t], start: from, end: nowMs - step, step: step, on: store)
                else { return [] }
                return Self.combine(series.map { $0.samples.map { ($0.timestampMs, $0.value) } })
            })
        }
        if let rules {
            var at = first
            while at < nowMs {
                for evaluation in rules.evaluateDue(atMs: at) {
                    for transition in evaluation.transitions where transition.to != .pending { store.appendEvent(Self.event(transition)) }
                }
                guard let next = rules.nextDueAtMs, next > at else { break }
                at = next
            }
        }
        state.withLock { snapshot in
            for (c, row) in rows.enumerated() {
                for (t, values) in row.enumerated() {
                    for (time, value) in values { snapshot.histories[c][t].append(timeMs: time, value: value) }
                }
            }
        }
    }

    /// One acquisition at `nowMs`.
    public func tick(nowMs: Int64) {
        if dataStartMs == nil { dataStartMs = nowMs }
        var problem: String?
        switch source {
        case .log:
            logSource?.collect(atMs: nowMs)
        case .scrape(let urls):
            for url in urls {
                let outcome = scraper.scrape(ScrapeTarget(url: url, job: "scrape", intervalMs: dashboard.refreshMs * 10,
                                                          timeoutMs: max(500, dashboard.refreshMs - 100), limits: scrapeLimits), atMs: nowMs)
                scrapeProblems[url] = outcome.error.map { "\(url): \($0)" }
            }
            problem = scrapeProblems.values.sorted().first.map { "scrape failed: \($0)" }
            lagEstimator.update(atMs: nowMs)
        case .kafka(let options):
            problem = kafkaSource?.collect(into: store, atMs: nowMs).problem
            if options.lagTime != .off { lagEstimator.update(atMs: nowMs) }
        case .prometheus:
            break
        }
        if !source.hasOwnEvents {
            for event in rebalances.observe(atMs: nowMs, members: groupValues(RebalanceDetector.membersQuery, atMs: nowMs),
                                            rebalances: groupValues(RebalanceDetector.rebalancesQuery, atMs: nowMs)) {
                store.appendEvent(event)
            }
        }
        var values: [[Double]] = []
        for (c, channel) in dashboard.channels.enumerated() {
            var row: [Double] = []
            for (t, trace) in channel.traces.enumerated() {
                do {
                    // A window that reaches before the data would average over time with none.
                    if case .prometheus = source {} else if nowMs - reachMs[c][t] < dataStartMs! {
                        row.append(.nan)
                        continue
                    }
                    row.append(try evaluate(parsed[c][t], source: trace.expression, atMs: nowMs))
                } catch {
                    row.append(.nan)
                    problem = problem ?? "CH\(c + 1) \(trace.label): \(error)"
                }
            }
            values.append(row)
        }
        var alerts: [ScopeAlert] = []
        if let rules {
            for evaluation in rules.evaluateDue(atMs: nowMs) {
                for transition in evaluation.transitions where transition.to != .pending {
                    store.appendEvent(Self.event(transition))
                }
                if problem == nil, let failure = evaluation.errors.first { problem = "rule \(failure.rule): \(failure.message)" }
            }
            alerts = rules.allActiveAlerts().map { Self.scopeAlert($0.alert, name: $0.rule.name) }
                .sorted { ($0.firing ? 0 : 1, -$0.activeAtMs, $0.name) < ($1.firing ? 0 : 1, -$1.activeAtMs, $1.name) }
        }
        if problem == nil { problem = Self.budgetDrops(store.stats) ?? reported.withLock { $0 } }
        let windowStart = nowMs - 3_600_000
        let events = store.events(fromMs: windowStart, toMs: nowMs)
        if logSource != nil { _ = store.enforceRetention(nowMs: nowMs) }
        state.withLock { snapshot in
            for (c, row) in values.enumerated() {
                for (t, value) in row.enumerated() { snapshot.histories[c][t].append(timeMs: nowMs, value: value) }
            }
            snapshot.events = events
            snapshot.version += 1
            snapshot.newestMs = nowMs
            snapshot.problem = problem
            snapshot.alerts = alerts
        }
    }

    /// The store's refusals that mean a budget is spent (not the routine out-of-order ones), as
    /// the status line shows them: counted since the scope started, with the flag that sets it.
    static func budgetDrops(_ stats: StoreStats) -> String? {
        let shown: [(RejectReason, String)] = [(.memoryLimit, "--max-memory"), (.seriesLimit, "the series limit"), (.invalidLabels, "label limits")]
        let parts = shown.compactMap { reason, what in
            stats.samplesRejected[reason].flatMap { $0 > 0 ? "\($0) \(reason) (\(what))" : nil }
        }
        return parts.isEmpty ? nil : "samples dropped: " + parts.joined(separator: ", ")
    }

    /// What the panel shows of an alert: its subject is the labels that say where it is.
    static func scopeAlert(_ alert: ActiveAlert, name: String) -> ScopeAlert {
        let subject = ["consumergroup", "topic", "partition", "instance", "job"].compactMap { alert.labels[$0] }.joined(separator: "/")
        return ScopeAlert(name: name, firing: alert.state == .firing, severity: alert.labels["severity"] ?? "", subject: subject,
                          activeAtMs: alert.activeAtMs, value: alert.value, summary: alert.annotations["summary"] ?? "",
                          runbookURL: alert.annotations["runbook_url"])
    }

    /// An alert transition as a marker on the time axis.
    static func event(_ transition: AlertTransition) -> Event {
        let alert = transition.alert
        let state = transition.to == .inactive ? "resolved" : transition.to.rawValue
        let subject = ["consumergroup", "topic"].compactMap { alert.labels[$0] }.joined(separator: "/")
        var fields = ["state": state, "value": "\(alert.value)"]
        if let url = alert.annotations["runbook_url"] { fields["runbook_url"] = url }
        return Event(kind: .alert, timeMs: transition.atMs, labels: Dictionary(uniqueKeysWithValues: alert.labels.pairs.map { ($0.name, $0.value) }),
                     title: "\(transition.alertName) \(state)" + (subject.isEmpty ? "" : " \(subject)"), fields: fields)
    }

    private func evaluate(_ expr: Expr, source expression: String, atMs: Int64) throws -> Double {
        if case .prometheus(let url) = source {
            switch try PrometheusAPIClient(baseURL: url, timeoutMs: max(500, dashboard.refreshMs)).query(expression, atMs: atMs) {
            case .vector(let series): return Self.combine(series.compactMap { $0.samples.first?.value })
            case .scalar(let sample): return sample.value
            case .matrix, .string: return .nan
            }
        }
        switch try engine.instant(expr, source: expression, at: atMs, on: store) {
        case .vector(let samples): return Self.combine(samples.map(\.value))
        case .scalar(_, let value): return value
        case .matrix, .string: return .nan
        }
    }

    /// `query`'s value per consumer group now, from the local store or the Prometheus server.
    private func groupValues(_ query: String, atMs: Int64) -> [String: Double] {
        var out: [String: Double] = [:]
        if case .prometheus(let url) = source {
            guard case .vector(let series)? = try? PrometheusAPIClient(baseURL: url, timeoutMs: max(500, dashboard.refreshMs)).query(query, atMs: atMs)
            else { return [:] }
            for s in series { if let group = s.labels["consumergroup"], let value = s.samples.first?.value { out[group] = value } }
        } else if case .vector(let samples)? = try? engine.instant(query, at: atMs, on: store) {
            for sample in samples { if let group = sample.labels["consumergroup"] { out[group] = sample.value } }
        }
        return out
    }

    /// A trace is one line: an expression giving several series is drawn as their maximum (the
    /// worst lag, the busiest partition); aggregate in the expression to choose otherwise.
    static func combine(_ values: [Double]) -> Double {
        values.filter { !$0.isNaN }.max() ?? .nan
    }

    /// Several series' samples merged into one line, by time (the maximum at each time).
    static func combine(_ series: [[(Int64, Double)]]) -> [(Int64, Double)] {
        var byTime: [Int64: Double] = [:]
        for samples in series {
            for (time, value) in samples where !value.isNaN { byTime[time] = max(byTime[time] ?? -.infinity, value) }
        }
        return byTime.keys.sorted().map { ($0, byTime[$0]!) }
    }
}
