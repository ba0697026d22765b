import Foundation
import ScopeCore
import Testing

@testable import StreamLog

// Helpers shared by the StreamLog tests.

/// Runs `body` with a fresh temporary directory that is removed afterwards.
func withTemporaryDirectory<T>(_ name: String = #function, _ body: (String) throws -> T) throws -> T {
    let safe = name.filter { $0.isLetter || $0.isNumber }
    let dir = FileManager.default.temporaryDirectory.path + "/strmscope-test-\(getpid())-\(safe)-\(UInt32.random(in: 0...UInt32.max))"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: false)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    return try body(dir)
}

func utf8(_ text: String) -> [UInt8] { Array(text.utf8) }

func text(_ bytes: [UInt8]?) -> String? { bytes.map { String(decoding: $0, as: UTF8.self) } }

/// Every acknowledged record of `tp` from `offset` (default: the log start) to the high watermark.
func readAll(_ log: StreamLog, _ tp: TopicPartition, from offset: Int64? = nil, maxBytes: Int = 1 << 20) throws -> [Record] {
    var next = try offset ?? log.partitionStatus(tp).logStartOffset
    var out: [Record] = []
    while true {
        let result = try log.fetch(tp, from: next, maxBytes: maxBytes)
        if result.isEmpty { return out }
        out += try result.records()
        next = result.nextOffset
    }
}

/// Reads sequentially like a consumer until the first error; returns what was read and the error.
func readUntilError(_ log: StreamLog, _ tp: TopicPartition) -> (records: [Record], error: LogError?) {
    var out: [Record] = []
    do {
        var next = try log.partitionStatus(tp).logStartOffset
        while true {
            let result = try log.fetch(tp, from: next)
            if result.isEmpty { return (out, nil) }
            out += try result.records()
            next = result.nextOffset
        }
    } catch let error as LogError {
        return (out, error)
    } catch {
        Issue.record("unexpected non-LogError \(error)")
        return (out, nil)
    }
}

func partitionDirectory(_ logDir: String, _ tp: TopicPartition) -> String { logDir + "/" + tp.description }

/// Full paths of a partition's files with `suffix`, in offset order.
func segmentFiles(_ logDir: String, _ tp: TopicPartition, suffix: String = ".log") throws -> [String] {
    let dir = partitionDirectory(logDir, tp)
    return try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(suffix) }.sorted().map { dir + "/" + $0 }
}

func fileBytes(_ path: String) throws -> [UInt8] {
    Array(try #require(FileManager.default.contents(atPath: path), "cannot read \(path)"))
}

func writeFileBytes(_ path: String, _ bytes: [UInt8]) throws {
    try Data(bytes).write(to: URL(fileURLWithPath: path))
}

func truncateFile(_ path: String, to size: Int) throws {
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
    defer { try? handle.close() }
    try handle.truncate(atOffset: UInt64(size))
}

func fileSize(_ path: String) throws -> Int {
    (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? -1
}

func copyDirectory(_ from: String, to: String) throws {
    try FileManager.default.copyItem(atPath: from, toPath: to)
}

func removeCleanShutdownMarker(_ logDir: String) throws {
    let marker = logDir + "/" + StreamLog.cleanShutdownMarker
    #expect(FileManager.default.fileExists(atPath: marker), "expected a clean-shutdown marker after close()")
    try FileManager.default.removeItem(atPath: marker)
}

/// The batches of a segment file: start position and header, walked with `BatchFormat.check`.
func frames(in bytes: [UInt8]) -> [(start: Int, header: BatchFormat.Header)] {
    var out: [(Int, BatchFormat.Header)] = []
    var position = 0
    bytes.withUnsafeBytes { raw in
        while position < raw.count, case .valid(let header) = BatchFormat.check(UnsafeRawBufferPointer(rebasing: raw[position...])) {
            out.append((position, header))
            position += header.frameSize
        }
    }
    return out
}

/// Recomputes and stores the CRC of a frame (for crafting frames that are intact but malformed).
func resealed(_ frame: [UInt8]) -> [UInt8] {
    var copy = frame
    let crc = copy.withUnsafeBytes { BatchFormat.computeCRC($0) }
    copy[4] = UInt8(truncatingIfNeeded: crc >> 24)
    copy[5] = UInt8(truncatingIfNeeded: crc >> 16)
    copy[6] = UInt8(truncatingIfNeeded: crc >> 8)
    copy[7] = UInt8(truncatingIfNeeded: crc)
    return copy
}

func family(_ families: [MetricFamily], _ name: String) throws -> MetricFamily {
    try #require(families.first(where: { $0.name == name }), "no metric family \(name)")
}

/// The value of the point of `family` whose labels are exactly `labels`.
func value(_ family: MetricFamily, _ labels: Labels) -> Double? {
    family.points.first(where: { $0.labels == labels })?.value
}

/// `#require` for an expression that mutates (the macro cannot take one).
func required<T>(_ value: T?, _ comment: Comment? = nil, sourceLocation: SourceLocation = #_sourceLocation) throws -> T {
    try #require(value, comment, sourceLocation: sourceLocation)
}

/// Polls until a poll returns nothing (each poll reads at most one fetch per partition).
func drain(_ consumer: Consumer, maxPolls: Int = 100) throws -> [ConsumedRecord] {
    var out: [ConsumedRecord] = []
    for _ in 0..<maxPolls {
        let got = try consumer.poll()
        if got.isEmpty { return out }
        out += got
    }
    Issue.record("the consumer never caught up")
    return out
}
