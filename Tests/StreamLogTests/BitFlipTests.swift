import Foundation
import ScopeCore
import Testing

@testable import StreamLog

/// A flipped bit anywhere in a stored batch must be caught: the records before the damaged batch
/// stay readable, nothing from the damaged batch on is served, and the error names the file and
/// the byte position an operator must look at.
@Suite struct BitFlipTests {
    static let tp = TopicPartition("events", 0)

    struct Target {
        var segmentPath: String
        var original: [UInt8]
        var start: Int
        var end: Int
        var base: Int64
    }

    func writeBatches(_ log: StreamLog, count: Int, clock: ManualClock, until: (() throws -> Bool)? = nil) throws {
        var i = 0
        while try i < count || (until?() ?? false) {
            let records = (0..<2).map { n in ProducerRecord(key: utf8("k\(i)"), value: utf8("record \(i).\(n) payload")) }
            try log.append(Self.tp, records, acks: .leader)
            clock.advance(byMs: 5)
            i += 1
        }
    }

    /// The middle batch of segment `segmentIndex` of a log directory.
    func middleBatch(_ dir: String, segmentIndex: Int) throws -> Target {
        let path = try segmentFiles(dir, Self.tp)[segmentIndex]
        let bytes = try fileBytes(path)
        let batches = frames(in: bytes)
        #expect(batches.count >= 5)
        let middle = batches[batches.count / 2]
        return Target(segmentPath: path, original: bytes, start: middle.start, end: middle.start + middle.header.frameSize, base: middle.header.baseOffset)
    }

    func isLengthFlipPastSegmentEnd(_ target: Target, byte: Int, bit: Int) -> Bool {
        guard byte - target.start < 4 else { return false }
        var length = target.original[target.start..<(target.start + 4)].reduce(0) { $0 << 8 | Int($1) }
        length ^= 1 << ((3 - (byte - target.start)) * 8 + bit)
        return length >= BatchFormat.headerSize - 4 && length <= BatchFormat.maxFrameLength
            && target.start + 4 + length > target.original.count
    }

    @Test func activeSegmentAfterUncleanShutdown() throws {
        try withTemporaryDirectory { dir in
            let clock = ManualClock()
            let live = try StreamLog.open(directory: dir + "/live", create: true, clock: clock)
            try live.createTopic("events", config: TopicConfig(partitions: 1))
            try writeBatches(live, count: 9, clock: clock)
            let all = try readAll(live, Self.tp)
            try copyDirectory(dir + "/live", to: dir + "/image")  // what a crash leaves: no clean-shutdown marker
            try live.close()

            let target = try middleBatch(dir + "/image", segmentIndex: 0)
            let before = all.filter { $0.offset < target.base }
            #expect(!before.isEmpty && before.count < all.count - 2)
            var trials = 0
            for byte in target.start..<target.end {
                for bit in 0..<8 {
                    var damaged = target.original
                    damaged[byte] ^= UInt8(1) << bit
                    try writeFileBytes(target.segmentPath, damaged)
                    let log = try StreamLog.open(directory: dir + "/image", clock: clock)
                    let at = "byte \(byte - target.start) bit \(bit)"
                    let noted = log.recoveryNotes.contains {
                        if case .corruption(target.segmentPath, target.start, _) = $0 { true } else { false }
                    }
                    #expect(noted, "\(at): \(log.recoveryNotes)")
                    #expect(!log.recoveryNotes.contains { if case .truncatedTornTail = $0 { true } else { false } }, "\(at): damage with intact data after it is never cut")
                    #expect(try fileSize(target.segmentPath) == target.original.count, "\(at): nothing was truncated")

                    let (read, error) = readUntilError(log, Self.tp)
                    #expect(read == before, "\(at)")
                    guard case .corruptBatch(let file, let position, _)? = error else {
                        Issue.record("\(at): expected corruptBatch after the intact records, got \(String(describing: error))")
                        try log.close()
                        continue
                    }
                    #expect(file == target.segmentPath && position == target.start, "\(at)")
                    let refused = #expect(throws: LogError.self, "\(at): a damaged partition takes no writes") {
                        try log.append(Self.tp, [ProducerRecord(key: nil, value: utf8("x"))])
                    }
                    if case .corruptBatch(target.segmentPath, target.start, _)? = refused {} else {
                        Issue.record("\(at): append refused with \(String(describing: refused)), not the corruption")
                    }
                    #expect(try log.partitionStatus(Self.tp).corruption?.contains(target.segmentPath) == true)
                    try log.close()
                    #expect(!FileManager.default.fileExists(atPath: dir + "/image/" + StreamLog.cleanShutdownMarker),
                            "\(at): known damage leaves no clean-shutdown marker, so the next open checks again")
                    trials += 1
                }
            }
            #expect(trials == (target.end - target.start) * 8)
        }
    }

    @Test func sealedSegmentReadThroughFetch() throws {
        try withTemporaryDirectory { dir in
            let clock = ManualClock()
            let log0 = try StreamLog.open(directory: dir, create: true, clock: clock)
            try log0.createTopic("events", config: TopicConfig(partitions: 1, segmentBytes: 1024, indexIntervalBytes: 256))
            try writeBatches(log0, count: 0, clock: clock) { try log0.partitionStatus(Self.tp).segments < 3 }
            let all = try readAll(log0, Self.tp)
            try log0.close()

            // A sealed segment with sealed data before it and the active segment after it.
            let target = try middleBatch(dir, segmentIndex: 1)
            let index = try segmentFiles(dir, Self.tp, suffix: ".index")[1]
            let indexBytes = try fileBytes(index)
            let before = all.filter { $0.offset < target.base }
            var trials = 0
            for byte in target.start..<target.end {
                for bit in 0..<8 {
                    var damaged = target.original
                    damaged[byte] ^= UInt8(1) << bit
                    try writeFileBytes(target.segmentPath, damaged)
                    try writeFileBytes(index, indexBytes)
                    let log = try StreamLog.open(directory: dir, clock: clock)
                    let at = "byte \(byte - target.start) bit \(bit)"

                    let (read, error) = readUntilError(log, Self.tp)
                    // Known bug (see PendingBugTests): a length inflated past the end of the segment
                    // hides the intact batches before it. Everything else must hold for it too.
                    if !isLengthFlipPastSegmentEnd(target, byte: byte, bit: bit) {
                        #expect(read == before, "\(at)")
                    }
                    #expect(read.allSatisfy { $0.offset < target.base }, "\(at): nothing at or after the damaged batch is served")
                    guard case .corruptBatch(let file, let position, _)? = error else {
                        Issue.record("\(at): expected corruptBatch, got \(String(describing: error))")
                        try log.close()
                        continue
                    }
                    #expect(file == target.segmentPath && position == target.start, "\(at)")
                    // Asking again for the damaged batch never serves it. (That the retry should
                    // fail again rather than look caught up is in PendingBugTests.)
                    if let again = try? log.fetch(Self.tp, from: target.base) {
                        #expect(try again.records().isEmpty, "\(at)")
                    }
                    #expect(throws: LogError.self, "\(at)") { try log.append(Self.tp, [ProducerRecord(key: nil, value: utf8("x"))]) }
                    try log.close()
                    trials += 1
                }
            }
            #expect(trials == (target.end - target.start) * 8)
        }
    }

    @Test func readOnlyViewStopsAtDamageInTheActiveSegment() throws {
        try withTemporaryDirectory { dir in
            let clock = ManualClock()
            let log = try StreamLog.open(directory: dir, create: true, clock: clock)
            try log.createTopic("events", config: TopicConfig(partitions: 1))
            try writeBatches(log, count: 9, clock: clock)
            let all = try readAll(log, Self.tp)
            try log.close()
            let target = try middleBatch(dir, segmentIndex: 0)
            var damaged = target.original
            damaged[target.end - 1] ^= 0x10
            try writeFileBytes(target.segmentPath, damaged)

            let reader = try StreamLog.open(directory: dir, readOnly: true, clock: clock)
            let (read, error) = readUntilError(reader, Self.tp)
            #expect(read == all.filter { $0.offset < target.base })
            #expect(read.count < all.count)
            guard case .corruptBatch(target.segmentPath, target.start, _)? = error else {
                Issue.record("expected corruptBatch at the damaged batch, got \(String(describing: error))")
                return
            }
        }
    }
}
