import Alerting
import ArgumentParser
import Foundation
import StrmScopeApp

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate dashboards, rule files, SLO definitions and runbooks; lint metrics expositions.",
        discussion: """
            `strmscope check [PATH...]` is `strmscope check files [PATH...]`: dashboards, rule \
            files, SLO files and runbooks. `strmscope check metrics [FILE]` lints an exposition \
            as `promtool check metrics` does.

            Exits 0 when everything is valid, 1 when problems were found, 2 when an input cannot \
            be read or parsed.

            Examples:
              strmscope check Dashboards Runbooks
              curl -s http://localhost:9464/metrics | strmscope check metrics
            """,
        subcommands: [CheckFilesCommand.self, CheckMetricsCommand.self],
        defaultSubcommand: CheckFilesCommand.self)
}

struct CheckFilesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "files",
        abstract: "Validate dashboards, rule files, SLO definitions and runbooks (the default of `check`).",
        discussion: """
            Each YAML file is recognised by its content (a dashboard has `channels`, a rule file \
            `groups`, an SLO file `slos`); directories are searched for .yml and .md files. Every \
            alert must carry `annotations.runbook_url`; a relative one must lead to a runbook with \
            the alert's name as title and the sections Meaning, Impact, Diagnosis and Mitigation. \
            Problems are printed as FILE:LINE:COLUMN. Without paths it checks Dashboards and \
            Runbooks in the working directory, or, when there are none, the dashboard, alert pack \
            and SLO rules built into strmscope.

            Exits 0 when every file is valid, 1 when problems were found, 2 when a path does not \
            exist or cannot be read.

            --preset NAME checks a preset as built into strmscope: its dashboard, alert pack \
            and SLO rules, and, when a Runbooks folder is in the working directory, that every \
            alert's runbook is there with its four sections.

            Examples:
              strmscope check Dashboards Runbooks
              strmscope check --preset redpanda
            """)

    @Argument(help: ArgumentHelp("Files or directories (default: Dashboards Runbooks, or the built-in ones).", valueName: "path"))
    var paths: [String] = []

    @Option(name: .customLong("preset"), help: ArgumentHelp(
        "Check a built-in preset's dashboard, alert pack and SLO rules (and its runbooks when Runbooks/ is here).", valueName: "name"))
    var preset: String?

    func validate() throws {
        do { if let preset { _ = try Preset.resolve(preset) } } catch { throw ValidationError("\(error)") }
        if preset != nil && !paths.isEmpty { throw ValidationError("give paths or --preset, not both") }
    }

    func run() throws {
        let report = preset.flatMap(Preset.named).map(ConfigCheck.run(preset:))
            ?? (paths.isEmpty ? ConfigCheck.runDefault() : ConfigCheck.run(paths: paths))
        let output = StandardOutput()
        for (file, what) in report.checked { output.write("checked \(file): \(what)\n") }
        for problem in report.problems { output.write(problem + "\n") }
        output.write(report.summary + "\n")
        output.flush()
        for path in report.unreadable { writeError("strmscope: error: \(path)") }
        if !report.unreadable.isEmpty { throw ExitStatus.error }
        if !report.problems.isEmpty { throw ExitStatus.answeredNo }
    }
}

struct CheckMetricsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metrics",
        abstract: "Lint a metrics exposition as `promtool check metrics` does (Prometheus 2.42).",
        discussion: """
            Reads the Prometheus text format 0.0.4 with the rules of the parser promtool uses \
            (prometheus/common's expfmt), then applies promlint's rules: HELP present, counters \
            named `_total` and nothing else, base units (`seconds`, not `milliseconds`), no type, \
            colon, camelCase or abbreviated unit in names, `_bucket`/`_count`/`_sum` and \
            `le`/`quantile` only where a histogram or summary has them. Problems are printed on \
            stdout exactly as promtool prints them (`METRIC TEXT`, sorted), a parse error as \
            NAME:LINE: MESSAGE on stderr with promtool's wording, then a summary on stderr. \
            OpenMetrics input fails where promtool's reader fails (`# EOF` without a final line \
            feed, exemplars, `_created` timestamps in seconds).

            Exits 0 when there is no problem, 1 when there are lint problems (promtool: 3), 2 \
            when the input does not parse or cannot be read (promtool: 1). The input is read \
            whole, at most 1 GiB.

            Examples:
              curl -s http://localhost:9464/metrics | strmscope check metrics
              strmscope check metrics --extended docs/examples/requests.prom
            """)

    @Argument(help: ArgumentHelp("The exposition file; - or nothing for standard input.", valueName: "file"))
    var file: String?

    @Flag(help: "With no problem found, print each metric's series count and share of the total (promtool's --extended).")
    var extended = false

    func run() throws {
        switch try MetricsCheckRunner.run(path: file, extended: extended, output: StandardOutput()) {
        case .clean: return
        case .problems: throw ExitStatus.answeredNo
        case .parseError: throw ExitStatus.error
        }
    }
}

struct SLOCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "slo",
        abstract: "Lag SLOs: compile SLO definitions into Prometheus rules.",
        subcommands: [Generate.self])

    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "generate",
            abstract: "Print the Prometheus rule file for SLO definitions (SLI records, burn rates, budget, alerts).",
            discussion: """
                An SLO says the indicator stays at or below a threshold for a share of the time \
                (e.g. consumer lag under 30 s for 99.9% of 28 days, per consumer group). The \
                output has a recording rule marking each evaluation bad or good, error ratios \
                over 5m, 30m, 1h, 2h, 6h, 1d and 3d, the burn rate and remaining error budget, and \
                two multiwindow multi-burn-rate alerts: page (14.4× over 1h and 5m, or 6× over 6h \
                and 30m) and ticket (3× over 1d and 2h, or 1× over 3d and 6h). `promtool check \
                rules` accepts the output.

                Example:
                  strmscope slo generate Dashboards/slo.yml > Dashboards/slo-rules.yml
                """)

        @Argument(help: ArgumentHelp("The SLO definition file.", valueName: "file"))
        var file: String

        func run() throws {
            try runReportingErrors {
                let slos = try SLOCompiler.load(file: file)
                let output = StandardOutput()
                output.write(SLOCompiler.ruleFile(slos))
                output.flush()
            }
        }
    }
}
