import Foundation
import PromQL
import ScopeCore
import SeriesStore
import Testing

@testable import Alerting

@Suite struct RuleFileTests {
    func error(_ yaml: String) -> String {
        do {
            _ = try RuleFile.parse(yaml, file: "r.yml")
            return "no error"
        } catch {
            return "\(error.file ?? ""):\(error.position.line):\(error.position.column): \(error.message)"
        }
    }

    @Test func errorsNameFileLineAndColumn() {
        #expect(error("groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: 'rate(x[5m]'\n") == "r.yml:5:26: invalid PromQL: unclosed left parenthesis")
        #expect(error("groups:\n  - name: g\n    rules:\n      - alert: A\n") == "r.yml:4:9: field \"expr\" must be set in the rule")
        #expect(error("groups:\n  - name: g\n    rules:\n      - record: 'bad name'\n        expr: x\n").hasPrefix("r.yml:4:17: invalid recording rule name"))
        #expect(error("groups:\n  - name: g\n    rules:\n      - record: r\n        expr: x\n        for: 5m\n") == "r.yml:6:14: invalid field \"for\" in a recording rule")
        #expect(error("groups:\n  - name: g\n  - name: g\n") == "r.yml:3:5: group name \"g\" is repeated in the same file")
        #expect(error("groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: x\n        labels: {'bad-name': v}\n").hasPrefix("r.yml:6:18: invalid labels name"))
        #expect(error("groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: x\n        forr: 5m\n").hasPrefix("r.yml:6:9: unknown field \"forr\""))
        #expect(error("groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: 'rate(x[5m])[1m:]'\n").contains("instant vector or a scalar"))
    }

    @Test func aValidFileKeepsOrderDurationsAndTemplates() throws {
        let file = try RuleFile.parse("""
            groups:
              - name: lag
                interval: 30s
                limit: 10
                rules:
                  - record: group:lag:sum
                    expr: sum by (consumergroup) (kafka_consumergroup_lag)
                  - alert: LagHigh
                    expr: group:lag:sum > 100
                    for: 5m
                    keep_firing_for: 10m
                    labels: {severity: page}
                    annotations: {summary: 'lag {{ $value }}', runbook_url: Runbooks/LagHigh.md}
            """, file: "r.yml")
        let group = try #require(file.groups.first)
        #expect(group.intervalMs == 30_000 && group.limit == 10 && group.rules.map(\.name) == ["group:lag:sum", "LagHigh"])
        #expect(group.rules[1].forMs == 300_000 && group.rules[1].keepFiringForMs == 600_000)
        #expect(group.rules[1].annotations.map(\.name) == ["summary", "runbook_url"])
    }

    /// Recording rules feed later rules in the same evaluation; ALERTS and recorded series end
    /// with staleness markers when they disappear.
    @Test func evaluatorWritesRecordsAlertsAndStaleness() throws {
        var options = StoreOptions()
        options.retentionMs = .max / 4
        let store = SeriesStore(options: options, clock: ManualClock(startMs: 0))
        for minute in 0...10 {
            let lag: Double = minute < 5 ? 200 : 0
            _ = try store.append(["__name__": "kafka_consumergroup_lag", "consumergroup": "billing", "partition": "0"], timestampMs: Int64(minute) * 60_000, value: lag)
        }
        let file = try RuleFile.parse("""
            groups:
              - name: lag
                rules:
                  - record: group:lag:sum
                    expr: sum by (consumergroup) (kafka_consumergroup_lag) > 0
                  - alert: LagHigh
                    expr: group:lag:sum > 100
                    for: 2m
                    labels: {severity: page}
            """, file: "r.yml")
        let evaluator = RuleEvaluator(groups: file.groups, store: store)
        var transitions: [AlertTransition] = []
        for minute in 0...6 { transitions += evaluator.evaluateAll(atMs: Int64(minute) * 60_000).flatMap(\.transitions) }
        #expect(transitions.map { "\($0.to)@\($0.atMs / 60_000)" } == ["pending@0", "firing@2", "inactive@5"])
        func values(_ query: String, at ms: Int64) throws -> [String: Double] {
            guard case .vector(let samples) = try Engine().instant(query, at: ms, on: store) else { return [:] }
            return Dictionary(uniqueKeysWithValues: samples.map { (formatLabelSet($0.labels), $0.value) })
        }
        #expect(try values("ALERTS", at: 3 * 60_000) == [#"{__name__="ALERTS", alertname="LagHigh", alertstate="firing", consumergroup="billing", severity="page"}"#: 1])
        #expect(try values("ALERTS_FOR_STATE", at: 3 * 60_000).values.first == 0, "activeAt in seconds")
        #expect(try values("ALERTS", at: 5 * 60_000 + 1).isEmpty, "a resolved alert's ALERTS series is stale at once, not after 5m")
        #expect(try values("group:lag:sum", at: 4 * 60_000) == [#"{__name__="group:lag:sum", consumergroup="billing"}"#: 200])
        #expect(try values("group:lag:sum", at: 5 * 60_000 + 1).isEmpty, "the recorded series went stale when the rule stopped producing it")
    }

    /// Prometheus 2.42 writes nothing for a rule whose evaluation fails, not even staleness
    /// markers: the series it wrote last keeps its last value for the lookback.
    @Test func aFailedEvaluationWritesNoStalenessMarkers() throws {
        var options = StoreOptions()
        options.retentionMs = .max / 4
        let store = SeriesStore(options: options, clock: ManualClock(startMs: 0))
        // Two series with the same labels apart from the name: fine while only one exists, a
        // "same labelset" error once the other appears at 2m (the recorded name replaces both).
        for minute in 0...4 {
            _ = try store.append(["__name__": "a_lag", "group": "g"], timestampMs: Int64(minute) * 60_000, value: 1)
            if minute >= 2 { _ = try store.append(["__name__": "b_lag", "group": "g"], timestampMs: Int64(minute) * 60_000, value: 2) }
        }
        let file = try RuleFile.parse("""
            groups:
              - name: g
                rules:
                  - record: lag:copy
                    expr: '{__name__=~".+_lag"}'
            """, file: "r.yml")
        let evaluator = RuleEvaluator(groups: file.groups, store: store)
        #expect(evaluator.evaluateAll(atMs: 60_000).flatMap(\.errors).isEmpty)
        let failed = evaluator.evaluateAll(atMs: 120_000)
        #expect(failed.flatMap(\.errors).count == 1, "the duplicate label set is an evaluation error")
        guard case .vector(let samples) = try Engine().instant("lag:copy", at: 120_000, on: store) else { Issue.record("not a vector"); return }
        #expect(samples.map(\.value) == [1], "the series from 1m is still there at 2m: no staleness marker was written")
    }
}
