import Foundation
import ScopeCore
import ScopeUI
import SeriesStore
import StreamLog
import Testing

@testable import StrmScopeApp

/// The scope's wiring without a terminal: the built-in dashboard, the dashboard → screen
/// mapping, and the acquisition on a real embedded log.
@Suite struct ScopeWiringTests {
    @Test(arguments: [("Dashboards/streaming.yml", defaultDashboardYAML), ("Dashboards/alerts.yml", defaultAlertRulesYAML),
                      ("Dashboards/slo-rules.yml", defaultSLORulesYAML)])
    func theBuiltInFilesAreTheShippedFiles(path: String, embedded: String) throws {
        let file = DashboardTests.root.appendingPathComponent(path)
        #expect(try String(contentsOf: file, encoding: .utf8) == embedded, "\(path) changed: run scripts/embed-defaults")
    }

    @Test func dashboardColoursUnitsAndTriggerReachTheScreen() throws {
        let dashboard = try Dashboard.parse(defaultDashboardYAML, file: "built-in")
        let config = ScopeConfig(dashboard, demoKeys: true)
        #expect(config.channels.map(\.color) == [.palette(10), .palette(11), .palette(13), .palette(9)])
        #expect(config.channels[1].traces.map(\.unit) == ["s", "rec"], "a trace's unit overrides its channel's")
        #expect(config.channels[1].threshold == 30)
        #expect(config.extraKeys.map(\.key) == ["k", "s", "p", "b"])
        #expect(ScopeConfig(dashboard, demoKeys: false).extraKeys.isEmpty)
        #expect(TriggerSettings(dashboard.trigger!) == TriggerSettings(channel: 1, edge: .rising, level: 5, mode: .auto))
        #expect(CellColor(dashboardColor: "#ff8800") == .rgb(255, 136, 0) && CellColor(dashboardColor: "208") == .palette(208))
    }

    @Test func theAcquisitionFillsOneHistoryPerTraceFromTheLog() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("scope-acq-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let log = try StreamLog.open(directory: directory, create: true)
        defer { try? log.close() }
        try log.createTopic("orders", config: TopicConfig(partitions: 2))
        try log.createTopic("orders.dlq", config: TopicConfig(partitions: 1))
        let producer = try Producer(log: log, acks: .leader)
        let dashboard = try Dashboard.parse(defaultDashboardYAML, file: "built-in")
        let acquisition = try ScopeAcquisition(dashboard: dashboard, source: .log(log))
        let start: Int64 = 1_700_000_000_000
        for second in 0..<40 {
            _ = try producer.send(topic: "orders", (0..<10).map { ProducerRecord(key: "k\($0)", value: "v\(second)") })
            acquisition.tick(nowMs: start + Int64(second) * 1000)
        }
        let snapshot = acquisition.snapshot()
        #expect(snapshot.version == 40 && snapshot.newestMs == start + 39_000)
        #expect(snapshot.histories.map { $0.count } == [2, 2, 1, 2])
        #expect(snapshot.histories.allSatisfy { $0.allSatisfy { $0.count == 40 } })
        // 10 records a second: the produced rate settles at 10/s once the 30 s window is full.
        let produced = snapshot.histories[0][0].last!.value
        #expect(abs(produced - 10) < 0.5, "produced \(produced)/s")
        #expect(snapshot.histories[2][0].last!.value == 0, "an empty DLQ reads 0")
        #expect(snapshot.problem == nil)
    }

    @Test func aTraceWithSeveralSeriesShowsTheirMaximumAndNothingIsAGap() {
        #expect(ScopeAcquisition.combine([3, 7, .nan]) == 7)
        #expect(ScopeAcquisition.combine([Double]()).isNaN)
        let merged = ScopeAcquisition.combine([[(1, 1.0), (2, 5.0)], [(2, 3.0), (3, 4.0)]])
        #expect(merged.map(\.0) == [1, 2, 3] && merged.map(\.1) == [1, 5, 4])
    }
}
