import Foundation

/// An OTLP exponential histogram as Prometheus classic buckets (`_bucket{le}`), as OpenTelemetry's
/// Prometheus compatibility specification maps it for a classic-buckets backend: one bucket per
/// exponential bucket, `le` at its upper boundary `base^(index+1)` where `base = 2^(2^-scale)`;
/// the negative buckets first (their upper boundaries `-base^index`, most negative first), then
/// the zero bucket (`le` = the zero threshold), then the positive ones. The scale is reduced
/// (pairs of neighbouring buckets merged: index `i` becomes `i >> 1`) until at most `maxBuckets`
/// remain, so one histogram never becomes more series than that.
public enum ExponentialBuckets {
    public struct Side: Sendable, Equatable {
        public var offset: Int32
        public var counts: [UInt64]

        public init(offset: Int32, counts: [UInt64]) {
            self.offset = offset
            self.counts = counts
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

    /// Classic bounds (ascending) and per-bucket counts, `counts.count == bounds.count + 1` (the
    /// last is the `+Inf` bucket: what `count` holds beyond the buckets, normally 0). Nil when the
    /// scale is outside OTLP's range (-10…20).
    public static func classic(scale: Int32, count: UInt64, zeroCount: UInt64, zeroThreshold: Double, positive: Side, negative: Side,
                               maxBuckets: Int = 160) -> (bounds: [Double], counts: [UInt64])? {
        guard (-10...20).contains(scale) else { return nil }
        var scale = scale
        var positive = positive, negative = negative
        while positive.counts.count + negative.counts.count > max(1, maxBuckets), scale > -10 {
            positive = positive.downscaled()
            negative = negative.downscaled()
            scale -= 1
        }
        // base^i = 2^(i × 2^-scale), computed from the exponent so large indexes stay exact.
        func power(_ index: Int) -> Double { exp2(Double(index) * exp2(-Double(scale))) }
        var bounds: [Double] = []
        var counts: [UInt64] = []
        bounds.reserveCapacity(positive.counts.count + negative.counts.count + 1)
        for k in negative.counts.indices.reversed() {
            bounds.append(-power(Int(negative.offset) + k))
            counts.append(negative.counts[k])
        }
        bounds.append(max(0, zeroThreshold))
        counts.append(zeroCount)
        for k in positive.counts.indices {
            bounds.append(power(Int(positive.offset) + k + 1))
            counts.append(positive.counts[k])
        }
        let inBuckets = counts.reduce(UInt64(0), &+)
        counts.append(count > inBuckets ? count - inBuckets : 0)
        return (bounds, counts)
    }
}
