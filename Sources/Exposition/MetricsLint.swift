/// promlint's rules (client_golang's testutil/promlint, as `promtool check metrics` in Prometheus
/// 2.42 runs them) over the families `MetricsCheck` read: the same problems, worded the same,
/// sorted by metric name and then text. A rule that fires for several labels fires once for each.
public enum MetricsLint {
    public struct Problem: Sendable, Equatable, Comparable, CustomStringConvertible {
        public let metric: String
        public let text: String

        /// promtool's line: the metric name, a space, the text.
        public var description: String { "\(metric) \(text)" }

        public static func < (a: Problem, b: Problem) -> Bool { (a.metric, a.text) < (b.metric, b.text) }
    }

    public static func problems(_ families: [MetricsCheck.Family]) -> [Problem] {
        var problems: [Problem] = []
        for family in families { problems += self.problems(family) }
        // Go's sort compares strings bytewise, as Swift's < on String's UTF-8 does for these ASCII names.
        return problems.sorted()
    }

    static func problems(_ family: MetricsCheck.Family) -> [Problem] {
        var texts: [String] = []
        let name = family.name, lower = name.lowercased()
        let type = family.type ?? .untyped
        if !family.hasHelp { texts.append("no help text") }
        if let (unit, base) = unit(in: name), unit != base { texts.append("use base unit \"\(base)\" instead of \"\(unit)\"") }
        if type == .counter && !name.hasSuffix("_total") {
            texts.append("counter metrics should have \"_total\" suffix")
        } else if type != .untyped && type != .counter && name.hasSuffix("_total") {
            texts.append("non-counter metrics should not have \"_total\" suffix")
        }
        if type != .untyped {
            let histogram = type == .histogram, summary = type == .summary
            if !histogram && name.hasSuffix("_bucket") { texts.append("non-histogram metrics should not have \"_bucket\" suffix") }
            if !histogram && !summary && name.hasSuffix("_count") {
                texts.append("non-histogram and non-summary metrics should not have \"_count\" suffix")
            }
            if !histogram && !summary && name.hasSuffix("_sum") {
                texts.append("non-histogram and non-summary metrics should not have \"_sum\" suffix")
            }
            // (A histogram's own `le` and a summary's own `quantile` are not labels of its metrics.)
            texts += repeatElement("non-histogram metrics should not have \"le\" label", count: family.leLabels)
            texts += repeatElement("non-summary metrics should not have \"quantile\" label", count: family.quantileLabels)
        }
        for typeName in ["counter", "gauge", "summary", "histogram", "gauge_histogram"] where named(lower, typeName) {
            texts.append("metric name should not include type '\(typeName)'")
        }
        if name.contains(":") { texts.append("metric names should not contain ':'") }
        if Array(name.utf8).withUnsafeBufferPointer(isCamelCase) { texts.append("metric names should be written in 'snake_case' not 'camelCase'") }
        texts += repeatElement("label names should be written in 'snake_case' not 'camelCase'", count: family.camelCaseLabels)
        for abbreviation in unitAbbreviations where named(lower, abbreviation) {
            texts.append("metric names should not contain abbreviated units")
        }
        return texts.map { Problem(metric: name, text: $0) }
    }

    /// `_word_` inside the name or `_word` at its end.
    static func named(_ name: String, _ word: String) -> Bool {
        name.contains("_" + word + "_") || name.hasSuffix("_" + word)
    }

    /// The first `_`-separated part of the name that is a known unit, with or without a prefix,
    /// and its base unit. (promlint walks its units in Go's random map order, so for a name with
    /// two units promtool may name either; this takes them in the table's order.)
    static func unit(in name: String) -> (unit: String, base: String)? {
        let parts = Set(name.split(separator: "_", omittingEmptySubsequences: false).map(String.init))
        for (unit, base) in units {
            for prefix in unitPrefixes + [""] where parts.contains(prefix + unit) { return (prefix + unit, base) }
        }
        return nil
    }

    static let units: [(String, String)] = [
        ("amperes", "amperes"), ("bytes", "bytes"), ("celsius", "celsius"), ("grams", "grams"), ("joules", "joules"),
        ("kelvin", "kelvin"), ("meters", "meters"), ("metres", "metres"), ("seconds", "seconds"), ("volts", "volts"),
        ("minutes", "seconds"), ("hours", "seconds"), ("days", "seconds"), ("weeks", "seconds"),
        ("kelvins", "kelvin"), ("fahrenheit", "celsius"), ("rankine", "celsius"),
        ("inches", "meters"), ("yards", "meters"), ("miles", "meters"),
        ("bits", "bytes"), ("calories", "joules"), ("pounds", "grams"), ("ounces", "grams"),
    ]

    static let unitPrefixes = [
        "pico", "nano", "micro", "milli", "centi", "deci", "deca", "hecto", "kilo", "kibi", "mega", "mibi", "giga", "gibi", "tera",
        "tebi", "peta", "pebi",
    ]

    static let unitAbbreviations = ["s", "ms", "us", "ns", "sec", "b", "kb", "mb", "gb", "tb", "pb", "m", "h", "d"]

    /// promtool's `--extended` table: each family's series (a histogram's or summary's metrics
    /// times their buckets or quantiles plus `_sum` and `_count`), most first (ties by name, where
    /// promtool's order is random), with its share of the total.
    public static func cardinality(_ families: [MetricsCheck.Family]) -> (rows: [(name: String, series: Int)], total: Int) {
        let rows = families.map { family -> (name: String, series: Int) in
            switch family.type {
            case .histogram?, .summary?: (family.name, family.metrics * (2 + family.firstMetricParts))
            default: (family.name, family.metrics)
            }
        }.sorted { $0.series != $1.series ? $0.series > $1.series : $0.name < $1.name }
        return (rows, rows.reduce(0) { $0 + $1.series })
    }
}
