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
    @Test func theBuiltInFilesAreTheShippedFiles() throws {
        let folder = DashboardTests.root.appendingPathComponent("Dashboards")
        let shipped = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".yml") }.map { "Dashboards/" + $0 }
        #expect(Set(shipped) == Set(builtInDashboardFiles.keys), "Dashboards/ changed: run scripts/embed-defaults")
        for path in shipped {
            let text = try String(contentsOf: DashboardTests.root.appendingPathComponent(path), encoding: .utf8)
            #expect(text == builtInDashboardFiles[path], "\(path) changed: run scripts/embed-defaults")
        }
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

    /// No false ramp: a 30 s rate is not drawn until 30 s of data are in its window (before, it
    /// climbed from a fraction of the real rate, which reads as a ramp that never happened).
    @Test func aRateIsNotDrawnUntilItsWindowHoldsData() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("scope-ramp-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let log = try StreamLog.open(directory: directory, create: true)
        defer { try? log.close() }
        try log.createTopic("orders", config: TopicConfig(partitions: 1))
        let producer = try Producer(log: log, acks: .leader)
        let consumer = try Consumer(log: log, topics: ["orders"], group: "billing", memberId: "m1")
        defer { try? consumer.close() }
        let acquisition = try ScopeAcquisition(dashboard: try Dashboard.parse(defaultDashboardYAML, file: "built-in"), source: .log(log))
        let start: Int64 = 1_700_000_000_000
        for second in 0..<40 {
            _ = try producer.send(topic: "orders", (0..<10).map { ProducerRecord(key: "k\($0)", value: "v\(second)") })
            _ = try consumer.poll(maxRecords: 5)
            try consumer.commit()
            acquisition.tick(nowMs: start + Int64(second) * 1000)
        }
        let produced = acquisition.snapshot().histories[0][0]
        let drawn = (0..<produced.count).map { produced[$0] }.filter { !$0.value.isNaN }
        #expect(drawn.first?.timeMs == start + 30_000, "the first rate is drawn when the window is full")
        #expect(drawn.allSatisfy { abs($0.value - 10) < 0.5 }, "and every drawn value is the real rate: \(drawn.map(\.value))")
        let lag = acquisition.snapshot().histories[1][1]
        #expect(!lag[0].value.isNaN, "an instant value (lag in records) is drawn from the first tick")
    }

    /// A log with a past: the screen starts full, from the log's own history, without a ramp.
    @Test func aLogWithHistoryFillsTheScreenFromItsPast() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("scope-past-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let clock = ManualClock(startMs: 1_700_000_000_000)
        let log = try StreamLog.open(directory: directory, create: true, clock: clock)
        defer { try? log.close() }
        try log.createTopic("orders", config: TopicConfig(partitions: 2))
        for second in 0..<120 {
            _ = try log.append(TopicPartition("orders", second % 2), (0..<10).map { ProducerRecord(key: nil, value: Array("v\($0)".utf8)) })
            clock.advance(byMs: 1_000)
        }
        let acquisition = try ScopeAcquisition(dashboard: try Dashboard.parse(defaultDashboardYAML, file: "built-in"), source: .log(log))
        let now = clock.nowMs()
        acquisition.backfill(nowMs: now, windowMs: 60_000)
        acquisition.tick(nowMs: now)
        let produced = acquisition.snapshot().histories[0][0]
        #expect(produced.count == 61, "one value per second of the 60 s window, then the live tick")
        #expect(produced.first?.timeMs == now - 60_000)
        let values = (0..<produced.count).map { produced[$0].value }
        #expect(values.allSatisfy { abs($0 - 10) < 0.7 }, "10 records a second all along: \(values)")
    }

    @Test func aTraceWithSeveralSeriesShowsTheirMaximumAndNothingIsAGap() {
        #expect(ScopeAcquisition.combine([3, 7, .nan]) == 7)
        #expect(ScopeAcquisition.combine([Double]()).isNaN)
        let merged = ScopeAcquisition.combine([[(1, 1.0), (2, 5.0)], [(2, 3.0), (3, 4.0)]])
        #expect(merged.map(\.0) == [1, 2, 3] && merged.map(\.1) == [1, 5, 4])
    }
}
