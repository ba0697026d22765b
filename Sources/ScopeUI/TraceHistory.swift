/// One trace's acquired points, oldest first: what the scope has seen of one expression. Bounded,
/// so a scope left open for days keeps a fixed amount of memory; a NaN value is a gap (the
/// expression returned nothing at that time) and is never joined across.
public struct TraceHistory: Sendable, Equatable {
    public let capacity: Int
    private var times: [Int64] = []
    private var values: [Double] = []
    /// Index of the oldest live point; the arrays are compacted when half of them is dead.
    private var start = 0

    public init(capacity: Int = 20_000) {
        precondition(capacity > 0, "a history holds at least one point")
        self.capacity = capacity
    }

    public init(capacity: Int = 20_000, points: [(timeMs: Int64, value: Double)]) {
        self.init(capacity: max(capacity, 1))
        for point in points { append(timeMs: point.timeMs, value: point.value) }
    }

    public var count: Int { times.count - start }
    public var isEmpty: Bool { count == 0 }

    /// Adds a point; one not after the newest point replaces it only when at the same time
    /// (a re-evaluation), and is otherwise dropped: history never runs backwards.
    public mutating func append(timeMs: Int64, value: Double) {
        if let last = times.last, start < times.count {
            if timeMs == last {
                values[values.count - 1] = value
                return
            }
            if timeMs < last { return }
        }
        times.append(timeMs)
        values.append(value)
        if count > capacity { start += 1 }
        if start > 1024 && start * 2 > times.count {
            times.removeFirst(start)
            values.removeFirst(start)
            start = 0
        }
    }

    public subscript(index: Int) -> (timeMs: Int64, value: Double) {
        (times[start + index], values[start + index])
    }

    public var last: (timeMs: Int64, value: Double)? { isEmpty ? nil : self[count - 1] }
    public var first: (timeMs: Int64, value: Double)? { isEmpty ? nil : self[0] }

    /// Index of the first point at or after `timeMs` (`count` when there is none).
    public func firstIndex(atOrAfter timeMs: Int64) -> Int {
        var low = start, high = times.count
        while low < high {
            let mid = (low + high) / 2
            if times[mid] < timeMs { low = mid + 1 } else { high = mid }
        }
        return low - start
    }

    /// The newest finite value at or before `timeMs`.
    public func value(atOrBefore timeMs: Int64) -> Double? {
        var index = firstIndex(atOrAfter: timeMs + 1) - 1
        while index >= 0 {
            let value = self[index].value
            if !value.isNaN { return value }
            index -= 1
        }
        return nil
    }

    /// The finite values with times in `[fromMs, toMs]`.
    public func values(fromMs: Int64, toMs: Int64) -> [Double] {
        var out: [Double] = []
        var index = firstIndex(atOrAfter: fromMs)
        while index < count, self[index].timeMs <= toMs {
            let value = self[index].value
            if value.isFinite { out.append(value) }
            index += 1
        }
        return out
    }
}

/// What the readouts show for one trace over the visible window.
public struct WindowStats: Sendable, Equatable {
    public var last: Double
    public var min: Double
    public var max: Double
    public var mean: Double
    public var p99: Double

    /// Nil when the window holds no finite value.
    public init?(_ values: [Double]) {
        guard let lastValue = values.last else { return nil }
        last = lastValue
        var low = lastValue, high = lastValue, sum = 0.0
        for value in values {
            low = Swift.min(low, value)
            high = Swift.max(high, value)
            sum += value
        }
        min = low
        max = high
        mean = sum / Double(values.count)
        // Nearest rank, as a person reading "p99 of these points" expects; found by selection,
        // not a full sort, because every frame computes it over every visible point.
        let rank = Swift.max(0, Swift.min(values.count - 1, Int((0.99 * Double(values.count)).rounded(.up)) - 1))
        var copy = values
        p99 = Self.select(&copy, rank)
    }

    /// The value that would be at `k` if `values` were sorted (quickselect, median-of-three pivots).
    static func select(_ values: inout [Double], _ k: Int) -> Double {
        var low = 0, high = values.count - 1
        while low < high {
            let mid = (low + high) / 2
            let pivot = Swift.max(Swift.min(values[low], values[mid]), Swift.min(Swift.max(values[low], values[mid]), values[high]))
            var i = low, j = high
            while i <= j {
                while values[i] < pivot { i += 1 }
                while values[j] > pivot { j -= 1 }
                if i <= j {
                    values.swapAt(i, j)
                    i += 1
                    j -= 1
                }
            }
            if k <= j { high = j } else if k >= i { low = i } else { return values[k] }
        }
        return values[k]
    }
}
