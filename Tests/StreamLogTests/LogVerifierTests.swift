import Foundation
import ScopeCore
import Testing

@testable import StreamLog

/// `strmscope log verify`: a read-only integrity check that tells corruption from a torn tail.
@Suite struct LogVerifierTests {
    static let tp = TopicPartition("events", 0)

    func populate(_ dir: String) throws -> Int {
        let log = try StreamLog.open(directory: dir, create: true, clock: ManualClock())
        try log.createTopic("events", config: TopicConfig(partitions: 2, segmentBytes: 1024))
        var records = 0
        var i = 0
        while try log.partitionStatus(Self.tp).segments < 3 {
            try log.append(Self.tp, (0..<2).map { ProducerRecord(key: nil, value: utf8("record \(i).\($0) payload")) })
            records += 2
            i += 1
        }
        try log.close()
        return records
    }

    @Test func intactLogIsReportedIntact() throws {
        try withTemporaryDirectory { dir in
            let records = try populate(dir)
            let report = try LogVerifier.verify(directory: dir)
            #expect(report.isIntact)
            #expect(report.problems.isEmpty, "\(report.problems)")
            #expect(report.partitions == 4, "two user partitions and the two internal topics")
            #expect(report.records >= records)
            #expect(report.segments >= 3 + 3)
        }
    }

    @Test func flippedBitIsCorruptionWithItsPosition() throws {
        try withTemporaryDirectory { dir in
            _ = try populate(dir)
            let file = try segmentFiles(dir, Self.tp)[0]
            var bytes = try fileBytes(file)
            let middle = frames(in: bytes)[3]
            bytes[middle.start + 30] ^= 0x80
            try writeFileBytes(file, bytes)
            let report = try LogVerifier.verify(directory: dir)
            #expect(!report.isIntact)
            #expect(report.corruptions.first?.file == file)
            #expect(report.corruptions.first?.position == middle.start)
            #expect(report.corruptions.first?.description.contains("\(file):\(middle.start)") == true)
        }
    }

    /// Part of a batch written past the flushed end (the recovery checkpoint): an interrupted write.
    @Test func tornTailPastTheCheckpointIsAWarningNotCorruption() throws {
        try withTemporaryDirectory { dir in
            _ = try populate(dir)
            let active = try #require(try segmentFiles(dir, Self.tp).last)
            let bytes = try fileBytes(active)
            let last = try #require(frames(in: bytes).last)
            try writeFileBytes(active, bytes + Array(bytes[last.start..<(last.start + 10)]))
            let report = try LogVerifier.verify(directory: dir)
            #expect(report.isIntact)
            let warning = try #require(report.problems.first { $0.file == active })
            #expect(warning.severity == .warning && warning.position == bytes.count)
            #expect(warning.message.contains("torn tail"))
        }
    }

    /// The same cut below the checkpoint lost flushed (acknowledged) data: corruption.
    @Test func tailCutBelowTheCheckpointIsCorruption() throws {
        try withTemporaryDirectory { dir in
            _ = try populate(dir)
            let active = try #require(try segmentFiles(dir, Self.tp).last)
            let last = try #require(frames(in: try fileBytes(active)).last)
            try truncateFile(active, to: last.start + 10)
            let report = try LogVerifier.verify(directory: dir)
            #expect(!report.isIntact)
            #expect(report.corruptions.first?.position == last.start)
            #expect(report.corruptions.first?.message.contains("below the recovery checkpoint") == true)
        }
    }

    @Test func missingDirectoryOrCatalog() throws {
        try withTemporaryDirectory { dir in
            #expect(throws: LogError.noSuchDirectory(path: dir + "/nope")) { try LogVerifier.verify(directory: dir + "/nope") }
            #expect(throws: LogError.notALogDirectory(path: dir)) { try LogVerifier.verify(directory: dir) }
        }
    }
}
