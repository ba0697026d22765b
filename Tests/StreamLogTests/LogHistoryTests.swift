import Foundation
import ScopeCore
import Testing

@testable import StreamLog

/// `StreamLog.history(at:)`: the series rebuilt from the files at past times must be the series a
/// watcher collecting at those times saw.
@Suite struct LogHistoryTests {
    func families(_ all: [MetricFamily], only names: Set<String>) -> [String: [MetricPoint]] {
        Dictionary(uniqueKeysWithValues: all.filter { names.contains($0.name) }.map { ($0.name, $0.points) })
    }

    @Test func historyAtEachTimeEqualsWhatALiveReaderSawThen() throws {
        try withTemporaryDirectory { dir in
            let clock = ManualClock(startMs: 1_700_000_000_000)
            let writer = try StreamLog.open(directory: dir, create: true, clock: clock)
            try writer.createTopic("orders", config: TopicConfig(partitions: 2))
            let producer = try Producer(log: writer, acks: .all)
            var live: [(Int64, [MetricFamily])] = []
            var consumer: Consumer? = nil
            var second: Consumer? = nil
            for step in 0..<40 {
                _ = try producer.send(topic: "orders", (0..<(1 + step % 3)).map { ProducerRecord(key: utf8("k\($0 + step)"), value: utf8("v\(step)")) })
                clock.advance(byMs: 250)
                if step == 5 { consumer = try Consumer(log: writer, topics: ["orders"], group: "billing", memberId: "m1") }
                if step == 20 { second = try Consumer(log: writer, topics: ["orders"], group: "billing", memberId: "m2") }
                if step == 30 { try second?.close(); second = nil }
                // The consumer falls behind from step 25 on: lag in records and seconds grows.
                if let consumer, step < 25 || step % 4 == 0 {
                    _ = try consumer.poll(maxRecords: 2)
                    try consumer.commit()
                }
                if let second { _ = try second.poll(maxRecords: 1); try second.commit() }
                clock.advance(byMs: 250)
                let reader = try StreamLog.open(directory: dir, readOnly: true, clock: clock)
                live.append((clock.nowMs(), reader.metricFamilies()))
                try reader.close()
                // Nothing happens in the millisecond of a collection (what is stamped with the
                // collection's own millisecond may have come before or after it).
                clock.advance(byMs: 1)
            }
            let history = try writer.history(at: live.map(\.0))
            #expect(history.coverageStartMs == .min, "nothing was deleted: the files hold the whole past")
            let compared: Set<String> = [
                "kafka_topic_partition_current_offset", "kafka_consumergroup_current_offset", "kafka_consumergroup_lag",
                "kafka_consumergroup_lag_sum", "strm_consumergroup_lag_seconds", "strm_records_produced_total", "strm_rebalances_total",
                "kafka_consumergroup_members",
            ]
            for (k, (time, families)) in live.enumerated() {
                let rebuilt = history.snapshots[k]
                #expect(rebuilt.timeMs == time)
                #expect(self.families(rebuilt.families, only: compared) == self.families(families, only: compared), "at step \(k)")
            }
            // The history is not trivially constant: lag in seconds rose while the consumer lagged.
            let lagSeconds = history.snapshots.compactMap { $0.families.first { $0.name == "strm_consumergroup_lag_seconds" }?.points.map(\.value).max() }
            #expect((lagSeconds.max() ?? 0) >= 2)
            try consumer?.close()
            try writer.close()
        }
    }

    @Test func timesBeforeTheFirstRecordSeeAnEmptyLog() throws {
        try withTemporaryDirectory { dir in
            let clock = ManualClock(startMs: 1_700_000_000_000)
            let log = try StreamLog.open(directory: dir, create: true, clock: clock)
            try log.createTopic("orders", config: TopicConfig(partitions: 1))
            clock.advance(byMs: 10_000)
            _ = try log.append(TopicPartition("orders", 0), [ProducerRecord(key: nil, value: utf8("a"))])
            let history = try log.history(at: [1_700_000_000_000, clock.nowMs()])
            let ends = history.snapshots.map { $0.families.first { $0.name == "kafka_topic_partition_current_offset" }?.points.first?.value }
            #expect(ends == [0, 1])
            try log.close()
        }
    }
}
