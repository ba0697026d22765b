#if canImport(Glibc)
import Glibc
#endif
import StreamLog

/// How `log produce` turns an input line into a record key.
public enum KeyMode: Equatable, Sendable {
    /// No key: records spread round-robin over the partitions.
    case none
    /// The same key for every record (all land on one partition).
    case fixed(String)
    /// `key SEP value`: split at the first separator.
    case separator(String)
}

public struct ProduceOptions: Sendable {
    public var directory: String
    public var topic: String
    public var partitions: Int?
    public var key: KeyMode
    public var acks: Acks
    public var batchSize: Int

    public init(directory: String, topic: String, partitions: Int? = nil, key: KeyMode = .none, acks: Acks = .all, batchSize: Int = 100) {
        self.directory = directory
        self.topic = topic
        self.partitions = partitions
        self.key = key
        self.acks = acks
        self.batchSize = batchSize
    }
}

/// `strmscope log produce`: every line of the input becomes one record; every acknowledged record
/// is printed as `PARTITION OFFSET`, flushed as the acknowledgements happen, so whatever a caller
/// saw printed is in the log (with `--acks all`, durably).
public enum ProduceRunner {
    public struct Summary: Equatable, Sendable {
        public var records = 0
        public var batches = 0
    }

    /// Reads `input` (a file descriptor) until end of file or a stop request.
    public static func run(_ options: ProduceOptions, input: Int32, output: OutputSink) throws -> Summary {
        let log = try StreamLog.open(directory: options.directory, create: true)
        for note in log.recoveryNotes { writeError("strmscope: warning: \(note)") }
        defer { try? log.close() }
        if let existing = log.topicConfig(options.topic) {
            if let wanted = options.partitions, wanted != existing.partitions {
                throw LogError.partitionCountMismatch(topic: options.topic, existing: existing.partitions, requested: wanted)
            }
        } else {
            try log.createTopic(options.topic, config: TopicConfig(partitions: options.partitions ?? 1))
        }
        let producer = try Producer(log: log, acks: options.acks)
        var summary = Summary()
        var reader = LineReader(fd: input)
        var pending: [ProducerRecord] = []
        var lineNumber = 0

        func send() throws {
            guard !pending.isEmpty else { return }
            let metadata = try producer.send(topic: options.topic, pending)
            for m in metadata { output.write("\(m.partition) \(m.offset)\n") }
            output.flush()
            summary.records += pending.count
            summary.batches += 1
            pending.removeAll(keepingCapacity: true)
        }

        while let lines = try reader.nextLines() {
            for line in lines {
                lineNumber += 1
                guard let record = makeRecord(line, key: options.key) else {
                    try send()
                    guard case .separator(let separator) = options.key else { continue }
                    throw CommandError("stdin:\(lineNumber): no key separator \"\(separator)\" in the line (expected KEY\(separator)VALUE)")
                }
                pending.append(record)
                if pending.count >= options.batchSize { try send() }
            }
            // Nothing more is waiting on the input right now: acknowledge what we have.
            try send()
            if isStopRequested { break }
        }
        try send()
        try log.close()
        return summary
    }

    static func makeRecord(_ line: [UInt8], key: KeyMode) -> ProducerRecord? {
        switch key {
        case .none:
            return ProducerRecord(key: nil, value: line)
        case .fixed(let k):
            return ProducerRecord(key: Array(k.utf8), value: line)
        case .separator(let separator):
            let sep = Array(separator.utf8)
            guard let at = firstRange(of: sep, in: line) else { return nil }
            return ProducerRecord(key: Array(line[..<at]), value: Array(line[(at + sep.count)...]))
        }
    }

    static func firstRange(of needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard !needle.isEmpty, haystack.count >= needle.count else { return nil }
        for i in 0...(haystack.count - needle.count) where haystack[i] == needle[0] {
            if haystack[i..<(i + needle.count)].elementsEqual(needle) { return i }
        }
        return nil
    }
}

/// Splits a file descriptor's bytes into lines (without the `\n`), returning each time as many
/// complete lines as one `read` delivered, so a caller can act on whatever is available now
/// instead of waiting for a full batch. A last line without `\n` is returned at end of file.
struct LineReader {
    let fd: Int32
    private var carry: [UInt8] = []
    private var buffer = [UInt8](repeating: 0, count: 1 << 16)
    private var atEnd = false

    init(fd: Int32) { self.fd = fd }

    /// nil at end of input; an empty array when a stop was requested while waiting.
    mutating func nextLines() throws -> [[UInt8]]? {
        while !atEnd {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, $0.count) }
            if n < 0 {
                if errno == EINTR {
                    if isStopRequested { return [] }
                    continue
                }
                throw CommandError("reading stdin: \(String(cString: strerror(errno)))")
            }
            if n == 0 {
                atEnd = true
                break
            }
            var lines: [[UInt8]] = []
            var start = 0
            for i in 0..<n where buffer[i] == UInt8(ascii: "\n") {
                if carry.isEmpty {
                    lines.append(Array(buffer[start..<i]))
                } else {
                    lines.append(carry + buffer[start..<i])
                    carry.removeAll()
                }
                start = i + 1
            }
            carry.append(contentsOf: buffer[start..<n])
            if !lines.isEmpty { return lines }
        }
        guard !carry.isEmpty else { return nil }
        defer { carry.removeAll() }
        return [carry]
    }
}
