import Foundation

/// The 1-2-5 sequence a bench scope steps its knobs through (…, 0.5, 1, 2, 5, 10, 20, …).
public enum OneTwoFive {
    /// The smallest 1-2-5 value at or above `value` (values ≤ 0 or not finite give 1).
    public static func ceiling(_ value: Double) -> Double {
        guard value.isFinite, value > 0 else { return 1 }
        let decade = pow(10, floor(log10(value)))
        for mantissa in [1.0, 2, 5, 10] where mantissa * decade >= value * (1 - 1e-12) { return mantissa * decade }
        return 10 * decade
    }

    /// The next value up (`steps` = 1) or down (`steps` = -1) from a 1-2-5 value.
    public static func step(_ value: Double, by steps: Int) -> Double {
        var current = ceiling(value)
        for _ in 0..<abs(steps) {
            let decade = pow(10, floor(log10(current) + 1e-9))
            let mantissa = (current / decade).rounded()
            if steps > 0 {
                current = mantissa == 1 ? 2 * decade : mantissa == 2 ? 5 * decade : 10 * decade
            } else {
                current = mantissa == 1 ? 0.5 * decade : mantissa == 2 ? decade : 2 * decade
            }
        }
        return current
    }
}

/// Numbers as a scope's readouts show them: three significant digits with an SI prefix
/// (`1.21K`, `3.4`, `450m`, `12M`), so every readout fits a narrow column.
public func formatReadout(_ value: Double) -> String {
    guard value.isFinite else { return value.isNaN ? "—" : value > 0 ? "+Inf" : "-Inf" }
    if value == 0 { return "0" }
    let magnitude = abs(value)
    let prefixes: [(Double, String)] = [(1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "K"), (1, ""), (1e-3, "m"), (1e-6, "µ")]
    let (scale, prefix) = prefixes.first { magnitude >= $0.0 * (1 - 5e-4) } ?? (1e-9, "n")
    let scaled = value / scale
    let digits = abs(scaled) >= 99.95 ? 0 : abs(scaled) >= 9.995 ? 1 : 2
    var text = String(format: "%.\(digits)f", scaled)
    if text.contains(".") {
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
    }
    return text + prefix
}

/// A value with its unit: `1.21K/s`, `3.4s`, `12 rec`.
public func formatReadout(_ value: Double, unit: String) -> String {
    let number = formatReadout(value)
    guard !unit.isEmpty, value.isFinite else { return number }
    return unit.first!.isLetter && unit != "s" ? "\(number) \(unit)" : number + unit
}

/// A span of time for TIME/DIV and the axis: `100ms`, `5s`, `2m`, `1m30s`, `2h`.
public func formatSpan(ms: Int64) -> String {
    let sign = ms < 0 ? "-" : ""
    let ms = abs(ms)
    if ms < 1000 { return "\(sign)\(ms)ms" }
    if ms % 1000 != 0 && ms < 60_000 { return sign + formatReadout(Double(ms) / 1000) + "s" }
    let seconds = ms / 1000
    if seconds < 60 { return "\(sign)\(seconds)s" }
    if seconds < 3600 { return sign + "\(seconds / 60)m" + (seconds % 60 == 0 ? "" : "\(seconds % 60)s") }
    return sign + "\(seconds / 3600)h" + (seconds % 3600 / 60 == 0 ? "" : "\(seconds % 3600 / 60)m")
}
