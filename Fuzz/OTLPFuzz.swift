// libFuzzer entry for the OTLP receiver's decoding path: gzip (bounded inflate), the protobuf and
// OTLP/JSON decoders (swift-protobuf with the generated types) and the OTLP → Prometheus mapping.
// Built by scripts/fuzz with the OTLP and Gzip sources and swift-protobuf's runtime. Beyond "no
// crash, no hang, no unbounded allocation" it checks:
//   - inflate never returns more than its limit;
//   - a decoded request's encoding is a fixed point: encoded, decoded and encoded again, the bytes
//     are the same (compared as bytes: message equality would fail on NaN values);
//   - the receiver's wire-format mapping agrees with swift-protobuf: whatever swift-protobuf
//     decodes, the wire path maps too, and to the same series as swift-protobuf's canonical
//     re-encoding of it (field order, packed or not, unknown fields and repeats do not matter);
//   - every sample name is a valid metric name, no label name is empty.

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
    var wire = OTLPToPrometheus(maxDeltaStreams: 64)
    let direct = try? wire.convert(protobuf: bytes, receivedAtMs: 0)
    if let direct { checkNames(direct) }
    if let request = try? ExportMetricsServiceRequest.decode(protobuf: bytes) {
        let encoded: [UInt8] = try! request.serializedBytes()
        let again: [UInt8] = try! ExportMetricsServiceRequest.decode(protobuf: encoded).serializedBytes()
        precondition(again == encoded, "binary round trip changed the message")
        guard let direct else { preconditionFailure("swift-protobuf decodes what the wire mapping refused") }
        var viaMessage = OTLPToPrometheus(maxDeltaStreams: 64)
        let mapped = viaMessage.convert(request, receivedAtMs: 0)
        precondition(direct.families == mapped.families, "wire mapping and message mapping differ")
        precondition(direct.rejectedByReason == mapped.rejectedByReason, "rejections differ")
    }
    if let request = try? ExportMetricsServiceRequest.decode(json: bytes) {
        map(request)
    }
}

private func map(_ request: ExportMetricsServiceRequest) {
    var converter = OTLPToPrometheus(maxDeltaStreams: 64)
    checkNames(converter.convert(request, receivedAtMs: 0))
}

private func checkNames(_ result: OTLPConversion) {
    precondition(result.acceptedPoints >= 0 && result.rejectedPoints >= 0)
    for family in result.families {
        for point in family.points {
            precondition(!point.name.isEmpty && point.name.unicodeScalars.allSatisfy(PrometheusNaming.isNameCharacter),
                         "invalid metric name \(point.name)")
            precondition(point.labels.allSatisfy { !$0.name.isEmpty }, "empty label name")
        }
    }
}
