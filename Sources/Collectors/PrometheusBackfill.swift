import PromQL
import ScopeCore
import SeriesStore

/// Fills a local store with the raw samples an expression needs from a Prometheus-compatible
/// server, so strmscope's engine (and the scope) can work on history it did not collect itself.
/// Raw samples come from instant queries of range selectors (`{matchers}[window]`), which the
/// API answers with the stored samples, not step-aligned evaluations.
public enum PrometheusBackfill {
    /// The time span whose samples evaluating `expression` over `startMs...endMs` may read: the
    /// lookback, every range and offset in the expression (summed, an upper bound for nesting),
    /// and any `@` timestamps.
    public static func span(of expression: Expr, startMs: Int64, endMs: Int64, lookbackMs: Int64 = 300_000) -> (minMs: Int64, maxMs: Int64) {
        var reach: Int64 = lookbackMs
        var ahead: Int64 = 0
        var pinned: [Int64] = []
        func note(_ offset: Int64, _ at: AtModifier?) {
            if offset > 0 { reach += offset } else { ahead += -offset }
            if case .timestamp(let t)? = at { pinned.append(t) }
        }
        expression.walk { node in
            switch node {
            case .vectorSelector(let s): note(s.offsetMs, s.at)
            case .matrixSelector(let m):
                reach += m.rangeMs  // its selector (offset, @) is visited as a child
            case .subquery(let q):
                reach += q.rangeMs
                note(q.offsetMs, q.at)
            default: break
            }
            return true
        }
        let low = ([startMs] + pinned).min()! - reach
        let high = ([endMs] + pinned).max()! + ahead
        return (low, high)
    }

    /// Loads every series of every selector of `expression` over its span into `store`; returns
    /// the number of samples stored.
    @discardableResult
    public static func load(
        _ expression: Expr, startMs: Int64, endMs: Int64, from client: PrometheusAPIClient, into store: SeriesStore
    ) throws -> Int {
        let (minMs, maxMs) = span(of: expression, startMs: startMs, endMs: endMs)
        let window = formatDurationMs(max(1, maxMs - minMs))
        // Selectors may overlap (`a / a offset 1h`): merge per series, then append each once, in order.
        var collected: [Labels: [Int64: Double]] = [:]
        var queried = Set<String>()
        for selector in expression.vectorSelectors {
            let text = "{" + selector.matchers.map(\.description).joined(separator: ",") + "}"
            guard queried.insert(text).inserted else { continue }
            guard case .matrix(let series) = try client.query("\(text)[\(window)]", atMs: maxMs) else {
                throw PrometheusAPIClient.APIError.unexpectedResponse("a range selector did not return a matrix")
            }
            for s in series {
                for sample in s.samples where sample.timestampMs >= minMs { collected[s.labels, default: [:]][sample.timestampMs] = sample.value }
            }
        }
        var stored = 0
        for (labels, samples) in collected {
            for (t, v) in samples.sorted(by: { $0.key < $1.key }) {
                try store.append(labels, timestampMs: t, value: v)
                stored += 1
            }
        }
        return stored
    }

    /// Keeps a local store fed from a server for repeated evaluations (`strmscope eval
    /// --prometheus`): the first call loads each selector's whole span, later calls only what is
    /// newer than the previous call. Selectors of `skipNames` (series the rules record
    /// themselves) are not fetched. Returns the number of samples appended.
    public final class Follower: @unchecked Sendable {
        let client: PrometheusAPIClient
        let store: SeriesStore
        let expressions: [Expr]
        let skipNames: Set<String>
        /// The first load reaches back at most this far (a 28-day SLO window would otherwise
        /// pull four weeks of raw samples at start); later loads are incremental.
        let maxInitialMs: Int64
        private var loadedThroughMs: Int64?
        /// When set before the first load: the rules will also be evaluated from this time on
        /// (eval --once judging a `for` window), so the first load reaches back far enough for
        /// their expressions at this time too (still at most `maxInitialMs`).
        public var firstEvaluationMs: Int64?

        public init(client: PrometheusAPIClient, store: SeriesStore, expressions: [Expr], skipNames: Set<String>, maxInitialMs: Int64 = 6 * 3_600_000) {
            self.maxInitialMs = maxInitialMs
            self.client = client
            self.store = store
            self.expressions = expressions
            self.skipNames = skipNames
        }

        @discardableResult
        public func update(atMs nowMs: Int64) throws -> Int {
            var collected: [Labels: [Int64: Double]] = [:]
            var queried = Set<String>()
            for expression in expressions {
                let (minMs, _) = span(of: expression, startMs: min(firstEvaluationMs ?? nowMs, nowMs), endMs: nowMs)
                let fromMs = loadedThroughMs.map { $0 + 1 } ?? max(minMs, nowMs - maxInitialMs)
                guard fromMs <= nowMs else { continue }
                let window = formatDurationMs(max(1, nowMs - fromMs + 1))
                for selector in expression.vectorSelectors {
                    if let name = selector.matchers.first(where: { $0.name == "__name__" && $0.kind == .equal })?.value, skipNames.contains(name) { continue }
                    let text = "{" + selector.matchers.map(\.description).joined(separator: ",") + "}"
                    guard queried.insert(text + window).inserted else { continue }
                    guard case .matrix(let series) = try client.query("\(text)[\(window)]", atMs: nowMs) else {
                        throw PrometheusAPIClient.APIError.unexpectedResponse("a range selector did not return a matrix")
                    }
                    for s in series {
                        for sample in s.samples where sample.timestampMs >= fromMs { collected[s.labels, default: [:]][sample.timestampMs] = sample.value }
                    }
                }
            }
            var stored = 0
            for (labels, samples) in collected {
                for (t, v) in samples.sorted(by: { $0.key < $1.key }) where (try? store.append(labels, timestampMs: t, value: v)) != nil {
                    stored += 1
                }
            }
            loadedThroughMs = nowMs
            return stored
        }
    }
}
