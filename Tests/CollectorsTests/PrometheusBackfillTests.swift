import PromQL
import ScopeCore
import SeriesStore
import Testing

@testable import Collectors

@Suite struct PrometheusBackfillTests {
    @Test func spanCoversLookbackRangesOffsetsAndAtTimes() throws {
        let plain = PrometheusBackfill.span(of: try PromQL.parse("up"), startMs: 1_000_000, endMs: 2_000_000)
        #expect(plain.minMs == 1_000_000 - 300_000 && plain.maxMs == 2_000_000)
        let ranged = PrometheusBackfill.span(of: try PromQL.parse("rate(x[10m] offset 1h)"), startMs: 10_000_000, endMs: 20_000_000)
        #expect(ranged.minMs == 10_000_000 - 300_000 - 600_000 - 3_600_000)
        let sub = PrometheusBackfill.span(of: try PromQL.parse("max_over_time(rate(x[5m])[30m:1m])"), startMs: 10_000_000, endMs: 20_000_000)
        #expect(sub.minMs == 10_000_000 - 300_000 - 300_000 - 1_800_000)
        let ahead = PrometheusBackfill.span(of: try PromQL.parse("x offset -10m"), startMs: 10_000_000, endMs: 20_000_000)
        #expect(ahead.maxMs == 20_000_000 + 600_000)
        let pinned = PrometheusBackfill.span(of: try PromQL.parse("x @ 100"), startMs: 10_000_000, endMs: 20_000_000)
        #expect(pinned.minMs == 100_000 - 300_000)
    }

    @Test(.serialized) func loadsRawSeriesMergingOverlappingSelectors() throws {
        let matrix = #"""
            {"status":"success","data":{"resultType":"matrix","result":[
              {"metric":{"__name__":"x","a":"1"},"values":[[100,"1"],[115,"2"],[130,"3"]]}]}}
            """#
        let server = try TestHTTPServer(routes: ["/api/v1/query": .init(body: Array(matrix.utf8))])
        defer { server.stop() }
        let store = SeriesStore(clock: ManualClock(startMs: 0))
        // Two different selectors of the same series (the server answers both with the same samples).
        let stored = try PrometheusBackfill.load(
            try PromQL.parse("x / x{a=\"1\"} offset 1m"), startMs: 130_000, endMs: 130_000,
            from: PrometheusAPIClient(baseURL: server.baseURL), into: store)
        #expect(stored == 3)
        let series = try store.select([try LabelMatcher("__name__", .equal, "x")], minMs: 0, maxMs: .max)
        #expect(series.first?.samples.map(\.value) == [1, 2, 3])
        #expect(server.requests.count == 2)
    }
}
