import Alerting
import Foundation
import PromQL
import ScopeCore
import SeriesStore
import Testing

@testable import StrmScopeApp

/// The presets against real expositions: those in ../shared/conformance/presets, and ours in
/// Captures/ (Flink 2.3.0's reporter on a real job, see Captures/flink/SOURCES.md). Every
/// dashboard and alert expression is on names those systems export, and detection tells them apart.
@Suite struct PresetTests {
    static let captures = DashboardTests.root.appendingPathComponent("../shared/conformance/presets").standardized
    static let ownCaptures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Captures")

    /// Metric names per capture file (`redpanda/umh-….prom`), as the scrape path parses them.
    static let namesByCapture: [String: Set<String>] = {
        var out: [String: Set<String>] = [:]
        for root in [captures, ownCaptures] {
            let folders = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
            for folder in folders {
                let files = (try? FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent(folder).path)) ?? []
                for file in files where file.hasSuffix(".prom") {
                    let store = SeriesStore()
                    _ = try? QueryRunner.loadFile(root.appendingPathComponent("\(folder)/\(file)").path, into: store, now: 1_700_000_000_000)
                    out["\(folder)/\(file)"] = Set(store.labelValues("__name__"))
                }
            }
        }
        return out
    }()

    /// Names documented for versions or setups no capture covers: the pulsar pack's backlog age is
    /// Pulsar 2.11+ (captures are 2.5.0); a Flink source's pendingRecords needs a Kafka source
    /// (the captured job reads a number sequence).
    static let documentedNotCaptured: Set<String> = ["pulsar_storage_backlog_age_seconds", "flink_taskmanager_job_task_operator_pendingRecords"]

    /// Series every scrape has (`up`) and strmscope's own: written by the lag estimator or by a
    /// pack's recording rules (the recorded names are added per preset).
    static let ownNames: Set<String> = ["up", "strm_consumergroup_lag_seconds"]

    static func expressions(_ preset: Preset) throws -> [(what: String, source: String)] {
        var out: [(String, String)] = []
        for channel in try preset.dashboard().channels {
            for trace in channel.traces { out.append(("\(preset.dashboardFile) \(channel.name) \(trace.label)", trace.expression)) }
        }
        // The preset's own pack; the shared SLO rules read strm_* series only.
        let pack = preset.ruleFiles.filter { $0 != "Dashboards/slo-rules.yml" }
        for file in pack {
            for group in try RuleFile.parse(builtInDashboardFiles[file]!, file: file).groups {
                for rule in group.rules { out.append(("\(file) \(group.name) \(rule.name)", rule.source)) }
            }
        }
        return out
    }

    @Test func theCapturesAreThere() {
        #expect(Self.namesByCapture.count >= 13, "expected the captures of ../shared/conformance/presets, found \(Self.namesByCapture.keys.sorted())")
        #expect(Self.namesByCapture.values.allSatisfy { !$0.isEmpty }, "every capture loads")
    }

    @Test(arguments: Preset.all)
    func everyExpressionReadsNamesTheSystemExports(preset: Preset) throws {
        let folders = ["kafka": "kafka-exporter", "kminion": "kminion", "redpanda": "redpanda", "pulsar": "pulsar", "flink": "flink"]
        let exported = Self.namesByCapture.filter { $0.key.hasPrefix(folders[preset.name]! + "/") }.values.reduce(into: Set<String>()) { $0.formUnion($1) }
        #expect(!exported.isEmpty)
        let expressions = try Self.expressions(preset)
        let recorded = Set(try preset.ruleGroups().flatMap(\.rules).compactMap { rule -> String? in
            if case .record(let name) = rule.kind { return name }
            return nil
        })
        let known = exported.union(Self.ownNames).union(recorded)
        #expect(expressions.count >= 6)
        for (what, source) in expressions {
            let names = try PromQL.parse(source).vectorSelectors.compactMap(\.name)
            #expect(!names.isEmpty, "\(what) reads no metric")
            let captured = names.filter { known.contains($0) }
            // The kafka preset also reads strm_* series of the embedded log and instrumented apps.
            let unknown = names.filter {
                !known.contains($0) && !Self.documentedNotCaptured.contains($0)
                    && !(preset.name == "kafka" && $0.hasPrefix("strm_"))
            }
            #expect(unknown.isEmpty, "\(what) reads \(unknown), which no \(preset.name) capture exports")
            // A trace on a documented name alone (Flink's Kafka-source pendingRecords) is allowed.
            #expect(!captured.isEmpty || names.allSatisfy(Self.documentedNotCaptured.contains) || preset.name == "kafka",
                    "\(what) reads only names no capture has")
        }
    }

    @Test func detectionNamesTheSystemOfEveryCapture() {
        for (capture, names) in Self.namesByCapture {
            let detection = PresetDetection(metricNames: names)
            switch capture.split(separator: "/")[0] {
            case "kafka-exporter": #expect(detection.presets.map(\.name) == ["kafka"], "\(capture)")
            case "kminion": #expect(detection.presets.map(\.name) == ["kminion"], "\(capture)")
            case "pulsar": #expect(detection.presets.map(\.name) == ["pulsar"], "\(capture)")
            case "flink": #expect(detection.presets.map(\.name) == ["flink"], "\(capture)")
            case "redpanda" where capture.contains("internal-metrics"):
                #expect(detection.presets.isEmpty, "\(capture)")
                #expect(detection.hint?.contains("/public_metrics") == true, "the internal endpoint is pointed to the public one")
            case "redpanda": #expect(detection.presets.map(\.name) == ["redpanda"], "\(capture)")
            default: Issue.record("a capture of an unknown system: \(capture)")
            }
        }
        #expect(PresetDetection(metricNames: []).hint == "the target served no samples")
        #expect(PresetDetection(metricNames: ["up", "go_goroutines"]).summary == "no preset: none of the 2 metric names is one a preset reads")
        #expect(PresetDetection(metricNames: ["debezium_metrics_MilliSecondsBehindSource"]).hint?.contains("Debezium") == true)
    }

    @Test func severalSystemsShareTheFourChannels() throws {
        let names = Self.namesByCapture["redpanda/umh-redpanda-v24.3.8-public_metrics.prom"]!
            .union(Self.namesByCapture["pulsar/netdata-standalone-v2.5.0-topics.prom"]!)
        let presets = PresetDetection(metricNames: names).presets
        #expect(presets.map(\.name) == ["redpanda", "pulsar"])
        let board = try Preset.combinedDashboard(presets)
        #expect(board.channels.count == 4)
        #expect(board.channels.map(\.name) == ["EVENTS/s", "LAG·BACKLOG", "DLQ", "ERRORS·REDELIVERY"])
        #expect(board.channels[1].traces.map(\.label) == ["redpanda seconds", "redpanda records", "pulsar records", "pulsar age"])
        #expect(board.channels[1].traces.map(\.unit) == ["s", "rec", "rec", "s"], "each trace keeps its unit")
        let groups = try Preset.combinedRuleGroups(presets).map(\.name)
        #expect(groups.filter { $0.hasPrefix("strmscope-slo") || $0.contains("slo") }.count == Set(groups.filter { $0.contains("slo") }).count,
                "the shared SLO rules once")
        #expect(groups.contains("redpanda-cluster") && groups.contains("pulsar-subscriptions"))
    }

    @Test func aNameThatIsNoPresetIsAnErrorNamingThePresets() {
        #expect(throws: PresetError.self) { try Preset.resolve("redpand") }
        #expect(Preset.named("pulsar")?.dashboardFile == "Dashboards/pulsar.yml")
        #expect(Preset.all.allSatisfy { builtInDashboardFiles[$0.dashboardFile] != nil && $0.ruleFiles.allSatisfy { builtInDashboardFiles[$0] != nil } })
    }
}

extension Preset: CustomTestStringConvertible {
    public var testDescription: String { name }
}
