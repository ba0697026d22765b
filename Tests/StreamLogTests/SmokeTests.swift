import Foundation
import ScopeCore
import Testing

@testable import StreamLog

func temporaryDirectory(_ name: String = #function) -> String {
    let base = FileManager.default.temporaryDirectory.path + "/strmscope-tests-\(getpid())"
    let safe = name.filter { $0.isLetter || $0.isNumber }
    let dir = base + "/" + safe + "-" + String(UInt32.random(in: 0...UInt32.max))
    try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

@Suite struct SmokeTests {
    @Test func produceAndReadBack() throws {
        let dir = temporaryDirectory()
        let clock = ManualClock()
        let log = try StreamLog.open(directory: dir + "/log", create: true, clock: clock)
        try log.createTopic("orders", config: TopicConfig(partitions: 3))
        let producer = try Producer(log: log, acks: .all)
        let metas = try producer.send(topic: "orders", (0..<10).map { ProducerRecord(key: "k\($0)", value: "v\($0)") })
        #expect(metas.count == 10)
        let consumer = try Consumer(log: log, topics: ["orders"], group: "billing")
        var got: [ConsumedRecord] = []
        for _ in 0..<5 { got += try consumer.poll() }
        #expect(got.count == 10)
        try consumer.commit()
        try log.close()
        let reopened = try StreamLog.open(directory: dir + "/log", clock: clock)
        #expect(reopened.committedOffsets("billing").values.reduce(0, +) == 10)
        try reopened.close()
    }
}
