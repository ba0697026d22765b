import ScopeCore
import SeriesStore
import Testing

@testable import KafkaDirect

/// What a collection becomes, on recorded answers (no cluster, no sockets).
@Suite struct ClusterSeriesTests {
    let target: Labels = ["job": "kafka", "instance": "b:9092"]

    /// 30 records over four partitions of `orders`; g1 read 12 of them and committed on three.
    func snapshot(committed: [TopicPartition: Int64] = [TopicPartition("orders", 1): 5, TopicPartition("orders", 2): 5, TopicPartition("orders", 3): 2])
        -> ClusterSnapshot
    {
        let ends: [Int64] = [13, 5, 5, 7]
        return ClusterSnapshot(
            brokers: [.init(id: 1, host: "b1", port: 9092), .init(id: 2, host: "b2", port: 9092)],
            topics: [.init(name: "orders", partitions: ends.enumerated().map { .init(id: Int32($0), leader: 1, oldestOffset: 0, endOffset: $1) }),
                     .init(name: "audit", partitions: [.init(id: 0, leader: 2, oldestOffset: 4, endOffset: 9)])],
            groups: [Group(name: "g1", committed: committed)])
    }

    func values(_ samples: [ScrapedSample], _ name: String) -> [String: Double] {
        var out: [String: Double] = [:]
        for s in samples where s.labels["__name__"] == name {
            let key = s.labels.pairs.filter { !["__name__", "job", "instance"].contains($0.name) }.map { "\($0.name)=\($0.value)" }.joined(separator: ",")
            out[key] = s.value
        }
        return out
    }

    @Test func lagIsEndMinusCommittedPerPartitionAndAnUncommittedPartitionLagsByAllItHolds() {
        let samples = ClusterSeries.samples(snapshot(), targetLabels: target)
        #expect(values(samples, "kafka_consumergroup_lag") == [
            "consumergroup=g1,partition=0,topic=orders": 13, "consumergroup=g1,partition=1,topic=orders": 0,
            "consumergroup=g1,partition=2,topic=orders": 0, "consumergroup=g1,partition=3,topic=orders": 5,
        ])
        #expect(values(samples, "kafka_consumergroup_lag_sum") == ["consumergroup=g1,topic=orders": 18])
        // Only committed partitions have a current offset; audit, never consumed by g1, has nothing for it.
        #expect(values(samples, "kafka_consumergroup_current_offset").keys.sorted() == [
            "consumergroup=g1,partition=1,topic=orders", "consumergroup=g1,partition=2,topic=orders", "consumergroup=g1,partition=3,topic=orders",
        ])
        #expect(values(samples, "kafka_topic_partition_current_offset")["partition=0,topic=orders"] == 13)
        #expect(values(samples, "kafka_topic_partition_oldest_offset")["partition=0,topic=audit"] == 4)
        #expect(values(samples, "kafka_topic_partitions") == ["topic=audit": 1, "topic=orders": 4])
        #expect(values(samples, "kafka_brokers") == ["": 2])
        #expect(samples.allSatisfy { $0.labels["job"] == "kafka" && $0.labels["instance"] == "b:9092" })
        // No description: neither members nor state are invented.
        #expect(values(samples, "kafka_consumergroup_members").isEmpty && values(samples, "strm_consumergroup_state").isEmpty)
    }

    @Test func anUncommittedPartitionsLagStartsAtTheLogStartNotAtZero() {
        var s = snapshot(committed: [TopicPartition("audit", 0): -1001, TopicPartition("orders", 0): 13])
        s.topics[0].partitions[1].oldestOffset = 3  // retention removed records 0-2 of orders/1
        let lag = values(ClusterSeries.samples(s, targetLabels: target), "kafka_consumergroup_lag")
        #expect(lag["consumergroup=g1,partition=1,topic=orders"] == 2)
        #expect(lag["consumergroup=g1,partition=0,topic=orders"] == 0)
        // -1001 is librdkafka's "no offset": not a commit, so audit is not a consumed topic.
        #expect(lag.keys.allSatisfy { $0.hasSuffix("topic=orders") })
    }

    @Test func aGroupWithNoCommittedOffsetHasNoLagSeries() {
        let samples = ClusterSeries.samples(snapshot(committed: [:]), targetLabels: target)
        #expect(values(samples, "kafka_consumergroup_lag").isEmpty)
        #expect(values(samples, "kafka_consumergroup_lag_sum").isEmpty)
        #expect(values(samples, "kafka_consumergroup_current_offset").isEmpty)
    }

    @Test func aCommitPastAnEarlierReadHighWatermarkIsNotNegativeLag() {
        // The end offsets were read a moment before the commits: the group is at the end.
        let samples = ClusterSeries.samples(snapshot(committed: [TopicPartition("orders", 3): 9]), targetLabels: target)
        #expect(values(samples, "kafka_consumergroup_lag")["consumergroup=g1,partition=3,topic=orders"] == 0)
        #expect(values(samples, "kafka_consumergroup_current_offset")["consumergroup=g1,partition=3,topic=orders"] == 9)
    }

    @Test func aPartitionCountChangeShowsInTheNextCollection() {
        var s = snapshot()
        let before = values(ClusterSeries.samples(s, targetLabels: target), "kafka_consumergroup_lag_sum")
        s.topics[0].partitions.append(.init(id: 4, leader: 2, oldestOffset: 0, endOffset: 6))
        let after = ClusterSeries.samples(s, targetLabels: target)
        #expect(values(after, "kafka_topic_partitions")["topic=orders"] == 5)
        #expect(values(after, "kafka_consumergroup_lag")["consumergroup=g1,partition=4,topic=orders"] == 6)
        #expect(before["consumergroup=g1,topic=orders"] == 18 && values(after, "kafka_consumergroup_lag_sum")["consumergroup=g1,topic=orders"] == 24)
    }

    @Test func aPartitionWhoseOffsetsDidNotAnswerHasNoOffsetSeriesAndNoLag() {
        var s = snapshot()
        s.topics[0].partitions[3].endOffset = nil
        let samples = ClusterSeries.samples(s, targetLabels: target)
        #expect(values(samples, "kafka_topic_partition_current_offset")["partition=3,topic=orders"] == nil)
        #expect(values(samples, "kafka_consumergroup_lag")["consumergroup=g1,partition=3,topic=orders"] == nil)
        #expect(values(samples, "kafka_consumergroup_current_offset")["consumergroup=g1,partition=3,topic=orders"] == 2)
    }

    @Test func aDescribedGroupHasMembersAndOneStateSetToOne() {
        var s = snapshot()
        s.groups[0].state = .completingRebalance
        s.groups[0].members = [GroupMember(memberID: "m1", clientID: "c1", host: "/10.0.0.1", assignment: [])]
        let samples = ClusterSeries.samples(s, rebalances: ["g1": 3], targetLabels: target)
        #expect(values(samples, "kafka_consumergroup_members") == ["consumergroup=g1": 1])
        let states = values(samples, "strm_consumergroup_state")
        #expect(states.count == GroupState.allCases.count)
        #expect(states.filter { $0.value == 1 }.keys.sorted() == ["consumergroup=g1,state=CompletingRebalance"])
        #expect(values(samples, "strm_rebalances_total") == ["consumergroup=g1": 3])
    }

    @Test func lagInSecondsIsTheAgeOfTheFirstUnconsumedRecordAndZeroAtTheEnd() {
        var s = snapshot()
        s.groups[0].firstUnconsumedTimeMs = [TopicPartition("orders", 0): 1_000_000, TopicPartition("orders", 3): 1_090_000]
        let seconds = values(ClusterSeries.samples(s, nowMs: 1_100_000, targetLabels: target), "strm_consumergroup_lag_seconds")
        // Partition 0 was never committed: its 13 records count as lag, but where the group will
        // start reading it (auto.offset.reset) is unknown, so no age is claimed.
        #expect(seconds == [
            "consumergroup=g1,partition=1,topic=orders": 0, "consumergroup=g1,partition=2,topic=orders": 0,
            "consumergroup=g1,partition=3,topic=orders": 10,
        ])
        // A record stamped in the future (a producer's clock ahead) is no negative lag; an
        // unread record gives no series (the estimate fills it in); no time, no lag seconds.
        s.groups[0].firstUnconsumedTimeMs = [TopicPartition("orders", 3): 2_000_000]
        let skewed = values(ClusterSeries.samples(s, nowMs: 1_100_000, targetLabels: target), "strm_consumergroup_lag_seconds")
        #expect(skewed["consumergroup=g1,partition=3,topic=orders"] == 0)
        s.groups[0].firstUnconsumedTimeMs = [:]
        #expect(values(ClusterSeries.samples(s, nowMs: 1_100_000, targetLabels: target), "strm_consumergroup_lag_seconds")["consumergroup=g1,partition=3,topic=orders"] == nil)
        #expect(values(ClusterSeries.samples(s, targetLabels: target), "strm_consumergroup_lag_seconds").isEmpty)
    }

    @Test func theFirstUnconsumedOffsetIsTheCommitOrTheLogStartOfAnUncommittedPartition() {
        var s = snapshot()
        s.topics[0].partitions[0].oldestOffset = 4
        let resume = ClusterSeries.firstUnconsumed(s.groups[0], snapshot: s).map { "\($0.0.topic)/\($0.0.partition)@\($0.1)" }
        #expect(resume == ["orders/0@4", "orders/1@5", "orders/2@5", "orders/3@2"])
    }

    @Test func pastLagInSecondsIsALowerBoundOnTheGridSinceTheRecordsTimestamp() {
        var s = snapshot()
        s.groups[0].firstUnconsumedTimeMs = [TopicPartition("orders", 1): 1_000_000, TopicPartition("orders", 3): 1_085_000,
                                             TopicPartition("orders", 0): 900_000]
        let points = ClusterSeries.pastLagSeconds(s, fromMs: 1_050_000, nowMs: 1_100_000, stepMs: 15_000)
        let byPartition = Dictionary(grouping: points) { $0.labels["partition"]! }
        // Partition 1's record is older than the window: the grid from the window's start.
        #expect(byPartition["1"]?.map(\.timestampMs) == [1_055_000, 1_070_000, 1_085_000])
        #expect(byPartition["1"]?.map(\.value) == [55, 70, 85])
        #expect(byPartition["0"] == nil, "never committed: no age is claimed")
        // Partition 3's record came later: nothing is claimed before it was written.
        #expect(byPartition["3"]?.map(\.timestampMs) == [1_085_000] && byPartition["3"]?.first?.value == 0)
        #expect(points.allSatisfy { $0.name == "strm_consumergroup_lag_seconds" && $0.labels["consumergroup"] == "g1" })
        #expect(ClusterSeries.pastLagSeconds(s, fromMs: 0, nowMs: 1_000_000, stepMs: 15_000).isEmpty, "no time before the record")
        #expect(ClusterSeries.pastLagSeconds(s, fromMs: 0, nowMs: 1_100_000, stepMs: 0).isEmpty)
    }

    @Test func withoutTheLogStartAnUncommittedPartitionsLagIsUnknownNotItsWholeEndOffset() {
        var s = snapshot()
        s.topics[0].partitions[0].oldestOffset = nil  // the earliest offsets did not answer
        let lag = values(ClusterSeries.samples(s, targetLabels: target), "kafka_consumergroup_lag")
        #expect(lag["consumergroup=g1,partition=0,topic=orders"] == nil)
        #expect(lag["consumergroup=g1,partition=3,topic=orders"] == 5)
    }
}
