import ScopeCore
import SeriesStore
import Testing

@testable import Collectors

/// Lag in seconds from offsets only (kafka-lag-exporter's method), with explicit times.
@Suite struct LagTimeEstimatorTests {
    @Test func interpolatesBetweenPollsAndSaysZeroAtTheEnd() {
        var table = OffsetTimeTable()
        table.add(offset: 100, atMs: 0)
        table.add(offset: 200, atMs: 10_000)
        table.add(offset: 400, atMs: 20_000)
        #expect(table.lag(groupOffset: 400, nowMs: 25_000) == .zero)
        // 300 was reached half-way between 10 s and 20 s: 15 s; seen at 25 s it is 10 s old.
        #expect(table.lag(groupOffset: 300, nowMs: 25_000) == .interpolated(seconds: 10))
        #expect(table.lag(groupOffset: 150, nowMs: 25_000) == .interpolated(seconds: 20))
    }

    @Test func olderThanTheTableIsAnExtrapolationAndFewPointsAreUnknown() {
        var table = OffsetTimeTable()
        table.add(offset: 1_000, atMs: 100_000)
        #expect(table.lag(groupOffset: 10, nowMs: 110_000) == .unknown, "one point says nothing about time")
        table.add(offset: 2_000, atMs: 110_000)
        // 100 records/s: offset 500 would have been reached 5 s before the first poll.
        #expect(table.lag(groupOffset: 500, nowMs: 110_000) == .extrapolated(seconds: 15))
    }

    @Test func aFlatRunKeepsItsFirstTimeAndBadPointsAreRefused() {
        var table = OffsetTimeTable()
        table.add(offset: 50, atMs: 0)
        table.add(offset: 100, atMs: 1_000)
        for t in stride(from: Int64(2_000), through: 60_000, by: 1_000) { table.add(offset: 100, atMs: t) }
        #expect(table.points.count == 3, "a quiet partition does not fill the table")
        #expect(table.lag(groupOffset: 100, nowMs: 60_000) == .zero)
        #expect(table.add(offset: 120, atMs: 60_000) == false, "not after the newest poll")
        // Caught up long ago on a quiet topic: the lag is from when offset 75 was produced.
        #expect(table.lag(groupOffset: 75, nowMs: 60_000) == .interpolated(seconds: 59.5))
        table.add(offset: 10, atMs: 61_000)
        #expect(table.points == [OffsetTimeTable.Point(offset: 10, timeMs: 61_000)], "a partition that went backwards starts over")
        var bounded = OffsetTimeTable(capacity: 5)
        for i in 0..<20 { bounded.add(offset: Int64(i * 10), atMs: Int64(i) * 1000) }
        #expect(bounded.points.count == 5 && bounded.points.first?.offset == 150)
    }

    @Test func theEstimatorWritesLagSecondsForScrapedOffsetsButNotOverExactOnes() throws {
        var options = StoreOptions()
        options.retentionMs = .max / 4
        let store = SeriesStore(options: options, clock: ManualClock(startMs: 0))
        let estimator = LagTimeEstimator(store: store)
        let exactLabels: Labels = ["__name__": "strm_consumergroup_lag_seconds", "consumergroup": "exact", "topic": "t", "partition": "0"]
        for second in 0...3 {
            let t = Int64(second) * 10_000
            _ = try store.append(["__name__": "kafka_topic_partition_current_offset", "topic": "t", "partition": "0"], timestampMs: t, value: Double(second * 100))
            _ = try store.append(["__name__": "kafka_consumergroup_current_offset", "consumergroup": "g", "topic": "t", "partition": "0", "job": "kafka"],
                                 timestampMs: t, value: Double(max(0, second - 1) * 100))
            _ = try store.append(["__name__": "kafka_consumergroup_current_offset", "consumergroup": "exact", "topic": "t", "partition": "0"],
                                 timestampMs: t, value: 0)
            _ = try store.append(exactLabels, timestampMs: t, value: 42)
            estimator.update(atMs: t)
        }
        let lag = try store.select([try LabelMatcher("__name__", .equal, "strm_consumergroup_lag_seconds"), try LabelMatcher("consumergroup", .equal, "g")],
                                   minMs: 0, maxMs: 30_000)
        #expect(lag.count == 1 && lag[0].labels["job"] == "kafka", "the group series' labels are kept")
        // At 30 s the group is at 200, which the partition reached at 20 s.
        #expect(lag.first?.samples.last == Sample(timestampMs: 30_000, value: 10))
        let exact = try store.select([try LabelMatcher("consumergroup", .equal, "exact"), try LabelMatcher("__name__", .equal, "strm_consumergroup_lag_seconds")],
                                     minMs: 0, maxMs: 30_000)
        #expect(exact.first?.samples.allSatisfy { $0.value == 42 } == true, "an exact lag is never overwritten by an estimate")
    }

    private func lagSeconds(_ store: SeriesStore, group: String, atMs: Int64) throws -> [Series] {
        try store.select([try LabelMatcher("__name__", .equal, "strm_consumergroup_lag_seconds"), try LabelMatcher("consumergroup", .equal, group)],
                         minMs: 0, maxMs: atMs)
    }

    private func store() -> SeriesStore {
        var options = StoreOptions()
        options.retentionMs = .max / 4
        return SeriesStore(options: options, clock: ManualClock(startMs: 0))
    }

    @Test func redpandaOffsetsGiveLagSecondsUnderTheSLOsNamesWithReplicasDeduplicated() throws {
        let store = store()
        let estimator = LagTimeEstimator(store: store)
        for second in 0...3 {
            let t = Int64(second) * 10_000
            // Two replicas report the partition's end; the follower is one poll behind.
            for (instance, behind) in [("rp-0:9644", 0), ("rp-1:9644", 1)] {
                _ = try store.append(["__name__": "redpanda_kafka_max_offset", "redpanda_namespace": "kafka", "redpanda_topic": "orders",
                                      "redpanda_partition": "0", "instance": instance], timestampMs: t, value: Double(max(0, second - behind) * 100))
            }
            _ = try store.append(["__name__": "redpanda_kafka_consumer_group_committed_offset", "redpanda_group": "billing",
                                  "redpanda_topic": "orders", "redpanda_partition": "0", "instance": "rp-0:9644"],
                                 timestampMs: t, value: Double(max(0, second - 1) * 100))
            estimator.update(atMs: t)
        }
        let lag = try lagSeconds(store, group: "billing", atMs: 30_000)
        #expect(lag.count == 1)
        #expect(lag.first?.labels["topic"] == "orders" && lag.first?.labels["partition"] == "0" && lag.first?.labels["redpanda_group"] == "billing")
        // At 30 s billing is at 200, which the leader's end reached at 20 s (not the follower's 30 s).
        #expect(lag.first?.samples.last == Sample(timestampMs: 30_000, value: 10))
    }

    @Test func kminionLagIsAPositionBehindItsHighWaterMark() throws {
        let store = store()
        let estimator = LagTimeEstimator(store: store)
        for second in 0...3 {
            let t = Int64(second) * 10_000
            _ = try store.append(["__name__": "kminion_kafka_topic_partition_high_water_mark", "topic_name": "orders", "partition_id": "3"],
                                 timestampMs: t, value: Double(second * 100))
            // Always 150 records behind: at 30 s the group is at 150, reached at 15 s.
            _ = try store.append(["__name__": "kminion_kafka_consumer_group_topic_partition_lag", "group_id": "billing", "topic_name": "orders",
                                  "partition_id": "3"], timestampMs: t, value: 150)
            estimator.update(atMs: t)
        }
        let lag = try lagSeconds(store, group: "billing", atMs: 30_000)
        #expect(lag.first?.labels["topic"] == "orders" && lag.first?.labels["partition"] == "3")
        #expect(lag.first?.samples.last == Sample(timestampMs: 30_000, value: 15))
    }

    /// A scraped offset is whatever the target sends: none of these may trap (they did in
    /// Int64(_:)) or produce a lag series.
    @Test func offsetsNoOffsetCanBeAreSkipped() throws {
        let store = store()
        let estimator = LagTimeEstimator(store: store)
        for (second, hostile) in [Double.infinity, -.infinity, 1e300, -1e300, 9.3e18].enumerated() {
            let t = Int64(second) * 10_000
            _ = try store.append(["__name__": "kafka_topic_partition_current_offset", "topic": "t", "partition": "0"], timestampMs: t, value: hostile)
            _ = try store.append(["__name__": "kafka_consumergroup_current_offset", "consumergroup": "g", "topic": "t", "partition": "0"],
                                 timestampMs: t, value: hostile)
            _ = try store.append(["__name__": "kminion_kafka_topic_partition_high_water_mark", "topic_name": "t", "partition_id": "0"],
                                 timestampMs: t, value: 100)
            _ = try store.append(["__name__": "kminion_kafka_consumer_group_topic_partition_lag", "group_id": "k", "topic_name": "t",
                                  "partition_id": "0"], timestampMs: t, value: -hostile)
            #expect(estimator.update(atMs: t) == 0)
        }
    }

    /// Redpanda's internal logs (namespace redpanda, kafka_internal) share names like `tx` with
    /// user topics; the freshest of two reports of a group's offset wins; kafka_exporter's -1
    /// ("no commit") is no position.
    @Test func internalLogsStaleReportsAndNoCommitGiveNoLag() throws {
        let store = store()
        let estimator = LagTimeEstimator(store: store)
        for second in 0...3 {
            let t = Int64(second) * 10_000
            _ = try store.append(["__name__": "redpanda_kafka_max_offset", "redpanda_namespace": "kafka", "redpanda_topic": "tx",
                                  "redpanda_partition": "0"], timestampMs: t, value: Double(second * 100))
            _ = try store.append(["__name__": "redpanda_kafka_max_offset", "redpanda_namespace": "kafka_internal", "redpanda_topic": "tx",
                                  "redpanda_partition": "0"], timestampMs: t, value: 1_000_000)
            // The old coordinator stopped reporting at 0 s (offset 0); the new one reports 300 from 10 s on.
            if second == 0 {
                _ = try store.append(["__name__": "redpanda_kafka_consumer_group_committed_offset", "redpanda_group": "g", "redpanda_topic": "tx",
                                      "redpanda_partition": "0", "instance": "a"], timestampMs: t, value: 0)
            } else {
                _ = try store.append(["__name__": "redpanda_kafka_consumer_group_committed_offset", "redpanda_group": "g", "redpanda_topic": "tx",
                                      "redpanda_partition": "0", "instance": "b"], timestampMs: t, value: Double(second * 100))
            }
            _ = try store.append(["__name__": "kafka_topic_partition_current_offset", "topic": "t", "partition": "0"], timestampMs: t, value: Double(second * 100))
            _ = try store.append(["__name__": "kafka_consumergroup_current_offset", "consumergroup": "none", "topic": "t", "partition": "0"],
                                 timestampMs: t, value: -1)
            estimator.update(atMs: t)
        }
        let lag = try lagSeconds(store, group: "g", atMs: 30_000)
        #expect(lag.map { $0.labels["instance"] } == ["a", "b"])
        #expect(lag.first { $0.labels["instance"] == "b" }?.samples.last == Sample(timestampMs: 30_000, value: 0),
                "at the end of the user topic's partition, not a million offsets behind the internal log's")
        #expect(try lagSeconds(store, group: "none", atMs: 30_000).isEmpty, "-1 is no commit, not a position")
    }
}
