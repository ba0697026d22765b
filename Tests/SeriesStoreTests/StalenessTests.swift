import Testing
import ScopeCore

@testable import SeriesStore

@Suite struct StalenessTests {
    func sample(_ name: String, _ value: Double, _ extra: Labels = Labels()) -> ScrapedSample {
        ScrapedSample(labels: Labels(extra.pairs + [Label("__name__", name), Label("job", "kafka")]), value: value)
    }

    func values(_ store: SeriesStore, _ name: String) throws -> [(Int64, String)] {
        try store.select([m("__name__", .equal, name)], minMs: .min, maxMs: .max).flatMap { $0.samples }.map {
            ($0.timestampMs, $0.value.isStaleMarker ? "stale" : "\($0.value)")
        }
    }

    @Test func aSeriesThatDisappearsGetsAMarkerAtTheScrapeTime() throws {
        let store = SeriesStore()
        var summary = store.ingestScrape(targetKey: "kafka/a", samples: [sample("up", 1), sample("lag", 5), sample("dlq", 0)], timestampMs: t0)
        #expect(summary.samples.appended == 3 && summary.staleMarkers == 0 && summary.seriesTracked == 3)
        summary = store.ingestScrape(targetKey: "kafka/a", samples: [sample("up", 1), sample("dlq", 1)], timestampMs: t0 + 15_000)
        #expect(summary.staleMarkers == 1)
        #expect(try values(store, "lag").map(\.1) == ["5.0", "stale"])
        #expect(try values(store, "lag").map(\.0) == [t0, t0 + 15_000])
        // It comes back: ordinary samples again, and no second marker while it stays.
        store.ingestScrape(targetKey: "kafka/a", samples: [sample("up", 1), sample("lag", 7), sample("dlq", 1)], timestampMs: t0 + 30_000)
        store.ingestScrape(targetKey: "kafka/a", samples: [sample("up", 1), sample("lag", 8), sample("dlq", 1)], timestampMs: t0 + 45_000)
        #expect(try values(store, "lag").map(\.1) == ["5.0", "stale", "7.0", "8.0"])
        #expect(try values(store, "dlq").map(\.1) == ["0.0", "1.0", "1.0", "1.0"])
        let stale = try store.select([m("__name__", .equal, "lag")], minMs: t0 + 15_000, maxMs: t0 + 15_000)[0].samples[0]
        #expect(stale.value.bitPattern == Double.staleNaNBits, "the exact StaleNaN bit pattern")
        #expect(store.stats.staleMarkersWritten == 1)
    }

    @Test func targetsAreIndependent() {
        let store = SeriesStore()
        store.ingestScrape(targetKey: "a", samples: [sample("up", 1, ["instance": "a"])], timestampMs: t0)
        store.ingestScrape(targetKey: "b", samples: [sample("up", 1, ["instance": "b"])], timestampMs: t0)
        let summary = store.ingestScrape(targetKey: "a", samples: [sample("up", 1, ["instance": "a"])], timestampMs: t0 + 15_000)
        #expect(summary.staleMarkers == 0, "b's series are b's business")
        #expect(store.targetKeys == ["a", "b"])
    }

    @Test func aTargetThatGoesDownMarksAllItsSeries() throws {
        let store = SeriesStore()
        store.ingestScrape(targetKey: "t", samples: [sample("lag", 1), sample("dlq", 2)], timestampMs: t0)
        #expect(store.markTargetDown(targetKey: "t", timestampMs: t0 + 15_000) == 2)
        #expect(store.markTargetDown(targetKey: "t", timestampMs: t0 + 30_000) == 0, "already marked")
        #expect(try values(store, "lag").map(\.1) == ["1.0", "stale"])
        store.ingestScrape(targetKey: "t", samples: [sample("lag", 3)], timestampMs: t0 + 45_000)
        #expect(store.removeTarget(targetKey: "t", timestampMs: t0 + 60_000) == 1)
        #expect(store.targetKeys.isEmpty)
        #expect(try values(store, "lag").map(\.1) == ["1.0", "stale", "3.0", "stale"])
        #expect(try values(store, "dlq").map(\.1) == ["2.0", "stale"])
    }

    @Test func explicitTimestampsAreStoredAsIsAndNotTracked() throws {
        let store = SeriesStore()
        let stamped = ScrapedSample(labels: ["__name__": "pushed", "job": "kafka"], value: 4, timestampMs: t0 - 60_000)
        store.ingestScrape(targetKey: "t", samples: [stamped, sample("up", 1)], timestampMs: t0)
        let summary = store.ingestScrape(targetKey: "t", samples: [sample("up", 1)], timestampMs: t0 + 15_000)
        #expect(summary.staleMarkers == 0)
        #expect(try values(store, "pushed").map(\.0) == [t0 - 60_000])
    }

    @Test func scrapeRefusalsAreSummarisedNotThrown() throws {
        var options = StoreOptions()
        options.maxSeries = 3
        let store = SeriesStore(options: options)
        let summary = store.ingestScrape(
            targetKey: "t",
            samples: [sample("a", 1), sample("b", 1), sample("c", 1), ScrapedSample(labels: [:], value: 1), sample("a", 2)],
            timestampMs: t0
        )
        #expect(summary.refused == nil)
        #expect(summary.samples.appended == 3)
        #expect(summary.samples.rejected == [.invalidLabels: 1, .duplicateTimestamp: 1])
        #expect(summary.seriesTracked == 3, "a (exposed twice), b and c")
    }

    /// A scrape that would take the store past its series limit is refused whole: nothing of it
    /// is stored, so the series of the targets already there keep their room.
    @Test func aScrapeOverTheSeriesLimitIsRefusedWhole() throws {
        var options = StoreOptions()
        options.maxSeries = 3
        let store = SeriesStore(options: options)
        store.ingestScrape(targetKey: "legit", samples: [sample("a", 1)], timestampMs: t0)
        let summary = store.ingestScrape(targetKey: "big", samples: [sample("b", 1), sample("c", 1), sample("d", 1)], timestampMs: t0)
        #expect(summary.refused == "the scrape would add 3 new series to the 1 held, over the series limit of 3")
        #expect(summary.samples.appended == 0 && summary.seriesTracked == 0)
        #expect(store.stats.series == 1)
        #expect(store.ingestScrape(targetKey: "legit", samples: [sample("a", 2)], timestampMs: t0 + 15_000).samples.appended == 1)
    }

    @Test func aMarkerNeverOverwritesNewerData() throws {
        let store = SeriesStore()
        store.ingestScrape(targetKey: "t", samples: [sample("lag", 1)], timestampMs: t0)
        // Someone else wrote the same series later than the next scrape's time.
        try store.append(["__name__": "lag", "job": "kafka"], timestampMs: t0 + 20_000, value: 2)
        let summary = store.ingestScrape(targetKey: "t", samples: [], timestampMs: t0 + 15_000)
        #expect(summary.staleMarkers == 0)
        #expect(store.stats.samplesRejectedTotal == 0, "a dropped marker is not a rejected sample")
        #expect(try values(store, "lag").map(\.1) == ["1.0", "2.0"])
    }

    @Test func pointsFromTheParserCarryTargetLabels() {
        let point = MetricPoint(name: "kafka_consumergroup_lag", labels: ["consumergroup": "g", "job": "exposed"], value: 3)
        let scraped = ScrapedSample(point, targetLabels: ["job": "kafka", "instance": "b:9308"])
        // The target's labels win; the series' own `job` is kept as `exported_job` (Prometheus, honor_labels: false).
        #expect(scraped.labels == ["__name__": "kafka_consumergroup_lag", "consumergroup": "g", "job": "kafka", "instance": "b:9308",
                                   "exported_job": "exposed"])
        #expect(scraped.timestampMs == nil)
    }
}
