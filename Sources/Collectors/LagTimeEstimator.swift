import ScopeCore
import SeriesStore

/// When a partition's end offset was reached, learnt from polls: kafka-lag-exporter's lookup
/// table. Points are (offset, time) in time order; a point older than the newest, or with a
/// smaller offset (the topic was recreated), is refused; a flat run keeps only its first and
/// latest points (so "when was this offset first reached" stays answerable); at most
/// `capacity` points (60 ≈ 30 min at a 30 s poll), the oldest dropped.
public struct OffsetTimeTable: Sendable, Equatable {
    public struct Point: Sendable, Equatable {
        public var offset: Int64
        public var timeMs: Int64
    }

    public enum Estimate: Sendable, Equatable {
        /// The group is at the end of the partition.
        case zero
        /// Between two polls: off by at most the time between them.
        case interpolated(seconds: Double)
        /// Older than the table (or past its newest point): a guess from its slope, flagged.
        case extrapolated(seconds: Double)
        /// Fewer than two points: no estimate (absent, never NaN or -1).
        case unknown
    }

    public let capacity: Int
    public private(set) var points: [Point] = []

    public init(capacity: Int = 60) { self.capacity = max(2, capacity) }

    /// Adds a poll of the partition's end offset; false when refused.
    @discardableResult
    public mutating func add(offset: Int64, atMs timeMs: Int64) -> Bool {
        if let last = points.last {
            guard timeMs > last.timeMs else { return false }
            if offset < last.offset {
                // The partition went backwards (recreated): what we knew no longer applies.
                points = [Point(offset: offset, timeMs: timeMs)]
                return true
            }
            if offset == last.offset, points.count >= 2, points[points.count - 2].offset == offset {
                points[points.count - 1].timeMs = timeMs
                return true
            }
        }
        points.append(Point(offset: offset, timeMs: timeMs))
        if points.count > capacity { points.removeFirst(points.count - capacity) }
        return true
    }

    /// How long ago the partition's end was at `groupOffset`, seen from `nowMs`.
    public func lag(groupOffset: Int64, nowMs: Int64) -> Estimate {
        guard let newest = points.last else { return .unknown }
        if groupOffset >= newest.offset { return .zero }
        guard points.count >= 2 else { return .unknown }
        func seconds(_ predictedMs: Double) -> Double { max(0, (Double(nowMs) - predictedMs) / 1000) }
        func predict(_ l: Point, _ r: Point) -> Double {
            guard r.offset != l.offset else { return Double(l.timeMs) }
            return Double(r.timeMs) - Double(r.offset - groupOffset) * Double(r.timeMs - l.timeMs) / Double(r.offset - l.offset)
        }
        for index in 1..<points.count {
            let l = points[index - 1], r = points[index]
            if l.offset <= groupOffset && groupOffset <= r.offset {
                // The first time the offset was reached: the start of a flat run, not its end.
                if groupOffset == l.offset { return .interpolated(seconds: seconds(Double(l.timeMs))) }
                return .interpolated(seconds: seconds(predict(l, r)))
            }
        }
        return .extrapolated(seconds: seconds(predict(points.first!, newest)))
    }
}

/// Where an exporter puts the offsets the estimate needs: a partition's end offset, and each
/// group's position on it, as a committed offset or (kminion) as lag behind the end.
public struct OffsetSeriesNames: Sendable, Equatable {
    public var endOffset: String
    public var topic: String
    public var partition: String
    public var groupSeries: String
    public var group: String
    public var groupTopic: String
    public var groupPartition: String
    /// `groupSeries` is lag in records: the group's offset is the end offset minus it.
    public var groupSeriesIsLag = false
    /// End offsets whose series carry this label with another value are not the user's
    /// partitions (Redpanda's internal logs share topic names such as `tx` with user topics).
    public var endOnly: (label: String, value: String)? = nil

    public static func == (a: Self, b: Self) -> Bool {
        a.endOffset == b.endOffset && a.groupSeries == b.groupSeries && a.endOnly?.label == b.endOnly?.label && a.endOnly?.value == b.endOnly?.value
    }

    /// kafka_exporter, the embedded log, --kafka and strmscope's own /metrics.
    public static let kafkaExporter = OffsetSeriesNames(
        endOffset: "kafka_topic_partition_current_offset", topic: "topic", partition: "partition",
        groupSeries: "kafka_consumergroup_current_offset", group: "consumergroup", groupTopic: "topic", groupPartition: "partition")
    /// Redpanda's /public_metrics: every replica reports the end offset (the highest is taken).
    public static let redpanda = OffsetSeriesNames(
        endOffset: "redpanda_kafka_max_offset", topic: "redpanda_topic", partition: "redpanda_partition",
        groupSeries: "redpanda_kafka_consumer_group_committed_offset", group: "redpanda_group", groupTopic: "redpanda_topic",
        groupPartition: "redpanda_partition", endOnly: ("redpanda_namespace", "kafka"))
    /// kminion: per-partition high water marks and per-partition lag.
    public static let kminion = OffsetSeriesNames(
        endOffset: "kminion_kafka_topic_partition_high_water_mark", topic: "topic_name", partition: "partition_id",
        groupSeries: "kminion_kafka_consumer_group_topic_partition_lag", group: "group_id", groupTopic: "topic_name",
        groupPartition: "partition_id", groupSeriesIsLag: true)

    public static let all = [kafkaExporter, redpanda, kminion]
}

/// Consumer lag in seconds for sources that only have offsets (a scraped kafka_exporter, a
/// Prometheus server): after each collection it reads the newest end offsets and group offsets
/// from the store, in every exporter's names (`OffsetSeriesNames`: kafka_exporter, Redpanda,
/// kminion), keeps an `OffsetTimeTable` per partition, and writes
/// `strm_consumergroup_lag_seconds{consumergroup,topic,partition}` (with the group series'
/// other labels, so every preset's lag feeds the same SLO) plus `strm_consumergroup_lag_seconds_extrapolated` (1 when the estimate is an
/// extrapolation). Interpolated estimates are off by at most one collection interval; label sets
/// that already have an exact `strm_consumergroup_lag_seconds` (the embedded log, strmscope's
/// own /metrics) are left alone.
public final class LagTimeEstimator: @unchecked Sendable {
    public let store: SeriesStore
    private var tables: [String: OffsetTimeTable] = [:]
    /// The partitions whose lag series this estimator writes (so they are not taken for exact ones).
    private var estimated: Set<String> = []
    private let lookbackMs: Int64
    private let dialects: [OffsetSeriesNames]

    public init(store: SeriesStore, lookbackMs: Int64 = 5 * 60_000, dialects: [OffsetSeriesNames] = OffsetSeriesNames.all) {
        self.store = store
        self.lookbackMs = lookbackMs
        self.dialects = dialects
    }

    /// Updates the tables from the store's newest samples and writes the estimates at `nowMs`.
    /// Returns how many lag series it wrote.
    @discardableResult
    public func update(atMs nowMs: Int64) -> Int {
        func newest(_ name: String) -> [(labels: Labels, timeMs: Int64, value: Double)] {
            guard let matcher = try? LabelMatcher("__name__", .equal, name),
                  let series = try? store.select([matcher], minMs: nowMs - lookbackMs, maxMs: nowMs) else { return [] }
            return series.compactMap { s in
                guard let last = s.samples.last, !last.value.isStaleMarker, !last.value.isNaN else { return nil }
                return (s.labels, last.timestampMs, last.value)
            }
        }
        // Offsets come from outside: a value no offset can be (NaN, ±Inf, beyond ±2^62) is skipped
        // rather than trapping in Int64(_:), and differences of two offsets cannot overflow.
        func offset(_ value: Double) -> Int64? { value.isFinite && abs(value) < 0x1p62 ? Int64(value) : nil }
        let exact = Set(newest("strm_consumergroup_lag_seconds").compactMap { labels, _, _ -> String? in
            guard let g = labels["consumergroup"], let t = labels["topic"], let p = labels["partition"] else { return nil }
            return "\(g)\u{0}\(t)\u{0}\(p)"
        }).subtracting(estimated)
        var written = 0
        for names in dialects {
            // The highest end offset per partition (replicas report it each; the leader's is newest).
            var ends: [String: Int64] = [:]
            for (labels, _, value) in newest(names.endOffset) {
                if let only = names.endOnly, let found = labels[only.label], found != only.value { continue }
                guard let topic = labels[names.topic], let partition = labels[names.partition], let value = offset(value) else { continue }
                ends["\(topic)\u{0}\(partition)", default: Int64.min] = max(ends["\(topic)\u{0}\(partition)", default: Int64.min], value)
            }
            for (key, offset) in ends { tables["\(names.endOffset)\u{0}\(key)", default: OffsetTimeTable()].add(offset: offset, atMs: nowMs) }
            // One position per group and partition: the freshest of the series reporting it (a
            // previous coordinator's or exporter's lingers for the lookback without staleness).
            var positions: [String: (labels: Labels, timeMs: Int64, value: Int64)] = [:]
            for (labels, timeMs, value) in newest(names.groupSeries) {
                guard let group = labels[names.group], let topic = labels[names.groupTopic], let partition = labels[names.groupPartition],
                      let value = offset(value), names.groupSeriesIsLag || value >= 0 else { continue }  // -1: no commit
                let key = "\(group)\u{0}\(topic)\u{0}\(partition)"
                if let known = positions[key], known.timeMs > timeMs || (known.timeMs == timeMs && known.labels.description <= labels.description) { continue }
                positions[key] = (labels, timeMs, value)
            }
            for (key, position) in positions.sorted(by: { $0.key < $1.key }) {
                let (labels, value) = (position.labels, position.value)
                let group = labels[names.group]!, topic = labels[names.groupTopic]!, partition = labels[names.groupPartition]!
                guard !exact.contains(key), let table = tables["\(names.endOffset)\u{0}\(topic)\u{0}\(partition)"],
                      let end = table.points.last?.offset else { continue }
                let groupOffset = names.groupSeriesIsLag ? end - value : value
                let seconds: Double
                var extrapolated = 0.0
                switch table.lag(groupOffset: groupOffset, nowMs: nowMs) {
                case .zero: seconds = 0
                case .interpolated(let s): seconds = s
                case .extrapolated(let s):
                    seconds = s
                    extrapolated = 1
                case .unknown: continue
                }
                estimated.insert(key)
                let out = labels.setting("consumergroup", group).setting("topic", topic).setting("partition", partition)
                _ = try? store.append(out.setting("__name__", "strm_consumergroup_lag_seconds"), timestampMs: nowMs, value: seconds)
                _ = try? store.append(out.setting("__name__", "strm_consumergroup_lag_seconds_extrapolated"), timestampMs: nowMs, value: extrapolated)
                written += 1
            }
        }
        return written
    }
}
