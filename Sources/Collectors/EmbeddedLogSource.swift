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
    /// Partitions already reported corrupt (one event each, when first seen).
    private var corruptSeen: Set<TopicPartition> = []

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
        var corruptNow: [TopicPartition] = []
        for family in log.metricFamilies() {
            for point in family.points {
                samples.append(ScrapedSample(point, targetLabels: targetLabels))
                if family.name == "strm_log_partition_corrupt", point.value == 1, let topic = point.labels["topic"],
                    let partition = point.labels["partition"].flatMap({ Int($0) })
                {
                    corruptNow.append(TopicPartition(topic, partition))
                }
            }
        }
        for tp in corruptNow where !corruptSeen.contains(tp) {
            corruptSeen.insert(tp)
            if let status = try? log.partitionStatus(tp) { store.appendEvent(Self.corruptionEvent(status, atMs: nowMs)) }
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

    /// At most this many past collections are rebuilt by one `backfill`.
    public static let maxBackfillSteps = 20_000

    /// Fills the store with the log's past, rebuilt from its files (`StreamLog.history`), as if
    /// this source had collected it every `stepMs` from `fromMs` up to, not including, `toMs`:
    /// so rates and windows are whole from the first live collection instead of ramping up, and
    /// rules can be judged over their `for` window at once. Call it before the first `collect`.
    /// Returns the earliest time the history covers (at least `fromMs`; `toMs` when the log
    /// could not be read): nothing before it is filled in.
    @discardableResult
    public func backfill(fromMs: Int64, toMs: Int64, stepMs: Int64) -> Int64 {
        guard stepMs > 0, fromMs < toMs else { return toMs }
        log.refreshFromWriter()
        // Before the log's first write there is nothing to rebuild: an empty log is its history.
        let firstActivity = log.firstActivityMs() ?? toMs
        let start = max(fromMs, toMs - stepMs * Int64(Self.maxBackfillSteps), firstActivity - firstActivity % stepMs)
        guard start < toMs else { return fromMs }
        let times = Array(stride(from: start, to: toMs, by: Int(stepMs)))
        guard let history = try? log.history(at: times) else { return toMs }
        // Times before the first write are covered too: nothing was there to see.
        let covered = max(fromMs, history.coverageStartMs)
        for snapshot in history.snapshots where snapshot.timeMs >= covered {
            var samples: [ScrapedSample] = []
            for family in snapshot.families {
                for point in family.points { samples.append(ScrapedSample(point, targetLabels: targetLabels)) }
            }
            samples.append(ScrapedSample(labels: targetLabels.setting("__name__", "up"), value: 1))
            store.ingestScrape(targetKey: targetKey, samples: samples, timestampMs: snapshot.timeMs)
        }
        return covered
    }

    /// A marker (C on the scope's axis) saying which acknowledged records became unreadable.
    static func corruptionEvent(_ status: PartitionStatus, atMs nowMs: Int64) -> Event {
        let tp = status.topicPartition
        let from = status.corruptFromOffset ?? status.highWatermark
        let batches = status.corruptBatches == 1 ? "1 corrupt batch" : "\(status.corruptBatches) corrupt batches"
        return Event(
            kind: .marker, timeMs: nowMs,
            labels: ["corruption": "1", "topic": tp.topic, "partition": String(tp.partition)],
            title: "log corruption \(tp.topic)/\(tp.partition): offsets \(from)-\(max(from, status.reportedEndOffset - 1)) unreadable (\(batches))",
            fields: ["detail": status.corruption ?? "", "end_offset": String(status.reportedEndOffset)])
    }
}
