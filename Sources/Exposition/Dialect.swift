import ScopeCore

/// The two text exposition formats: Prometheus's text format 0.0.4 and OpenMetrics 1.0.
public enum ExpositionDialect: String, Sendable, CaseIterable, CustomStringConvertible {
    /// `text/plain; version=0.0.4` — what every Prometheus client serves by default.
    case prometheusText
    /// `application/openmetrics-text; version=1.0.0` — stricter, with `# EOF`, units, exemplars.
    case openMetrics

    /// The `Content-Type` a server sends for this dialect.
    public var contentType: String {
        switch self {
        case .prometheusText: PrometheusTextEncoder.contentType
        case .openMetrics: OpenMetricsEncoder.contentType
        }
    }

    public var description: String {
        switch self {
        case .prometheusText: "Prometheus text 0.0.4"
        case .openMetrics: "OpenMetrics 1.0"
        }
    }
}

/// The dialect a scraped body is in, from its HTTP `Content-Type`: `application/openmetrics-text`
/// (any parameters, any case) is OpenMetrics; `text/plain` and anything else, including a missing
/// header, is the 0.0.4 text format (what Prometheus falls back to as well).
public func expositionDialect(contentType: String?) -> ExpositionDialect {
    guard let contentType else { return .prometheusText }
    let mediaType = contentType.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
    return trimmed(mediaType).lowercased() == "application/openmetrics-text" ? .openMetrics : .prometheusText
}

/// Content negotiation for a `/metrics` endpoint: given the request's `Accept` header, the dialect
/// to answer in and the `Content-Type` to send. OpenMetrics is chosen only when the client names
/// `application/openmetrics-text` (version 1.0.0, 0.0.1 or unspecified) with a quality at least as
/// high as the best it gives the text format (`text/plain`, `text/*` or `*/*`); otherwise — no
/// header, no OpenMetrics, OpenMetrics refused with `q=0` — the 0.0.4 text format, which every
/// client accepts. This is how Prometheus's own client libraries negotiate.
public func negotiateExposition(accept: String?) -> (dialect: ExpositionDialect, contentType: String) {
    guard let accept else { return (.prometheusText, ExpositionDialect.prometheusText.contentType) }
    var openMetricsQ = -1.0
    var textQ = -1.0
    for range in accept.split(separator: ",") {
        let parts = range.split(separator: ";").map { trimmed($0) }
        guard let first = parts.first, !first.isEmpty else { continue }
        let mediaType = first.lowercased()
        var q = 1.0
        var version: String?
        for parameter in parts.dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1).map { trimmed($0) }
            guard pair.count == 2 else { continue }
            switch pair[0].lowercased() {
            case "q": q = Double(pair[1]).map { min(max($0, 0), 1) } ?? 0
            case "version": version = pair[1].trimmingQuotes()
            default: break
            }
        }
        switch mediaType {
        case "application/openmetrics-text":
            if version == nil || version == "1.0.0" || version == "0.0.1" { openMetricsQ = max(openMetricsQ, q) }
        case "text/plain":
            if version == nil || version == "0.0.4" { textQ = max(textQ, q) }
        case "text/*", "*/*":
            textQ = max(textQ, q)
        default:
            break
        }
    }
    if openMetricsQ > 0 && openMetricsQ >= textQ {
        return (.openMetrics, ExpositionDialect.openMetrics.contentType)
    }
    return (.prometheusText, ExpositionDialect.prometheusText.contentType)
}

/// Encodes families in the given dialect (OpenMetrics output ends with `# EOF`).
public func encodeExposition(_ families: [MetricFamily], as dialect: ExpositionDialect) -> String {
    switch dialect {
    case .prometheusText: PrometheusTextEncoder.encode(families)
    case .openMetrics: OpenMetricsEncoder.encode(families)
    }
}

private func trimmed(_ s: Substring) -> String {
    var view = s[...]
    while let c = view.first, c == " " || c == "\t" { view = view.dropFirst() }
    while let c = view.last, c == " " || c == "\t" { view = view.dropLast() }
    return String(view)
}

extension String {
    fileprivate func trimmingQuotes() -> String {
        count >= 2 && hasPrefix("\"") && hasSuffix("\"") ? String(dropFirst().dropLast()) : self
    }
}
