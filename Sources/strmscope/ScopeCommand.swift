import Alerting
import ArgumentParser
import Foundation
import ScopeCore
import StrmScopeApp

struct ScopeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scope",
        abstract: "The oscilloscope: live traces of rates, lag, DLQ depth and errors (the default command).",
        discussion: """
            Without a source it runs the demo workload in-process (topic orders, consumer group \
            billing, dead letters to orders.dlq) with faults on a schedule; keys k, s, p, b inject \
            them (kill a member, slow consumer, poison burst, producer burst). With --log, --scrape, \
            --kafka or --prometheus it shows real data: every channel is a PromQL expression. \
            --kafka reads a Kafka or Redpanda cluster itself (offsets, groups, lag, and rebalances \
            as R markers), no exporter needed.

            A preset is a system's dashboard and alert pack on its own metric names (strmscope \
            presets): kafka (kafka_exporter's names, also those of the demo, --log and --kafka), \
            kminion, redpanda, pulsar, flink. --preset NAME chooses one; without it the scope scrapes \
            each --scrape target once (or asks a --prometheus server which names it holds), \
            uses every preset whose metrics it finds (several systems share the four channels) \
            and says so in its header and on stderr.

            The alert panel lists firing and pending alerts of the built-in pack (or --rules), \
            evaluated on the same data; alert transitions are markers on the time axis. Tab selects \
            an alert and Enter opens its runbook.

            Keys: space stop/run · ←/→ scroll back (stopped) · +/- TIME/DIV · 1-4 channel · \
            ↑/↓ V/DIV (0 auto) · t trigger edge · T trigger mode (auto/normal/single) · [ ] trigger \
            level · a alerts/events · Tab/Enter runbook · ? help · q quit.

            Examples:
              strmscope
              strmscope scope --log /tmp/demo
              strmscope scope --scrape http://localhost:9308/metrics
              strmscope scope --preset redpanda --scrape http://rp-0:9644/public_metrics
              strmscope scope --kafka 10.0.0.5:9092 --kafka-config-file client.properties
              strmscope scope --prometheus http://localhost:9090 --dashboard my.yml
            """)

    @Option(help: ArgumentHelp("A dashboard YAML file (default: the preset's).", valueName: "file"))
    var dashboard: String?

    @OptionGroup var preset: PresetOption

    @Option(name: .customLong("log"), help: ArgumentHelp("Watch an embedded log directory (read-only).", valueName: "dir"))
    var logDirectory: String?

    @Option(name: .customLong("scrape"), help: ArgumentHelp("Scrape this /metrics URL every refresh (repeatable).", valueName: "url"))
    var scrapeURLs: [String] = []

    @OptionGroup(title: "Kafka cluster (read directly every refresh)")
    var kafka: KafkaSourceOptions

    @Option(name: .customLong("prometheus"), help: ArgumentHelp("Evaluate the dashboard on this Prometheus-compatible server.", valueName: "url"))
    var prometheusURL: String?

    @Option(name: .customLong("rules"), help: ArgumentHelp(
        "Prometheus rule files for the alert panel (default: the preset's alert pack and the lag SLO's rules; repeatable).",
        valueName: "file"))
    var ruleFiles: [String] = []

    @Flag(name: .customLong("no-rules"), help: "No alert rules: no alert panel, no alert markers.")
    var noRules = false

    @Option(name: .customLong("runbooks"), help: ArgumentHelp(
        "A folder runbooks are read from (repeatable; default: Runbooks). A runbook_url leading outside them is not opened.",
        valueName: "dir"))
    var runbookFolders: [String] = []

    @Option(name: .customLong("query-timeout"), help: ArgumentHelp(
        "Stop a trace's or rule's evaluation that runs longer: it shows a gap and the reason (default 2s).", valueName: "duration"))
    var queryTimeout = "2s"

    @Option(help: ArgumentHelp("Most frames per second (1-60); frames are drawn only when something changed.", valueName: "fps"))
    var refresh: Int = 10

    @Flag(help: "Draw with ASCII instead of braille and box characters (also chosen when the locale is not UTF-8).")
    var ascii = false

    @Flag(name: .customLong("no-color"), help: "No colours (also when the NO_COLOR environment variable is set).")
    var noColor = false

    @Option(help: ArgumentHelp("Demo: average records per second produced.", valueName: "n"))
    var rate: Int = 400

    @Option(help: ArgumentHelp("Demo: the fault schedule, standard or none.", valueName: "schedule"))
    var faults: String = "standard"

    @Option(name: .customLong("demo-dir"), help: ArgumentHelp("Demo: keep the demo's log in this directory (default: a temporary one).", valueName: "dir"))
    var demoDirectory: String?

    @OptionGroup(title: "OTLP receiver")
    var otlp: OTLPReceiverOptions

    @OptionGroup(title: "Scrape limits (per target)")
    var scrapeLimits: ScrapeLimitOptions

    @OptionGroup var memory: MemoryOptions

    /// For measuring what change-only drawing saves: repaint every cell every frame.
    @Flag(name: .customLong("full-repaint"), help: ArgumentHelp("Repaint the whole screen every frame (for measurements).", visibility: .hidden))
    var fullRepaint = false

    func validate() throws {
        try validateQueryTimeout(queryTimeout)
        let sources = [logDirectory != nil, !scrapeURLs.isEmpty, prometheusURL != nil, kafka.bootstrap != nil].filter { $0 }.count
        if sources > 1 { throw ValidationError("choose one source: --log, --scrape, --kafka or --prometheus") }
        if prometheusURL != nil && otlp.listen != nil {
            throw ValidationError("--otlp-listen feeds the scope's own store; with --prometheus the server's data is drawn instead")
        }
        if !(1...60).contains(refresh) { throw ValidationError("--refresh is frames per second, 1 to 60, not \(refresh)") }
        if rate < 1 || rate > 1_000_000 { throw ValidationError("--rate must be between 1 and 1000000") }
        if faults != "standard" && faults != "none" { throw ValidationError("--faults is standard or none, not \"\(faults)\"") }
        if noRules && !ruleFiles.isEmpty { throw ValidationError("--rules and --no-rules exclude each other") }
        if sources == 1 && demoDirectory != nil { throw ValidationError("--demo-dir is for the demo; with a source, drop it") }
        for url in scrapeURLs + [prometheusURL].compactMap({ $0 }) where !(url.hasPrefix("http://") || url.hasPrefix("https://")) {
            throw ValidationError("\"\(url)\" is not an http:// or https:// URL")
        }
    }

    func run() throws {
        try runReportingErrors {
            // Detection scrapes only when the preset decides something: the dashboard or the rules.
            let needsPreset = dashboard == nil || (!noRules && ruleFiles.isEmpty && prometheusURL == nil)
            let (presets, choice) = needsPreset
                ? preset.presets(scrapeURLs: scrapeURLs, prometheusURL: prometheusURL, limits: scrapeLimits.limits, command: "scope")
                : ([Preset.kafka], .given)
            let board = try dashboard.map { try Dashboard.load(file: $0) } ?? Preset.combinedDashboard(presets)
            let source: ScopeOptions.Source
            var temporary: String?
            if let logDirectory {
                source = .log(directory: logDirectory)
            } else if !scrapeURLs.isEmpty {
                source = .scrape(scrapeURLs)
            } else if let prometheusURL {
                source = .prometheus(prometheusURL)
            } else if let cluster = try kafka.options(timeoutMs: Int(max(1_000, min(10_000, 2 * board.refreshMs)))) {
                source = .kafka(cluster)
            } else {
                let directory = try demoDirectory ?? makePrivateTemporaryDirectory(prefix: "strmscope-scope")
                if demoDirectory == nil { temporary = directory }
                var demo = DemoOptions(directory: directory)
                demo.rate = rate
                source = .demo(demo, faults: faults == "none" ? .none : .standard)
            }
            defer { if let temporary { try? FileManager.default.removeItem(atPath: temporary) } }
            var options = ScopeOptions(source: source, dashboard: board)
            if !noRules {
                // Rules run on the scope's own store; a Prometheus server evaluates its own rules.
                if !ruleFiles.isEmpty {
                    options.ruleGroups = try ruleFiles.flatMap { try RuleFile.load(file: $0).groups }
                } else if prometheusURL == nil {
                    options.ruleGroups = try Preset.combinedRuleGroups(presets)
                }
            }
            if dashboard == nil {
                let names = presets.map(\.name).joined(separator: "+")
                switch choice {
                case .detected: options.badge = "preset \(names) (detected)"
                case .guessed: options.badge = "preset \(names) (not detected)"
                case .given: if preset.name != nil { options.badge = "preset \(names)" }
                }
            }
            if !runbookFolders.isEmpty { options.runbookFolders = runbookFolders }
            options.queryTimeoutMs = parseDurationMs(queryTimeout)!
            options.scrapeLimits = scrapeLimits.limits
            options.maxMemoryBytes = memory.bytes
            options.framesPerSecond = refresh
            options.ascii = ascii
            options.color = !noColor
            options.fullRepaint = fullRepaint
            if let address = otlp.address { options.otlp = OTLPListen(address: address, options: try otlp.receiverOptions()) }
            try ScopeRunner.run(options)
        }
    }
}
