import ScopeCore

/// One line of an exposition, as the pull parser returns it.
public enum ExpositionEntry: Sendable, Equatable {
    /// `# HELP name text`, the text unescaped.
    case help(metric: String, text: String)
    /// `# TYPE name type`.
    case type(metric: String, type: MetricType)
    /// `# UNIT name unit` (OpenMetrics).
    case unit(metric: String, unit: String)
    /// A sample line.
    case sample(ExpositionSample)
    /// Any other `#` line of the 0.0.4 format (the text after `#`). OpenMetrics has no comments.
    case comment(String)
}

/// A sample line: series name, labels, value, optional timestamp and exemplar, and the family the
/// parser assigned it to (with the family's type), so a consumer can group or treat counters
/// differently without tracking metadata itself.
public struct ExpositionSample: Sendable, Equatable, CustomStringConvertible {
    /// The family the sample belongs to (`x` for `x_bucket` of histogram `x`; for OpenMetrics the
    /// name on the `# TYPE` line, so counter `x` owns `x_total`).
    public var family: String
    /// The family's type: as declared, else `untyped` (0.0.4) or `unknown` (OpenMetrics).
    public var type: MetricType
    /// The full series name as written (`x_bucket`, `x_total`, …).
    public var name: String
    /// The label pairs, sorted by name, names unique. Use `labels` for a `Labels` value.
    public var labelPairs: [Label]
    public var value: Double
    /// Milliseconds since the epoch (OpenMetrics seconds are converted), when the line has one.
    public var timestampMs: Int64?
    /// OpenMetrics exemplar (`# {trace_id="…"} 0.5 1.7e9`), on counters' `_total` and buckets.
    public var exemplar: Exemplar?

    public init(family: String, type: MetricType, name: String, labelPairs: [Label], value: Double,
                timestampMs: Int64? = nil, exemplar: Exemplar? = nil) {
        self.family = family
        self.type = type
        self.name = name
        self.labelPairs = labelPairs
        self.value = value
        self.timestampMs = timestampMs
        self.exemplar = exemplar
    }

    /// The label set (builds a `Labels`; the pairs are already sorted and unique).
    public var labels: Labels { Labels(labelPairs) }

    /// The sample as a point of the shared data model.
    public var point: MetricPoint { MetricPoint(name: name, labels: labels, value: value, timestampMs: timestampMs) }

    public static func == (a: ExpositionSample, b: ExpositionSample) -> Bool {
        a.family == b.family && a.type == b.type && a.name == b.name && a.labelPairs == b.labelPairs
            && a.timestampMs == b.timestampMs && a.exemplar == b.exemplar
            && (a.value == b.value || (a.value.isNaN && b.value.isNaN))
    }

    public var description: String {
        let labelText = labelPairs.isEmpty ? "" : "{" + labelPairs.map { "\($0.name)=\"\(escapeLabelValue($0.value))\"" }.joined(separator: ",") + "}"
        return "\(name)\(labelText) \(formatSampleValue(value))\(timestampMs.map { " @\($0)ms" } ?? "")"
    }
}

/// An OpenMetrics exemplar: a reference (usually a trace id) to one observation behind a sample.
public struct Exemplar: Sendable, Equatable {
    public var labels: Labels
    public var value: Double
    public var timestampMs: Int64?

    public init(labels: Labels, value: Double, timestampMs: Int64? = nil) {
        self.labels = labels
        self.value = value
        self.timestampMs = timestampMs
    }

    public static func == (a: Exemplar, b: Exemplar) -> Bool {
        a.labels == b.labels && a.timestampMs == b.timestampMs && (a.value == b.value || (a.value.isNaN && b.value.isNaN))
    }
}
