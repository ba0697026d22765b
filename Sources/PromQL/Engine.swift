// The PromQL evaluation engine: instant and range queries over any `ScopeCore.Queryable`, with
// Prometheus 2.42 semantics.
//
//     let engine = Engine()                                   // 5m lookback, default limits
//     let now = try engine.instant("sum by (job) (rate(http_requests_total[5m]))", at: t, on: store)
//     let trace = try engine.range("rate(x[1m])", start: t0, end: t1, step: 15_000, on: store)
//
// All times are milliseconds since the Unix epoch. Errors are `QueryError`s: positioned
// (line:column of the offending part of the query, with a caret line), with a `kind` telling
// syntax errors, unsupported functions, limits, evaluation errors and storage failures apart.
//
// What the engine does, as Prometheus 2.42 does it:
// - lookback (default 5m) for instant vector selectors; a staleness marker ends a series'
//   lookback; range selectors are closed intervals `[t - range, t]` and skip staleness markers;
// - `offset` (negative too) and `@ <t>` / `@ start()` / `@ end()`; step-invariant parts of a
//   range query (Prometheus's `StepInvariantExpr` rules) are evaluated once and repeated;
// - subqueries: default step `defaultSubqueryStepMs` (Prometheus's global evaluation interval,
//   1m), inner steps aligned to multiples of the step (absolute time), evaluated once per query;
// - every aggregation, binary operator, vector matching mode and function of the classic
//   (float) subset, with Prometheus's metric-name dropping, extrapolation, NaN/±Inf handling and
//   error messages ("found duplicate series for the match group …", "many-to-many matching not
//   allowed", "vector cannot contain metrics with the same labelset").
//
// Functions marked `.optional` in `PromQL.functions` (the native-histogram functions)
// fail before evaluation with "unsupported function" at the call's position.
//
// Date functions of NaN or ±Inf answer what Prometheus on amd64 answers (Go converts them to the
// minimum int64 and computes a date from that); `goInt64` documents the conversion.
//
// Deliberate differences from Prometheus 2.42 (its behaviour there is a bug):
// - a range selector or subquery with `@` inside a function Prometheus does not treat as step
//   invariant (`predict_linear`, or a call with a step-dependent argument) keeps its window pinned
//   at the `@` time in range queries; Prometheus's offset-rewriting slides it with the step;
// - instant vector results are sorted by labels, except when the outermost operation is `sort`,
//   `sort_desc`, `topk` or `bottomk`, whose order is kept (Prometheus leaves it unspecified).
// Where Prometheus itself is not deterministic the engine is: series enter every operation in
// label order, so `topk`/`bottomk` ties always pick the same series (Prometheus's choice depends
// on storage and map order). Transcendental functions (exp, ln, sin, atan2, …) use the C library,
// which can differ from Go's math package in the last bit; that only shows where a value becomes
// a label (`count_values`) or feeds a date function.

import ScopeCore

/// A query's value.
public enum QueryResult: Sendable, Equatable {
    case scalar(timestampMs: Int64, value: Double)
    /// An instant vector; every sample carries the evaluation time.
    case vector([InstantSample])
    /// A range vector (instant query of `x[5m]` or a subquery) or the result of a range query:
    /// series sorted by labels, samples in ascending time.
    case matrix([Series])
    case string(timestampMs: Int64, value: String)

    /// An empty vector or matrix (a scalar or string always has a value).
    public var isEmpty: Bool {
        switch self {
        case .vector(let samples): samples.isEmpty
        case .matrix(let series): series.isEmpty
        case .scalar, .string: false
        }
    }
}

/// One element of an instant vector.
public struct InstantSample: Sendable, Equatable, CustomStringConvertible {
    public var labels: Labels
    public var timestampMs: Int64
    public var value: Double

    public init(labels: Labels, timestampMs: Int64, value: Double) {
        self.labels = labels
        self.timestampMs = timestampMs
        self.value = value
    }

    /// Bit-equal values, so NaN equals NaN.
    public static func == (a: Self, b: Self) -> Bool {
        a.labels == b.labels && a.timestampMs == b.timestampMs && a.value.bitPattern == b.value.bitPattern
    }

    /// `name{a="b"} 1.5`, as Prometheus prints a sample.
    public var description: String { "\(formatMetric(labels)) \(formatSampleValue(value))" }
}

/// A label set as Prometheus prints a metric: the name outside the braces (`up{job="a"}`,
/// `{job="a"}` without a name, `up` without other labels).
public func formatMetric(_ labels: Labels) -> String {
    let name = labels["__name__"]
    let rest = labels.pairs.filter { $0.name != "__name__" }
    if let name, rest.isEmpty { return name }
    let body = rest.map { "\($0.name)=\(goQuote($0.value))" }.joined(separator: ", ")
    return (name ?? "") + "{" + body + "}"
}

/// Why a query failed, where in the query, and a message a human can act on.
public struct QueryError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable, Equatable {
        /// The query does not parse or type-check.
        case syntax
        /// A function the engine does not implement (the native-histogram functions).
        case unsupported
        /// `maxSamples` or `maxSeries` exceeded, or a range query with too many steps.
        case limit
        /// An evaluation error Prometheus also reports (vector matching, duplicate label sets,
        /// invalid regular expression in label_replace, …).
        case execution
        /// The store failed.
        case storage
        /// The query cannot run in this mode (a range vector in a range query, a bad step).
        case invalidQuery
    }

    public var kind: Kind
    /// The message without position, as Prometheus words it where it has an equivalent.
    public var message: String
    /// Where in the query, when the error is about a part of it.
    public var position: SourcePosition?
    /// The query line the position is on, for the caret display.
    public var sourceLine: String?

    public init(kind: Kind, message: String, position: SourcePosition? = nil, sourceLine: String? = nil) {
        self.kind = kind
        self.message = message
        self.position = position
        self.sourceLine = sourceLine
    }

    /// An error about `range` of `source` (no position when the source text is unknown).
    init(kind: Kind, message: String, source: String, at range: PositionRange?) {
        self.kind = kind
        self.message = message
        if let range, !source.isEmpty {
            let located = PromQL.error(message, at: range, in: source)
            position = located.position
            sourceLine = located.sourceLine
        }
    }

    /// A parse or type-check error.
    public init(_ parseError: ParseError) {
        self.init(kind: .syntax, message: parseError.message, position: parseError.position, sourceLine: parseError.sourceLine)
    }

    /// `3:14: message`, or the bare message without a position.
    public var headline: String {
        guard let position else { return message }
        return "\(position.line):\(position.column): \(message)"
    }

    /// The headline, then the query line and a caret under the column.
    public var description: String {
        guard let position, let sourceLine else { return headline }
        let caret = String(repeating: " ", count: max(0, position.column - 1)) + "^"
        return "\(headline)\n  \(sanitizeForTerminal(sourceLine))\n  \(caret)"
    }
}

/// Evaluates PromQL over a `Queryable`. A value type: configure it once, share it freely.
public struct Engine: Sendable {
    /// How far back an instant vector selector looks for a sample (Prometheus: 5m).
    public var lookbackMs: Int64
    /// The most samples a query may hold in memory at once: samples loaded from the store plus
    /// the points of intermediate and final results (Prometheus's `--query.max-samples`).
    public var maxSamples: Int
    /// The most series all the selectors of one query may load together.
    public var maxSeries: Int
    /// The step of a subquery written without one (`x[1h:]`): Prometheus uses the global
    /// evaluation interval, 1m by default.
    public var defaultSubqueryStepMs: Int64
    /// The longest one evaluation may run (Prometheus's `--query.timeout`); nil: no limit. A
    /// query over it fails with a positioned error naming the limit.
    public var timeoutMs: Int64?

    public init(lookbackMs: Int64 = 5 * 60_000, maxSamples: Int = 50_000_000, maxSeries: Int = 1_000_000,
                defaultSubqueryStepMs: Int64 = 60_000, timeoutMs: Int64? = nil) {
        self.lookbackMs = lookbackMs
        self.maxSamples = maxSamples
        self.maxSeries = maxSeries
        self.defaultSubqueryStepMs = defaultSubqueryStepMs
        self.timeoutMs = timeoutMs
    }

    /// Runs `body` under this engine's time limit (an outer, earlier limit stays in force).
    func withTimeLimit<T>(_ body: () throws(QueryError) -> T) throws(QueryError) -> T {
        guard let timeoutMs else { return try body() }
        let limit = QueryDeadline.Limit(limitMs: timeoutMs)
        if let outer = QueryDeadline.current, outer.atNanos <= limit.atNanos { return try body() }
        let result: Result<T, QueryError> = QueryDeadline.$current.withValue(limit) {
            do throws(QueryError) { return .success(try body()) } catch { return .failure(error) }
        }
        return try result.get()
    }

    // MARK: - Instant queries

    /// Evaluates `query` at `timeMs`.
    public func instant(_ query: String, at timeMs: Int64, on store: some Queryable) throws(QueryError) -> QueryResult {
        let expr: Expr
        do { expr = try PromQL.parse(query) } catch { throw QueryError(error) }
        return try instant(expr, source: query, at: timeMs, on: store)
    }

    /// Evaluates a parsed expression at `timeMs`. Pass the text it was parsed from as `source` so
    /// errors carry line:column.
    public func instant(_ expr: Expr, source: String = "", at timeMs: Int64, on store: some Queryable) throws(QueryError) -> QueryResult {
        try Engine.checkSupported(expr, source: source)
        try checkOptions()
        let evaluator = Evaluator(engine: self, store: store, source: source, queryStart: timeMs, queryEnd: timeMs)
        let grid = Grid(start: timeMs, end: timeMs, step: 1)
        let value = try withTimeLimit { () throws(QueryError) in try evaluator.eval(expr, grid) }
        switch value {
        case .scalar(let values):
            return .scalar(timestampMs: timeMs, value: values.first ?? .nan)
        case .string(let s):
            return .string(timestampMs: timeMs, value: s)
        case .matrix(let series):
            return .matrix(series.sorted { labelsLess($0.labels, $1.labels) })
        case .vector(let seq):
            var samples = (seq.steps.first ?? []).map {
                InstantSample(labels: seq.series[Int($0.id)], timestampMs: timeMs, value: $0.value)
            }
            if !Engine.keepsOrder(expr) {
                samples.sort { labelsLess($0.labels, $1.labels) }
            }
            return .vector(samples)
        }
    }

    // MARK: - Range queries

    /// Evaluates `query` at `start`, `start + step`, … up to `end` (all milliseconds). The query
    /// must be a scalar or an instant vector. The result is a matrix sorted by labels.
    public func range(_ query: String, start: Int64, end: Int64, step: Int64, on store: some Queryable) throws(QueryError) -> QueryResult {
        let expr: Expr
        do { expr = try PromQL.parse(query) } catch { throw QueryError(error) }
        return try range(expr, source: query, start: start, end: end, step: step, on: store)
    }

    /// Evaluates a parsed expression as a range query; see `range(_:start:end:step:on:)`.
    public func range(_ expr: Expr, source: String = "", start: Int64, end: Int64, step: Int64,
                      on store: some Queryable) throws(QueryError) -> QueryResult {
        try Engine.checkSupported(expr, source: source)
        try checkOptions()
        let type = expr.type
        guard type == .scalar || type == .instantVector else {
            throw QueryError(kind: .invalidQuery,
                             message: "invalid expression type \(goQuote(type.description)) for range query, must be Scalar or instant Vector",
                             source: source, at: expr.position)
        }
        guard step > 0 else {
            throw QueryError(kind: .invalidQuery, message: "zero or negative query resolution step widths are not accepted (step \(step)ms)")
        }
        guard end >= start else {
            throw QueryError(kind: .invalidQuery, message: "end timestamp must not be before start time")
        }
        let (span, overflow) = end.subtractingReportingOverflow(start)
        guard !overflow, span / step < Int64(maxSamples) else {
            throw QueryError(kind: .limit,
                             message: "range query would evaluate more than \(maxSamples) steps (limit maxSamples); use a larger step or a shorter range")
        }
        let evaluator = Evaluator(engine: self, store: store, source: source, queryStart: start, queryEnd: end)
        let grid = Grid(start: start, end: end, step: step)
        let value = try withTimeLimit { () throws(QueryError) in try evaluator.eval(expr, grid) }
        switch value {
        case .scalar(let values):
            var samples: [Sample] = []
            samples.reserveCapacity(values.count)
            for (i, v) in values.enumerated() { samples.append(Sample(timestampMs: grid.time(i), value: v)) }
            return .matrix([Series(labels: Labels(), samples: samples)])
        case .vector(let seq):
            return .matrix(seq.toMatrix(grid).sorted { labelsLess($0.labels, $1.labels) })
        case .matrix, .string:
            throw QueryError(kind: .invalidQuery, message: "range query of a \(type) expression", source: source, at: expr.position)
        }
    }

    // MARK: - Checks

    /// Throws `unsupported function "name"` at the first call of a function the engine does
    /// not implement (those marked `.optional` in `PromQL.functions`).
    public static func checkSupported(_ expr: Expr, source: String = "") throws(QueryError) {
        var unsupported: Call?
        expr.walk { e in
            if unsupported == nil, case .call(let c) = e, c.function.support == .optional { unsupported = c }
            return unsupported == nil
        }
        if let c = unsupported {
            throw QueryError(kind: .unsupported,
                             message: "unsupported function \(goQuote(c.function.name)): strmscope's PromQL engine does not implement it",
                             source: source, at: c.position)
        }
    }

    private func checkOptions() throws(QueryError) {
        guard lookbackMs > 0, maxSamples > 0, maxSeries > 0, defaultSubqueryStepMs > 0, (timeoutMs ?? 1) > 0 else {
            throw QueryError(kind: .invalidQuery,
                             message: "engine options must be positive (lookbackMs \(lookbackMs), maxSamples \(maxSamples), maxSeries \(maxSeries), defaultSubqueryStepMs \(defaultSubqueryStepMs))")
        }
    }

    /// True when the outermost operation defines the order of the result.
    static func keepsOrder(_ expr: Expr) -> Bool {
        switch expr.unwrappingParens {
        case .call(let c): return c.function.name == "sort" || c.function.name == "sort_desc"
        case .aggregate(let a): return a.op == .topk || a.op == .bottomk
        default: return false
        }
    }
}

/// A sample value as Prometheus prints it in test output (`+Inf`, `NaN`, shortest digits).
func formatSampleValue(_ v: Double) -> String {
    if v.isNaN { return "NaN" }
    if v.isInfinite { return v > 0 ? "+Inf" : "-Inf" }
    return goFormatG(v)
}
