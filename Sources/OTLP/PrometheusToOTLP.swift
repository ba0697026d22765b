import ScopeCore

/// Prometheus metric families → one OTLP ExportMetricsServiceRequest, as the OpenTelemetry
/// Collector's Prometheus receiver maps them:
/// - `job`/`instance` labels become the resource's `service.name`/`service.instance.id` (one
///   ResourceMetrics per pair); the other labels become point attributes;
/// - counters → cumulative monotonic sums named without `_total`; gauges, untyped and unknown
///   → gauges; histograms → cumulative explicit-bucket histograms (bucket counts
///   de-cumulated from `le`); summaries → summaries; info and stateset series → gauges;
/// - staleness markers → points flagged "no recorded value".
public struct PrometheusToOTLP: Sendable {
    /// Resource attributes added to every resource (`--resource k=v`); `service.name` here is
    /// the default for points without a `job` label.
    public var resourceAttributes: [(key: String, value: String)]
    public var scopeName: String
    public var scopeVersion: String
    /// Start of every cumulative stream: when the exporter started (nanoseconds since the epoch).
    public var startTimeUnixNano: UInt64

    public init(resourceAttributes: [(key: String, value: String)] = [], scopeName: String = "strmscope",
                scopeVersion: String = "", startTimeUnixNano: UInt64) {
        self.resourceAttributes = resourceAttributes
        self.scopeName = scopeName
        self.scopeVersion = scopeVersion
        self.startTimeUnixNano = startTimeUnixNano
    }

    /// The request for `families` collected at `collectedAtMs` (points without their own
    /// timestamp get that one). Also returns how many OTLP data points it carries.
    public func request(_ families: [MetricFamily], collectedAtMs: Int64) -> (request: ExportMetricsServiceRequest, points: Int) {
        struct ResourceKey: Hashable { var job: String?; var instance: String? }
        var byResource: [ResourceKey: [OTLPMetric]] = [:]
        var resourceOrder: [ResourceKey] = []
        var points = 0
        for family in families {
            // Split the family's points by resource, then map each part.
            var parts: [ResourceKey: [MetricPoint]] = [:]
            var partOrder: [ResourceKey] = []
            for point in family.points {
                let key = ResourceKey(job: point.labels["job"], instance: point.labels["instance"])
                if parts[key] == nil { partOrder.append(key) }
                parts[key, default: []].append(point)
            }
            for key in partOrder {
                guard let (metric, count) = self.metric(family, points: parts[key]!, collectedAtMs: collectedAtMs) else { continue }
                if byResource[key] == nil { resourceOrder.append(key) }
                byResource[key, default: []].append(metric)
                points += count
            }
        }
        var request = ExportMetricsServiceRequest()
        for key in resourceOrder {
            var resourceMetrics = OTLPResourceMetrics()
            var attributes = resourceAttributes.filter { $0.key != "service.name" || key.job == nil }
            if let job = key.job { attributes.insert((key: "service.name", value: job), at: 0) }
            if let instance = key.instance { attributes.append((key: "service.instance.id", value: instance)) }
            if !attributes.contains(where: { $0.key == "service.name" }) { attributes.insert((key: "service.name", value: "strmscope"), at: 0) }
            resourceMetrics.resource.attributes = attributes.map { keyValue($0.key, $0.value) }
            var scopeMetrics = OTLPScopeMetrics()
            scopeMetrics.scope.name = scopeName
            scopeMetrics.scope.version = scopeVersion
            scopeMetrics.metrics = byResource[key]!
            resourceMetrics.scopeMetrics = [scopeMetrics]
            request.resourceMetrics.append(resourceMetrics)
        }
        return (request, points)
    }

    private func metric(_ family: MetricFamily, points: [MetricPoint], collectedAtMs: Int64) -> (OTLPMetric, Int)? {
        var metric = OTLPMetric()
        metric.description_p = family.help
        metric.unit = family.unit
        switch family.type {
        case .counter:
            metric.name = family.name.hasSuffix("_total") ? String(family.name.dropLast(6)) : family.name
            var sum = Opentelemetry_Proto_Metrics_V1_Sum()
            sum.aggregationTemporality = .cumulative
            sum.isMonotonic = true
            // Only the counter's own series: `_created` lines of OpenMetrics are not values.
            sum.dataPoints = points.filter { $0.name == family.name || $0.name == family.name + "_total" }
                .map { numberPoint($0, collectedAtMs: collectedAtMs, cumulative: true) }
            metric.sum = sum
            return sum.dataPoints.isEmpty ? nil : (metric, sum.dataPoints.count)
        case .histogram, .gaugehistogram:
            metric.name = family.name
            var histogram = Opentelemetry_Proto_Metrics_V1_Histogram()
            histogram.aggregationTemporality = .cumulative
            histogram.dataPoints = histogramPoints(family.name, points, collectedAtMs: collectedAtMs)
            metric.histogram = histogram
            return histogram.dataPoints.isEmpty ? nil : (metric, histogram.dataPoints.count)
        case .summary:
            metric.name = family.name
            var summary = Opentelemetry_Proto_Metrics_V1_Summary()
            summary.dataPoints = summaryPoints(family.name, points, collectedAtMs: collectedAtMs)
            metric.summary = summary
            return summary.dataPoints.isEmpty ? nil : (metric, summary.dataPoints.count)
        case .gauge, .untyped, .unknown, .info, .stateset:
            metric.name = family.name
            var gauge = Opentelemetry_Proto_Metrics_V1_Gauge()
            gauge.dataPoints = points.map { numberPoint($0, collectedAtMs: collectedAtMs, cumulative: false) }
            metric.gauge = gauge
            return gauge.dataPoints.isEmpty ? nil : (metric, gauge.dataPoints.count)
        }
    }

    private func numberPoint(_ point: MetricPoint, collectedAtMs: Int64, cumulative: Bool) -> OTLPNumberDataPoint {
        var out = OTLPNumberDataPoint()
        out.attributes = attributes(point.labels)
        out.timeUnixNano = nanoseconds(point.timestampMs ?? collectedAtMs)
        if cumulative { out.startTimeUnixNano = startTimeUnixNano }
        if point.value.isStaleMarker { out.flags = 1 } else { out.asDouble = point.value }
        return out
    }

    private func histogramPoints(_ name: String, _ points: [MetricPoint], collectedAtMs: Int64) -> [OTLPHistogramDataPoint] {
        struct Parts { var buckets: [(Double, Double)] = []; var sum: Double?; var count: Double?; var timestampMs: Int64?; var stale = false }
        var byLabels: [Labels: Parts] = [:]
        var order: [Labels] = []
        for point in points {
            let isBucket = point.name == name + "_bucket"
            let key = isBucket ? point.labels.removing("le") : point.labels
            if byLabels[key] == nil { order.append(key) }
            var parts = byLabels[key] ?? Parts()
            parts.timestampMs = parts.timestampMs ?? point.timestampMs
            if point.value.isStaleMarker { parts.stale = true }
            if isBucket, let le = point.labels["le"], let bound = Double(le) {
                parts.buckets.append((bound, point.value))
            } else if point.name == name + "_sum" {
                parts.sum = point.value
            } else if point.name == name + "_count" {
                parts.count = point.value
            }
            byLabels[key] = parts
        }
        return order.compactMap { labels -> OTLPHistogramDataPoint? in
            let parts = byLabels[labels]!
            var out = OTLPHistogramDataPoint()
            out.attributes = attributes(labels)
            out.timeUnixNano = nanoseconds(parts.timestampMs ?? collectedAtMs)
            out.startTimeUnixNano = startTimeUnixNano
            if parts.stale { out.flags = 1; return out }
            let buckets = parts.buckets.sorted { $0.0 < $1.0 }
            guard let total = parts.count ?? buckets.last?.1 else { return nil }
            out.count = UInt64(max(0, total))
            if let sum = parts.sum { out.sum = sum }
            // `le` counts are cumulative; OTLP wants each bucket's own count, +Inf last.
            var previous = 0.0
            for (bound, cumulative) in buckets where bound.isFinite {
                out.explicitBounds.append(bound)
                out.bucketCounts.append(UInt64(max(0, cumulative - previous)))
                previous = cumulative
            }
            out.bucketCounts.append(UInt64(max(0, total - previous)))
            return out
        }
    }

    private func summaryPoints(_ name: String, _ points: [MetricPoint], collectedAtMs: Int64) -> [OTLPSummaryDataPoint] {
        var byLabels: [Labels: OTLPSummaryDataPoint] = [:]
        var order: [Labels] = []
        for point in points {
            let key = point.labels.removing("quantile")
            if byLabels[key] == nil {
                order.append(key)
                var fresh = OTLPSummaryDataPoint()
                fresh.attributes = attributes(key)
                fresh.timeUnixNano = nanoseconds(point.timestampMs ?? collectedAtMs)
                fresh.startTimeUnixNano = startTimeUnixNano
                byLabels[key] = fresh
            }
            if point.value.isStaleMarker { byLabels[key]!.flags = 1; continue }
            if point.name == name, let q = point.labels["quantile"].flatMap(Double.init) {
                var quantile = Opentelemetry_Proto_Metrics_V1_SummaryDataPoint.ValueAtQuantile()
                quantile.quantile = q
                quantile.value = point.value
                byLabels[key]!.quantileValues.append(quantile)
            } else if point.name == name + "_sum" {
                byLabels[key]!.sum = point.value
            } else if point.name == name + "_count" {
                byLabels[key]!.count = UInt64(max(0, point.value))
            }
        }
        return order.map { byLabels[$0]! }
    }

    private func attributes(_ labels: Labels) -> [OTLPKeyValue] {
        labels.compactMap { $0.name == "job" || $0.name == "instance" || $0.name == "__name__" ? nil : keyValue($0.name, $0.value) }
    }

    private func nanoseconds(_ ms: Int64) -> UInt64 { UInt64(max(0, ms)) &* 1_000_000 }
}

func keyValue(_ key: String, _ value: String) -> OTLPKeyValue {
    var kv = OTLPKeyValue()
    kv.key = key
    kv.value.stringValue = value
    return kv
}
