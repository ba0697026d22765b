import Foundation
import Gzip
import OTLP
import ScopeCore
import SeriesStore
import SwiftProtobuf
import Synchronization
import Testing

@testable import Exporter

private final class ManualClock: Clock, @unchecked Sendable {
    var now: Int64 = 1_000_000
    func nowMs() -> Int64 { now }
}

private func gaugeRequest(_ value: Double = 7, name: String = "queue.depth") -> ExportMetricsServiceRequest {
    var point = OTLPNumberDataPoint()
    point.asDouble = value
    point.timeUnixNano = 5_000_000_000
    var metric = OTLPMetric()
    metric.name = name
    metric.gauge.dataPoints = [point]
    var scope = OTLPScopeMetrics()
    scope.metrics = [metric]
    var rm = OTLPResourceMetrics()
    var kv = OTLPKeyValue()
    kv.key = "service.name"
    kv.value.stringValue = "billing"
    rm.resource.attributes = [kv]
    rm.scopeMetrics = [scope]
    var request = ExportMetricsServiceRequest()
    request.resourceMetrics = [rm]
    return request
}

private final class Received: Sendable {
    let list = Mutex<[OTLPConversion]>([])
    func withLock<T>(_ body: (inout [OTLPConversion]) -> T) -> T { list.withLock { body(&$0) } }
}

private struct Harness {
    let receiver: OTLPReceiver
    let metrics = SelfMetrics()
    let received = Received()

    init(token: String? = nil, maxBody: Int = 4 << 20, maxDecompressed: Int = 32 << 20, maxSeriesBytes: Int = 64 << 20) {
        var options = OTLPReceiver.Options()
        options.maxSeriesBytes = maxSeriesBytes
        options.token = token
        options.maxBodyBytes = maxBody
        options.maxDecompressedBytes = maxDecompressed
        let received = received
        receiver = OTLPReceiver(options: options, metrics: metrics, clock: ManualClock()) { conversion in
            received.withLock { $0.append(conversion) }
        }
    }

    func post(_ body: [UInt8], type: String = "application/x-protobuf", encoding: String? = nil, auth: String? = nil,
              method: String = "POST", path: String = "/v1/metrics") -> HTTPServerResponse {
        var headers = ["Content-Type": type]
        if let encoding { headers["Content-Encoding"] = encoding }
        if let auth { headers["Authorization"] = auth }
        return receiver.handle(HTTPServerRequest(method: method, path: path, headers: headers, body: body))
    }
}

private func protobuf(_ request: ExportMetricsServiceRequest) -> [UInt8] { try! request.serializedBytes() }

/// A request of `count` new series, each with `labels` attributes of `valueBytes` bytes.
private func wideRequest(series count: Int, labels: Int, valueBytes: Int, tag: String) -> ExportMetricsServiceRequest {
    var metric = OTLPMetric()
    metric.name = "flood"
    for i in 0..<count {
        var point = OTLPNumberDataPoint()
        point.asDouble = 1
        point.timeUnixNano = 5_000_000_000
        point.attributes = (0..<labels).map { l in
            var kv = OTLPKeyValue()
            kv.key = "k\(l)"
            kv.value.stringValue = "\(tag)-\(i)-" + String(repeating: "x", count: valueBytes)
            return kv
        }
        metric.gauge.dataPoints.append(point)
    }
    var request = gaugeRequest()
    request.resourceMetrics[0].scopeMetrics[0].metrics = [metric]
    return request
}

@Suite struct OTLPReceiverTests {
    /// Without credentials anyone may send new series: past the receiver's budget in bytes of
    /// label data a request is refused whole with 429 + Retry-After (retryable under OTLP), its
    /// points counted; the series already admitted keep flowing.
    @Test func newSeriesPastTheBudgetAreRefusedWith429() throws {
        let h = Harness(maxSeriesBytes: 1 << 20)
        let steady = protobuf(gaugeRequest())
        #expect(h.post(steady).status == 200)
        var statuses: [Int] = []
        for n in 0..<20 {
            // 100 series × 8 labels of ~1 KB: ~850 KB of labels per request.
            statuses.append(h.post(protobuf(wideRequest(series: 100, labels: 8, valueBytes: 1000, tag: "r\(n)"))).status)
        }
        #expect(statuses.first == 200 && statuses.dropFirst().allSatisfy { $0 == 429 }, "\(statuses)")
        let refused = h.post(protobuf(wideRequest(series: 100, labels: 8, valueBytes: 1000, tag: "again")))
        #expect(refused.headers["retry-after"] == "30")
        #expect(Array(refused.body.prefix(2)) == [0x08, 8], "a Status with RESOURCE_EXHAUSTED")
        #expect(h.post(steady).status == 200, "known series keep flowing")
        #expect(h.received.withLock { $0.count } == 3, "refused requests reach no sink")
        #expect(h.metrics.value("strmscope_otlp_points_dropped_total", ["reason": "series_budget"]) == 2_000)
    }

    @Test func aLabelValueOverTheLimitDropsItsPoint() throws {
        let h = Harness()
        let response = h.post(protobuf(wideRequest(series: 3, labels: 1, valueBytes: 20_000, tag: "long")))
        #expect(response.status == 200)
        let decoded = try ExportMetricsServiceResponse(serializedBytes: response.body)
        #expect(decoded.partialSuccess.rejectedDataPoints == 3)
        #expect(decoded.partialSuccess.errorMessage.contains("a label value is longer than 16384 bytes"))
        #expect(h.metrics.value("strmscope_otlp_points_dropped_total", ["reason": "label_value_too_long"]) == 3)
    }

    @Test func protobufRequestIsMappedAndAnsweredWithAnEmptyResponse() throws {
        let h = Harness()
        let response = h.post(protobuf(gaugeRequest()))
        #expect(response.status == 200)
        #expect(response.headers["content-type"] == "application/x-protobuf")
        #expect(try ExportMetricsServiceResponse(serializedBytes: response.body) == ExportMetricsServiceResponse())
        let families = h.received.withLock { $0 }.flatMap(\.families)
        #expect(families.map(\.name) == ["queue_depth"])
        #expect(families[0].points[0] == MetricPoint(name: "queue_depth", labels: ["job": "billing"], value: 7, timestampMs: 5_000))
        #expect(h.metrics.value("strmscope_otlp_requests_total", ["code": "200"]) == 1)
        #expect(h.metrics.value("strmscope_otlp_points_received_total") == 1)
    }

    @Test func jsonAndGzipAreAccepted() throws {
        let h = Harness()
        let json = Array(try gaugeRequest(3).jsonString().utf8)
        #expect(h.post(json, type: "application/json; charset=utf-8").status == 200)
        let gz = h.post(Gzip.compress(protobuf(gaugeRequest(4))), encoding: "gzip")
        #expect(gz.status == 200)
        #expect(h.received.withLock { $0 }.map { $0.families[0].points[0].value } == [3, 4])
    }

    @Test func partialSuccessNamesRejectedPoints() throws {
        let h = Harness()
        var request = gaugeRequest()
        var exp = OTLPMetric()
        exp.name = "sizes"
        exp.exponentialHistogram.dataPoints = [.init(), .init(), .init()]  // no aggregation temporality: not mappable
        request.resourceMetrics[0].scopeMetrics[0].metrics.append(exp)
        let response = h.post(protobuf(request))
        #expect(response.status == 200)
        let decoded = try ExportMetricsServiceResponse(serializedBytes: response.body)
        #expect(decoded.partialSuccess.rejectedDataPoints == 3)
        #expect(decoded.partialSuccess.errorMessage.contains("without aggregation temporality"))
        #expect(h.metrics.value("strmscope_otlp_points_dropped_total", ["reason": "unspecified_temporality"]) == 3)
    }

    @Test func badInputGetsTheRightStatusAndTheReceiverGoesOn() {
        let h = Harness(token: "s3cret", maxBody: 1_000, maxDecompressed: 10_000)
        let auth = "Bearer s3cret"
        let valid = protobuf(gaugeRequest())
        let cases: [(String, HTTPServerResponse, Int)] = [
            ("truncated protobuf", h.post(Array(valid.prefix(valid.count / 2)), auth: auth), 400),
            ("random bytes", h.post((0..<200).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }, auth: auth), 400),
            ("invalid JSON", h.post(Array("{\"resourceMetrics\":[".utf8), type: "application/json", auth: auth), 400),
            ("wrong content type", h.post(valid, type: "text/plain", auth: auth), 415),
            ("unknown encoding", h.post(valid, encoding: "br", auth: auth), 415),
            ("not gzip", h.post(valid, encoding: "gzip", auth: auth), 400),
            ("gzip bomb", h.post(Gzip.compress([UInt8](repeating: 0, count: 1_000_000)), encoding: "gzip", auth: auth), 413),
            ("oversize body", h.post([UInt8](repeating: 0, count: 1_001), auth: auth), 413),
            ("wrong token", h.post(valid, auth: "Bearer nope"), 401),
            ("missing token", h.post(valid), 401),
            ("GET", h.post([], method: "GET"), 405),
            ("other path", h.post(valid, auth: auth, path: "/v1/traces"), 404),
            ("valid after all that", h.post(valid, auth: auth), 200),
        ]
        for (name, response, status) in cases {
            #expect(response.status == status, "\(name): \(response.status) \(response.bodyText)")
        }
        #expect(h.metrics.value("strmscope_otlp_requests_total", ["code": "400"]) == 4)
        #expect(h.received.withLock { $0.count } == 1)
    }

    @Test func errorBodiesAreGoogleRPCStatus() {
        let h = Harness()
        let response = h.post([0xff, 0xff, 0xff])
        #expect(response.status == 400)
        // Field 1 (code) = 3 INVALID_ARGUMENT, then field 2 (message) length-delimited.
        #expect(Array(response.body.prefix(3)) == [0x08, 3, 0x12])
        let message = String(decoding: response.body.dropFirst(4), as: UTF8.self)
        #expect(Int(response.body[3]) == message.utf8.count)
        #expect(message.hasPrefix("invalid protobuf ExportMetricsServiceRequest"))
        let json = h.post(Array("nope".utf8), type: "application/json")
        #expect(json.bodyText.hasPrefix("{\"code\":3,\"message\":\"invalid OTLP/JSON"))
    }

    /// Every error, 404, 405 and 415 included: a Status in the request's encoding (protobuf
    /// when the content type is not OTLP's), never text/plain.
    @Test func everyErrorIsAStatusInTheRequestsEncoding() {
        let h = Harness()
        let cases: [(String, HTTPServerResponse, Int, String)] = [
            ("text/plain body", h.post([1, 2, 3], type: "text/plain"), 415, "application/x-protobuf"),
            ("br encoding, protobuf", h.post([1, 2, 3], encoding: "br"), 415, "application/x-protobuf"),
            ("br encoding, JSON", h.post(Array("{}".utf8), type: "application/json", encoding: "br"), 415, "application/json"),
            ("GET", h.post([], method: "GET"), 405, "application/x-protobuf"),
            ("other path, JSON", h.post(Array("{}".utf8), type: "application/json", path: "/v1/traces"), 404, "application/json"),
        ]
        for (name, response, code, type) in cases {
            #expect(response.status == code, "\(name)")
            #expect(response.headers["content-type"] == type, "\(name): \(response.headers)")
            if type == "application/json" {
                let object = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any]
                #expect((object?["message"] as? String)?.isEmpty == false, "\(name): \(response.bodyText)")
            } else {
                #expect(Array(response.body.prefix(1)) == [0x08] && response.body.count > 4, "\(name): a Status: code, then message")
            }
        }
    }

    @Test func droppedKindsAreReportedOnce() {
        let reports = Mutex<[String]>([])
        let receiver = OTLPReceiver(metrics: SelfMetrics(), clock: ManualClock(), report: { m in reports.withLock { $0.append(m) } }) { _ in }
        var request = gaugeRequest()
        var exp = OTLPMetric()
        exp.name = "sizes"
        exp.exponentialHistogram.dataPoints = [.init()]
        request.resourceMetrics[0].scopeMetrics[0].metrics.append(exp)
        for _ in 0..<3 {
            _ = receiver.handle(HTTPServerRequest(method: "POST", path: "/v1/metrics", headers: ["content-type": "application/x-protobuf"], body: protobuf(request)))
        }
        #expect(reports.withLock { $0.count } == 1)
    }

    @Test func storeSinkAppendsEveryPoint() throws {
        let store = SeriesStore()
        let metrics = SelfMetrics()
        let receiver = OTLPReceiver(metrics: metrics, clock: ManualClock(), sink: storeSink(store, metrics: metrics))
        _ = receiver.handle(HTTPServerRequest(method: "POST", path: "/v1/metrics", headers: ["content-type": "application/x-protobuf"],
                                              body: protobuf(gaugeRequest(9))))
        let series = try store.select([try LabelMatcher("__name__", .equal, "queue_depth")], minMs: 0, maxMs: 10_000)
        #expect(series.count == 1)
        #expect(series.first?.samples.map { $0.value } == [9])
        #expect(series.first?.labels["job"] == "billing")
    }
}

@Suite struct StoreSinkTests {
    private func histogramRequest(bounds: [Double], counts: [UInt64], timeMs: UInt64) -> [UInt8] {
        var point = OTLPHistogramDataPoint()
        point.explicitBounds = bounds
        point.bucketCounts = counts
        point.count = counts.reduce(0, +)
        point.timeUnixNano = timeMs * 1_000_000
        var kv = OTLPKeyValue()
        kv.key = "topic"
        kv.value.stringValue = "orders"
        point.attributes = [kv]
        var metric = OTLPMetric()
        metric.name = "fetch"
        metric.histogram.aggregationTemporality = .cumulative
        metric.histogram.dataPoints = [point]
        var request = gaugeRequest()
        request.resourceMetrics[0].scopeMetrics[0].metrics = [metric]
        return protobuf(request)
    }

    private func samples(_ store: SeriesStore, _ name: String, le: String) throws -> [Double] {
        try store.select([try LabelMatcher("__name__", .equal, name), try LabelMatcher("le", .equal, le)], minMs: 0, maxMs: .max)
            .flatMap { $0.samples.map { $0.value } }
    }

    @Test func repeatedStreamsAppendByRefAndALayoutChangeFindsItsOwnSeries() throws {
        let store = SeriesStore(options: StoreOptions(retentionMs: 1 << 40, maxSeries: 1000, maxSeriesPerQuery: 1000))
        let metrics = SelfMetrics()
        let receiver = OTLPReceiver(metrics: metrics, clock: ManualClock(), sink: storeSink(store, metrics: metrics))
        func post(_ body: [UInt8]) {
            #expect(receiver.handle(HTTPServerRequest(method: "POST", path: "/v1/metrics", headers: ["content-type": "application/x-protobuf"], body: body)).status == 200)
        }
        post(histogramRequest(bounds: [1, 5], counts: [1, 1, 1], timeMs: 1_000))
        post(histogramRequest(bounds: [1, 5], counts: [2, 1, 1], timeMs: 2_000))
        // Same stream, new layout: position 2 is now le="10", not le="5".
        post(histogramRequest(bounds: [1, 10], counts: [3, 2, 1], timeMs: 3_000))
        #expect(try samples(store, "fetch_bucket", le: "1") == [1, 2, 3])
        #expect(try samples(store, "fetch_bucket", le: "5") == [2, 3])
        #expect(try samples(store, "fetch_bucket", le: "10") == [5])
        #expect(try samples(store, "fetch_bucket", le: "+Inf") == [3, 4, 6])
        #expect(metrics.value("strmscope_otlp_samples_rejected_total") == 0)
    }

    @Test func seriesRemovedByRetentionAreAppendedAgainByLabels() throws {
        let store = SeriesStore(options: StoreOptions(retentionMs: 10_000, maxSeries: 1000, maxSeriesPerQuery: 1000))
        let metrics = SelfMetrics()
        let receiver = OTLPReceiver(metrics: metrics, clock: ManualClock(), sink: storeSink(store, metrics: metrics))
        func post(_ body: [UInt8]) {
            _ = receiver.handle(HTTPServerRequest(method: "POST", path: "/v1/metrics", headers: ["content-type": "application/x-protobuf"], body: body))
        }
        post(histogramRequest(bounds: [1], counts: [1, 1], timeMs: 1_000))
        _ = store.truncate(beforeMs: 500_000)  // every series goes: its refs are stale
        post(histogramRequest(bounds: [1], counts: [4, 1], timeMs: 600_000))
        #expect(try samples(store, "fetch_bucket", le: "1") == [4])
    }
}

@Suite struct GzipTests {
    @Test func roundTripAndLimits() throws {
        let data = Array(String(repeating: "kafka_consumergroup_lag 12\n", count: 1000).utf8)
        let compressed = Gzip.compress(data)
        #expect(compressed.count < data.count / 10)
        #expect(try Gzip.decompress(compressed, limit: data.count) == data)
        #expect(throws: GzipError.tooLarge(limit: data.count - 1)) { try Gzip.decompress(compressed, limit: data.count - 1) }
        #expect(try Gzip.decompress(Gzip.compress([]), limit: 10) == [])
    }

    @Test func everyTruncationIsAnError() {
        let compressed = Gzip.compress(Array("hello, collector".utf8))
        for cut in 0..<compressed.count {
            #expect(throws: GzipError.self) { try Gzip.decompress(Array(compressed[..<cut]), limit: 1000) }
        }
        #expect(throws: GzipError.self) { try Gzip.decompress(compressed + [0], limit: 1000) }
    }
}

@Suite struct MetricsEndpointTests {
    let endpoint = MetricsEndpoint(
        families: { [MetricFamily(name: "up", type: .gauge, help: "Up.", points: [MetricPoint(name: "up", labels: ["job": "a"], value: 1)])] },
        notReadyReason: { nil })

    @Test func negotiatesTextOrOpenMetrics() {
        let text = endpoint.metrics(HTTPServerRequest(method: "GET", path: "/metrics"))
        #expect(text.headers["content-type"]?.hasPrefix("text/plain; version=0.0.4") == true)
        #expect(text.bodyText == "# HELP up Up.\n# TYPE up gauge\nup{job=\"a\"} 1\n")
        let om = endpoint.metrics(HTTPServerRequest(method: "GET", path: "/metrics", headers: [
            "Accept": "application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.3"]))
        #expect(om.headers["content-type"]?.hasPrefix("application/openmetrics-text") == true)
        #expect(om.bodyText.hasSuffix("# EOF\n"))
    }

    @Test func readinessFollowsTheReason() {
        let notReady = MetricsEndpoint(families: { [] }, notReadyReason: { "warming up" })
        let readyz = notReady.routes.first { $0.path == "/readyz" }!.handler
        #expect(readyz(HTTPServerRequest(method: "GET", path: "/readyz")).status == 503)
        #expect(endpoint.routes.first { $0.path == "/readyz" }!.handler(HTTPServerRequest(method: "GET", path: "/readyz")).status == 200)
        #expect(endpoint.routes.first { $0.path == "/healthz" }!.handler(HTTPServerRequest(method: "GET", path: "/healthz")).bodyText == "ok\n")
    }

    @Test func listenAddresses() {
        #expect(ListenAddress("127.0.0.1:4318") == ListenAddress(host: "127.0.0.1", port: 4318))
        #expect(ListenAddress(":9464") == ListenAddress(host: "0.0.0.0", port: 9464))
        #expect(ListenAddress("[::1]:0") == ListenAddress(host: "::1", port: 0))
        #expect(ListenAddress("localhost") == nil)
        #expect(ListenAddress("host:99999") == nil)
        #expect(ListenAddress("::1:80") == nil)
    }
}

@Suite struct ExportQueueTests {
    private func batch(_ n: Int) -> ExportBatch { ExportBatch(body: [UInt8(n)], points: n, createdAtMs: Int64(n)) }

    @Test func fullQueueDropsTheOldestAndKeepsTheNewest() {
        var queue = BoundedBatchQueue(capacity: 3)
        var dropped: [Int] = []
        for n in 1...10 {
            if let d = queue.push(batch(n)) { dropped.append(d.points) }
            #expect(queue.count <= 3)
        }
        #expect(dropped == [1, 2, 3, 4, 5, 6, 7])
        #expect([queue.popFirst(), queue.popFirst(), queue.popFirst(), queue.popFirst()].map { $0?.points } == [8, 9, 10, nil])
    }

    @Test func longRunsStayCompact() {
        var queue = BoundedBatchQueue(capacity: 2)
        for n in 0..<10_000 {
            _ = queue.push(batch(n % 200))
            if n % 3 == 0 { _ = queue.popFirst() }
        }
        // The last step (n = 9999) pushed into a full queue and then popped one.
        #expect(queue.count == 1)
        #expect(queue.removeAll().map(\.points) == [9999 % 200])
        #expect(queue.isEmpty)
    }

    @Test func retryClassification() {
        #expect(RetryPolicy.outcome(status: 200, retryAfter: nil, nowMs: 0) == .delivered)
        #expect(RetryPolicy.outcome(status: nil, retryAfter: nil, nowMs: 0) == .retry(retryAfterMs: nil))
        #expect(RetryPolicy.outcome(status: 503, retryAfter: "3", nowMs: 0) == .retry(retryAfterMs: 3_000))
        #expect(RetryPolicy.outcome(status: 429, retryAfter: "Wed, 21 Oct 2015 07:28:10 GMT", nowMs: 1_445_412_480_000) == .retry(retryAfterMs: 10_000))
        #expect(RetryPolicy.outcome(status: 400, retryAfter: nil, nowMs: 0) == .rejected)
        #expect(RetryPolicy.outcome(status: 413, retryAfter: "5", nowMs: 0) == .rejected)
    }

    @Test func backoffGrowsWithJitterAndHonoursRetryAfter() {
        let policy = RetryPolicy()
        #expect(policy.backoffMs(attempt: 1, retryAfterMs: nil, random: 0.5) == 500)
        #expect(policy.backoffMs(attempt: 2, retryAfterMs: nil, random: 0.5) == 1_000)
        #expect(policy.backoffMs(attempt: 3, retryAfterMs: nil, random: 0) == 1_600)
        #expect(policy.backoffMs(attempt: 3, retryAfterMs: nil, random: 0.999) > 2_390)
        #expect(policy.backoffMs(attempt: 40, retryAfterMs: nil, random: 0.5) == 5_000)
        #expect(policy.backoffMs(attempt: 1, retryAfterMs: 20_000, random: 0.5) == 20_000)
        #expect(policy.backoffMs(attempt: 1, retryAfterMs: 3_600_000, random: 0.5) == 60_000)
    }

    @Test func endpointGetsTheMetricsPathOnlyWhenItHasNone() {
        #expect(OTLPPusher.metricsURL("http://collector:4318") == "http://collector:4318/v1/metrics")
        #expect(OTLPPusher.metricsURL("http://collector:4318/") == "http://collector:4318/v1/metrics")
        #expect(OTLPPusher.metricsURL("https://otlp.example.com/otlp/v1/metrics") == "https://otlp.example.com/otlp/v1/metrics")
    }
}

@Suite struct PrometheusToOTLPTests {
    @Test func familiesMapToOTLPAndBackToTheSameSeries() throws {
        let families = [
            MetricFamily(name: "strm_records_produced_total", type: .counter, help: "Records.", points: [
                MetricPoint(name: "strm_records_produced_total", labels: ["job": "strmscope", "instance": "log", "topic": "orders"], value: 30)]),
            MetricFamily(name: "kafka_consumergroup_lag", type: .gauge, help: "Lag.", points: [
                MetricPoint(name: "kafka_consumergroup_lag", labels: ["job": "strmscope", "instance": "log", "partition": "0"], value: 4)]),
            MetricFamily(name: "lat", type: .histogram, help: "", points: Histogram.observed([0.1, 1], [0.05, 0.5, 0.7, 3]).points(name: "lat", labels: ["job": "strmscope", "instance": "log"])),
        ]
        let mapper = PrometheusToOTLP(resourceAttributes: [(key: "deployment.environment", value: "ci")], startTimeUnixNano: 1)
        let (request, points) = mapper.request(families, collectedAtMs: 2_000)
        #expect(points == 3)
        #expect(request.resourceMetrics.count == 1)
        let resource = request.resourceMetrics[0].resource.attributes.map { "\($0.key)=\($0.value.stringValue)" }
        #expect(resource == ["service.name=strmscope", "deployment.environment=ci", "service.instance.id=log"])
        let metrics = request.resourceMetrics[0].scopeMetrics[0].metrics
        #expect(metrics.map(\.name) == ["strm_records_produced", "kafka_consumergroup_lag", "lat"])
        #expect(metrics[0].sum.isMonotonic && metrics[0].sum.aggregationTemporality == .cumulative)
        #expect(metrics[2].histogram.dataPoints[0].bucketCounts == [1, 2, 1])
        #expect(metrics[2].histogram.dataPoints[0].explicitBounds == [0.1, 1])

        // And back through the receiver's mapping: the same names, labels and values.
        var back = OTLPToPrometheus()
        let conversion = back.convert(request, receivedAtMs: 0)
        var seen: [String: Double] = [:]
        for family in conversion.families where family.name != "target_info" {
            for p in family.points { seen["\(p.name)\(p.labels.removing("otel_scope_name").removing("otel_scope_version"))"] = p.value }
        }
        var expected: [String: Double] = [:]
        for family in families { for p in family.points { expected["\(p.name)\(p.labels)"] = p.value } }
        #expect(seen == expected)
    }
}

extension Histogram {
    static func observed(_ bounds: [Double], _ values: [Double]) -> Histogram {
        var h = Histogram(upperBounds: bounds)
        for v in values { h.observe(v) }
        return h
    }
}

@Suite struct SeriesBudgetTests {
    func conversion(_ names: [String], value: String = "v") -> OTLPConversion {
        var conversion = OTLPConversion()
        var family = MetricFamily(name: "m", type: .gauge, help: "")
        for name in names { family.add(["id": name, "pad": value], 1) }
        conversion.families = [family]
        return conversion
    }

    @Test func admitsWhatFitsRefreshesWhatIsKnownAndFreesWhatExpired() {
        let one = SeriesBudget.cost("m", ["id": "a", "pad": "v"])
        var budget = SeriesBudget(maxBytes: 3 * one, expiryMs: 60_000)
        #expect(budget.admit(conversion(["a", "b"]), atMs: 0) == (true, 2 * one))
        #expect(budget.admit(conversion(["a", "b", "c", "d"]), atMs: 1_000).admitted == false, "4 series do not fit 3")
        #expect(budget.usedBytes == 2 * one && budget.seriesCount == 2, "a refused request changes nothing")
        #expect(budget.admit(conversion(["a", "c"]), atMs: 30_000) == (true, one))
        // b was last seen at 0: at 70 s it has expired and its bytes are free again.
        budget.sweep(atMs: 70_000)
        #expect(budget.seriesCount == 2 && budget.usedBytes == 2 * one)
        #expect(budget.admit(conversion(["d"]), atMs: 70_000).admitted)
    }
}
