import ScopeCore

/// Builds the log's metric families. Names and labels follow kafka_exporter, so dashboards and
/// alert rules written for a real cluster work unchanged on the embedded log.
enum LogMetrics {
    static func families(
        statuses: [TopicPartition: PartitionStatus], topics: [String: TopicConfig], committed: [String: [TopicPartition: Int64]],
        lagSeconds: [String: [TopicPartition: Double]], groups: Set<String>, members: [String: Int], counters: LogCounters, durations: [TopicPartition: Histogram],
        bytesAppended: [TopicPartition: UInt64], includeProcessCounters: Bool, fsyncs: UInt64
    ) -> [MetricFamily] {
        let userTopics = topics.keys.filter { !$0.hasPrefix("__") }.sorted()
        let userPartitions = statuses.keys.filter { !$0.topic.hasPrefix("__") }.sorted()
        var out: [MetricFamily] = []

        var partitionCount = MetricFamily(name: "kafka_topic_partitions", type: .gauge, help: "Number of partitions for this Topic")
        for topic in userTopics { partitionCount.add(["topic": topic], Double(topics[topic]!.partitions)) }
        out.append(partitionCount)

        var current = MetricFamily(
            name: "kafka_topic_partition_current_offset", type: .gauge, help: "Current Offset of a Broker at Topic/Partition")
        var oldest = MetricFamily(
            name: "kafka_topic_partition_oldest_offset", type: .gauge, help: "Oldest Offset of a Broker at Topic/Partition")
        for tp in userPartitions {
            let labels: Labels = ["topic": tp.topic, "partition": String(tp.partition)]
            current.add(labels, Double(statuses[tp]!.reportedEndOffset))
            oldest.add(labels, Double(statuses[tp]!.logStartOffset))
        }
        out += [current, oldest]

        // Lag is high watermark minus committed offset, clamped at 0; a partition the group never
        // committed has no lag series at all (not −1 and not NaN, which break sums).
        var groupOffset = MetricFamily(
            name: "kafka_consumergroup_current_offset", type: .gauge, help: "Current Offset of a ConsumerGroup at Topic/Partition")
        var groupOffsetSum = MetricFamily(
            name: "kafka_consumergroup_current_offset_sum", type: .gauge, help: "Current Offset of a ConsumerGroup at Topic for all partitions")
        var lag = MetricFamily(name: "kafka_consumergroup_lag", type: .gauge, help: "Current Approximate Lag of a ConsumerGroup at Topic/Partition")
        var lagSum = MetricFamily(name: "kafka_consumergroup_lag_sum", type: .gauge, help: "Current Approximate Lag of a ConsumerGroup at Topic for all partitions")
        var memberCount = MetricFamily(name: "kafka_consumergroup_members", type: .gauge, help: "Amount of members in a consumer group")
        for group in groups.sorted() {
            memberCount.add(["consumergroup": group], Double(members[group] ?? 0))
            let commits = committed[group] ?? [:]
            var sums: [String: (offset: Int64, lag: Int64)] = [:]
            for tp in commits.keys.sorted() where statuses[tp] != nil && !tp.topic.hasPrefix("__") {
                let offset = commits[tp]!
                let partitionLag = max(0, statuses[tp]!.reportedEndOffset - offset)
                let labels: Labels = ["consumergroup": group, "topic": tp.topic, "partition": String(tp.partition)]
                groupOffset.add(labels, Double(offset))
                lag.add(labels, Double(partitionLag))
                sums[tp.topic, default: (0, 0)].offset += offset
                sums[tp.topic, default: (0, 0)].lag += partitionLag
            }
            for topic in sums.keys.sorted() {
                groupOffsetSum.add(["consumergroup": group, "topic": topic], Double(sums[topic]!.offset))
                lagSum.add(["consumergroup": group, "topic": topic], Double(sums[topic]!.lag))
            }
        }
        out += [groupOffset, groupOffsetSum, lag, lagSum, memberCount]

        var timeLag = MetricFamily(
            name: "strm_consumergroup_lag_seconds", type: .gauge,
            help: "Age of the oldest record the group has not consumed (now minus its timestamp); 0 when caught up.")
        for group in groups.sorted() {
            for (tp, seconds) in (lagSeconds[group] ?? [:]).sorted(by: { $0.key < $1.key }) {
                timeLag.add(["consumergroup": group, "topic": tp.topic, "partition": String(tp.partition)], seconds)
            }
        }
        out.append(timeLag)

        // Durable counters: offsets are dense, so the end offset counts every record ever produced,
        // across restarts, in any process that reads the log.
        var produced = MetricFamily(name: "strm_records_produced_total", type: .counter, help: "Records appended to the topic (its end offset summed over partitions).")
        var dlq = MetricFamily(name: "strm_dlq_records_total", type: .counter, help: "Records dead-lettered from the topic to <topic>.dlq.")
        for topic in userTopics where !topic.hasSuffix(StreamLog.dlqSuffix) {
            let end = userPartitions.filter { $0.topic == topic }.reduce(Int64(0)) { $0 + statuses[$1]!.reportedEndOffset }
            produced.add(["topic": topic], Double(end))
            let dlqTopic = topic + StreamLog.dlqSuffix
            if topics[dlqTopic] != nil {
                let dead = userPartitions.filter { $0.topic == dlqTopic }.reduce(Int64(0)) { $0 + statuses[$1]!.reportedEndOffset }
                dlq.add(["topic": topic], Double(dead))
            }
        }
        var rebalances = MetricFamily(name: "strm_rebalances_total", type: .counter, help: "Consumer group generation changes (from the log's event timeline).")
        for group in groups.sorted() { rebalances.add(["consumergroup": group], Double(counters.rebalances[group] ?? 0)) }
        out += [produced, dlq, rebalances]

        var corrupt = MetricFamily(name: "strm_log_partition_corrupt", type: .gauge, help: "1 when a corrupt batch stops reads of the partition (see `strmscope log verify`).")
        for tp in userPartitions { corrupt.add(["topic": tp.topic, "partition": String(tp.partition)], statuses[tp]!.corruption == nil ? 0 : 1) }
        var corruptBatches = MetricFamily(
            name: "strm_log_corrupt_batches", type: .gauge,
            help: "Batches that fail their CRC or structure check in the partition (reads stop at the first); acknowledged data is unreadable.")
        for tp in userPartitions { corruptBatches.add(["topic": tp.topic, "partition": String(tp.partition)], Double(statuses[tp]!.corruptBatches)) }
        var failed = MetricFamily(name: "strm_log_partition_write_failed", type: .gauge, help: "1 when an fsync failed and the partition refuses appends.")
        for tp in userPartitions { failed.add(["topic": tp.topic, "partition": String(tp.partition)], statuses[tp]!.writeFailure == nil ? 0 : 1) }
        var size = MetricFamily(name: "strm_log_partition_bytes", type: .gauge, help: "Bytes of segment data held for the partition.")
        for tp in userPartitions { size.add(["topic": tp.topic, "partition": String(tp.partition)], Double(statuses[tp]!.bytes)) }
        out += [corrupt, corruptBatches, failed, size]

        guard includeProcessCounters else { return out }
        // Counters of the writing process: they start at zero when it starts, as Prometheus expects.
        var consumed = MetricFamily(name: "strm_records_consumed_total", type: .counter, help: "Records delivered to consumers by this process.")
        for key in counters.consumed.keys.sorted(by: { ($0.group, $0.topic) < ($1.group, $1.topic) }) {
            consumed.add(["consumergroup": key.group, "topic": key.topic], Double(counters.consumed[key]!))
        }
        var bytes = MetricFamily(name: "strm_bytes_produced_total", type: .counter, help: "Bytes of record batches appended by this process.")
        var durationFamily = MetricFamily(name: "strm_produce_duration_seconds", type: .histogram, help: "Time from append call to acknowledgement, by topic.")
        for topic in userTopics {
            let tps = userPartitions.filter { $0.topic == topic }
            bytes.add(["topic": topic], Double(tps.reduce(UInt64(0)) { $0 + (bytesAppended[$1] ?? 0) }))
            let histograms = tps.compactMap { durations[$0] }
            if let first = histograms.first {
                let merged = histograms.dropFirst().reduce(first) { $0.merged(with: $1) }
                durationFamily.points += merged.points(name: durationFamily.name, labels: ["topic": topic])
            }
        }
        var processing = MetricFamily(
            name: "strm_processing_duration_seconds", type: .histogram, help: "Time consumers took to process one record, as they report it.")
        var processingErrors = MetricFamily(
            name: "strm_processing_errors_total", type: .counter, help: "Records whose processing failed, as consumers report it.")
        for key in counters.processing.keys.sorted(by: { ($0.group, $0.topic) < ($1.group, $1.topic) }) {
            let labels: Labels = ["consumergroup": key.group, "topic": key.topic]
            processing.points += counters.processing[key]!.points(name: processing.name, labels: labels)
            processingErrors.add(labels, Double(counters.processingErrors[key] ?? 0))
        }
        out += [processing, processingErrors]
        var fsyncCount = MetricFamily(name: "strm_log_fsyncs_total", type: .counter, help: "fdatasync calls made for acks=all writes (group commit shares them).")
        fsyncCount.add(Labels(), Double(fsyncs))
        out += [consumed, bytes, durationFamily, fsyncCount]
        return out
    }
}
