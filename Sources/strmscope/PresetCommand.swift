import ArgumentParser
import Collectors
import Foundation
import ScopeCore
import StrmScopeApp

/// `--preset NAME` on scope, eval and check.
struct PresetOption: ParsableArguments {
    @Option(name: .customLong("preset"), help: ArgumentHelp(
        "The system's dashboard and alert pack: \(Preset.all.map(\.name).joined(separator: ", ")) (default: detected from a first scrape of the --scrape targets or the names a --prometheus server holds, else kafka).",
        valueName: "name"))
    var name: String?

    func validate() throws {
        if let name, Preset.named(name) == nil {
            throw ValidationError("no preset \"\(name)\"; the presets are \(Preset.all.map(\.name).joined(separator: ", "))")
        }
    }

    /// The named preset; else, on scrape targets, what one scrape of each shows (on a
    /// Prometheus server, what names it holds), said on stderr as `command: detected …`; else
    /// `kafka`, the names of strmscope's own sources.
    func presets(scrapeURLs: [String], prometheusURL: String? = nil, limits: ScrapeLimits, command: String) -> (presets: [Preset], detected: Bool) {
        if let name, let preset = Preset.named(name) { return ([preset], false) }
        let results: [PresetDetector.Result]
        if !scrapeURLs.isEmpty {
            results = PresetDetector.detect(urls: scrapeURLs, limits: limits)
        } else if let prometheusURL {
            results = [PresetDetector.detect(prometheus: prometheusURL)]
        } else {
            return ([Preset.kafka], false)
        }
        let (presets, report) = PresetDetector.choose(results)
        for line in report { writeError("strmscope \(command): detected \(line)") }
        writeError("strmscope \(command): preset \(presets.map(\.name).joined(separator: " + ")) (choose one with --preset NAME)")
        return (presets, true)
    }
}

struct PresetsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "presets",
        abstract: "List the presets (a dashboard and alert pack per system), or tell what a /metrics target is.",
        discussion: """
            A preset is one system's scope and alerts on its own metric names: kafka \
            (kafka_exporter, and strmscope's own sources), kminion, redpanda (/public_metrics), pulsar \
            and flink (Flink's Prometheus reporter). `scope` and `eval` pick one with --preset NAME; without it they scrape each \
            --scrape target once and use every preset whose metrics it serves (kafka when none).

            --detect scrapes each URL once and prints what it is. Exits 0 when every target is a \
            preset's, 1 when one is not, 2 when one cannot be scraped.

            Examples:
              strmscope presets
              strmscope presets --detect http://redpanda-0:9644/public_metrics
              strmscope scope --preset pulsar --scrape http://pulsar-broker:8080/metrics
            """)

    @Option(name: .customLong("detect"), parsing: .upToNextOption, help: ArgumentHelp(
        "Scrape these /metrics URLs once each and say which preset reads them.", valueName: "url"))
    var detectURLs: [String] = []

    @OptionGroup(title: "Scrape limits (per target)")
    var scrapeLimits: ScrapeLimitOptions

    func validate() throws {
        for url in detectURLs where !(url.hasPrefix("http://") || url.hasPrefix("https://")) {
            throw ValidationError("\"\(url)\" is not an http:// or https:// URL")
        }
    }

    func run() throws {
        let output = StandardOutput()
        defer { output.flush() }
        guard !detectURLs.isEmpty else {
            for preset in Preset.all {
                let alerts = ((try? preset.ruleGroups()) ?? []).flatMap(\.rules).filter { if case .alert = $0.kind { true } else { false } }.count
                let name = preset.name.padding(toLength: 10, withPad: " ", startingAt: 0)
                output.write("""
                    \(name)\(preset.system)
                              \(preset.dashboardFile) · \(alerts) alerts · names \(preset.familyPrefixes.map { $0 + "*" }.joined(separator: " "))

                    """)
            }
            return
        }
        var status: ExitCode = .success
        for result in PresetDetector.detect(urls: detectURLs, limits: scrapeLimits.limits) {
            if let detection = result.detection {
                output.write(sanitizeLinesForTerminal("\(result.url): \(detection.summary)") + "\n")
                if detection.matches.isEmpty && status == .success { status = ExitStatus.answeredNo }
            } else {
                output.write(sanitizeLinesForTerminal("\(result.url): the scrape failed: \(result.error ?? "")") + "\n")
                status = ExitStatus.error
            }
        }
        if status != .success { throw status }
    }
}
