import Foundation
import ScopeCore

/// What goes to Alertmanager, and when, as Prometheus decides it: a firing alert is sent when
/// it starts firing and re-sent every `resendDelayMs` while it fires, with `endsAt` far enough
/// ahead that Alertmanager keeps it alive between sends; a resolved alert is sent once more
/// with `endsAt` at the time it resolved. Pending alerts are never sent. A value type: the
/// times come in, the alerts to send come out.
public struct AlertSendPolicy: Sendable {
    public var resendDelayMs: Int64
    public var evaluationIntervalMs: Int64
    /// When each alert (rule name + labels) was last sent.
    private var lastSent: [String: Int64] = [:]

    public init(resendDelayMs: Int64 = 60_000, evaluationIntervalMs: Int64) {
        self.resendDelayMs = resendDelayMs
        self.evaluationIntervalMs = evaluationIntervalMs
    }

    /// The alerts to send after an evaluation at `atMs`, among every alert the rules hold
    /// (`allActive`: pending, firing, and resolved ones still kept).
    public mutating func due(_ alerts: [ActiveAlert], atMs: Int64) -> [AlertmanagerAlert] {
        var out: [AlertmanagerAlert] = []
        var seen = Set<String>()
        for alert in alerts where alert.state != .pending {
            let key = alert.labels.description
            seen.insert(key)
            let last = lastSent[key]
            if alert.state == .inactive {
                // Once, after it resolved.
                guard let resolved = alert.resolvedAtMs, (last ?? .min) < resolved else { continue }
                out.append(AlertmanagerAlert(alert, endsAtMs: resolved))
            } else {
                guard last == nil || atMs - last! >= resendDelayMs || (alert.firedAtMs ?? 0) > last! else { continue }
                // Valid for four sends or evaluations, as Prometheus sets it.
                out.append(AlertmanagerAlert(alert, endsAtMs: atMs + 4 * max(resendDelayMs, evaluationIntervalMs)))
            }
            lastSent[key] = atMs
        }
        lastSent = lastSent.filter { seen.contains($0.key) }
        return out
    }
}

/// One alert in Alertmanager's v2 API shape (`POST /api/v2/alerts`).
public struct AlertmanagerAlert: Sendable, Equatable {
    public var labels: [String: String]
    public var annotations: [String: String]
    public var startsAtMs: Int64
    public var endsAtMs: Int64
    public var generatorURL: String

    public init(_ alert: ActiveAlert, endsAtMs: Int64, generatorURL: String = "") {
        labels = Dictionary(uniqueKeysWithValues: alert.labels.pairs.map { ($0.name, $0.value) })
        annotations = alert.annotations
        startsAtMs = alert.activeAtMs
        self.endsAtMs = endsAtMs
        self.generatorURL = generatorURL
    }

    /// The request body for a batch.
    public static func json(_ alerts: [AlertmanagerAlert]) -> [UInt8] {
        let objects: [[String: Any]] = alerts.map { alert in
            var object: [String: Any] = [
                "labels": alert.labels, "annotations": alert.annotations,
                "startsAt": rfc3339(alert.startsAtMs), "endsAt": rfc3339(alert.endsAtMs),
            ]
            if !alert.generatorURL.isEmpty { object["generatorURL"] = alert.generatorURL }
            return object
        }
        return Array((try? JSONSerialization.data(withJSONObject: objects, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("[]".utf8))
    }
}

/// `2026-12-04T15:04:05.123Z`.
public func rfc3339(_ ms: Int64) -> String {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return formatter.string(from: Date(timeIntervalSince1970: Double(ms) / 1000))
}
