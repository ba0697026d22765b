import Alerting
import Collectors
import Foundation
import Synchronization
import ScopeCore
import SeriesStore

/// The dashboard `strmscope scope` shows without --dashboard or a detected preset.
public let defaultDashboardYAML = builtInDashboardFiles["Dashboards/streaming.yml"]!
/// The alert pack of the `kafka` preset (the embedded log and kafka_exporter names).
public let defaultAlertRulesYAML = builtInDashboardFiles["Dashboards/alerts.yml"]!
/// The lag SLO's rules (generated from Dashboards/slo.yml), evaluated beside every preset's pack.
public let defaultSLORulesYAML = builtInDashboardFiles["Dashboards/slo-rules.yml"]!

/// One system's scope and alerts on its own metric names: a dashboard, an alert pack (with a
/// runbook per alert in Runbooks/) and the lag SLO's rules. Every preset feeds the SLO through
/// `strm_consumergroup_lag_seconds`: native where the system has a time lag (a recording rule in
/// its pack), otherwise strmscope's estimate from its offsets (`LagTimeEstimator`).
public struct Preset: Sendable, Equatable {
    public let name: String
    /// What it reads and where that is served, for `strmscope presets`.
    public let system: String
    public let dashboardFile: String
    /// Its alert pack, then TargetDown (unless the pack has its own) and the lag SLO's rules.
    public let ruleFiles: [String]
    /// A metric-name prefix only this system's exporter uses: a scrape with such families is
    /// that system (detection).
    public let familyPrefixes: [String]

    private init(name: String, system: String, dashboardFile: String, alerts: String, packHasTargetDown: Bool = false, familyPrefixes: [String]) {
        self.name = name
        self.system = system
        self.dashboardFile = dashboardFile
        ruleFiles = [alerts] + (packHasTargetDown ? [] : [Self.targetRules]) + ["Dashboards/slo-rules.yml"]
        self.familyPrefixes = familyPrefixes
    }

    private static let targetRules = "Dashboards/target-rules.yml"

    /// The presets in the order detection reports them.
    public static let all: [Preset] = [
        Preset(name: "kafka", system: "Kafka through kafka_exporter (:9308/metrics); also the demo, --log, --kafka",
               dashboardFile: "Dashboards/streaming.yml", alerts: "Dashboards/alerts.yml", packHasTargetDown: true,
               // Not strm_*: the other presets' packs record strm_consumergroup_lag_seconds too.
               familyPrefixes: ["kafka_consumergroup_", "kafka_topic_partition"]),
        Preset(name: "kminion", system: "Kafka through kminion (:8080/metrics)",
               dashboardFile: "Dashboards/kminion.yml", alerts: "Dashboards/kminion-alerts.yml",
               familyPrefixes: ["kminion_"]),
        Preset(name: "redpanda", system: "Redpanda brokers (:9644/public_metrics)",
               dashboardFile: "Dashboards/redpanda.yml", alerts: "Dashboards/redpanda-alerts.yml",
               familyPrefixes: ["redpanda_"]),
        Preset(name: "pulsar", system: "Apache Pulsar brokers (:8080/metrics)",
               dashboardFile: "Dashboards/pulsar.yml", alerts: "Dashboards/pulsar-alerts.yml",
               familyPrefixes: ["pulsar_"]),
        Preset(name: "flink", system: "Apache Flink jobs, Prometheus reporter (:9249/metrics)",
               dashboardFile: "Dashboards/flink.yml", alerts: "Dashboards/flink-alerts.yml",
               familyPrefixes: ["flink_"]),
    ]

    /// The `kafka` preset: what the scope shows on its own sources (demo, --log, --kafka).
    public static let kafka = all[0]

    public static func named(_ name: String) -> Preset? { all.first { $0.name == name } }

    /// `--preset NAME`'s check: the preset, or an error naming the ones there are.
    public static func resolve(_ name: String) throws -> Preset {
        guard let preset = named(name) else {
            throw PresetError("no preset \"\(name)\"; the presets are \(all.map(\.name).joined(separator: ", ")) (strmscope presets)")
        }
        return preset
    }

    public func dashboard() throws -> Dashboard {
        try Dashboard.parse(builtInDashboardFiles[dashboardFile]!, file: "built-in \(dashboardFile)")
    }

    public func ruleGroups() throws -> [RuleGroup] { try Self.combinedRuleGroups([self]) }
}

public struct PresetError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// What a scrape says about the system behind it: the presets whose families it has, with the
/// evidence, and what to tell the user when none matches.
public struct PresetDetection: Sendable, Equatable {
    public struct Match: Sendable, Equatable {
        public let preset: Preset
        /// How many of the scrape's metric names carry one of the preset's prefixes.
        public let families: Int
        /// One of those names, for the message.
        public let example: String
    }

    public let matches: [Match]
    /// Said when nothing matches, or to point at a better endpoint.
    public let hint: String?

    public var presets: [Preset] { matches.map(\.preset) }

    public init(metricNames: some Sequence<String>) {
        let names = Array(metricNames).sorted()
        var matches: [Match] = []
        for preset in Preset.all {
            let found = names.filter { name in preset.familyPrefixes.contains { name.hasPrefix($0) } }
            if let example = found.first { matches.append(Match(preset: preset, families: found.count, example: example)) }
        }
        self.matches = matches
        if !matches.isEmpty {
            hint = nil
        } else if names.contains(where: { $0.hasPrefix("vectorized_") }) {
            hint = "this is Redpanda's internal /metrics (vectorized_* names); the redpanda preset reads /public_metrics on the same port"
        } else if names.contains(where: { $0.lowercased().hasPrefix("debezium_") || $0.hasPrefix("kafka_connect_") }) {
            hint = "Debezium / Kafka Connect metrics have no preset yet"
        } else if names.isEmpty {
            hint = "the target served no samples"
        } else {
            hint = "none of the \(names.count) metric names is one a preset reads"
        }
    }

    /// One line: `redpanda (213 redpanda_* names, e.g. redpanda_kafka_max_offset)`.
    public var summary: String {
        guard !matches.isEmpty else { return "no preset: \(hint ?? "")" }
        return matches.map { m in
            "\(m.preset.name) (\(m.families) \(m.preset.familyPrefixes.map { $0 + "*" }.joined(separator: "/")) name\(m.families == 1 ? "" : "s"), e.g. \(m.example))"
        }.joined(separator: " + ")
    }
}

extension Preset {
    /// The dashboard for several systems scraped at once (a Flink job reading from Redpanda):
    /// channel i holds every preset's channel i, each trace named by its preset, so the four
    /// channel keys keep their meaning (rates, lag, dead letters, errors). One preset: its own.
    public static func combinedDashboard(_ presets: [Preset]) throws -> Dashboard {
        guard let first = presets.first else { return try kafka.dashboard() }
        var board = try first.dashboard()
        guard presets.count > 1 else { return board }
        let others = try presets.dropFirst().map { ($0, try $0.dashboard()) }
        board.title = ([board.title] + others.map(\.1.title)).joined(separator: " + ")
        for index in board.channels.indices {
            let channel = board.channels[index]
            board.channels[index].traces = channel.traces.map { named($0, first, channel) }
            for (preset, other) in others where index < other.channels.count {
                let theirs = other.channels[index]
                if !board.channels[index].name.split(separator: "·").contains(Substring(theirs.name)) {
                    board.channels[index].name += "·" + theirs.name
                }
                board.channels[index].traces += theirs.traces.map { named($0, preset, theirs) }
            }
        }
        return board
    }

    private static func named(_ trace: Dashboard.Trace, _ preset: Preset, _ channel: Dashboard.Channel) -> Dashboard.Trace {
        var trace = trace
        trace.label = "\(preset.name) \(trace.label)"
        trace.unit = trace.unit ?? channel.unit
        return trace
    }

    /// The rule groups of several presets, the shared SLO rules once.
    public static func combinedRuleGroups(_ presets: [Preset]) throws -> [RuleGroup] {
        var files: [String] = []
        for file in presets.flatMap(\.ruleFiles) where !files.contains(file) { files.append(file) }
        // A pack with its own TargetDown (kafka's) combined with others: not twice.
        if presets.contains(where: { !$0.ruleFiles.contains(targetRules) }) { files.removeAll { $0 == targetRules } }
        return try files.flatMap { try RuleFile.parse(builtInDashboardFiles[$0]!, file: "built-in \($0)").groups }
    }
}

/// Detection on live targets: each URL scraped once (with the command's limits) and judged by
/// its metric names.
public enum PresetDetector {
    public struct Result: Sendable {
        public let url: String
        /// nil when the scrape failed (then `error` says why).
        public let detection: PresetDetection?
        public let error: String?
    }

    public static func detect(urls: [String], limits: ScrapeLimits = ScrapeLimits(), timeoutMs: Int64 = 5_000) -> [Result] {
        // All targets at once: a hanging one costs the timeout once, not once per target.
        let results = Mutex(Array<Result?>(repeating: nil, count: urls.count))
        DispatchQueue.concurrentPerform(iterations: urls.count) { index in
            let url = urls[index]
            let store = SeriesStore()
            let outcome = Scraper(store: store).scrape(ScrapeTarget(url: url, job: "detect", timeoutMs: timeoutMs, limits: limits),
                                                      atMs: SystemClock().nowMs())
            let result = outcome.up
                ? Result(url: url, detection: PresetDetection(metricNames: store.labelValues("__name__")), error: nil)
                : Result(url: url, detection: nil, error: outcome.error ?? "the scrape failed")
            results.withLock { $0[index] = result }
        }
        return results.withLock { $0.compactMap { $0 } }
    }

    /// Detection on a Prometheus-compatible server: the names of the presets' families it holds
    /// now, asked in one instant query (`group by (__name__)`, so the answer is one series per
    /// name, however many series each has).
    public static func detect(prometheus url: String, timeoutMs: Int64 = 10_000, atMs: Int64 = SystemClock().nowMs()) -> Result {
        do {
            let answer = try PrometheusAPIClient(baseURL: url, timeoutMs: timeoutMs).query(prometheusQuery, atMs: atMs)
            guard case .vector(let series) = answer else { return Result(url: url, detection: nil, error: "the server did not answer with a vector") }
            return Result(url: url, detection: PresetDetection(metricNames: series.compactMap { $0.labels["__name__"] }), error: nil)
        } catch {
            return Result(url: url, detection: nil, error: "\(error)")
        }
    }

    /// The names any preset detects by, as one query.
    static var prometheusQuery: String {
        let prefixes = Preset.all.flatMap(\.familyPrefixes).map { NSRegularExpression.escapedPattern(for: $0) }
        return "group by (__name__) ({__name__=~\"(\(prefixes.joined(separator: "|"))).*\"})"
    }

    /// What `scope` and `eval` use without --preset on scrape targets: every preset found on any
    /// target (in registry order), or `kafka` when none is (`detected` false: say so, and a
    /// long-running command should not settle on a guess); one line per target for stderr.
    public static func choose(_ results: [Result]) -> (presets: [Preset], detected: Bool, failures: [String], report: [String]) {
        var found: [Preset] = []
        var report: [String] = []
        var failures: [String] = []
        for result in results {
            if let detection = result.detection {
                report.append("\(result.url): \(detection.summary)")
                for preset in detection.presets where !found.contains(preset) { found.append(preset) }
            } else {
                let why = result.error ?? "the scrape failed"
                failures.append(why)
                report.append("could not tell what \(result.url) is: \(why)")
            }
        }
        let presets = Preset.all.filter { found.contains($0) }
        return (presets.isEmpty ? [Preset.kafka] : presets, !presets.isEmpty, failures, report)
    }
}
