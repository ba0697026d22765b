#if canImport(Glibc)
import Glibc
#endif
import Foundation
import ScopeCore
import Synchronization

/// What an append did.
public struct AppendResult: Sendable, Equatable {
    public var baseOffset: Int64
    public var lastOffset: Int64
    /// True when the batch was a retry of one already in the log: nothing was written and the
    /// offsets are the original ones.
    public var duplicate: Bool
}

/// One batch inside a fetch buffer.
struct FetchedFrame: Sendable {
    var start: Int
    var header: BatchFormat.Header
}

/// Records read from one partition: a buffer of whole, CRC-checked batches.
public struct FetchResult: Sendable {
    public let topicPartition: TopicPartition
    /// Records below this offset (the start of the first batch) are not part of the result.
    public let fromOffset: Int64
    public let highWatermark: Int64
    public let logStartOffset: Int64
    let buffer: [UInt8]
    let frames: [FetchedFrame]

    /// Where the next fetch continues.
    public var nextOffset: Int64 { frames.last?.header.nextOffset ?? fromOffset }
    public var isEmpty: Bool { frames.isEmpty }
    public var bytes: Int { frames.reduce(0) { $0 + $1.header.frameSize } }

    /// Visits each record at or after `fromOffset` without copying it.
    public func forEachRecord(_ body: (BatchFormat.RecordView) throws -> Void) throws {
        try buffer.withUnsafeBytes { raw in
            for frame in frames {
                let bytes = UnsafeRawBufferPointer(rebasing: raw[frame.start..<(frame.start + frame.header.frameSize)])
                try BatchFormat.forEachRecord(in: bytes, header: frame.header) { view in
                    if view.offset >= fromOffset { try body(view) }
                }
            }
        }
    }

    public func records() throws -> [Record] {
        var out: [Record] = []
        try forEachRecord { out.append(try $0.materialize()) }
        return out
    }
}

/// Size and offsets of a partition, for listings and metrics.
public struct PartitionStatus: Sendable, Equatable {
    public var topicPartition: TopicPartition
    public var logStartOffset: Int64
    public var logEndOffset: Int64
    public var highWatermark: Int64
    public var segments: Int
    public var bytes: Int
    public var corruption: String?
    /// With corruption: the first offset that cannot be read…
    public var corruptFromOffset: Int64? = nil
    /// …and how far the partition's data reaches past it, as far as batch headers after the damage
    /// and the writer's last published high watermark tell. Listings and metrics report this as
    /// the partition's end: the records are there (acknowledged, counted as lag), only unreadable.
    public var endOffsetPastCorruption: Int64? = nil
    /// With corruption: batches that fail their check, from the first damage to the end of the data.
    public var corruptBatches: Int = 0
    /// A failed fsync: the partition takes no more writes (see `PartitionLog.failure`).
    public var writeFailure: String?

    /// The end offset to report (listings, `kafka_topic_partition_current_offset`, lag): the high
    /// watermark, or with corruption how far the acknowledged data reaches past it. Reporting only
    /// the readable part would make acknowledged records vanish from every view.
    public var reportedEndOffset: Int64 { max(highWatermark, endOffsetPastCorruption ?? highWatermark) }
}

/// One partition: an ordered list of segments, the last one active (appended to).
///
/// Invariants (all mutable state is guarded by `lock`):
/// - segments are sorted by base offset, each one's `nextOffset` is the next one's base offset,
///   and the last one's `nextOffset` is `logEndOffset`;
/// - `logStartOffset ≤ highWatermark ≤ logEndOffset`; records at or above the high watermark
///   are not yet acknowledged (an `acks=all` write waiting for its fsync) and are never served;
/// - after a corruption is found nothing at or past it is served and no append is accepted;
/// - after an fsync fails no append is accepted (what was written since can no longer be promised
///   durable, and later writes could not be acknowledged in order).
final class PartitionLog: @unchecked Sendable {
    let topicPartition: TopicPartition
    let directory: String
    let readOnly: Bool
    private let lock = NSLock()
    private var config: TopicConfig
    private var segments: [Segment] = []
    private var logEndOffset: Int64 = 0
    private var highWatermark: Int64 = 0
    /// `acks=all` batches waiting for their fsync, oldest first.
    private var pendingDurable: [(start: Int64, commit: GroupCommit, ticket: UInt64)] = []
    /// The first fsync failure; sticky.
    private var failure: LogError?
    /// Where the writer publishes the high watermark for read-only processes (writer only).
    private var watermarkFile: HighWatermarkFile?
    /// How far the active segment is known to be on disk (writer only).
    private var checkpoint: RecoveryCheckpoint?
    private var producers = ProducerStateTable()
    /// The first damage found: where it is, why, and the offset of the batch that should have
    /// been there (nothing at or past it is served).
    private var corruption: (file: String, position: Int, reason: String, offset: Int64)?
    private let fsyncs: FsyncCounter
    private var isClosed = false
    /// Something was appended (or recovery changed a file) since the partition was opened.
    private var modified = false
    private let clock: any Clock
    private let appendedBytes = Atomic<UInt64>(0)
    var bytesAppended: UInt64 { appendedBytes.load(ordering: .relaxed) }
    /// Its own lock: acknowledgements record their latency without queueing behind appends.
    private let appendDurations = Mutex(Histogram(upperBounds: Histogram.latencySeconds))

    private init(
        topicPartition: TopicPartition, directory: String, config: TopicConfig, readOnly: Bool,
        fsyncs: FsyncCounter, clock: any Clock
    ) {
        self.topicPartition = topicPartition
        self.directory = directory
        self.config = config
        self.readOnly = readOnly
        self.fsyncs = fsyncs
        self.clock = clock
    }

    private var logStartOffset: Int64 { segments.first?.baseOffset ?? 0 }

    // MARK: Opening and recovery

    /// Opens (and for a writer, creates and recovers) the partition in `directory`.
    /// `clean` says the previous writer closed the log cleanly, so the active segment needs no scan.
    static func open(
        _ tp: TopicPartition, directory: String, config: TopicConfig, clean: Bool, readOnly: Bool, create: Bool = false,
        fsyncs: FsyncCounter, clock: any Clock, notes: inout [RecoveryNote]
    ) throws(LogError) -> PartitionLog {
        let log = PartitionLog(
            topicPartition: tp, directory: directory, config: config, readOnly: readOnly, fsyncs: fsyncs, clock: clock)
        if create && !readOnly {
            try FileSystem.createDirectory(directory)
        } else if !FileSystem.isDirectory(directory) {
            // Never recreate a lost partition empty: its offsets would be handed out again.
            let reason = "the partition directory is missing; restore it from a backup or recreate the topic"
            log.corruption = (directory, 0, reason, 0)
            notes.append(.corruption(file: directory, position: 0, reason: reason))
            return log
        }
        let names = try FileSystem.list(directory)
        let bases = names.compactMap { Segment.baseOffset(ofFile: $0, suffix: ".log") }.sorted()
        if !readOnly {
            try log.removeStrayFiles(names, bases: bases)
            log.checkpoint = try RecoveryCheckpoint(partitionDirectory: directory)
        }
        if bases.isEmpty {
            guard !readOnly else { return log }
            log.segments = [try log.createSegment(base: 0)]
            try FileSystem.syncDirectory(directory)
            log.watermarkFile = try HighWatermarkFile(partitionDirectory: directory, forWriting: true)
            log.watermarkFile?.publish(0)
            return log
        }
        for (i, base) in bases.enumerated() {
            let isActive = i == bases.count - 1
            let segment = try log.openSegment(base: base)
            log.segments.append(segment)
            if let previous = log.segments.dropLast().last, previous.nextOffset != base, log.corruption == nil {
                // Reads stop at the end of the previous segment, the last data known to be whole.
                let reason = "the next segment starts at offset \(base), not at \(previous.nextOffset)"
                log.markCorrupt(previous, position: previous.size, reason: reason, notes: &notes)
            }
            if log.corruption != nil {
                // Not loaded: it must look new, or age retention would take it for ancient.
                segment.maxTimestampMs = .max
                continue
            }
            if readOnly {
                try log.loadReadOnly(segment, isActive: isActive)
            } else if isActive && !clean {
                try log.recoverActive(segment, notes: &notes)
            } else {
                try log.loadTrusted(segment, notes: &notes)
            }
        }
        if !readOnly, let active = log.segments.last, log.corruption == nil {
            try log.checkFlushedBytesPresent(active, fileSize: active.file.size(), flushed: log.checkpoint?.current, notes: &notes)
        }
        log.logEndOffset = log.segments.last!.nextOffset
        log.highWatermark = log.visibleEnd()
        try log.rebuildProducerState()
        if !readOnly {
            let active = log.segments.last!
            let known = log.checkpoint?.current
            if !clean && log.corruption == nil && active.size > 0 && (known?.base != active.baseOffset || known?.position != active.size) {
                // What recovery kept goes to disk now: damage below it is never taken for a torn tail.
                try active.commit.syncAll(upTo: active.size)
            }
            log.watermarkFile = try HighWatermarkFile(partitionDirectory: directory, forWriting: true)
            log.watermarkFile?.publish(log.highWatermark)
        }
        return log
    }

    /// End offset of the readable data: the log end, or where the first corruption starts.
    private func visibleEnd() -> Int64 {
        let end = segments.last?.nextOffset ?? 0
        return corruption.map { min($0.offset, end) } ?? end
    }

    private func removeStrayFiles(_ names: [String], bases: [Int64]) throws(LogError) {
        let known = Set(bases)
        for name in names {
            let path = FileSystem.join(directory, name)
            if name.hasSuffix(".tmp") {
                try FileSystem.remove(path)
            } else if let base = Segment.baseOffset(ofFile: name, suffix: ".index"), !known.contains(base) {
                try FileSystem.remove(path)
            }
        }
    }

    private func openSegment(base: Int64) throws(LogError) -> Segment {
        let path = FileSystem.join(directory, Segment.name(base: base, suffix: ".log"))
        let file = try FileHandleRef(path: path, flags: readOnly ? O_RDONLY : O_RDWR)
        let segment = Segment(
            baseOffset: base, file: file, indexPath: FileSystem.join(directory, Segment.name(base: base, suffix: ".index")), size: 0,
            fsyncs: fsyncs, checkpoint: checkpoint)
        segment.createdAtMs = clock.nowMs()
        return segment
    }

    private func createSegment(base: Int64) throws(LogError) -> Segment {
        let path = FileSystem.join(directory, Segment.name(base: base, suffix: ".log"))
        let file = try FileHandleRef(path: path, flags: O_RDWR | O_CREAT | O_EXCL)
        let segment = Segment(
            baseOffset: base, file: file, indexPath: FileSystem.join(directory, Segment.name(base: base, suffix: ".index")), size: 0,
            fsyncs: fsyncs, checkpoint: checkpoint)
        segment.createdAtMs = clock.nowMs()
        return segment
    }

    /// A segment the previous writer fsynced (sealed, or active after a clean close): trust the
    /// index file if it is plausible and walk batch headers from its last entry to find the end.
    /// Anything that does not add up falls back to a full, CRC-checked rebuild.
    private func loadTrusted(_ segment: Segment, notes: inout [RecoveryNote]) throws(LogError) {
        let fileSize = try segment.file.size()
        if let bytes = try? FileSystem.readFile(segment.indexPath), let index = OffsetIndex.parse(bytes, segmentSize: fileSize) {
            segment.index = index
            segment.bytesSinceIndexEntry = 0
            let start = index.lastPosition
            var expected: Int64? = nil
            let end = try FrameScanner.walkHeaders(segment.file, from: start, to: fileSize) { position, header in
                if let e = expected, header.baseOffset != e { return "offset \(header.baseOffset) does not follow \(e)" }
                if position == start, let last = index.entries.last, header.baseOffset != segment.baseOffset + Int64(last.relativeOffset) {
                    return "index entry does not match its batch"
                }
                if position == 0, header.baseOffset != segment.baseOffset { return "first batch is not at the segment's base offset" }
                expected = header.nextOffset
                segment.noteBatch(header, at: position, indexInterval: config.indexIntervalBytes)
                return nil
            }
            if end == .complete && segment.size == fileSize {
                if start > 0 { try readFirstTimestamp(segment) }
                if let stamped = index.maxTimestampMs {
                    segment.maxTimestampMs = max(segment.maxTimestampMs, stamped)
                } else if start > 0 {
                    // No timestamp trailer: the segment's age needs every batch's header.
                    _ = try FrameScanner.walkHeaders(segment.file, from: 0, to: start) { _, header in
                        segment.maxTimestampMs = max(segment.maxTimestampMs, header.maxTimestamp)
                        return nil
                    }
                }
                return
            }
        }
        // The index was missing or stale: rebuild it from a verified scan.
        segment.index = OffsetIndex()
        segment.bytesSinceIndexEntry = 0
        segment.size = 0
        segment.nextOffset = segment.baseOffset
        let end = try verifiedScan(segment, to: fileSize)
        if !readOnly { notes.append(.rebuiltIndex(file: segment.indexPath)) }
        switch end {
        case .complete:
            if !readOnly { try segment.writeIndexFile() }
        case .incomplete(let position):
            markCorrupt(segment, position: position, reason: "batch runs past the end of the segment", notes: &notes)
        case .invalid(let position, let reason):
            markCorrupt(segment, position: position, reason: reason, notes: &notes)
        }
    }

    /// The first batch's timestamp decides when a segment rolls by age; a walk from the last index
    /// entry does not see it.
    private func readFirstTimestamp(_ segment: Segment) throws(LogError) {
        let bytes = try segment.file.read(at: 0, count: BatchFormat.headerSize)
        guard bytes.count == BatchFormat.headerSize else { return }
        segment.firstTimestampMs = bytes.withUnsafeBytes { BatchFormat.parseHeader($0) }.baseTimestamp
    }

    /// The active segment after an unclean shutdown: verify every batch, then decide what the
    /// first damage is. Only the remains of an interrupted write are cut, and only past the
    /// recovery checkpoint: damage below it (data that was flushed and acknowledged) or with
    /// intact data after it is corruption, reported and never truncated away. Without a
    /// checkpoint, only what looks like an interrupted write is cut: a batch that runs past the
    /// end of the file, or one whose tail is zero-filled from a sector boundary on (what a power
    /// cut leaves of unflushed pages).
    private func recoverActive(_ segment: Segment, notes: inout [RecoveryNote]) throws(LogError) {
        let fileSize = try segment.file.size()
        let end = try verifiedScan(segment, to: fileSize)
        let badPosition: Int
        let reason: String
        switch end {
        case .complete:
            return
        case .incomplete(let position):
            badPosition = position
            reason = "incomplete batch"
        case .invalid(let position, let why):
            badPosition = position
            reason = why
        }
        if RecoveryCheckpoint.covers(checkpoint?.current, base: segment.baseOffset, position: badPosition) {
            markCorrupt(segment, position: badPosition, reason: RecoveryCheckpoint.belowCheckpoint(reason), notes: &notes)
        } else if try FrameScanner.intactFrameExists(segment.file, after: badPosition, end: fileSize, expectedOffset: segment.nextOffset) {
            markCorrupt(segment, position: badPosition, reason: reason, notes: &notes)
        } else if checkpoint?.current == nil, case .invalid = end, try !isInterruptedWrite(segment, at: badPosition, fileSize: fileSize) {
            // Without a checkpoint nothing says where flushed data ends: only what looks like an
            // interrupted write is cut. With one, everything past it was never flushed (never
            // acknowledged as durable), so damage there with nothing intact after it is the tail.
            markCorrupt(segment, position: badPosition, reason: "\(reason) (a complete batch, not an interrupted write)", notes: &notes)
        } else {
            try segment.file.truncate(to: badPosition)
            try segment.file.syncData()
            modified = true
            notes.append(.truncatedTornTail(file: segment.logPath, position: badPosition, bytes: fileSize - badPosition))
        }
    }

    /// True when the damaged frame at `position` looks like an interrupted write: its length runs
    /// past the file, it is too short to hold a header, or from some 512-byte boundary to its end
    /// it is all zeros.
    private func isInterruptedWrite(_ segment: Segment, at position: Int, fileSize: Int) throws(LogError) -> Bool {
        let head = try segment.file.read(at: position, count: min(4, fileSize - position))
        guard head.count == 4 else { return true }
        let length = head.reduce(0) { $0 << 8 | Int($1) }
        if length == 0 { return true }
        guard length >= BatchFormat.headerSize - 4, length <= BatchFormat.maxFrameLength, position + 4 + length <= fileSize else {
            return position + 4 + length > fileSize
        }
        let frame = try segment.file.read(at: position, count: 4 + length)
        guard let lastNonZero = frame.lastIndex(where: { $0 != 0 }) else { return true }
        let zerosFrom = position + lastNonZero + 1
        let boundary = (zerosFrom + 511) / 512 * 512
        return boundary < position + frame.count
    }

    /// A read-only view: what validates is visible; a damaged frame at the very end of the active
    /// segment, past the recovery checkpoint, may be a write in progress and simply ends the view.
    private func loadReadOnly(_ segment: Segment, isActive: Bool) throws(LogError) {
        var notes: [RecoveryNote] = []
        if !isActive {
            try loadTrusted(segment, notes: &notes)
            return
        }
        try extendReadOnly(segment)
    }

    /// Verifies what the writer appended to `segment` since the last look; returns the file size
    /// it looked at. Damage in data the recovery checkpoint covers is corruption, never a write in
    /// progress: the writer moves the checkpoint only after that data was whole on disk.
    @discardableResult
    private func extendReadOnly(_ segment: Segment) throws(LogError) -> Int {
        // Read before the file's size and bytes: what it covers was written whole before any of
        // them was read, so a live writer's later appends cannot make it look ahead of the file.
        let flushed = RecoveryCheckpoint.read(partitionDirectory: directory)
        let fileSize = try segment.file.size()
        var ignored: [RecoveryNote] = []
        let end = try verifiedScan(segment, to: fileSize, from: segment.size)
        let position: Int
        let reason: String
        switch end {
        case .complete:
            checkFlushedBytesPresent(segment, fileSize: fileSize, flushed: flushed, notes: &ignored)
            return fileSize
        case .incomplete(let at):
            (position, reason) = (at, "incomplete batch")
        case .invalid(let at, let why):
            (position, reason) = (at, why)
        }
        if RecoveryCheckpoint.covers(flushed, base: segment.baseOffset, position: position) {
            markCorrupt(segment, position: position, reason: RecoveryCheckpoint.belowCheckpoint(reason), notes: &ignored)
        } else if case .invalid = end,
            try FrameScanner.intactFrameExists(segment.file, after: position, end: fileSize, expectedOffset: segment.nextOffset)
        {
            // Damage followed by an intact batch cannot be a write in progress: it is corruption.
            // Without one it may be the writer's current batch, not yet wholly visible.
            markCorrupt(segment, position: position, reason: reason, notes: &ignored)
        }
        return fileSize
    }

    /// A segment file shorter than the bytes the recovery checkpoint says were flushed to it was
    /// cut outside the log (even at a batch boundary): acknowledged records are gone, which is
    /// corruption to report, never a log that merely ends earlier.
    private func checkFlushedBytesPresent(
        _ segment: Segment, fileSize: Int, flushed: (base: Int64, position: Int)?, notes: inout [RecoveryNote]
    ) {
        guard let flushed, flushed.base == segment.baseOffset, fileSize < flushed.position else { return }
        markCorrupt(
            segment, position: fileSize,
            reason: "the file ends at byte \(fileSize) but \(flushed.position) bytes were flushed (recovery checkpoint): it was cut outside the log",
            notes: &notes)
    }

    /// CRC-checked scan from `start` (a batch boundary), noting every batch in the segment.
    private func verifiedScan(_ segment: Segment, to fileSize: Int, from start: Int = 0) throws(LogError) -> ScanEnd {
        var expected = segment.nextOffset
        return try FrameScanner.scanVerified(segment.file, from: start, to: fileSize) { position, header, _ in
            if header.baseOffset != expected {
                return "batch offset \(header.baseOffset) does not follow \(expected)"
            }
            expected = header.nextOffset
            segment.noteBatch(header, at: position, indexInterval: config.indexIntervalBytes)
            return nil
        }
    }

    private func markCorrupt(_ segment: Segment, position: Int, reason: String, notes: inout [RecoveryNote]) {
        guard corruption == nil else { return }
        // Called from scans, which have noted every batch before the damage: the segment's next
        // offset is the damaged batch's.
        corruption = (segment.logPath, position, reason, segment.nextOffset)
        notes.append(.corruption(file: segment.logPath, position: position, reason: reason))
    }

    // MARK: Producer state

    private func snapshotPath(_ offset: Int64) -> String {
        FileSystem.join(directory, Segment.name(base: offset, suffix: ".snapshot"))
    }

    /// Latest intact snapshot at or below the end of the log, then every batch header after it.
    private func rebuildProducerState() throws(LogError) {
        let names = (try? FileSystem.list(directory)) ?? []
        let snapshots = names.compactMap { Segment.baseOffset(ofFile: $0, suffix: ".snapshot") }.sorted(by: >)
        var from = logStartOffset
        producers = ProducerStateTable()
        for offset in snapshots where offset <= logEndOffset && offset >= logStartOffset {
            if let bytes = try? FileSystem.readFile(snapshotPath(offset)), let table = ProducerStateTable.parse(bytes) {
                producers = table
                from = offset
                break
            }
        }
        guard from < logEndOffset else { return }
        for segment in segments where segment.nextOffset > from {
            let start = segment.baseOffset >= from ? 0 : segment.index.floorPosition(relativeOffset: UInt32(from - segment.baseOffset))
            _ = try FrameScanner.walkHeaders(segment.file, from: start, to: segment.size) { _, header in
                if header.baseOffset >= from { producers.record(header) }
                return nil
            }
        }
    }

    private func writeProducerSnapshot() throws(LogError) {
        try FileSystem.writeFileAtomically(snapshotPath(logEndOffset), producers.serialized())
        // Two are kept: the newest, and one before it in case the newest is damaged.
        let names = try FileSystem.list(directory)
        let snapshots = names.compactMap { Segment.baseOffset(ofFile: $0, suffix: ".snapshot") }.sorted(by: >)
        for old in snapshots.dropFirst(2) { try FileSystem.remove(snapshotPath(old)) }
    }

    var largestProducerId: Int64 {
        lock.lock()
        defer { lock.unlock() }
        return producers.largestProducerId
    }

    // MARK: Appending

    /// An append written to the segment, possibly still waiting for its fsync (`acks=all`).
    struct PendingAppend {
        var result: AppendResult
        /// Group commits (and tickets in them) this write must wait for: its own for `acks=all`,
        /// or the original's when a retried batch arrives before the original was fsynced.
        var durability: [(commit: GroupCommit, ticket: UInt64)]
        var startedNanos: UInt64
    }

    /// Appends `records` as one batch and returns once it is acknowledged per `acks`.
    func append(_ records: [ProducerRecord], producer: ProducerBatchIdentity?, acks: Acks) throws(LogError) -> AppendResult {
        let pending = try write(records, producer: producer, acks: acks)
        try acknowledge(pending)
        return pending.result
    }

    /// First half of an append: writes the batch and returns without waiting for durability, so a
    /// caller writing to several partitions waits for one shared fsync instead of one each.
    func write(_ records: [ProducerRecord], producer: ProducerBatchIdentity?, acks: Acks) throws(LogError) -> PendingAppend {
        guard !records.isEmpty else { throw .invalidArgument("a batch needs at least one record") }
        let started = monotonicNanos()
        lock.lock()
        defer { lock.unlock() }
        let (result, waits) = try appendLocked(records, producer: producer, acks: acks)
        return PendingAppend(result: result, durability: waits.map { (commit: $0.0, ticket: $0.1) }, startedNanos: started)
    }

    /// Second half: waits until the write is acknowledged and makes it visible to consumers.
    func acknowledge(_ pending: PendingAppend) throws(LogError) {
        for (commit, ticket) in pending.durability {
            do throws(LogError) {
                try commit.waitDurable(ticket)
            } catch {
                lock.lock()
                if failure == nil { failure = error }
                lock.unlock()
                throw error
            }
        }
        if !pending.durability.isEmpty {
            // Move (and publish, for read-only processes) the high watermark past this write now.
            lock.lock()
            advanceHighWatermark()
            lock.unlock()
        }
        if !pending.result.duplicate {
            let seconds = Double(monotonicNanos() - pending.startedNanos) / 1e9
            appendDurations.withLock { $0.observe(seconds) }
        }
    }

    /// The latest record timestamp the log accepts (9999-12-31T23:59:59.999Z); earlier than the
    /// epoch is refused too. Keeps age arithmetic far from overflow.
    static let maxTimestampMs: Int64 = 253_402_300_799_999

    private func appendLocked(
        _ records: [ProducerRecord], producer: ProducerBatchIdentity?, acks: Acks
    ) throws(LogError) -> (AppendResult, [(GroupCommit, UInt64)]) {
        guard !readOnly else { throw .readOnly }
        guard !isClosed else { throw .closed }
        if let corruption { throw .corruptBatch(file: corruption.file, position: corruption.position, reason: corruption.reason) }
        if let failure { throw failure }
        // Retire fsynced entries here too, so a log nobody reads does not accumulate them.
        advanceHighWatermark()
        if let producer, case .duplicate(let original) = try producers.check(producer, count: records.count, partition: topicPartition) {
            // A retry may arrive before the original was fsynced: it is acknowledged only when
            // everything up to the original is.
            let waits = pendingDurable.filter { $0.start <= original.lastOffset }.map { ($0.commit, $0.ticket) }
            return (AppendResult(baseOffset: original.baseOffset, lastOffset: original.lastOffset, duplicate: true), waits)
        }
        for record in records {
            if let ts = record.timestampMs, ts < 0 || ts > Self.maxTimestampMs {
                throw .invalidArgument("record timestamp \(ts) ms is outside 1970-01-01 … 9999-12-31")
            }
        }
        let now = clock.nowMs()
        let batch = BatchFormat.encode(records, baseOffset: logEndOffset, defaultTimestampMs: now, producer: producer)
        guard batch.count - 4 <= BatchFormat.maxFrameLength else {
            throw .recordTooLarge(bytes: batch.count, limit: BatchFormat.maxFrameLength + 4)
        }
        try rollIfNeeded(incomingBytes: batch.count, incomingRecords: records.count, now: now)
        let active = segments[segments.count - 1]
        let position = active.size
        do throws(LogError) {
            try active.file.write(at: position, batch)
        } catch {
            // Never leave half a batch behind a good one: cut back to the last whole batch.
            try? active.file.truncate(to: position)
            throw error
        }
        let header = batch.withUnsafeBytes { BatchFormat.parseHeader($0) }
        active.noteBatch(header, at: position, indexInterval: config.indexIntervalBytes)
        logEndOffset = header.nextOffset
        modified = true
        producers.record(header)
        appendedBytes.add(UInt64(batch.count), ordering: .relaxed)
        var waits: [(GroupCommit, UInt64)] = []
        if acks == .all {
            let ticket = active.commit.register(upTo: active.size)
            pendingDurable.append((header.baseOffset, active.commit, ticket))
            waits = [(active.commit, ticket)]
        } else {
            advanceHighWatermark()
        }
        return (AppendResult(baseOffset: header.baseOffset, lastOffset: header.lastOffset, duplicate: false), waits)
    }

    /// Moves the high watermark past every `acks=all` batch whose fsync completed (never past a
    /// corruption).
    private func advanceHighWatermark() {
        let done = pendingDurable.prefix(while: { $0.commit.isDurable($0.ticket) }).count
        pendingDurable.removeFirst(done)
        let advanced = min(pendingDurable.first?.start ?? logEndOffset, visibleEnd())
        if advanced != highWatermark {
            highWatermark = advanced
            watermarkFile?.publish(advanced)
        }
    }

    private func rollIfNeeded(incomingBytes: Int, incomingRecords: Int, now: Int64) throws(LogError) {
        let active = segments[segments.count - 1]
        guard active.size > 0 else { return }
        let tooBig = active.size + incomingBytes > config.segmentBytes
        // Age counts from the later of the segment's creation and its first record, so records
        // stamped in the past do not roll a segment per batch.
        let tooOld = now - max(active.createdAtMs, active.firstTimestampMs == .max ? now : active.firstTimestampMs) >= config.segmentMs
        // Relative offsets in the index are 32-bit.
        let tooManyOffsets = logEndOffset + Int64(incomingRecords) - active.baseOffset > Int64(UInt32.max)
        guard tooBig || tooOld || tooManyOffsets else { return }
        try roll()
    }

    /// Seals the active segment (fsync, index file, producer snapshot) and starts a new one.
    private func roll() throws(LogError) {
        let active = segments[segments.count - 1]
        try active.commit.syncAll(upTo: active.size)
        try active.writeIndexFile()
        try writeProducerSnapshot()
        segments.append(try createSegment(base: logEndOffset))
        try FileSystem.syncDirectory(directory)
        try enforceRetentionLocked()
    }

    // MARK: Retention

    /// Deletes whole sealed segments past the size or age limit; returns how many went.
    @discardableResult
    func enforceRetention() throws(LogError) -> Int {
        lock.lock()
        defer { lock.unlock() }
        return try enforceRetentionLocked()
    }

    @discardableResult
    private func enforceRetentionLocked() throws(LogError) -> Int {
        guard !readOnly else { return 0 }
        let now = clock.nowMs()
        var total = segments.reduce(0) { $0 + $1.size }
        var deleted = 0
        // Nothing at or after damage is deleted: it is evidence, and what follows it is unread.
        let deletable = corruption.flatMap { c in segments.firstIndex(where: { $0.logPath == c.file }) } ?? (segments.count - 1)
        while deleted < deletable && segments.count > 1 {
            let oldest = segments[0]
            let overSize = config.retentionBytes >= 0 && Int64(total - oldest.size) >= config.retentionBytes
            let overAge = config.retentionMs >= 0 && oldest.maxTimestampMs < now - config.retentionMs
            guard overSize || overAge else { break }
            try FileSystem.remove(oldest.indexPath)
            try FileSystem.remove(oldest.logPath)
            total -= oldest.size
            segments.removeFirst()
            deleted += 1
        }
        return deleted
    }

    /// Deletes every segment entirely below `offset` (used to compact internal topics after a
    /// snapshot was written past it).
    func deleteSegments(below offset: Int64) throws(LogError) {
        lock.lock()
        defer { lock.unlock() }
        var deleted = false
        while segments.count > 1 && segments[1].baseOffset <= offset {
            try FileSystem.remove(segments[0].indexPath)
            try FileSystem.remove(segments[0].logPath)
            segments.removeFirst()
            deleted = true
        }
        // Durable removal, oldest first: after a power cut no subset with a gap can reappear.
        if deleted { try FileSystem.syncDirectory(directory) }
    }

    /// Starts a new segment now (no-op when the active one is empty).
    func forceRoll() throws(LogError) {
        lock.lock()
        defer { lock.unlock() }
        guard !readOnly, let active = segments.last, active.size > 0 else { return }
        try roll()
    }

    // MARK: Reading

    /// Reads whole batches starting with the one holding `offset`, up to about `maxBytes`
    /// (at least one batch), never past the high watermark or a corruption.
    func fetch(from offset: Int64, maxBytes: Int) throws(LogError) -> FetchResult {
        try fetch(from: offset, maxBytes: maxBytes, trustIndex: true)
    }

    private func fetch(from offset: Int64, maxBytes: Int, trustIndex: Bool) throws(LogError) -> FetchResult {
        struct Plan {
            var segment: Segment
            var start: Int
            var end: Int
        }
        lock.lock()
        if readOnly {
            do throws(LogError) { try refreshLocked() } catch {
                lock.unlock()
                throw error
            }
        } else {
            advanceHighWatermark()
        }
        let hw = highWatermark
        let start = logStartOffset
        let corruptionNow = corruption
        if let corruptionNow, offset >= corruptionNow.offset {
            lock.unlock()
            throw .corruptBatch(file: corruptionNow.file, position: corruptionNow.position, reason: corruptionNow.reason)
        }
        guard offset >= start && offset <= hw else {
            lock.unlock()
            throw .offsetOutOfRange(topic: topicPartition.topic, partition: topicPartition.partition, offset: offset, start: start, end: hw)
        }
        var plans: [Plan] = []
        if offset < hw, var i = segments.lastIndex(where: { $0.baseOffset <= offset }) {
            while i < segments.count {
                let segment = segments[i]
                let from = plans.isEmpty ? segment.index.floorPosition(relativeOffset: UInt32(offset - segment.baseOffset)) : 0
                var end = segment.size
                if let corruptionNow, corruptionNow.file == segment.logPath { end = min(end, corruptionNow.position) }
                plans.append(Plan(segment: segment, start: from, end: end))
                if segment.nextOffset >= hw || end < segment.size { break }
                i += 1
            }
        }
        lock.unlock()

        reading: for (n, plan) in plans.enumerated() {
            let outcome = try readFrames(
                plan.segment, from: plan.start, end: plan.end, offset: offset, hw: hw, maxBytes: maxBytes,
                checkIndex: n == 0 && plan.start > 0)
            switch outcome {
            case .batches(let buffer, let frames, let reachedHighWatermark):
                if !frames.isEmpty {
                    return FetchResult(
                        topicPartition: topicPartition, fromOffset: offset, highWatermark: hw, logStartOffset: start, buffer: buffer,
                        frames: frames)
                }
                if reachedHighWatermark { break reading }
            case .staleIndex:
                // The index pointed somewhere that is not the batch it names: rebuild it from the
                // segment (a verified scan decides whether the data itself is damaged) and retry.
                guard trustIndex else {
                    throw corrupt(plan.segment, at: plan.start, "the rebuilt offset index still does not match the segment")
                }
                lock.lock()
                do throws(LogError) { try rebuildIndexLocked(plan.segment) } catch {
                    lock.unlock()
                    throw error
                }
                lock.unlock()
                return try fetch(from: offset, maxBytes: maxBytes, trustIndex: false)
            }
        }
        return FetchResult(topicPartition: topicPartition, fromOffset: offset, highWatermark: hw, logStartOffset: start, buffer: [], frames: [])
    }

    private enum ReadOutcome {
        /// Whole batches (possibly none); the flag says the high watermark ended the read.
        case batches([UInt8], [FetchedFrame], reachedHighWatermark: Bool)
        /// The first batch at an index position is not the batch the index names.
        case staleIndex
    }

    /// Reads from `start` and collects the whole batches holding offsets in `offset..<hw`,
    /// reading on until it finds one (at least one batch, about `maxBytes` in all). Batches
    /// before damage are returned; the damage itself is reported by the next read.
    /// With `checkIndex`, `start` came from the offset index and is verified to hold the batch
    /// with `offset` (or an earlier one) before anything is trusted.
    private func readFrames(
        _ segment: Segment, from start: Int, end: Int, offset: Int64, hw: Int64, maxBytes: Int, checkIndex: Bool
    ) throws(LogError) -> ReadOutcome {
        var position = start
        var minimum = 64 << 10
        var expected: Int64? = nil
        while position < end {
            let want = min(max(maxBytes, minimum), end - position)
            let buffer = try readChunk(segment.file, at: position, count: want)
            // A file shorter than the batches it is known to hold was cut outside the log: what
            // it still holds whole is served, then the cut is reported.
            let cut = buffer.count < want
            let coversEnd = cut || position + buffer.count >= end
            var frames: [FetchedFrame] = []
            var local = 0
            scan: while local < buffer.count {
                let first = checkIndex && expected == nil
                switch buffer.withUnsafeBytes({ BatchFormat.check(UnsafeRawBufferPointer(rebasing: $0[local...])) }) {
                case .valid(let header):
                    if first && header.baseOffset > offset { return .staleIndex }
                    if let expected, header.baseOffset != expected {
                        if !frames.isEmpty { return .batches(buffer, frames, reachedHighWatermark: false) }
                        throw corrupt(segment, at: position + local, "batch offset \(header.baseOffset) does not follow \(expected)")
                    }
                    if header.baseOffset >= hw { return .batches(buffer, frames, reachedHighWatermark: true) }
                    if header.nextOffset > offset { frames.append(FetchedFrame(start: local, header: header)) }
                    expected = header.nextOffset
                    local += header.frameSize
                case .incomplete(let frameSize):
                    if coversEnd {
                        if first && !cut { return .staleIndex }
                        if !frames.isEmpty { return .batches(buffer, frames, reachedHighWatermark: false) }
                        throw corrupt(
                            segment, at: position + local,
                            cut ? "the segment file is shorter than expected (\(position + buffer.count) of \(end) bytes)"
                                : "batch runs past the end of the segment")
                    }
                    if local == 0 { minimum = max(minimum, (frameSize ?? 0) + 1, buffer.count * 2) }
                    break scan
                case .invalid(let reason):
                    if first { return .staleIndex }
                    if !frames.isEmpty { return .batches(buffer, frames, reachedHighWatermark: false) }
                    throw corrupt(segment, at: position + local, reason)
                }
            }
            if !frames.isEmpty { return .batches(buffer, frames, reachedHighWatermark: false) }
            if cut && position + local >= position + buffer.count {
                throw corrupt(segment, at: position + buffer.count, "the segment file is shorter than expected (\(position + buffer.count) of \(end) bytes)")
            }
            position += local
        }
        return .batches([], [], reachedHighWatermark: false)
    }

    /// Records damage found by a read. The batch offset there is found by walking batch headers
    /// from the nearest index entry before it (the segment's base offset if that walk fails, so
    /// that less, never more, is served).
    private func corrupt(_ segment: Segment, at position: Int, _ reason: String) -> LogError {
        lock.lock()
        defer { lock.unlock() }
        if corruption == nil {
            var offset = segment.baseOffset
            let floor = segment.index.entries.last(where: { Int($0.position) <= position })
            var next = segment.baseOffset + Int64(floor?.relativeOffset ?? 0)
            let walk = try? FrameScanner.walkHeaders(segment.file, from: Int(floor?.position ?? 0), to: position) { _, header in
                next = header.nextOffset
                return nil
            }
            if walk == .complete { offset = next }
            corruption = (segment.logPath, position, reason, offset)
            highWatermark = min(highWatermark, offset)
        }
        return .corruptBatch(file: segment.logPath, position: position, reason: reason)
    }

    /// Rebuilds a segment's index (and the end, size and timestamps derived with it) from a
    /// verified scan of the bytes it holds.
    private func rebuildIndexLocked(_ segment: Segment) throws(LogError) {
        let size = segment.size
        segment.index = OffsetIndex()
        segment.bytesSinceIndexEntry = 0
        segment.size = 0
        segment.nextOffset = segment.baseOffset
        var notes: [RecoveryNote] = []
        switch try verifiedScan(segment, to: size) {
        case .complete:
            if !readOnly && segment !== segments.last { try segment.writeIndexFile() }
        case .incomplete(let position):
            markCorrupt(segment, position: position, reason: "batch runs past the end of the segment", notes: &notes)
        case .invalid(let position, let reason):
            markCorrupt(segment, position: position, reason: reason, notes: &notes)
        }
        highWatermark = min(highWatermark, visibleEnd())
    }

    private func readChunk(_ file: FileHandleRef, at position: Int, count: Int) throws(LogError) -> [UInt8] {
        var got = 0
        var failure: LogError?
        let buffer = [UInt8](unsafeUninitializedCapacity: count) { raw, initialized in
            do throws(LogError) {
                got = try file.read(at: position, count: count, into: UnsafeMutableRawPointer(raw.baseAddress!))
            } catch {
                failure = error
            }
            initialized = got
        }
        if let failure { throw failure }
        return buffer
    }

    /// Read-only views pick up what the writer appended since the last look.
    private func refreshLocked() throws(LogError) {
        defer {
            logEndOffset = segments.last?.nextOffset ?? 0
            // A live writer may have written batches it has not acknowledged yet (an acks=all
            // write waiting for its fsync): read only as far as its published high watermark.
            let published = HighWatermarkFile.read(partitionDirectory: directory) ?? .max
            highWatermark = min(visibleEnd(), max(published, logStartOffset))
        }
        // The writer's retention deleted the oldest segments: let go of them (and their files).
        // If every known one went, the listing below starts over at the oldest that remains.
        while let first = segments.first, !FileSystem.exists(first.logPath) { segments.removeFirst() }
        guard corruption == nil else { return }
        if let last = segments.last {
            let fileSize = try extendReadOnly(last)
            // Still inside the writer's current batch (or at damage): nothing newer to look for.
            guard corruption == nil, last.size == fileSize else { return }
        }
        let names = try FileSystem.list(directory)
        let bases = names.compactMap { Segment.baseOffset(ofFile: $0, suffix: ".log") }.sorted()
        for base in bases where base > (segments.last?.baseOffset ?? -1) {
            // A new segment must continue the last one exactly (or be the first one seen).
            if let last = segments.last, last.nextOffset != base { break }
            let segment = try openSegment(base: base)
            segments.append(segment)
            let fileSize = try extendReadOnly(segment)
            if corruption != nil || segment.size != fileSize { break }
        }
    }

    // MARK: History

    /// The timestamp of the first batch held, nil when the partition is empty.
    func firstBatchTimestampMs() -> Int64? {
        lock.lock()
        if readOnly { try? refreshLocked() }
        let first = segments.first(where: { $0.size > 0 })
        lock.unlock()
        guard let first, let bytes = try? first.file.read(at: 0, count: BatchFormat.headerSize), bytes.count == BatchFormat.headerSize else {
            return nil
        }
        return bytes.withUnsafeBytes { BatchFormat.parseHeader($0) }.baseTimestamp
    }

    /// The partition's end offset as it was at each of `times` (ascending), from its batch
    /// headers: a batch counts from its append time, the running maximum of the batch timestamps
    /// in log order (so a record stamped in the past does not move the end back in time). Also
    /// the time of the first batch still held when retention has removed earlier ones (the
    /// history before it is not in the files). Segments wholly before the first time are not read.
    func endOffsets(at times: [Int64]) -> (ends: [Int64], heldFromMs: Int64?) {
        lock.lock()
        if readOnly { try? refreshLocked() }
        let limit = visibleEnd()
        let spans = segments.map { (file: $0.file, size: $0.size, maxTimestampMs: $0.maxTimestampMs, nextOffset: $0.nextOffset) }
        let start = logStartOffset
        lock.unlock()
        var ends = [Int64](repeating: start, count: times.count)
        guard let firstTime = times.first else { return (ends, nil) }
        var heldFromMs: Int64? = nil
        var effective = Int64.min
        var next = 0
        var currentEnd = start
        func reach(_ time: Int64, _ end: Int64) {
            // Every time before this batch's append time saw the end as it was before it.
            while next < times.count && times[next] < time {
                ends[next] = min(currentEnd, limit)
                next += 1
            }
            currentEnd = end
        }
        for segment in spans {
            if max(effective, segment.maxTimestampMs) <= firstTime && segment.maxTimestampMs != .max {
                effective = max(effective, segment.maxTimestampMs)
                reach(effective, segment.nextOffset)
                if start > 0 && heldFromMs == nil { heldFromMs = effective }
                continue
            }
            _ = try? FrameScanner.walkHeaders(segment.file, from: 0, to: segment.size) { _, header in
                effective = max(effective, header.maxTimestamp)
                if start > 0 && heldFromMs == nil { heldFromMs = effective }
                reach(effective, header.nextOffset)
                return nil
            }
        }
        reach(.max, currentEnd)
        return (ends, heldFromMs)
    }

    // MARK: Status and shutdown

    func status() -> PartitionStatus {
        lock.lock()
        defer { lock.unlock() }
        if readOnly { try? refreshLocked() } else { advanceHighWatermark() }
        var status = PartitionStatus(
            topicPartition: topicPartition, logStartOffset: logStartOffset, logEndOffset: logEndOffset, highWatermark: highWatermark,
            segments: segments.count, bytes: segments.reduce(0) { $0 + $1.size },
            corruption: corruption.map { "\($0.file):\($0.position): \($0.reason)" }, writeFailure: failure.map { "\($0)" })
        if let corruption {
            // The files as they are: the damaged segment and those after it were not loaded whole.
            status.bytes = segments.reduce(0) { $0 + max($1.size, (try? $1.file.size()) ?? 0) }
            let extent = damageExtentLocked(corruption)
            status.corruptFromOffset = corruption.offset
            status.endOffsetPastCorruption = extent.end
            status.corruptBatches = extent.batches
        }
        return status
    }

    /// Computed once per corruption (the damage never moves): a walk over every byte from the
    /// damage to the end of the partition's files.
    private var damageExtent: (position: Int, file: String, end: Int64, batches: Int)?

    /// How far the data reaches past the damage and how many batches there fail their check:
    /// frames are followed by their length fields (a frame whose header is itself implausible ends
    /// the walk), later segments are walked from their start, and the writer's last published high
    /// watermark is the floor of the end (it acknowledged those offsets).
    private func damageExtentLocked(_ corruption: (file: String, position: Int, reason: String, offset: Int64)) -> (end: Int64, batches: Int) {
        if let known = damageExtent, known.position == corruption.position, known.file == corruption.file { return (known.end, known.batches) }
        var end = corruption.offset
        var batches = 0
        if let first = segments.firstIndex(where: { $0.logPath == corruption.file }) {
            for (i, segment) in segments[first...].enumerated() {
                let walk = FrameScanner.walkPastDamage(
                    segment.file, from: i == 0 ? corruption.position : 0, expectedOffset: i == 0 ? corruption.offset : segment.baseOffset)
                batches += walk.damaged
                if let next = walk.nextOffset { end = max(end, next) }
            }
        }
        // A partition directory that is missing entirely has no damaged batch to count; any other
        // corruption is at least the batch that stopped the reads.
        batches = max(batches, corruption.file == directory ? 0 : 1)
        if let published = HighWatermarkFile.readLastPublished(partitionDirectory: directory) { end = max(end, published) }
        damageExtent = (corruption.position, corruption.file, end, batches)
        return (end, batches)
    }

    var durationHistogram: Histogram {
        appendDurations.withLock { $0 }
    }

    /// The timestamp of the record at `offset`, when it is readable.
    func timestamp(at offset: Int64) -> Int64? {
        guard let result = try? fetch(from: offset, maxBytes: 1) else { return nil }
        var found: Int64?
        try? result.forEachRecord { view in
            if found == nil && view.offset >= offset { found = view.timestampMs }
        }
        return found
    }

    /// True when nothing is known to be wrong (no corruption, no failed fsync): only then may the
    /// log be marked cleanly closed, or the next open would skip the checks that found it.
    var isHealthy: Bool {
        lock.lock()
        defer { lock.unlock() }
        return corruption == nil && failure == nil
    }

    /// Makes everything written durable and leaves files from which the next open needs no scan.
    func close() throws(LogError) {
        lock.lock()
        defer { lock.unlock() }
        guard !readOnly, !isClosed, let active = segments.last else { return }
        isClosed = true
        guard corruption == nil, failure == nil else { return }
        // Only what changed is flushed and rewritten: a log opened to be read closes cheaply.
        let known = checkpoint?.current
        if modified || known?.base != active.baseOffset || known?.position != active.size {
            try active.commit.syncAll(upTo: active.size)
        }
        if modified || !FileSystem.exists(active.indexPath) { try active.writeIndexFile() }
        if !FileSystem.exists(snapshotPath(logEndOffset)) { try writeProducerSnapshot() }
    }
}

/// The writer's high watermark, published for read-only processes so they serve only
/// acknowledged records too: `<pid u64><high watermark i64><crc32c u32>`, rewritten in place
/// whenever it moves. Readers honour it only while that pid is alive (a writer is running);
/// otherwise nothing is in flight and everything that validates on disk is readable.
final class HighWatermarkFile: @unchecked Sendable {
    static let fileName = "high-watermark"
    private let file: FileHandleRef
    private let pid = UInt64(getpid())

    init(partitionDirectory: String, forWriting: Bool) throws(LogError) {
        file = try FileHandleRef(
            path: FileSystem.join(partitionDirectory, Self.fileName), flags: forWriting ? O_RDWR | O_CREAT : O_RDONLY)
    }

    func publish(_ highWatermark: Int64) {
        var bytes = [UInt8]()
        bytes.reserveCapacity(20)
        withUnsafeBytes(of: pid.bigEndian) { bytes.append(contentsOf: $0) }
        withUnsafeBytes(of: highWatermark.bigEndian) { bytes.append(contentsOf: $0) }
        withUnsafeBytes(of: CRC32C.checksum(bytes).bigEndian) { bytes.append(contentsOf: $0) }
        // Best effort: a reader that cannot read it falls back to what validates on disk.
        try? file.write(at: 0, bytes)
    }

    /// The live writer's high watermark, or nil when there is no live writer (or no intact value).
    static func read(partitionDirectory: String) -> Int64? {
        guard let (pid, highWatermark) = readStored(partitionDirectory: partitionDirectory),
            processIsAlive(pid_t(truncatingIfNeeded: pid))
        else { return nil }
        return highWatermark
    }

    /// The last high watermark any writer published, live or not: offsets below it were
    /// acknowledged, so damage below it is never "a log that simply ends there".
    static func readLastPublished(partitionDirectory: String) -> Int64? {
        readStored(partitionDirectory: partitionDirectory)?.highWatermark
    }

    private static func readStored(partitionDirectory: String) -> (pid: UInt64, highWatermark: Int64)? {
        guard let bytes = try? FileSystem.readFile(FileSystem.join(partitionDirectory, fileName)), bytes.count == 20 else { return nil }
        let stored = bytes[16..<20].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        guard CRC32C.checksum(Array(bytes[0..<16])) == stored else { return nil }
        let pid = bytes[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return (pid, Int64(bitPattern: bytes[8..<16].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }))
    }
}

/// Whether a process with this pid exists (signal 0 checks without sending anything).
func processIsAlive(_ pid: pid_t) -> Bool {
    pid > 0 && (kill(pid, 0) == 0 || errno == EPERM)
}

/// `<partition>/recovery-checkpoint`: `<segment base i64><byte position i64><crc32c u32>`, how far
/// the active segment is known to be on disk. Rewritten in place after every fsync of the
/// partition (group commits, segment rolls, close, recovery), never before the data it describes
/// is durable, so it can only lag behind the truth. Recovery treats damage below it as corruption,
/// never as the torn tail of an interrupted write. A torn or missing file reads as "no checkpoint".
final class RecoveryCheckpoint: @unchecked Sendable {
    static let fileName = "recovery-checkpoint"
    private let file: FileHandleRef
    private let state: Mutex<(base: Int64, position: Int)?>

    init(partitionDirectory: String) throws(LogError) {
        let initial = Self.read(partitionDirectory: partitionDirectory)
        file = try FileHandleRef(path: FileSystem.join(partitionDirectory, Self.fileName), flags: O_RDWR | O_CREAT)
        state = Mutex(initial)
    }

    /// The checkpoint as it was on disk when the partition opened, or as last advanced.
    var current: (base: Int64, position: Int)? { state.withLock { $0 } }

    /// Moves the checkpoint forward (a later segment, or further into the same one); never back.
    func advance(base: Int64, position: Int) {
        state.withLock { current in
            if let current, (current.base, current.position) >= (base, position) { return }
            current = (base, position)
            var bytes = [UInt8]()
            bytes.reserveCapacity(20)
            withUnsafeBytes(of: base.bigEndian) { bytes.append(contentsOf: $0) }
            withUnsafeBytes(of: Int64(position).bigEndian) { bytes.append(contentsOf: $0) }
            withUnsafeBytes(of: CRC32C.checksum(bytes).bigEndian) { bytes.append(contentsOf: $0) }
            try? file.write(at: 0, bytes)
        }
    }

    /// Whether damage at byte `position` of the segment starting at offset `base` lies in data the
    /// checkpoint says was flushed: an earlier segment than the checkpoint's (sealed, so fsynced
    /// whole), or below its position in the same one. Only damage past it may be a torn tail.
    static func covers(_ checkpoint: (base: Int64, position: Int)?, base: Int64, position: Int) -> Bool {
        guard let checkpoint else { return false }
        return base < checkpoint.base || (base == checkpoint.base && position < checkpoint.position)
    }

    static func belowCheckpoint(_ reason: String) -> String {
        "\(reason), below the recovery checkpoint (data that was flushed and acknowledged)"
    }

    static func read(partitionDirectory: String) -> (base: Int64, position: Int)? {
        guard let bytes = try? FileSystem.readFile(FileSystem.join(partitionDirectory, fileName)), bytes.count == 20 else { return nil }
        let stored = bytes[16..<20].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        guard CRC32C.checksum(Array(bytes[0..<16])) == stored else { return nil }
        let base = Int64(bitPattern: bytes[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
        let position = Int64(bitPattern: bytes[8..<16].reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
        return (base, Int(position))
    }
}
