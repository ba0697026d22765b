import Foundation

/// An OTLP exponential histogram as Prometheus classic buckets (`_bucket{le}`), as OpenTelemetry's
/// Prometheus compatibility specification maps it for a classic-buckets backend: one bucket per
/// exponential bucket, `le` at its upper boundary `base^(index+1)` where `base = 2^(2^-scale)`;
/// the negative buckets first (their upper boundaries `-base^index`, most negative first), then
/// the zero bucket (`le` = the zero threshold), then the positive ones. The scale is reduced
/// (pairs of neighbouring buckets merged: index `i` becomes `i >> 1`) until at most `maxBuckets`
/// remain, so one histogram never becomes more series than that.
public enum ExponentialBuckets {
    /// One exponential histogram point's buckets and totals.
    public struct Histogram: Sendable, Equatable {
        public var scale: Int32
        public var count: UInt64
        public var sum: Double?
        public var zeroCount: UInt64
        public var zeroThreshold: Double
        public var positive: Side
        public var negative: Side

        public init(scale: Int32, count: UInt64, sum: Double?, zeroCount: UInt64, zeroThreshold: Double, positive: Side, negative: Side) {
            self.scale = scale
            self.count = count
            self.sum = sum
            self.zeroCount = zeroCount
            self.zeroThreshold = zeroThreshold
            self.positive = positive
            self.negative = negative
        }

        /// The same histogram `steps` scales lower.
        func downscaled(by steps: Int32) -> Histogram {
            var copy = self
            for _ in 0..<max(0, steps) {
                copy.positive = copy.positive.downscaled()
                copy.negative = copy.negative.downscaled()
            }
            copy.scale -= max(0, steps)
            return copy
        }

        /// Both together, at the lower scale of the two.
        public func adding(_ other: Histogram) -> Histogram {
            let scale = min(self.scale, other.scale)
            let a = downscaled(by: self.scale - scale), b = other.downscaled(by: other.scale - scale)
            return Histogram(
                scale: scale, count: a.count &+ b.count, sum: a.sum.map { $0 + (b.sum ?? 0) } ?? b.sum, zeroCount: a.zeroCount &+ b.zeroCount,
                zeroThreshold: max(a.zeroThreshold, b.zeroThreshold), positive: a.positive.adding(b.positive), negative: a.negative.adding(b.negative))
        }

        /// As classic buckets (see `classic(...)`).
        public func classic(maxBuckets: Int = 160) -> (bounds: [Double], counts: [UInt64], layout: Layout)? {
            ExponentialBuckets.classic(scale: scale, count: count, zeroCount: zeroCount, zeroThreshold: zeroThreshold,
                                       positive: positive, negative: negative, maxBuckets: maxBuckets)
        }

        /// The layout `classic(maxBuckets:)` gives, without computing bounds or counts.
        func layout(maxBuckets: Int = 160) -> Layout? {
            ExponentialBuckets.reduced(scale: scale, zeroThreshold: zeroThreshold, positive: positive, negative: negative, maxBuckets: maxBuckets)?.layout
        }
    }

    public struct Side: Sendable, Equatable {
        public var offset: Int32
        public var counts: [UInt64]

        public init(offset: Int32, counts: [UInt64]) {
            self.offset = offset
            self.counts = counts
        }

        /// Bucket by bucket, over the union of both index ranges.
        func adding(_ other: Side) -> Side {
            let a = trimmed(), b = other.trimmed()
            if a.counts.isEmpty { return b }
            if b.counts.isEmpty { return a }
            let first = min(Int(a.offset), Int(b.offset))
            let end = max(Int(a.offset) + a.counts.count, Int(b.offset) + b.counts.count)
            var counts = [UInt64](repeating: 0, count: end - first)
            for (k, c) in a.counts.enumerated() { counts[Int(a.offset) + k - first] &+= c }
            for (k, c) in b.counts.enumerated() { counts[Int(b.offset) + k - first] &+= c }
            return Side(offset: Int32(first), counts: counts)
        }

        /// Without empty buckets at either end (an SDK may send them; they hold nothing).
        func trimmed() -> Side {
            guard let first = counts.firstIndex(where: { $0 != 0 }), let last = counts.lastIndex(where: { $0 != 0 }) else {
                return Side(offset: 0, counts: [])
            }
            return Side(offset: offset + Int32(first), counts: Array(counts[first...last]))
        }

        /// The same counts one scale lower: index `i` joins `i >> 1` (an arithmetic shift, so
        /// negative indexes round down as the boundaries do).
        func downscaled() -> Side {
            guard !counts.isEmpty else { return self }
            let first = Int(offset) >> 1
            let last = (Int(offset) + counts.count - 1) >> 1
            var merged = [UInt64](repeating: 0, count: last - first + 1)
            for (k, count) in counts.enumerated() { merged[(Int(offset) + k) >> 1 - first] &+= count }
            return Side(offset: Int32(first), counts: merged)
        }
    }

    /// Which classic buckets a histogram became: enough to name every `le` series it wrote, so
    /// that the ones a later layout no longer has can be marked stale.
    public struct Layout: Sendable, Equatable {
        public var scale: Int32
        /// Bucket indexes at `scale` (after any reduction).
        public var positive: Range<Int>
        public var negative: Range<Int>
        public var zeroThreshold: Double

        /// The `le` bounds, ascending: negative buckets, the zero bucket, positive buckets.
        public var bounds: [Double] {
            // base^i = 2^(i × 2^-scale), computed from the exponent so large indexes stay exact.
            let scale = self.scale
            func power(_ index: Int) -> Double { exp2(Double(index) * exp2(-Double(scale))) }
            return negative.reversed().map { -power($0) } + [max(0, zeroThreshold)] + positive.map { power($0 + 1) }
        }
    }

    /// Classic bounds (ascending) and per-bucket counts, `counts.count == bounds.count + 1` (the
    /// last is the `+Inf` bucket: what `count` holds beyond the buckets, normally 0), and the
    /// layout they came from. Nil when the scale is outside OTLP's range (-10…20).
    public static func classic(scale: Int32, count: UInt64, zeroCount: UInt64, zeroThreshold: Double, positive: Side, negative: Side,
                               maxBuckets: Int = 160) -> (bounds: [Double], counts: [UInt64], layout: Layout)? {
        guard let (layout, positive, negative) = reduced(scale: scale, zeroThreshold: zeroThreshold, positive: positive, negative: negative,
                                                         maxBuckets: maxBuckets)
        else { return nil }
        var counts: [UInt64] = []
        counts.reserveCapacity(positive.counts.count + negative.counts.count + 2)
        counts += negative.counts.reversed()
        counts.append(zeroCount)
        counts += positive.counts
        let inBuckets = counts.reduce(UInt64(0), &+)
        counts.append(count > inBuckets ? count - inBuckets : 0)
        return (layout.bounds, counts, layout)
    }

    /// The sides without empty edge buckets, at a scale low enough for `maxBuckets`.
    static func reduced(scale: Int32, zeroThreshold: Double, positive: Side, negative: Side, maxBuckets: Int)
        -> (layout: Layout, positive: Side, negative: Side)?
    {
        guard (-10...20).contains(scale) else { return nil }
        var scale = scale
        var positive = positive.trimmed(), negative = negative.trimmed()
        while positive.counts.count + negative.counts.count > max(1, maxBuckets), scale > -10 {
            positive = positive.downscaled()
            negative = negative.downscaled()
            scale -= 1
        }
        func indexes(_ side: Side) -> Range<Int> { Int(side.offset)..<Int(side.offset) + side.counts.count }
        return (Layout(scale: scale, positive: indexes(positive), negative: indexes(negative), zeroThreshold: zeroThreshold), positive, negative)
    }
}
