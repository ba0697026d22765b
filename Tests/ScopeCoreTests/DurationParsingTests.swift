import Testing

@testable import ScopeCore

@Suite struct DurationParsingTests {
    @Test(arguments: [
        ("0s", 0), ("500ms", 500), ("1s", 1_000), ("30s", 30_000), ("5m", 300_000), ("1h", 3_600_000),
        ("1h30m", 5_400_000), ("2d", 172_800_000), ("1w", 604_800_000), ("1y", 31_536_000_000),
        ("1m1ms", 60_001), ("1s500ms", 1_500), ("1y2w3d4h5m6s7ms", 31_536_000_000 + 2 * 604_800_000 + 3 * 86_400_000 + 4 * 3_600_000 + 5 * 60_000 + 6_000 + 7),
        ("90m", 5_400_000), ("007s", 7_000),
    ] as [(String, Int64)])
    func parsesPrometheusDurations(text: String, ms: Int64) {
        #expect(parseDurationMs(text) == ms)
    }

    @Test(arguments: ["", "5x", "30m1h", "1h1h", "5", "s", "-5s", "+5s", "1.5h", " 5s", "5s ", "5 s", "1H", "5sec", "1ms1s", "٣s"])
    func rejectsAnythingElse(text: String) {
        #expect(parseDurationMs(text) == nil)
    }

    @Test func rejectsOverflow() {
        #expect(parseDurationMs("9223372036854775807ms") == Int64.max)
        #expect(parseDurationMs("9223372036854775808ms") == nil)
        #expect(parseDurationMs("300000000y") == nil)
        let almostMax: Int64 = 292_471_208 * 31_536_000_000 + 35 * 604_800_000
        #expect(parseDurationMs("292471208y35w") == almostMax)
        #expect(parseDurationMs("292471208y36w") == nil, "the sum overflows")
    }

    @Test func formatsLargestUnitsFirst() {
        #expect(formatDurationMs(0) == "0s")
        #expect(formatDurationMs(5_400_000) == "1h30m")
        #expect(formatDurationMs(250) == "250ms")
        #expect(formatDurationMs(90_061_001) == "1d1h1m1s1ms")
        #expect(formatDurationMs(604_800_000) == "1w")
        #expect(formatDurationMs(31_536_000_000) == "1y")
    }

    @Test func formatThenParseRoundTrips() {
        var values: [Int64] = [0, 1, 999, 1_000, 59_999, 60_000, 3_600_001, 86_399_999, 604_800_000 + 1, 31_536_000_000 * 3 + 7]
        var x: Int64 = 1
        while x < Int64.max / 3 {
            values.append(x)
            x = x * 3 + 1
        }
        for value in values {
            let text = formatDurationMs(value)
            #expect(parseDurationMs(text) == value, "\(value) → \(text)")
        }
        // And the other way for canonical spellings.
        for text in ["1h30m", "2d12h", "1y1w1d1h1m1s1ms", "45s", "10ms"] {
            #expect(formatDurationMs(parseDurationMs(text)!) == text)
        }
    }
}
