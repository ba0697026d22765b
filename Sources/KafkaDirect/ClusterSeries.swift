import ScopeCore
import SeriesStore

/// A collection as series, with kafka_exporter's names and labels so every dashboard, alert
/// pack and runbook written for kafka_exporter works unchanged on `--kafka`:
///
/// - `kafka_brokers`, `kafka_topic_partitions{topic}`,
///   `kafka_topic_partition_current_offset{topic,partition}` (the high watermark),
///   `kafka_topic_partition_oldest_offset{topic,partition}`;
/// - per group and partition with a committed offset: `kafka_consumergroup_current_offset` and
///   `kafka_consumergroup_lag` = max(0, end − committed) (a committed offset past a high
///   watermark read a moment earlier is not negative lag), and per group and topic
///   `kafka_consumergroup_lag_sum`. In a topic the group has committed offsets in, a partition
///   it has not committed in yet lags by every record it holds (end − oldest): its records are
///   not consumed (kafka_exporter's -1 there would read as negative lag in every `sum`), but it
///   has no lag in seconds (see below). A topic the group never committed in has no series for
///   the group.
/// - `strm_consumergroup_lag_seconds` per committed partition: the age of the first record the
///   group has not consumed, 0 when it is at the end.
/// - where the cluster describes groups: `kafka_consumergroup_members{consumergroup}` and
///   `strm_consumergroup_state{consumergroup,state}`, 1 for the current state and 0 for the others;
/// - `strm_rebalances_total{consumergroup}`, the rebalances this source has seen (passed in).
public enum ClusterSeries {
    /// The families of one collection, with their types and help (as kafka_exporter's), in a
    /// stable order; no `job`/`instance`: the caller adds the target's labels.
    public static func families(_ snapshot: ClusterSnapshot, rebalances: [String: Int] = [:], nowMs: Int64? = nil) -> [MetricFamily] {
        var brokers = MetricFamily(name: "kafka_brokers", type: .gauge, help: "Number of Brokers in the Kafka Cluster.")
        var partitions = MetricFamily(name: "kafka_topic_partitions", type: .gauge, help: "Number of partitions for this Topic")
        var current = MetricFamily(name: "kafka_topic_partition_current_offset", type: .gauge, help: "Current Offset of a Broker at Topic/Partition")
        var oldest = MetricFamily(name: "kafka_topic_partition_oldest_offset", type: .gauge, help: "Oldest Offset of a Broker at Topic/Partition")
        var committed = MetricFamily(name: "kafka_consumergroup_current_offset", type: .gauge, help: "Current Offset of a ConsumerGroup at Topic/Partition")
        var lagFamily = MetricFamily(name: "kafka_consumergroup_lag", type: .gauge, help: "Current Approximate Lag of a ConsumerGroup at Topic/Partition")
        var lagSumFamily = MetricFamily(name: "kafka_consumergroup_lag_sum", type: .gauge, help: "Current Approximate Lag of a ConsumerGroup at Topic for all partitions")
        var lagSeconds = MetricFamily(name: "strm_consumergroup_lag_seconds", type: .gauge,
                                      help: "Age of the oldest record the consumer group has not consumed (0 when it has consumed everything).")
        var members = MetricFamily(name: "kafka_consumergroup_members", type: .gauge, help: "Amount of members in a consumer group")
        var states = MetricFamily(name: "strm_consumergroup_state", type: .gauge, help: "1 for the consumer group's current state, 0 for the others.")
        var rebalanceCount = MetricFamily(name: "strm_rebalances_total", type: .counter,
                                          help: "Rebalances of the consumer group seen by strmscope (state transitions, joins, leaves, moved assignments).")
        brokers.add(Labels(), Double(snapshot.brokers.count))
        var endOffsets: [TopicPartition: Int64] = [:]
        for topic in snapshot.topics {
            partitions.add(["topic": topic.name], Double(topic.partitions.count))
            for partition in topic.partitions {
                let labels: Labels = ["topic": topic.name, "partition": String(partition.id)]
                if let end = partition.endOffset {
                    current.add(labels, Double(end))
                    endOffsets[TopicPartition(topic.name, partition.id)] = end
                }
                if let start = partition.oldestOffset { oldest.add(labels, Double(start)) }
            }
        }
        for group in snapshot.groups {
            var lagSum: [String: Int64] = [:]
            for (tp, start) in firstUnconsumed(group, snapshot: snapshot) {
                let labels: Labels = ["consumergroup": group.name, "topic": tp.topic, "partition": String(tp.partition)]
                if let offset = group.committed[tp], offset >= 0 { committed.add(labels, Double(offset)) }
                guard let end = endOffsets[tp] else { continue }
                let lag = max(0, end - start)
                lagFamily.add(labels, Double(lag))
                lagSum[tp.topic, default: 0] += lag
                // Where a group that never committed on a partition starts reading it depends on
                // its auto.offset.reset (latest: lag 0): its records count, but no age is claimed.
                if let nowMs, group.committed[tp].map({ $0 >= 0 }) ?? false {
                    if lag == 0 {
                        lagSeconds.add(labels, 0)
                    } else if let time = group.firstUnconsumedTimeMs[tp] {
                        lagSeconds.add(labels, Double(max(0, nowMs - time)) / 1000)
                    }
                }
            }
            for (topic, sum) in lagSum.sorted(by: { $0.key < $1.key }) {
                lagSumFamily.add(["consumergroup": group.name, "topic": topic], Double(sum))
            }
            if let list = group.members { members.add(["consumergroup": group.name], Double(list.count)) }
            if let state = group.state {
                for candidate in GroupState.allCases {
                    states.add(["consumergroup": group.name, "state": candidate.rawValue], candidate == state ? 1 : 0)
                }
            }
            if let count = rebalances[group.name] { rebalanceCount.add(["consumergroup": group.name], Double(count)) }
        }
        return [brokers, partitions, current, oldest, committed, lagFamily, lagSumFamily, lagSeconds, members, states, rebalanceCount].filter { !$0.points.isEmpty }
    }

    /// What a collection says about the past: a group's first unconsumed record, stamped T, was
    /// unconsumed at every time since T (committed offsets only move forward), so its lag in
    /// seconds at such a time t was at least t − T. These lower bounds, on the grid of `stepMs`
    /// that ends at `nowMs` (exclusive), from `fromMs` and not before T, in time order per series:
    /// never higher than the truth, as exact as the records' timestamps (a group whose offsets
    /// were reset backwards had less lag before the reset). No `job`/`instance`.
    public static func pastLagSeconds(_ snapshot: ClusterSnapshot, fromMs: Int64, nowMs: Int64, stepMs: Int64) -> [MetricPoint] {
        guard stepMs > 0 else { return [] }
        var out: [MetricPoint] = []
        for group in snapshot.groups {
            for (tp, time) in group.firstUnconsumedTimeMs.sorted(by: { $0.key < $1.key }) where group.committed[tp].map({ $0 >= 0 }) ?? false {
                let first = max(fromMs, time)
                guard first < nowMs else { continue }
                let labels: Labels = ["consumergroup": group.name, "topic": tp.topic, "partition": String(tp.partition)]
                var t = nowMs - ((nowMs - first) / stepMs) * stepMs
                while t < nowMs {
                    out.append(MetricPoint(name: "strm_consumergroup_lag_seconds", labels: labels, value: Double(t - time) / 1000, timestampMs: t))
                    t += stepMs
                }
            }
        }
        return out
    }

    /// Where the group's consumption of each partition it reads resumes, in partition order: the
    /// committed offset; or, in a topic it has committed in, the log start of a partition it has
    /// not committed in yet. Only topics the metadata lists (a deleted topic's offsets are not
    /// shown, as kafka_exporter does not).
    public static func firstUnconsumed(_ group: Group, snapshot: ClusterSnapshot) -> [(TopicPartition, Int64)] {
        var out: [(TopicPartition, Int64)] = []
        let consumed = Set(group.committed.filter { $0.value >= 0 }.keys.map(\.topic))
        for topic in snapshot.topics where consumed.contains(topic.name) {
            for partition in topic.partitions {
                let tp = TopicPartition(topic.name, partition.id)
                if let offset = group.committed[tp], offset >= 0 {
                    out.append((tp, offset))
                } else if partition.endOffset != nil, let oldest = partition.oldestOffset {
                    // Without the log start (its offsets did not answer) what it holds is unknown.
                    out.append((tp, oldest))
                }
            }
        }
        return out
    }

    /// The same as samples for the store, with the target's labels.
    public static func samples(_ snapshot: ClusterSnapshot, rebalances: [String: Int] = [:], nowMs: Int64? = nil, targetLabels: Labels) -> [ScrapedSample] {
        families(snapshot, rebalances: rebalances, nowMs: nowMs).flatMap { family in family.points.map { ScrapedSample($0, targetLabels: targetLabels) } }
    }
}
