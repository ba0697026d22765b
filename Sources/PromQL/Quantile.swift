// Quantiles (the `quantile` aggregation, `quantile_over_time`, `histogram_quantile` over
// classic buckets) and Go's sort order for the places where Prometheus's output order depends
// on it.

import ScopeCore

/// Prometheus's `quantile`: φ-quantile of `values` by linear interpolation between the closest
/// ranks (`rank = φ·(n-1)`); NaN for no values or φ = NaN, -Inf for φ < 0, +Inf for φ > 1.
/// Sorts `values` (NaN first, as Prometheus's `vectorByValueHeap` order).
func quantile(_ q: Double, _ values: inout [Double]) -> Double {
    if values.isEmpty || q.isNaN { return .nan }
    if q < 0 { return -.infinity }
    if q > 1 { return .infinity }
    goSort(&values) { $0.isNaN || $0 < $1 }
    let n = Double(values.count)
    let rank = q * (n - 1)
    let lowerIndex = Swift.max(0, rank.rounded(.down))
    let upperIndex = Swift.min(n - 1, lowerIndex + 1)
    let weight = rank - rank.rounded(.down)
    return values[Int(lowerIndex)] * (1 - weight) + values[Int(upperIndex)] * weight
}

/// A classic histogram bucket: upper bound (`le`) and cumulative count.
struct Bucket {
    var upperBound: Double
    var count: Double
}

/// Prometheus 2.42's `bucketQuantile`: buckets sorted by upper bound, buckets with the same
/// bound merged, counts made monotonic (the "envelope"), linear interpolation inside the
/// bucket holding the rank. NaN without a +Inf bucket, with fewer than two buckets or no
/// observations; the lowest bucket interpolates from 0 unless its bound is ≤ 0; a rank in the
/// +Inf bucket answers the highest finite bound.
func bucketQuantile(_ q: Double, _ input: [Bucket]) -> Double {
    if q.isNaN { return .nan }
    if q < 0 { return -.infinity }
    if q > 1 { return .infinity }
    guard !input.isEmpty else { return .nan }
    var buckets = input
    goSort(&buckets) { $0.upperBound < $1.upperBound }
    guard buckets[buckets.count - 1].upperBound == .infinity else { return .nan }

    // Merge buckets with the same upper bound (e.g. le="0.2" and le="2e-1").
    var merged: [Bucket] = []
    merged.reserveCapacity(buckets.count)
    for b in buckets {
        if let last = merged.last, last.upperBound == b.upperBound {
            merged[merged.count - 1].count += b.count
        } else {
            merged.append(b)
        }
    }
    buckets = merged

    // Make the counts monotonic: a bucket never holds fewer than the ones below it.
    var maximum = -Double.infinity
    for i in buckets.indices {
        if buckets[i].count > maximum {
            maximum = buckets[i].count
        } else if buckets[i].count < maximum {
            buckets[i].count = maximum
        }
    }

    guard buckets.count >= 2 else { return .nan }
    let observations = buckets[buckets.count - 1].count
    if observations == 0 { return .nan }
    var rank = q * observations
    // sort.Search over all but the +Inf bucket: the first bucket whose count reaches the rank.
    var lo = 0
    var hi = buckets.count - 1
    while lo < hi {
        let mid = (lo + hi) / 2
        if buckets[mid].count >= rank { hi = mid } else { lo = mid + 1 }
    }
    let b = lo
    if b == buckets.count - 1 { return buckets[buckets.count - 2].upperBound }
    if b == 0 && buckets[0].upperBound <= 0 { return buckets[0].upperBound }
    var bucketStart = 0.0
    let bucketEnd = buckets[b].upperBound
    var count = buckets[b].count
    if b > 0 {
        bucketStart = buckets[b - 1].upperBound
        count -= buckets[b - 1].count
        rank -= buckets[b - 1].count
    }
    return bucketStart + (bucketEnd - bucketStart) * (rank / count)
}

/// Go's `sort.Sort` where the result order is observable: insertion sort for up to 12
/// elements (what Go's pdqsort does for short inputs, so ties and NaNs land where Prometheus
/// puts them); longer inputs get a stable sort by the same order (only the placement of
/// equal elements may then differ from Go).
func goSort<T>(_ a: inout [T], by less: (T, T) -> Bool) {
    if a.count <= 12 {
        var i = 1
        while i < a.count {
            var j = i
            while j > 0 && less(a[j], a[j - 1]) {
                a.swapAt(j, j - 1)
                j -= 1
            }
            i += 1
        }
        return
    }
    // A stable merge sort; `less` may be a non-strict order (NaN comparisons), so never rely
    // on it being a strict weak ordering.
    var buffer = a
    mergeSort(&a, &buffer, 0, a.count, less)
}

private func mergeSort<T>(_ a: inout [T], _ tmp: inout [T], _ lo: Int, _ hi: Int, _ less: (T, T) -> Bool) {
    if hi - lo <= 1 { return }
    let mid = (lo + hi) / 2
    mergeSort(&a, &tmp, lo, mid, less)
    mergeSort(&a, &tmp, mid, hi, less)
    var i = lo, j = mid, k = lo
    while i < mid && j < hi {
        // Take from the right only when it is strictly before the left: stable.
        if less(a[j], a[i]) && !less(a[i], a[j]) {
            tmp[k] = a[j]; j += 1
        } else {
            tmp[k] = a[i]; i += 1
        }
        k += 1
    }
    while i < mid { tmp[k] = a[i]; i += 1; k += 1 }
    while j < hi { tmp[k] = a[j]; j += 1; k += 1 }
    for x in lo..<hi { a[x] = tmp[x] }
}

/// Go's `container/heap` operations on a slice with a `less` order, to reproduce Prometheus's
/// `topk`/`bottomk` selection exactly.
enum GoHeap {
    static func push<T>(_ h: inout [T], _ x: T, _ less: (T, T) -> Bool) {
        h.append(x)
        up(&h, h.count - 1, less)
    }

    @discardableResult
    static func pop<T>(_ h: inout [T], _ less: (T, T) -> Bool) -> T {
        let n = h.count - 1
        h.swapAt(0, n)
        down(&h, 0, n, less)
        return h.removeLast()
    }

    private static func up<T>(_ h: inout [T], _ j0: Int, _ less: (T, T) -> Bool) {
        var j = j0
        while true {
            let i = (j - 1) / 2  // parent (Go: for j=0 this is 0 as well)
            if i == j || !less(h[j], h[i]) { break }
            h.swapAt(i, j)
            j = i
        }
    }

    private static func down<T>(_ h: inout [T], _ i0: Int, _ n: Int, _ less: (T, T) -> Bool) {
        var i = i0
        while true {
            let j1 = 2 * i + 1
            if j1 >= n || j1 < 0 { break }
            var j = j1
            let j2 = j1 + 1
            if j2 < n && less(h[j2], h[j1]) { j = j2 }
            if !less(h[j], h[i]) { break }
            h.swapAt(i, j)
            i = j
        }
    }
}
