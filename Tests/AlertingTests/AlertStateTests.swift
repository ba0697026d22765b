import ScopeCore
import Testing

@testable import Alerting

/// Prometheus's alert lifecycle, one evaluation at a time with explicit times (no clock).
@Suite struct AlertStateTests {
    let labels: Labels = ["alertname": "LagHigh", "consumergroup": "billing"]

    func result(_ value: Double = 42) -> [(labels: Labels, annotations: [String: String], value: Double)] {
        [(labels, ["summary": "lag \(value)"], value)]
    }

    @Test func pendingForTheForDurationThenFiring() throws {
        var state = AlertRuleState(name: "LagHigh", forMs: 60_000, keepFiringForMs: 0)
        var t = try state.evaluate(result(), atMs: 0)
        #expect(t.map(\.to) == [.pending] && state.pendingOrFiring.first?.state == .pending)
        t = try state.evaluate(result(43), atMs: 30_000)
        #expect(t.isEmpty && state.pendingOrFiring.first?.value == 43, "still pending, value and annotations updated")
        #expect(state.pendingOrFiring.first?.annotations["summary"] == "lag 43.0")
        t = try state.evaluate(result(), atMs: 60_000)
        #expect(t.map(\.to) == [.firing] && t.first?.from == .pending)
        #expect(state.firing.first?.activeAtMs == 0 && state.firing.first?.firedAtMs == 60_000)
    }

    @Test func zeroForFiresAtTheFirstEvaluation() throws {
        var state = AlertRuleState(name: "LagHigh", forMs: 0, keepFiringForMs: 0)
        let t = try state.evaluate(result(), atMs: 0)
        #expect(t.map(\.to) == [.pending, .firing])
    }

    @Test func aPendingAlertThatGoesAwayIsForgottenSilently() throws {
        var state = AlertRuleState(name: "LagHigh", forMs: 60_000, keepFiringForMs: 0)
        _ = try state.evaluate(result(), atMs: 0)
        let t = try state.evaluate([], atMs: 30_000)
        #expect(t.isEmpty && state.active.isEmpty, "no resolved notification for an alert that never fired")
        // Flapping back starts a new pending period.
        _ = try state.evaluate(result(), atMs: 45_000)
        #expect(try state.evaluate(result(), atMs: 90_000).isEmpty, "45 s pending is not 60 s")
        #expect(try state.evaluate(result(), atMs: 105_000).map(\.to) == [.firing])
    }

    @Test func aFiringAlertResolvesAndIsKeptFifteenMinutes() throws {
        var state = AlertRuleState(name: "LagHigh", forMs: 0, keepFiringForMs: 0)
        _ = try state.evaluate(result(), atMs: 0)
        let t = try state.evaluate([], atMs: 60_000)
        #expect(t.map(\.to) == [.inactive] && t.first?.alert.resolvedAtMs == 60_000)
        #expect(state.pendingOrFiring.isEmpty && state.active[labels]?.state == .inactive)
        _ = try state.evaluate([], atMs: 60_000 + AlertRuleState.resolvedRetentionMs)
        #expect(state.active[labels] != nil, "kept for exactly the retention")
        _ = try state.evaluate([], atMs: 60_001 + AlertRuleState.resolvedRetentionMs)
        #expect(state.active.isEmpty)
    }

    @Test func keepFiringForHoldsAFiringAlertThroughAGap() throws {
        var state = AlertRuleState(name: "LagHigh", forMs: 0, keepFiringForMs: 120_000)
        _ = try state.evaluate(result(), atMs: 0)
        #expect(try state.evaluate([], atMs: 60_000).isEmpty && state.firing.count == 1, "gone 0 s: still firing")
        #expect(try state.evaluate([], atMs: 120_000).isEmpty && state.firing.count == 1, "gone 60 s: still firing")
        // Back again: the keep-firing clock resets.
        _ = try state.evaluate(result(), atMs: 150_000)
        #expect(state.firing.first?.keepFiringSinceMs == nil)
        _ = try state.evaluate([], atMs: 180_000)
        #expect(try state.evaluate([], atMs: 299_000).isEmpty, "119 s after it went away")
        #expect(try state.evaluate([], atMs: 300_000).map(\.to) == [.inactive], "120 s after it went away it resolves")
    }

    @Test func duplicateLabelSetsAndLimitsAreErrors() throws {
        var state = AlertRuleState(name: "LagHigh", forMs: 0, keepFiringForMs: 0)
        #expect(throws: AlertRuleState.EvalError.duplicateLabelSet(labels)) { try state.evaluate(result() + result(), atMs: 0) }
        let many: [(labels: Labels, annotations: [String: String], value: Double)] = (0..<3).map { (["alertname": "LagHigh", "p": "\($0)"], [:], 1) }
        #expect(throws: AlertRuleState.EvalError.limitExceeded(limit: 2, alerts: 3)) { try state.evaluate(many, atMs: 0, limit: 2) }
        #expect(state.active.isEmpty, "over the limit, no alert is kept")
    }

    @Test func sendPolicyResendsWhileFiringAndSendsResolvedOnce() throws {
        var state = AlertRuleState(name: "LagHigh", forMs: 0, keepFiringForMs: 0)
        var policy = AlertSendPolicy(resendDelayMs: 60_000, evaluationIntervalMs: 15_000)
        _ = try state.evaluate(result(), atMs: 0)
        var due = policy.due(Array(state.active.values), atMs: 0)
        #expect(due.count == 1 && due[0].endsAtMs == 240_000 && due[0].startsAtMs == 0)
        _ = try state.evaluate(result(), atMs: 15_000)
        #expect(policy.due(Array(state.active.values), atMs: 15_000).isEmpty, "not re-sent before the resend delay")
        _ = try state.evaluate(result(), atMs: 60_000)
        #expect(policy.due(Array(state.active.values), atMs: 60_000).count == 1, "re-sent after a minute")
        _ = try state.evaluate([], atMs: 75_000)
        due = policy.due(Array(state.active.values), atMs: 75_000)
        #expect(due.count == 1 && due[0].endsAtMs == 75_000, "resolved: endsAt is when it resolved")
        #expect(policy.due(Array(state.active.values), atMs: 90_000).isEmpty, "resolved is sent once")
        var pending = AlertRuleState(name: "P", forMs: 60_000, keepFiringForMs: 0)
        _ = try pending.evaluate(result(), atMs: 0)
        #expect(policy.due(Array(pending.active.values), atMs: 0).isEmpty, "pending alerts are not sent")
        let body = String(decoding: AlertmanagerAlert.json(due), as: UTF8.self)
        #expect(body.contains("\"endsAt\":\"1970-01-01T00:01:15.000Z\"") && body.contains("\"alertname\":\"LagHigh\""), "\(body)")
    }
}
