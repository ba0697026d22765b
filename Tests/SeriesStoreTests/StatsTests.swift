import Testing
import ScopeCore

@testable import SeriesStore

@Suite struct StatsTests {
    @Test func statsFollowTheStoreAndExportAsMetricFamilies() throws {
        let store = SeriesStore()
        for i in 0..<300 { try store.append(["__name__": "x", "k": "\(i % 3)"], timestampMs: t0 + Int64(i / 3) * 15_000, value: Double(i)) }
        _ = try? store.append(["__name__": "x", "k": "0"], timestampMs: t0, value: -1)
        _ = try store.select([m("__name__", .equal, "x")], minMs: .min, maxMs: .max)
        let stats = store.stats
        #expect(stats.series == 3 && stats.samplesInMemory == 300 && stats.samplesAppended == 300)
        #expect(stats.chunks == 3, "100 samples each: one head chunk per series")
        #expect(stats.chunkBytes > 0 && stats.bytesPerSample == Double(stats.chunkBytes) / 300)
        #expect(stats.samplesRejected == [.outOfOrder: 1] && stats.selects == 1)
        let families = stats.metricFamilies()
        let byName = Dictionary(uniqueKeysWithValues: families.map { ($0.name, $0) })
        #expect(byName["strmscope_store_series"]?.points.first?.value == 3)
        #expect(byName["strmscope_store_samples_appended_total"]?.type == .counter)
        let rejected = byName["strmscope_store_samples_rejected_total"]!.points
        #expect(rejected.count == RejectReason.allCases.count)
        #expect(rejected.first { $0.labels["reason"] == "out_of_order" }?.value == 1)
        #expect(Set(families.map(\.name)).count == families.count)
    }

    @Test func storeIsAQueryable() throws {
        let store = SeriesStore()
        try store.append(["__name__": "up", "job": "a"], timestampMs: t0, value: 1)
        let queryable: any Queryable = store
        #expect(try queryable.select([m("__name__", .equal, "up")], minMs: t0, maxMs: t0).count == 1)
    }
}
