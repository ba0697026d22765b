import Foundation
import ScopeCore
import Testing

@testable import StreamLog

/// Kafka's default partitioner: a key lands on the same partition number as with the Java client.
@Suite struct PartitionerTests {
    /// org.apache.kafka.common.utils.UtilsTest#testMurmur2.
    static let kafkaVectors: [(String, Int32)] = [
        ("21", -973_932_308),
        ("foobar", -790_332_482),
        ("a-little-bit-long-string", -985_981_536),
        ("a-little-bit-longer-string", -1_486_304_829),
        ("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58_897_971),
        ("abc", 479_470_107),
    ]

    @Test func murmur2MatchesKafkasTestVectors() {
        for (key, expected) in Self.kafkaVectors {
            #expect(KafkaPartitioner.murmur2(utf8(key)) == expected, "murmur2(\"\(key)\")")
        }
    }

    @Test func partitionMatchesKafka() {
        #expect(KafkaPartitioner.partition(forKey: utf8("foobar"), partitions: 10) == 6)
        #expect(KafkaPartitioner.partition(forKey: utf8("foobar"), partitions: 50) == 16)
        // toPositive masks the sign bit (it is not abs()): the results are always in range.
        for (key, hash) in Self.kafkaVectors {
            let expected = Int(UInt32(bitPattern: hash) & 0x7FFF_FFFF) % 7
            #expect(KafkaPartitioner.partition(forKey: utf8(key), partitions: 7) == expected)
        }
        #expect(KafkaPartitioner.partition(forKey: [], partitions: 3) == Int(UInt32(bitPattern: KafkaPartitioner.murmur2([])) & 0x7FFF_FFFF) % 3)
    }

    @Test func producerSendsKeyedRecordsToTheKeysPartitionInOrder() throws {
        try withTemporaryDirectory { dir in
            let log = try StreamLog.open(directory: dir, create: true, clock: ManualClock())
            try log.createTopic("users", config: TopicConfig(partitions: 10))
            let producer = try Producer(log: log)
            let keys = ["foobar", "21", "abc", "foobar", "foobar"]
            let metas = try producer.send(topic: "users", keys.enumerated().map { ProducerRecord(key: $0.element, value: "v\($0.offset)") })
            for (meta, key) in zip(metas, keys) {
                #expect(meta.partition == KafkaPartitioner.partition(forKey: utf8(key), partitions: 10))
            }
            #expect(metas[0].partition == 6)
            // Same key, same partition, in send order with dense offsets.
            #expect([metas[0], metas[3], metas[4]].map(\.offset) == [0, 1, 2])
            let values = try readAll(log, TopicPartition("users", 6)).map { text($0.value)! }
            #expect(values == ["v0", "v3", "v4"])
            try log.close()
        }
    }

    @Test func nullKeysAreSpreadRoundRobin() throws {
        try withTemporaryDirectory { dir in
            let log = try StreamLog.open(directory: dir, create: true, clock: ManualClock())
            try log.createTopic("events", config: TopicConfig(partitions: 3))
            let producer = try Producer(log: log, acks: .leader)
            let first = try producer.send(topic: "events", (0..<7).map { ProducerRecord(key: nil, value: utf8("\($0)")) })
            #expect(first.map(\.partition) == [0, 1, 2, 0, 1, 2, 0])
            #expect(first.map(\.offset) == [0, 0, 0, 1, 1, 1, 2])
            // The rotation continues across sends.
            let second = try producer.send(topic: "events", (0..<2).map { ProducerRecord(key: nil, value: utf8("\($0)")) })
            #expect(second.map(\.partition) == [1, 2])
            let counts = try (0..<3).map { try log.partitionStatus(TopicPartition("events", $0)).logEndOffset }
            #expect(counts == [3, 3, 3])
            #expect(throws: LogError.unknownTopic("nope")) { try producer.send(topic: "nope", [ProducerRecord(key: nil, value: [])]) }
            try log.close()
        }
    }
}
