// Function calls: dispatch, and the functions of instant vectors and scalars.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import ScopeCore

extension Evaluator {
    func evalCall(_ c: Call, _ grid: Grid) throws(QueryError) -> Value {
        let name = c.function.name
        if c.function.support == .optional {
            throw error(.unsupported, "unsupported function \(goQuote(name)): strmscope's PromQL engine does not implement it", at: c.position)
        }
        // timestamp() of a selector answers the sample times, not the evaluation time.
        if name == "timestamp", case .vectorSelector(let vs) = c.args[0].unwrappingParens {
            return .vector(try evalTimestampOfSelector(vs, grid, at: c.position))
        }
        if let matrixIndex = c.args.firstIndex(where: { $0.type == .rangeVector }) {
            return try evalRangeCall(c, matrixIndex: matrixIndex, grid)
        }
        return try evalInstantCall(c, grid)
    }

    /// Applies `f` to every element, dropping the metric name.
    private func elementwise(_ c: Call, _ grid: Grid, _ f: (Double) -> Double) throws(QueryError) -> Value {
        let v = try vectorValue(c.args[0], grid)
        return .vector(try mapSeries(v, at: c.position, labels: { $0.droppingMetricName }, value: { _, x in f(x) }))
    }

    private func evalInstantCall(_ c: Call, _ grid: Grid) throws(QueryError) -> Value {
        let name = c.function.name
        switch name {
        // Elementwise math.
        case "abs": return try elementwise(c, grid) { Swift.abs($0) }
        case "ceil": return try elementwise(c, grid) { ceil($0) }
        case "floor": return try elementwise(c, grid) { floor($0) }
        case "exp": return try elementwise(c, grid) { exp($0) }
        case "sqrt": return try elementwise(c, grid) { $0.squareRoot() }
        case "ln": return try elementwise(c, grid) { log($0) }
        case "log2": return try elementwise(c, grid) { log2($0) }
        case "log10": return try elementwise(c, grid) { log10($0) }
        case "sgn": return try elementwise(c, grid) { $0 < 0 ? -1 : ($0 > 0 ? 1 : $0) }
        case "sin": return try elementwise(c, grid) { sin($0) }
        case "cos": return try elementwise(c, grid) { cos($0) }
        case "tan": return try elementwise(c, grid) { tan($0) }
        case "asin": return try elementwise(c, grid) { asin($0) }
        case "acos": return try elementwise(c, grid) { acos($0) }
        case "atan": return try elementwise(c, grid) { atan($0) }
        case "sinh": return try elementwise(c, grid) { sinh($0) }
        case "cosh": return try elementwise(c, grid) { cosh($0) }
        case "tanh": return try elementwise(c, grid) { tanh($0) }
        case "asinh": return try elementwise(c, grid) { asinh($0) }
        case "acosh": return try elementwise(c, grid) { acosh($0) }
        case "atanh": return try elementwise(c, grid) { atanh($0) }
        case "deg": return try elementwise(c, grid) { $0 * 180 / Double.pi }
        case "rad": return try elementwise(c, grid) { $0 * Double.pi / 180 }

        case "round":
            let v = try vectorValue(c.args[0], grid)
            var toNearest = [Double](repeating: 1, count: grid.count)
            if c.args.count > 1 { toNearest = try scalarValue(c.args[1], grid) }
            return .vector(try mapSeries(v, at: c.position, labels: { $0.droppingMetricName }, value: { step, x in
                // Ties round up; the inverse causes fewer floating-point surprises (Prometheus).
                let inverse = 1.0 / toNearest[step]
                return floor(x * inverse + 0.5) / inverse
            }))
        case "clamp":
            let v = try vectorValue(c.args[0], grid)
            let lo = try scalarValue(c.args[1], grid)
            let hi = try scalarValue(c.args[2], grid)
            return .vector(try mapSeries(v, at: c.position, labels: { $0.droppingMetricName }, value: { step, x in
                hi[step] < lo[step] ? nil : goMax(lo[step], goMin(hi[step], x))
            }))
        case "clamp_min":
            let v = try vectorValue(c.args[0], grid)
            let lo = try scalarValue(c.args[1], grid)
            return .vector(try mapSeries(v, at: c.position, labels: { $0.droppingMetricName }, value: { step, x in goMax(lo[step], x) }))
        case "clamp_max":
            let v = try vectorValue(c.args[0], grid)
            let hi = try scalarValue(c.args[1], grid)
            return .vector(try mapSeries(v, at: c.position, labels: { $0.droppingMetricName }, value: { step, x in goMin(hi[step], x) }))

        // Scalars and conversions.
        case "time":
            return .scalar((0..<grid.count).map { Double(grid.time($0)) / 1000 })
        case "pi":
            return .scalar([Double](repeating: Double.pi, count: grid.count))
        case "vector":
            let s = try scalarValue(c.args[0], grid)
            return .vector(VectorSeq(series: [Labels()], steps: s.map { [Elem(id: 0, value: $0)] }))
        case "scalar":
            let v = try vectorValue(c.args[0], grid)
            return .scalar(v.steps.map { $0.count == 1 ? $0[0].value : .nan })
        case "timestamp":
            // Of anything but a selector: the evaluation time.
            let v = try vectorValue(c.args[0], grid)
            return .vector(try mapSeries(v, at: c.position, labels: { $0.droppingMetricName }, value: { step, _ in
                Double(grid.time(step)) / 1000
            }))

        case "sort", "sort_desc":
            var v = try vectorValue(c.args[0], grid)
            // NaN sorts last either way (Prometheus sorts the reverse order with NaN first).
            let ascending = name == "sort"
            for i in v.steps.indices where v.steps[i].count > 1 {
                if ascending {
                    goSort(&v.steps[i]) { $1.value.isNaN || $1.value > $0.value }
                } else {
                    goSort(&v.steps[i]) { $1.value.isNaN || $1.value < $0.value }
                }
            }
            return .vector(v)

        case "absent":
            let v = try vectorValue(c.args[0], grid)
            var labels = Labels()
            switch c.args[0].unwrappingParens {
            case .vectorSelector(let vs): labels = labelsForAbsent(vs.matchers)
            default: break
            }
            return .vector(VectorSeq(series: [labels], steps: v.steps.map { $0.isEmpty ? [Elem(id: 0, value: 1)] : [] }))

        case "histogram_quantile":
            return try histogramQuantile(c, grid)
        case "label_replace":
            return try labelReplace(c, grid)
        case "label_join":
            return try labelJoin(c, grid)

        case "day_of_month", "day_of_week", "day_of_year", "days_in_month", "hour", "minute", "month", "year":
            let part = DatePart(rawValue: name)!
            if c.args.isEmpty {
                return .vector(VectorSeq(series: [Labels()], steps: (0..<grid.count).map { i in
                    // Go: time.Unix(ts/1000, 0), a truncating division.
                    [Elem(id: 0, value: part.of(unixSeconds: grid.time(i) / 1000))]
                }))
            }
            return try elementwise(c, grid) { v in
                // time.Unix(int64(v), 0), Go's conversion included (NaN and ±Inf become the
                // minimum int64 on amd64, and Prometheus answers the date of that).
                part.of(unixSeconds: goInt64(v))
            }

        default:
            throw error(.unsupported, "unsupported function \(goQuote(name))", at: c.position)
        }
    }

    // MARK: - histogram_quantile

    private func histogramQuantile(_ c: Call, _ grid: Grid) throws(QueryError) -> Value {
        let q = try scalarValue(c.args[0], grid)
        let v = try vectorValue(c.args[1], grid)
        // Per series: its histogram (all labels but `le`, name included, so two histograms with
        // different names never merge) and its bucket bound; series without a parseable `le`
        // are skipped.
        var histograms = LabelTable()
        var histogramOf = [Int32](repeating: -1, count: v.series.count)
        var upperBound = [Double](repeating: .nan, count: v.series.count)
        for (i, labels) in v.series.enumerated() {
            guard let le = labels["le"], case .success(let bound) = goParseFloat(le) else { continue }
            upperBound[i] = bound
            histogramOf[i] = histograms.insert(labels.removing("le")).id
        }
        var table = LabelTable()
        let outId = histograms.labels.map { table.insert($0.droppingMetricName).id }
        var dup = StepDuplicateCheck()
        var steps = [[Elem]](repeating: [], count: grid.count)
        var slot = [Int](repeating: -1, count: histograms.count)
        for si in 0..<grid.count {
            var order: [Int32] = []
            var buckets: [[Bucket]] = []
            for e in v.steps[si] {
                let h = histogramOf[Int(e.id)]
                guard h >= 0 else { continue }
                if slot[Int(h)] < 0 {
                    slot[Int(h)] = buckets.count
                    order.append(h)
                    buckets.append([])
                }
                buckets[slot[Int(h)]].append(Bucket(upperBound: upperBound[Int(e.id)], count: e.value))
            }
            var out: [Elem] = []
            for (k, h) in order.enumerated() {
                slot[Int(h)] = -1
                let id = outId[Int(h)]
                guard dup.firstAt(si, id) else { throw duplicateLabelset(at: c.position) }
                out.append(Elem(id: id, value: bucketQuantile(q[si], buckets[k])))
            }
            steps[si] = out
        }
        return .vector(VectorSeq(series: table.labels, steps: steps))
    }

    // MARK: - label_replace, label_join

    private func labelReplace(_ c: Call, _ grid: Grid) throws(QueryError) -> Value {
        let dst = try stringValue(c.args[1])
        let replacement = try stringValue(c.args[2])
        let src = try stringValue(c.args[3])
        let pattern = try stringValue(c.args[4])
        let regex: GoRegex
        do throws(GoRegex.Failure) {
            regex = try GoRegex.anchored(pattern)
        } catch {
            throw self.error(.execution, "invalid regular expression in label_replace(): \(pattern)", at: c.args[4].position)
        }
        guard isValidLabelName(dst) else {
            throw error(.execution, "invalid destination label name in label_replace(): \(dst)", at: c.args[1].position)
        }
        let v = try vectorValue(c.args[0], grid)
        return .vector(try mapSeries(v, at: c.position, labels: { labels in
            let value = labels[src] ?? ""
            let scalars = Array(value.unicodeScalars)
            guard let match = regex.search(scalars, from: 0) else { return labels }
            // Group numbers of the pattern as written: the anchoring group is non-capturing.
            let expanded = goExpand(replacement) { number, name in
                guard let group = number.map({ [$0] }) ?? regex.names[name],
                    let hit = group.first(where: { $0 <= regex.groups && match[2 * $0] >= 0 })
                else { return nil }
                return Substring(String(String.UnicodeScalarView(scalars[match[2 * hit]..<match[2 * hit + 1]])))
            }
            return labels.setting(dst, orRemovingIfEmpty: expanded)
        }, value: { _, x in x }))
    }

    private func labelJoin(_ c: Call, _ grid: Grid) throws(QueryError) -> Value {
        let dst = try stringValue(c.args[1])
        let separator = try stringValue(c.args[2])
        var sources: [String] = []
        for arg in c.args.dropFirst(3) {
            let src = try stringValue(arg)
            guard isValidLabelName(src) else {
                throw error(.execution, "invalid source label name in label_join(): \(src)", at: arg.position)
            }
            sources.append(src)
        }
        guard isValidLabelName(dst) else {
            throw error(.execution, "invalid destination label name in label_join(): \(dst)", at: c.args[1].position)
        }
        let v = try vectorValue(c.args[0], grid)
        return .vector(try mapSeries(v, at: c.position, labels: { labels in
            let joined = sources.map { labels[$0] ?? "" }.joined(separator: separator)
            return labels.setting(dst, orRemovingIfEmpty: joined)
        }, value: { _, x in x }))
    }
}

// MARK: - Dates

/// The date functions, computed exactly as Go's `time` package does for
/// `time.Unix(sec, 0).UTC()` (proleptic Gregorian calendar, UTC), including its wrap-around
/// arithmetic for absurd inputs, so every input gives Prometheus's answer.
enum DatePart: String {
    case dayOfMonth = "day_of_month", dayOfWeek = "day_of_week", dayOfYear = "day_of_year"
    case daysInMonth = "days_in_month", hour, minute, month, year

    private static let secondsPerDay: UInt64 = 86_400
    private static let daysPer400Years: UInt64 = 365 * 400 + 97
    private static let daysPer100Years: UInt64 = 365 * 100 + 24
    private static let daysPer4Years: UInt64 = 365 * 4 + 1
    private static let absoluteZeroYear: Int64 = -292_277_022_399
    /// Go's `unixToInternal + internalToAbsolute`: from Unix seconds to "absolute" seconds.
    private static let unixToAbsolute: Int64 = 9_223_372_028_715_321_600
    private static let daysBefore: [Int] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365]

    func of(unixSeconds sec: Int64) -> Double {
        let abs = UInt64(bitPattern: sec &+ DatePart.unixToAbsolute)
        switch self {
        case .hour: return Double(Int(abs % DatePart.secondsPerDay) / 3600)
        case .minute: return Double(Int(abs % 3600) / 60)
        case .dayOfWeek:
            // The absolute epoch (1 January of year -292277022399) was a Monday.
            let s = (abs &+ 1 * DatePart.secondsPerDay) % (7 * DatePart.secondsPerDay)
            return Double(Int(s) / Int(DatePart.secondsPerDay))
        case .year: return Double(DatePart.absDate(abs).year)
        case .dayOfYear: return Double(DatePart.absDate(abs).yday + 1)
        case .month: return Double(DatePart.absDate(abs).month)
        case .dayOfMonth: return Double(DatePart.absDate(abs).day)
        case .daysInMonth:
            let d = DatePart.absDate(abs)
            return Double(DatePart.daysIn(month: d.month, year: d.year))
        }
    }

    /// Go's `absDate`: year, 0-based day of the year, month (1…12) and day of the month.
    private static func absDate(_ abs: UInt64) -> (year: Int64, yday: Int, month: Int, day: Int) {
        var d = abs / secondsPerDay
        var n = d / daysPer400Years
        var y = 400 &* n
        d -= daysPer400Years &* n
        n = d / daysPer100Years
        n -= n >> 2
        y = y &+ 100 &* n
        d -= daysPer100Years &* n
        n = d / daysPer4Years
        y = y &+ 4 &* n
        d -= daysPer4Years &* n
        n = d / 365
        n -= n >> 2
        y = y &+ n
        d -= 365 &* n
        let year = Int64(bitPattern: y) &+ absoluteZeroYear
        let yday = Int(d)
        var day = yday
        if isLeap(year) {
            if day > 31 + 29 - 1 {
                day -= 1  // after the leap day: pretend it was not there
            } else if day == 31 + 29 - 1 {
                return (year, yday, 2, 29)
            }
        }
        var month = day / 31  // may be one too low
        let end = daysBefore[month + 1]
        let begin: Int
        if day >= end {
            month += 1
            begin = end
        } else {
            begin = daysBefore[month]
        }
        return (year, yday, month + 1, day - begin + 1)
    }

    private static func isLeap(_ year: Int64) -> Bool {
        year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
    }

    /// `32 - time.Date(year, month, 32, …).Day()`.
    static func daysIn(month m: Int, year y: Int64) -> Int {
        switch m {
        case 2: return isLeap(y) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}

/// Go's `int64(f)` on amd64 (CVTTSD2SQ): truncation towards zero, and the "integer indefinite"
/// value, the minimum int64, for NaN, infinities and anything out of range.
func goInt64(_ f: Double) -> Int64 {
    guard f.isFinite, f >= -9_223_372_036_854_775_808, f < 9_223_372_036_854_775_808 else { return .min }
    return Int64(f)
}
