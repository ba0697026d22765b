import Foundation
import ScopeCore
import Testing

@testable import StreamLog

/// The sparse offset index only speeds reads up: deleted or garbage, it is rebuilt from the
/// segments and every read gives exactly what it gave before.
@Suite struct IndexRebuildTests {
    static let tp = TopicPartition("metrics", 0)
    static let config = TopicConfig(partitions: 1, segmentBytes: 4096, indexIntervalBytes: 64)

    /// Writes batches of 1–4 records until the partition has at least five segments.
    func populate(_ dir: String, clock: ManualClock) throws -> [Record] {
        let log = try StreamLog.open(directory: dir, create: true, clock: clock)
        try log.createTopic("metrics", config: Self.config)
        var i = 0
        while try log.partitionStatus(Self.tp).segments < 5 {
            let records = (0..<(1 + i % 4)).map { n in
                ProducerRecord(key: utf8("series-\(i % 7)"), value: utf8("sample \(i).\(n) " + String(repeating: "#", count: i % 23)))
            }
            try log.append(Self.tp, records)
            clock.advance(byMs: 3)
            i += 1
        }
        let all = try readAll(log, Self.tp)
        try log.close()
        return all
    }

    /// For every offset: the first fetch's records and next offset, and everything from there on.
    struct Reads: Equatable {
        var firstFetch: [[Record]] = []
        var nextOffsets: [Int64] = []
        var suffixes: [[Record]] = []
    }

    func readFromEveryOffset(_ dir: String, clock: ManualClock, count: Int) throws -> (Reads, [RecoveryNote]) {
        let log = try StreamLog.open(directory: dir, clock: clock)
        defer { try? log.close() }
        var reads = Reads()
        for offset in 0..<Int64(count) {
            let first = try log.fetch(Self.tp, from: offset, maxBytes: 1)
            reads.firstFetch.append(try first.records())
            reads.nextOffsets.append(first.nextOffset)
            reads.suffixes.append(try readAll(log, Self.tp, from: offset))
        }
        return (reads, log.recoveryNotes)
    }

    func check(_ reads: Reads, against all: [Record]) {
        for (i, suffix) in reads.suffixes.enumerated() {
            #expect(suffix == Array(all[i...]), "read from offset \(i)")
            #expect(reads.firstFetch[i].first == all[i], "first record fetched from offset \(i)")
            #expect(reads.nextOffsets[i] > Int64(i))
        }
    }

    @Test func deletedIndexesAreRebuiltAndReadsAreIdentical() throws {
        try withTemporaryDirectory { dir in
            let clock = ManualClock()
            let all = try populate(dir, clock: clock)
            #expect(all.map(\.offset) == Array(0..<Int64(all.count)))
            let indexes = try segmentFiles(dir, Self.tp, suffix: ".index")
            #expect(indexes.count >= 5)
            let originals = try indexes.map { try fileBytes($0) }
            #expect(originals.dropLast().allSatisfy { $0.count / 8 >= 10 }, "sealed segments have many index entries")

            let (before, _) = try readFromEveryOffset(dir, clock: clock, count: all.count)
            check(before, against: all)

            for path in indexes { try FileManager.default.removeItem(atPath: path) }
            let (after, notes) = try readFromEveryOffset(dir, clock: clock, count: all.count)
            #expect(after == before)
            for path in indexes {
                #expect(notes.contains(.rebuiltIndex(file: path)), "\(path) rebuilt")
            }
            // The rebuilt files are the ones the writer made in the first place.
            #expect(try indexes.map { try fileBytes($0) } == originals)
        }
    }

    enum Garbage: String, CaseIterable, CustomTestStringConvertible {
        case notAMultipleOfEight, decreasingEntries, pointsPastTheSegment, lastEntryInsideABatch, zeroLengthFile
        var testDescription: String { rawValue }

        func bytes(original: [UInt8], segmentSize: Int) -> [UInt8] {
            func entry(_ rel: UInt32, _ pos: UInt32) -> [UInt8] {
                [rel, pos].flatMap { v in [UInt8(v >> 24), UInt8(truncatingIfNeeded: v >> 16), UInt8(truncatingIfNeeded: v >> 8), UInt8(truncatingIfNeeded: v)] }
            }
            switch self {
            case .notAMultipleOfEight: return Array((0..<(original.count + 3)).map { UInt8(truncatingIfNeeded: $0 &* 131) })
            case .decreasingEntries: return entry(9, 900) + entry(3, 300)
            case .pointsPastTheSegment: return entry(1, 100) + entry(2, UInt32(segmentSize + 10))
            case .lastEntryInsideABatch: return entry(1, 1) + entry(2, 2)
            case .zeroLengthFile: return []
            }
        }
    }

    @Test(arguments: Garbage.allCases)
    func garbageIndexesAreRebuilt(garbage: Garbage) throws {
        try withTemporaryDirectory { dir in
            let clock = ManualClock()
            let all = try populate(dir, clock: clock)
            let indexes = try segmentFiles(dir, Self.tp, suffix: ".index")
            let segments = try segmentFiles(dir, Self.tp)
            let originals = try indexes.map { try fileBytes($0) }
            for (path, segment) in zip(indexes, segments) {
                try writeFileBytes(path, garbage.bytes(original: try fileBytes(path), segmentSize: try fileSize(segment)))
            }
            let (after, notes) = try readFromEveryOffset(dir, clock: clock, count: all.count)
            check(after, against: all)
            #expect(!notes.contains { if case .corruption = $0 { true } else { false } }, "\(notes)")
            if garbage != .zeroLengthFile {
                // (An empty index is a valid index with no entries: reads just scan from the start.)
                for path in indexes { #expect(notes.contains(.rebuiltIndex(file: path)), "\(path) rebuilt") }
                #expect(try indexes.map { try fileBytes($0) } == originals)
            }
            // Appends after the rebuild land where they should and read back.
            let log = try StreamLog.open(directory: dir, clock: clock)
            let result = try log.append(Self.tp, [ProducerRecord(key: nil, value: utf8("after"))])
            #expect(result.baseOffset == Int64(all.count))
            #expect(try readAll(log, Self.tp, from: Int64(all.count)).map { text($0.value) } == ["after"])
            try log.close()
        }
    }

    @Test func uncleanShutdownRebuildsTheActiveSegmentsIndex() throws {
        try withTemporaryDirectory { dir in
            let clock = ManualClock()
            let all = try populate(dir, clock: clock)
            let indexes = try segmentFiles(dir, Self.tp, suffix: ".index")
            let activeIndex = try fileBytes(indexes.last!)
            try FileManager.default.removeItem(atPath: indexes.last!)
            try removeCleanShutdownMarker(dir)
            let (after, _) = try readFromEveryOffset(dir, clock: clock, count: all.count)
            check(after, against: all)
            // Closing writes the index the recovery scan rebuilt.
            #expect(try fileBytes(indexes.last!) == activeIndex)
        }
    }
}
