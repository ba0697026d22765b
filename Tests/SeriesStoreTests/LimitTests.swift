import Testing
import ScopeCore

@testable import SeriesStore

@Suite struct LimitTests {
    @Test func newSeriesBeyondTheLimitAreRejectedWithAClearError() throws {
        let store = SeriesStore(options: StoreOptions(maxSeries: 100))
        for i in 0..<100 { try store.append(["__name__": "x", "i": "\(i)"], timestampMs: t0, value: 1) }
        var messages: [String] = []
        for i in 100..<150 {
            do {
                try store.append(["__name__": "x", "i": "\(i)"], timestampMs: t0, value: 1)
            } catch {
                guard case let .seriesLimit(limit, series) = error else { Issue.record("unexpected \(error)"); continue }
                #expect(limit == 100 && series["i"] == "\(i)")
                messages.append(error.description)
            }
        }
        #expect(messages.count == 50)
        #expect(messages[0] == "series limit of 100 reached: new series {__name__=\"x\", i=\"100\"} rejected (raise the limit or drop labels with many values)")
        // Existing series still take samples.
        try store.append(["__name__": "x", "i": "5"], timestampMs: t0 + 1, value: 2)
        let stats = store.stats
        #expect(stats.series == 100 && stats.rejectedSeries == 50 && stats.samplesRejected[.seriesLimit] == 50)
        #expect(stats.samplesAppended == 101)
    }

    @Test func aFloodOfNewSeriesStaysBounded() throws {
        let store = SeriesStore(options: StoreOptions(maxSeries: 1_000))
        let samples = (0..<50_000).map { ScrapedSample(labels: ["__name__": "flood", "id": "\($0)"], value: 1) }
        let summary = store.ingestScrape(targetKey: "bad", samples: samples, timestampMs: t0)
        // Refused whole (not stored up to the limit): the store keeps its room for other targets.
        #expect(summary.refused != nil && summary.samples.appended == 0)
        #expect(store.stats.series == 0 && store.indexSizes().symbols == 0)
        // Appends one by one still stop at the limit, each refusal counted.
        for sample in samples.prefix(1_010) { _ = try? store.append(sample.labels, timestampMs: t0, value: 1) }
        #expect(store.stats.series == 1_000 && store.stats.samplesRejected[.seriesLimit] == 10)
    }

    @Test func aQueryTouchingTooManySeriesIsRefused() throws {
        let store = SeriesStore(options: StoreOptions(maxSeriesPerQuery: 10))
        for i in 0..<20 { try store.append(["__name__": "x", "i": "\(i)", "half": "\(i % 2)"], timestampMs: t0 + Int64(i), value: 1) }
        #expect {
            try store.select([m("__name__", .equal, "x")], minMs: .min, maxMs: .max)
        } throws: { error in
            guard case let StoreError.querySeriesLimit(limit, matchers) = error else { return false }
            return limit == 10 && matchers.count == 1
                && "\(error)" == "query touches more than 10 series (the per-query limit): {__name__=\"x\"}; narrow the selector or raise the limit"
        }
        #expect(try store.select([m("__name__", .equal, "x"), m("half", .equal, "0")], minMs: .min, maxMs: .max).count == 10)
        // Only series with data in the range count.
        #expect(try store.select([m("__name__", .equal, "x")], minMs: t0 + 15, maxMs: .max).count == 5)
        #expect(try store.select([m("__name__", .equal, "x")], minMs: .min, maxMs: .max, seriesLimit: 20).count == 20)
        #expect(store.stats.selectsRefused == 1)
    }
}
