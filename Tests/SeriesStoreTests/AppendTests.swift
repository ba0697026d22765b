import Testing
import ScopeCore

@testable import SeriesStore

@Suite struct AppendTests {
    let labels: Labels = ["__name__": "lag", "group": "billing"]

    @Test func appendByLabelsReturnsAStableRefForTheFastPath() throws {
        let store = SeriesStore()
        let ref = try store.append(labels, timestampMs: t0, value: 1)
        #expect(try store.append(Labels([Label("group", "billing"), Label("__name__", "lag")]), timestampMs: t0 + 1, value: 2) == ref)
        try store.append(ref: ref, timestampMs: t0 + 2, value: 3)
        #expect(store.ref(for: labels) == ref)
        #expect(store.ref(for: ["__name__": "other"]) == nil)
        let other = try store.append(["__name__": "lag", "group": "audit"], timestampMs: t0, value: 1)
        #expect(other != ref && other > ref, "refs ascend")
        let series = try store.select([m("group", .equal, "billing")], minMs: .min, maxMs: .max)
        #expect(series.map(\.samples) == [[Sample(timestampMs: t0, value: 1), Sample(timestampMs: t0 + 1, value: 2), Sample(timestampMs: t0 + 2, value: 3)]])
    }

    @Test func outOfOrderAndConflictingDuplicatesAreRejectedAndCounted() throws {
        let store = SeriesStore()
        let ref = try store.append(labels, timestampMs: t0 + 1_000, value: 5)
        #expect {
            try store.append(ref: ref, timestampMs: t0, value: 6)
        } throws: { error in
            guard case let StoreError.outOfOrder(series, t, newest) = error else { return false }
            return series == labels && t == t0 && newest == t0 + 1_000
                && "\(error)".contains("out-of-order sample for {__name__=\"lag\", group=\"billing\"}")
        }
        #expect {
            try store.append(labels, timestampMs: t0 + 1_000, value: 7)
        } throws: { error in
            guard case let StoreError.duplicateTimestamp(_, t, stored, rejected) = error else { return false }
            return t == t0 + 1_000 && stored == 5 && rejected == 7 && (error as? StoreError)?.reason == .duplicateTimestamp
        }
        // A NaN with a different payload is a different value; a staleness marker is too.
        #expect(throws: StoreError.self) { try store.append(ref: ref, timestampMs: t0 + 1_000, value: .staleMarker) }
        // The same sample again: accepted, nothing stored.
        try store.append(ref: ref, timestampMs: t0 + 1_000, value: 5)
        try store.append(labels, timestampMs: t0 + 1_000, value: 5)
        let stats = store.stats
        #expect(stats.samplesAppended == 1)
        #expect(stats.duplicatesIgnored == 2)
        #expect(stats.samplesRejected[.outOfOrder] == 1)
        #expect(stats.samplesRejected[.duplicateTimestamp] == 2)
        #expect(stats.samplesRejectedTotal == 3)
        #expect(try store.select([m("__name__", .equal, "lag")], minMs: .min, maxMs: .max)[0].samples == [Sample(timestampMs: t0 + 1_000, value: 5)])
    }

    @Test func repeatedNaNWithTheSameBitsIsANoOp() throws {
        let store = SeriesStore()
        let ref = try store.append(labels, timestampMs: t0, value: .nan)
        try store.append(ref: ref, timestampMs: t0, value: .nan)
        try store.append(ref: ref, timestampMs: t0 + 1, value: .staleMarker)
        try store.append(ref: ref, timestampMs: t0 + 1, value: .staleMarker)
        #expect(store.stats.duplicatesIgnored == 2)
        #expect(store.stats.samplesRejectedTotal == 0)
    }

    @Test func unknownRefIsAClearError() {
        let store = SeriesStore()
        #expect {
            try store.append(ref: SeriesRef(rawValue: 99), timestampMs: t0, value: 1)
        } throws: { error in
            guard case StoreError.unknownSeries(let ref) = error else { return false }
            return ref.rawValue == 99 && "\(error)".contains("append by labels")
        }
        #expect(store.stats.samplesRejected[.unknownSeries] == 1)
    }

    @Test func labelSetsAreNormalisedAndValidated() throws {
        var options = StoreOptions()
        options.maxLabelsPerSeries = 3
        options.maxLabelValueBytes = 8
        let store = SeriesStore(options: options)
        // An empty value means "absent": the two sets are the same series.
        let a = try store.append(["__name__": "x", "job": "a", "zone": ""], timestampMs: t0, value: 1)
        let b = try store.append(["__name__": "x", "job": "a"], timestampMs: t0 + 1, value: 2)
        #expect(a == b)
        for bad: Labels in [[:], ["__name__": ""], ["": "v"], ["__name__": "x", "a": "1", "b": "2", "c": "3"], ["__name__": "123456789"]] {
            #expect {
                try store.append(bad, timestampMs: t0, value: 1)
            } throws: { error in
                guard case StoreError.invalidLabels = error else { return false }
                return true
            }
        }
        #expect(store.stats.samplesRejected[.invalidLabels] == 5)
        #expect(store.stats.series == 1)
    }

    @Test func batchAppendSummarisesRefusals() throws {
        let store = SeriesStore()
        let ref = try store.append(labels, timestampMs: t0, value: 0)
        var batch = (1...3_000).map { RefSample(ref: ref, timestampMs: t0 + Int64($0) * 15_000, value: Double($0)) }
        batch.append(RefSample(ref: ref, timestampMs: t0, value: 9))  // out of order
        batch.append(RefSample(ref: ref, timestampMs: t0 + 3_000 * 15_000, value: 3_000))  // exact repeat
        batch.append(RefSample(ref: SeriesRef(rawValue: 12345), timestampMs: t0, value: 1))
        let summary = store.append(batch)
        #expect(summary.appended == 3_000)
        #expect(summary.duplicatesIgnored == 1)
        #expect(summary.rejected == [.outOfOrder: 1, .unknownSeries: 1])
        #expect(summary.errors.count == 2)
        #expect(store.stats.samplesInMemory == 3_001)
        #expect(store.stats.chunks == 26, "3001 samples in chunks of 120")
    }

    @Test func chunksAreCutAtTheSpanLimitToo() throws {
        var options = StoreOptions(retentionMs: 60_000)
        options.chunkMaxSamples = 1_000
        let store = SeriesStore(options: options)
        // Span limit = retention / 2 = 30 s: a chunk every 30 samples at 1 s.
        for i in 0..<90 { try store.append(labels, timestampMs: Int64(i) * 1_000, value: 1) }
        #expect(store.stats.chunks == 3)
    }
}
