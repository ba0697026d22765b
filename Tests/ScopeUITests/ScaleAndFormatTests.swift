import Testing

@testable import ScopeUI

@Suite struct ScaleAndFormatTests {
    @Test func oneTwoFiveCeilingAndSteps() {
        #expect(OneTwoFive.ceiling(0.7) == 1)
        #expect(OneTwoFive.ceiling(1) == 1)
        #expect(OneTwoFive.ceiling(1.01) == 2)
        #expect(OneTwoFive.ceiling(3) == 5)
        #expect(OneTwoFive.ceiling(420) == 500)
        #expect(OneTwoFive.ceiling(0.0031) == 0.005)
        #expect(OneTwoFive.ceiling(0) == 1 && OneTwoFive.ceiling(.nan) == 1)
        var value = 1000.0
        var seen: [Double] = []
        for _ in 0..<4 {
            value = OneTwoFive.step(value, by: 1)
            seen.append(value)
        }
        #expect(seen == [2000, 5000, 10000, 20000])
        #expect(OneTwoFive.step(5000, by: -1) == 2000 && OneTwoFive.step(2000, by: -1) == 1000 && OneTwoFive.step(1000, by: -1) == 500)
    }

    @Test func readoutsAreShortWithSIPrefixes() {
        #expect(formatReadout(1210) == "1.21K")
        #expect(formatReadout(3.4) == "3.4")
        #expect(formatReadout(12) == "12")
        #expect(formatReadout(0.45) == "450m")
        #expect(formatReadout(12_000_000) == "12M")
        #expect(formatReadout(-2500) == "-2.5K")
        #expect(formatReadout(999.99) == "1K")
        #expect(formatReadout(0) == "0")
        #expect(formatReadout(.nan) == "—" && formatReadout(.infinity) == "+Inf")
        #expect(formatReadout(1210, unit: "/s") == "1.21K/s")
        #expect(formatReadout(3.4, unit: "s") == "3.4s")
        #expect(formatReadout(12, unit: "rec") == "12 rec")
    }

    @Test func spansReadLikeTimeDivisions() {
        #expect(formatSpan(ms: 100) == "100ms")
        #expect(formatSpan(ms: 5_000) == "5s")
        #expect(formatSpan(ms: 2_500) == "2.5s")
        #expect(formatSpan(ms: 120_000) == "2m")
        #expect(formatSpan(ms: 90_000) == "1m30s")
        #expect(formatSpan(ms: 7_200_000) == "2h")
        #expect(formatSpan(ms: -50_000) == "-50s")
    }

    @Test func windowStatsUseNearestRankP99() {
        let stats = WindowStats((1...100).map(Double.init))!
        #expect(stats.min == 1 && stats.max == 100 && stats.last == 100 && stats.mean == 50.5 && stats.p99 == 99)
        #expect(WindowStats([]) == nil)
    }

    @Test func historyIsBoundedAndNeverRunsBackwards() {
        var history = TraceHistory(capacity: 3)
        for t in 1...5 { history.append(timeMs: Int64(t), value: Double(t)) }
        #expect(history.count == 3 && history.first?.timeMs == 3 && history.last?.value == 5)
        history.append(timeMs: 4, value: 99)
        #expect(history.count == 3 && history.last?.value == 5, "an older point is dropped")
        history.append(timeMs: 5, value: 7)
        #expect(history.last?.value == 7, "a re-evaluation at the same time replaces the point")
        #expect(history.value(atOrBefore: 4) == 4)
        var gaps = TraceHistory()
        gaps.append(timeMs: 1, value: 1)
        gaps.append(timeMs: 2, value: .nan)
        #expect(gaps.value(atOrBefore: 2) == 1, "a gap reads as the last value before it")
    }

    @Test func brailleDotsUseUnicodeNumbering() {
        var canvas = DotCanvas(rect: Rect(x: 0, y: 0, width: 1, height: 1), glyphs: .braille)
        canvas.setColumn(0, fromY: 0, toY: 3, style: .plain)  // dots 1,2,3,7
        var buffer = CellBuffer(width: 1, height: 1)
        canvas.render(into: &buffer)
        #expect(buffer[0, 0].character == "⡇")
        canvas.setColumn(1, fromY: 3, toY: 3, style: .plain)  // + dot 8
        canvas.render(into: &buffer)
        #expect(buffer[0, 0].character == "⣇")
        var ascii = DotCanvas(rect: Rect(x: 0, y: 0, width: 2, height: 1), glyphs: .ascii)
        ascii.setColumn(0, fromY: 2, toY: 2, style: .plain)
        ascii.setColumn(1, fromY: 0, toY: 2, style: .plain)
        var asciiBuffer = CellBuffer(width: 2, height: 1)
        ascii.render(into: &asciiBuffer)
        #expect(asciiBuffer.text == ".|")
    }
}

@Suite struct SelectionTests {
    @Test func selectionAgreesWithSortingOnAwkwardInputs() {
        var generator = SystemRandomNumberGenerator()
        for n in [1, 2, 3, 7, 100, 1001] {
            for _ in 0..<20 {
                let values = (0..<n).map { _ in Double(Int.random(in: 0..<10, using: &generator)) }  // many duplicates
                let sorted = values.sorted()
                for k in [0, n / 2, n - 1, max(0, Int((0.99 * Double(n)).rounded(.up)) - 1)] {
                    var copy = values
                    #expect(WindowStats.select(&copy, k) == sorted[k], "n=\(n) k=\(k)")
                }
            }
        }
    }
}
