/// Duration units from largest to smallest, as Prometheus spells them.
private let durationUnits: [(name: String, ms: Int64)] = [
    ("y", 31_536_000_000), ("w", 604_800_000), ("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1),
]

/// Parses a Prometheus-style duration (`500ms`, `30s`, `5m`, `1h30m`, `2d`, `1w`, `1y`) into
/// milliseconds. Returns nil for anything else, so callers can name the bad flag or field.
public func parseDurationMs(_ text: String) -> Int64? {
    // Prometheus accepts a bare 0 (no unit) and nothing else without a unit.
    if text == "0" { return 0 }
    var rest = Substring(text)
    guard !rest.isEmpty else { return nil }
    var total: Int64 = 0
    var previousRank = -1
    while !rest.isEmpty {
        let digits = rest.prefix(while: { $0.isASCII && $0.isNumber })
        guard !digits.isEmpty, let number = Int64(digits) else { return nil }
        rest = rest.dropFirst(digits.count)
        // "ms" must win over "m": try the longer unit names first.
        let candidates = durationUnits.indices.sorted { durationUnits[$0].name.count > durationUnits[$1].name.count }
        guard let rank = candidates.first(where: { rest.hasPrefix(durationUnits[$0].name) }) else { return nil }
        // Units must descend (`1h30m`, not `30m1h`), as in Prometheus.
        guard rank > previousRank else { return nil }
        previousRank = rank
        rest = rest.dropFirst(durationUnits[rank].name.count)
        let (product, overflow) = number.multipliedReportingOverflow(by: durationUnits[rank].ms)
        let (sum, overflow2) = total.addingReportingOverflow(product)
        guard !overflow, !overflow2 else { return nil }
        total = sum
    }
    return total
}

/// Prints milliseconds the way `parseDurationMs` reads them back (`1h30m`, `250ms`, `0s`).
public func formatDurationMs(_ ms: Int64) -> String {
    if ms == 0 { return "0s" }
    var rest = ms.magnitude
    var out = ms < 0 ? "-" : ""
    for unit in durationUnits where rest >= UInt64(unit.ms) {
        out += "\(rest / UInt64(unit.ms))\(unit.name)"
        rest %= UInt64(unit.ms)
    }
    return out
}
