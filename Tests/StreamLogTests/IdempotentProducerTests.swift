import Foundation
import ScopeCore
import Testing

@testable import StreamLog

/// The idempotent producer: a retried batch is never written twice, out-of-order and fenced
/// batches are refused, and all of it survives a restart, clean or not.
@Suite struct IdempotentProducerTests {
    static let tp = TopicPartition("payments", 0)

    func batch(_ tag: String, _ count: Int) -> [ProducerRecord] {
        (0..<count).map { ProducerRecord(key: utf8("\(tag)"), value: utf8("\(tag)-\($0)")) }
    }

    func openWithTopic(_ dir: String, clock: ManualClock) throws -> StreamLog {
        let log = try StreamLog.open(directory: dir, create: true, clock: clock)
        try log.createTopic("payments", config: TopicConfig(partitions: 2))
        return log
    }

    @Test func duplicateBatchReturnsTheOriginalOffsetsAndWritesNothing() throws {
        try withTemporaryDirectory { dir in
            let log = try openWithTopic(dir, clock: ManualClock())
            let (id, epoch) = try log.initProducerId()
            try log.append(Self.tp, batch("other", 2))  // so the producer's offsets do not start at 0
            let first = try log.append(Self.tp, batch("a", 3), producer: ProducerBatchIdentity(producerId: id, epoch: epoch, baseSequence: 0))
            let second = try log.append(Self.tp, batch("b", 2), producer: ProducerBatchIdentity(producerId: id, epoch: epoch, baseSequence: 3))
            #expect(first == AppendResult(baseOffset: 2, lastOffset: 4, duplicate: false))
            #expect(second == AppendResult(baseOffset: 5, lastOffset: 6, duplicate: false))
            let bytesBefore = try log.partitionStatus(Self.tp).bytes

            // Retries of both batches, even the older one, even with different payloads.
            let retry1 = try log.append(Self.tp, batch("a", 3), producer: ProducerBatchIdentity(producerId: id, epoch: epoch, baseSequence: 0))
            let retry2 = try log.append(Self.tp, batch("changed", 2), producer: ProducerBatchIdentity(producerId: id, epoch: epoch, baseSequence: 3))
            #expect(retry1 == AppendResult(baseOffset: 2, lastOffset: 4, duplicate: true))
            #expect(retry2 == AppendResult(baseOffset: 5, lastOffset: 6, duplicate: true))
            let status = try log.partitionStatus(Self.tp)
            #expect(status.logEndOffset == 7)
            #expect(status.bytes == bytesBefore)
            #expect(try readAll(log, Self.tp).map { text($0.value)! } == ["other-0", "other-1", "a-0", "a-1", "a-2", "b-0", "b-1"])

            // The sequence continues after the retries.
            let third = try log.append(Self.tp, batch("c", 1), producer: ProducerBatchIdentity(producerId: id, epoch: epoch, baseSequence: 5))
            #expect(third == AppendResult(baseOffset: 7, lastOffset: 7, duplicate: false))
            try log.close()
        }
    }

    @Test func sequencesArePerPartition() throws {
        try withTemporaryDirectory { dir in
            let log = try openWithTopic(dir, clock: ManualClock())
            let (id, epoch) = try log.initProducerId()
            let p1 = TopicPartition("payments", 1)
            try log.append(Self.tp, batch("a", 2), producer: ProducerBatchIdentity(producerId: id, epoch: epoch, baseSequence: 0))
            let other = try log.append(p1, batch("b", 1), producer: ProducerBatchIdentity(producerId: id, epoch: epoch, baseSequence: 0))
            #expect(other == AppendResult(baseOffset: 0, lastOffset: 0, duplicate: false))
            try log.close()
        }
    }

    @Test func outOfOrderSequencesAreRefused() throws {
        try withTemporaryDirectory { dir in
            let log = try openWithTopic(dir, clock: ManualClock())
            let (id, epoch) = try log.initProducerId()
            // A producer's first batch on a partition starts at sequence 0.
            #expect(throws: LogError.outOfOrderSequence(producerId: id, topic: "payments", partition: 0, expected: 0, got: 4)) {
                try log.append(Self.tp, batch("a", 1), producer: ProducerBatchIdentity(producerId: id, epoch: epoch, baseSequence: 4))
            }
            try log.append(Self.tp, batch("a", 3), producer: ProducerBatchIdentity(producerId: id, epoch: epoch, baseSequence: 0))
            // A gap.
            #expect(throws: LogError.outOfOrderSequence(producerId: id, topic: "payments", partition: 0, expected: 3, got: 5)) {
                try log.append(Self.tp, batch("b", 1), producer: ProducerBatchIdentity(producerId: id, epoch: epoch, baseSequence: 5))
            }
            // Overlapping an earlier batch without being exactly it.
            #expect(throws: LogError.outOfOrderSequence(producerId: id, topic: "payments", partition: 0, expected: 3, got: 1)) {
                try log.append(Self.tp, batch("c", 2), producer: ProducerBatchIdentity(producerId: id, epoch: epoch, baseSequence: 1))
            }
            // Same first sequence, different record count: not the same batch.
            #expect(throws: LogError.self) {
                try log.append(Self.tp, batch("d", 2), producer: ProducerBatchIdentity(producerId: id, epoch: epoch, baseSequence: 0))
            }
            #expect(try log.partitionStatus(Self.tp).logEndOffset == 3, "refused batches write nothing")
            try log.close()
        }
    }

    @Test func onlyTheLastFiveBatchesAreRemembered() throws {
        try withTemporaryDirectory { dir in
            let log = try openWithTopic(dir, clock: ManualClock())
            let (id, epoch) = try log.initProducerId()
            for n in 0..<7 {
                try log.append(Self.tp, batch("n\(n)", 1), producer: ProducerBatchIdentity(producerId: id, epoch: epoch, baseSequence: Int32(n)))
            }
            // Batches 2…6 are remembered; a retry of batch 1 is too old to recognise and is refused.
            #expect(try log.append(Self.tp, batch("n2", 1), producer: ProducerBatchIdentity(producerId: id, epoch: epoch, baseSequence: 2)).duplicate)
            #expect(throws: LogError.self) {
                try log.append(Self.tp, batch("n1", 1), producer: ProducerBatchIdentity(producerId: id, epoch: epoch, baseSequence: 1))
            }
            #expect(try log.partitionStatus(Self.tp).logEndOffset == 7)
            try log.close()
        }
    }

    @Test func olderEpochIsFencedAndNewEpochRestartsTheSequence() throws {
        try withTemporaryDirectory { dir in
            let log = try openWithTopic(dir, clock: ManualClock())
            let (id, _) = try log.initProducerId()
            try log.append(Self.tp, batch("a", 2), producer: ProducerBatchIdentity(producerId: id, epoch: 0, baseSequence: 0))
            // A new epoch must start at sequence 0…
            #expect(throws: LogError.outOfOrderSequence(producerId: id, topic: "payments", partition: 0, expected: 0, got: 2)) {
                try log.append(Self.tp, batch("b", 1), producer: ProducerBatchIdentity(producerId: id, epoch: 1, baseSequence: 2))
            }
            let bumped = try log.append(Self.tp, batch("b", 1), producer: ProducerBatchIdentity(producerId: id, epoch: 1, baseSequence: 0))
            #expect(bumped == AppendResult(baseOffset: 2, lastOffset: 2, duplicate: false))
            // …and from then on the old epoch is a zombie.
            #expect(throws: LogError.producerFenced(producerId: id, epoch: 0, currentEpoch: 1)) {
                try log.append(Self.tp, batch("zombie", 1), producer: ProducerBatchIdentity(producerId: id, epoch: 0, baseSequence: 2))
            }
            #expect(throws: LogError.producerFenced(producerId: id, epoch: 0, currentEpoch: 1)) {
                try log.append(Self.tp, batch("a", 2), producer: ProducerBatchIdentity(producerId: id, epoch: 0, baseSequence: 0))
            }
            #expect(try log.partitionStatus(Self.tp).logEndOffset == 3)
            try log.close()
        }
    }

    enum Restart: String, CaseIterable, CustomTestStringConvertible {
        /// close(), then open.
        case clean
        /// close(), then the clean-shutdown marker removed: the active segment is rescanned.
        case markerRemoved
        /// close(), then producer snapshots removed: state comes from the batch headers alone.
        case snapshotsRemoved
        /// A copy of the directory taken while the writer had it open (a kill -9).
        case crashImage
        var testDescription: String { rawValue }
    }

    @Test(arguments: Restart.allCases)
    func deduplicationSurvivesARestart(restart: Restart) throws {
        try withTemporaryDirectory { dir in
            let clock = ManualClock()
            let live = dir + "/live"
            let log = try openWithTopic(live, clock: clock)
            let (id, epoch) = try log.initProducerId()
            try log.append(Self.tp, batch("a", 3), producer: ProducerBatchIdentity(producerId: id, epoch: epoch, baseSequence: 0))
            try log.append(Self.tp, batch("b", 2), producer: ProducerBatchIdentity(producerId: id, epoch: epoch, baseSequence: 3))
            var reopenAt = live
            if restart == .crashImage {
                reopenAt = dir + "/image"
                try copyDirectory(live, to: reopenAt)
            }
            try log.close()
            switch restart {
            case .clean, .crashImage: break
            case .markerRemoved: try removeCleanShutdownMarker(live)
            case .snapshotsRemoved:
                let snapshots = try segmentFiles(live, Self.tp, suffix: ".snapshot")
                #expect(!snapshots.isEmpty, "close() writes a producer snapshot")
                for path in snapshots { try FileManager.default.removeItem(atPath: path) }
            }
            if restart == .crashImage {
                #expect(try segmentFiles(reopenAt, Self.tp, suffix: ".snapshot").isEmpty, "a crash leaves no snapshot to lean on")
            }

            let reopened = try StreamLog.open(directory: reopenAt, clock: clock)
            let retry = try reopened.append(Self.tp, batch("b", 2), producer: ProducerBatchIdentity(producerId: id, epoch: epoch, baseSequence: 3))
            #expect(retry == AppendResult(baseOffset: 3, lastOffset: 4, duplicate: true))
            let older = try reopened.append(Self.tp, batch("a", 3), producer: ProducerBatchIdentity(producerId: id, epoch: epoch, baseSequence: 0))
            #expect(older == AppendResult(baseOffset: 0, lastOffset: 2, duplicate: true))
            #expect(throws: LogError.outOfOrderSequence(producerId: id, topic: "payments", partition: 0, expected: 5, got: 6)) {
                try reopened.append(Self.tp, batch("c", 1), producer: ProducerBatchIdentity(producerId: id, epoch: epoch, baseSequence: 6))
            }
            let next = try reopened.append(Self.tp, batch("c", 1), producer: ProducerBatchIdentity(producerId: id, epoch: epoch, baseSequence: 5))
            #expect(next == AppendResult(baseOffset: 5, lastOffset: 5, duplicate: false))
            #expect(try readAll(reopened, Self.tp).count == 6)
            try reopened.close()
        }
    }

    @Test func aTornBatchIsNotRememberedSoItsRetryIsWritten() throws {
        try withTemporaryDirectory { dir in
            let clock = ManualClock()
            let log = try openWithTopic(dir + "/live", clock: clock)
            let (id, epoch) = try log.initProducerId()
            try log.append(Self.tp, batch("a", 3), producer: ProducerBatchIdentity(producerId: id, epoch: epoch, baseSequence: 0))
            try log.append(Self.tp, batch("b", 2), producer: ProducerBatchIdentity(producerId: id, epoch: epoch, baseSequence: 3))
            try copyDirectory(dir + "/live", to: dir + "/image")
            try log.close()
            // The crash interrupted the write of batch b: it was never acknowledged.
            let segment = try #require(try segmentFiles(dir + "/image", Self.tp).last)
            let last = try #require(frames(in: try fileBytes(segment)).last)
            try truncateFile(segment, to: last.start + last.header.frameSize - 1)

            let reopened = try StreamLog.open(directory: dir + "/image", clock: clock)
            // The producer retries b: it is new to the log, written at the next offset.
            let retry = try reopened.append(Self.tp, batch("b", 2), producer: ProducerBatchIdentity(producerId: id, epoch: epoch, baseSequence: 3))
            #expect(retry == AppendResult(baseOffset: 3, lastOffset: 4, duplicate: false))
            #expect(try readAll(reopened, Self.tp).map { text($0.value)! } == ["a-0", "a-1", "a-2", "b-0", "b-1"])
            try reopened.close()
        }
    }

    @Test(arguments: [false, true])
    func producerIdsAreNeverReusedAfterAReopen(unclean: Bool) throws {
        try withTemporaryDirectory { dir in
            let clock = ManualClock()
            var issued: [Int64] = []
            var directory = dir + "/log"
            for round in 0..<3 {
                let log = try StreamLog.open(directory: directory, create: true, clock: clock)
                for _ in 0..<3 { issued.append(try log.initProducerId().producerId) }
                // A producer built on the log gets a fresh id too.
                issued.append(try #require(try Producer(log: log).producerId))
                if unclean {
                    let image = dir + "/image-\(round)"
                    try copyDirectory(directory, to: image)
                    directory = image
                }
                try log.close()
            }
            #expect(Set(issued).count == issued.count, "ids issued: \(issued)")
            #expect(issued == issued.sorted(), "ids grow: \(issued)")
        }
    }

    @Test func producerClientNumbersItsBatchesPerPartition() throws {
        try withTemporaryDirectory { dir in
            let log = try openWithTopic(dir, clock: ManualClock())
            let producer = try Producer(log: log, acks: .leader)
            let id = try #require(producer.producerId)
            _ = try producer.send(topic: "payments", [ProducerRecord(key: nil, value: utf8("x")), ProducerRecord(key: nil, value: utf8("y"))])
            _ = try producer.send(topic: "payments", [ProducerRecord(key: nil, value: utf8("z"))])
            // Partition 0 got batches of sequence 0 (x) and 1 (z): retrying the second is a duplicate.
            let retry = try log.append(Self.tp, [ProducerRecord(key: nil, value: utf8("z"))], producer: ProducerBatchIdentity(producerId: id, epoch: producer.epoch, baseSequence: 1))
            #expect(retry.duplicate)
            #expect(try log.partitionStatus(Self.tp).logEndOffset == 2)
            try log.close()
        }
    }
}
