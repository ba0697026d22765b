#if canImport(Glibc)
import Glibc
#endif
import Alerting
import Collectors
import Exporter
import Exposition
import Foundation
import KafkaDirect
import PromQL
import ScopeCore
import SeriesStore
import StreamLog
import Synchronization

/// What `strmscope eval` evaluates and where it reports.
public struct EvalOptions: Sendable {
    public var ruleFiles: [String]
    /// Rule groups already parsed (a preset's pack), evaluated before those of `ruleFiles`.
    public var ruleGroups: [RuleGroup] = []
    public var logDirectory: String?
    public var scrapeURLs: [String] = []
    /// A Kafka cluster read directly every round (`--kafka`).
    public var kafka: KafkaOptions?
    /// Exposition files loaded once at start (samples without a timestamp are stamped then).
    public var files: [String] = []
    /// A Prometheus-compatible server whose raw series the rules read (fetched incrementally).
    public var prometheusURL: String?
    /// Default evaluation interval for groups without their own.
    public var intervalMs: Int64 = 15_000
    public var once = false
    public var alertmanagerURLs: [String] = []
    /// JSON lines go here instead of stdout.
    public var outputPath: String?
    public var durationMs: Int64?
    public var retentionMs: Int64 = 3_600_000
    public var externalLabels: [String: String] = [:]
    /// After each round, a JSON line on stderr with how long evaluation took (for benchmarks).
    public var stats = false
    /// An OTLP receiver writing into the rules' store.
    public var otlp: OTLPListen?
    /// The longest one rule's evaluation may run (a slow regex over scraped values must not stall
    /// every other rule); over it the rule fails for that round, with an error naming the limit.
    public var queryTimeoutMs: Int64 = 10_000
    /// Per scrape target (`--scrape-*-limit`).
    public var scrapeLimits = ScrapeLimits()
    /// The store's memory budget (`--max-memory`).
    public var maxMemoryBytes = StoreOptions().maxMemoryBytes

    public init(ruleFiles: [String]) { self.ruleFiles = ruleFiles }
}

/// `strmscope eval`: the headless rule evaluator. Collects the sources, evaluates every group at
/// its interval on the wall clock, writes one JSON line per alert transition, pushes firing and
/// resolved alerts to Alertmanager from a sender thread (so a slow or dead Alertmanager never
/// delays evaluation), and stops cleanly on SIGINT/SIGTERM.
public enum EvalRunner {
    /// Exit status (after --once; see `EvalOnce`): 0 nothing firing, 1 something firing, 3
    /// nothing firing but an alert pending for want of history; errors are thrown.
    public static func run(_ options: EvalOptions, output: OutputSink, clock: any Clock = SystemClock()) throws -> Int32 {
        installStopHandlers()
        var groups = options.ruleGroups
        for file in options.ruleFiles { groups += try RuleFile.load(file: file).groups }
        guard !groups.isEmpty else { throw CommandError("the rule files hold no rule groups") }
        var storeOptions = StoreOptions()
        storeOptions.retentionMs = options.retentionMs
        storeOptions.maxMemoryBytes = options.maxMemoryBytes
        let store = SeriesStore(options: storeOptions, clock: clock)
        var fileSpans: [ClosedRange<Int64>] = []
        for file in options.files {
            if let span = try QueryRunner.loadFile(file, into: store, now: clock.nowMs()) { fileSpans.append(span) }
        }
        let receiver = try options.otlp?.start(into: store, report: { writeError("strmscope: warning: \($0)") })
        defer { receiver?.stop() }
        if let receiver { writeError("strmscope eval: receiving OTLP on http://\(receiver.address)\(OTLPReceiver.path)") }
        let logSource = try options.logDirectory.map { EmbeddedLogSource(log: try StreamLog.open(directory: $0, readOnly: true), store: store) }
        let scraper = Scraper(store: store, report: { writeError("strmscope: warning: \($0)") })
        // Scraped exporters and servers have offsets only: lag in seconds is estimated from them.
        let estimatesLag = !options.scrapeURLs.isEmpty || options.prometheusURL != nil || (options.kafka.map { $0.lagTime != .off } ?? false)
        let lagEstimator = estimatesLag ? LagTimeEstimator(store: store) : nil
        let kafka = try options.kafka.map { KafkaCluster(source: try KafkaSource(options: $0), store: store) }
        let follower = options.prometheusURL.map { url in
            let recorded = Set(groups.flatMap(\.rules).compactMap { rule -> String? in
                if case .record(let name) = rule.kind { return name }
                return nil
            } + ["ALERTS", "ALERTS_FOR_STATE"])
            // The lag estimate reads offsets the rules may not name (kminion's per partition).
            let offsets = lagEstimator == nil ? [] : OffsetSeriesNames.all.flatMap { [$0.endOffset, $0.groupSeries] }.compactMap { try? PromQL.parse($0) }
            return PrometheusBackfill.Follower(client: PrometheusAPIClient(baseURL: url, timeoutMs: 30_000), store: store,
                                               expressions: groups.flatMap(\.rules).map(\.expression) + offsets, skipNames: recorded)
        }
        let evaluator = RuleEvaluator(groups: groups, store: store, defaultIntervalMs: options.intervalMs, externalLabels: options.externalLabels,
                                      engine: Engine(timeoutMs: options.queryTimeoutMs))
        let sink: OutputSink = try options.outputPath.map { try FileOutput(path: $0) } ?? output
        let sender = options.alertmanagerURLs.isEmpty ? nil : AlertmanagerSender(urls: options.alertmanagerURLs)
        sender?.start()
        defer { sender?.stop(deadlineMs: 5_000) }
        var policy = AlertSendPolicy(evaluationIntervalMs: options.intervalMs)
        if options.once {
            let sources = EvalOnce.Sources(
                log: logSource, scraper: scraper, kafka: kafka, lagEstimator: lagEstimator, follower: follower, fileSpans: fileSpans,
                hasReceiver: receiver != nil)
            let verdict = try EvalOnce.run(options, groups: groups, evaluator: evaluator, sources: sources, sink: sink, clock: clock)
            let alerts = policy.due(verdict.alerts, atMs: clock.nowMs())
            if !alerts.isEmpty { sender?.enqueue(alerts) }
            return verdict.status
        }

        let started = clock.nowMs()
        var nextDue = started
        // Per group: how long its last evaluation took (Prometheus's rule_group_last_duration_seconds).
        var lastDuration = [Double](repeating: 0, count: groups.count)
        while !isStopRequested {
            let now = clock.nowMs()
            if now >= nextDue {
                // Sources are read once per round: every group due now sees the same data.
                logSource?.collect(atMs: now)
                for url in options.scrapeURLs { scraper.scrape(ScrapeTarget(url: url, job: "scrape", limits: options.scrapeLimits), atMs: now) }
                kafka?.collect(atMs: now)
                do { try follower?.update(atMs: now) } catch {
                    // A server that is down for a round: the rules see no new data, as with a failed scrape.
                    if options.once { throw CommandError("\(options.prometheusURL ?? ""): \(error)") }
                    writeError("strmscope: warning: \(options.prometheusURL ?? ""): \(error)")
                }
                lagEstimator?.update(atMs: now)
                let evaluations = evaluator.evaluateDue(atMs: now)
                for evaluation in evaluations {
                    lastDuration[evaluation.groupIndex] = evaluation.durationSeconds
                    for (rule, message) in evaluation.errors {
                        writeError("strmscope: warning: group \(evaluation.group), rule \(rule): \(message)")
                    }
                    for transition in evaluation.transitions {
                        let rule = groups[evaluation.groupIndex].rules.first { $0.name == transition.alertName }
                        sink.write(transitionJSON(transition, rule: rule) + "\n")
                    }
                }
                sink.flush()
                if options.stats {
                    let round = evaluations.reduce(0) { $0 + $1.durationSeconds }
                    writeError("{\"stats\":{\"time\":\"\(rfc3339(now))\",\"groups_evaluated\":\(evaluations.count),\"round_seconds\":\(round),"
                               + "\"last_duration_sum_seconds\":\(lastDuration.reduce(0, +)),\"series\":\(store.stats.series)}}")
                }
                _ = store.enforceRetention(nowMs: now)
                let alerts = policy.due(evaluator.keptAlerts(), atMs: now)
                if !alerts.isEmpty { sender?.enqueue(alerts) }
                nextDue = evaluator.nextDueAtMs ?? now + options.intervalMs
            }
            if let duration = options.durationMs, now - started >= duration { break }
            sleepUnlessStopped(ms: Int(max(10, min(1000, nextDue - clock.nowMs()))))
        }
        return 0
    }

    /// One JSON line per transition: what a pager or a CI log needs to act on.
    static func transitionJSON(_ transition: AlertTransition, rule: Rule?, extra: [String: Any] = [:]) -> String {
        let alert = transition.alert
        var object: [String: Any] = [
            "time": rfc3339(transition.atMs),
            "alertname": transition.alertName,
            "state": transition.to == .inactive ? "resolved" : transition.to.rawValue,
            "labels": Dictionary(uniqueKeysWithValues: alert.labels.pairs.map { ($0.name, $0.value) }),
            "annotations": alert.annotations,
            "value": alert.value.isFinite ? alert.value as Any : formatSampleValue(alert.value),
            "active_at": rfc3339(alert.activeAtMs),
        ]
        if let from = transition.from { object["from"] = from == .inactive ? "resolved" : from.rawValue }
        if let url = alert.annotations["runbook_url"] { object["runbook_url"] = url }
        if let resolved = alert.resolvedAtMs, transition.to == .inactive { object["resolved_at"] = rfc3339(resolved) }
        if let rule { object["for"] = formatDurationMs(rule.forMs) }
        object.merge(extra) { _, new in new }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return jsonEscapingControls(String(decoding: data, as: UTF8.self))
    }
}

/// Appends to a file, creating it; each flush is written through.
final class FileOutput: OutputSink {
    private let handle: FileHandle
    private var buffer = ""

    init(path: String) throws {
        if !FileManager.default.fileExists(atPath: path) {
            guard FileManager.default.createFile(atPath: path, contents: nil) else { throw CommandError("\(path): cannot create the output file") }
        }
        guard let handle = FileHandle(forWritingAtPath: path) else { throw CommandError("\(path): cannot open the output file for writing") }
        handle.seekToEndOfFile()
        self.handle = handle
    }

    func write(_ text: String) { buffer += text }

    func flush() {
        guard !buffer.isEmpty else { return }
        handle.write(Data(buffer.utf8))
        buffer = ""
    }
}

/// Posts alert batches to every Alertmanager from its own thread. The queue is bounded (the
/// oldest batch is dropped and counted when it is full); each batch is retried with exponential
/// backoff (0.5 s, 1 s, 2 s … up to 30 s) until it is delivered or a newer state of the same
/// alerts makes it pointless (a later batch supersedes it after 5 tries).
final class AlertmanagerSender: @unchecked Sendable {
    let urls: [String]
    private let queue = Mutex<[[AlertmanagerAlert]]>([])
    private let wake = DispatchSemaphore(value: 0)
    private let stopping = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)
    let dropped = Atomic<Int>(0)
    let sent = Atomic<Int>(0)
    static let capacity = 64

    init(urls: [String]) { self.urls = urls.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 } }

    func enqueue(_ alerts: [AlertmanagerAlert]) {
        queue.withLock { batches in
            if batches.count >= Self.capacity {
                batches.removeFirst()
                dropped.add(1, ordering: .relaxed)
            }
            batches.append(alerts)
        }
        wake.signal()
    }

    func start() {
        Thread { [self] in
            while true {
                _ = wake.wait(timeout: .now() + .milliseconds(200))
                while let batch = queue.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) {
                    deliver(batch)
                }
                if stopping.load(ordering: .relaxed) { break }
            }
            finished.signal()
        }.start()
    }

    /// Sends what is queued, waiting at most `deadlineMs`.
    func stop(deadlineMs: Int) {
        stopping.store(true, ordering: .relaxed)
        wake.signal()
        _ = finished.wait(timeout: .now() + .milliseconds(deadlineMs))
    }

    private func deliver(_ batch: [AlertmanagerAlert]) {
        let body = AlertmanagerAlert.json(batch)
        for url in urls {
            var backoffMs = 500
            for attempt in 1...5 {
                let request = HTTPRequest(url: url + "/api/v2/alerts", method: "POST", headers: [("Content-Type", "application/json")],
                                          body: body, timeoutMs: 5_000)
                let status = (try? HTTPClient.perform(request))?.status
                if let status, (200..<300).contains(status) {
                    sent.add(batch.count, ordering: .relaxed)
                    break
                }
                if let status, (400..<500).contains(status) {
                    writeError("strmscope: warning: Alertmanager \(url) refused \(batch.count) alerts: HTTP \(status)")
                    break
                }
                if attempt == 5 || stopping.load(ordering: .relaxed) {
                    writeError("strmscope: warning: Alertmanager \(url) unreachable; \(batch.count) alerts not delivered (the next evaluation re-sends firing ones)")
                    break
                }
                usleep(UInt32(backoffMs * 1000))
                backoffMs = min(backoffMs * 2, 30_000)
            }
        }
    }
}

/// `--kafka` for eval: collections into the rules' store, each new problem (and the recovery)
/// said once on stderr.
struct KafkaCluster {
    let source: KafkaSource
    let store: SeriesStore

    func collect(atMs nowMs: Int64) {
        say(source.collect(into: store, atMs: nowMs))
    }

    /// With the lower bounds of lag in seconds the cluster gives for the past (see
    /// `KafkaSource`); returns the earliest time they cover.
    func collect(atMs nowMs: Int64, lagHistoryFromMs: Int64, stepMs: Int64) -> Int64? {
        let (collection, earliest) = source.collect(into: store, atMs: nowMs, lagHistoryFromMs: lagHistoryFromMs, stepMs: stepMs)
        say(collection)
        return earliest
    }

    private func say(_ collection: KafkaSource.Collection) {
        if let news = collection.news { writeError("strmscope: warning: \(news)") }
    }
}
