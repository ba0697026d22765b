import Exposition
import ScopeCore

/// `/metrics` (Prometheus text 0.0.4, or OpenMetrics 1.0 when the scraper's Accept header asks
/// for it), `/healthz` (the process serves) and `/readyz` (the first collection is done) as pure
/// handlers over a snapshot closure.
public struct MetricsEndpoint: Sendable {
    /// The families to expose, taken fresh per request.
    public var families: @Sendable () -> [MetricFamily]
    /// nil when ready, else why not (the 503's body).
    public var notReadyReason: @Sendable () -> String?

    public init(families: @escaping @Sendable () -> [MetricFamily], notReadyReason: @escaping @Sendable () -> String?) {
        self.families = families
        self.notReadyReason = notReadyReason
    }

    public var routes: [HTTPRoute] {
        [
            HTTPRoute(path: "/metrics") { request in metrics(request) },
            HTTPRoute(path: "/healthz") { request in
                request.method == "GET" || request.method == "HEAD" ? .text(200, "ok") : .text(405, "use GET")
            },
            HTTPRoute(path: "/readyz") { request in
                guard request.method == "GET" || request.method == "HEAD" else { return .text(405, "use GET") }
                if let reason = notReadyReason() { return .text(503, "not ready: \(reason)") }
                return .text(200, "ready")
            },
        ]
    }

    public func metrics(_ request: HTTPServerRequest) -> HTTPServerResponse {
        guard request.method == "GET" || request.method == "HEAD" else { return .text(405, "use GET") }
        let (dialect, contentType) = negotiateExposition(accept: request.header("accept"))
        return HTTPServerResponse(status: 200, headers: ["content-type": contentType],
                                  body: Array(encodeExposition(families(), as: dialect).utf8))
    }
}
