import Foundation
import ScopeCore
import Testing

@testable import StreamLog

/// The log's metrics carry kafka_exporter's names and labels, so dashboards built for a real
/// cluster work unchanged.
@Suite struct LogMetricsTests {
    @Test func kafkaExporterFamiliesAfterProducingAndCommitting() throws {
        try withTemporaryDirectory { dir in
            let log = try StreamLog.open(directory: dir, create: true, clock: ManualClock())
            try log.createTopic("orders", config: TopicConfig(partitions: 2))
            try log.createTopic("audit", config: TopicConfig(partitions: 1))
            let p0 = TopicPartition("orders", 0)
            let p1 = TopicPartition("orders", 1)
            try log.append(p0, (0..<5).map { ProducerRecord(key: nil, value: utf8("\($0)")) })
            try log.append(p1, (0..<3).map { ProducerRecord(key: nil, value: utf8("\($0)")) })
            try log.commitOffsets("billing", memberId: nil, generation: nil, offsets: [p0: 2, p1: 3])
            _ = try log.joinGroup("live", memberId: "m1", topics: ["orders"])
            _ = try log.joinGroup("live", memberId: "m2", topics: ["orders"])

            let families = log.metricFamilies()
            let names = Set(families.map(\.name))
            for name in [
                "kafka_topic_partitions", "kafka_topic_partition_current_offset", "kafka_topic_partition_oldest_offset",
                "kafka_consumergroup_current_offset", "kafka_consumergroup_current_offset_sum", "kafka_consumergroup_lag",
                "kafka_consumergroup_lag_sum", "kafka_consumergroup_members", "strm_records_produced_total", "strm_rebalances_total",
            ] {
                #expect(names.contains(name), "\(name)")
            }

            let partitions = try family(families, "kafka_topic_partitions")
            #expect(partitions.type == .gauge)
            #expect(value(partitions, ["topic": "orders"]) == 2)
            #expect(value(partitions, ["topic": "audit"]) == 1)

            let current = try family(families, "kafka_topic_partition_current_offset")
            #expect(current.type == .gauge)
            #expect(current.points.allSatisfy { Set($0.labels.map(\.name)) == ["topic", "partition"] })
            #expect(value(current, ["topic": "orders", "partition": "0"]) == 5)
            #expect(value(current, ["topic": "orders", "partition": "1"]) == 3)
            #expect(value(current, ["topic": "audit", "partition": "0"]) == 0)
            #expect(!current.points.contains { $0.labels["topic"]!.hasPrefix("__") }, "internal topics are not exposed")

            let groupOffset = try family(families, "kafka_consumergroup_current_offset")
            #expect(groupOffset.points.allSatisfy { Set($0.labels.map(\.name)) == ["consumergroup", "topic", "partition"] })
            #expect(value(groupOffset, ["consumergroup": "billing", "topic": "orders", "partition": "0"]) == 2)
            #expect(value(groupOffset, ["consumergroup": "billing", "topic": "orders", "partition": "1"]) == 3)

            let lag = try family(families, "kafka_consumergroup_lag")
            #expect(lag.type == .gauge)
            #expect(value(lag, ["consumergroup": "billing", "topic": "orders", "partition": "0"]) == 3)
            #expect(value(lag, ["consumergroup": "billing", "topic": "orders", "partition": "1"]) == 0)
            #expect(!lag.points.contains { $0.labels["consumergroup"] == "live" }, "no lag series for a group that never committed")
            #expect(value(try family(families, "kafka_consumergroup_lag_sum"), ["consumergroup": "billing", "topic": "orders"]) == 3)
            #expect(value(try family(families, "kafka_consumergroup_current_offset_sum"), ["consumergroup": "billing", "topic": "orders"]) == 5)

            let members = try family(families, "kafka_consumergroup_members")
            #expect(value(members, ["consumergroup": "live"]) == 2)
            #expect(value(members, ["consumergroup": "billing"]) == 0)

            let produced = try family(families, "strm_records_produced_total")
            #expect(produced.type == .counter)
            #expect(value(produced, ["topic": "orders"]) == 8)
            #expect(value(produced, ["topic": "audit"]) == 0)

            // Lag follows new data.
            try log.append(p1, [ProducerRecord(key: nil, value: utf8("more"))])
            let lag2 = try family(log.metricFamilies(), "kafka_consumergroup_lag")
            #expect(value(lag2, ["consumergroup": "billing", "topic": "orders", "partition": "1"]) == 1)
            try log.close()
        }
    }

    @Test func consumedRecordsAndProduceLatencyAreCounted() throws {
        try withTemporaryDirectory { dir in
            let log = try StreamLog.open(directory: dir, create: true, clock: ManualClock())
            try log.createTopic("orders", config: TopicConfig(partitions: 1))
            let producer = try Producer(log: log, acks: .leader)
            _ = try producer.send(topic: "orders", (0..<4).map { ProducerRecord(key: nil, value: utf8("\($0)")) })
            _ = try producer.send(topic: "orders", [ProducerRecord(key: nil, value: utf8("x"))])
            let consumer = try Consumer(log: log, topics: ["orders"], group: "g", memberId: "m")
            #expect(try consumer.poll().count == 5)
            let families = log.metricFamilies()
            let consumed = try family(families, "strm_records_consumed_total")
            #expect(value(consumed, ["consumergroup": "g", "topic": "orders"]) == 5)
            let durations = try family(families, "strm_produce_duration_seconds")
            #expect(durations.type == .histogram)
            let count = durations.points.first { $0.name == "strm_produce_duration_seconds_count" }
            #expect(count?.value == 2, "one observation per acknowledged batch")
            #expect(count?.labels == ["topic": "orders"])
            let inf = durations.points.first { $0.name == "strm_produce_duration_seconds_bucket" && $0.labels["le"] == "+Inf" }
            #expect(inf?.value == 2)
            try log.close()
        }
    }
}

@Suite struct LagSecondsTests {
    @Test func lagInSecondsIsTheAgeOfTheOldestUnconsumedRecord() throws {
        try withTemporaryDirectory { dir in
            let clock = ManualClock(startMs: 1_700_000_000_000)
            let log = try StreamLog.open(directory: dir, create: true, clock: clock)
            try log.createTopic("orders", config: TopicConfig(partitions: 1))
            let tp = TopicPartition("orders", 0)
            try log.append(tp, [ProducerRecord(key: nil, value: utf8("a"))])
            clock.advance(byMs: 5_000)
            try log.append(tp, [ProducerRecord(key: nil, value: utf8("b")), ProducerRecord(key: nil, value: utf8("c"))])
            try log.commitOffsets("billing", memberId: nil, generation: nil, offsets: [tp: 1])
            clock.advance(byMs: 25_000)
            // The oldest unconsumed record ("b", offset 1) was written 25 s ago, not 30 s.
            let lagged = try family(log.metricFamilies(), "strm_consumergroup_lag_seconds")
            #expect(value(lagged, ["consumergroup": "billing", "topic": "orders", "partition": "0"]) == 25)
            try log.commitOffsets("billing", memberId: nil, generation: nil, offsets: [tp: 3])
            let caughtUp = try family(log.metricFamilies(), "strm_consumergroup_lag_seconds")
            #expect(value(caughtUp, ["consumergroup": "billing", "topic": "orders", "partition": "0"]) == 0)
            try log.close()
        }
    }
}
