import ScopeCore

/// What one OTLP request became: Prometheus metric families (points carry their timestamps),
/// and how many OTLP data points were accepted or rejected, with why.
public struct OTLPConversion: Sendable {
    public var families: [MetricFamily] = []
    /// OTLP data points turned into samples (a histogram point is one, however many buckets).
    public var acceptedPoints = 0
    /// OTLP data points that could not be mapped; each is counted under a reason.
    public var rejectedPoints = 0
    /// Rejections by reason (`exponential_histogram`, `no_value`, …), the labels of the
    /// dropped-points metric.
    public var rejectedByReason: [String: Int] = [:]
    /// One message per reason with the first metric it hit: the partial-success error message.
    public var messages: [String] = []
    /// The same messages by reason.
    public var messageByReason: [String: String] = [:]

    public init() {}

    mutating func reject(_ reason: String, _ count: Int, metric: String, detail: String) {
        guard count > 0 else { return }
        rejectedPoints += count
        if rejectedByReason[reason] == nil {
            messages.append("\(metric): \(detail)")
            messageByReason[reason] = messages.last
        }
        rejectedByReason[reason, default: 0] += count
    }
}

/// OTLP metrics → Prometheus series, following OpenTelemetry's "Prometheus and OpenMetrics
/// Compatibility" specification:
/// - names: sanitized, unit word and `_total` suffixes (`PrometheusNaming`);
/// - attributes → labels (sanitized; keys that collide after sanitizing join their values with
///   `;` in key order); `service.namespace`/`service.name` → `job`, `service.instance.id` →
///   `instance`; other resource attributes → `target_info{job,instance,…} 1`;
/// - the instrumentation scope → `otel_scope_name`, `otel_scope_version`;
/// - cumulative monotonic sums → counters; non-monotonic sums and gauges → gauges; delta sums
///   and delta histograms are accumulated per stream into cumulative values;
/// - histograms → `_bucket{le}` (cumulative), `_sum`, `_count`; summaries → `{quantile}`,
///   `_sum`, `_count`;
/// - a point flagged "no recorded value" → a staleness marker;
/// - exponential histograms and points without a value are rejected with a reason.
///
/// A value type: the receiver owns one and serialises requests through it (the delta state
/// must see a stream's points in order).
public struct OTLPToPrometheus: Sendable {
    /// Delta streams are remembered up to this many; points of new streams past it are rejected
    /// (memory stays bounded whatever a sender does).
    public var maxDeltaStreams: Int
    public private(set) var deltaStreams: [StreamKey: DeltaState] = [:]

    public struct StreamKey: Hashable, Sendable {
        var name: String
        var labels: Labels
    }

    public enum DeltaState: Sendable {
        case sum(Double)
        case histogram(bounds: [Double], counts: [UInt64], sum: Double, count: UInt64)
    }

    public init(maxDeltaStreams: Int = 100_000) {
        self.maxDeltaStreams = maxDeltaStreams
    }

    public mutating func convert(_ request: ExportMetricsServiceRequest, receivedAtMs: Int64) -> OTLPConversion {
        var builder = FamilyBuilder()
        var result = OTLPConversion()
        for resourceMetrics in request.resourceMetrics {
            let resource = ResourceLabels(resourceMetrics.resource)
            if let info = resource.targetInfo {
                builder.add(name: "target_info", type: .gauge, help: "Target metadata", unit: "",
                            point: MetricPoint(name: "target_info", labels: info, value: 1, timestampMs: receivedAtMs))
            }
            for scopeMetrics in resourceMetrics.scopeMetrics {
                var base = resource.pointLabels
                if !scopeMetrics.scope.name.isEmpty { base.append(Label("otel_scope_name", scopeMetrics.scope.name)) }
                if !scopeMetrics.scope.version.isEmpty { base.append(Label("otel_scope_version", scopeMetrics.scope.version)) }
                for metric in scopeMetrics.metrics {
                    convert(metric, base: base, receivedAtMs: receivedAtMs, into: &builder, result: &result)
                }
            }
        }
        result.families = builder.families
        return result
    }

    private mutating func convert(_ metric: OTLPMetric, base: [Label], receivedAtMs: Int64,
                                  into builder: inout FamilyBuilder, result: inout OTLPConversion) {
        switch metric.data {
        case .gauge(let gauge)?:
            let name = PrometheusNaming.metricName(metric.name, unit: metric.unit, isGauge: true, isCounter: false)
            for point in gauge.dataPoints {
                guard let value = point.numberValue else {
                    result.reject("no_value", 1, metric: metric.name, detail: "a gauge point has no value")
                    continue
                }
                let labels = makeLabels(base, point.attributes)
                builder.add(name: name, type: .gauge, help: metric.description_p, unit: metric.unit,
                            point: MetricPoint(name: name, labels: labels, value: point.recorded(value),
                                               timestampMs: point.timeUnixNano.milliseconds(or: receivedAtMs)))
                result.acceptedPoints += 1
            }
        case .sum(let sum)?:
            let isCounter = sum.isMonotonic
            guard sum.aggregationTemporality != .unspecified else {
                result.reject("unspecified_temporality", sum.dataPoints.count, metric: metric.name,
                              detail: "a sum without aggregation temporality cannot be mapped")
                return
            }
            let isDelta = sum.aggregationTemporality == .delta
            let name = PrometheusNaming.metricName(metric.name, unit: metric.unit, isGauge: !isCounter, isCounter: isCounter)
            for point in sum.dataPoints {
                guard var value = point.numberValue else {
                    result.reject("no_value", 1, metric: metric.name, detail: "a sum point has no value")
                    continue
                }
                let labels = makeLabels(base, point.attributes)
                if isDelta && !point.hasNoRecordedValue {
                    let key = StreamKey(name: name, labels: labels)
                    guard let total = accumulate(key, delta: value) else {
                        result.reject("delta_stream_limit", 1, metric: metric.name,
                                      detail: "more than \(maxDeltaStreams) delta streams; new ones are dropped")
                        continue
                    }
                    value = total
                }
                builder.add(name: name, type: isCounter ? .counter : .gauge, help: metric.description_p, unit: metric.unit,
                            point: MetricPoint(name: name, labels: labels, value: point.recorded(value),
                                               timestampMs: point.timeUnixNano.milliseconds(or: receivedAtMs)))
                result.acceptedPoints += 1
            }
        case .histogram(let histogram)?:
            guard histogram.aggregationTemporality != .unspecified else {
                result.reject("unspecified_temporality", histogram.dataPoints.count, metric: metric.name,
                              detail: "a histogram without aggregation temporality cannot be mapped")
                return
            }
            let name = PrometheusNaming.metricName(metric.name, unit: metric.unit, isGauge: false, isCounter: false)
            for point in histogram.dataPoints {
                guard point.bucketCounts.isEmpty || point.bucketCounts.count == point.explicitBounds.count + 1 else {
                    result.reject("invalid_histogram", 1, metric: metric.name,
                                  detail: "\(point.bucketCounts.count) bucket counts for \(point.explicitBounds.count) bounds (want bounds + 1)")
                    continue
                }
                let labels = makeLabels(base, point.attributes)
                var counts = point.bucketCounts
                var sum = point.hasSum ? point.sum : nil
                var count = point.count
                if histogram.aggregationTemporality == .delta && !point.hasNoRecordedValue {
                    let key = StreamKey(name: name, labels: labels)
                    guard let total = accumulate(key, bounds: point.explicitBounds, counts: counts, sum: sum ?? 0, count: count) else {
                        result.reject("delta_stream_limit", 1, metric: metric.name,
                                      detail: "more than \(maxDeltaStreams) delta streams; new ones are dropped")
                        continue
                    }
                    (counts, count) = (total.counts, total.count)
                    sum = point.hasSum ? total.sum : nil
                }
                let ts = point.timeUnixNano.milliseconds(or: receivedAtMs)
                let stale = point.hasNoRecordedValue
                var cumulative: UInt64 = 0
                for (i, bound) in point.explicitBounds.enumerated() where i < counts.count {
                    cumulative &+= counts[i]
                    builder.add(name: name, type: .histogram, help: metric.description_p, unit: metric.unit,
                                point: MetricPoint(name: name + "_bucket", labels: labels.setting("le", formatBound(bound)),
                                                   value: stale ? Double.staleMarker : Double(cumulative), timestampMs: ts))
                }
                let points = [
                    MetricPoint(name: name + "_bucket", labels: labels.setting("le", "+Inf"), value: Double(count), timestampMs: ts),
                    MetricPoint(name: name + "_count", labels: labels, value: Double(count), timestampMs: ts),
                ] + (sum.map { [MetricPoint(name: name + "_sum", labels: labels, value: $0, timestampMs: ts)] } ?? [])
                for var p in points {
                    if stale { p.value = Double.staleMarker }
                    builder.add(name: name, type: .histogram, help: metric.description_p, unit: metric.unit, point: p)
                }
                result.acceptedPoints += 1
            }
        case .summary(let summary)?:
            let name = PrometheusNaming.metricName(metric.name, unit: metric.unit, isGauge: false, isCounter: false)
            for point in summary.dataPoints {
                let labels = makeLabels(base, point.attributes)
                let ts = point.timeUnixNano.milliseconds(or: receivedAtMs)
                let stale = point.flags & 1 == 1
                var points = point.quantileValues.map {
                    MetricPoint(name: name, labels: labels.setting("quantile", formatBound($0.quantile)), value: $0.value, timestampMs: ts)
                }
                points.append(MetricPoint(name: name + "_sum", labels: labels, value: point.sum, timestampMs: ts))
                points.append(MetricPoint(name: name + "_count", labels: labels, value: Double(point.count), timestampMs: ts))
                for var p in points {
                    if stale { p.value = Double.staleMarker }
                    builder.add(name: name, type: .summary, help: metric.description_p, unit: metric.unit, point: p)
                }
                result.acceptedPoints += 1
            }
        case .exponentialHistogram(let histogram)?:
            result.reject("exponential_histogram", histogram.dataPoints.count, metric: metric.name,
                          detail: "exponential histograms are not supported yet")
        case nil:
            result.reject("no_data", 1, metric: metric.name, detail: "the metric has no data")
        }
    }

    /// Adds a delta to its stream's running total; nil when the stream is new and the limit is reached.
    private mutating func accumulate(_ key: StreamKey, delta: Double) -> Double? {
        if case .sum(let total)? = deltaStreams[key] {
            deltaStreams[key] = .sum(total + delta)
            return total + delta
        }
        guard deltaStreams.count < maxDeltaStreams else { return nil }
        deltaStreams[key] = .sum(delta)
        return delta
    }

    private mutating func accumulate(_ key: StreamKey, bounds: [Double], counts: [UInt64], sum: Double, count: UInt64)
        -> (counts: [UInt64], sum: Double, count: UInt64)?
    {
        if case .histogram(let oldBounds, var oldCounts, let oldSum, let oldCount)? = deltaStreams[key],
            oldBounds == bounds, oldCounts.count == counts.count
        {
            for i in oldCounts.indices { oldCounts[i] &+= counts[i] }
            let total = (oldCounts, oldSum + sum, oldCount &+ count)
            deltaStreams[key] = .histogram(bounds: bounds, counts: total.0, sum: total.1, count: total.2)
            return total
        }
        // New stream, or its buckets changed: a changed layout starts a new cumulative series.
        guard deltaStreams[key] != nil || deltaStreams.count < maxDeltaStreams else { return nil }
        deltaStreams[key] = .histogram(bounds: bounds, counts: counts, sum: sum, count: count)
        return (counts, sum, count)
    }

    private func makeLabels(_ base: [Label], _ attributes: [OTLPKeyValue]) -> Labels {
        if attributes.isEmpty { return Labels(base) }
        var pairs = attributeLabels(attributes)
        // The resource's job/instance and the scope's labels win over attributes of the same name.
        let reserved = Set(base.map(\.name))
        pairs.removeAll { reserved.contains($0.name) }
        return Labels(pairs + base)
    }
}

/// Attributes as labels, sanitized; keys that sanitize to the same name join their values with
/// `;`, ordered by the original key (the specification's collision rule).
func attributeLabels(_ attributes: [OTLPKeyValue]) -> [Label] {
    var pairs: [Label] = []
    pairs.reserveCapacity(attributes.count)
    var collided = false
    for attribute in attributes {
        let name = PrometheusNaming.labelName(attribute.key)
        guard !name.isEmpty else { continue }
        if !collided && pairs.contains(where: { $0.name == name }) { collided = true }
        pairs.append(Label(name, attribute.value.labelValue))
    }
    guard collided else { return pairs }
    let ordered = attributes.sorted { $0.key < $1.key }
    var joined: [String: [String]] = [:]
    var order: [String] = []
    for attribute in ordered {
        let name = PrometheusNaming.labelName(attribute.key)
        guard !name.isEmpty else { continue }
        if joined[name] == nil { order.append(name) }
        joined[name, default: []].append(attribute.value.labelValue)
    }
    return order.map { Label($0, joined[$0]!.joined(separator: ";")) }
}

/// The labels a resource gives every point (`job`, `instance`) and its `target_info` labels.
struct ResourceLabels {
    var pointLabels: [Label] = []
    var targetInfo: Labels?

    init(_ resource: OTLPResource) {
        var serviceName: String?
        var serviceNamespace: String?
        var instance: String?
        var others: [OTLPKeyValue] = []
        for attribute in resource.attributes {
            switch attribute.key {
            case "service.name": serviceName = attribute.value.labelValue
            case "service.namespace": serviceNamespace = attribute.value.labelValue
            case "service.instance.id": instance = attribute.value.labelValue
            default: others.append(attribute)
            }
        }
        if let serviceName {
            let job = serviceNamespace.map { "\($0)/\(serviceName)" } ?? serviceName
            pointLabels.append(Label("job", job))
        }
        if let instance { pointLabels.append(Label("instance", instance)) }
        if !others.isEmpty {
            let reserved = Set(pointLabels.map(\.name))
            targetInfo = Labels(attributeLabels(others).filter { !reserved.contains($0.name) } + pointLabels)
        }
    }
}

/// Families in first-seen order, each point appended to its family.
struct FamilyBuilder {
    var families: [MetricFamily] = []
    var index: [String: Int] = [:]

    mutating func add(name: String, type: MetricType, help: String, unit: String, point: MetricPoint) {
        if let i = index[name] {
            families[i].points.append(point)
        } else {
            index[name] = families.count
            families.append(MetricFamily(name: name, type: type, help: help, unit: "", points: [point]))
        }
    }
}

extension OTLPNumberDataPoint {
    var numberValue: Double? {
        switch value {
        case .asDouble(let d)?: return d
        case .asInt(let i)?: return Double(i)
        case nil: return hasNoRecordedValue ? 0 : nil
        }
    }

    /// Bit 0 of `flags`: the stream ended (the SDK dropped it): Prometheus's staleness marker.
    var hasNoRecordedValue: Bool { flags & 1 == 1 }

    func recorded(_ value: Double) -> Double { hasNoRecordedValue ? Double.staleMarker : value }
}

extension OTLPHistogramDataPoint {
    var hasNoRecordedValue: Bool { flags & 1 == 1 }
}

extension UInt64 {
    /// Nanoseconds since the epoch as milliseconds; 0 ("unset") is the time the request arrived.
    func milliseconds(or fallbackMs: Int64) -> Int64 {
        self == 0 ? fallbackMs : Int64(clamping: self / 1_000_000)
    }
}
