/// A full integrity check of a log directory, safe to run beside a writer (it only reads):
/// every batch's CRC and record structure, offset continuity within and across segments, and
/// every offset index entry.
public enum LogVerifier {
    public struct Problem: Sendable, Equatable, CustomStringConvertible {
        public enum Severity: String, Sendable { case corruption, warning }
        public var severity: Severity
        public var file: String
        public var position: Int?
        public var message: String

        public var description: String {
            "\(severity.rawValue): \(file)\(position.map { ":\($0)" } ?? ""): \(message)"
        }
    }

    public struct Report: Sendable, Equatable {
        public var partitions = 0
        public var segments = 0
        public var batches = 0
        public var records = 0
        public var bytes = 0
        public var problems: [Problem] = []

        public var corruptions: [Problem] { problems.filter { $0.severity == .corruption } }
        public var isIntact: Bool { corruptions.isEmpty }
    }

    public static func verify(directory: String) throws(LogError) -> Report {
        guard FileSystem.isDirectory(directory) else { throw .noSuchDirectory(path: directory) }
        let catalog = try LogCatalog.load(from: directory)
        let writerRunning = DirectoryLock.holder(of: directory).map(processIsAlive) ?? false
        var report = Report()
        for (topic, config) in catalog.topics.sorted(by: { $0.key < $1.key }) {
            for partition in 0..<config.partitions {
                let path = FileSystem.join(directory, TopicPartition(topic, partition).description)
                report.partitions += 1
                guard FileSystem.isDirectory(path) else {
                    report.problems.append(Problem(severity: .corruption, file: path, position: nil, message: "partition directory is missing"))
                    continue
                }
                try verifyPartition(path, writerRunning: writerRunning, into: &report)
            }
        }
        return report
    }

    private static func verifyPartition(_ path: String, writerRunning: Bool, into report: inout Report) throws(LogError) {
        // Read before any segment: what it covers was whole on disk before a byte of it was read,
        // so damage there is corruption even beside a live writer that keeps appending.
        let flushed = RecoveryCheckpoint.read(partitionDirectory: path)
        let bases = try FileSystem.list(path).compactMap { Segment.baseOffset(ofFile: $0, suffix: ".log") }.sorted()
        var expected: Int64? = nil
        for (i, base) in bases.enumerated() {
            let isLast = i == bases.count - 1
            let logPath = FileSystem.join(path, Segment.name(base: base, suffix: ".log"))
            let file = try FileHandleRef(path: logPath, flags: 0)
            let size = try file.size()
            report.segments += 1
            if let e = expected, e != base {
                report.problems.append(Problem(severity: .corruption, file: logPath, position: 0, message: "segment starts at offset \(base), the previous one ended at \(e)"))
            }
            var next = base
            var frameStarts: [Int: Int64] = [:]
            var decodeFailure: (Int, String)?
            let end = try FrameScanner.scanVerified(file, from: 0, to: size) { position, header, bytes in
                guard header.baseOffset == next else { return "batch offset \(header.baseOffset) does not follow \(next)" }
                do {
                    var count = 0
                    try BatchFormat.forEachRecord(in: bytes, header: header) { view in
                        _ = try view.headers()
                        count += 1
                    }
                    report.records += count
                } catch {
                    decodeFailure = (position, "records do not decode: \(error)")
                    return "records do not decode"
                }
                frameStarts[position] = header.baseOffset
                report.batches += 1
                report.bytes += header.frameSize
                next = header.nextOffset
                return nil
            }
            switch end {
            case .complete:
                if let flushed, flushed.base == base, size < flushed.position {
                    report.problems.append(Problem(
                        severity: .corruption, file: logPath, position: size,
                        message: "the file ends at byte \(size) but \(flushed.position) bytes were flushed (recovery checkpoint): it was cut outside the log"))
                }
            case .incomplete(let position), .invalid(let position, _):
                var reason = "incomplete batch"
                if case .invalid(_, let why) = end { reason = decodeFailure?.1 ?? why }
                let intactAfter = try FrameScanner.intactFrameExists(file, after: position, end: size, expectedOffset: next)
                if RecoveryCheckpoint.covers(flushed, base: base, position: position) {
                    report.problems.append(Problem(severity: .corruption, file: logPath, position: position, message: RecoveryCheckpoint.belowCheckpoint(reason)))
                } else if isLast && !intactAfter {
                    let message = writerRunning
                        ? "\(size - position) bytes after the last whole batch: a write in progress (the writer holds the lock)"
                        : "torn tail of \(size - position) bytes (\(reason)): the remains of an interrupted write; a writer opening the log after a crash cuts it off"
                    report.problems.append(Problem(severity: .warning, file: logPath, position: position, message: message))
                } else {
                    report.problems.append(Problem(severity: .corruption, file: logPath, position: position, message: reason))
                }
            }
            verifyIndex(path: FileSystem.join(path, Segment.name(base: base, suffix: ".index")), base: base, frameStarts: frameStarts, segmentSize: size, into: &report)
            // After damage the next segment's start cannot be checked against anything.
            expected = end == .complete ? next : nil
        }
    }

    /// The index is rebuildable, so a bad one is a warning; it must still never point a reader at
    /// something that is not the start of the batch it names.
    private static func verifyIndex(path: String, base: Int64, frameStarts: [Int: Int64], segmentSize: Int, into report: inout Report) {
        guard FileSystem.exists(path) else { return }
        guard let bytes = try? FileSystem.readFile(path) else {
            report.problems.append(Problem(severity: .warning, file: path, position: nil, message: "offset index is unreadable; it is rebuilt on open"))
            return
        }
        guard let index = OffsetIndex.parse(bytes, segmentSize: segmentSize) else {
            report.problems.append(Problem(severity: .warning, file: path, position: nil, message: "offset index is malformed; it is rebuilt on open"))
            return
        }
        for entry in index.entries where frameStarts[Int(entry.position)] != base + Int64(entry.relativeOffset) {
            report.problems.append(
                Problem(severity: .warning, file: path, position: nil,
                        message: "index entry for offset \(base + Int64(entry.relativeOffset)) points at byte \(entry.position), which is not that batch; it is rebuilt on open"))
            return
        }
    }
}
