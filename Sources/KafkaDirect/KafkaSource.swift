import ScopeCore
import SeriesStore

/// `--kafka`: one collection of a cluster as families (kafka_exporter's names, plus `up`) and
/// its groups' rebalances as events. Its series belong to target `job="kafka"`,
/// `instance=BOOTSTRAP`, so `up`, the staleness of vanished groups and topics, and the
/// TargetDown alert work as for any scraped target. A cluster that does not answer gives `up 0`
/// and the reason; the next collection tries again (librdkafka reconnects by itself).
public final class KafkaSource: @unchecked Sendable {
    public struct Collection: Sendable {
        /// Without `job`/`instance` (see `targetLabels`); `up` last.
        public var families: [MetricFamily]
        public var events: [Event]
        /// What went wrong, for the status line or stderr: nil when the collection was clean.
        public var problem: String?
        /// The problem without the detail that varies between attempts: a new kind is news.
        var problemKind: String?
        public var snapshot: ClusterSnapshot?
        /// What a log line should say about this collection: a problem the previous one did not
        /// have, or that the cluster answers again (so a cluster that stays down is said once).
        public var news: String?
    }

    public let client: KafkaClient
    public let targetLabels: Labels
    private let targetKey: String
    private var changes = GroupChangeDetector()
    private var lastProblem: String?
    private var lastAnswered: Bool?

    public init(options: KafkaOptions) throws {
        client = try KafkaClient(options)
        targetLabels = ["job": "kafka", "instance": options.bootstrap]
        targetKey = "kafka:\(options.bootstrap)"
    }

    /// One collection at `nowMs` (blocks for at most the client's timeout). Not thread-safe.
    public func collect(atMs nowMs: Int64) -> Collection {
        var collection = attempt(atMs: nowMs)
        let answered = collection.snapshot != nil
        if let problem = collection.problem, collection.problemKind != lastProblem { collection.news = problem }
        if answered && lastAnswered == false {
            collection.news = "kafka \(client.options.bootstrap) answers again" + (collection.news.map { "; \($0)" } ?? "")
        }
        lastProblem = collection.problemKind
        lastAnswered = answered
        return collection
    }

    private func attempt(atMs nowMs: Int64) -> Collection {
        var up = MetricFamily(name: "up", type: .gauge, help: "1 when the last collection of the cluster succeeded.")
        do {
            let snapshot = try client.collect()
            let events = changes.observe(snapshot.groups, atMs: nowMs)
            up.add(Labels(), 1)
            let warning = snapshot.warnings.first.map { "kafka \(client.options.bootstrap): \($0)" }
            return Collection(families: ClusterSeries.families(snapshot, rebalances: changes.rebalances,
                                                                     nowMs: client.options.lagTime == .off ? nil : nowMs) + [up], events: events,
                              problem: warning, problemKind: warning, snapshot: snapshot)
        } catch {
            up.add(Labels(), 0)
            return Collection(families: [up], events: [], problem: "\(error)", problemKind: (error as? KafkaError)?.summary ?? "\(error)", snapshot: nil)
        }
    }

    /// One collection into `store` for a judgement over the past (`eval --once`), with the lower
    /// bounds of past lag in seconds the cluster gives (`ClusterSeries.pastLagSeconds`), so an
    /// alert on lag in seconds over a `for` window can fire at once. Returns the collection and
    /// the earliest time written, nil when nothing was.
    public func collect(into store: SeriesStore, atMs nowMs: Int64, lagHistoryFromMs fromMs: Int64, stepMs: Int64) -> (Collection, Int64?) {
        let collection = collect(atMs: nowMs)
        var earliest: Int64?
        if let snapshot = collection.snapshot, client.options.lagTime == .exact {
            for point in ClusterSeries.pastLagSeconds(snapshot, fromMs: fromMs, nowMs: nowMs, stepMs: stepMs) {
                let sample = ScrapedSample(point, targetLabels: targetLabels)
                if (try? store.append(sample.labels, timestampMs: point.timestampMs!, value: point.value)) != nil {
                    earliest = min(earliest ?? point.timestampMs!, point.timestampMs!)
                }
            }
        }
        ingest(collection, into: store, atMs: nowMs)
        return (collection, earliest)
    }

    /// One collection into `store`, as one scrape of the target: after a failed one only `up`
    /// remains and every other series of the cluster goes stale, as a failed scrape's.
    @discardableResult
    public func collect(into store: SeriesStore, atMs nowMs: Int64) -> Collection {
        let collection = collect(atMs: nowMs)
        ingest(collection, into: store, atMs: nowMs)
        return collection
    }

    private func ingest(_ collection: Collection, into store: SeriesStore, atMs nowMs: Int64) {
        for event in collection.events { store.appendEvent(event) }
        let samples = collection.families.flatMap { family in family.points.map { ScrapedSample($0, targetLabels: targetLabels) } }
        store.ingestScrape(targetKey: targetKey, samples: samples, timestampMs: nowMs)
    }
}
