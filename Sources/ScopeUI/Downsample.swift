/// The range of values a trace covers within one dot column.
public struct ColumnSpan: Sendable, Equatable {
    public var low: Double
    public var high: Double

    public init(low: Double, high: Double) {
        self.low = low
        self.high = high
    }

    mutating func include(_ value: Double) {
        low = Swift.min(low, value)
        high = Swift.max(high, value)
    }
}

/// Turns a trace's points into one span per dot column of the window `[startMs, endMs)`.
///
/// Consecutive points are joined by straight segments and every column takes the minimum and
/// maximum of what passes through it, so a spike narrower than a column is still drawn full
/// height (never averaged away) and sparse points are still joined into a line. A NaN point is a
/// gap: nothing is drawn across it. One point beyond each edge is used so lines enter and leave
/// the window instead of starting at the first visible point.
public func downsample(_ history: TraceHistory, startMs: Int64, endMs: Int64, columns: Int) -> [ColumnSpan?] {
    guard columns > 0, endMs > startMs, !history.isEmpty else { return Array(repeating: nil, count: max(columns, 0)) }
    var spans = [ColumnSpan?](repeating: nil, count: columns)
    let msPerColumn = Double(endMs - startMs) / Double(columns)
    // Fractional column of a time: column c covers [c, c+1).
    func position(_ timeMs: Int64) -> Double { Double(timeMs - startMs) / msPerColumn }
    func mark(_ column: Int, _ value: Double) {
        if spans[column] == nil { spans[column] = ColumnSpan(low: value, high: value) } else { spans[column]!.include(value) }
    }

    let first = max(0, history.firstIndex(atOrAfter: startMs) - 1)
    let afterLast = min(history.count, history.firstIndex(atOrAfter: endMs) + 1)
    guard first < afterLast else { return spans }
    var previous: (x: Double, value: Double)?
    for index in first..<afterLast {
        let point = history[index]
        guard point.value.isFinite else {
            previous = nil
            continue
        }
        let x = position(point.timeMs)
        if let p = previous {
            // The segment from p to this point, visited column by column.
            let fromColumn = max(0, Int(p.x.rounded(.down)))
            let toColumn = min(columns - 1, Int(x.rounded(.down)))
            if fromColumn <= toColumn {
                let slope = x > p.x ? (point.value - p.value) / (x - p.x) : 0
                for column in fromColumn...toColumn {
                    let left = max(Double(column), p.x), right = min(Double(column + 1), x)
                    guard left <= right else { continue }
                    mark(column, p.value + slope * (left - p.x))
                    mark(column, p.value + slope * (right - p.x))
                }
            }
        } else if x >= 0, x < Double(columns) {
            mark(Int(x), point.value)  // a point after a gap (or the first) stands alone until joined
        }
        previous = (x, point.value)
    }
    return spans
}
