import Foundation
import ScopeCore
import Testing

@testable import StreamLog

/// Records a consumer gives up on go to `<topic>.dlq`, same partition, with where they came from,
/// why they failed and on which attempt.
@Suite struct DeadLetterTests {
    @Test func deadLetterKeepsTheRecordAndNamesItsOrigin() throws {
        try withTemporaryDirectory { dir in
            let clock = ManualClock()
            let log = try StreamLog.open(directory: dir, create: true, clock: clock)
            try log.createTopic("orders", config: TopicConfig(partitions: 3))
            let source = TopicPartition("orders", 2)
            try log.append(source, [ProducerRecord(key: nil, value: utf8("fine"))])
            try log.append(source, [ProducerRecord(key: utf8("order-7"), value: [0xFF, 0x00, 0x7B], headers: [RecordHeader("trace", "abc")], timestampMs: 1_234)])

            let consumer = try Consumer(log: log, topics: ["orders"], group: "billing", memberId: "m1")
            let polled = try consumer.poll()
            let poison = try #require(polled.first { $0.offset == 1 })
            let result = try consumer.deadLetter(poison, error: "bad json: unexpected byte 0xff", attempt: 3)
            #expect(result.baseOffset == 0 && !result.duplicate)

            let config = try #require(log.topicConfig("orders.dlq"))
            #expect(config.partitions == 3, "the DLQ mirrors the source's partitions")
            #expect(log.topicNames().contains("orders.dlq"))
            let dead = try readAll(log, TopicPartition("orders.dlq", 2))
            #expect(dead.count == 1)
            let record = try #require(dead.first)
            #expect(record.key == utf8("order-7"))
            #expect(record.value == [0xFF, 0x00, 0x7B])
            #expect(text(record.header("trace")) == "abc", "original headers are kept")
            #expect(record.headers.first == RecordHeader("trace", "abc"))
            #expect(text(record.header("strm.dlq.original.topic")) == "orders")
            #expect(text(record.header("strm.dlq.original.partition")) == "2")
            #expect(text(record.header("strm.dlq.original.offset")) == "1")
            #expect(text(record.header("strm.dlq.original.timestamp")) == "1234")
            #expect(text(record.header("strm.dlq.error")) == "bad json: unexpected byte 0xff")
            #expect(text(record.header("strm.dlq.attempt")) == "3")
            #expect(text(record.header("strm.dlq.consumergroup")) == "billing")
            for p in [0, 1] { #expect(try readAll(log, TopicPartition("orders.dlq", p)).isEmpty) }

            let dlq = try family(log.metricFamilies(), "strm_dlq_records_total")
            #expect(value(dlq, ["topic": "orders"]) == 1)
            #expect(try log.partitionStatus(TopicPartition("orders.dlq", 2)).highWatermark == 1, "durable and visible when it returns")

            // A second dead letter appends to the same DLQ partition.
            let again = try log.deadLetter(poison.record, from: source, group: nil, error: "still bad", attempt: 4)
            #expect(again.baseOffset == 1)
            let second = try readAll(log, TopicPartition("orders.dlq", 2))[1]
            #expect(second.header("strm.dlq.consumergroup") == nil)
            #expect(text(second.header("strm.dlq.attempt")) == "4")
            #expect(value(try family(log.metricFamilies(), "strm_dlq_records_total"), ["topic": "orders"]) == 2)
            try log.close()

            let reopened = try StreamLog.open(directory: dir, clock: clock)
            #expect(try readAll(reopened, TopicPartition("orders.dlq", 2)).count == 2)
            try reopened.close()
        }
    }

    @Test func deadLetterOfAnUnknownTopicFails() throws {
        try withTemporaryDirectory { dir in
            let log = try StreamLog.open(directory: dir, create: true, clock: ManualClock())
            let record = Record(offset: 0, timestampMs: 0, key: nil, value: [], headers: [])
            #expect(throws: LogError.self) { try log.deadLetter(record, from: TopicPartition("ghost", 0), group: nil, error: "x", attempt: 1) }
            #expect(log.topicConfig("ghost.dlq") == nil)
            try log.close()
        }
    }
}
