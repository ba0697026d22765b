import Foundation
import ScopeCore
import Testing

@testable import StreamLog

/// Acknowledged records are never hidden: damage below the recovery checkpoint (data that was
/// flushed) is corruption in every view — `verify`, read-only listings and metrics, a recovering
/// writer — and only bytes past the checkpoint may be cut as a torn tail.
@Suite struct AcknowledgedDataTests {
    static let tp = TopicPartition("orders", 0)

    func record(_ i: Int) -> ProducerRecord {
        ProducerRecord(key: utf8("k\(i)"), value: utf8("v\(i)"))
    }

    /// Three acks=all batches, closed cleanly: the checkpoint covers every byte.
    func closedLog(_ dir: String) throws -> (segment: String, size: Int) {
        let log = try StreamLog.open(directory: dir, create: true, clock: ManualClock())
        try log.createTopic("orders", config: TopicConfig(partitions: 1))
        for i in 0..<3 { try log.append(Self.tp, [record(i)], acks: .all) }
        try log.close()
        let segment = try #require(try segmentFiles(dir, Self.tp).last)
        let size = try fileSize(segment)
        let checkpoint = RecoveryCheckpoint.read(partitionDirectory: partitionDirectory(dir, Self.tp))
        #expect(checkpoint?.base == 0 && checkpoint?.position == size)
        return (segment, size)
    }

    func flip(_ path: String, at position: Int) throws {
        var bytes = try fileBytes(path)
        bytes[position] ^= 0xFF
        try writeFileBytes(path, bytes)
    }

    /// The reproduction: `verify` called a CRC failure in the only (acknowledged) batch a
    /// torn tail and exited 0; `topics` listed the partition as END 0, ok.
    @Test func everyFlippedByteBelowTheRecoveryPointIsCorruptionInEveryView() throws {
        try withTemporaryDirectory { dir in
            let base = dir + "/base"
            let (baseSegment, size) = try closedLog(base)
            #expect(try LogVerifier.verify(directory: base).isIntact)
            let segmentName = String(baseSegment.dropFirst(base.count))
            for position in 0..<size {
                let image = dir + "/flip-\(position)"
                try copyDirectory(base, to: image)
                let segment = image + segmentName
                try flip(segment, at: position)

                let report = try LogVerifier.verify(directory: image)
                #expect(!report.isIntact, "byte \(position): \(report.problems)")
                #expect(report.corruptions.first?.file == segment, "byte \(position)")

                let reader = try StreamLog.open(directory: image, readOnly: true)
                let status = try reader.partitionStatus(Self.tp)
                #expect(status.corruption != nil, "byte \(position): read-only view")
                #expect(status.reportedEndOffset == 3, "byte \(position): the acknowledged end stays visible")
                #expect(status.corruptBatches >= 1, "byte \(position)")

                // A writer recovering as after kill -9 keeps every byte and refuses to serve past it.
                try removeCleanShutdownMarker(image)
                let writer = try StreamLog.open(directory: image)
                #expect(try fileSize(segment) == size, "byte \(position): recovery cut acknowledged data")
                #expect(!writer.recoveryNotes.contains { if case .truncatedTornTail = $0 { true } else { false } }, "byte \(position)")
                #expect(try writer.partitionStatus(Self.tp).corruption != nil, "byte \(position): writer")
                try writer.close()
                try FileManager.default.removeItem(atPath: image)
            }
        }
    }

    /// A segment cut shorter outside the log, even exactly at a batch boundary, lost flushed data.
    @Test func fileCutAtABatchBoundaryBelowTheCheckpointIsCorruption() throws {
        try withTemporaryDirectory { dir in
            let (segment, _) = try closedLog(dir)
            let boundary = try #require(frames(in: try fileBytes(segment)).last).start
            try truncateFile(segment, to: boundary)

            let report = try LogVerifier.verify(directory: dir)
            #expect(!report.isIntact)
            #expect(report.corruptions.first?.position == boundary)
            #expect(report.corruptions.first?.message.contains("cut outside the log") == true)

            let reader = try StreamLog.open(directory: dir, readOnly: true)
            let status = try reader.partitionStatus(Self.tp)
            #expect(status.corruption != nil)
            #expect(status.reportedEndOffset == 3, "the writer published offsets up to 3 as acknowledged")

            try removeCleanShutdownMarker(dir)
            let writer = try StreamLog.open(directory: dir)
            #expect(try writer.partitionStatus(Self.tp).corruption != nil)
            #expect(throws: LogError.self, "offset 2 must not be handed out again") { try writer.append(Self.tp, [self.record(9)]) }
            try writer.close()
        }
    }

    /// After a crash, damage past the checkpoint (batches written but never flushed) is the torn
    /// tail: recovery cuts from the damaged batch, never below the checkpoint, and what was
    /// flushed stays readable. Damage followed by an intact batch is still corruption.
    @Test func damagePastTheRecoveryPointIsCutThereAndOnlyThere() throws {
        try withTemporaryDirectory { dir in
            let live = dir + "/live"
            let log = try StreamLog.open(directory: live, create: true, clock: ManualClock())
            try log.createTopic("orders", config: TopicConfig(partitions: 1))
            for i in 0..<3 { try log.append(Self.tp, [record(i)], acks: .all) }
            // acks=leader: written, acknowledged without an fsync, so past the checkpoint.
            for i in 3..<5 { try log.append(Self.tp, [record(i)], acks: .leader) }
            try copyDirectory(live, to: dir + "/crash")
            try log.close()

            let partition = partitionDirectory(dir + "/crash", Self.tp)
            let flushed = try #require(RecoveryCheckpoint.read(partitionDirectory: partition))
            let segment = try #require(try segmentFiles(dir + "/crash", Self.tp).last)
            let batches = frames(in: try fileBytes(segment))
            try #require(batches.count == 5 && batches[3].start == flushed.position, "\(batches.map(\.start)) vs \(flushed)")
            let size = try fileSize(segment)

            for position in flushed.position..<size {
                let image = dir + "/flip-\(position)"
                try copyDirectory(dir + "/crash", to: image)
                let imageSegment = image + segment.dropFirst((dir + "/crash").count)
                try flip(imageSegment, at: position)
                let inLastBatch = position >= batches[4].start

                let writer = try StreamLog.open(directory: image)
                let after = try fileSize(imageSegment)
                #expect(after >= flushed.position, "byte \(position): cut below the checkpoint")
                if inLastBatch {
                    #expect(after == batches[4].start, "byte \(position): the damaged last batch is the torn tail")
                    #expect(try readAll(writer, Self.tp).map(\.offset) == [0, 1, 2, 3])
                } else {
                    #expect(after == size, "byte \(position): damage with an intact batch after it is kept")
                    #expect(try writer.partitionStatus(Self.tp).corruption != nil, "byte \(position)")
                    #expect(try readUntilError(writer, Self.tp).records.map(\.offset) == [0, 1, 2])
                }
                try writer.close()
                try FileManager.default.removeItem(atPath: image)
            }
        }
    }

    /// A live writer's read-only views: only a torn write past the checkpoint ends the view quietly.
    @Test func readOnlyViewEndsQuietlyOnlyPastTheCheckpoint() throws {
        try withTemporaryDirectory { dir in
            let (segment, size) = try closedLog(dir)
            // Half a batch appended past the flushed end: an interrupted write.
            let bytes = try fileBytes(segment)
            let last = try #require(frames(in: bytes).last)
            try writeFileBytes(segment, bytes + Array(bytes[last.start..<(last.start + last.header.frameSize / 2)]))
            let reader = try StreamLog.open(directory: dir, readOnly: true)
            let status = try reader.partitionStatus(Self.tp)
            #expect(status.corruption == nil)
            #expect(status.highWatermark == 3)
            let report = try LogVerifier.verify(directory: dir)
            #expect(report.isIntact)
            #expect(report.problems.first?.message.contains("torn tail") == true, "\(report.problems)")
            #expect(report.problems.first?.position == size)
        }
    }
}
