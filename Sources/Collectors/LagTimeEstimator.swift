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

/// Consumer lag in seconds for sources that only have offsets (a scraped kafka_exporter, a
/// Prometheus server): after each collection it reads the newest
/// `kafka_topic_partition_current_offset` and `kafka_consumergroup_current_offset` from the
/// store, keeps an `OffsetTimeTable` per partition, and writes
/// `strm_consumergroup_lag_seconds{consumergroup,topic,partition}` (with the group series'
/// other labels) plus `strm_consumergroup_lag_seconds_extrapolated` (1 when the estimate is an
/// extrapolation). Interpolated estimates are off by at most one collection interval; label sets
/// that already have an exact `strm_consumergroup_lag_seconds` (the embedded log, strmscope's
/// own /metrics) are left alone.
public final class LagTimeEstimator: @unchecked Sendable {
    public let store: SeriesStore
    private var tables: [String: OffsetTimeTable] = [:]
    /// The partitions whose lag series this estimator writes (so they are not taken for exact ones).
    private var estimated: Set<String> = []
    private let lookbackMs: Int64

    public init(store: SeriesStore, lookbackMs: Int64 = 5 * 60_000) {
        self.store = store
        self.lookbackMs = lookbackMs
    }

    /// Updates the tables from the store's newest samples and writes the estimates at `nowMs`.
    /// Returns how many lag series it wrote.
    @discardableResult
    public func update(atMs nowMs: Int64) -> Int {
        func newest(_ name: String) -> [(Labels, Double)] {
            guard let matcher = try? LabelMatcher("__name__", .equal, name),
                  let series = try? store.select([matcher], minMs: nowMs - lookbackMs, maxMs: nowMs) else { return [] }
            return series.compactMap { s in
                guard let last = s.samples.last, !last.value.isStaleMarker, !last.value.isNaN else { return nil }
                return (s.labels, last.value)
            }
        }
        for (labels, value) in newest("kafka_topic_partition_current_offset") {
            guard let topic = labels["topic"], let partition = labels["partition"] else { continue }
            let key = "\(topic)\u{0}\(partition)"
            tables[key, default: OffsetTimeTable()].add(offset: Int64(value), atMs: nowMs)
        }
        let exact = Set(newest("strm_consumergroup_lag_seconds").compactMap { labels, _ -> String? in
            guard let g = labels["consumergroup"], let t = labels["topic"], let p = labels["partition"] else { return nil }
            return "\(g)\u{0}\(t)\u{0}\(p)"
        }).subtracting(estimated)
        var written = 0
        for (labels, value) in newest("kafka_consumergroup_current_offset") {
            guard let group = labels["consumergroup"], let topic = labels["topic"], let partition = labels["partition"],
                  !exact.contains("\(group)\u{0}\(topic)\u{0}\(partition)"), let table = tables["\(topic)\u{0}\(partition)"] else { continue }
            let seconds: Double
            var extrapolated = 0.0
            switch table.lag(groupOffset: Int64(value), nowMs: nowMs) {
            case .zero: seconds = 0
            case .interpolated(let s): seconds = s
            case .extrapolated(let s):
                seconds = s
                extrapolated = 1
            case .unknown: continue
            }
            estimated.insert("\(group)\u{0}\(topic)\u{0}\(partition)")
            _ = try? store.append(labels.setting("__name__", "strm_consumergroup_lag_seconds"), timestampMs: nowMs, value: seconds)
            _ = try? store.append(labels.setting("__name__", "strm_consumergroup_lag_seconds_extrapolated"), timestampMs: nowMs, value: extrapolated)
            written += 1
        }
        return written
    }
}
