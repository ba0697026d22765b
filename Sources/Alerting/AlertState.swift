import ScopeCore

/// Where an alert is in Prometheus's lifecycle.
public enum AlertLifecycle: String, Sendable, Equatable, Codable {
    /// The expression stopped returning it (kept for a while so notifiers can say "resolved").
    case inactive
    /// Returned, but not yet for the rule's `for`.
    case pending
    case firing
}

/// One alert of a rule: a label set the expression returned.
public struct ActiveAlert: Sendable, Equatable {
    public var labels: Labels
    public var annotations: [String: String]
    public var state: AlertLifecycle
    public var value: Double
    public var activeAtMs: Int64
    public var firedAtMs: Int64?
    public var resolvedAtMs: Int64?
    /// Since when the expression no longer returns it while `keep_firing_for` holds it.
    public var keepFiringSinceMs: Int64?

    public static func == (a: Self, b: Self) -> Bool {
        a.labels == b.labels && a.annotations == b.annotations && a.state == b.state && a.value.bitPattern == b.value.bitPattern
            && a.activeAtMs == b.activeAtMs && a.firedAtMs == b.firedAtMs && a.resolvedAtMs == b.resolvedAtMs
            && a.keepFiringSinceMs == b.keepFiringSinceMs
    }
}

/// A change a person (or Alertmanager) should hear about.
public struct AlertTransition: Sendable, Equatable {
    public var alertName: String
    /// The new state; `inactive` means resolved.
    public var to: AlertLifecycle
    public var from: AlertLifecycle?
    public var alert: ActiveAlert
    public var atMs: Int64

    public init(alertName: String, to: AlertLifecycle, from: AlertLifecycle?, alert: ActiveAlert, atMs: Int64) {
        self.alertName = alertName
        self.to = to
        self.from = from
        self.alert = alert
        self.atMs = atMs
    }
}

/// The state of one alerting rule across evaluations: Prometheus 2.42's `AlertingRule.Eval`
/// as a value type with explicit times. Invariants: an alert is pending at most `for` before it
/// fires; an alert leaves `active` only when pending and gone, or resolved longer ago than
/// `resolvedRetentionMs`; a firing alert whose series disappears stays firing while
/// `keep_firing_for` has not run out since it disappeared.
public struct AlertRuleState: Sendable {
    public let name: String
    public let forMs: Int64
    public let keepFiringForMs: Int64
    /// How long a resolved alert is kept (and re-sent as resolved): Prometheus's 15 minutes.
    public static let resolvedRetentionMs: Int64 = 15 * 60_000
    public private(set) var active: [Labels: ActiveAlert] = [:]

    public init(name: String, forMs: Int64, keepFiringForMs: Int64) {
        self.name = name
        self.forMs = forMs
        self.keepFiringForMs = keepFiringForMs
    }

    public enum EvalError: Error, Sendable, Equatable, CustomStringConvertible {
        case duplicateLabelSet(Labels)
        case limitExceeded(limit: Int, alerts: Int)

        public var description: String {
            switch self {
            case .duplicateLabelSet(let labels):
                "vector contains metrics with the same labelset after applying alert labels: \(formatLabelSet(labels))"
            case .limitExceeded(let limit, let alerts): "exceeded limit of \(limit) with \(alerts) alerts"
            }
        }
    }

    /// Applies one evaluation at `atMs`: `results` are the alerts the expression produced (labels
    /// already include the rule's labels and `alertname`; annotations already expanded).
    /// Returns the transitions, and the active (pending or firing) alerts to write as `ALERTS`.
    public mutating func evaluate(_ results: [(labels: Labels, annotations: [String: String], value: Double)], atMs: Int64,
                                  limit: Int = 0) throws(EvalError) -> [AlertTransition] {
        var current: [Labels: ActiveAlert] = [:]
        for result in results {
            guard current[result.labels] == nil else { throw .duplicateLabelSet(result.labels) }
            current[result.labels] = ActiveAlert(labels: result.labels, annotations: result.annotations, state: .pending, value: result.value,
                                                 activeAtMs: atMs)
        }
        var transitions: [AlertTransition] = []
        for (labels, alert) in current {
            if var existing = active[labels], existing.state != .inactive {
                existing.value = alert.value
                existing.annotations = alert.annotations
                active[labels] = existing
            } else {
                let from: AlertLifecycle? = active[labels] == nil ? nil : .inactive
                active[labels] = alert
                transitions.append(AlertTransition(alertName: name, to: .pending, from: from, alert: alert, atMs: atMs))
            }
        }
        var activeCount = 0
        for labels in active.keys.sorted(by: { $0.description < $1.description }) {
            guard var alert = active[labels] else { continue }
            if current[labels] == nil {
                var keepFiring = false
                if alert.state == .firing && keepFiringForMs > 0 {
                    if alert.keepFiringSinceMs == nil { alert.keepFiringSinceMs = atMs }
                    keepFiring = atMs - alert.keepFiringSinceMs! < keepFiringForMs
                }
                if alert.state == .pending || (alert.resolvedAtMs.map { atMs - $0 > Self.resolvedRetentionMs } ?? false) {
                    active[labels] = nil
                }
                if alert.state != .inactive && !keepFiring {
                    let previous = alert.state
                    alert.state = .inactive
                    alert.resolvedAtMs = atMs
                    // A pending alert that goes away was never announced: no "resolved" for it.
                    if previous == .firing { transitions.append(AlertTransition(alertName: name, to: .inactive, from: .firing, alert: alert, atMs: atMs)) }
                }
                if active[labels] != nil { active[labels] = alert }
                if !keepFiring { continue }
            } else {
                alert.keepFiringSinceMs = nil
            }
            activeCount += 1
            if alert.state == .pending && atMs - alert.activeAtMs >= forMs {
                alert.state = .firing
                alert.firedAtMs = atMs
                transitions.append(AlertTransition(alertName: name, to: .firing, from: .pending, alert: alert, atMs: atMs))
            }
            active[labels] = alert
        }
        if limit > 0 && activeCount > limit {
            active = [:]
            throw .limitExceeded(limit: limit, alerts: activeCount)
        }
        return transitions
    }

    /// Pending and firing alerts (what `ALERTS` shows), in label order.
    public var pendingOrFiring: [ActiveAlert] {
        active.values.filter { $0.state != .inactive }.sorted { $0.labels.description < $1.labels.description }
    }

    public var firing: [ActiveAlert] { pendingOrFiring.filter { $0.state == .firing } }
}

/// `{a="1", b="2"}` as Prometheus prints a label set.
func formatLabelSet(_ labels: Labels) -> String {
    "{" + labels.pairs.map { "\($0.name)=\"\(escapeLabelValue($0.value))\"" }.joined(separator: ", ") + "}"
}
