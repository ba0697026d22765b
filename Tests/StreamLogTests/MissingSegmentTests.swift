import Foundation
import ScopeCore
import Testing

@testable import StreamLog

/// A segment file lost from the middle of a partition: reads stop, with an error, at the end of
/// the last data known to be whole, and the partition takes no writes.
@Suite struct MissingSegmentTests {
    static let tp = TopicPartition("events", 0)

    @Test func missingSegmentEndsTheReadableLogWithAnError() throws {
        try withTemporaryDirectory { dir in
            let clock = ManualClock()
            let log0 = try StreamLog.open(directory: dir, create: true, clock: clock)
            try log0.createTopic("events", config: TopicConfig(partitions: 1, segmentBytes: 1024))
            var i = 0
            while try log0.partitionStatus(Self.tp).segments < 4 {
                try log0.append(Self.tp, (0..<(1 + i % 4)).map { ProducerRecord(key: utf8("k\(i)"), value: utf8("record \(i).\($0) payload")) })
                i += 1
            }
            let all = try readAll(log0, Self.tp)
            try log0.close()
            let files = try segmentFiles(dir, Self.tp)
            let lostBase = try #require(Segment.baseOffset(ofFile: String(files[1].split(separator: "/").last!), suffix: ".log"))
            try FileManager.default.removeItem(atPath: files[1])
            try FileManager.default.removeItem(atPath: files[1].replacingOccurrences(of: ".log", with: ".index"))

            let log = try StreamLog.open(directory: dir, clock: clock)
            #expect(log.recoveryNotes.contains { if case .corruption = $0 { true } else { false } }, "\(log.recoveryNotes)")
            let (read, error) = readUntilError(log, Self.tp)
            #expect(read == all.filter { $0.offset < lostBase })
            guard case .corruptBatch? = error else {
                Issue.record("expected corruptBatch at the gap, got \(String(describing: error))")
                return
            }
            let status = try log.partitionStatus(Self.tp)
            #expect(status.highWatermark == lostBase, "no offset past the gap is claimed")
            #expect(status.corruption != nil)
            #expect(throws: LogError.self, "a consumer at the gap is told, every time") { try log.fetch(Self.tp, from: lostBase) }
            #expect(throws: LogError.self) { try log.fetch(Self.tp, from: lostBase) }
            #expect(throws: LogError.self) { try log.append(Self.tp, [ProducerRecord(key: nil, value: [])]) }
            try log.close()
        }
    }
}
