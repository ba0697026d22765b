// Functions of range vectors (`rate`, `*_over_time`, …): for every series and every step, the
// samples in the window `[t - range, t]` (both ends included, as in Prometheus 2.42; staleness
// markers skipped), shifted by offset and pinned by `@`.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import ScopeCore

/// The range-vector functions, resolved once per call.
enum RangeFunction {
    case rate, increase, delta, irate, idelta, deriv, predictLinear, holtWinters, resets, changes
    case avgOverTime, minOverTime, maxOverTime, sumOverTime, countOverTime, lastOverTime
    case quantileOverTime, stddevOverTime, stdvarOverTime, presentOverTime, absentOverTime

    init?(name: String) {
        switch name {
        case "rate": self = .rate
        case "increase": self = .increase
        case "delta": self = .delta
        case "irate": self = .irate
        case "idelta": self = .idelta
        case "deriv": self = .deriv
        case "predict_linear": self = .predictLinear
        case "holt_winters": self = .holtWinters
        case "resets": self = .resets
        case "changes": self = .changes
        case "avg_over_time": self = .avgOverTime
        case "min_over_time": self = .minOverTime
        case "max_over_time": self = .maxOverTime
        case "sum_over_time": self = .sumOverTime
        case "count_over_time": self = .countOverTime
        case "last_over_time": self = .lastOverTime
        case "quantile_over_time": self = .quantileOverTime
        case "stddev_over_time": self = .stddevOverTime
        case "stdvar_over_time": self = .stdvarOverTime
        case "present_over_time": self = .presentOverTime
        case "absent_over_time": self = .absentOverTime
        default: return nil
        }
    }
}

/// What a range function sees at one step.
struct RangeWindow {
    /// The evaluation time of the step.
    var ts: Int64
    /// The window's bounds, `@` and offset applied.
    var start: Int64
    var end: Int64
    /// The selector's (or subquery's) range.
    var rangeMs: Int64
    /// The scalar argument at this step (`predict_linear`'s duration, `quantile_over_time`'s q,
    /// `holt_winters`' smoothing factor)…
    var param: Double
    /// …and the second one (`holt_winters`' trend factor).
    var param2: Double = 0
}

extension Evaluator {
    /// A call whose argument `matrixIndex` is a range vector.
    func evalRangeCall(_ c: Call, matrixIndex: Int, _ grid: Grid) throws(QueryError) -> Value {
        guard let fn = RangeFunction(name: c.function.name) else {
            throw error(.unsupported, "unsupported function \(goQuote(c.function.name))", at: c.position)
        }
        // The scalar argument, if any (evaluated first, as Prometheus does).
        var paramLists: [[Double]] = []
        for (i, arg) in c.args.enumerated() where i != matrixIndex {
            paramLists.append(try scalarValue(arg, grid))
        }
        let params = paramLists.first ?? [Double](repeating: 0, count: grid.count)
        let params2 = paramLists.count > 1 ? paramLists[1] : [Double](repeating: 0, count: grid.count)
        if fn == .holtWinters {
            // Prometheus 2.42 fails the whole query on a factor outside (0, 1).
            for (sf, tf) in zip(params, params2) {
                if !(sf > 0 && sf < 1) {
                    throw error(.execution, "invalid smoothing factor. Expected: 0 < sf < 1, got: \(formatFixed6(sf))", at: c.position)
                }
                if !(tf > 0 && tf < 1) {
                    throw error(.execution, "invalid trend factor. Expected: 0 < tf < 1, got: \(formatFixed6(tf))", at: c.position)
                }
            }
        }

        let arg = c.args[matrixIndex].unwrappingParens
        var inputs: [Series]
        var ends = [Int64](repeating: 0, count: grid.count)
        let rangeMs: Int64
        var absentLabels = Labels()
        switch arg {
        case .matrixSelector(let ms):
            let at = atTime(ms.selector.at)
            for i in 0..<grid.count { ends[i] = (at ?? grid.time(i)) &- ms.selector.offsetMs }
            rangeMs = ms.rangeMs
            guard grid.count > 0 else { return .vector(VectorSeq(series: [], steps: [])) }
            inputs = try select(ms.selector.matchers, minMs: ends[0] &- rangeMs, maxMs: ends[grid.count - 1], at: ms.position)
            for i in inputs.indices where inputs[i].samples.contains(where: { $0.value.isStaleMarker }) {
                inputs[i].samples.removeAll { $0.value.isStaleMarker }
            }
            absentLabels = labelsForAbsent(ms.selector.matchers)
        case .subquery(let sq):
            let at = atTime(sq.at)
            for i in 0..<grid.count { ends[i] = (at ?? grid.time(i)) &- sq.offsetMs }
            rangeMs = sq.rangeMs
            inputs = try evalSubquery(sq, grid)
        default:
            throw internalError("range-vector argument is neither a selector nor a subquery", at: arg.position)
        }

        let keepName = fn == .lastOverTime
        var table = LabelTable()
        var steps = [[Elem]](repeating: [], count: grid.count)
        for series in inputs {
            let samples = series.samples
            var lo = 0
            var hi = 0
            var outId: Int32 = -1
            for i in 0..<grid.count {
                let end = ends[i]
                let start = end &- rangeMs
                while lo < samples.count && samples[lo].timestampMs < start { lo += 1 }
                if hi < lo { hi = lo }
                while hi < samples.count && samples[hi].timestampMs <= end { hi += 1 }
                guard lo < hi else { continue }
                let window = RangeWindow(ts: grid.time(i), start: start, end: end, rangeMs: rangeMs, param: params[i], param2: params2[i])
                guard let v = applyRangeFunction(fn, samples[lo..<hi], window) else { continue }
                if outId < 0 {
                    let (id, inserted) = table.insert(keepName ? series.labels : series.labels.droppingMetricName)
                    // Prometheus: "vector cannot contain metrics with the same labelset" when two
                    // series of the result matrix have the same labels.
                    // (absent_over_time answers before that check in Prometheus.)
                    guard inserted || fn == .absentOverTime else { throw duplicateLabelset(at: c.position) }
                    outId = id
                }
                steps[i].append(Elem(id: outId, value: v))
            }
        }

        if fn == .absentOverTime {
            // 1 at the steps where no series had a sample in its window.
            var out = [[Elem]](repeating: [], count: grid.count)
            for i in 0..<grid.count where steps[i].isEmpty { out[i] = [Elem(id: 0, value: 1)] }
            return .vector(VectorSeq(series: [absentLabels], steps: out))
        }
        return .vector(VectorSeq(series: table.labels, steps: steps))
    }

    /// The labels `absent`/`absent_over_time` give their result: the equality matchers of the
    /// selector, except `__name__` and labels matched more than once or otherwise.
    func labelsForAbsent(_ matchers: [LabelMatcher]) -> Labels {
        var labels = Labels()
        var dropped: [String] = []
        for m in matchers where m.name != "__name__" {
            if m.kind == .equal && labels[m.name] == nil {
                labels = labels.setting(m.name, orRemovingIfEmpty: m.value)
            } else {
                dropped.append(m.name)
            }
        }
        for name in dropped { labels = labels.removing(name) }
        return labels
    }
}

/// One range function on one window of samples (ascending, no staleness markers, not empty);
/// nil when it has no value there.
func applyRangeFunction(_ fn: RangeFunction, _ s: ArraySlice<Sample>, _ w: RangeWindow) -> Double? {
    switch fn {
    case .rate: return extrapolatedRate(s, w, isCounter: true, isRate: true)
    case .increase: return extrapolatedRate(s, w, isCounter: true, isRate: false)
    case .delta: return extrapolatedRate(s, w, isCounter: false, isRate: false)
    case .irate: return instantValue(s, isRate: true)
    case .idelta: return instantValue(s, isRate: false)
    case .deriv:
        guard s.count >= 2 else { return nil }
        return linearRegression(s, interceptTime: s[s.startIndex].timestampMs).slope
    case .predictLinear:
        guard s.count >= 2 else { return nil }
        let (slope, intercept) = linearRegression(s, interceptTime: w.ts)
        return slope * w.param + intercept
    case .holtWinters:
        // Double exponential smoothing, as Prometheus 2.42's funcHoltWinters.
        guard s.count >= 2 else { return nil }
        let sf = w.param
        let tf = w.param2
        var s0 = 0.0
        var s1 = s[s.startIndex].value
        var trend = s[s.startIndex + 1].value - s[s.startIndex].value
        for (i, sample) in s.dropFirst().enumerated() {
            if i > 0 { trend = tf * (s1 - s0) + (1 - tf) * trend }
            let smoothed = sf * sample.value + (1 - sf) * (s1 + trend)
            s0 = s1
            s1 = smoothed
        }
        return s1
    case .resets:
        var resets = 0
        var prev = s[s.startIndex].value
        for sample in s.dropFirst() {
            if sample.value < prev { resets += 1 }
            prev = sample.value
        }
        return Double(resets)
    case .changes:
        var changes = 0
        var prev = s[s.startIndex].value
        for sample in s.dropFirst() {
            let current = sample.value
            if current != prev && !(current.isNaN && prev.isNaN) { changes += 1 }
            prev = current
        }
        return Double(changes)
    case .avgOverTime:
        var mean = 0.0, count = 0.0, c = 0.0
        for sample in s {
            let v = sample.value
            count += 1
            if mean.isInfinite {
                // Inf of the same sign cannot be subtracted but the mean is right already; a
                // finite value cannot change an infinite mean.
                if v.isInfinite && (mean > 0) == (v > 0) { continue }
                if !v.isInfinite && !v.isNaN { continue }
            }
            (mean, c) = kahanSumInc(v / count - mean / count, mean, c)
        }
        return mean.isInfinite ? mean : mean + c
    case .minOverTime:
        var m = s[s.startIndex].value
        for sample in s where sample.value < m || m.isNaN { m = sample.value }
        return m
    case .maxOverTime:
        var m = s[s.startIndex].value
        for sample in s where sample.value > m || m.isNaN { m = sample.value }
        return m
    case .sumOverTime:
        var sum = 0.0, c = 0.0
        for sample in s { (sum, c) = kahanSumInc(sample.value, sum, c) }
        return sum.isInfinite ? sum : sum + c
    case .countOverTime:
        return Double(s.count)
    case .lastOverTime:
        return s[s.index(before: s.endIndex)].value
    case .quantileOverTime:
        var values = s.map(\.value)
        return quantile(w.param, &values)
    case .stddevOverTime:
        return varianceOverTime(s).squareRoot()
    case .stdvarOverTime:
        return varianceOverTime(s)
    case .presentOverTime, .absentOverTime:
        return 1
    }
}

/// Neumaier's improved Kahan summation step: the new sum and compensation.
@inline(__always)
func kahanSumInc(_ inc: Double, _ sum: Double, _ c: Double) -> (Double, Double) {
    let t = sum + inc
    if Swift.abs(sum) >= Swift.abs(inc) {
        return (t, c + ((sum - t) + inc))
    }
    return (t, c + ((inc - t) + sum))
}

/// Population variance with Welford's method and Kahan-compensated accumulators.
private func varianceOverTime(_ s: ArraySlice<Sample>) -> Double {
    var count = 0.0, mean = 0.0, cMean = 0.0, aux = 0.0, cAux = 0.0
    for sample in s {
        let v = sample.value
        count += 1
        let delta = v - (mean + cMean)
        (mean, cMean) = kahanSumInc(delta / count, mean, cMean)
        (aux, cAux) = kahanSumInc(delta * (v - (mean + cMean)), aux, cAux)
    }
    return (aux + cAux) / count
}

/// Prometheus's `extrapolatedRate` for rate, increase and delta: the change over the window
/// (counter resets added back for counters), extrapolated to the window's edges when the first
/// and last samples are close to them (within 1.1 average intervals; otherwise half an average
/// interval), never extrapolating a counter below zero.
private func extrapolatedRate(_ s: ArraySlice<Sample>, _ w: RangeWindow, isCounter: Bool, isRate: Bool) -> Double? {
    guard s.count >= 2 else { return nil }
    let first = s[s.startIndex]
    let last = s[s.index(before: s.endIndex)]
    var result = last.value - first.value
    if isCounter {
        var prev = first.value
        for sample in s.dropFirst() {
            if sample.value < prev { result += prev }
            prev = sample.value
        }
    }
    var durationToStart = Double(first.timestampMs &- w.start) / 1000
    let durationToEnd = Double(w.end &- last.timestampMs) / 1000
    let sampledInterval = Double(last.timestampMs - first.timestampMs) / 1000
    let averageDurationBetweenSamples = sampledInterval / Double(s.count - 1)

    if isCounter && result > 0 && first.value >= 0 {
        // Counters cannot be negative: do not extrapolate past the point where it was zero.
        let durationToZero = sampledInterval * (first.value / result)
        if durationToZero < durationToStart { durationToStart = durationToZero }
    }

    let extrapolationThreshold = averageDurationBetweenSamples * 1.1
    var extrapolateToInterval = sampledInterval
    if durationToStart < extrapolationThreshold {
        extrapolateToInterval += durationToStart
    } else {
        extrapolateToInterval += averageDurationBetweenSamples / 2
    }
    if durationToEnd < extrapolationThreshold {
        extrapolateToInterval += durationToEnd
    } else {
        extrapolateToInterval += averageDurationBetweenSamples / 2
    }
    var factor = extrapolateToInterval / sampledInterval
    if isRate {
        // time.Duration.Seconds(): whole seconds plus the fraction.
        factor /= Double(w.rangeMs / 1000) + Double(w.rangeMs % 1000) / 1000
    }
    return result * factor
}

/// `irate`/`idelta`: from the last two samples.
private func instantValue(_ s: ArraySlice<Sample>, isRate: Bool) -> Double? {
    guard s.count >= 2 else { return nil }
    let last = s[s.index(before: s.endIndex)]
    let previous = s[s.index(s.endIndex, offsetBy: -2)]
    var result: Double
    if isRate && last.value < previous.value {
        result = last.value  // counter reset
    } else {
        result = last.value - previous.value
    }
    let sampledInterval = last.timestampMs - previous.timestampMs
    guard sampledInterval != 0 else { return nil }
    if isRate { result /= Double(sampledInterval) / 1000 }
    return result
}

/// Least-squares fit of value against time in seconds relative to `interceptTime`, with
/// Kahan-compensated sums; a constant series has slope 0 (NaN for a constant ±Inf).
func linearRegression(_ s: ArraySlice<Sample>, interceptTime: Int64) -> (slope: Double, intercept: Double) {
    var n = 0.0
    var sumX = 0.0, cX = 0.0, sumY = 0.0, cY = 0.0, sumXY = 0.0, cXY = 0.0, sumX2 = 0.0, cX2 = 0.0
    let initY = s[s.startIndex].value
    var constY = true
    for (i, sample) in s.enumerated() {
        if constY && i > 0 && sample.value != initY { constY = false }
        n += 1
        let x = Double(sample.timestampMs &- interceptTime) / 1e3
        (sumX, cX) = kahanSumInc(x, sumX, cX)
        (sumY, cY) = kahanSumInc(sample.value, sumY, cY)
        (sumXY, cXY) = kahanSumInc(x * sample.value, sumXY, cXY)
        (sumX2, cX2) = kahanSumInc(x * x, sumX2, cX2)
    }
    if constY {
        if initY.isInfinite { return (.nan, .nan) }
        return (0, initY)
    }
    sumX += cX
    sumY += cY
    sumXY += cXY
    sumX2 += cX2
    let covXY = sumXY - sumX * sumY / n
    let varX = sumX2 - sumX * sumX / n
    let slope = covXY / varX
    let intercept = sumY / n - slope * sumX / n
    return (slope, intercept)
}

/// Go's `%f` (six decimals), for Prometheus's error messages.
func formatFixed6(_ v: Double) -> String {
    if v.isNaN { return "NaN" }
    if v.isInfinite { return v > 0 ? "+Inf" : "-Inf" }
    let micros = (abs(v) * 1_000_000).rounded()
    guard micros < 9e18 else { return goFormatG(v) }
    let whole = Int64(micros) / 1_000_000
    let fraction = String(Int64(micros) % 1_000_000)
    return (v < 0 ? "-" : "") + "\(whole)." + String(repeating: "0", count: 6 - fraction.count) + fraction
}
