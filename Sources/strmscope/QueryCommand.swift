import ArgumentParser
import Foundation
import ScopeCore
import Alerting
import StrmScopeApp

struct QueryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query",
        abstract: "Evaluate a PromQL expression on metrics from files, scrapes, the log, a Kafka cluster or a Prometheus server.",
        discussion: """
            The sources are loaded into a fresh in-memory store and the expression is evaluated \
            by strmscope's own engine (Prometheus 2.42 semantics): --file reads exposition files \
            with timestamps (OpenMetrics when the file ends with `# EOF`), --scrape fetches /metrics \
            URLs once, --log samples an embedded log once, --kafka reads a Kafka cluster once \
            (kafka_exporter's series: offsets, committed offsets, lag, group members and state). --prometheus instead sends the query to \
            a Prometheus-compatible server; with --backfill the server only supplies the raw \
            series the expression reads and strmscope's engine evaluates. An instant query runs at --time (default now); \
            --start, --end and --step make it a range query. Times: now, now-15m, unix seconds or \
            RFC 3339. --json prints the Prometheus HTTP API's response.

            Examples:
              strmscope query --log /tmp/l 'sum by (topic) (kafka_consumergroup_lag)'
              strmscope query --scrape http://localhost:9308/metrics 'up'
              strmscope query --kafka 10.0.0.5:9092 \\
                'sum by (consumergroup) (kafka_consumergroup_lag)'
              strmscope query --file data.om --start now-1h --end now --step 1m \\
                --json 'rate(strm_records_produced_total[5m])'
            """)

    @Argument(help: "The PromQL expression.")
    var expression: String

    @Option(name: .customLong("file"), help: ArgumentHelp("An exposition file to load (repeatable).", valueName: "path"))
    var files: [String] = []

    @Option(name: .customLong("scrape"), help: ArgumentHelp("A /metrics URL to scrape once (repeatable).", valueName: "url"))
    var scrapeURLs: [String] = []

    @Option(name: .customLong("log"), help: ArgumentHelp("An embedded log directory to sample (read-only).", valueName: "dir"))
    var logDirectory: String?

    @OptionGroup(title: "Kafka cluster (read once, directly)")
    var kafka: KafkaSourceOptions

    @Option(name: .customLong("prometheus"), help: ArgumentHelp("Evaluate on this Prometheus-compatible server instead.", valueName: "url"))
    var prometheusURL: String?

    @Flag(help: "With --prometheus: fetch the raw series and evaluate with strmscope's engine.")
    var backfill = false

    @Option(help: "Instant query time (default now).")
    var time: String?

    @Option(help: "Range query start.")
    var start: String?

    @Option(help: "Range query end.")
    var end: String?

    @Option(help: "Range query step (15s, 1m, or seconds).")
    var step: String?

    @OptionGroup(title: "Scrape limits (per target)")
    var scrapeLimits: ScrapeLimitOptions

    @Flag(help: "Print the Prometheus HTTP API's JSON response.")
    var json = false

    @Option(name: .customLong("query-timeout"), help: ArgumentHelp("Stop an evaluation that runs longer (default 30s).", valueName: "duration"))
    var queryTimeout = "30s"

    func validate() throws {
        try validateQueryTimeout(queryTimeout)
        if files.isEmpty && scrapeURLs.isEmpty && logDirectory == nil && prometheusURL == nil && kafka.bootstrap == nil {
            throw ValidationError("name at least one source: --file, --scrape, --log, --kafka or --prometheus")
        }
        if backfill && prometheusURL == nil { throw ValidationError("--backfill needs --prometheus URL") }
        let range = [start, end, step].compactMap { $0 }
        if !range.isEmpty && range.count != 3 { throw ValidationError("a range query needs all of --start, --end and --step") }
        if !range.isEmpty && time != nil { throw ValidationError("--time is for instant queries; use --start/--end/--step or --time") }
        let now = SystemClock().nowMs()
        for (flag, value) in [("--time", time), ("--start", start), ("--end", end)] {
            if let value, parseTimeArgument(value, nowMs: now) == nil {
                throw ValidationError("\(flag): \"\(value)\" is not a time (now, now-15m, unix seconds, or RFC 3339 like 2026-11-25T07:00:00Z)")
            }
        }
        if let step, parseStepArgument(step) == nil { throw ValidationError("--step: \"\(step)\" is not a positive duration (15s, 1m, or seconds)") }
    }

    func run() throws {
        let now = SystemClock().nowMs()
        var options = QueryOptions(expression: expression)
        options.files = files
        options.scrapeURLs = scrapeURLs
        options.logDirectory = logDirectory
        options.prometheusURL = prometheusURL
        options.kafka = try kafka.options(timeoutMs: 10_000)
        options.backfill = backfill
        options.json = json
        options.timeoutMs = parseDurationMs(queryTimeout)!
        options.scrapeLimits = scrapeLimits.limits
        options.timeMs = time.flatMap { parseTimeArgument($0, nowMs: now) }
        if let start, let end, let step, let s = parseTimeArgument(start, nowMs: now), let e = parseTimeArgument(end, nowMs: now),
            let st = parseStepArgument(step)
        {
            guard s <= e else { throw ValidationError("--start must not be after --end") }
            // Prometheus's limit: more points per series than this is almost always a mistake.
            guard (e - s) / st < 11_000 else {
                throw ValidationError("--start/--end/--step ask for \((e - s) / st + 1) points per series; 11000 is the most (use a larger --step)")
            }
            options.range = (s, e, st)
        }
        try runReportingErrors {
            try QueryRunner.run(options, output: StandardOutput())
        }
    }
}

struct TestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Run test scripts: PromQL (promqltest format) and rule unit tests (promtool format).",
        subcommands: [PromQLTests.self, RuleTests.self])

    struct RuleTests: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rules",
            abstract: "Run rule unit tests in promtool's test-file format.",
            discussion: """
                Each file names rule files (relative to itself), input series in the series \
                notation (`metric{l="v"}` with `0+10x30`), and checks which alerts fire at given \
                times (`alert_rule_test`: labels and expanded annotations) and what expressions \
                return (`promql_expr_test`). Rules are evaluated every `evaluation_interval` from \
                0, as `promtool test rules` does, and failures are printed like promtool's. Exits \
                0 when every test passes, 1 if any test fails, 2 if a file cannot be run (unreadable, \
                malformed, or its rule files do not load).

                Example:
                  strmscope test rules Tests/AlertingTests/RuleTests/*.test.yml
                """)

        @Argument(help: ArgumentHelp("Test files.", valueName: "file"))
        var files: [String]

        func run() throws {
            let output = StandardOutput()
            var passed = 0, failed = 0, errors = 0
            for file in files {
                let outcome = RuleUnitTestRunner.run(file: file)
                if outcome.couldNotRun { errors += 1 }
                // Annotations are data: control characters in them are shown escaped, line by line.
                output.write(outcome.report.split(separator: "\n", omittingEmptySubsequences: false).map { sanitizeForTerminal(String($0)) }
                    .joined(separator: "\n"))
                if outcome.passed { passed += 1 } else { failed += 1 }
            }
            output.write("\(passed) passed, \(failed) failed\n")
            output.flush()
            if errors > 0 { throw ExitStatus.error }
            if failed > 0 { throw ExitStatus.answeredNo }
        }
    }

    struct PromQLTests: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "promql",
            abstract: "Run PromQL test scripts in Prometheus's promqltest format.",
            discussion: """
                Each script loads series (`load 1m` with `metric{l="v"} 0+10x100`), evaluates \
                expressions (`eval instant at 5m …`, `eval range from 0 to 10m step 1m …`, \
                `eval_fail …`) and compares the results; `clear` starts over. Failures print \
                FILE:LINE, the query and a diff of expected and actual series. Exits 0 when every \
                evaluation passes, 1 if any fails, 2 if a script cannot be read or parsed.

                Example:
                  strmscope test promql Tests/PromQLTests/Scripts/rate.test
                """)

        @Argument(help: ArgumentHelp("Script files.", valueName: "file"))
        var files: [String]

        @Flag(name: .shortAndLong, help: "Also print the evaluations that pass.")
        var verbose = false

        func run() throws {
            try runReportingErrors {
                let output = StandardOutput()
                let summary = try PromQLScriptRunner.run(files: files, verbose: verbose, output: output)
                output.write("\(summary.passed) passed, \(summary.failed) failed\n")
                output.flush()
                if summary.failed > 0 { throw ExitStatus.answeredNo }
            }
        }
    }
}
