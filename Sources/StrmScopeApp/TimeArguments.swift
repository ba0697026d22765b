import Foundation
import ScopeCore

/// Times on the command line, as Prometheus's API takes them and as operators type them:
/// `now`, `now-15m`, unix seconds (`1700000000.5`) or RFC 3339 (`2026-11-25T07:00:00Z`).
public func parseTimeArgument(_ text: String, nowMs: Int64) -> Int64? {
    if text == "now" { return nowMs }
    if text.hasPrefix("now-"), let ago = parseDurationMs(String(text.dropFirst(4))) { return nowMs - ago }
    if text.hasPrefix("now+"), let ahead = parseDurationMs(String(text.dropFirst(4))) { return nowMs + ahead }
    if let seconds = Double(text), seconds.isFinite, abs(seconds) < 1e13 { return Int64((seconds * 1000).rounded()) }
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    if let date = formatter.date(from: text) { return Int64((date.timeIntervalSince1970 * 1000).rounded()) }
    formatter.formatOptions = [.withInternetDateTime]
    if let date = formatter.date(from: text) { return Int64((date.timeIntervalSince1970 * 1000).rounded()) }
    return nil
}

/// A step or window: a duration (`15s`, `1m`) or plain seconds (`15`, `0.5`).
public func parseStepArgument(_ text: String) -> Int64? {
    if let ms = parseDurationMs(text), ms > 0 { return ms }
    if let seconds = Double(text), seconds > 0, seconds.isFinite, seconds < 1e10 { return Int64((seconds * 1000).rounded()) }
    return nil
}
