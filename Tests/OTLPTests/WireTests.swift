import Foundation
import ScopeCore
import SwiftProtobuf
import Testing

@testable import OTLP

/// A length-delimited field, written by hand to put fields in orders and shapes swift-protobuf
/// never writes (but other encoders may).
private func field(_ number: Int, _ payload: [UInt8]) -> [UInt8] {
    varint(UInt64(number << 3 | 2)) + varint(UInt64(payload.count)) + payload
}

private func varint(_ value: UInt64) -> [UInt8] {
    var v = value, out: [UInt8] = []
    while v >= 0x80 { out.append(UInt8(v & 0x7f) | 0x80); v >>= 7 }
    return out + [UInt8(v)]
}

private func bytes<M: SwiftProtobuf.Message>(_ message: M) -> [UInt8] { try! message.serializedBytes() }

private func deltaCounter(_ value: Double) -> OTLPMetric {
    var point = OTLPNumberDataPoint()
    point.asDouble = value
    point.timeUnixNano = 1_000_000
    var metric = OTLPMetric()
    metric.name = "hits"
    metric.sum.isMonotonic = true
    metric.sum.aggregationTemporality = .delta
    metric.sum.dataPoints = [point]
    return metric
}

@Suite struct WireMappingTests {
    @Test func resourceAfterItsScopeMetricsStillNamesTheJob() throws {
        var scope = OTLPScopeMetrics()
        scope.metrics = [deltaCounter(3)]
        var resource = OTLPResource()
        var kv = OTLPKeyValue()
        kv.key = "service.name"
        kv.value.stringValue = "late"
        resource.attributes = [kv]
        // ResourceMetrics with field 2 (scope_metrics) before field 1 (resource).
        let request = field(1, field(2, bytes(scope)) + field(1, bytes(resource)))
        var converter = OTLPToPrometheus()
        let result = try converter.convert(protobuf: request, receivedAtMs: 0)
        #expect(result.families.first?.points.first?.labels["job"] == "late")
    }

    @Test func unpackedBucketsAndBoundsMapLikePackedOnes() throws {
        var point = OTLPHistogramDataPoint()
        point.explicitBounds = [1, 5]
        point.bucketCounts = [1, 2, 3]
        point.count = 6
        var metric = OTLPMetric()
        metric.name = "h"
        metric.histogram.aggregationTemporality = .cumulative
        metric.histogram.dataPoints = [point]
        var scope = OTLPScopeMetrics()
        scope.metrics = [metric]
        var rm = OTLPResourceMetrics()
        rm.scopeMetrics = [scope]
        var request = ExportMetricsServiceRequest()
        request.resourceMetrics = [rm]
        var converter = OTLPToPrometheus()
        let packed = try converter.convert(protobuf: bytes(request), receivedAtMs: 0)
        // The same point with every count and bound as its own fixed64 field (unpacked).
        var unpackedPoint: [UInt8] = varint(4 << 3 | 1) + withUnsafeBytes(of: UInt64(6).littleEndian, Array.init)
        for c in [UInt64(1), 2, 3] { unpackedPoint += varint(6 << 3 | 1) + withUnsafeBytes(of: c.littleEndian, Array.init) }
        for b in [1.0, 5.0] { unpackedPoint += varint(7 << 3 | 1) + withUnsafeBytes(of: b.bitPattern.littleEndian, Array.init) }
        let histogram = field(1, unpackedPoint) + varint(2 << 3) + varint(2)
        let metricBytes = field(1, Array("h".utf8)) + field(9, histogram)
        let unpacked = try converter.convert(protobuf: field(1, field(2, field(2, metricBytes))), receivedAtMs: 0)
        #expect(unpacked.families == packed.families)
        #expect(packed.families.first?.points.count == 4)  // buckets 1, 5, +Inf and _count (no sum was set)
    }

    /// Found by the fuzzer: a known field number with a wire type its declaration cannot have
    /// (bucket_counts as a varint) is an unknown field to swift-protobuf, so the wire mapping
    /// must skip it too rather than refuse a request the message path accepts.
    @Test func aKnownFieldWithAForeignWireTypeIsSkippedLikeSwiftProtobufDoes() throws {
        var point: [UInt8] = varint(4 << 3 | 1) + withUnsafeBytes(of: UInt64(3).littleEndian, Array.init)
        point += varint(6 << 3 | 1) + withUnsafeBytes(of: UInt64(3).littleEndian, Array.init)
        point += varint(6 << 3) + varint(33)  // bucket_counts with wire type varint
        point += varint(7 << 3) + varint(1)   // explicit_bounds likewise
        let histogram = field(1, point) + varint(2 << 3) + varint(2)
        let request = field(1, field(2, field(2, field(1, Array("h".utf8)) + field(9, histogram))))
        let message = try ExportMetricsServiceRequest(serializedBytes: request)
        #expect(message.resourceMetrics[0].scopeMetrics[0].metrics[0].histogram.dataPoints[0].bucketCounts == [3])
        var wire = OTLPToPrometheus(), viaMessage = OTLPToPrometheus()
        let direct = try wire.convert(protobuf: request, receivedAtMs: 0)
        #expect(direct.families == viaMessage.convert(message, receivedAtMs: 0).families)
        #expect(direct.families.first?.points.map(\.value) == [3, 3])  // +Inf bucket and _count
    }

    @Test func aRefusedRequestLeavesDeltaTotalsAlone() throws {
        var scope = OTLPScopeMetrics()
        scope.metrics = [deltaCounter(5)]
        var rm = OTLPResourceMetrics()
        rm.scopeMetrics = [scope]
        let good = field(1, bytes(rm))
        var converter = OTLPToPrometheus()
        _ = try converter.convert(protobuf: good, receivedAtMs: 0)
        // The same delta again, followed by a truncated second resource: refused whole.
        #expect(throws: OTLPDecodeError.self) { try converter.convert(protobuf: good + [0x0a, 0x05, 0x01], receivedAtMs: 0) }
        let next = try converter.convert(protobuf: good, receivedAtMs: 0)
        #expect(next.families[0].points[0].value == 10)
    }

    @Test func invalidUTF8InANameIsRefused() {
        let metric = field(1, [0x66, 0xff, 0xfe])
        #expect(throws: OTLPDecodeError.self) {
            var converter = OTLPToPrometheus()
            _ = try converter.convert(protobuf: field(1, field(2, field(2, metric))), receivedAtMs: 0)
        }
    }

    @Test func nonStringAttributesRenderAsTheSpecificationSays() throws {
        func attribute(_ key: String, _ set: (inout OTLPAnyValue) -> Void) -> OTLPKeyValue {
            var kv = OTLPKeyValue()
            kv.key = key
            set(&kv.value)
            return kv
        }
        var point = OTLPNumberDataPoint()
        point.asInt = 1
        point.attributes = [
            attribute("flag") { $0.boolValue = true }, attribute("n") { $0.intValue = -3 }, attribute("ratio") { $0.doubleValue = 0.5 },
            attribute("list") { v in
                var a = Opentelemetry_Proto_Common_V1_ArrayValue()
                var x = OTLPAnyValue(); x.stringValue = "a"
                var y = OTLPAnyValue(); y.intValue = 2
                a.values = [x, y]
                v.arrayValue = a
            },
        ]
        var metric = OTLPMetric()
        metric.name = "g"
        metric.gauge.dataPoints = [point]
        var converter = OTLPToPrometheus()
        let labels = try converter.convert(protobuf: field(1, field(2, field(2, bytes(metric)))), receivedAtMs: 0).families[0].points[0].labels
        #expect(labels == ["flag": "true", "n": "-3", "ratio": "0.5", "list": "[\"a\",2]"])
    }
}
