import Testing

@testable import ScopeUI

@Suite struct DownsampleTests {
    func history(_ points: [(Int64, Double)]) -> TraceHistory { TraceHistory(points: points.map { ($0.0, $0.1) }) }

    @Test func aSpikeNarrowerThanAColumnIsKeptFullHeight() {
        // 1000 points over 10 columns, one spike of one point.
        var points: [(Int64, Double)] = (0..<1000).map { (Int64($0), 1.0) }
        points[537].1 = 50
        let spans = downsample(history(points), startMs: 0, endMs: 1000, columns: 10)
        #expect(spans[5] == ColumnSpan(low: 1, high: 50))
        #expect(spans.enumerated().allSatisfy { $0.offset == 5 || $0.element == ColumnSpan(low: 1, high: 1) })
    }

    @Test func sparsePointsAreJoinedByStraightLines() {
        let spans = downsample(history([(0, 0), (100, 10)]), startMs: 0, endMs: 100, columns: 10)
        for (column, span) in spans.enumerated() {
            #expect(span == ColumnSpan(low: Double(column), high: Double(column + 1)), "column \(column)")
        }
    }

    @Test func aGapIsNeverJoinedAcross() {
        let spans = downsample(history([(0, 5), (10, 5), (20, .nan), (80, 5), (90, 5)]), startMs: 0, endMs: 100, columns: 10)
        #expect(spans[0] != nil && spans[1] != nil)
        #expect(spans[2...7].allSatisfy { $0 == nil })
        #expect(spans[8] != nil && spans[9] != nil)
    }

    @Test func linesEnterAndLeaveTheWindowFromPointsOutsideIt() {
        let spans = downsample(history([(-50, 0), (150, 20)]), startMs: 0, endMs: 100, columns: 2)
        #expect(spans == [ColumnSpan(low: 5, high: 10), ColumnSpan(low: 10, high: 15)])
    }

    @Test func emptyWindowsAndDegenerateInputsDrawNothing() {
        #expect(downsample(TraceHistory(), startMs: 0, endMs: 100, columns: 4) == [nil, nil, nil, nil])
        #expect(downsample(history([(0, 1)]), startMs: 0, endMs: 100, columns: 0).isEmpty)
        #expect(downsample(history([(500, 1), (600, 2)]), startMs: 0, endMs: 100, columns: 2) == [nil, nil])
    }
}
