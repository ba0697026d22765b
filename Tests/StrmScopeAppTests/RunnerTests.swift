import Foundation
import ScopeCore
import StreamLog
import Testing

@testable import StrmScopeApp

func scratchDirectory(_ name: String = #function) -> String {
    let dir = FileManager.default.temporaryDirectory.path + "/strmscope-app-tests-\(getpid())/"
        + name.filter { $0.isLetter || $0.isNumber } + "-\(UInt32.random(in: 0...UInt32.max))"
    try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

/// A pipe whose read end a runner consumes; the text is written and the write end closed first.
func pipeWith(_ text: String) -> Int32 {
    var fds: [Int32] = [0, 0]
    precondition(pipe(&fds) == 0)
    let bytes = Array(text.utf8)
    precondition(bytes.count < 60_000, "keep test input under the pipe buffer")
    _ = bytes.withUnsafeBytes { write(fds[1], $0.baseAddress!, $0.count) }
    close(fds[1])
    return fds[0]
}

@Suite struct ProduceRunnerTests {
    @Test func printsOneAcknowledgementPerLineInInputOrder() throws {
        let dir = scratchDirectory()
        let output = CollectingOutput()
        let input = pipeWith((1...250).map { "value-\($0)" }.joined(separator: "\n") + "\n")
        defer { close(input) }
        let summary = try ProduceRunner.run(ProduceOptions(directory: dir + "/log", topic: "t", partitions: 1, batchSize: 100), input: input, output: output)
        #expect(summary.records == 250)
        #expect(output.lines == (0..<250).map { "0 \($0)" })
        #expect(output.flushes >= 3, "acknowledgements are flushed per batch, not at the end")
        let log = try StreamLog.open(directory: dir + "/log", readOnly: true)
        let records = try log.fetch(TopicPartition("t", 0), from: 0, maxBytes: 1 << 20).records()
        #expect(records.first.map { String(decoding: $0.value!, as: UTF8.self) } == "value-1")
    }

    @Test func lastLineWithoutNewlineIsStillARecord() throws {
        let dir = scratchDirectory()
        let output = CollectingOutput()
        let input = pipeWith("a\nb")
        defer { close(input) }
        _ = try ProduceRunner.run(ProduceOptions(directory: dir, topic: "t"), input: input, output: output)
        #expect(output.lines == ["0 0", "0 1"])
    }

    @Test func keySeparatorSplitsAtTheFirstOccurrenceAndKeysPickKafkasPartition() throws {
        let dir = scratchDirectory()
        let output = CollectingOutput()
        let input = pipeWith("foobar=a=b\n")
        defer { close(input) }
        _ = try ProduceRunner.run(ProduceOptions(directory: dir, topic: "t", partitions: 10, key: .separator("=")), input: input, output: output)
        // toPositive(murmur2("foobar")) % 10 == 6, as with Kafka's Java client.
        #expect(output.lines == ["6 0"])
        let log = try StreamLog.open(directory: dir, readOnly: true)
        let record = try log.fetch(TopicPartition("t", 6), from: 0).records()[0]
        #expect(record.key == Array("foobar".utf8))
        #expect(record.value == Array("a=b".utf8))
    }

    @Test func aLineWithoutTheSeparatorStopsWithItsLineNumberAfterAcknowledgingTheOnesBefore() throws {
        let dir = scratchDirectory()
        let output = CollectingOutput()
        let input = pipeWith("k:1\nk:2\noops\nk:3\n")
        defer { close(input) }
        #expect(throws: CommandError.self) {
            try ProduceRunner.run(ProduceOptions(directory: dir, topic: "t", key: .separator(":")), input: input, output: output)
        }
        #expect(output.lines == ["0 0", "0 1"])
        do {
            _ = try ProduceRunner.run(ProduceOptions(directory: dir, topic: "t", key: .separator(":")), input: pipeWith("x\n"), output: CollectingOutput())
        } catch {
            #expect("\(error)" == "stdin:1: no key separator \":\" in the line (expected KEY:VALUE)")
        }
    }
}

@Suite struct ConsumeRunnerTests {
    @Test func groupConsumerCommitsWhatItPrintedAndTheNextRunContinues() throws {
        let dir = scratchDirectory()
        _ = try ProduceRunner.run(ProduceOptions(directory: dir, topic: "t", partitions: 2), input: pipeWith("a\nb\nc\nd\ne\n"), output: CollectingOutput())
        let clock = ManualClock()
        let first = CollectingOutput()
        let printed = try ConsumeRunner.run(ConsumeOptions(directory: dir, topic: "t", group: "g", maxRecords: 3), output: first, clock: clock)
        #expect(printed == 3)
        let second = CollectingOutput()
        _ = try ConsumeRunner.run(ConsumeOptions(directory: dir, topic: "t", group: "g", maxRecords: 10, idleExitMs: 0), output: second, clock: clock)
        let all = (first.lines + second.lines).map { $0.split(separator: " ").prefix(2).joined(separator: " ") }
        #expect(all.count == 5)
        #expect(Set(all).count == 5, "no record is printed twice across runs: \(all)")
    }

    @Test func readOnlyConsumerWithLatestPrintsNothingOldAndExitsWhenIdle() throws {
        let dir = scratchDirectory()
        _ = try ProduceRunner.run(ProduceOptions(directory: dir, topic: "t"), input: pipeWith("old\n"), output: CollectingOutput())
        let output = CollectingOutput()
        let printed = try ConsumeRunner.run(ConsumeOptions(directory: dir, topic: "t", from: .latest, idleExitMs: 0), output: output, clock: ManualClock())
        #expect(printed == 0)
        #expect(output.text.isEmpty)
    }
}

@Suite struct RecordFormatterTests {
    func consumed(key: [UInt8]?, value: [UInt8]?, headers: [RecordHeader] = []) -> ConsumedRecord {
        ConsumedRecord(topicPartition: TopicPartition("t", 2), record: Record(offset: 7, timestampMs: 1_700_000_000_123, key: key, value: value, headers: headers))
    }

    @Test func textEscapesTerminalControlsAndKeepsColumnsParseable() {
        let line = RecordFormatter.text(consumed(key: Array("a b".utf8), value: Array("\u{1b}[2Jhi\u{7f}\u{85}é".utf8)))
        #expect(line == "2 7 a\\x20b \\x1b[2Jhi\\x7f\\xc2\\x85é")
        #expect(RecordFormatter.text(consumed(key: nil, value: nil)) == "2 7 null null")
        #expect(RecordFormatter.text(consumed(key: nil, value: [0xFF, 0x41])) == "2 7 null \\xffA")
    }

    @Test func jsonKeepsExactBytes() throws {
        let line = RecordFormatter.json(consumed(key: nil, value: [0xFF, 0x00], headers: [RecordHeader("h", "v"), RecordHeader("n", nil as [UInt8]?)]))
        let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
        #expect(object["key"] is NSNull)
        #expect(object["value_base64"] as? String == "/wA=")
        #expect(object["partition"] as? Int == 2)
        #expect(object["offset"] as? Int == 7)
        #expect(object["timestamp"] as? Int == 1_700_000_000_123)
        let headers = object["headers"] as! [[String: Any]]
        #expect(headers.count == 2 && headers[0]["value"] as? String == "v" && headers[1]["value"] is NSNull)
        let text = RecordFormatter.json(consumed(key: Array("k".utf8), value: Array("line\nbreak \"q\"".utf8)))
        let decoded = try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [String: Any]
        #expect(decoded["value"] as? String == "line\nbreak \"q\"")
        #expect(!text.contains("\n"), "one record, one line")
    }
}

@Suite struct LineReaderTests {
    @Test func joinsLinesSplitAcrossReads() throws {
        var fds: [Int32] = [0, 0]
        precondition(pipe(&fds) == 0)
        var reader = LineReader(fd: fds[0])
        _ = Array("ab".utf8).withUnsafeBytes { write(fds[1], $0.baseAddress!, 2) }
        _ = Array("c\nd\n".utf8).withUnsafeBytes { write(fds[1], $0.baseAddress!, 4) }
        close(fds[1])
        var lines: [String] = []
        while let batch = try reader.nextLines() { lines += batch.map { String(decoding: $0, as: UTF8.self) } }
        close(fds[0])
        #expect(lines == ["abc", "d"])
    }

    @Test func emptyLinesAreRecordsToo() throws {
        var reader = LineReader(fd: pipeWith("\n\nx\n"))
        var lines: [[UInt8]] = []
        while let batch = try reader.nextLines() { lines += batch }
        #expect(lines == [[], [], Array("x".utf8)])
    }
}

@Suite struct DemoTests {
    @Test func rateFollowsAWaveWithBursts() {
        #expect(DemoWorkload.rate(at: 0, base: 100) == 100)
        #expect(abs(DemoWorkload.rate(at: 15, base: 100) - 160) < 1e-9)
        #expect(abs(DemoWorkload.rate(at: 45, base: 100) - 40) < 1e-9, "the wave's trough is 40% of the rate")
        // A burst triples the rate for the last 5 s of every 45 s.
        #expect(abs(DemoWorkload.rate(at: 40, base: 100) / DemoWorkload.rate(at: 39.999, base: 100) - 3) < 0.01)
        #expect(abs(DemoWorkload.rate(at: 45.001, base: 100) / DemoWorkload.rate(at: 44.999, base: 100) - 1 / 3.0) < 0.01)
    }
}

@Suite struct FaultScheduleTests {
    @Test func faultsFireOnceEachInOrderAndTheCycleRepeats() {
        var schedule = FaultSchedule(entries: [(10, .killMember), (5, .slowConsumer)], repeatEverySeconds: 20)
        #expect(schedule.due(atSeconds: 4).isEmpty)
        #expect(schedule.due(atSeconds: 5) == [.slowConsumer])
        #expect(schedule.due(atSeconds: 9).isEmpty)
        #expect(schedule.due(atSeconds: 30) == [.killMember, .slowConsumer, .killMember], "a late check fires what it missed, once")
        #expect(schedule.due(atSeconds: 30).isEmpty)
        #expect(schedule.due(atSeconds: 45) == [.slowConsumer])
    }

    @Test func withoutRepeatTheScheduleEnds() {
        var schedule = FaultSchedule(entries: [(1, .poisonBurst)])
        #expect(schedule.due(atSeconds: 100) == [.poisonBurst])
        #expect(schedule.due(atSeconds: 1000).isEmpty)
        var none = FaultSchedule.none
        #expect(none.due(atSeconds: 1000).isEmpty)
    }

    @Test func flagEntriesParse() {
        #expect(FaultSchedule.entry("kill-member@30s").map { [$0.seconds: $0.fault] } == [30: .killMember])
        #expect(FaultSchedule.entry("producer-burst@2m").map { $0.seconds } == 120)
        #expect(FaultSchedule.entry("kill-member") == nil)
        #expect(FaultSchedule.entry("explode@3s") == nil)
        #expect(FaultSchedule.entry("kill-member@soon") == nil)
    }
}
