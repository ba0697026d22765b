// Regression tests for the StreamLog review fixes (each test names the defect it guards against
// and asserts what a user of the log would notice).
#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Foundation
import ScopeCore
import Synchronization
import Testing

@testable import StreamLog

@Suite struct ReviewRegressionTests {
    static let tp = TopicPartition("events", 0)
    static let offsetsTP = TopicPartition(StreamLog.offsetsTopic, 0)

    // MARK: Helpers

    /// A record whose encoding ends with a header value (never with a zero byte).
    func record(_ i: Int, timestampMs: Int64? = nil) -> ProducerRecord {
        ProducerRecord(
            key: utf8("key-\(i)"), value: utf8("value \(i) " + String(repeating: "~", count: 20 + i % 5)),
            headers: [RecordHeader("h", "header-\(i)")], timestampMs: timestampMs)
    }

    func isCorruptBatch(_ error: any Error) -> Bool {
        if case .corruptBatch? = error as? LogError { true } else { false }
    }

    func isFsyncFailure(_ error: any Error) -> Bool {
        if case .io(_, "fdatasync", _)? = error as? LogError { true } else { false }
    }

    func hasCorruptionNote(_ log: StreamLog, file: String? = nil, position: Int? = nil) -> Bool {
        log.recoveryNotes.contains {
            guard case .corruption(let f, let p, _) = $0 else { return false }
            return (file == nil || f == file!) && (position == nil || p == position!)
        }
    }

    func hasTornTailNote(_ log: StreamLog) -> Bool {
        log.recoveryNotes.contains { if case .truncatedTornTail = $0 { true } else { false } }
    }

    /// Flips bits of one byte of a file in place (the inode stays the same, so an open log sees it).
    func flipInPlace(_ path: String, at position: Int, mask: UInt8 = 0x10) throws {
        let fd = open(path, O_RDWR | O_CLOEXEC)
        try #require(fd >= 0, "open \(path)")
        defer { close(fd) }
        var byte: UInt8 = 0
        try #require(pread(fd, &byte, 1, off_t(position)) == 1)
        byte ^= mask
        try #require(pwrite(fd, &byte, 1, off_t(position)) == 1)
    }

    /// Appends bytes to a file in place (an open log's descriptor sees them).
    func appendInPlace(_ path: String, _ bytes: [UInt8]) throws {
        let fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC)
        try #require(fd >= 0, "open \(path)")
        defer { close(fd) }
        try #require(bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } == bytes.count)
    }

    /// Makes every later fsync of `path`'s open descriptor fail for real: the descriptor is
    /// replaced by /dev/null, on which fdatasync fails with EINVAL (writes are discarded).
    func injectFsyncFailure(_ path: String) throws {
        guard let resolved = realpath(path, nil) else {
            Issue.record("realpath \(path)")
            return
        }
        let target = String(cString: resolved)
        free(resolved)
        var matches: [Int32] = []
        for name in try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") {
            guard let fd = Int32(name), let link = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(name)")
            else { continue }
            if link == target { matches.append(fd) }
        }
        try #require(matches.count == 1, "descriptors open on \(target): \(matches)")
        let null = open("/dev/null", O_RDWR | O_CLOEXEC)
        try #require(null >= 0)
        defer { close(null) }
        try #require(dup2(null, matches[0]) == matches[0])
    }

    /// Runs `body` on another thread and waits at most `seconds` for it (a hang guard: a body
    /// that never returns fails the test instead of hanging the suite).
    func withWatchdog<T: Sendable>(seconds: Int, _ body: @escaping @Sendable () -> T) -> T? {
        let done = DispatchSemaphore(value: 0)
        let box = Mutex<T?>(nil)
        let thread = Thread {
            let value = body()
            box.withLock { $0 = value }
            done.signal()
        }
        thread.start()
        guard done.wait(timeout: .now() + .seconds(seconds)) == .success else { return nil }
        return box.withLock { $0 }
    }

    // MARK: 1. A retried acks=all batch is not acknowledged before the original is durable

    /// Regression: a retry of an idempotent batch that arrived while the original `acks=all` write
    /// still waited for its fsync was answered as a duplicate at once — acknowledged as durable
    /// although nothing had been fsynced (and not even visible to consumers yet).
    @Test func retriedBatchWaitsForTheOriginalsFsync() throws {
        try withTemporaryDirectory { dir in
            let clock = ManualClock()
            let log = try StreamLog.open(directory: dir, create: true, clock: clock)
            try log.createTopic("events", config: TopicConfig(partitions: 1))
            let (id, epoch) = try log.initProducerId()
            let identity = ProducerBatchIdentity(producerId: id, epoch: epoch, baseSequence: 0)
            let batch = [record(0), record(1)]

            let (partition, original) = try log.write(Self.tp, batch, acks: .all, producer: identity)
            #expect(!original.result.duplicate)
            #expect(!original.durability.isEmpty)
            let (_, retry) = try log.write(Self.tp, batch, acks: .all, producer: identity)
            #expect(retry.result.duplicate)
            #expect(retry.result.baseOffset == original.result.baseOffset && retry.result.lastOffset == original.result.lastOffset)
            #expect(!retry.durability.isEmpty, "the retry must wait for the original's fsync")

            // Nothing is acknowledged yet: the records are neither past the high watermark nor served.
            #expect(try log.partitionStatus(Self.tp).highWatermark == original.result.baseOffset)
            #expect(try log.fetch(Self.tp, from: 0).isEmpty)

            // Acknowledging the retry means the original is durable: visible to consumers now.
            try partition.acknowledge(retry)
            #expect(try log.partitionStatus(Self.tp).highWatermark == original.result.lastOffset + 1)
            #expect(try readAll(log, Self.tp).map(\.offset) == [original.result.baseOffset, original.result.lastOffset])
            try partition.acknowledge(original)
            #expect(try log.partitionStatus(Self.tp).logEndOffset == 2, "the retry was not written twice")
            try log.close()
        }
    }

    // MARK: 2. An fsync failure stops the partition

    /// Regression: after an fsync failed, a retry of the same batch was acknowledged as a duplicate
    /// (a false success), later appends were accepted, nothing showed the failure, and close left
    /// a clean-shutdown marker (or failed) so the next open skipped the checks.
    @Test func fsyncFailureStopsThePartition() throws {
        try withTemporaryDirectory { dir in
            let clock = ManualClock()
            let log = try StreamLog.open(directory: dir, create: true, clock: clock)
            try log.createTopic("events", config: TopicConfig(partitions: 1))
            let (id, epoch) = try log.initProducerId()
            try log.append(Self.tp, [record(0)], acks: .all, producer: ProducerBatchIdentity(producerId: id, epoch: epoch, baseSequence: 0))
            try injectFsyncFailure(try #require(try segmentFiles(dir, Self.tp).last))

            let identity = ProducerBatchIdentity(producerId: id, epoch: epoch, baseSequence: 1)
            #expect(performing: { try log.append(Self.tp, [record(1)], acks: .all, producer: identity) }, throws: isFsyncFailure)
            #expect("a retry of the failed batch must not be acknowledged",
                    performing: { try log.append(Self.tp, [record(1)], acks: .all, producer: identity) }, throws: isFsyncFailure)
            #expect("later appends are refused with the fsync error",
                    performing: { try log.append(Self.tp, [record(2)], acks: .leader) }, throws: isFsyncFailure)
            #expect(performing: { try log.append(Self.tp, [record(3)], acks: .none) }, throws: isFsyncFailure)

            let status = try log.partitionStatus(Self.tp)
            #expect(status.writeFailure?.contains("fdatasync") == true, "\(String(describing: status.writeFailure))")
            #expect(status.highWatermark == 1, "the unacknowledged batch is never served")
            let failed = try family(log.metricFamilies(), "strm_log_partition_write_failed")
            #expect(value(failed, ["topic": "events", "partition": "0"]) == 1)

            try log.close()
            #expect(!FileManager.default.fileExists(atPath: dir + "/" + StreamLog.cleanShutdownMarker),
                    "a log whose fsync failed must be checked by the next open")
            // The next writer recovers what really reached the file and continues after it.
            let reopened = try StreamLog.open(directory: dir, clock: clock)
            #expect(try readAll(reopened, Self.tp).map(\.value) == [record(0).value])
            #expect(try reopened.append(Self.tp, [record(4)]).baseOffset == 1)
            try reopened.close()
        }
    }

    // MARK: 3. Recovery never truncates a complete, fsynced batch

    enum CheckpointCase: String, CaseIterable, CustomTestStringConvertible {
        /// The writer crashed without ever closing: no recovery checkpoint.
        case none
        /// A clean close wrote a checkpoint covering every batch; the next writer crashed.
        case afterCleanClose
        /// Recovery of a crash wrote the checkpoint; the recovering writer crashed too.
        case afterRecovery
        var testDescription: String { rawValue }
    }

    struct CrashImage {
        var directory: String
        var segment: String
        var records: [Record]
        var lastStart: Int
        var lastBase: Int64
        var size: Int
    }

    /// acks=all batches (so each is fsynced) until the last one straddles a 512-byte boundary,
    /// then a copy of the directory as a crash leaves it (no clean-shutdown marker).
    func crashImage(_ dir: String, checkpoint: CheckpointCase, clock: ManualClock) throws -> CrashImage {
        let live = dir + "/live"
        var writer = try StreamLog.open(directory: live, create: true, clock: clock)
        try writer.createTopic("events", config: TopicConfig(partitions: 1))
        var i = 0
        while true {
            try writer.append(Self.tp, [record(i)], acks: .all)
            clock.advance(byMs: 1)
            i += 1
            let batches = frames(in: try fileBytes(try #require(try segmentFiles(live, Self.tp).last)))
            let last = try #require(batches.last)
            let boundary = (last.start / 512 + 1) * 512
            if batches.count >= 3 && boundary > last.start + 8 && boundary < last.start + last.header.frameSize { break }
        }
        let records = try readAll(writer, Self.tp)
        let image = dir + "/image"
        switch checkpoint {
        case .none:
            try copyDirectory(live, to: image)
            try writer.close()
        case .afterCleanClose:
            try writer.close()
            writer = try StreamLog.open(directory: live, clock: clock)
            try copyDirectory(live, to: image)
            try writer.close()
        case .afterRecovery:
            try copyDirectory(live, to: dir + "/first-crash")
            try writer.close()
            writer = try StreamLog.open(directory: dir + "/first-crash", clock: clock)
            try copyDirectory(dir + "/first-crash", to: image)
            try writer.close()
        }
        #expect(!FileManager.default.fileExists(atPath: image + "/" + StreamLog.cleanShutdownMarker))
        let segment = try #require(try segmentFiles(image, Self.tp).last)
        let bytes = try fileBytes(segment)
        let last = try #require(frames(in: bytes).last)
        #expect(last.start + last.header.frameSize == bytes.count)
        #expect(bytes.last != 0, "the last batch ends with a non-zero byte")
        let checkpointFile = partitionDirectory(image, Self.tp) + "/" + RecoveryCheckpoint.fileName
        if checkpoint == .none {
            // Every acks=all fsync moves the checkpoint: remove it to test the rule without one.
            try FileManager.default.removeItem(atPath: checkpointFile)
        } else {
            let covered = RecoveryCheckpoint.read(partitionDirectory: partitionDirectory(image, Self.tp))
            #expect(covered?.base == 0 && covered?.position == bytes.count, "the checkpoint covers every batch")
        }
        return CrashImage(
            directory: image, segment: segment, records: records, lastStart: last.start, lastBase: last.header.baseOffset, size: bytes.count)
    }

    /// Regression: recovery after an unclean shutdown cut a complete, fsynced (acknowledged) last
    /// batch with one flipped bit as if it were the torn tail of an interrupted write: acknowledged
    /// records vanished silently and their offsets were handed out again.
    @Test(arguments: CheckpointCase.allCases)
    func flippedBitInTheLastFsyncedBatchIsCorruption(checkpoint: CheckpointCase) throws {
        try withTemporaryDirectory { dir in
            let clock = ManualClock()
            let image = try crashImage(dir, checkpoint: checkpoint, clock: clock)
            try flipInPlace(image.segment, at: image.lastStart + BatchFormat.headerSize + 6)

            let log = try StreamLog.open(directory: image.directory, clock: clock)
            #expect(hasCorruptionNote(log, file: image.segment, position: image.lastStart), "\(log.recoveryNotes)")
            #expect(!hasTornTailNote(log), "\(log.recoveryNotes)")
            #expect(try fileSize(image.segment) == image.size, "nothing was truncated")
            let (read, error) = readUntilError(log, Self.tp)
            #expect(read == image.records.filter { $0.offset < image.lastBase })
            #expect(error.map(isCorruptBatch) == true, "\(String(describing: error))")
            #expect(performing: { try log.append(Self.tp, [record(99)]) }, throws: isCorruptBatch)
            #expect(try log.partitionStatus(Self.tp).corruption != nil)
            try log.close()
            #expect(try fileSize(image.segment) == image.size)
        }
    }

    /// Guard (passes before and after the fix): a batch the file ends inside is still the torn
    /// tail of an interrupted write and is cut.
    @Test func batchCutShortIsStillATornTail() throws {
        try withTemporaryDirectory { dir in
            let clock = ManualClock()
            let image = try crashImage(dir, checkpoint: .none, clock: clock)
            try truncateFile(image.segment, to: image.size - 7)
            let log = try StreamLog.open(directory: image.directory, clock: clock)
            #expect(log.recoveryNotes.contains(.truncatedTornTail(file: image.segment, position: image.lastStart, bytes: image.size - 7 - image.lastStart)),
                    "\(log.recoveryNotes)")
            #expect(!hasCorruptionNote(log))
            #expect(try fileSize(image.segment) == image.lastStart)
            #expect(try readAll(log, Self.tp) == image.records.filter { $0.offset < image.lastBase })
            #expect(try log.append(Self.tp, [record(99)]).baseOffset == image.lastBase)
            try log.close()
        }
    }

    /// Guard (passes before and after the fix): a last batch zero-filled from a 512-byte boundary
    /// to its end (unflushed pages after a power cut) is still cut.
    @Test func tailZeroFilledFromASectorBoundaryIsStillCut() throws {
        try withTemporaryDirectory { dir in
            let clock = ManualClock()
            let image = try crashImage(dir, checkpoint: .none, clock: clock)
            var bytes = try fileBytes(image.segment)
            let boundary = (image.lastStart / 512 + 1) * 512
            for i in boundary..<bytes.count { bytes[i] = 0 }
            try writeFileBytes(image.segment, bytes)
            let log = try StreamLog.open(directory: image.directory, clock: clock)
            #expect(log.recoveryNotes.contains(.truncatedTornTail(file: image.segment, position: image.lastStart, bytes: image.size - image.lastStart)),
                    "\(log.recoveryNotes)")
            #expect(!hasCorruptionNote(log))
            #expect(try readAll(log, Self.tp) == image.records.filter { $0.offset < image.lastBase })
            #expect(try log.append(Self.tp, [record(99)]).baseOffset == image.lastBase)
            try log.close()
        }
    }

    // MARK: 4. Retention keeps the damaged segment and everything after it

    /// Five sealed-or-active segments of one-hour retention; the middle one gets a flipped bit.
    func logForRetention(_ dir: String, clock: ManualClock) throws -> (bases: [Int64], files: [String], damagedBase: Int64) {
        let log = try StreamLog.open(directory: dir, create: true, clock: clock)
        try log.createTopic("events", config: TopicConfig(partitions: 1, segmentBytes: 1024, retentionMs: 3_600_000, indexIntervalBytes: 128))
        var i = 0
        while try log.partitionStatus(Self.tp).segments < 5 {
            try log.append(Self.tp, [record(i)])
            clock.advance(byMs: 1)
            i += 1
        }
        try log.close()
        let files = try segmentFiles(dir, Self.tp)
        let bytes = try fileBytes(files[2])
        let batches = frames(in: bytes)
        let middle = batches[batches.count / 2]
        try flipInPlace(files[2], at: middle.start + BatchFormat.headerSize + 6)
        let bases = files.map { Int64(String($0.split(separator: "/").last!.prefix(20)))! }
        return (bases, files, middle.header.baseOffset)
    }

    enum DamageFound: String, CaseIterable, CustomTestStringConvertible {
        /// The damaged segment's index is missing, so open verifies it and finds the damage.
        case atOpen
        /// Only a read that reaches the damaged batch finds it.
        case byARead
        var testDescription: String { rawValue }
    }

    /// Regression: age retention deleted the corrupt segment and the segments after it (which open
    /// does not load past damage, so they looked ancient): the evidence and every record after the
    /// damage were gone and the log start offset jumped past it.
    @Test(arguments: DamageFound.allCases)
    func retentionNeverDeletesTheDamagedSegmentOrWhatFollows(found: DamageFound) throws {
        try withTemporaryDirectory { dir in
            let clock = ManualClock()
            let (bases, files, damagedBase) = try logForRetention(dir, clock: clock)
            if found == .atOpen { try FileManager.default.removeItem(atPath: partitionDirectory(dir, Self.tp) + "/" + Segment.name(base: bases[2], suffix: ".index")) }
            let log = try StreamLog.open(directory: dir, clock: clock)
            if found == .atOpen {
                #expect(hasCorruptionNote(log, file: files[2]), "\(log.recoveryNotes)")
            } else {
                #expect(readUntilError(log, Self.tp).error.map(isCorruptBatch) == true)
            }
            #expect(try log.partitionStatus(Self.tp).corruption != nil)

            clock.advance(byMs: 2 * 3_600_000)
            _ = try log.enforceRetention()
            for file in files[2...] { #expect(FileManager.default.fileExists(atPath: file), "\(file) was deleted") }
            let status = try log.partitionStatus(Self.tp)
            #expect(status.logStartOffset <= damagedBase, "the start offset jumped past the damage: \(status.logStartOffset) > \(damagedBase)")
            #expect(status.logStartOffset == bases[2], "the segments before the damaged one may go")
            #expect(performing: { try log.fetch(Self.tp, from: damagedBase) }, throws: isCorruptBatch)
            try log.close()
        }
    }

    // MARK: 5. Damage in an internal topic does not block opening

    /// Regression: one corrupt batch in `__strm_events-0` or `__consumer_offsets-0` made
    /// `StreamLog.open` fail (writer and read-only): the whole log, with intact user topics, could
    /// not be opened at all.
    @Test(arguments: [StreamLog.eventsTopic, StreamLog.offsetsTopic])
    func corruptInternalTopicDoesNotBlockOpening(internalTopic: String) throws {
        try withTemporaryDirectory { dir in
            let clock = ManualClock()
            let internalTP = TopicPartition(internalTopic, 0)
            do {
                let log = try StreamLog.open(directory: dir, create: true, clock: clock)
                try log.createTopic("events", config: TopicConfig(partitions: 1))
                try log.append(Self.tp, [record(0), record(1)])
                for member in ["a", "b", "c"] {
                    _ = try log.joinGroup("g", memberId: member, topics: ["events"])
                    clock.advance(byMs: 10)
                }
                try log.close()
            }
            let segment = try #require(try segmentFiles(dir, internalTP).last)
            let batches = frames(in: try fileBytes(segment))
            try #require(batches.count >= 3)
            try flipInPlace(segment, at: batches[1].start + BatchFormat.headerSize + 6)

            let reader = try StreamLog.open(directory: dir, readOnly: true, clock: clock)
            #expect(reader.recoveryNotes.contains { if case .corruption(let file, _, _) = $0 { file.contains(internalTP.description) } else { false } },
                    "\(reader.recoveryNotes)")
            #expect(try readAll(reader, Self.tp).count == 2)
            try reader.close()

            let writer = try StreamLog.open(directory: dir, clock: clock)
            #expect(writer.recoveryNotes.contains { if case .corruption(let file, _, _) = $0 { file.contains(internalTP.description) } else { false } },
                    "\(writer.recoveryNotes)")
            #expect(try writer.append(Self.tp, [record(2)]).baseOffset == 2)
            #expect(try readAll(writer, Self.tp).map(\.offset) == [0, 1, 2])
            try writer.close()
        }
    }

    // MARK: 6. Out-of-range record timestamps are refused

    /// Regression: timestamps far outside any calendar were accepted; age arithmetic on them
    /// (segment rolling, retention) overflowed and trapped — the process crashed on a later append
    /// or on the next open.
    @Test func outOfRangeTimestampsAreRefused() throws {
        try withTemporaryDirectory { dir in
            let clock = ManualClock()
            let log = try StreamLog.open(directory: dir, create: true, clock: clock)
            try log.createTopic("events", config: TopicConfig(partitions: 1, segmentBytes: 1024, retentionMs: 86_400_000))
            func refusedForTimestamp(_ error: any Error) -> Bool {
                if case .invalidArgument(let message)? = error as? LogError { message.contains("timestamp") } else { false }
            }
            for ts in [Int64.min, -1, Int64.max, PartitionLog.maxTimestampMs + 1] {
                #expect("timestamp \(ts)",
                        performing: { try log.append(Self.tp, [ProducerRecord(key: nil, value: utf8("bad"), timestampMs: ts)]) },
                        throws: refusedForTimestamp)
                let good = record(0)
                #expect("a batch with one bad timestamp (\(ts)) is refused whole",
                        performing: { try log.append(Self.tp, [good, ProducerRecord(key: nil, value: utf8("bad"), timestampMs: ts)], acks: .all) },
                        throws: refusedForTimestamp)
            }
            let producer = try Producer(log: log, acks: .all)
            #expect(throws: LogError.self) { try producer.send(topic: "events", [ProducerRecord(key: nil, value: utf8("bad"), timestampMs: Int64.min)]) }
            #expect(try log.partitionStatus(Self.tp).logEndOffset == 0, "nothing was written")

            // The calendar's ends are accepted; everything carries on, also across a reopen.
            #expect(try producer.send(topic: "events", [record(1, timestampMs: 0)]).map(\.offset) == [0])
            try log.append(Self.tp, [record(2, timestampMs: PartitionLog.maxTimestampMs)])
            for i in 3..<30 {
                try log.append(Self.tp, [record(i)])
                clock.advance(byMs: 3_600_000)
            }
            _ = try log.enforceRetention()
            _ = log.metricFamilies()
            try log.close()

            let reopened = try StreamLog.open(directory: dir, clock: clock)
            #expect(performing: { try reopened.append(Self.tp, [ProducerRecord(key: nil, value: utf8("bad"), timestampMs: Int64.max)]) },
                    throws: refusedForTimestamp)
            clock.advance(byMs: 2 * 86_400_000)
            try reopened.append(Self.tp, [record(30)])
            _ = try reopened.enforceRetention()
            _ = reopened.metricFamilies()
            let read = try readAll(reopened, Self.tp)
            #expect(read.last?.offset == 29)
            #expect(read.allSatisfy { $0.timestampMs >= 0 && $0.timestampMs <= PartitionLog.maxTimestampMs })
            try reopened.close()
        }
    }

    // MARK: 7. Records stamped in the past do not roll a segment per batch

    /// Regression: a segment's age counted from its first record's timestamp, so a producer
    /// replaying records two days old (segment.ms one day) rolled a new segment — an fsync, an
    /// index file, a producer snapshot — for every batch.
    @Test func oldTimestampsDoNotRollASegmentPerBatch() throws {
        try withTemporaryDirectory { dir in
            let clock = ManualClock()
            let log = try StreamLog.open(directory: dir, create: true, clock: clock)
            try log.createTopic("events", config: TopicConfig(partitions: 1))
            let twoDaysAgo = clock.nowMs() - 2 * 86_400_000
            for i in 0..<50 {
                try log.append(Self.tp, [record(i, timestampMs: twoDaysAgo + Int64(i))])
                clock.advance(byMs: 1)
            }
            #expect(try log.partitionStatus(Self.tp).segments == 1)
            #expect(try segmentFiles(dir, Self.tp).count == 1)
            // segment.ms still rolls by the segment's own age.
            clock.advance(byMs: 86_400_000)
            try log.append(Self.tp, [record(50, timestampMs: twoDaysAgo)])
            #expect(try log.partitionStatus(Self.tp).segments == 2)
            try log.close()
        }
    }

    // MARK: 8. A membership change whose rebalance cannot be recorded changes nothing

    /// Regression: joinGroup stored the new generation and member before writing the rebalance;
    /// when the write failed, the join threw but the group was at generation 2 with the new
    /// member anyway, and a retry "succeeded" silently, without any recorded generation or event.
    @Test func unrecordableRebalanceLeavesTheGroupUnchanged() throws {
        try withTemporaryDirectory { dir in
            let clock = ManualClock()
            let log = try StreamLog.open(directory: dir, create: true, clock: clock)
            try log.createTopic("events", config: TopicConfig(partitions: 2))
            let first = try log.joinGroup("g", memberId: "a", topics: ["events"])
            #expect(first.generation == 1)

            // Damage __consumer_offsets-0 under the open log; the first read that reaches it stops
            // the partition's appends.
            let segment = try #require(try segmentFiles(dir, Self.offsetsTP).last)
            let last = try #require(frames(in: try fileBytes(segment)).last)
            try flipInPlace(segment, at: last.start + BatchFormat.headerSize + 6)
            #expect(readUntilError(log, Self.offsetsTP).error.map(isCorruptBatch) == true)

            #expect(performing: { try log.joinGroup("g", memberId: "b", topics: ["events"]) }, throws: isCorruptBatch)
            #expect(log.groupState("g")?.generation == 1)
            #expect(log.groupState("g")?.memberIds == ["a"])
            #expect("a retry must not silently succeed with an unrecorded generation",
                    performing: { try log.joinGroup("g", memberId: "b", topics: ["events"]) }, throws: isCorruptBatch)
            let status = log.groupStatus("g")
            #expect(status.generation == 1 && status.members == ["a"])
            #expect(try log.heartbeat("g", memberId: "a", generation: 1) == .stable)
            #expect(try log.heartbeat("g", memberId: "b", generation: 2) == .unknownMember)
            #expect(try log.events().count == 1, "only the recorded rebalance is on the timeline")
            try log.close()
        }
    }

    // MARK: 9. Read-only views serve only acknowledged records

    /// Regression: a read-only StreamLog beside a writer served every batch that validated on
    /// disk, including an acks=all batch still waiting for its fsync (not acknowledged, possibly
    /// lost in a power cut, and not yet served by the writer itself).
    @Test func readOnlyViewServesOnlyAcknowledgedRecords() throws {
        try withTemporaryDirectory { dir in
            let clock = ManualClock()
            let writer = try StreamLog.open(directory: dir, create: true, clock: clock)
            try writer.createTopic("events", config: TopicConfig(partitions: 1))
            try writer.append(Self.tp, [record(0)], acks: .leader)
            let reader = try StreamLog.open(directory: dir, readOnly: true, clock: clock)
            #expect(try readAll(reader, Self.tp).map(\.offset) == [0])

            let (partition, pending) = try writer.write(Self.tp, [record(1)], acks: .all, producer: nil)
            #expect(try readAll(writer, Self.tp).map(\.offset) == [0])
            #expect(try readAll(reader, Self.tp).map(\.offset) == [0], "the unacknowledged record is not served")
            #expect(try reader.partitionStatus(Self.tp).highWatermark == 1)
            let late = try StreamLog.open(directory: dir, readOnly: true, clock: clock)
            #expect(try readAll(late, Self.tp).map(\.offset) == [0], "nor by a reader opened while it waits")
            #expect(try reader.fetch(Self.tp, from: 1).isEmpty)

            try partition.acknowledge(pending)
            #expect(try readAll(reader, Self.tp).map(\.offset) == [0, 1])
            #expect(try readAll(late, Self.tp).map(\.offset) == [0, 1])
            try late.close()
            try reader.close()
            try writer.close()
        }
    }

    // MARK: 10. A segment file cut short outside the log is an error, not a spin

    /// Regression: fetch looped forever (100% CPU, the caller never returned) when a sealed
    /// segment's file had been truncated outside the log while it was open: every read came back
    /// short and the read position never advanced.
    @Test func truncatedSealedSegmentFailsPromptly() throws {
        try withTemporaryDirectory { dir in
            let clock = ManualClock()
            let log = try StreamLog.open(directory: dir, create: true, clock: clock)
            try log.createTopic("events", config: TopicConfig(partitions: 1, segmentBytes: 1024, indexIntervalBytes: 128))
            var i = 0
            while try log.partitionStatus(Self.tp).segments < 3 {
                try log.append(Self.tp, [record(i)])
                i += 1
            }
            let sealed = try segmentFiles(dir, Self.tp)[0]
            let batches = frames(in: try fileBytes(sealed))
            let cut = batches[batches.count / 2]
            try truncateFile(sealed, to: cut.start)

            let cutBase = cut.header.baseOffset
            let started = monotonicNanos()
            let outcome = withWatchdog(seconds: 10) { () -> String in
                do {
                    let result = try log.fetch(Self.tp, from: cutBase)
                    return "returned \(result.isEmpty ? "nothing" : "records")"
                } catch {
                    if case .corruptBatch? = error as? LogError { return "corruptBatch" }
                    return "\(error)"
                }
            }
            #expect(outcome == "corruptBatch", "fetch never returned (or returned something else): \(String(describing: outcome))")
            #expect(monotonicNanos() - started < 10_000_000_000)
            if outcome != nil {
                #expect(performing: { try log.fetch(Self.tp, from: cut.header.baseOffset) }, throws: isCorruptBatch)
                #expect(try log.partitionStatus(Self.tp).corruption != nil)
                try log.close()
            }
        }
    }

    /// The records of the cut segment before the cut are intact and were served before: like
    /// after any other damage, they stay readable (readFrames: "batches before damage are
    /// returned; the damage itself is reported by the next read").
    @Test func recordsBeforeACutStayReadable() throws {
        try withTemporaryDirectory { dir in
            let clock = ManualClock()
            let log = try StreamLog.open(directory: dir, create: true, clock: clock)
            try log.createTopic("events", config: TopicConfig(partitions: 1, segmentBytes: 1024, indexIntervalBytes: 128))
            var i = 0
            while try log.partitionStatus(Self.tp).segments < 3 {
                try log.append(Self.tp, [record(i)])
                i += 1
            }
            let all = try readAll(log, Self.tp)
            let sealed = try segmentFiles(dir, Self.tp)[0]
            let batches = frames(in: try fileBytes(sealed))
            let cut = batches[batches.count / 2]
            try truncateFile(sealed, to: cut.start)

            let outcome = withWatchdog(seconds: 10) { readUntilError(log, Self.tp) }
            let (read, error) = try #require(outcome, "reading never returned")
            #expect(error.map(isCorruptBatch) == true)
            // The partition itself says everything before the cut is still served…
            #expect(try log.partitionStatus(Self.tp).highWatermark == cut.header.baseOffset)
            // …but every fetch that starts in the cut segment fails at once.
            #expect(read.map(\.offset) == all.filter { $0.offset < cut.header.baseOffset }.map(\.offset))
            try log.close()
        }
    }

    // MARK: 11. Committed offsets change only once the commit is durable

    /// Regression: commitOffsets updated the committed offsets before the commit's fsync; when the
    /// fsync failed the call threw, but committedOffsets (and lag, and a restarting consumer in
    /// this process) already showed the commit that might be lost.
    @Test func failedCommitLeavesCommittedOffsetsUnchanged() throws {
        try withTemporaryDirectory { dir in
            let clock = ManualClock()
            let log = try StreamLog.open(directory: dir, create: true, clock: clock)
            try log.createTopic("events", config: TopicConfig(partitions: 1))
            try log.append(Self.tp, (0..<5).map { record($0) })
            try log.commitOffsets("g", memberId: nil, generation: nil, offsets: [Self.tp: 1])
            #expect(log.committedOffsets("g") == [Self.tp: 1])

            try injectFsyncFailure(try #require(try segmentFiles(dir, Self.offsetsTP).last))
            #expect(performing: { try log.commitOffsets("g", memberId: nil, generation: nil, offsets: [Self.tp: 3]) }, throws: isFsyncFailure)
            #expect(log.committedOffsets("g") == [Self.tp: 1])
            #expect(log.groupStatus("g").partitions.first?.committed == 1)
            #expect(throws: LogError.self) { try log.commitOffsets("g", memberId: nil, generation: nil, offsets: [Self.tp: 4]) }
            #expect(log.committedOffsets("g") == [Self.tp: 1])
            let consumer = try Consumer(log: log, topics: ["events"], group: "g")
            #expect(throws: LogError.self) { try consumer.poll() }  // joining cannot be recorded either
            try log.close()
        }
    }

    // MARK: 12. The verifier does not mistake this process for a running writer after close

    enum WriterEnd: String, CaseIterable, CustomTestStringConvertible {
        case cleanClose
        /// close() after an fsync failure (the partition stopped; no clean-shutdown marker).
        case closeAfterFsyncFailure
        var testDescription: String { rawValue }
    }

    /// Regression: after the writer in this process closed, LogVerifier still took this process
    /// for a running writer (the lock stayed held when close failed; with the pid check, the
    /// lock file kept the pid): a torn tail was called "a write in progress" instead of a torn
    /// tail that the next writer cuts.
    @Test(arguments: WriterEnd.allCases)
    func verifierAfterTheWriterClosedInThisProcess(end: WriterEnd) throws {
        try withTemporaryDirectory { dir in
            let clock = ManualClock()
            let log = try StreamLog.open(directory: dir, create: true, clock: clock)
            try log.createTopic("events", config: TopicConfig(partitions: 1))
            for i in 0..<3 { try log.append(Self.tp, [record(i)]) }
            let segment = try #require(try segmentFiles(dir, Self.tp).last)
            if end == .closeAfterFsyncFailure {
                try injectFsyncFailure(segment)
                #expect(performing: { try log.append(Self.tp, [record(3)], acks: .all) }, throws: isFsyncFailure)
            }
            let half = Array(BatchFormat.encode([record(3)], baseOffset: 3, defaultTimestampMs: clock.nowMs()).prefix(40))
            try appendInPlace(segment, half)

            let whileOpen = try LogVerifier.verify(directory: dir)
            #expect(whileOpen.problems.contains { $0.message.contains("a write in progress") }, "\(whileOpen.problems)")
            try? log.close()

            let afterClose = try LogVerifier.verify(directory: dir)
            #expect(!afterClose.problems.contains { $0.message.contains("a write in progress") }, "\(afterClose.problems)")
            #expect(afterClose.problems.contains { $0.severity == .warning && $0.message.contains("torn tail") }, "\(afterClose.problems)")
            #expect(afterClose.isIntact)
            // And the lock is free: a new writer in this process can take over.
            let next = try StreamLog.open(directory: dir, clock: clock)
            try next.close()
        }
    }

    // MARK: Residual gap in 3: a zero-padded last batch

    /// A complete, fsynced (acks=all) last batch whose record value ends in 600 zero bytes
    /// (binary payload). One flipped bit makes it fail its CRC, and without a recovery checkpoint
    /// recovery takes the zero run for a tail zero-filled from a sector boundary: the acknowledged
    /// batch is cut as a torn tail and its offset handed out again.
    @Test func flippedBitInAZeroPaddedLastBatchIsCorruption() throws {
        try withTemporaryDirectory { dir in
            let clock = ManualClock()
            let live = try StreamLog.open(directory: dir + "/live", create: true, clock: clock)
            try live.createTopic("events", config: TopicConfig(partitions: 1))
            try live.append(Self.tp, [record(0)], acks: .all)
            let padded = ProducerRecord(key: utf8("binary"), value: utf8("payload") + [UInt8](repeating: 0, count: 600))
            let acknowledged = try live.append(Self.tp, [padded], acks: .all)
            try copyDirectory(dir + "/live", to: dir + "/image")
            try live.close()

            let segment = try #require(try segmentFiles(dir + "/image", Self.tp).last)
            let size = try fileSize(segment)
            let last = try #require(frames(in: try fileBytes(segment)).last)
            try flipInPlace(segment, at: last.start + BatchFormat.headerSize + 8)
            let log = try StreamLog.open(directory: dir + "/image", clock: clock)
            let sizeAfterRecovery = try fileSize(segment)
            // The fsync that acknowledged it also moved the recovery checkpoint past it.
            #expect(hasCorruptionNote(log, file: segment, position: last.start), "\(log.recoveryNotes)")
            #expect(!hasTornTailNote(log), "\(log.recoveryNotes)")
            #expect(sizeAfterRecovery == size, "the acknowledged batch was truncated")
            #expect(throws: LogError.self, "offset \(acknowledged.baseOffset) must not be handed out again") {
                try log.append(Self.tp, [record(9)])
            }
            try log.close()
        }
    }
}
