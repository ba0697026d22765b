import Alerting
import ArgumentParser
import Foundation
import ScopeCore
import StrmScopeApp

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate alerting and recording rules headless: JSON lines of alert transitions, Alertmanager push.",
        discussion: """
            Rule files are Prometheus rule files; without --rules eval evaluates a preset's pack \
            (--preset NAME, or those detected on the --scrape targets or in the names a \
            --prometheus server holds; kafka, the pack of Dashboards/alerts.yml, otherwise) with \
            the lag SLO's rules. The \
            sources are read every evaluation (--log samples an embedded log, --scrape fetches \
            /metrics, --kafka reads a Kafka cluster directly, --file loads exposition files once at start, --prometheus fetches the raw series the rules read from a server, the first \
            time up to 6h back, then only what is new) and every group is evaluated at its interval (default --interval) with \
            Prometheus's semantics: pending for `for`, firing, resolved, keep_firing_for. Each \
            transition is one JSON line (alertname, state, labels, annotations, value, \
            runbook_url, active_at) on stdout or --output. --alertmanager pushes firing and \
            resolved alerts to Alertmanager's v2 API, re-sending while they fire; a slow or dead \
            Alertmanager never delays evaluation.

            --once answers "is anything firing now?" as a Prometheus that had been running \
            would: over the history the sources hold (the log's own files, a Prometheus server, \
            exposition files with timestamps) the rules are evaluated at their interval across \
            the window their `for` and `keep_firing_for` span, ending now; it prints one JSON \
            line per pending or firing alert and exits 0 when nothing fires, 1 when something \
            fires, 2 on an error (bad rule file, unreadable source), 3 when nothing fires but an \
            alert is pending only because a source without history (--scrape, --kafka, --otlp-listen) \
            could not show its `for` (its line says "for_unmet_no_history": true). With --kafka, \
            lag in seconds has a past: each group's first unconsumed record has been waiting since \
            its timestamp, which bounds the lag from below at every time since. Without it, \
            eval runs until SIGINT/SIGTERM (or --duration) and exits 0.

            Examples:
              strmscope eval --rules Dashboards/alerts.yml --log /tmp/demo
              strmscope eval --rules Dashboards/alerts.yml --once \\
                --scrape http://localhost:9308/metrics
              strmscope eval --preset pulsar --once --scrape http://pulsar:8080/metrics
              strmscope eval --rules Dashboards/alerts.yml --log /tmp/demo \\
                --alertmanager http://localhost:9093 --output alerts.jsonl
            """)

    @Option(name: .customLong("rules"), help: ArgumentHelp(
        "A Prometheus rule file (repeatable; default: the preset's alert pack and the lag SLO's rules).", valueName: "file"))
    var ruleFiles: [String] = []

    @OptionGroup var preset: PresetOption

    @Option(name: .customLong("log"), help: ArgumentHelp("An embedded log directory to read (read-only).", valueName: "dir"))
    var logDirectory: String?

    @Option(name: .customLong("scrape"), help: ArgumentHelp("A /metrics URL to scrape every evaluation (repeatable).", valueName: "url"))
    var scrapeURLs: [String] = []

    @Option(name: .customLong("file"), help: ArgumentHelp("An exposition file loaded once at start (repeatable).", valueName: "path"))
    var files: [String] = []

    @OptionGroup(title: "Kafka cluster (read directly every evaluation)")
    var kafka: KafkaSourceOptions

    @Option(name: .customLong("prometheus"), help: ArgumentHelp(
        "Read the raw series the rules need from this Prometheus-compatible server (first 6h, then incrementally).", valueName: "url"))
    var prometheusURL: String?

    @Option(help: ArgumentHelp("Evaluation interval of groups without their own (default 15s).", valueName: "duration"))
    var interval: String = "15s"

    @Flag(help: "Judge the rules now over the sources' history and exit: 0 nothing firing, 1 firing, 2 error, 3 pending for want of history.")
    var once = false

    @Option(name: .customLong("alertmanager"), help: ArgumentHelp("An Alertmanager base URL (repeatable).", valueName: "url"))
    var alertmanagerURLs: [String] = []

    @Option(help: ArgumentHelp("Append the JSON lines to this file instead of stdout.", valueName: "file"))
    var output: String?

    @Option(help: ArgumentHelp("Stop after this long.", valueName: "duration"))
    var duration: String?

    @Option(name: .customLong("query-timeout"), help: ArgumentHelp(
        "Stop a rule's evaluation that runs longer: the rule fails that round, the others go on (default 10s).", valueName: "duration"))
    var queryTimeout = "10s"

    @Option(name: .customLong("external-label"), help: ArgumentHelp("An external label NAME=VALUE for templates (repeatable).", valueName: "name=value"))
    var externalLabels: [String] = []

    @OptionGroup(title: "OTLP receiver")
    var otlp: OTLPReceiverOptions

    @OptionGroup(title: "Scrape limits (per target)")
    var scrapeLimits: ScrapeLimitOptions

    @OptionGroup var memory: MemoryOptions

    @Flag(help: ArgumentHelp("After each round, print a JSON line of evaluation timings on stderr.", visibility: .hidden))
    var stats = false

    func validate() throws {
        try validateQueryTimeout(queryTimeout)
        if logDirectory == nil && scrapeURLs.isEmpty && prometheusURL == nil && files.isEmpty && otlp.listen == nil && kafka.bootstrap == nil {
            throw ValidationError("name a source: --log DIR, --scrape URL, --kafka HOST:PORT, --prometheus URL, --file PATH or --otlp-listen HOST:PORT")
        }
        guard let ms = parseDurationMs(interval), ms >= 100 else { throw ValidationError("--interval: \"\(interval)\" is not a duration of at least 100ms") }
        if let duration, parseDurationMs(duration) == nil { throw ValidationError("--duration: \"\(duration)\" is not a duration (examples: 30s, 5m)") }
        for url in scrapeURLs + alertmanagerURLs + [prometheusURL].compactMap({ $0 }) where !(url.hasPrefix("http://") || url.hasPrefix("https://")) {
            throw ValidationError("\"\(url)\" is not an http:// or https:// URL")
        }
        for label in externalLabels where !label.contains("=") { throw ValidationError("--external-label takes NAME=VALUE, not \"\(label)\"") }
    }

    func run() throws {
        var options = EvalOptions(ruleFiles: ruleFiles)
        // --rules alone evaluates just those files; --preset adds its pack; neither: the preset
        // detected on the scrape targets (kafka for the other sources), said on stderr.
        if ruleFiles.isEmpty || preset.name != nil {
            do {
                let (chosen, choice) = preset.presets(scrapeURLs: scrapeURLs, prometheusURL: prometheusURL, limits: scrapeLimits.limits, command: "eval")
                if preset.name == nil && scrapeURLs.isEmpty && prometheusURL == nil {
                    writeError("strmscope eval: preset \(chosen.map(\.name).joined(separator: " + ")) (no --rules; choose a pack with --preset NAME)")
                }
                // A target that could not be read says nothing about its system: evaluating a
                // guessed pack for hours would page on names that were never there.
                if case .guessed(let failures) = choice, !failures.isEmpty {
                    throw CommandError("could not tell which system to evaluate; name it with --preset NAME (strmscope presets) or give --rules FILE")
                }
                options.ruleGroups = try Preset.combinedRuleGroups(chosen)
            } catch {
                writeError("strmscope: error: \(error)")
                throw ExitStatus.error
            }
        }
        options.logDirectory = logDirectory
        options.scrapeURLs = scrapeURLs
        options.prometheusURL = prometheusURL
        options.files = files
        options.intervalMs = parseDurationMs(interval)!
        options.once = once
        options.queryTimeoutMs = parseDurationMs(queryTimeout)!
        options.scrapeLimits = scrapeLimits.limits
        options.maxMemoryBytes = memory.bytes
        options.stats = stats
        options.alertmanagerURLs = alertmanagerURLs
        options.outputPath = output
        options.durationMs = duration.flatMap(parseDurationMs)
        for label in externalLabels {
            let parts = label.split(separator: "=", maxSplits: 1).map(String.init)
            options.externalLabels[parts[0]] = parts.count > 1 ? parts[1] : ""
        }
        let status: Int32
        do {
            options.kafka = try kafka.options(timeoutMs: Int(min(10_000, max(1_000, options.intervalMs))))
            if let address = otlp.address { options.otlp = OTLPListen(address: address, options: try otlp.receiverOptions()) }
            status = try EvalRunner.run(options, output: StandardOutput())
        } catch {
            writeError("strmscope: error: \(error)")
            throw ExitStatus.error
        }
        if status != 0 { throw ExitCode(status) }
    }
}
