import Foundation
import ScopeCore
import SwiftProtobuf
import Testing

@testable import OTLP

private func attribute(_ key: String, _ value: String) -> OTLPKeyValue {
    var kv = OTLPKeyValue()
    kv.key = key
    kv.value.stringValue = value
    return kv
}

/// A request with one resource (service checkout, instance pod-1, region eu) and one scope.
private func request(_ metrics: [OTLPMetric], resource: [OTLPKeyValue]? = nil) -> ExportMetricsServiceRequest {
    var scope = OTLPScopeMetrics()
    scope.scope.name = "shop"
    scope.scope.version = "1.2"
    scope.metrics = metrics
    var rm = OTLPResourceMetrics()
    rm.resource.attributes = resource ?? [attribute("service.name", "checkout"), attribute("service.instance.id", "pod-1"), attribute("cloud.region", "eu")]
    rm.scopeMetrics = [scope]
    var request = ExportMetricsServiceRequest()
    request.resourceMetrics = [rm]
    return request
}

private func sum(_ name: String, unit: String = "", monotonic: Bool = true, temporality: OTLPTemporality, _ values: [(attrs: [OTLPKeyValue], value: Double, timeMs: UInt64)]) -> OTLPMetric {
    var metric = OTLPMetric()
    metric.name = name
    metric.unit = unit
    var sum = Opentelemetry_Proto_Metrics_V1_Sum()
    sum.isMonotonic = monotonic
    sum.aggregationTemporality = temporality
    sum.dataPoints = values.map { v in
        var p = OTLPNumberDataPoint()
        p.attributes = v.attrs
        p.asDouble = v.value
        p.timeUnixNano = v.timeMs * 1_000_000
        return p
    }
    metric.sum = sum
    return metric
}

private func values(_ conversion: OTLPConversion) -> [String: Double] {
    var out: [String: Double] = [:]
    for family in conversion.families {
        for point in family.points { out["\(point.name)\(point.labels)"] = point.value }
    }
    return out
}

@Suite struct NamingTests {
    @Test(arguments: [
        ("http.server.duration", "ms", false, false, "http_server_duration_milliseconds"),
        ("requests", "{request}", false, true, "requests_total"),
        // The unit is not repeated when the name already has it as a word (Prometheus's translator).
        ("bytes.sent", "By", false, true, "bytes_sent_total"),
        ("net.io", "By", false, true, "net_io_bytes_total"),
        ("cpu.utilization", "1", true, false, "cpu_utilization_ratio"),
        ("cpu.utilization", "1", false, true, "cpu_utilization_total"),
        ("throughput", "By/s", true, false, "throughput_bytes_per_second"),
        ("request_duration_seconds", "s", false, false, "request_duration_seconds"),
        ("orders_total", "", false, true, "orders_total"),
        ("2xx.count", "", true, false, "_2xx_count"),
        ("queue..depth--x", "", true, false, "queue_depth_x"),
        ("temp", "Cel", true, false, "temp_celsius"),
    ])
    func metricNames(_ name: String, _ unit: String, _ gauge: Bool, _ counter: Bool, _ expected: String) {
        #expect(PrometheusNaming.metricName(name, unit: unit, isGauge: gauge, isCounter: counter) == expected)
    }

    @Test func labelNames() {
        #expect(PrometheusNaming.labelName("http.method") == "http_method")
        #expect(PrometheusNaming.labelName("2xx") == "key_2xx")
        #expect(PrometheusNaming.labelName("_private") == "key_private")
        #expect(PrometheusNaming.labelName("__reserved") == "__reserved")
        #expect(PrometheusNaming.labelName("a:b/c") == "a_b_c")
    }
}

@Suite struct OTLPToPrometheusTests {
    @Test func cumulativeCounterGetsResourceScopeAndTargetInfo() {
        var converter = OTLPToPrometheus()
        let req = request([sum("orders", temporality: .cumulative, [([attribute("http.method", "GET")], 42, 1_000)])])
        let result = converter.convert(req, receivedAtMs: 9_000)
        #expect(result.acceptedPoints == 1 && result.rejectedPoints == 0)
        let counter = result.families.first { $0.name == "orders_total" }
        #expect(counter?.type == .counter)
        #expect(counter?.points == [MetricPoint(
            name: "orders_total",
            labels: ["http_method": "GET", "job": "checkout", "instance": "pod-1", "otel_scope_name": "shop", "otel_scope_version": "1.2"],
            value: 42, timestampMs: 1_000)])
        let info = result.families.first { $0.name == "target_info" }
        #expect(info?.points.first?.labels == ["job": "checkout", "instance": "pod-1", "cloud_region": "eu"])
        #expect(info?.points.first?.value == 1)
    }

    @Test func serviceNamespaceIsPartOfJobAndNoTargetInfoWithoutOtherAttributes() {
        var converter = OTLPToPrometheus()
        let req = request([sum("x", temporality: .cumulative, [([], 1, 1)])],
                          resource: [attribute("service.name", "api"), attribute("service.namespace", "shop")])
        let result = converter.convert(req, receivedAtMs: 0)
        #expect(result.families.map(\.name) == ["x_total"])
        #expect(result.families[0].points[0].labels["job"] == "shop/api")
        #expect(result.families[0].points[0].labels["instance"] == nil)
    }

    @Test func deltaSumsAccumulatePerStream() {
        var converter = OTLPToPrometheus()
        let get = [attribute("method", "GET")], put = [attribute("method", "PUT")]
        _ = converter.convert(request([sum("hits", temporality: .delta, [(get, 5, 1), (put, 1, 1)])], resource: []), receivedAtMs: 0)
        let second = converter.convert(request([sum("hits", temporality: .delta, [(get, 7, 2)])], resource: []), receivedAtMs: 0)
        let v = values(second)
        #expect(v.count == 1)
        #expect(second.families[0].type == .counter)
        #expect(second.families[0].points[0].value == 12)
        let third = converter.convert(request([sum("hits", temporality: .delta, [(put, 2, 3)])], resource: []), receivedAtMs: 0)
        #expect(third.families[0].points[0].value == 3)
    }

    @Test func upDownCounterIsAGaugeWithoutTotal() {
        var converter = OTLPToPrometheus()
        let result = converter.convert(request([sum("queue.size", monotonic: false, temporality: .cumulative, [([], -3, 1)])], resource: []), receivedAtMs: 0)
        #expect(result.families[0].name == "queue_size")
        #expect(result.families[0].type == .gauge)
        #expect(result.families[0].points[0].value == -3)
    }

    @Test func histogramBecomesCumulativeBucketsSumAndCount() {
        var metric = OTLPMetric()
        metric.name = "latency"
        metric.unit = "s"
        var h = Opentelemetry_Proto_Metrics_V1_Histogram()
        h.aggregationTemporality = .delta
        var p = OTLPHistogramDataPoint()
        p.explicitBounds = [0.1, 1]
        p.bucketCounts = [2, 3, 1]
        p.count = 6
        p.sum = 4.5
        p.timeUnixNano = 5_000_000
        h.dataPoints = [p]
        metric.histogram = h
        var converter = OTLPToPrometheus()
        _ = converter.convert(request([metric]), receivedAtMs: 0)
        let result = converter.convert(request([metric]), receivedAtMs: 0)  // the same delta again: doubles
        let family = result.families.first { $0.name == "latency_seconds" }!
        #expect(family.type == .histogram)
        let byKey = Dictionary(uniqueKeysWithValues: family.points.map { ("\($0.name){\($0.labels["le"] ?? "")}", $0.value) })
        #expect(byKey == ["latency_seconds_bucket{0.1}": 4, "latency_seconds_bucket{1}": 10, "latency_seconds_bucket{+Inf}": 12,
                          "latency_seconds_count{}": 12, "latency_seconds_sum{}": 9])
        #expect(family.points.allSatisfy { $0.timestampMs == 5 })
    }

    @Test func histogramWithMismatchedBucketsIsRejectedNotGuessed() {
        var metric = OTLPMetric()
        metric.name = "bad"
        var h = Opentelemetry_Proto_Metrics_V1_Histogram()
        h.aggregationTemporality = .cumulative
        var p = OTLPHistogramDataPoint()
        p.explicitBounds = [1, 2]
        p.bucketCounts = [1]
        h.dataPoints = [p]
        metric.histogram = h
        var converter = OTLPToPrometheus()
        let result = converter.convert(request([metric]), receivedAtMs: 0)
        #expect(result.rejectedByReason == ["invalid_histogram": 1])
        #expect(result.families.allSatisfy { $0.name == "target_info" })
    }

    @Test func summaryQuantilesSumCount() {
        var metric = OTLPMetric()
        metric.name = "rpc.latency"
        var s = Opentelemetry_Proto_Metrics_V1_Summary()
        var p = OTLPSummaryDataPoint()
        var q = Opentelemetry_Proto_Metrics_V1_SummaryDataPoint.ValueAtQuantile()
        q.quantile = 0.99
        q.value = 0.3
        p.quantileValues = [q]
        p.sum = 10
        p.count = 50
        s.dataPoints = [p]
        metric.summary = s
        var converter = OTLPToPrometheus()
        let v = values(converter.convert(request([metric], resource: []), receivedAtMs: 0))
        #expect(v["rpc_latency{otel_scope_name=\"shop\", otel_scope_version=\"1.2\", quantile=\"0.99\"}"] == 0.3)
        #expect(v["rpc_latency_sum{otel_scope_name=\"shop\", otel_scope_version=\"1.2\"}"] == 10)
        #expect(v["rpc_latency_count{otel_scope_name=\"shop\", otel_scope_version=\"1.2\"}"] == 50)
    }

    @Test func noRecordedValueIsAStalenessMarker() {
        var metric = sum("gone", temporality: .cumulative, [([], 0, 1)])
        metric.sum.dataPoints[0].flags = 1
        var converter = OTLPToPrometheus()
        let result = converter.convert(request([metric]), receivedAtMs: 0)
        #expect(result.families.first { $0.name == "gone_total" }?.points[0].value.isStaleMarker == true)
    }

    @Test func histogramsWithoutTemporalityAndEmptyMetricsAreCountedNotLost() {
        var exp = OTLPMetric()
        exp.name = "sizes"
        var e = Opentelemetry_Proto_Metrics_V1_ExponentialHistogram()
        e.dataPoints = [.init(), .init()]
        exp.exponentialHistogram = e
        var empty = OTLPMetric()
        empty.name = "nothing"
        var unspecified = sum("u", temporality: .unspecified, [([], 1, 1)])
        unspecified.name = "u"
        var converter = OTLPToPrometheus()
        let result = converter.convert(request([exp, empty, unspecified]), receivedAtMs: 0)
        #expect(result.rejectedByReason == ["no_data": 1, "unspecified_temporality": 3])
        #expect(result.rejectedPoints == 4)
        #expect(result.messages.first == "sizes: a histogram without aggregation temporality cannot be mapped")
    }

    /// An exponential histogram as classic buckets: negative buckets, the zero bucket, positive
    /// buckets at `base^(index+1)`, `+Inf`; a delta one accumulated like an explicit one.
    @Test func exponentialHistogramsBecomeClassicBuckets() throws {
        var point = Opentelemetry_Proto_Metrics_V1_ExponentialHistogramDataPoint()
        point.scale = 1  // base √2
        point.count = 7
        point.sum = 6.5
        point.zeroCount = 1
        point.positive.offset = 0
        point.positive.bucketCounts = [2, 1, 0, 1]  // (1, √2], (√2, 2], (2, 2√2], (2√2, 4]
        point.negative.offset = 1
        point.negative.bucketCounts = [2]  // [-2, -√2)
        point.timeUnixNano = 5_000_000_000
        var metric = OTLPMetric()
        metric.name = "payload.size"
        metric.unit = "By"
        metric.exponentialHistogram.aggregationTemporality = .delta
        metric.exponentialHistogram.dataPoints = [point]
        var converter = OTLPToPrometheus()
        _ = converter.convert(request([metric], resource: []), receivedAtMs: 0)
        let result = converter.convert(request([metric], resource: []), receivedAtMs: 0)  // the same delta again
        let family = try #require(result.families.first { $0.name == "payload_size_bytes" })
        #expect(family.type == .histogram)
        let buckets = family.points.filter { $0.name == "payload_size_bytes_bucket" }.map { ($0.labels["le"]!, $0.value) }
        #expect(buckets.map(\.0) == ["-1.4142135623730951", "0", "1.4142135623730951", "2", "2.8284271247461903", "4", "+Inf"])
        #expect(buckets.map(\.1) == [4, 6, 10, 12, 12, 14, 14], "cumulative, twice the delta")
        #expect(family.points.first { $0.name == "payload_size_bytes_count" }?.value == 14)
        #expect(family.points.first { $0.name == "payload_size_bytes_sum" } == nil, "OpenMetrics: no _sum beside negative buckets")
    }

    /// SDKs lower the scale between exports as the range of values grows: deltas are added in
    /// exponential space, at the lower scale, never reset by the change of layout.
    @Test func exponentialDeltasAddUpAcrossScaleChanges() throws {
        func metric(scale: Int32, offset: Int32, counts: [UInt64], sum: Double, temporality: OTLPTemporality = .delta) -> OTLPMetric {
            var point = Opentelemetry_Proto_Metrics_V1_ExponentialHistogramDataPoint()
            point.scale = scale
            point.count = counts.reduce(0, +)
            point.sum = sum
            point.positive.offset = offset
            point.positive.bucketCounts = counts
            var metric = OTLPMetric()
            metric.name = "size"
            metric.exponentialHistogram.aggregationTemporality = temporality
            metric.exponentialHistogram.dataPoints = [point]
            return metric
        }
        func staleBuckets(_ points: [MetricPoint]) -> [String] {
            points.filter { $0.name == "size_bucket" && $0.value.isStaleMarker }.map { $0.labels["le"]! }
        }
        var converter = OTLPToPrometheus()
        // 3 at scale 2 (index 6: (2.83, 3.36]), then 40 at scale 0 (index 5: (32, 64]).
        _ = converter.convert(request([metric(scale: 2, offset: 6, counts: [1], sum: 3)], resource: []), receivedAtMs: 0)
        let result = converter.convert(request([metric(scale: 0, offset: 5, counts: [1], sum: 40)], resource: []), receivedAtMs: 0)
        let points = try #require(result.families.first { $0.name == "size" }).points
        let buckets = points.filter { $0.name == "size_bucket" && !$0.value.isStaleMarker }.map { ($0.labels["le"]!, $0.value) }
        // At scale 0 index 6 >> 2 = 1: (2, 4]; then (32, 64].
        #expect(buckets.map(\.0) == ["0", "4", "8", "16", "32", "64", "+Inf"])
        #expect(buckets.map(\.1) == [0, 1, 1, 1, 1, 2, 2])
        #expect(points.first { $0.name == "size_sum" }?.value == 43)
        // The first export's bucket (2^(7/4) = 3.36) is gone from the layout: marked stale, or
        // /metrics would serve it beside the new ones with its old count.
        #expect(staleBuckets(points) == [formatBound(exp2(7.0 / 4))])

        // Cumulative: the same for a scale the SDK lowered; an unchanged layout marks nothing.
        var cumulative = OTLPToPrometheus()
        _ = cumulative.convert(request([metric(scale: 1, offset: 2, counts: [1, 1], sum: 5, temporality: .cumulative)], resource: []), receivedAtMs: 0)
        let same = cumulative.convert(request([metric(scale: 1, offset: 2, counts: [1, 2], sum: 8, temporality: .cumulative)], resource: []), receivedAtMs: 0)
        #expect(staleBuckets(same.families[0].points).isEmpty)
        // Scale 1 indexes 2, 3 (le 2.83, 4) → scale 0 index 1 (le 4): 2.83 is gone.
        let lowered = cumulative.convert(request([metric(scale: 0, offset: 1, counts: [4], sum: 20, temporality: .cumulative)], resource: []), receivedAtMs: 0)
        #expect(staleBuckets(lowered.families[0].points) == [formatBound(exp2(1.5))])
    }

    @Test func collidingAttributeKeysJoinValuesInKeyOrder() {
        var converter = OTLPToPrometheus()
        let result = converter.convert(request([sum("c", temporality: .cumulative, [([attribute("a.b", "2"), attribute("a_b", "1")], 1, 1)])], resource: []),
                                       receivedAtMs: 0)
        #expect(result.families[0].points[0].labels["a_b"] == "2;1")
    }

    @Test func deltaStreamLimitBoundsMemory() {
        var converter = OTLPToPrometheus(maxDeltaStreams: 2)
        let points = (0..<3).map { ([attribute("i", String($0))], 1.0, UInt64(1)) }
        let result = converter.convert(request([sum("d", temporality: .delta, points)], resource: []), receivedAtMs: 0)
        #expect(result.acceptedPoints == 2)
        #expect(result.rejectedByReason == ["delta_stream_limit": 1])
        #expect(converter.deltaStreams.count == 2)
    }
}

/// opentelemetry-proto's examples/metrics.json with the Python bindings' decoding of it
/// (../shared/conformance/otlp/examples): our JSON and binary decoders agree with them.
@Suite struct OTLPConformanceTests {
    static let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../../shared/conformance/otlp/examples")

    @Test func jsonAndProtobufExamplesDecodeToTheSameMessage() throws {
        let json = try [UInt8](Data(contentsOf: Self.examples.appendingPathComponent("metrics.json")))
        let binary = try [UInt8](Data(contentsOf: Self.examples.appendingPathComponent("metrics.json.as-protobuf.bin")))
        let text = try String(contentsOf: Self.examples.appendingPathComponent("metrics.json.decoded.txtpb"), encoding: .utf8)
        let fromJSON = try ExportMetricsServiceRequest.decode(json: json)
        let fromBinary = try ExportMetricsServiceRequest.decode(protobuf: binary)
        let fromText = try ExportMetricsServiceRequest(textFormatString: text)
        #expect(fromJSON == fromBinary)
        #expect(fromJSON == fromText)
        let metrics = fromJSON.resourceMetrics[0].scopeMetrics[0].metrics
        #expect(metrics.map(\.name) == ["my.counter", "my.gauge", "my.histogram", "my.exponential.histogram"])
        // int64 as strings, enums as integers (1 is DELTA):
        #expect(metrics[2].histogram.dataPoints[0].count == 2)
        #expect(metrics[0].sum.aggregationTemporality == .delta)
    }

    @Test func exampleMapsToPrometheusSeries() throws {
        let json = try [UInt8](Data(contentsOf: Self.examples.appendingPathComponent("metrics.json")))
        var converter = OTLPToPrometheus()
        let result = converter.convert(try .decode(json: json), receivedAtMs: 0)
        #expect(result.families.map(\.name).filter { $0 != "target_info" } == ["my_counter_total", "my_gauge_ratio", "my_histogram",
                                                                                 "my_exponential_histogram"])
        #expect(result.rejectedByReason.isEmpty)
        // count 3, zero_count 1, scale 0, positive offset 1 with [0, 2]: bucket (2, 4] is empty and
        // left out, (4, 8] holds 2.
        let exponential = result.families.first { $0.name == "my_exponential_histogram" }?.points
            .filter { $0.name == "my_exponential_histogram_bucket" }.map { ($0.labels["le"]!, $0.value) }
        #expect(exponential?.map(\.0) == ["0", "8", "+Inf"])
        #expect(exponential?.map(\.1) == [1, 3, 3])
        #expect(result.families.first { $0.name == "my_counter_total" }?.points[0].value == 5)
    }

    @Test(arguments: [
        ("{\"resourceMetrics\": [", "invalid OTLP/JSON"),
        ("{\"resourceMetrics\": 5}", "invalid OTLP/JSON"),
        ("[]", "invalid OTLP/JSON"),
    ])
    func invalidJSONIsAnError(_ body: String, _ prefix: String) {
        #expect(throws: OTLPDecodeError.self) { try ExportMetricsServiceRequest.decode(json: Array(body.utf8)) }
        do {
            _ = try ExportMetricsServiceRequest.decode(json: Array(body.utf8))
        } catch {
            #expect(error.message.hasPrefix(prefix))
        }
    }

    @Test func unknownJSONFieldsAreSkipped() throws {
        let body = #"{"resourceMetrics":[{"futureField":1,"scopeMetrics":[{"metrics":[{"name":"g","gauge":{"dataPoints":[{"asInt":"7"}]}}]}]}]}"#
        let decoded = try ExportMetricsServiceRequest.decode(json: Array(body.utf8))
        #expect(decoded.resourceMetrics[0].scopeMetrics[0].metrics[0].gauge.dataPoints[0].asInt == 7)
    }

    @Test func everyTruncationOfAValidProtobufFailsCleanlyOrDecodesAPrefix() throws {
        let binary = try [UInt8](Data(contentsOf: Self.examples.appendingPathComponent("metrics.json.as-protobuf.bin")))
        var failures = 0
        for cut in 0..<binary.count {
            if (try? ExportMetricsServiceRequest.decode(protobuf: Array(binary[..<cut]))) == nil { failures += 1 }
        }
        // Only cuts at top-level field boundaries can decode (protobuf has no end marker).
        #expect(failures > binary.count * 9 / 10)
    }
}

@Suite struct ExponentialBucketsTests {
    @Test func moreThanTheMostBucketsAreMergedByLoweringTheScale() throws {
        // 400 positive buckets at scale 3: two scale reductions leave 100 (4 per new bucket).
        let positive = ExponentialBuckets.Side(offset: 0, counts: [UInt64](repeating: 1, count: 400))
        let classic = try #require(ExponentialBuckets.classic(scale: 3, count: 400, zeroCount: 0, zeroThreshold: 0, positive: positive,
                                                              negative: .init(offset: 0, counts: []), maxBuckets: 160))
        #expect(classic.bounds.count == 101, "the zero bucket and 100 positive ones")
        #expect(classic.counts.dropFirst().dropLast().allSatisfy { $0 == 4 })
        // Scale 1 now: the first positive bucket (index 0) ends at base = √2.
        #expect(classic.bounds[1] == 2.0.squareRoot())
        #expect(classic.counts.reduce(0, +) == 400)
    }

    @Test func negativeIndexesMergeDownwards() {
        let side = ExponentialBuckets.Side(offset: -3, counts: [1, 2, 3, 4]).downscaled()  // indexes -3…0
        #expect(side == ExponentialBuckets.Side(offset: -2, counts: [1, 5, 4]), "(-3)>>1 = -2, (-2,-1)>>1 = -1, 0>>1 = 0")
    }

    @Test func aScaleOutsideOTLPsRangeIsRefused() {
        #expect(ExponentialBuckets.classic(scale: 21, count: 0, zeroCount: 0, zeroThreshold: 0, positive: .init(offset: 0, counts: []),
                                           negative: .init(offset: 0, counts: [])) == nil)
    }
}
