import Foundation
import ScopeCore
import SeriesStore
import StreamLog
import Testing

@testable import Collectors

@Suite struct EmbeddedLogSourceTests {
    func scratch(_ name: String = #function) -> String {
        FileManager.default.temporaryDirectory.path + "/strmscope-collectors-\(getpid())-\(name.filter(\.isLetter))-\(UInt32.random(in: 0...UInt32.max))"
    }

    @Test func samplesLagWithKafkaExporterNamesAndCopiesRebalanceEvents() throws {
        let dir = scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let clock = ManualClock(startMs: 1_700_000_000_000)
        let log = try StreamLog.open(directory: dir, create: true, clock: clock)
        try log.createTopic("orders", config: TopicConfig(partitions: 2))
        let producer = try Producer(log: log, acks: .leader)
        _ = try producer.send(topic: "orders", (0..<10).map { ProducerRecord(key: nil, value: "v\($0)") })
        let consumer = try Consumer(log: log, topics: ["orders"], group: "billing", memberId: "m1")
        _ = try consumer.poll(maxRecords: 3)
        try consumer.commit()

        let store = SeriesStore(clock: clock)
        let source = EmbeddedLogSource(log: log, store: store)
        let t1 = clock.nowMs()
        source.collect(atMs: t1)
        clock.advance(byMs: 5_000)  // within the member's 10 s session
        _ = try producer.send(topic: "orders", (0..<4).map { ProducerRecord(key: nil, value: "w\($0)") })
        let t2 = clock.nowMs()
        source.collect(atMs: t2)

        let lag = try store.select([try LabelMatcher("__name__", .equal, "kafka_consumergroup_lag_sum")], minMs: t1, maxMs: t2)
        #expect(lag.count == 1)
        #expect(lag.first?.labels["consumergroup"] == "billing" && lag.first?.labels["job"] == "strmscope")
        // Three records of partition 0 were consumed and committed (it holds 5, then 7); partition 1
        // has no commit, so no lag, as with kafka_exporter.
        #expect(lag.first?.samples.map(\.value) == [2, 4])
        #expect(lag.first?.samples.map(\.timestampMs) == [t1, t2])
        let up = try store.select([try LabelMatcher("__name__", .equal, "up")], minMs: t1, maxMs: t2)
        #expect(up.first?.samples.map(\.value) == [1, 1])

        // The join was one rebalance; collecting twice copies it once.
        let events = store.events(fromMs: .min, toMs: .max, kinds: [.rebalance])
        #expect(events.count == 1)
        #expect(events.first?.labels["consumergroup"] == "billing")
        try consumer.close()
        clock.advance(byMs: 1)
        source.collect(atMs: clock.nowMs())
        #expect(store.events(fromMs: .min, toMs: .max, kinds: [.rebalance]).count == 2)
        try log.close()
    }

    /// A batch below the recovery checkpoint that fails its CRC: the scope and eval see the
    /// acknowledged end offset, a corrupt-batch count an alert can fire on, and one C marker.
    @Test func corruptionIsAMetricAndOneEventNeverAShorterLog() throws {
        let dir = scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let clock = ManualClock(startMs: 1_700_000_000_000)
        let writer = try StreamLog.open(directory: dir, create: true, clock: clock)
        try writer.createTopic("orders", config: TopicConfig(partitions: 1))
        for i in 0..<3 { _ = try writer.append(TopicPartition("orders", 0), [ProducerRecord(key: nil, value: "v\(i)")], acks: .all) }
        try writer.close()
        let segment = dir + "/orders-0/00000000000000000000.log"
        var bytes = Array(try #require(FileManager.default.contents(atPath: segment)))
        bytes[bytes.count - 3] ^= 0xFF
        try Data(bytes).write(to: URL(fileURLWithPath: segment))

        let store = SeriesStore(clock: clock)
        let source = EmbeddedLogSource(log: try StreamLog.open(directory: dir, readOnly: true, clock: clock), store: store)
        source.collect(atMs: clock.nowMs())
        clock.advance(byMs: 1_000)
        source.collect(atMs: clock.nowMs())
        let now = clock.nowMs()
        func last(_ name: String) throws -> Double? {
            try store.select([try LabelMatcher("__name__", .equal, name)], minMs: now, maxMs: now).first?.samples.last?.value
        }
        #expect(try last("strm_log_corrupt_batches") == 1)
        #expect(try last("kafka_topic_partition_current_offset") == 3, "the acknowledged end, not the readable one")
        #expect(try last("strm_records_produced_total") == 3)
        let markers = store.events(fromMs: .min, toMs: .max, kinds: [.marker])
        #expect(markers.count == 1, "one event per corrupt partition, not one per collection")
        #expect(markers.first?.labels["corruption"] == "1")
        #expect(markers.first?.title.contains("orders/0") == true && markers.first?.title.contains("offsets 2-2 unreadable") == true,
                "\(markers.first?.title ?? "")")
    }
}
