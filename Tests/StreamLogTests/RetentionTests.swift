import Foundation
import ScopeCore
import Testing

@testable import StreamLog

/// Retention deletes whole segments, oldest first, never the active one; readers and consumers
/// see the log start move.
@Suite struct RetentionTests {
    static let tp = TopicPartition("logs", 0)

    func record(_ i: Int) -> ProducerRecord {
        ProducerRecord(key: utf8("k\(i)"), value: utf8("line \(i) " + String(repeating: "=", count: 60)))
    }

    @Test func bySizeDeletesWholeOldestSegments() throws {
        try withTemporaryDirectory { dir in
            let clock = ManualClock()
            let log = try StreamLog.open(directory: dir, create: true, clock: clock)
            let retention: Int64 = 3000
            try log.createTopic("logs", config: TopicConfig(partitions: 1, segmentBytes: 1024, retentionBytes: retention, retentionMs: -1, indexIntervalBytes: 64))
            var segmentStarts: Set<Int64> = []
            for i in 0..<200 {
                try log.append(Self.tp, [record(i)])
                for path in try segmentFiles(dir, Self.tp) {
                    segmentStarts.insert(try #require(Segment.baseOffset(ofFile: String(path.split(separator: "/").last!), suffix: ".log")))
                }
                clock.advance(byMs: 1)
            }
            #expect(segmentStarts.count > 10)
            // Rolls applied retention as they went; apply it once more for the active segment's growth.
            try log.enforceRetention()
            let status = try log.partitionStatus(Self.tp)
            #expect(status.logStartOffset > 0)
            #expect(segmentStarts.contains(status.logStartOffset), "the log starts at a former segment boundary: whole segments only")
            #expect(status.logEndOffset == 200)
            #expect(status.bytes >= Int(retention), "never deletes below the limit")
            let files = try segmentFiles(dir, Self.tp)
            #expect(files.count == status.segments)
            let sizes = try files.map { try fileSize($0) }
            #expect(Int64(sizes.reduce(0, +) - sizes[0]) < retention, "the oldest remaining segment is needed to stay at the limit")
            let indexes = try segmentFiles(dir, Self.tp, suffix: ".index").map { $0.replacingOccurrences(of: ".index", with: ".log") }
            #expect(Set(indexes).isSubset(of: Set(files)), "indexes of deleted segments go with them")

            // What is left reads densely from the new start; below it is out of range.
            let rest = try readAll(log, Self.tp)
            #expect(rest.map(\.offset) == Array(status.logStartOffset..<200))
            #expect(text(rest.last?.value)?.hasPrefix("line 199") == true)
            #expect(throws: LogError.offsetOutOfRange(topic: "logs", partition: 0, offset: 0, start: status.logStartOffset, end: 200)) {
                try log.fetch(Self.tp, from: 0)
            }
            let oldest = try family(log.metricFamilies(), "kafka_topic_partition_oldest_offset")
            #expect(value(oldest, ["topic": "logs", "partition": "0"]) == Double(status.logStartOffset))
            try log.close()

            // The start survives a reopen.
            let reopened = try StreamLog.open(directory: dir, clock: clock)
            #expect(try reopened.partitionStatus(Self.tp).logStartOffset == status.logStartOffset)
            #expect(try readAll(reopened, Self.tp) == rest)
            try reopened.close()
        }
    }

    @Test func byAgeDeletesOldSegmentsButNeverTheActiveOne() throws {
        try withTemporaryDirectory { dir in
            let clock = ManualClock()
            let log = try StreamLog.open(directory: dir, create: true, clock: clock)
            // A segment rolls once its first record is a minute old; records live five minutes.
            try log.createTopic("logs", config: TopicConfig(partitions: 1, segmentMs: 60_000, retentionMs: 300_000))
            for i in 0..<10 {
                try log.append(Self.tp, [record(i)])
                clock.advance(byMs: 61_000)
            }
            // Every append rolled: ten one-record segments, written 61 s apart; the roll also
            // applied retention, so segments whose record is over 5 minutes old are gone.
            var status = try log.partitionStatus(Self.tp)
            let now = clock.nowMs()
            let kept = try readAll(log, Self.tp)
            #expect(kept.allSatisfy { $0.timestampMs >= now - 61_000 - 300_000 }, "no segment far past retention remains")
            #expect(kept.last?.offset == 9)
            #expect(status.logStartOffset > 0)

            // Nothing written for a day: every sealed segment goes, the active one stays readable.
            clock.advance(byMs: 86_400_000)
            let deleted = try log.enforceRetention()
            status = try log.partitionStatus(Self.tp)
            #expect(deleted >= 1)
            #expect(status.segments == 1)
            #expect(status.logStartOffset == 9)
            #expect(try readAll(log, Self.tp).map(\.offset) == [9])
            #expect(try log.enforceRetention() == 0, "the active segment is never deleted")
            #expect(try log.append(Self.tp, [record(10)]).baseOffset == 10)
            try log.close()
        }
    }

    @Test func ageRetentionKeepsSegmentsWithRecentRecords() throws {
        try withTemporaryDirectory { dir in
            let clock = ManualClock()
            let log = try StreamLog.open(directory: dir, create: true, clock: clock)
            try log.createTopic("logs", config: TopicConfig(partitions: 1, segmentMs: 60_000, retentionMs: 300_000))
            for i in 0..<4 {
                try log.append(Self.tp, [record(i)])
                clock.advance(byMs: 61_000)
            }
            // Four segments (the last active), the oldest record 244 s old: all within five minutes.
            #expect(try log.enforceRetention() == 0)
            #expect(try log.partitionStatus(Self.tp).logStartOffset == 0)
            clock.advance(byMs: 60_000)  // the first record is now 304 s old, the second 243 s
            #expect(try log.enforceRetention() == 1)
            #expect(try log.partitionStatus(Self.tp).logStartOffset == 1)
            try log.close()
        }
    }

    @Test func consumerWhosePositionWasDeletedResetsToEarliest() throws {
        try withTemporaryDirectory { dir in
            let clock = ManualClock()
            let log = try StreamLog.open(directory: dir, create: true, clock: clock)
            try log.createTopic("logs", config: TopicConfig(partitions: 1, segmentMs: 60_000, retentionMs: 300_000))
            try log.append(Self.tp, [record(0), record(1)])
            let live = try Consumer(log: log, topics: ["logs"], group: "readers", memberId: "live", sessionTimeoutMs: 86_400_000)
            #expect(try live.poll(maxRecords: 1).map(\.offset) == [0])
            try live.commit()  // committed: next offset 1
            // Much later: more data, and retention removes offsets 0…2.
            clock.advance(byMs: 400_000)
            try log.append(Self.tp, [record(2)])
            clock.advance(byMs: 400_000)
            try log.append(Self.tp, [record(3)])
            clock.advance(byMs: 61_000)
            try log.append(Self.tp, [record(4)])
            try log.enforceRetention()
            let start = try log.partitionStatus(Self.tp).logStartOffset
            #expect(start == 3)

            // The live member (its session outlasts the gap) held position 1 in memory; that offset
            // is gone: it resets to the earliest offset still held.
            #expect(try drain(live).map(\.offset) == [3, 4])
            // A new member of the group starts from the committed offset 1, also deleted: earliest too.
            try live.close()
            let fresh = try Consumer(log: log, topics: ["logs"], group: "readers", memberId: "fresh")
            #expect(try drain(fresh).map(\.offset) == [3, 4])
            // Even one that prefers the latest offsets resets forward, never past the data it lost.
            let latest = try Consumer(log: log, topics: ["logs"], reset: .latest)
            latest.seek(Self.tp, to: 1)
            #expect(try drain(latest).map(\.offset) == [3, 4])
            try log.close()
        }
    }
}
