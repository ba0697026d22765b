import ScopeCore

/// Encodes metric families in the Prometheus text exposition format 0.0.4
/// (`Content-Type: text/plain; version=0.0.4; charset=utf-8`).
public enum PrometheusTextEncoder {
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    public static func encode(_ families: [MetricFamily]) -> String {
        var out = ""
        out.reserveCapacity(families.reduce(0) { $0 + 64 + $1.points.count * 64 })
        for family in families {
            encode(family, into: &out)
        }
        return out
    }

    public static func encode(_ family: MetricFamily, into out: inout String) {
        if !family.help.isEmpty {
            out += "# HELP \(family.name) \(escapeHelp(family.help))\n"
        }
        out += "# TYPE \(family.name) \(textFormatType(family.type))\n"
        for point in family.points {
            out += point.name
            appendLabelSet(point.labels, to: &out)
            out += " "
            out += formatSampleValue(point.value)
            if let ts = point.timestampMs {
                out += " \(ts)"
            }
            out += "\n"
        }
    }

    /// The 0.0.4 format knows five types; the OpenMetrics-only ones are exposed as `untyped`
    /// (what Prometheus's own text encoder does with them).
    static func textFormatType(_ type: MetricType) -> String {
        switch type {
        case .counter, .gauge, .histogram, .summary, .untyped: type.rawValue
        case .info, .stateset, .gaugehistogram, .unknown: "untyped"
        }
    }

    /// HELP text escapes only backslash and line feed in 0.0.4 (quotes stay as they are).
    static func escapeHelp(_ help: String) -> String { escapeHelpText(help, quotes: false) }
}

/// Appends `{a="1",b="2"}` (nothing for an empty set), label values escaped as both formats do.
func appendLabelSet(_ labels: Labels, to out: inout String) {
    guard !labels.isEmpty else { return }
    out += "{"
    var first = true
    for label in labels {
        if !first { out += "," }
        first = false
        out += label.name
        out += "=\""
        out += escapeLabelValue(label.value)
        out += "\""
    }
    out += "}"
}

/// Escapes HELP text: backslash and line feed, and in OpenMetrics the double quote too. Scalar by
/// scalar, not by Character: "\r\n" is one Character, and a backslash may carry a combining mark.
func escapeHelpText(_ help: String, quotes: Bool) -> String {
    guard help.utf8.contains(where: { $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "\n") || (quotes && $0 == UInt8(ascii: "\"")) }) else {
        return help
    }
    var out = ""
    out.unicodeScalars.reserveCapacity(help.unicodeScalars.count + 4)
    for scalar in help.unicodeScalars {
        switch scalar {
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\"" where quotes: out += "\\\""
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out
}

/// Formats a sample value so Go's `strconv.ParseFloat` (Prometheus) and our parser read back the
/// same float: `NaN`, `+Inf`, `-Inf`, integers without a fraction, otherwise the shortest
/// round-tripping decimal.
public func formatSampleValue(_ value: Double) -> String {
    if value.isNaN { return "NaN" }
    if value == .infinity { return "+Inf" }
    if value == -.infinity { return "-Inf" }
    if value == value.rounded(), abs(value) < 1e15 {
        // -0.0 keeps its sign so it round-trips bit for bit.
        return value == 0 && value.sign == .minus ? "-0" : String(Int64(value))
    }
    return "\(value)"
}
