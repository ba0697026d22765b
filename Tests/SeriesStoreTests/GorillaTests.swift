import Testing
import ScopeCore

@testable import SeriesStore

@Suite struct GorillaTests {
    @Test func specialValuesRoundTripBitExact() {
        let payloadNaN = Double(bitPattern: 0x7FF8_0000_0000_BEEF)
        let negativeNaN = Double(bitPattern: 0xFFF8_0000_0000_0001)
        let values: [Double] = [
            0, -0.0, 1, -1, .nan, .staleMarker, .infinity, -.infinity, payloadNaN, negativeNaN,
            .greatestFiniteMagnitude, -.greatestFiniteMagnitude, .leastNonzeroMagnitude, .leastNormalMagnitude,
            .ulpOfOne, 1e300, -1e-300, .pi, 0, 0, .staleMarker, .staleMarker, 42, .nan, -0.0, 0,
        ]
        let samples = values.enumerated().map { Sample(timestampMs: t0 + Int64($0.offset) * 15_000, value: $0.element) }
        let decoded = roundTrip(samples)
        #expect(decoded.count == samples.count)
        for (a, b) in zip(samples, decoded) {
            #expect(a.timestampMs == b.timestampMs)
            #expect(a.value.bitPattern == b.value.bitPattern, "value \(a.value) at \(a.timestampMs)")
        }
        #expect(decoded[5].value.isStaleMarker)
        #expect(decoded[4].value.isNaN && !decoded[4].value.isStaleMarker, "an ordinary NaN is not a staleness marker")
        #expect(decoded[1].value.sign == .minus && decoded[1].value == 0, "-0 keeps its sign")
    }

    @Test func timestampGapsOfEveryBucketAndBeyond() {
        // Deltas that exercise each delta-of-delta bucket edge, huge gaps and extreme timestamps.
        let deltas: [Int64] = [
            15_000, 15_000, 15_031, 14_968, 15_032, 14_967, 15_000 + 65_535, 15_000 - 65_536 + 70_000, 1, 1,
            8_388_607, 1, 8_388_608 + 1, 2, 1 << 40, 1, Int64.max / 4, 3, 1, 15_000,
        ]
        var t: Int64 = -5_000_000_000_000
        var samples = [Sample(timestampMs: t, value: 1)]
        for (i, delta) in deltas.enumerated() {
            t += delta
            samples.append(Sample(timestampMs: t, value: Double(i)))
        }
        #expect(roundTrip(samples) == samples)
    }

    @Test func extremeTimestampsWrapConsistently() {
        // Deltas wider than Int64.max still round-trip: the arithmetic wraps identically both ways.
        let samples = [
            Sample(timestampMs: .min, value: 1), Sample(timestampMs: .min + 1, value: 2), Sample(timestampMs: -1, value: 3),
            Sample(timestampMs: 0, value: 4), Sample(timestampMs: .max - 1, value: 5), Sample(timestampMs: .max, value: 6),
        ]
        #expect(roundTrip(samples) == samples)
        #expect(roundTrip([Sample(timestampMs: .max, value: .nan)]) == [Sample(timestampMs: .max, value: .nan)])
        #expect(roundTrip([Sample(timestampMs: .min, value: -0.0), Sample(timestampMs: .max, value: .infinity)])
            == [Sample(timestampMs: .min, value: -0.0), Sample(timestampMs: .max, value: .infinity)])
    }

    @Test func randomSeriesRoundTrip() {
        var rng = SplitMix64(seed: 7)
        for round in 0..<300 {
            let count = Int.random(in: 1...200, using: &rng)
            var t = Int64.random(in: -1_000_000_000_000...2_000_000_000_000, using: &rng)
            var samples: [Sample] = []
            var value = 0.0
            for _ in 0..<count {
                switch Int.random(in: 0..<6, using: &rng) {
                case 0: value = Double(bitPattern: rng.next())  // any bit pattern, NaNs included
                case 1: value += 1
                case 2: value = Double.random(in: -1e6...1e6, using: &rng)
                case 3: break
                case 4: value = [.staleMarker, .nan, .infinity, -.infinity, -0.0, 0][Int.random(in: 0..<6, using: &rng)]
                default: value = Double(Int.random(in: -100...100, using: &rng))
                }
                samples.append(Sample(timestampMs: t, value: value))
                let step: Int64 = switch Int.random(in: 0..<5, using: &rng) {
                case 0: 15_000
                case 1: Int64.random(in: 1...100, using: &rng)
                case 2: Int64.random(in: 1...10_000_000, using: &rng)
                case 3: Int64.random(in: 1...(1 << 50), using: &rng)
                default: 15_000 + Int64.random(in: -20...20, using: &rng)
                }
                t += step
            }
            let decoded = roundTrip(samples)
            #expect(decoded == samples, "round \(round)")
        }
    }

    @Test func nonIncreasingTimestampsAreRefusedByTheEncoder() {
        var appender = XORChunkAppender()
        var accepted: [Bool] = []
        accepted.append(appender.append(timestampMs: 1_000, value: 1))
        accepted.append(appender.append(timestampMs: 1_000, value: 2))  // same timestamp
        accepted.append(appender.append(timestampMs: 999, value: 2))  // negative delta
        accepted.append(appender.append(timestampMs: 2_000, value: 2))
        accepted.append(appender.append(timestampMs: 1_500, value: 3))  // negative delta after the second sample
        accepted.append(appender.append(timestampMs: .min, value: 3))
        #expect(accepted == [true, false, false, true, false, false])
        #expect(appender.count == 2)
        #expect(appender.sealed().samples() == [Sample(timestampMs: 1_000, value: 1), Sample(timestampMs: 2_000, value: 2)])
    }

    @Test func snapshotIsStableWhileTheHeadGrows() {
        var appender = XORChunkAppender()
        appender.append(timestampMs: 0, value: 1)
        appender.append(timestampMs: 10, value: 1.5)
        let snapshot = appender.snapshot
        for i in 2..<100 { appender.append(timestampMs: Int64(i) * 10, value: Double(i) * 0.37) }
        #expect(snapshot.samples() == [Sample(timestampMs: 0, value: 1), Sample(timestampMs: 10, value: 1.5)])
        #expect(appender.snapshot.samples().count == 100)
    }

    @Test func decodeRangeIsInclusiveAndStopsEarly() {
        var appender = XORChunkAppender()
        for i in 0..<120 { appender.append(timestampMs: Int64(i) * 1000, value: Double(i)) }
        let chunk = appender.sealed()
        var out: [Sample] = []
        chunk.decode(minT: 5_000, maxT: 7_000, into: &out)
        #expect(out.map(\.value) == [5, 6, 7])
        out = []
        chunk.decode(minT: 119_001, maxT: .max, into: &out)
        #expect(out.isEmpty)
        chunk.decode(minT: .min, maxT: 0, into: &out)
        #expect(out == [Sample(timestampMs: 0, value: 0)])
        #expect(chunk.minT == 0 && chunk.maxT == 119_000 && chunk.count == 120)
    }

    @Test func aTruncatedChunkNeverCrashesTheDecoder() {
        var appender = XORChunkAppender()
        for i in 0..<50 { appender.append(timestampMs: Int64(i) * 15_000 + Int64(i % 3), value: Double(i * i)) }
        let full = appender.sealed()
        for cut in 0..<full.byteCount {
            let damaged = XORChunk(minT: full.minT, maxT: full.maxT, count: full.count, bytes: Array(full.bytes.prefix(cut)))
            #expect(damaged.samples().count <= full.count)
        }
    }

    @Test func constantRegularSeriesCostsAboutTwoBitsPerSample() {
        var appender = XORChunkAppender()
        for i in 0..<120 { appender.append(timestampMs: t0 + Int64(i) * 15_000, value: 1) }
        // Header: 6-byte varint timestamp + 8-byte value + 3-byte delta; then 2 bits per sample.
        #expect(appender.byteCount <= 6 + 8 + 3 + (118 * 2 + 7) / 8 + 1)
    }
}
