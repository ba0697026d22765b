import ScopeCore
import SeriesStore
import StreamLog

/// Samples the embedded log into the store: on every `collect`, its metric families (with
/// kafka_exporter's names) as one scrape of target `embedded-log`, and its rebalance events since
/// the last collection into the event timeline. Series the log stops exposing (a deleted group's
/// lag) get staleness markers like any scraped target's.
public final class EmbeddedLogSource: @unchecked Sendable {
    public let log: StreamLog
    public let store: SeriesStore
    /// Added to every series: which source this is.
    public let targetLabels: Labels
    private let targetKey: String
    /// Events up to this time are in the timeline already (and which ones at exactly that time,
    /// so a second event in the same millisecond is not lost). Guarded by the caller's serial use.
    private var eventsThroughMs: Int64 = .min
    private var eventsAtBoundary: Set<String> = []

    public init(log: StreamLog, store: SeriesStore, job: String = "strmscope", instance: String = "embedded-log") {
        self.log = log
        self.store = store
        self.targetLabels = ["job": job, "instance": instance]
        self.targetKey = "embedded-log:\(log.directory)"
    }

    /// One collection at `nowMs`; returns how many samples were ingested.
    @discardableResult
    public func collect(atMs nowMs: Int64) -> Int {
        log.refreshFromWriter()
        var samples: [ScrapedSample] = []
        for family in log.metricFamilies() {
            for point in family.points {
                samples.append(ScrapedSample(point, targetLabels: targetLabels))
            }
        }
        samples.append(ScrapedSample(labels: targetLabels.setting("__name__", "up"), value: 1))
        let summary = store.ingestScrape(targetKey: targetKey, samples: samples, timestampMs: nowMs)
        if let events = try? log.events(fromMs: eventsThroughMs, toMs: nowMs) {
            for event in events where !(event.timeMs == eventsThroughMs && eventsAtBoundary.contains(event.title)) {
                store.appendEvent(event)
                if event.timeMs > eventsThroughMs {
                    eventsThroughMs = event.timeMs
                    eventsAtBoundary = []
                }
                eventsAtBoundary.insert(event.title)
            }
        }
        return summary.samples.appended
    }
}
