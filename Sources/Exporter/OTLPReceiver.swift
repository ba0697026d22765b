import Gzip
import OTLP
import ScopeCore
import SwiftProtobuf
import Synchronization

/// OTLP/HTTP metrics receiver (`POST /v1/metrics`) as a pure handler: bytes in, response out.
///
/// Status codes, as the OTLP/HTTP specification and a client's retry logic expect them:
/// 200 (with `partial_success` when points were rejected), 400 invalid body, 401 wrong or
/// missing bearer token, 404/405 wrong path or method, 413 body over the limit (compressed or
/// decompressed), 415 content type other than protobuf or JSON, or an encoding other than gzip,
/// 429 + Retry-After when a request's new series would spend the receiver's series budget
/// (`SeriesBudget`). Error bodies are `google.rpc.Status` (protobuf, or JSON for a JSON request).
public final class OTLPReceiver: Sendable {
    public struct Options: Sendable {
        /// Largest request body as sent (gzip or not).
        public var maxBodyBytes = 4 << 20
        /// Largest body after gzip decompression: what a gzip bomb runs into.
        public var maxDecompressedBytes = 32 << 20
        /// When set, requests must carry `Authorization: Bearer <token>`.
        public var token: String?
        /// Delta streams remembered for delta → cumulative conversion.
        public var maxDeltaStreams = 100_000
        /// Bytes of label data the series this receiver keeps may hold (see `SeriesBudget`).
        public var maxSeriesBytes = 64 << 20
        /// A point with a longer label value is dropped (counted, reported in partial_success).
        public var maxLabelValueBytes = 16 * 1024
        /// Retry-After on a 429, in seconds.
        public var retryAfterSeconds = 30

        public init() {}
    }

    public static let path = "/v1/metrics"

    public let options: Options
    private let converter: Mutex<OTLPToPrometheus>
    /// Guarded by `converter`'s lock (requests are serialised through it).
    private let budget: Mutex<SeriesBudget>
    private let sink: @Sendable (OTLPConversion) -> Void
    private let metrics: SelfMetrics
    private let clock: any Clock
    private let report: @Sendable (String) -> Void
    private let reportedReasons = Mutex<Set<String>>([])

    /// `sink` gets every accepted request's series (in request order: it runs under the
    /// receiver's lock, which delta accumulation needs anyway). `report` hears about each kind
    /// of rejected point once.
    public init(options: Options = Options(), metrics: SelfMetrics, clock: any Clock = SystemClock(),
                report: @escaping @Sendable (String) -> Void = { _ in },
                sink: @escaping @Sendable (OTLPConversion) -> Void) {
        self.options = options
        self.converter = Mutex(OTLPToPrometheus(maxDeltaStreams: options.maxDeltaStreams))
        self.budget = Mutex(SeriesBudget(maxBytes: options.maxSeriesBytes))
        self.sink = sink
        self.metrics = metrics
        self.clock = clock
        self.report = report
        metrics.declare("strmscope_otlp_requests_total", type: .counter,
                        help: "OTLP/HTTP export requests received, by response status code.", labels: [["code": "200"]])
        metrics.declare("strmscope_otlp_points_received_total", type: .counter,
                        help: "OTLP data points accepted and mapped to Prometheus series.")
        metrics.declare("strmscope_otlp_points_dropped_total", type: .counter,
                        help: "OTLP data points that could not be mapped, by reason.", labels: [])
        metrics.declare("strmscope_otlp_series_bytes", type: .gauge,
                        help: "Bytes of label data of the series the OTLP receiver keeps (see strmscope_otlp_series_bytes_limit).")
        metrics.declare("strmscope_otlp_series_bytes_limit", type: .gauge,
                        help: "The OTLP receiver's budget for the label data of the series it keeps (--otlp-max-series-bytes).")
    }

    public var route: HTTPRoute {
        HTTPRoute(path: Self.path, maxBodyBytes: options.maxBodyBytes) { [self] in handle($0) }
    }

    public func handle(_ request: HTTPServerRequest) -> HTTPServerResponse {
        let response = respond(to: request)
        metrics.add("strmscope_otlp_requests_total", ["code": String(response.status)], 1)
        return response
    }

    private enum Encoding { case protobuf, json }

    private func respond(to request: HTTPServerRequest) -> HTTPServerResponse {
        // Every error body is a google.rpc.Status (OTLP/HTTP) in the request's encoding, or in
        // protobuf, OTLP's default, when the request's content type is not one OTLP knows.
        let mediaType = (request.header("content-type") ?? "").split(separator: ";").first
            .map { $0.trimmingSpaces.lowercased() } ?? ""
        let known: Encoding? = switch mediaType {
        case "application/x-protobuf", "application/protobuf": .protobuf
        case "application/json": .json
        default: nil
        }
        guard request.path == Self.path else {
            return status(404, "not found: OTLP metrics are received at POST \(Self.path)", known ?? .protobuf)
        }
        guard request.method == "POST" else {
            var response = status(405, "method \(request.method) not allowed: use POST", known ?? .protobuf)
            response.headers["allow"] = "POST"
            return response
        }
        guard let encoding = known else {
            return status(415, "unsupported content type \"\(mediaType)\": send application/x-protobuf or application/json", .protobuf)
        }
        if let token = options.token {
            guard let given = request.header("authorization"), constantTimeEqual(given, "Bearer " + token) else {
                var response = status(401, "missing or wrong bearer token", encoding)
                response.headers["www-authenticate"] = "Bearer"
                return response
            }
        }
        if let size = request.bodyTooLarge ?? (request.body.count > options.maxBodyBytes ? request.body.count : nil) {
            return status(413, "request body of \(size) bytes exceeds the limit of \(options.maxBodyBytes)", encoding)
        }
        var body = request.body
        switch (request.header("content-encoding") ?? "identity").trimmingSpaces.lowercased() {
        case "gzip":
            do {
                body = try Gzip.decompress(body, limit: options.maxDecompressedBytes)
            } catch .tooLarge(let limit) {
                return status(413, "decompressed request body exceeds the limit of \(limit) bytes", encoding)
            } catch {
                return status(400, "\(error)", encoding)
            }
        case "identity", "":
            break
        case let other:
            return status(415, "unsupported content encoding \"\(other)\": send gzip or identity", encoding)
        }
        let now = clock.nowMs()
        let conversion: OTLPConversion
        do {
            // The hot path reads the protobuf wire straight into series (no message tree); a
            // JSON request is decoded, then mapped through the same binary path.
            var wire = body
            if encoding == .json {
                // A message swift-protobuf decoded always encodes again.
                wire = (try? ExportMetricsServiceRequest.decode(json: body).serializedBytes()) ?? []
                if wire.isEmpty { _ = try ExportMetricsServiceRequest.decode(json: body) }
            }
            let (mapped, admitted) = try converter.withLock { converter throws(OTLPDecodeError) -> (OTLPConversion, Bool) in
                var conversion = try converter.convert(protobuf: wire, receivedAtMs: now, commit: false)
                Self.dropLongLabelValues(&conversion, limit: options.maxLabelValueBytes)
                guard budget.withLock({ $0.admit(conversion, atMs: now).admitted }) else {
                    converter.discardPending()
                    return (conversion, false)
                }
                converter.commitPending()
                sink(conversion)
                return (conversion, true)
            }
            let used = budget.withLock { $0.usedBytes }
            metrics.set("strmscope_otlp_series_bytes", Labels(), Double(used))
            metrics.set("strmscope_otlp_series_bytes_limit", Labels(), Double(options.maxSeriesBytes))
            guard admitted else {
                metrics.add("strmscope_otlp_points_dropped_total", ["reason": "series_budget"], Double(mapped.acceptedPoints))
                if reportedReasons.withLock({ $0.insert("series_budget").inserted }) {
                    report("otlp: refusing requests with new series (429): the budget of \(options.maxSeriesBytes) bytes of label data "
                        + "is spent (--otlp-max-series-bytes; reported once)")
                }
                var response = status(
                    429, "the receiver's budget for new series is spent (\(used) of \(options.maxSeriesBytes) bytes of label data): "
                        + "retry after \(options.retryAfterSeconds) s, when series no longer sent have expired", encoding)
                response.headers["retry-after"] = String(options.retryAfterSeconds)
                return response
            }
            conversion = mapped
        } catch {
            return status(400, error.message, encoding)
        }
        metrics.add("strmscope_otlp_points_received_total", Labels(), Double(conversion.acceptedPoints))
        for (reason, count) in conversion.rejectedByReason {
            metrics.add("strmscope_otlp_points_dropped_total", ["reason": reason], Double(count))
        }
        let fresh = reportedReasons.withLock { reported in
            conversion.rejectedByReason.keys.filter { reported.insert($0).inserted }
        }
        for reason in fresh.sorted() {
            report("otlp: dropping data points: \(conversion.messageByReason[reason] ?? reason) "
                + "(counted in strmscope_otlp_points_dropped_total{reason=\"\(reason)\"}; reported once)")
        }
        var reply = ExportMetricsServiceResponse()
        if conversion.rejectedPoints > 0 {
            reply.partialSuccess.rejectedDataPoints = Int64(conversion.rejectedPoints)
            reply.partialSuccess.errorMessage = conversion.messages.joined(separator: "; ")
        }
        return encode(reply, encoding, status: 200)
    }

    /// Points with a label value over `limit` bytes are dropped, counted under
    /// `label_value_too_long` (a sender's bug or an attack, never worth the memory).
    static func dropLongLabelValues(_ conversion: inout OTLPConversion, limit: Int) {
        for f in conversion.families.indices {
            let before = conversion.families[f].points.count
            conversion.families[f].points.removeAll { point in point.labels.pairs.contains { $0.value.utf8.count > limit } }
            let dropped = before - conversion.families[f].points.count
            conversion.reject("label_value_too_long", dropped, metric: conversion.families[f].name,
                              detail: "a label value is longer than \(limit) bytes")
        }
    }

    private func encode(_ message: ExportMetricsServiceResponse, _ encoding: Encoding, status: Int) -> HTTPServerResponse {
        switch encoding {
        case .protobuf:
            let bytes: [UInt8] = (try? message.serializedBytes()) ?? []
            return HTTPServerResponse(status: status, headers: ["content-type": "application/x-protobuf"], body: bytes)
        case .json:
            let text = (try? message.jsonString()) ?? "{}"
            return HTTPServerResponse(status: status, headers: ["content-type": "application/json"], body: Array(text.utf8))
        }
    }

    /// A `google.rpc.Status` body: code (gRPC's, from the HTTP status) and message.
    private func status(_ httpStatus: Int, _ message: String, _ encoding: Encoding) -> HTTPServerResponse {
        let code: Int = switch httpStatus {
        case 400: 3  // INVALID_ARGUMENT
        case 401: 16  // UNAUTHENTICATED
        case 413, 429: 8  // RESOURCE_EXHAUSTED
        case 404: 5  // NOT_FOUND
        case 405, 415: 12  // UNIMPLEMENTED
        default: 2  // UNKNOWN
        }
        switch encoding {
        case .protobuf:
            // Field 1 (int32 code, varint) and field 2 (string message): small enough to write by hand.
            var bytes: [UInt8] = [0x08, UInt8(code), 0x12]
            let text = Array(message.utf8)
            var length = text.count
            while length >= 0x80 {
                bytes.append(UInt8(length & 0x7f) | 0x80)
                length >>= 7
            }
            bytes.append(UInt8(length))
            bytes += text
            return HTTPServerResponse(status: httpStatus, headers: ["content-type": "application/x-protobuf"], body: bytes)
        case .json:
            return HTTPServerResponse(status: httpStatus, headers: ["content-type": "application/json"],
                                      body: Array("{\"code\":\(code),\"message\":\(jsonQuoted(message))}".utf8))
        }
    }
}

/// Compares without an early exit, so response timing does not reveal how much of a token matched.
func constantTimeEqual(_ a: String, _ b: String) -> Bool {
    let x = Array(a.utf8), y = Array(b.utf8)
    var difference = UInt8(x.count == y.count ? 0 : 1)
    for i in 0..<max(x.count, y.count) {
        difference |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0)
    }
    return difference == 0
}

extension StringProtocol {
    var trimmingSpaces: String {
        String(drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed())
    }
}
