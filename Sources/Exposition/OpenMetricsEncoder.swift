import ScopeCore

/// Encodes metric families in OpenMetrics 1.0
/// (`Content-Type: application/openmetrics-text; version=1.0.0; charset=utf-8`).
///
/// The differences from the 0.0.4 encoder: a counter family is named without `_total` and its
/// samples with it (a family named `x_total` with points `x_total`, as 0.0.4 names counters, becomes
/// `# TYPE x counter` with samples `x_total`; points named `x` become `x_total`); an info family
/// likewise drops `_info` from its name and keeps it on the samples; `# UNIT` is written when the family has a unit its name ends with (`_seconds`); HELP
/// escapes `"` as well; values always show they are floats (`1.0`, `+Inf`, `NaN`); timestamps are
/// seconds (`1700000000.123`); `untyped` is `unknown`; the output ends with `# EOF`.
///
/// Families that break OpenMetrics' rules (a negative counter, a histogram without a +Inf bucket)
/// are written as they are, and an OpenMetrics parser will reject them.
public enum OpenMetricsEncoder {
    public static let contentType = "application/openmetrics-text; version=1.0.0; charset=utf-8"

    public static func encode(_ families: [MetricFamily]) -> String {
        var out = ""
        out.reserveCapacity(families.reduce(16) { $0 + 96 + $1.points.count * 72 })
        for family in families {
            encode(family, into: &out)
        }
        out += "# EOF\n"
        return out
    }

    /// Appends one family (without the final `# EOF`).
    public static func encode(_ family: MetricFamily, into out: inout String) {
        let base = baseName(family)
        if !family.help.isEmpty {
            out += "# HELP \(base) \(escapeHelp(family.help))\n"
        }
        out += "# TYPE \(base) \(openMetricsType(family.type))\n"
        if !family.unit.isEmpty && base.hasSuffix("_" + family.unit) && family.type != .info && family.type != .stateset {
            out += "# UNIT \(base) \(family.unit)\n"
        }
        for point in family.points {
            out += sampleName(point.name, base: base, type: family.type)
            appendLabelSet(point.labels, to: &out)
            out += " "
            out += formatOpenMetricsValue(point.value)
            if let ts = point.timestampMs {
                out += " "
                out += formatOpenMetricsTimestamp(milliseconds: ts)
            }
            out += "\n"
        }
    }

    /// The name on the metadata lines. A counter family named the 0.0.4 way (`x_total`, with points
    /// named `x_total`) is `x`; likewise an info family `x_info` with points `x_info`. A family
    /// already named the OpenMetrics way (`x`, points `x_total`) keeps its name.
    static func baseName(_ family: MetricFamily) -> String {
        let suffix: String
        switch family.type {
        case .counter: suffix = "_total"
        case .info: suffix = "_info"
        default: return family.name
        }
        guard family.name.hasSuffix(suffix), family.name.utf8.count > suffix.utf8.count,
              family.points.contains(where: { $0.name == family.name })
        else { return family.name }
        return String(family.name.dropLast(suffix.count))
    }

    /// A point named like the family itself gets the suffix its type requires.
    static func sampleName(_ name: String, base: String, type: MetricType) -> String {
        switch type {
        case .counter where name == base: base + "_total"
        case .info where name == base: base + "_info"
        default: name
        }
    }

    static func openMetricsType(_ type: MetricType) -> String {
        type == .untyped ? "unknown" : type.rawValue
    }

    /// HELP escapes backslash, line feed and double quote.
    static func escapeHelp(_ help: String) -> String { escapeHelpText(help, quotes: true) }
}

/// Formats a value as OpenMetrics exposers do (Go's client): `NaN`, `+Inf`, `-Inf`; whole numbers
/// below 10^15 with `.0` (`1.0`, `-0.0`); otherwise the shortest decimal that reads back as the same
/// Double, which always has a `.` or an exponent (`0.1`, `1e+21`, `5e-324`).
public func formatOpenMetricsValue(_ value: Double) -> String {
    // The 0.0.4 spelling, with `.0` on whole numbers (NaN and the infinities have no `.0`).
    let text = formatSampleValue(value)
    return value.isFinite && value == value.rounded() && abs(value) < 1e15 ? text + ".0" : text
}

/// Milliseconds as OpenMetrics seconds, exactly: `1700000000123` → `1700000000.123`, `-1` → `-0.001`,
/// `5000` → `5.0`.
public func formatOpenMetricsTimestamp(milliseconds: Int64) -> String {
    let negative = milliseconds < 0
    let magnitude = milliseconds.magnitude
    let whole = magnitude / 1000
    var fraction = magnitude % 1000
    var digits = 3
    while digits > 1 && fraction % 10 == 0 {
        fraction /= 10
        digits -= 1
    }
    var fractionText = String(fraction)
    if fractionText.utf8.count < digits {
        fractionText = String(repeating: "0", count: digits - fractionText.utf8.count) + fractionText
    }
    return (negative ? "-" : "") + String(whole) + "." + fractionText
}
