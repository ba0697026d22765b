// Regression tests for bugs found in Sources/StreamLog by review (each describes the failure it guards against).
import Foundation
import ScopeCore
import Testing

@testable import StreamLog

@Suite struct RegressionTests {
    static let tp = TopicPartition("events", 0)

    /// Batches of 1–4 records until the partition has `segments` segments; returns all records.
    func populate(_ dir: String, clock: ManualClock, config: TopicConfig, segments: Int) throws -> [Record] {
        let log = try StreamLog.open(directory: dir, create: true, clock: clock)
        try log.createTopic("events", config: config)
        var i = 0
        while try log.partitionStatus(Self.tp).segments < segments {
            let records = (0..<(1 + i % 4)).map { n in ProducerRecord(key: utf8("k\(i)"), value: utf8("record \(i).\(n) payload")) }
            try log.append(Self.tp, records)
            clock.advance(byMs: 1)
            i += 1
        }
        let all = try readAll(log, Self.tp)
        try log.close()
        return all
    }

    func indexEntries(_ bytes: [UInt8]) -> [(rel: UInt32, pos: UInt32)] {
        stride(from: 0, to: bytes.count, by: 8).map { i in
            let u = { (at: Int) in bytes[at..<(at + 4)].reduce(UInt32(0)) { $0 << 8 | UInt32($1) } }
            return (u(i), u(i + 4))
        }
    }

    func serialize(_ entries: [(rel: UInt32, pos: UInt32)]) -> [UInt8] {
        entries.flatMap { e in [e.rel, e.pos].flatMap { v in (0..<4).map { UInt8(truncatingIfNeeded: v >> (24 - 8 * $0)) } } }
    }

    // MARK: Offset index entries are trusted without being checked

    /// Regression: PartitionLog.loadTrusted only checks the LAST index entry; fetch seeks to any entry and
    /// treats what it finds there as a batch. One damaged earlier entry (the index has no checksum)
    /// makes intact data look corrupt, and the partition then refuses every append.
    @Test func damagedIndexPositionIsNotMistakenForCorruptData() throws {
        try withTemporaryDirectory { dir in
            let clock = ManualClock()
            let all = try populate(dir, clock: clock, config: TopicConfig(partitions: 1, segmentBytes: 4096, indexIntervalBytes: 64), segments: 2)
            let indexPath = try segmentFiles(dir, Self.tp, suffix: ".index")[0]
            var entries = indexEntries(try fileBytes(indexPath))
            #expect(entries.count > 10)
            let k = entries.count / 2
            let target = Int64(entries[k].rel)
            entries[k].pos += 1  // still strictly increasing, still inside the segment
            try writeFileBytes(indexPath, serialize(entries))

            let log = try StreamLog.open(directory: dir, clock: clock)
            let read = try readAll(log, Self.tp, from: target)
            #expect(read == Array(all[Int(target)...]))
            #expect(try log.partitionStatus(Self.tp).corruption == nil)
            #expect(try log.append(Self.tp, [ProducerRecord(key: nil, value: utf8("x"))]).baseOffset == Int64(all.count))
            try log.close()
        }
    }

    /// Regression: same root cause; a damaged relative offset in an earlier index entry makes fetch start
    /// at a batch AFTER the requested offset: records are skipped silently (consumer data loss).
    @Test func damagedIndexOffsetNeverSkipsRecords() throws {
        try withTemporaryDirectory { dir in
            let clock = ManualClock()
            let all = try populate(dir, clock: clock, config: TopicConfig(partitions: 1, segmentBytes: 4096, indexIntervalBytes: 64), segments: 2)
            let indexPath = try segmentFiles(dir, Self.tp, suffix: ".index")[0]
            var entries = indexEntries(try fileBytes(indexPath))
            let k = try #require((1..<(entries.count - 1)).first { entries[$0].rel - entries[$0 - 1].rel >= 2 })
            let requested = Int64(entries[k - 1].rel + 1)  // inside the batch before entry k
            entries[k].rel = entries[k - 1].rel + 1
            try writeFileBytes(indexPath, serialize(entries))

            let log = try StreamLog.open(directory: dir, clock: clock)
            let first = try log.fetch(Self.tp, from: requested).records().first
            #expect(first?.offset == requested, "fetch from \(requested) began at \(String(describing: first?.offset))")
            #expect(try readAll(log, Self.tp, from: requested) == Array(all[Int(requested)...]))
            try log.close()
        }
    }

    // MARK: Corruption found by a read (not at open)

    /// A sealed log with a payload bit flipped in a middle batch of its first segment (only the
    /// CRC can tell, so open does not notice; the first read that reaches it does).
    func logWithLazyCorruption(_ dir: String, clock: ManualClock) throws -> (all: [Record], damagedBase: Int64, segmentBases: [Int64]) {
        let all = try populate(dir, clock: clock, config: TopicConfig(partitions: 1, segmentBytes: 1024, indexIntervalBytes: 128), segments: 3)
        let files = try segmentFiles(dir, Self.tp)
        var bytes = try fileBytes(files[0])
        let batches = frames(in: bytes)
        let middle = batches[batches.count / 2]
        bytes[middle.start + middle.header.frameSize - 2] ^= 0x04
        try writeFileBytes(files[0], bytes)
        let bases = files.map { Int64(String($0.split(separator: "/").last!.prefix(20)))! }
        return (all, middle.header.baseOffset, bases)
    }

    /// Regression: PartitionLog.fetch, after readFrames finds a corrupt batch and records it (corrupt()),
    /// still serves later segments: visibleEnd() returns the END of the damaged segment and the
    /// high watermark is not lowered, so "nothing at or past a corruption is served" (the
    /// invariant documented on PartitionLog) only holds when the damage was found at open.
    @Test func nothingPastALazilyFoundCorruptionIsServed() throws {
        try withTemporaryDirectory { dir in
            let clock = ManualClock()
            let (all, damagedBase, bases) = try logWithLazyCorruption(dir, clock: clock)
            let log = try StreamLog.open(directory: dir, clock: clock)
            let (read, error) = readUntilError(log, Self.tp)
            #expect(read == all.filter { $0.offset < damagedBase })
            guard case .corruptBatch? = error else {
                Issue.record("expected corruptBatch, got \(String(describing: error))")
                return
            }
            // The next segment is past the corruption.
            let later = try? log.fetch(Self.tp, from: bases[1]).records()
            #expect(later == nil || later!.isEmpty, "served \(later?.count ?? 0) records past the corruption")
            #expect(try log.partitionStatus(Self.tp).highWatermark <= damagedBase)
            try log.close()
        }
    }

    /// Regression: same root cause; retrying the fetch that failed at the damaged batch returns an EMPTY
    /// result (looks caught up) instead of the error: a consumer that retries its poll sees no
    /// error and no progress, while lag stays above zero.
    @Test func retryingAFailedFetchFailsAgain() throws {
        try withTemporaryDirectory { dir in
            let clock = ManualClock()
            let (_, damagedBase, _) = try logWithLazyCorruption(dir, clock: clock)
            let log = try StreamLog.open(directory: dir, clock: clock)
            #expect(throws: LogError.self) { try log.fetch(Self.tp, from: damagedBase) }
            #expect(throws: LogError.self, "the second attempt must fail like the first") { try log.fetch(Self.tp, from: damagedBase) }
            let consumer = try Consumer(log: log, topics: ["events"])
            consumer.seek(Self.tp, to: damagedBase)
            #expect(throws: LogError.self) { try consumer.poll() }
            #expect(throws: LogError.self) { try consumer.poll() }
            try log.close()
        }
    }

    /// Regression: PartitionLog.readFrames throws "batch runs past the end of the segment" as soon as it
    /// meets a frame whose length reaches past the segment end, even when it already collected
    /// intact batches before it in the same read (the `.invalid` case returns them first). In a
    /// sealed segment whose damage open did not see (before the last index entry), every record
    /// of the segment before the damaged batch becomes unreadable.
    @Test func intactBatchesBeforeAnOverlongFrameStayReadable() throws {
        try withTemporaryDirectory { dir in
            let clock = ManualClock()
            let all = try populate(dir, clock: clock, config: TopicConfig(partitions: 1, segmentBytes: 1024, indexIntervalBytes: 256), segments: 3)
            let files = try segmentFiles(dir, Self.tp)
            var bytes = try fileBytes(files[1])
            let batches = frames(in: bytes)
            let middle = batches[batches.count / 2]
            bytes[middle.start + 1] ^= 0x01  // length += 65536: within the 16 MiB limit, past the segment end
            try writeFileBytes(files[1], bytes)

            let log = try StreamLog.open(directory: dir, clock: clock)
            let (read, error) = readUntilError(log, Self.tp)
            #expect(read == all.filter { $0.offset < middle.header.baseOffset }, "read \(read.count) of \(all.filter { $0.offset < middle.header.baseOffset }.count) intact records")
            #expect(error != nil)
            try log.close()
        }
    }

    // MARK: Retention by age after a restart

    /// Regression: PartitionLog.loadTrusted walks batch headers only from the last index entry, so a
    /// sealed segment's maxTimestampMs after a restart is the newest timestamp AFTER that entry,
    /// not of the whole segment. With producer-set (event-time) timestamps out of order, age
    /// retention then deletes a segment that holds a record younger than retention.ms — but only
    /// after a restart.
    @Test func ageRetentionAfterARestartSeesTheWholeSegmentsNewestRecord() throws {
        try withTemporaryDirectory { dir in
            let clock = ManualClock()
            let now = clock.nowMs()
            let week: Int64 = 7 * 86_400_000
            let log = try StreamLog.open(directory: dir, create: true, clock: clock)
            try log.createTopic("events", config: TopicConfig(partitions: 1, segmentBytes: 4096, retentionMs: week, indexIntervalBytes: 64))
            try log.append(Self.tp, [ProducerRecord(key: nil, value: utf8("fresh"), timestampMs: now)])
            var i = 0
            while try log.partitionStatus(Self.tp).segments < 2 {
                // A backfill with event times eight days old.
                try log.append(Self.tp, [ProducerRecord(key: nil, value: utf8("backfill \(i) ........................"), timestampMs: now - 8 * 86_400_000)])
                i += 1
            }
            #expect(try log.enforceRetention() == 0, "the first segment holds a record from now")
            try log.close()

            let reopened = try StreamLog.open(directory: dir, clock: clock)
            #expect(try reopened.enforceRetention() == 0, "…and still does after a restart")
            #expect(try reopened.partitionStatus(Self.tp).logStartOffset == 0)
            try reopened.close()
        }
    }

    // MARK: Read-only views and the writer's retention

    /// Regression: PartitionLog.refreshLocked only ever appends segments; a read-only view never notices
    /// segments the writer's retention deleted. Its log start offset (and the
    /// kafka_topic_partition_oldest_offset it exposes) stays at the old value, it serves records
    /// the writer already deleted, and it keeps the deleted files open, so their disk space is not
    /// freed while the reader runs.
    @Test func readOnlyViewFollowsTheWritersRetention() throws {
        try withTemporaryDirectory { dir in
            let clock = ManualClock()
            let writer = try StreamLog.open(directory: dir, create: true, clock: clock)
            try writer.createTopic("events", config: TopicConfig(partitions: 1, segmentBytes: 1024, retentionBytes: 2048))
            try writer.append(Self.tp, [ProducerRecord(key: nil, value: utf8("first"))])
            let reader = try StreamLog.open(directory: dir, readOnly: true, clock: clock)
            #expect(try reader.partitionStatus(Self.tp).logStartOffset == 0)
            for i in 0..<100 {
                try writer.append(Self.tp, [ProducerRecord(key: nil, value: utf8("record \(i) " + String(repeating: "-", count: 40)))])
            }
            let start = try writer.partitionStatus(Self.tp).logStartOffset
            #expect(start > 0)
            #expect(try reader.partitionStatus(Self.tp).logStartOffset == start)
            #expect(throws: LogError.self, "offset 0 is gone") { try reader.fetch(Self.tp, from: 0) }
            let oldest = try family(reader.metricFamilies(), "kafka_topic_partition_oldest_offset")
            #expect(value(oldest, ["topic": "events", "partition": "0"]) == Double(start))
            try reader.close()
            try writer.close()
        }
    }

    // MARK: LogVerifier

    /// Regression (minor): LogVerifier.verifyPartition sets `expected = next` after a segment whose scan
    /// stopped at a corrupt batch, so the NEXT segment is also reported as corruption: "segment
    /// starts at offset N, the previous one ended at M" — a gap that does not exist. The operator
    /// gets two corruptions for one flipped bit, one of them false.
    @Test func oneFlippedBitIsOneCorruption() throws {
        try withTemporaryDirectory { dir in
            let clock = ManualClock()
            _ = try populate(dir, clock: clock, config: TopicConfig(partitions: 1, segmentBytes: 1024), segments: 3)
            let file = try segmentFiles(dir, Self.tp)[0]
            var bytes = try fileBytes(file)
            let middle = frames(in: bytes)[3]
            bytes[middle.start + 30] ^= 0x80
            try writeFileBytes(file, bytes)
            let report = try LogVerifier.verify(directory: dir)
            #expect(report.corruptions.count == 1, "\(report.corruptions)")
        }
    }
}
