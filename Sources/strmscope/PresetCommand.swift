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
        do { if let name { _ = try Preset.resolve(name) } } catch { throw ValidationError("\(error)") }
    }

    enum Choice {
        /// Named with --preset, or the default of strmscope's own sources: nothing to say.
        case given
        /// Detected on the targets.
        case detected
        /// Detection ran and found no preset's names (kafka is a guess): `failures` says which
        /// targets could not even be read.
        case guessed(failures: [String])
    }

    /// The named preset; else, on scrape targets, what one scrape of each shows (on a
    /// Prometheus server, what names it holds), said on stderr as `command: …`; else `kafka`,
    /// the names of strmscope's own sources.
    func presets(scrapeURLs: [String], prometheusURL: String? = nil, limits: ScrapeLimits, command: String) -> (presets: [Preset], choice: Choice) {
        if let name, let preset = Preset.named(name) { return ([preset], .given) }
        let results: [PresetDetector.Result]
        if !scrapeURLs.isEmpty {
            results = PresetDetector.detect(urls: scrapeURLs, limits: limits)
        } else if let prometheusURL {
            results = [PresetDetector.detect(prometheus: prometheusURL)]
        } else {
            return ([Preset.kafka], .given)
        }
        let chosen = PresetDetector.choose(results)
        for line in chosen.report { writeError("strmscope \(command): \(line)") }
        let names = chosen.presets.map(\.name).joined(separator: " + ")
        if chosen.detected {
            writeError("strmscope \(command): preset \(names) (choose one with --preset NAME)")
            return (chosen.presets, .detected)
        }
        writeError("strmscope \(command): no preset's metric names found; preset \(names) (choose one with --preset NAME)")
        return (chosen.presets, .guessed(failures: chosen.failures))
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
            --scrape target once (or ask a --prometheus server which names it holds) and use \
            every preset whose metrics they find: kafka when none, and `eval` stops with an \
            error when a target cannot be read (name the preset then).

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
