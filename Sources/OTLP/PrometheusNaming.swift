/// Metric and label names following OpenTelemetry's "Prometheus and OpenMetrics Compatibility"
/// specification (metric metadata, attribute keys), as Prometheus's own OTLP translator does it.
public enum PrometheusNaming {
    /// UCUM units to the words Prometheus suffixes use.
    static let unitWords: [String: String] = [
        "d": "days", "h": "hours", "min": "minutes", "s": "seconds", "ms": "milliseconds", "us": "microseconds",
        "ns": "nanoseconds", "By": "bytes", "KiBy": "kibibytes", "MiBy": "mebibytes", "GiBy": "gibibytes",
        "TiBy": "tibibytes", "KBy": "kilobytes", "MBy": "megabytes", "GBy": "gigabytes", "TBy": "terabytes",
        "m": "meters", "V": "volts", "A": "amperes", "J": "joules", "W": "watts", "g": "grams", "Cel": "celsius",
        "Hz": "hertz", "%": "percent",
    ]
    /// The denominator of `x/y` units (`By/s` is `bytes_per_second`).
    static let perUnitWords: [String: String] = [
        "s": "second", "m": "minute", "h": "hour", "d": "day", "w": "week", "mo": "month", "y": "year",
    ]

    /// The Prometheus unit word of an OTLP unit: `""` when it has none (`{requests}` is an
    /// annotation, `1` is dimensionless and only names gauges `_ratio`).
    public static func unitSuffix(_ unit: String, isGauge: Bool) -> String {
        var unit = unit
        // Curly-brace annotations carry no unit: `{request}`, `By{transmitted}`.
        while let open = unit.firstIndex(of: "{") {
            let close = unit[open...].firstIndex(of: "}") ?? unit.index(before: unit.endIndex)
            unit.removeSubrange(open...close)
        }
        if unit.isEmpty { return "" }
        if unit == "1" { return isGauge ? "ratio" : "" }
        let parts = unit.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let main = parts[0].isEmpty ? "" : sanitizeUnitWord(unitWords[parts[0]] ?? parts[0])
        guard parts.count == 2, !parts[1].isEmpty else { return main }
        let per = sanitizeUnitWord(perUnitWords[parts[1]] ?? unitWords[parts[1]] ?? parts[1])
        if per.isEmpty { return main }
        return main.isEmpty ? "per_\(per)" : "\(main)_per_\(per)"
    }

    private static func sanitizeUnitWord(_ word: String) -> String {
        var out = ""
        for scalar in word.unicodeScalars {
            out.unicodeScalars.append(isNameCharacter(scalar) && scalar != ":" ? scalar : "_")
        }
        return out.split(separator: "_").joined(separator: "_")
    }

    /// The Prometheus name of an OTLP metric: invalid characters become `_` (runs of them one),
    /// then the unit word unless the name already has it as a `_`-separated part, then `_total`
    /// for monotonic sums.
    public static func metricName(_ name: String, unit: String, isGauge: Bool, isCounter: Bool) -> String {
        var out = ""
        var lastWasUnderscore = false
        for scalar in name.unicodeScalars {
            if isNameCharacter(scalar) {
                out.unicodeScalars.append(scalar)
                lastWasUnderscore = scalar == "_"
            } else if !lastWasUnderscore {
                out += "_"
                lastWasUnderscore = true
            }
        }
        if out.isEmpty { out = "_" }
        if let first = out.unicodeScalars.first, ("0"..."9").contains(first) { out = "_" + out }
        var tokens = out.split(separator: "_", omittingEmptySubsequences: false).map(String.init)
        let suffix = unitSuffix(unit, isGauge: isGauge)
        if !suffix.isEmpty {
            let suffixTokens = suffix.split(separator: "_").map(String.init)
            if !containsRun(tokens, suffixTokens) {
                out += (out.hasSuffix("_") ? "" : "_") + suffix
                tokens += suffixTokens
            }
        }
        if isCounter && tokens.last != "total" { out += (out.hasSuffix("_") ? "" : "_") + "total" }
        return out
    }

    /// A label name from an attribute key: invalid characters become `_`; a leading digit gets
    /// `key_` in front, a single leading `_` gets `key` (names starting `__` are Prometheus's own).
    public static func labelName(_ key: String) -> String {
        // Most keys are valid as they are (or only have dots): avoid building a new string.
        var valid = true
        for (i, byte) in key.utf8.enumerated() {
            let letter = (byte >= 0x61 && byte <= 0x7a) || (byte >= 0x41 && byte <= 0x5a)
            let digit = byte >= 0x30 && byte <= 0x39
            if !(letter || (digit && i > 0) || (byte == 0x5f && i > 0)) { valid = false; break }
        }
        if valid { return key }
        var out = ""
        for scalar in key.unicodeScalars {
            out.unicodeScalars.append(isNameCharacter(scalar) && scalar != ":" ? scalar : "_")
        }
        guard let first = out.unicodeScalars.first else { return "" }
        if ("0"..."9").contains(first) { return "key_" + out }
        if first == "_" && !out.hasPrefix("__") { return "key" + out }
        return out
    }

    static func isNameCharacter(_ s: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(s) || ("A"..."Z").contains(s) || ("0"..."9").contains(s) || s == "_" || s == ":"
    }

    private static func containsRun(_ tokens: [String], _ run: [String]) -> Bool {
        guard !run.isEmpty, tokens.count >= run.count else { return false }
        for start in 0...(tokens.count - run.count) where Array(tokens[start..<start + run.count]) == run { return true }
        return false
    }
}
