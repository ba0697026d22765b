import Foundation
import ScopeCore
import Testing

@testable import StreamLog

/// One writer per directory, any number of readers; only a log directory (or an empty one) is
/// ever opened as a log.
@Suite struct OpenAndLockTests {
    @Test func secondWriterIsRefusedWithTheHoldersPid() throws {
        try withTemporaryDirectory { dir in
            let first = try StreamLog.open(directory: dir, create: true, clock: ManualClock())
            try first.createTopic("t", config: TopicConfig(partitions: 1))
            #expect(throws: LogError.locked(path: dir, holderPid: getpid())) {
                try StreamLog.open(directory: dir, clock: ManualClock())
            }
            let error = #expect(throws: LogError.self) { try StreamLog.open(directory: dir, create: true, clock: ManualClock()) }
            #expect(error?.description.contains("locked by process \(getpid())") == true)
            // The refused writer changed nothing: the first one still works.
            #expect(try first.append(TopicPartition("t", 0), [ProducerRecord(key: nil, value: utf8("x"))]).baseOffset == 0)
            try first.close()
            // Once the writer closes, the next one gets in.
            let second = try StreamLog.open(directory: dir, clock: ManualClock())
            #expect(try readAll(second, TopicPartition("t", 0)).count == 1)
            try second.close()
        }
    }

    @Test func droppingTheWriterReleasesTheLock() throws {
        try withTemporaryDirectory { dir in
            do {
                let writer = try StreamLog.open(directory: dir, create: true, clock: ManualClock())
                try writer.createTopic("t", config: TopicConfig(partitions: 1))
                try writer.append(TopicPartition("t", 0), [ProducerRecord(key: nil, value: utf8("x"))])
            }
            let next = try StreamLog.open(directory: dir, clock: ManualClock())
            #expect(next.recoveryNotes.isEmpty, "deinit closed the log cleanly")
            #expect(try readAll(next, TopicPartition("t", 0)).count == 1)
            try next.close()
        }
    }

    @Test func readerBesideTheWriterSeesAcknowledgedData() throws {
        try withTemporaryDirectory { dir in
            let clock = ManualClock()
            let writer = try StreamLog.open(directory: dir, create: true, clock: clock)
            try writer.createTopic("t", config: TopicConfig(partitions: 1, segmentBytes: 1024))
            let tp = TopicPartition("t", 0)
            try writer.append(tp, [ProducerRecord(key: nil, value: utf8("before the reader"))], acks: .all)

            let reader = try StreamLog.open(directory: dir, readOnly: true, clock: clock)
            #expect(reader.isReadOnly)
            #expect(try readAll(reader, tp).map { text($0.value)! } == ["before the reader"])
            // What the writer acknowledges later, across segment rolls, the reader picks up.
            for i in 0..<40 {
                try writer.append(tp, [ProducerRecord(key: nil, value: utf8("later \(i) " + String(repeating: ".", count: 40)))], acks: .all)
            }
            #expect(try writer.partitionStatus(tp).segments > 1)
            let seen = try readAll(reader, tp)
            #expect(seen.count == 41)
            #expect(seen.map(\.offset) == Array(0..<41))
            #expect(try reader.partitionStatus(tp).highWatermark == 41)
            // Readers change nothing.
            #expect(throws: LogError.readOnly) { try reader.append(tp, [ProducerRecord(key: nil, value: [])]) }
            #expect(throws: LogError.readOnly) { try reader.createTopic("u", config: TopicConfig(partitions: 1)) }
            #expect(throws: LogError.readOnly) { try reader.initProducerId() }
            try reader.close()
            try writer.close()
        }
    }

    @Test func readerCatchesUpWithCommitsAndRebalancesAfterItOpened() throws {
        try withTemporaryDirectory { dir in
            let clock = ManualClock()
            let writer = try StreamLog.open(directory: dir, create: true, clock: clock)
            try writer.createTopic("t", config: TopicConfig(partitions: 1))
            let tp = TopicPartition("t", 0)
            try writer.append(tp, (0..<5).map { ProducerRecord(key: nil, value: utf8("r\($0)")) }, acks: .all)
            let reader = try StreamLog.open(directory: dir, readOnly: true, clock: clock)
            #expect(reader.groupStatus("g").partitions.isEmpty)
            let consumer = try Consumer(log: writer, topics: ["t"], group: "g", memberId: "m1")
            #expect(try consumer.poll(maxRecords: 3).count == 3)
            try consumer.commit()
            // Without catching up, the reader still sees the group as it was at open.
            #expect(reader.groupStatus("g").partitions.first?.committed == nil)
            reader.refreshFromWriter()
            #expect(reader.groupStatus("g").partitions.first?.committed == 3)
            #expect(reader.groupStatus("g").partitions.first?.lag == 2)
            #expect(reader.rebalanceCount("g") == 1, "the join's rebalance is counted once")
            // A topic created after the reader opened (a DLQ appears with its first dead letter).
            try writer.createTopic("t.dlq", config: TopicConfig(partitions: 2))
            try writer.append(TopicPartition("t.dlq", 1), [ProducerRecord(key: nil, value: utf8("dead"))], acks: .all)
            #expect(reader.topicConfig("t.dlq") == nil)
            reader.refreshFromWriter()
            #expect(reader.topicConfig("t.dlq")?.partitions == 2)
            #expect(try readAll(reader, TopicPartition("t.dlq", 1)).map { text($0.value)! } == ["dead"])
            try consumer.close()
            reader.refreshFromWriter()
            reader.refreshFromWriter()
            #expect(reader.rebalanceCount("g") == 2, "the leave's rebalance, counted once however often the reader catches up")
            try reader.close()
            try writer.close()
        }
    }

    @Test func readerChangesNothingOnDisk() throws {
        try withTemporaryDirectory { dir in
            let writer = try StreamLog.open(directory: dir, create: true, clock: ManualClock())
            try writer.createTopic("t", config: TopicConfig(partitions: 2))
            try writer.append(TopicPartition("t", 1), [ProducerRecord(key: nil, value: utf8("x"))])
            try writer.close()
            try FileManager.default.removeItem(atPath: partitionDirectory(dir, TopicPartition("t", 1)) + "/" + Segment.name(base: 0, suffix: ".index"))
            let listing = try FileManager.default.subpathsOfDirectory(atPath: dir).sorted()
            let reader = try StreamLog.open(directory: dir, readOnly: true, clock: ManualClock())
            #expect(try readAll(reader, TopicPartition("t", 1)).count == 1)
            try reader.close()
            #expect(try FileManager.default.subpathsOfDirectory(atPath: dir).sorted() == listing, "no index rebuilt, no marker touched")
        }
    }

    @Test func directoryWithOtherFilesIsNotALog() throws {
        try withTemporaryDirectory { dir in
            try writeFileBytes(dir + "/notes.txt", utf8("my precious notes"))
            #expect(throws: LogError.notALogDirectory(path: dir)) { try StreamLog.open(directory: dir, create: true, clock: ManualClock()) }
            #expect(throws: LogError.notALogDirectory(path: dir)) { try StreamLog.open(directory: dir, clock: ManualClock()) }
            #expect(throws: LogError.notALogDirectory(path: dir)) { try StreamLog.open(directory: dir, readOnly: true, clock: ManualClock()) }
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["notes.txt"], "nothing was scattered into it")
        }
    }

    @Test func emptyDirectoryBecomesALogOnlyWithCreate() throws {
        try withTemporaryDirectory { dir in
            #expect(throws: LogError.notALogDirectory(path: dir)) { try StreamLog.open(directory: dir, clock: ManualClock()) }
            let log = try StreamLog.open(directory: dir, create: true, clock: ManualClock())
            #expect(FileManager.default.fileExists(atPath: dir + "/" + LogCatalog.fileName))
            #expect(log.topicNames().isEmpty)
            #expect(log.topicNames(includeInternal: true) == [StreamLog.offsetsTopic, StreamLog.eventsTopic].sorted())
            try log.close()
        }
    }

    @Test func missingDirectory() throws {
        try withTemporaryDirectory { dir in
            let missing = dir + "/does/not/exist"
            #expect(throws: LogError.noSuchDirectory(path: missing)) { try StreamLog.open(directory: missing, readOnly: true, clock: ManualClock()) }
            #expect(throws: LogError.noSuchDirectory(path: missing)) { try StreamLog.open(directory: missing, clock: ManualClock()) }
            #expect(throws: LogError.noSuchDirectory(path: missing)) { try StreamLog.open(directory: missing, readOnly: true, create: true, clock: ManualClock()) }
            #expect(!FileManager.default.fileExists(atPath: missing))
            // A writer with create makes it, parents included.
            let log = try StreamLog.open(directory: missing, create: true, clock: ManualClock())
            try log.close()
            #expect(FileManager.default.fileExists(atPath: missing + "/" + LogCatalog.fileName))
        }
    }

    @Test func closedLogRefusesWork() throws {
        try withTemporaryDirectory { dir in
            let log = try StreamLog.open(directory: dir, create: true, clock: ManualClock())
            try log.createTopic("t", config: TopicConfig(partitions: 1))
            try log.close()
            try log.close()  // idempotent
            #expect(throws: LogError.closed) { try log.append(TopicPartition("t", 0), [ProducerRecord(key: nil, value: [])]) }
            #expect(throws: LogError.closed) { try log.fetch(TopicPartition("t", 0), from: 0) }
        }
    }

    @Test func topicsAreValidatedAndCreatedOnce() throws {
        try withTemporaryDirectory { dir in
            let log = try StreamLog.open(directory: dir, create: true, clock: ManualClock())
            #expect(try log.createTopic("orders", config: TopicConfig(partitions: 3)))
            #expect(try log.createTopic("orders", config: TopicConfig(partitions: 3)) == false, "same partition count: a no-op")
            #expect(throws: LogError.partitionCountMismatch(topic: "orders", existing: 3, requested: 4)) {
                try log.createTopic("orders", config: TopicConfig(partitions: 4))
            }
            for bad in ["", ".", "..", "has space", "slash/name", String(repeating: "a", count: 250), "ünï"] {
                #expect(throws: LogError.self, "\(bad)") { try log.createTopic(bad, config: TopicConfig(partitions: 1)) }
            }
            #expect(throws: LogError.self) { try log.createTopic("zero", config: TopicConfig(partitions: 0)) }
            #expect(throws: LogError.self) { try log.createTopic("tiny", config: TopicConfig(partitions: 1, segmentBytes: 100)) }
            #expect(throws: LogError.unknownPartition(topic: "orders", partition: 3)) { try log.fetch(TopicPartition("orders", 3), from: 0) }
            #expect(throws: LogError.unknownTopic("nope")) { try log.fetch(TopicPartition("nope", 0), from: 0) }
            #expect(log.topicNames() == ["orders"])
            try log.close()
            let reopened = try StreamLog.open(directory: dir, clock: ManualClock())
            #expect(reopened.topicConfig("orders") == TopicConfig(partitions: 3))
            try reopened.close()
        }
    }
}
