import Foundation
import ScopeCore
import Testing

@testable import StreamLog

@Suite struct SmokeTests {
    @Test func produceConsumeCommitAndReopen() throws {
        try withTemporaryDirectory { dir in
            let clock = ManualClock()
            let log = try StreamLog.open(directory: dir + "/log", create: true, clock: clock)
            try log.createTopic("orders", config: TopicConfig(partitions: 3))
            let producer = try Producer(log: log, acks: .all)
            let metas = try producer.send(topic: "orders", (0..<10).map { ProducerRecord(key: "k\($0)", value: "v\($0)") })
            #expect(metas.count == 10)
            let consumer = try Consumer(log: log, topics: ["orders"], group: "billing")
            var got: [ConsumedRecord] = []
            for _ in 0..<5 { got += try consumer.poll() }
            #expect(Set(got.map { text($0.record.value)! }) == Set((0..<10).map { "v\($0)" }))
            try consumer.commit()
            try log.close()
            let reopened = try StreamLog.open(directory: dir + "/log", clock: clock)
            #expect(reopened.committedOffsets("billing").values.reduce(0, +) == 10)
            try reopened.close()
        }
    }
}
