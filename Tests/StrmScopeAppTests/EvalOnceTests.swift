import Alerting
import Foundation
import PromQL
import ScopeCore
import StreamLog
import Testing

@testable import StrmScopeApp

/// `eval --once` answers "is it firing?" as a Prometheus that had been running would: over the
/// history the sources hold, and saying so when they hold none.
@Suite struct EvalOnceTests {
    static let rules = """
        groups:
          - name: lag
            rules:
              - alert: LagHigh
                expr: max by (consumergroup) (strm_consumergroup_lag_seconds) > 4
                for: 30s
        """

    /// A log whose group committed once at the start and then stopped, while records kept
    /// coming for `seconds`: its lag in seconds has been above 4 s for most of that time.
    func stuckGroupLog(_ dir: String, clock: ManualClock, seconds: Int) throws {
        let log = try StreamLog.open(directory: dir, create: true, clock: clock)
        try log.createTopic("orders", config: TopicConfig(partitions: 1))
        let tp = TopicPartition("orders", 0)
        _ = try log.append(tp, [ProducerRecord(key: nil, value: Array("first".utf8))])
        let consumer = try Consumer(log: log, topics: ["orders"], group: "billing", memberId: "m1")
        _ = try consumer.poll(maxRecords: 1)
        try consumer.commit()
        for _ in 0..<seconds {
            clock.advance(byMs: 1_000)
            _ = try log.append(tp, [ProducerRecord(key: nil, value: Array("more".utf8))])
        }
        try consumer.close()
        try log.close()
    }

    func run(_ options: EvalOptions, clock: ManualClock) throws -> (status: Int32, lines: [[String: Any]]) {
        let output = CollectingOutput()
        let status = try EvalRunner.run(options, output: output, clock: clock)
        let lines = output.lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        return (status, lines)
    }

    /// `eval --once --log` on `stuckGroupLog(seconds:)`, at the log's last moment.
    func onceOnStuckLog(seconds: Int, intervalMs: Int64) throws -> (status: Int32, lines: [[String: Any]], nowMs: Int64) {
        let dir = scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let clock = ManualClock(startMs: 1_700_000_000_000)
        try stuckGroupLog(dir + "/log", clock: clock, seconds: seconds)
        try Self.rules.write(toFile: dir + "/rules.yml", atomically: true, encoding: .utf8)
        var options = EvalOptions(ruleFiles: [dir + "/rules.yml"])
        options.logDirectory = dir + "/log"
        options.once = true
        options.intervalMs = intervalMs
        let (status, lines) = try run(options, clock: clock)
        return (status, lines, clock.nowMs())
    }

    @Test func aConditionThatHeldLongerThanForIsFiringFromTheLogsHistory() throws {
        let (status, lines, now) = try onceOnStuckLog(seconds: 90, intervalMs: 15_000)
        #expect(status == 1, "one evaluation alone would only reach pending: \(lines)")
        let alert = try #require(lines.first { $0["alertname"] as? String == "LagHigh" })
        #expect(alert["state"] as? String == "firing")
        #expect(alert["for_unmet_no_history"] == nil)
        // Lag passed 4 s at second 5 of the 90; the first evaluation that saw it was at or after that.
        let activeAt = try #require(alert["active_at"] as? String)
        #expect(activeAt < rfc3339(now - 30_000), "\(activeAt)")
    }

    @Test func aConditionYoungerThanForIsPendingNotFlagged() throws {
        // Lag crosses 4 s at second 5 and the log ends at second 20: 15 s above the threshold.
        let (status, lines, _) = try onceOnStuckLog(seconds: 20, intervalMs: 5_000)
        #expect(status == 0, "\(lines)")
        let alert = try #require(lines.first { $0["alertname"] as? String == "LagHigh" })
        #expect(alert["state"] as? String == "pending")
        #expect(alert["for_unmet_no_history"] == nil, "the history covers the whole `for` window: pending is the answer")
    }

    @Test func aSourceWithoutHistorySaysSoAndExits3() throws {
        let dir = scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let clock = ManualClock(startMs: 1_700_000_000_000)
        try Self.rules.write(toFile: dir + "/rules.yml", atomically: true, encoding: .utf8)
        try "strm_consumergroup_lag_seconds{consumergroup=\"billing\"} 29.7\n".write(toFile: dir + "/now.prom", atomically: true, encoding: .utf8)
        var options = EvalOptions(ruleFiles: [dir + "/rules.yml"])
        options.files = [dir + "/now.prom"]
        options.once = true
        let (status, lines) = try run(options, clock: clock)
        #expect(status == 3)
        let alert = try #require(lines.first)
        #expect(alert["state"] as? String == "pending")
        #expect(alert["for_unmet_no_history"] as? Bool == true)
    }

    @Test func aFileWithTimestampsIsHistory() throws {
        let dir = scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let clock = ManualClock(startMs: 1_700_000_000_000)
        try Self.rules.write(toFile: dir + "/rules.yml", atomically: true, encoding: .utf8)
        let now = clock.nowMs()
        let lines = stride(from: now - 120_000, through: now, by: 10_000).map {
            "strm_consumergroup_lag_seconds{consumergroup=\"billing\"} 29.7 \($0)"
        }
        try (lines.joined(separator: "\n") + "\n").write(toFile: dir + "/history.prom", atomically: true, encoding: .utf8)
        var options = EvalOptions(ruleFiles: [dir + "/rules.yml"])
        options.files = [dir + "/history.prom"]
        options.once = true
        let (status, out) = try run(options, clock: clock)
        #expect(status == 1, "\(out)")
        #expect(out.first?["state"] as? String == "firing")
    }

    @Test func evaluationsStartOnAGridEndingNowAndNotBeforeHistory() {
        #expect(EvalOnce.firstEvaluation(nowMs: 100_000, windowMs: 30_000, stepMs: 15_000, historyFromMs: .min) == (55_000, 55_000))
        #expect(EvalOnce.firstEvaluation(nowMs: 100_000, windowMs: 31_000, stepMs: 15_000, historyFromMs: .min) == (40_000, 40_000))
        #expect(EvalOnce.firstEvaluation(nowMs: 100_000, windowMs: 30_000, stepMs: 15_000, historyFromMs: 71_000) == (55_000, 85_000))
        #expect(EvalOnce.firstEvaluation(nowMs: 100_000, windowMs: 30_000, stepMs: 15_000, historyFromMs: 100_000) == (55_000, 100_000))
        #expect(EvalOnce.firstEvaluation(nowMs: 100_000, windowMs: 0, stepMs: 15_000, historyFromMs: .min) == (100_000, 100_000))
    }
}

/// Which rules may be judged over a cluster's lower-bound past of lag in seconds.
@Suite struct CoverageTests {
    func rules(_ exprs: [String]) throws -> [Rule] {
        let yaml = "groups:\n  - name: g\n    rules:\n" + exprs.enumerated().map { i, e in
            e.hasPrefix("record:") ? "      - record: r\(i)\n        expr: '\(e.dropFirst(7))'\n" : "      - alert: A\(i)\n        expr: '\(e)'\n"
        }.joined()
        return try RuleFile.parse(yaml, file: "r.yml").groups.flatMap(\.rules)
    }

    @Test func onlyARisingThresholdOnLowerBoundNamesIsJudgedOverTheirPast() throws {
        var coverage = Coverage(from: 1_000)
        coverage.lowerBounds = ["strm_consumergroup_lag_seconds": 100]
        let judged = try rules([
            "max by (consumergroup, topic) (max_over_time(strm_consumergroup_lag_seconds[1m])) > 4",
            "{__name__=\"strm_consumergroup_lag_seconds\", topic=\"orders\"} >= 30",
            "(avg(strm_consumergroup_lag_seconds)) > (4)",
        ])
        for rule in judged { #expect(coverage.dataStart(of: rule) == 100, "\(rule.source)") }
        // A lower bound cannot show these false or true: they start with the present.
        let present = try rules([
            "strm_consumergroup_lag_seconds < 1",
            "strm_consumergroup_lag_seconds > bool 4",
            "absent_over_time(strm_consumergroup_lag_seconds[5m])",
            "max(strm_consumergroup_lag_seconds) > 4 unless kafka_consumergroup_lag == 0",
            "strm_consumergroup_lag_seconds > on (consumergroup) kafka_consumergroup_lag",
            "count(strm_consumergroup_lag_seconds) > 4",
            "-strm_consumergroup_lag_seconds > -4",
            "max(kafka_consumergroup_lag) > 4",
            "record:max(strm_consumergroup_lag_seconds) > bool 30",
        ])
        for rule in present { #expect(coverage.dataStart(of: rule) == 1_000, "\(rule.source)") }
        #expect(coverage.earliest == 100)
        #expect(coverage.readsLowerBounds(judged[0]) && coverage.readsLowerBounds(present[0]) && !coverage.readsLowerBounds(present[7]))
    }
}
