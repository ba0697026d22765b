import Foundation
import ScopeCore
import Testing

@testable import StreamLog

/// A crash in the middle of a write leaves part of the last batch in the active segment. Whatever
/// byte the write stopped at, the next writer must cut exactly that batch, keep everything before
/// it, and carry on at the next dense offset.
@Suite struct TornTailRecoveryTests {
    enum Layout: String, CaseIterable, CustomTestStringConvertible {
        /// Sealed segments, then an active one holding several batches; the last one is torn.
        case lastOfSeveralInActiveSegment
        /// The torn batch is the only one of a segment that was just rolled.
        case onlyBatchOfNewSegment
        var testDescription: String { rawValue }
    }

    struct CrashImage {
        var directory: String
        /// Every record acknowledged before the crash, as read back from the live log.
        var records: [Record]
        /// Path (inside `directory`) of the active segment and where its last batch starts.
        var activeSegmentName: String
        var lastBatchStart: Int
        var lastBatchBase: Int64
        var activeSize: Int
    }

    static let tp = TopicPartition("events", 0)

    /// Writes batches of 1–3 records with acks=leader and copies the log directory while the writer
    /// still has it open: the copy is what a `kill -9` right after the last write leaves behind.
    func makeCrashImage(in dir: String, layout: Layout, clock: ManualClock) throws -> CrashImage {
        let log = try StreamLog.open(directory: dir + "/live", create: true, clock: clock)
        try log.createTopic("events", config: TopicConfig(partitions: 1, segmentBytes: 1024, indexIntervalBytes: 64))
        var i = 0
        func appendOne() throws {
            let records = (0...(i % 3)).map { n in
                ProducerRecord(key: utf8("key-\(i)-\(n)"), value: utf8("value \(i)/\(n) " + String(repeating: "~", count: 10 + i % 7)))
            }
            try log.append(Self.tp, records, acks: .leader)
            clock.advance(byMs: 10)
            i += 1
        }
        // Until the third segment starts: it then holds exactly the batch that rolled it.
        while try log.partitionStatus(Self.tp).segments < 3 { try appendOne() }
        if layout == .lastOfSeveralInActiveSegment {
            for _ in 0..<3 { try appendOne() }
            #expect(try log.partitionStatus(Self.tp).segments == 3)
        }
        let records = try readAll(log, Self.tp)
        let image = dir + "/image"
        try copyDirectory(dir + "/live", to: image)
        try log.close()

        let active = try #require(try segmentFiles(image, Self.tp).last)
        let bytes = try fileBytes(active)
        let batches = frames(in: bytes)
        let last = try #require(batches.last)
        #expect(last.start + last.header.frameSize == bytes.count, "the image's active segment ends with whole batches")
        if layout == .onlyBatchOfNewSegment { #expect(batches.count == 1) } else { #expect(batches.count >= 3) }
        return CrashImage(
            directory: image, records: records, activeSegmentName: String(active.split(separator: "/").last!),
            lastBatchStart: last.start, lastBatchBase: last.header.baseOffset, activeSize: bytes.count)
    }

    @Test(arguments: Layout.allCases)
    func cutAtEveryByteOfTheLastBatch(layout: Layout) throws {
        try withTemporaryDirectory { dir in
            let clock = ManualClock()
            let image = try makeCrashImage(in: dir, layout: layout, clock: clock)
            let survivors = image.records.filter { $0.offset < image.lastBatchBase }
            #expect(!survivors.isEmpty)
            #expect(survivors.last!.offset == image.lastBatchBase - 1)
            // Longer than a batch header, so cuts land in the header, the records and the last byte.
            #expect(image.activeSize - image.lastBatchStart > BatchFormat.headerSize + 20)

            for cut in (image.lastBatchStart + 1)..<image.activeSize {
                let trial = dir + "/trial"
                try copyDirectory(image.directory, to: trial)
                defer { try? FileManager.default.removeItem(atPath: trial) }
                let segment = partitionDirectory(trial, Self.tp) + "/" + image.activeSegmentName
                try truncateFile(segment, to: cut)

                let log = try StreamLog.open(directory: trial, clock: clock)
                #expect(
                    log.recoveryNotes.contains(.truncatedTornTail(file: segment, position: image.lastBatchStart, bytes: cut - image.lastBatchStart)),
                    "cut at \(cut): notes \(log.recoveryNotes)")
                #expect(!log.recoveryNotes.contains { if case .corruption = $0 { true } else { false } }, "cut at \(cut)")
                #expect(try fileSize(segment) == image.lastBatchStart, "cut at \(cut): the torn bytes are gone from the file")

                let read = try readAll(log, Self.tp)
                #expect(read == survivors, "cut at \(cut)")
                let status = try log.partitionStatus(Self.tp)
                #expect(status.logEndOffset == image.lastBatchBase && status.highWatermark == image.lastBatchBase)

                let appended = try log.append(Self.tp, [ProducerRecord(key: nil, value: utf8("after the crash"))], acks: .leader)
                #expect(appended.baseOffset == image.lastBatchBase, "cut at \(cut): the next append continues densely")
                try log.close()

                let reader = try StreamLog.open(directory: trial, readOnly: true, clock: clock)
                let reread = try readAll(reader, Self.tp)
                #expect(reread.map(\.offset) == survivors.map(\.offset) + [image.lastBatchBase], "cut at \(cut)")
                #expect(text(reread.last?.value) == "after the crash")
            }
        }
    }

    @Test func cutExactlyBetweenBatchesNeedsNoRepair() throws {
        try withTemporaryDirectory { dir in
            let clock = ManualClock()
            let image = try makeCrashImage(in: dir, layout: .lastOfSeveralInActiveSegment, clock: clock)
            let segment = partitionDirectory(image.directory, Self.tp) + "/" + image.activeSegmentName
            try truncateFile(segment, to: image.lastBatchStart)
            let log = try StreamLog.open(directory: image.directory, clock: clock)
            #expect(!log.recoveryNotes.contains { if case .truncatedTornTail = $0 { true } else { false } })
            #expect(try readAll(log, Self.tp) == image.records.filter { $0.offset < image.lastBatchBase })
            #expect(try log.append(Self.tp, [ProducerRecord(key: nil, value: utf8("x"))]).baseOffset == image.lastBatchBase)
            try log.close()
        }
    }

    @Test func uncutCrashImageLosesNothing() throws {
        try withTemporaryDirectory { dir in
            let clock = ManualClock()
            let image = try makeCrashImage(in: dir, layout: .lastOfSeveralInActiveSegment, clock: clock)
            let log = try StreamLog.open(directory: image.directory, clock: clock)
            #expect(log.recoveryNotes.filter { if case .rebuiltIndex = $0 { false } else { true } }.isEmpty, "\(log.recoveryNotes)")
            #expect(try readAll(log, Self.tp) == image.records)
            try log.close()
        }
    }

    @Test func zeroFilledTailIsCutLikeATornWrite() throws {
        // Some file systems leave zeros (not garbage) where an interrupted append extended the file.
        try withTemporaryDirectory { dir in
            let clock = ManualClock()
            let image = try makeCrashImage(in: dir, layout: .lastOfSeveralInActiveSegment, clock: clock)
            let segment = partitionDirectory(image.directory, Self.tp) + "/" + image.activeSegmentName
            try writeFileBytes(segment, try fileBytes(segment) + [UInt8](repeating: 0, count: 300))
            let log = try StreamLog.open(directory: image.directory, clock: clock)
            #expect(log.recoveryNotes.contains(.truncatedTornTail(file: segment, position: image.activeSize, bytes: 300)))
            #expect(try readAll(log, Self.tp) == image.records)
            #expect(try log.append(Self.tp, [ProducerRecord(key: nil, value: utf8("x"))]).baseOffset == image.records.last!.offset + 1)
            try log.close()
        }
    }
}
