import Testing
import ScopeCore

@testable import SeriesStore

@Suite struct RetentionTests {
    @Test func wholeOldChunksGoAndEmptySeriesLeaveTheIndex() throws {
        let clock = ManualClock(startMs: t0)
        var options = StoreOptions(retentionMs: 3_600_000)
        options.chunkMaxSamples = 120
        let store = SeriesStore(options: options, clock: clock)
        // 100 "old" series that stop after 30 minutes, 100 "live" ones that go on for 2 hours.
        for i in 0..<100 {
            for step in 0..<120 {
                try store.append(["__name__": "old", "id": "o\(i)"], timestampMs: t0 + Int64(step) * 15_000, value: Double(step))
            }
        }
        for i in 0..<100 {
            for step in 0..<480 {
                try store.append(["__name__": "live", "id": "l\(i)"], timestampMs: t0 + Int64(step) * 15_000, value: Double(step))
            }
        }
        let before = store.stats
        #expect(before.series == 200)
        #expect(before.chunks == 100 + 400)
        #expect(before.symbols == 2 + 2 + 200)

        // Nothing is older than an hour yet.
        clock.set(ms: t0 + 3_600_000)
        #expect(store.enforceRetention().chunksDropped == 0)

        // At t0 + 2h the cut is t0 + 1h: the old series' only chunk and two of each live series' go.
        clock.set(ms: t0 + 7_200_000)
        let summary = store.enforceRetention()
        #expect(summary.seriesRemoved == 100)
        #expect(summary.chunksDropped == 100 + 200)
        #expect(summary.samplesDropped == 100 * 120 + 100 * 240)
        let after = store.stats
        #expect(after.series == 100)
        #expect(after.chunks == 200)
        #expect(after.samplesInMemory == 100 * 240)
        #expect(before.chunkBytes - after.chunkBytes == summary.bytesFreed)
        #expect(after.symbols == 2 + 1 + 100, "the old series' name and ids are gone from the symbol table")
        #expect(after.seriesRemoved == 100 && after.chunksDropped == 300)
        #expect(store.labelValues("__name__") == ["live"])
        #expect(store.series(matching: [m("__name__", .equal, "old")]).isEmpty)
        #expect(store.series(matching: [m("id", .regexMatch, "o.*")]).isEmpty)
        let live = try store.select([m("__name__", .equal, "live"), m("id", .equal, "l7")], minMs: .min, maxMs: .max)
        #expect(live[0].samples.first?.timestampMs == t0 + 240 * 15_000)
        #expect(live[0].samples.count == 240)

        // Samples before the cut are refused now, and do not resurrect a removed series.
        #expect {
            try store.append(["__name__": "old", "id": "o1"], timestampMs: t0, value: 1)
        } throws: { error in
            guard case StoreError.tooOld = error else { return false }
            return true
        }
        #expect(store.stats.series == 100)
        #expect(store.stats.samplesRejected[.tooOld] == 1)
    }

    @Test func everythingGoesAndTheMemoryComesBack() throws {
        let store = SeriesStore(options: StoreOptions(retentionMs: 60_000))
        var refs: [SeriesRef] = []
        for i in 0..<5_000 {
            refs.append(try store.append(["__name__": "m\(i % 10)", "pod": "pod-\(i)"], timestampMs: t0, value: 1))
        }
        let full = store.indexSizes()
        #expect(full.series == 5_000 && full.postingsEntries == 5_000 * 5)
        store.appendEvent(Event(kind: .marker, timeMs: t0, labels: [:], title: "deploy"))
        let summary = store.enforceRetention(nowMs: t0 + 120_000)
        #expect(summary.seriesRemoved == 5_000 && summary.eventsDropped == 1)
        let stats = store.stats
        #expect(stats.series == 0 && stats.chunks == 0 && stats.chunkBytes == 0 && stats.samplesInMemory == 0)
        #expect(stats.symbols == 0 && stats.events == 0)
        let empty = store.indexSizes()
        #expect(empty.series == 0 && empty.seriesCapacity == 0, "the series table was rebuilt, not just emptied")
        #expect(empty.hashEntries == 0 && empty.postingsEntries == 0 && empty.postingsLists == 1 && empty.symbolSlots == 0)
        // Old refs do not come back to life; new series get new refs.
        #expect(throws: StoreError.self) { try store.append(ref: refs[0], timestampMs: t0 + 120_000, value: 1) }
        let again = try store.append(["__name__": "m0", "pod": "pod-0"], timestampMs: t0 + 120_000, value: 1)
        #expect(again > refs.last!)
    }

    @Test func partialRemovalShrinksTheTables() throws {
        let store = SeriesStore(options: StoreOptions(retentionMs: 60_000))
        for i in 0..<20_000 {
            try store.append(["__name__": "m", "pod": "pod-\(i)"], timestampMs: i < 100 ? t0 + 100_000 : t0, value: 1)
        }
        let before = store.indexSizes()
        store.truncate(beforeMs: t0 + 50_000)
        let after = store.indexSizes()
        #expect(after.series == 100)
        #expect(after.seriesCapacity < before.seriesCapacity / 10)
        #expect(after.postingsEntries == 100 * 5)
        #expect(after.symbols == 3 + 100, "__name__, m, pod and the surviving pods")
    }

    @Test func theHeadChunkStaysWhileItHasRecentSamples() throws {
        let store = SeriesStore()
        // 10 samples a minute apart: all in the head chunk.
        for i in 0..<10 { try store.append(["__name__": "x"], timestampMs: t0 + Int64(i) * 60_000, value: Double(i)) }
        let summary = store.truncate(beforeMs: t0 + 5 * 60_000)
        #expect(summary.chunksDropped == 0 && summary.seriesRemoved == 0)
        #expect(try store.select([m("__name__", .equal, "x")], minMs: .min, maxMs: .max)[0].samples.count == 10)
    }
}
