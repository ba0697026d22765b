import Foundation
import ScopeCore
import Testing

@testable import StreamLog

/// Consumers only see acknowledged records: never past the high watermark.
@Suite struct VisibilityTests {
    static let tp = TopicPartition("orders", 0)

    func openLog(_ dir: String) throws -> StreamLog {
        let log = try StreamLog.open(directory: dir, create: true, clock: ManualClock())
        try log.createTopic("orders", config: TopicConfig(partitions: 1))
        return log
    }

    @Test(arguments: Acks.allCases)
    func recordIsReadableOnceSendReturns(acks: Acks) throws {
        try withTemporaryDirectory { dir in
            let log = try openLog(dir)
            let producer = try Producer(log: log, acks: acks)
            let consumer = try Consumer(log: log, topics: ["orders"])
            for i in 0..<3 {
                let meta = try producer.send(topic: "orders", [ProducerRecord(key: nil, value: utf8("r\(i)"))])
                let got = try consumer.poll()
                #expect(got.map(\.offset) == [meta[0].offset], "acks=\(acks)")
                #expect(text(got.first?.record.value) == "r\(i)")
                #expect(try log.partitionStatus(Self.tp).highWatermark == meta[0].offset + 1)
            }
            try log.close()
        }
    }

    @Test func writtenButNotDurableIsNotServed() throws {
        try withTemporaryDirectory { dir in
            let log = try openLog(dir)
            try log.append(Self.tp, [ProducerRecord(key: nil, value: utf8("acknowledged"))], acks: .all)
            // First half of an acks=all append: in the segment file, not yet fsynced nor acknowledged.
            let (partition, pending) = try log.write(Self.tp, [ProducerRecord(key: nil, value: utf8("in flight"))], acks: .all, producer: nil)
            // An acks=leader write behind it cannot become visible before it.
            try log.append(Self.tp, [ProducerRecord(key: nil, value: utf8("behind"))], acks: .leader)

            let status = try log.partitionStatus(Self.tp)
            #expect(status.logEndOffset == 3)
            #expect(status.highWatermark == 1)
            #expect(try readAll(log, Self.tp).map { text($0.value)! } == ["acknowledged"])
            #expect(try log.fetch(Self.tp, from: 1).isEmpty)
            #expect(throws: LogError.offsetOutOfRange(topic: "orders", partition: 0, offset: 2, start: 0, end: 1)) {
                try log.fetch(Self.tp, from: 2)
            }
            let consumer = try Consumer(log: log, topics: ["orders"])
            #expect(try consumer.poll().count == 1)
            let current = try family(log.metricFamilies(), "kafka_topic_partition_current_offset")
            #expect(value(current, ["topic": "orders", "partition": "0"]) == 1, "metrics report the high watermark, not the end")

            try partition.acknowledge(pending)
            #expect(try log.partitionStatus(Self.tp).highWatermark == 3)
            #expect(try consumer.poll().map { text($0.record.value)! } == ["in flight", "behind"])
            try log.close()
        }
    }

    @Test func fetchNeverReturnsBeyondTheHighWatermark() throws {
        try withTemporaryDirectory { dir in
            let log = try openLog(dir)
            for i in 0..<5 { try log.append(Self.tp, (0..<3).map { ProducerRecord(key: nil, value: utf8("\(i).\($0)")) }) }
            let (partition, pending) = try log.write(Self.tp, [ProducerRecord(key: nil, value: utf8("pending"))], acks: .all, producer: nil)
            for offset in Int64(0)...15 {
                let result = try log.fetch(Self.tp, from: offset)
                #expect(result.highWatermark == 15)
                #expect(try result.records().allSatisfy { $0.offset >= offset && $0.offset < 15 })
                #expect(result.nextOffset <= 15)
            }
            try partition.acknowledge(pending)
            #expect(try log.fetch(Self.tp, from: 15).records().map { text($0.value)! } == ["pending"])
            try log.close()
        }
    }

    @Test func fetchStartsInsideABatchAtTheRequestedOffset() throws {
        try withTemporaryDirectory { dir in
            let log = try openLog(dir)
            try log.append(Self.tp, (0..<5).map { ProducerRecord(key: nil, value: utf8("\($0)")) })
            let result = try log.fetch(Self.tp, from: 3)
            #expect(try result.records().map(\.offset) == [3, 4])
            #expect(result.nextOffset == 5)
            #expect(result.fromOffset == 3)
            try log.close()
        }
    }
}
