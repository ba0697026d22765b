// The evaluator: every expression is evaluated over a grid of timestamps (one step for an
// instant query, `start…end` by `step` for a range query, its own aligned grid for a subquery's
// inner expression), as Prometheus's `evaluator` does. Instant vectors are kept step-major: a
// table of label sets plus, for every step, the elements present (series id, value), so
// per-series work (grouping keys, match signatures, relabelling) is done once per series, not
// once per step.

import ScopeCore

/// Evaluation timestamps: `start`, `start + step`, … up to `end` (empty when `end < start`).
struct Grid {
    let start: Int64
    let end: Int64
    let step: Int64
    let count: Int

    init(start: Int64, end: Int64, step: Int64) {
        self.start = start
        self.end = end
        self.step = step
        if end < start {
            count = 0
        } else {
            // Extreme `@`/offset values must not trap: an overflowing span counts as "too many
            // steps", which `checkGrid` and the range-query check refuse.
            let (span, overflow) = end.subtractingReportingOverflow(start)
            let steps = span / step
            count = overflow || steps == Int64.max ? Int.max : Int(steps) + 1
        }
    }

    @inline(__always) func time(_ i: Int) -> Int64 { start &+ Int64(i) &* step }

    /// The first step alone, where step-invariant expressions are evaluated.
    var first: Grid { Grid(start: start, end: start, step: step) }
}

/// One element of an instant vector at one step.
struct Elem {
    var id: Int32
    var value: Double
}

/// An instant vector over a grid: `series[id]` are the label sets, `steps[i]` the elements at
/// step i (at most one per id at a step, in the order Prometheus would produce them).
struct VectorSeq {
    var series: [Labels]
    var steps: [[Elem]]

    var sampleCount: Int { steps.reduce(0) { $0 + $1.count } }

    /// Series-major form: every series with at least one point, in id order.
    func toMatrix(_ grid: Grid) -> [Series] {
        var points = [[Sample]](repeating: [], count: series.count)
        for (i, elems) in steps.enumerated() {
            let t = grid.time(i)
            for e in elems { points[Int(e.id)].append(Sample(timestampMs: t, value: e.value)) }
        }
        var out: [Series] = []
        for (id, p) in points.enumerated() where !p.isEmpty { out.append(Series(labels: series[id], samples: p)) }
        return out
    }
}

/// Interns label sets into dense ids.
struct LabelTable {
    private(set) var labels: [Labels] = []
    private var index: [Labels: Int32] = [:]

    /// The id of `l`, and whether it was new.
    mutating func insert(_ l: Labels) -> (id: Int32, inserted: Bool) {
        if let id = index[l] { return (id, false) }
        let id = Int32(labels.count)
        labels.append(l)
        index[l] = id
        return (id, true)
    }

    var count: Int { labels.count }
}

/// Detects two elements with the same series id at one step.
struct StepDuplicateCheck {
    private var stamp: [Int] = []

    /// False when `id` was already seen at `step`.
    mutating func firstAt(_ step: Int, _ id: Int32) -> Bool {
        let i = Int(id)
        if i >= stamp.count { stamp.append(contentsOf: repeatElement(-1, count: i - stamp.count + 1)) }
        if stamp[i] == step { return false }
        stamp[i] = step
        return true
    }
}

/// A value over a grid.
enum Value {
    /// One value per step.
    case scalar([Double])
    case vector(VectorSeq)
    /// A range vector; only produced for a one-step grid (instant query of `x[5m]` or a subquery).
    case matrix([Series])
    case string(String)
}

/// Prometheus's `AtModifierUnsafeFunctions`: calls of these are never step invariant.
private let atModifierUnsafeFunctions: Set<String> = [
    "days_in_month", "day_of_month", "day_of_week", "day_of_year", "hour", "minute", "month", "year",
    "predict_linear", "time", "timestamp",
]

/// Prometheus's `preprocessExprHelper` rule: true when the expression has the same value at
/// every step (selectors and subqueries with `@`, literals, and what is built only from those).
/// An aggregation's parameter is not considered, as in Prometheus.
func isStepInvariant(_ e: Expr) -> Bool {
    switch e {
    case .vectorSelector(let v): return v.at != nil
    case .matrixSelector(let m): return m.selector.at != nil
    case .subquery(let s): return s.at != nil
    case .aggregate(let a): return isStepInvariant(a.expr)
    case .binary(let b): return isStepInvariant(b.lhs) && isStepInvariant(b.rhs)
    case .call(let c): return !atModifierUnsafeFunctions.contains(c.function.name) && c.args.allSatisfy(isStepInvariant)
    case .paren(let p): return isStepInvariant(p.expr)
    case .unary(let u): return isStepInvariant(u.expr)
    case .number, .string: return true
    }
}

final class Evaluator {
    let engine: Engine
    let store: any Queryable
    let source: String
    /// The query's start and end, for `@ start()` and `@ end()`.
    let queryStart: Int64
    let queryEnd: Int64

    /// Series loaded by all selectors so far.
    private var seriesLoaded = 0
    /// Samples currently held: loaded from the store, or in results not yet consumed.
    private var samplesHeld = 0

    init(engine: Engine, store: any Queryable, source: String, queryStart: Int64, queryEnd: Int64) {
        self.engine = engine
        self.store = store
        self.source = source
        self.queryStart = queryStart
        self.queryEnd = queryEnd
    }

    // MARK: - Errors and limits

    func error(_ kind: QueryError.Kind, _ message: String, at position: PositionRange) -> QueryError {
        QueryError(kind: kind, message: message, source: source, at: position)
    }

    func internalError(_ what: String, at position: PositionRange) -> QueryError {
        error(.execution, "internal error: \(what)", at: position)
    }

    /// Counts `n` more samples in memory; throws when that exceeds `maxSamples`.
    func acquire(_ n: Int, at position: PositionRange) throws(QueryError) {
        samplesHeld += n
        if samplesHeld > engine.maxSamples {
            throw error(.limit,
                        "query processing would load too many samples into memory in query execution (limit maxSamples: \(engine.maxSamples))",
                        at: position)
        }
    }

    private func size(of value: Value) -> Int {
        switch value {
        case .scalar(let s): return s.count
        case .vector(let v): return v.sampleCount
        case .matrix(let m): return m.reduce(0) { $0 + $1.samples.count }
        case .string: return 0
        }
    }

    /// Rejects grids with more steps than samples may be held.
    func checkGrid(_ grid: Grid, at position: PositionRange) throws(QueryError) {
        if grid.count > engine.maxSamples {
            throw error(.limit, "subquery would evaluate \(grid.count) steps, more than maxSamples (\(engine.maxSamples))", at: position)
        }
    }

    /// The time of an `@` modifier.
    func atTime(_ at: AtModifier?) -> Int64? {
        switch at {
        case nil: return nil
        case .timestamp(let t): return t
        case .start: return queryStart
        case .end: return queryEnd
        }
    }

    // MARK: - Storage

    /// Selects series for `matchers` in `minMs...maxMs`, sorted by labels, within the limits.
    func select(_ matchers: [LabelMatcher], minMs: Int64, maxMs: Int64, at position: PositionRange) throws(QueryError) -> [Series] {
        var result: [Series]
        do {
            result = try store.select(matchers, minMs: minMs, maxMs: maxMs)
        } catch {
            // The store gives up matching label values when the query's time is up.
            if let limit = QueryDeadline.exceeded { throw timedOut(limit.limitMs, at: position) }
            throw self.error(.storage, "storage error: \(error)", at: position)
        }
        seriesLoaded += result.count
        if seriesLoaded > engine.maxSeries {
            throw error(.limit,
                        "query would load more than \(engine.maxSeries) series (limit maxSeries); use more specific label matchers",
                        at: position)
        }
        try acquire(result.reduce(0) { $0 + $1.samples.count }, at: position)
        result.sort { labelsLess($0.labels, $1.labels) }
        return result
    }

    /// The query's time limit ran out while `position` was being evaluated.
    func timedOut(_ limitMs: Int64, at position: PositionRange) -> QueryError {
        error(.limit, "query timed out: evaluation ran longer than the time limit of \(formatDurationMs(limitMs))", at: position)
    }

    // MARK: - Evaluation

    /// Evaluates `expr` at every step of `grid`. While a node is evaluated its children's results
    /// count towards `maxSamples`; afterwards only its own result does.
    func eval(_ expr: Expr, _ grid: Grid) throws(QueryError) -> Value {
        if let limit = QueryDeadline.exceeded { throw timedOut(limit.limitMs, at: expr.position) }
        let held = samplesHeld
        let value = try evalNode(expr, grid)
        samplesHeld = held
        try acquire(size(of: value), at: expr.position)
        return value
    }

    private func evalNode(_ expr: Expr, _ grid: Grid) throws(QueryError) -> Value {
        if grid.count > 1, isStepInvariant(expr) {
            switch expr.unwrappingParens {
            case .number, .string:
                break
            default:
                // Prometheus's StepInvariantExpr: evaluate once, repeat at every step.
                return replicate(try eval(expr, grid.first), to: grid)
            }
        }
        switch expr {
        case .number(let n):
            return .scalar(Array(repeating: n.value, count: grid.count))
        case .string(let s):
            return .string(s.value)
        case .paren(let p):
            return try eval(p.expr, grid)
        case .unary(let u):
            return try evalUnary(u, grid)
        case .vectorSelector(let vs):
            return .vector(try evalVectorSelector(vs, grid))
        case .matrixSelector(let ms):
            guard grid.count == 1 else { throw internalError("range evaluation of a matrix selector", at: ms.position) }
            return .matrix(try evalMatrixSelector(ms, at: grid.start))
        case .subquery(let sq):
            guard grid.count == 1 else { throw internalError("range evaluation of a subquery", at: sq.position) }
            return .matrix(try evalSubquery(sq, grid))
        case .aggregate(let a):
            return try evalAggregate(a, grid)
        case .binary(let b):
            return try evalBinary(b, grid)
        case .call(let c):
            return try evalCall(c, grid)
        }
    }

    private func replicate(_ value: Value, to grid: Grid) -> Value {
        switch value {
        case .scalar(let s):
            return .scalar(Array(repeating: s.first ?? .nan, count: grid.count))
        case .vector(let v):
            return .vector(VectorSeq(series: v.series, steps: Array(repeating: v.steps.first ?? [], count: grid.count)))
        case .matrix, .string:
            return value
        }
    }

    /// The instant-vector value of a sub-expression (the type checker guarantees the type).
    func vectorValue(_ expr: Expr, _ grid: Grid) throws(QueryError) -> VectorSeq {
        guard case .vector(let v) = try eval(expr, grid) else { throw internalError("expected an instant vector", at: expr.position) }
        return v
    }

    /// The scalar value of a sub-expression.
    func scalarValue(_ expr: Expr, _ grid: Grid) throws(QueryError) -> [Double] {
        guard case .scalar(let s) = try eval(expr, grid) else { throw internalError("expected a scalar", at: expr.position) }
        return s
    }

    /// The value of a string-typed argument (a string literal, maybe in parentheses).
    func stringValue(_ expr: Expr) throws(QueryError) -> String {
        guard case .string(let s) = expr.unwrappingParens else { throw internalError("expected a string literal", at: expr.position) }
        return s.value
    }

    // MARK: - Selectors

    func evalVectorSelector(_ vs: VectorSelector, _ grid: Grid) throws(QueryError) -> VectorSeq {
        guard grid.count > 0 else { return VectorSeq(series: [], steps: []) }
        let at = atTime(vs.at)
        let offset = vs.offsetMs
        let firstRef = (at ?? grid.start) &- offset
        let lastRef = (at ?? grid.time(grid.count - 1)) &- offset
        let lookback = engine.lookbackMs
        let loaded = try select(vs.matchers, minMs: firstRef &- lookback, maxMs: lastRef, at: vs.position)
        var steps = [[Elem]](repeating: [], count: grid.count)
        var table: [Labels] = []
        for series in loaded {
            let samples = series.samples
            let id = Int32(table.count)
            var any = false
            var j = 0
            for i in 0..<grid.count {
                let ref = (at ?? grid.time(i)) &- offset
                while j < samples.count && samples[j].timestampMs <= ref { j += 1 }
                guard j > 0 else { continue }
                let s = samples[j - 1]
                if s.timestampMs < ref &- lookback || s.value.isStaleMarker { continue }
                steps[i].append(Elem(id: id, value: s.value))
                any = true
            }
            if any { table.append(series.labels) }
        }
        return VectorSeq(series: table, steps: steps)
    }

    /// `timestamp(selector)`: the timestamps of the samples the selector picks (`@` and offset
    /// applied), not the evaluation time.
    func evalTimestampOfSelector(_ vs: VectorSelector, _ grid: Grid, at position: PositionRange) throws(QueryError) -> VectorSeq {
        guard grid.count > 0 else { return VectorSeq(series: [], steps: []) }
        let at = atTime(vs.at)
        func ref(_ i: Int) -> Int64 { (at ?? grid.time(i)) &- vs.offsetMs }
        let lookback = engine.lookbackMs
        let loaded = try select(vs.matchers, minMs: ref(0) &- lookback, maxMs: ref(grid.count - 1), at: vs.position)
        var table = LabelTable()
        var dup = StepDuplicateCheck()
        var steps = [[Elem]](repeating: [], count: grid.count)
        for series in loaded {
            let samples = series.samples
            let id = table.insert(series.labels.droppingMetricName).id
            var j = 0
            for i in 0..<grid.count {
                let r = ref(i)
                while j < samples.count && samples[j].timestampMs <= r { j += 1 }
                guard j > 0 else { continue }
                let s = samples[j - 1]
                if s.timestampMs < r &- lookback || s.value.isStaleMarker { continue }
                guard dup.firstAt(i, id) else { throw duplicateLabelset(at: position) }
                steps[i].append(Elem(id: id, value: Double(s.timestampMs) / 1000))
            }
        }
        return VectorSeq(series: table.labels, steps: steps)
    }

    /// The samples of a range selector at one evaluation time (instant queries only).
    func evalMatrixSelector(_ ms: MatrixSelector, at t: Int64) throws(QueryError) -> [Series] {
        let end = (atTime(ms.selector.at) ?? t) &- ms.selector.offsetMs
        let start = end &- ms.rangeMs
        let loaded = try select(ms.selector.matchers, minMs: start, maxMs: end, at: ms.position)
        var out: [Series] = []
        for series in loaded {
            let points = series.samples.filter { $0.timestampMs >= start && $0.timestampMs <= end && !$0.value.isStaleMarker }
            if !points.isEmpty { out.append(Series(labels: series.labels, samples: points)) }
        }
        return out
    }

    /// Evaluates a subquery's inner expression once over the aligned grid that covers every
    /// window the steps of `grid` need, as Prometheus does, and returns it series-major.
    func evalSubquery(_ sq: SubqueryExpr, _ grid: Grid) throws(QueryError) -> [Series] {
        let step = sq.stepMs ?? engine.defaultSubqueryStepMs
        guard step > 0 else { throw error(.invalidQuery, "subquery step must be positive", at: sq.position) }
        guard grid.count > 0 else { return [] }
        let at = atTime(sq.at)
        let end = (at ?? grid.time(grid.count - 1)) &- sq.offsetMs
        let lowest = (at ?? grid.start) &- sq.offsetMs &- sq.rangeMs
        // The first multiple of the step at or after `lowest` (Go's truncating division).
        var start = step &* (lowest / step)
        if start < lowest { start = start &+ step }
        guard start <= end else { return [] }
        let inner = Grid(start: start, end: end, step: step)
        try checkGrid(inner, at: sq.position)
        let value = try vectorValue(sq.expr, inner)
        return value.toMatrix(inner)
    }

    // MARK: - Unary

    private func evalUnary(_ u: UnaryExpr, _ grid: Grid) throws(QueryError) -> Value {
        let value = try eval(u.expr, grid)
        guard u.op == .minus else { return value }
        switch value {
        case .scalar(let s):
            return .scalar(s.map { -$0 })
        case .vector(let v):
            // Prometheus checks the whole result matrix for duplicate label sets here.
            return .vector(try mapSeries(v, at: u.position, wholeRangeCheck: true, labels: { $0.droppingMetricName }, value: { _, x in -x }))
        default:
            throw internalError("unary minus of a \(u.expr.type)", at: u.position)
        }
    }

    // MARK: - Shared helpers

    func duplicateLabelset(at position: PositionRange) -> QueryError {
        error(.execution, "vector cannot contain metrics with the same labelset", at: position)
    }

    /// Maps every series to new labels (computed once per series) and every element through
    /// `value` (nil drops it). Two elements that end up with the same labels at one step are
    /// Prometheus's "vector cannot contain metrics with the same labelset"; with
    /// `wholeRangeCheck` two such series anywhere in the result are (Prometheus checks the whole
    /// matrix after range-vector functions and unary minus).
    func mapSeries(_ input: VectorSeq, at position: PositionRange, wholeRangeCheck: Bool = false,
                   labels: (Labels) -> Labels, value: (_ step: Int, _ v: Double) -> Double?) throws(QueryError) -> VectorSeq {
        var table = LabelTable()
        var idMap = [Int32](repeating: 0, count: input.series.count)
        var collisions = false
        for (i, l) in input.series.enumerated() {
            let (id, inserted) = table.insert(labels(l))
            idMap[i] = id
            if !inserted { collisions = true }
        }
        var steps = [[Elem]](repeating: [], count: input.steps.count)
        var dup = StepDuplicateCheck()
        var owner = collisions && wholeRangeCheck ? [Int32](repeating: -1, count: table.count) : []
        for (si, elems) in input.steps.enumerated() {
            var out: [Elem] = []
            out.reserveCapacity(elems.count)
            for e in elems {
                guard let v = value(si, e.value) else { continue }
                let id = idMap[Int(e.id)]
                if collisions {
                    guard dup.firstAt(si, id) else { throw duplicateLabelset(at: position) }
                    if wholeRangeCheck {
                        if owner[Int(id)] >= 0 && owner[Int(id)] != e.id { throw duplicateLabelset(at: position) }
                        owner[Int(id)] = e.id
                    }
                }
                out.append(Elem(id: id, value: v))
            }
            steps[si] = out
        }
        return VectorSeq(series: table.labels, steps: steps)
    }
}
