/// The metric family types of the Prometheus text format and OpenMetrics.
public enum MetricType: String, Sendable, CaseIterable {
    case counter, gauge, histogram, summary, untyped
    case info, stateset, gaugehistogram, unknown
}

/// One exposed line of a family: the full series name (a histogram's `_bucket`, `_sum` and
/// `_count` lines belong to the family named without the suffix), its labels and value.
public struct MetricPoint: Sendable, Equatable {
    public var name: String
    public var labels: Labels
    public var value: Double
    /// Milliseconds since the Unix epoch, when the source stamped the point itself.
    public var timestampMs: Int64?
    /// Set by a source that knows this series from earlier batches (the OTLP receiver's label
    /// cache): the same id, with the same name, is the same series, so a sink can keep the
    /// series' store ref under it instead of hashing labels. Not part of equality.
    public var streamID: Int?

    public init(name: String, labels: Labels = Labels(), value: Double, timestampMs: Int64? = nil, streamID: Int? = nil) {
        self.name = name
        self.labels = labels
        self.value = value
        self.timestampMs = timestampMs
        self.streamID = streamID
    }

    public static func == (lhs: MetricPoint, rhs: MetricPoint) -> Bool {
        // NaN equals NaN here: a round-trip test must see a NaN point come back as the same point.
        lhs.name == rhs.name && lhs.labels == rhs.labels && lhs.timestampMs == rhs.timestampMs
            && (lhs.value == rhs.value || (lhs.value.isNaN && rhs.value.isNaN))
    }
}

/// A named group of points with one type and help text, the unit of exposition.
public struct MetricFamily: Sendable, Equatable {
    public var name: String
    public var type: MetricType
    public var help: String
    public var unit: String
    public var points: [MetricPoint]

    public init(name: String, type: MetricType, help: String, unit: String = "", points: [MetricPoint] = []) {
        self.name = name
        self.type = type
        self.help = help
        self.unit = unit
        self.points = points
    }

    /// Appends a point named like the family itself (counters and gauges).
    public mutating func add(_ labels: Labels, _ value: Double) {
        points.append(MetricPoint(name: name, labels: labels, value: value))
    }
}

/// Cumulative histogram with fixed upper bounds, exposed as `_bucket{le}`, `_sum`, `_count`.
/// Value type: the owner serialises access (the log keeps one per topic behind its lock).
public struct Histogram: Sendable, Equatable {
    public let upperBounds: [Double]
    public private(set) var bucketCounts: [UInt64]
    public private(set) var sum: Double = 0
    public private(set) var count: UInt64 = 0

    public init(upperBounds: [Double]) {
        precondition(upperBounds == upperBounds.sorted(), "histogram bounds must ascend")
        self.upperBounds = upperBounds
        self.bucketCounts = Array(repeating: 0, count: upperBounds.count)
    }

    /// Prometheus's default latency buckets, in seconds, extended down to 50 µs for local appends.
    public static let latencySeconds: [Double] = [
        0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
    ]

    public mutating func observe(_ value: Double) {
        sum += value
        count += 1
        // First bucket whose bound holds the value; counts are made cumulative at exposition.
        if let index = upperBounds.firstIndex(where: { value <= $0 }) { bucketCounts[index] += 1 }
    }

    /// The `_bucket`, `_sum` and `_count` points of this histogram for the family `name`.
    public func points(name: String, labels: Labels) -> [MetricPoint] {
        var out: [MetricPoint] = []
        var cumulative: UInt64 = 0
        for (bound, n) in zip(upperBounds, bucketCounts) {
            cumulative += n
            out.append(MetricPoint(name: name + "_bucket", labels: labels.setting("le", formatBound(bound)), value: Double(cumulative)))
        }
        out.append(MetricPoint(name: name + "_bucket", labels: labels.setting("le", "+Inf"), value: Double(count)))
        out.append(MetricPoint(name: name + "_sum", labels: labels, value: sum))
        out.append(MetricPoint(name: name + "_count", labels: labels, value: Double(count)))
        return out
    }
}

/// Formats a bucket bound as Prometheus client libraries do (`0.005`, `1`, `2.5`, `+Inf`).
public func formatBound(_ bound: Double) -> String {
    if bound == .infinity { return "+Inf" }
    if bound == bound.rounded(), abs(bound) < 1e15 { return String(Int64(bound)) }
    return "\(bound)"
}

extension Histogram {
    /// Sum of two histograms with the same bounds (for example per-partition into per-topic).
    public func merged(with other: Histogram) -> Histogram {
        precondition(upperBounds == other.upperBounds, "only histograms with the same buckets can be merged")
        var copy = self
        for i in copy.bucketCounts.indices { copy.bucketCounts[i] += other.bucketCounts[i] }
        copy.sum += other.sum
        copy.count += other.count
        return copy
    }
}
