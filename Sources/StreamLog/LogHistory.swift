import Foundation
import ScopeCore

/// The log's series as `metricFamilies()` would have shown them at past times, rebuilt from its
/// own files: end offsets from batch append times, committed offsets from the commit records of
/// `__consumer_offsets` (each carries its time), members and rebalance counts from the rebalance
/// events, lag in seconds from the timestamp of the record at the committed offset. This is what
/// lets a watcher that starts late see the past instead of a ramp (the scope), and `eval --once`
/// judge a `for` window as a Prometheus that had been running would.
public struct LogHistory: Sendable {
    /// The earliest time the files determine the series from: before it, retention or the
    /// compaction of commits removed what would be needed (`.min`: everything since the log began).
    public var coverageStartMs: Int64
    /// One entry per requested time, oldest first.
    public var snapshots: [(timeMs: Int64, families: [MetricFamily])]
}

extension StreamLog {
    /// When the log's oldest retained data was written (its oldest batch, commit or event), nil
    /// for a log without any: nothing before it needs rebuilding. One header read per partition.
    public func firstActivityMs() -> Int64? {
        lock.lock()
        let parts = partitions.all
        lock.unlock()
        return parts.values.compactMap { $0.firstBatchTimestampMs() }.min()
    }

    /// Families that depend on the process or on bytes, which the files do not date.
    static let undatedFamilies: Set<String> = ["strm_log_partition_bytes", "strm_log_partition_write_failed"]

    /// The series at each of `times` (ascending). Process counters (records consumed, processing
    /// time, produce latency) are not in the files and are left out.
    public func history(at times: [Int64]) throws(LogError) -> LogHistory {
        guard !closed else { throw .closed }
        let times = times.sorted()
        lock.lock()
        let parts = partitions.all
        let topicConfigs = catalog.topics
        lock.unlock()
        var coverage = Int64.min

        // End offsets per partition and time.
        var ends: [TopicPartition: [Int64]] = [:]
        var statuses: [TopicPartition: PartitionStatus] = [:]
        for (tp, partition) in parts where !tp.topic.hasPrefix("__") {
            let (partitionEnds, heldFrom) = partition.endOffsets(at: times)
            ends[tp] = partitionEnds
            statuses[tp] = partition.status()
            if let heldFrom { coverage = max(coverage, heldFrom) }
        }

        // Committed offsets per time: commit records in log order, each effective from its time.
        var committedAt = [[String: [TopicPartition: Int64]]](repeating: [:], count: times.count)
        var current: [String: [TopicPartition: Int64]] = [:]
        var next = 0
        let offsetsStart = (try? partition(TopicPartition(Self.offsetsTopic, 0)).status().logStartOffset) ?? 0
        var firstCommitMs: Int64?
        forEachInternalRecord(Self.offsetsTopic) { _, value in
            guard case let .offsetCommit(group, topic, partition, offset, timeMs)? = InternalRecord.decode(value) else { return }
            if firstCommitMs == nil { firstCommitMs = timeMs }
            while next < times.count && times[next] < timeMs {
                committedAt[next] = current
                next += 1
            }
            current[group, default: [:]][TopicPartition(topic, partition)] = offset
        }
        while next < times.count {
            committedAt[next] = current
            next += 1
        }
        // A compacted offsets topic starts with a snapshot of the commits at compaction time.
        if offsetsStart > 0, let firstCommitMs { coverage = max(coverage, firstCommitMs) }

        // Rebalances: how many by each time, and the members the last one left.
        let rebalances = try events().filter { $0.kind == .rebalance && $0.labels["consumergroup"] != nil }

        var snapshots: [(timeMs: Int64, families: [MetricFamily])] = []
        var timestamps: [TopicPartition: [Int64: Int64]] = [:]
        for (k, time) in times.enumerated() {
            var statusesAt = statuses
            for (tp, partitionEnds) in ends {
                statusesAt[tp]!.highWatermark = partitionEnds[k]
                statusesAt[tp]!.logEndOffset = partitionEnds[k]
                statusesAt[tp]!.logStartOffset = min(statusesAt[tp]!.logStartOffset, partitionEnds[k])
                // Damage found now is not dated: what the files held up to it is the history.
                statusesAt[tp]!.endOffsetPastCorruption = nil
            }
            var counters = LogCounters()
            var members: [String: Int] = [:]
            for event in rebalances where event.timeMs <= time {
                let group = event.labels["consumergroup"]!
                counters.rebalances[group, default: 0] += 1
                members[group] = (event.fields["members_after"] ?? "").split(separator: ",").count
            }
            let commits = committedAt[k]
            // The same offsets come back at many times: each record's timestamp is read once.
            let lagSeconds = timeLag(commits: commits, statuses: statusesAt, now: time) { tp, offset in
                if let known = timestamps[tp]?[offset] { return known }
                let stamp = parts[tp]?.timestamp(at: offset)
                if let stamp { timestamps[tp, default: [:]][offset] = stamp }
                return stamp
            }
            let groups = Set(commits.keys).union(members.keys)
            let families = LogMetrics.families(
                statuses: statusesAt, topics: topicConfigs, committed: commits, lagSeconds: lagSeconds, groups: groups, members: members,
                counters: counters, durations: [:], bytesAppended: [:], includeProcessCounters: false, fsyncs: 0)
            snapshots.append((time, families.filter { !Self.undatedFamilies.contains($0.name) }))
        }
        return LogHistory(coverageStartMs: coverage, snapshots: snapshots)
    }
}
