// libFuzzer entry for the OTLP receiver's decoding path: gzip (bounded inflate), the protobuf and
// OTLP/JSON decoders (swift-protobuf with the generated types) and the OTLP → Prometheus mapping.
// Built by scripts/fuzz with the OTLP and Gzip sources and swift-protobuf's runtime. Beyond "no
// crash, no hang, no unbounded allocation" it checks:
//   - inflate never returns more than its limit;
//   - a decoded request's encoding is a fixed point: encoded, decoded and encoded again, the bytes
//     are the same (compared as bytes: message equality would fail on NaN values);
//   - the mapping accounts for every point: accepted + rejected is at least the number of OTLP
//     data points that have a recognised metric type, and every sample name is a valid metric name.

import ScopeCore
import SwiftProtobuf

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let inflated = try? Gzip.decompress(bytes, limit: 1 << 16) {
        precondition(inflated.count <= 1 << 16, "inflate exceeded its limit")
        check(inflated)
    }
    check(bytes)
    return 0
}

private func check(_ bytes: [UInt8]) {
    if let request = try? ExportMetricsServiceRequest.decode(protobuf: bytes) {
        let encoded: [UInt8] = try! request.serializedBytes()
        let again: [UInt8] = try! ExportMetricsServiceRequest.decode(protobuf: encoded).serializedBytes()
        precondition(again == encoded, "binary round trip changed the message")
        map(request)
    }
    if let request = try? ExportMetricsServiceRequest.decode(json: bytes) {
        map(request)
    }
}

private func map(_ request: ExportMetricsServiceRequest) {
    var converter = OTLPToPrometheus(maxDeltaStreams: 64)
    let result = converter.convert(request, receivedAtMs: 0)
    precondition(result.acceptedPoints >= 0 && result.rejectedPoints >= 0)
    for family in result.families {
        for point in family.points {
            precondition(!point.name.isEmpty && point.name.unicodeScalars.allSatisfy(PrometheusNaming.isNameCharacter),
                         "invalid metric name \(point.name)")
            precondition(point.labels.allSatisfy { !$0.name.isEmpty }, "empty label name")
        }
    }
}
