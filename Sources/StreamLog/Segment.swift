#if canImport(Glibc)
import Glibc
#endif

/// One segment of a partition: `<base offset>.log` and its sparse `<base offset>.index`.
/// The file handle and base offset never change; the other fields are guarded by the owning
/// partition's lock. Readers copy what they need under that lock and then `pread` without it.
final class Segment: @unchecked Sendable {
    let baseOffset: Int64
    let file: FileHandleRef
    /// Group commit of `acks=all` writes to this segment's file.
    let commit: GroupCommit
    let indexPath: String
    var size: Int
    var nextOffset: Int64
    var maxTimestampMs: Int64
    /// Timestamp of the first batch (Int64.max while empty): age-based rolling counts from it…
    var firstTimestampMs: Int64 = .max
    /// …or from when this process created or opened the segment, whichever is later.
    var createdAtMs: Int64 = 0
    var index = OffsetIndex()
    var bytesSinceIndexEntry = 0

    var logPath: String { file.path }

    init(baseOffset: Int64, file: FileHandleRef, indexPath: String, size: Int, fsyncs: FsyncCounter, checkpoint: RecoveryCheckpoint?) {
        self.baseOffset = baseOffset
        self.file = file
        var onDurable: (@Sendable (Int) -> Void)? = nil
        if let checkpoint {
            onDurable = { position in checkpoint.advance(base: baseOffset, position: position) }
        }
        self.commit = GroupCommit(file: file, fsyncs: fsyncs, onDurable: onDurable)
        self.indexPath = indexPath
        self.size = size
        self.nextOffset = baseOffset
        self.maxTimestampMs = 0
    }

    /// `00000000000000001234` — 20 digits, like Kafka, so names sort as offsets do.
    static func name(base: Int64, suffix: String) -> String {
        let digits = String(base)
        return String(repeating: "0", count: max(0, 20 - digits.count)) + digits + suffix
    }

    /// Base offset of a file named by `name(base:suffix:)`, nil for any other file.
    static func baseOffset(ofFile name: String, suffix: String) -> Int64? {
        guard name.hasSuffix(suffix) else { return nil }
        let stem = name.dropLast(suffix.count)
        guard stem.count == 20, stem.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int64(stem)
    }

    /// Records a batch just written at `position` (or found there by a scan). Position 0 is the
    /// implicit floor of every lookup; after it, one index entry per `indexInterval` bytes.
    func noteBatch(_ header: BatchFormat.Header, at position: Int, indexInterval: Int) {
        if position > 0 && bytesSinceIndexEntry >= indexInterval {
            index.append(relativeOffset: UInt32(header.baseOffset - baseOffset), position: UInt32(position))
            bytesSinceIndexEntry = 0
        }
        bytesSinceIndexEntry += header.frameSize
        if position == 0 { firstTimestampMs = header.baseTimestamp }
        size = position + header.frameSize
        nextOffset = header.nextOffset
        maxTimestampMs = max(maxTimestampMs, header.maxTimestamp)
    }

    func writeIndexFile() throws(LogError) {
        var stamped = index
        stamped.maxTimestampMs = maxTimestampMs
        let bytes = stamped.serialized()
        let out = try FileHandleRef(path: indexPath, flags: O_WRONLY | O_CREAT | O_TRUNC)
        try out.write(at: 0, bytes)
    }
}

/// How a scan over a range of frames ended.
enum ScanEnd: Equatable {
    /// Every byte up to the end of the range was a valid frame.
    case complete
    /// The range ends inside a frame (a torn tail, or a write still in progress).
    case incomplete(position: Int)
    /// The frame at `position` is damaged (or breaks offset continuity).
    case invalid(position: Int, reason: String)
}

/// Walks the batches of a segment file, either header by header or whole and CRC-checked.
enum FrameScanner {
    static let bufferSize = 1 << 20

    /// Walks batch headers only (one `pread` per batch), for data that was fsynced or verified
    /// before. `visit` may return a reason to stop at a batch that is well-formed on its own but
    /// wrong in context (an offset that does not continue the previous batch).
    static func walkHeaders(
        _ file: FileHandleRef, from start: Int, to end: Int, visit: (Int, BatchFormat.Header) -> String?
    ) throws(LogError) -> ScanEnd {
        var position = start
        var header = [UInt8](repeating: 0, count: BatchFormat.headerSize)
        while position < end {
            let want = min(BatchFormat.headerSize, end - position)
            let got = try file.read(at: position, count: want, into: &header)
            if got < BatchFormat.headerSize { return .incomplete(position: position) }
            let parsed = header.withUnsafeBytes { BatchFormat.parseHeader($0) }
            let length = Int(parsed.length)
            guard length >= BatchFormat.headerSize - 4, length <= BatchFormat.maxFrameLength else {
                return .invalid(position: position, reason: "length \(length) is impossible")
            }
            guard parsed.version == BatchFormat.version, parsed.recordCount >= 1,
                parsed.lastOffsetDelta == parsed.recordCount - 1
            else { return .invalid(position: position, reason: "header fields are inconsistent") }
            if position + parsed.frameSize > end { return .incomplete(position: position) }
            if let reason = visit(position, parsed) { return .invalid(position: position, reason: reason) }
            position += parsed.frameSize
        }
        return .complete
    }

    /// Reads every batch whole (buffered, 1 MiB reads) and checks its CRC; `visit` also gets the
    /// batch's bytes, valid only during the call.
    static func scanVerified(
        _ file: FileHandleRef, from start: Int, to end: Int, visit: (Int, BatchFormat.Header, UnsafeRawBufferPointer) -> String?
    ) throws(LogError) -> ScanEnd {
        var buffer = [UInt8](repeating: 0, count: bufferSize)
        var bufferStart = start
        var bufferCount = 0
        var position = start
        while position < end {
            var local = position - bufferStart
            var outcome = buffer.withUnsafeBytes {
                BatchFormat.check(UnsafeRawBufferPointer(rebasing: $0[local..<bufferCount]))
            }
            if case .incomplete(let frameSize) = outcome {
                // Refill from this frame's start, growing the buffer for frames larger than it.
                let need = max(frameSize ?? 0, bufferSize)
                if buffer.count < need { buffer = [UInt8](repeating: 0, count: need) }
                let want = min(buffer.count, end - position)
                bufferCount = try file.read(at: position, count: want, into: &buffer)
                bufferStart = position
                local = 0
                outcome = buffer.withUnsafeBytes { BatchFormat.check(UnsafeRawBufferPointer(rebasing: $0[0..<bufferCount])) }
            }
            switch outcome {
            case .incomplete:
                return .incomplete(position: position)
            case .invalid(let reason):
                return .invalid(position: position, reason: reason)
            case .valid(let header):
                let reason = buffer.withUnsafeBytes {
                    visit(position, header, UnsafeRawBufferPointer(rebasing: $0[local..<(local + header.frameSize)]))
                }
                if let reason { return .invalid(position: position, reason: reason) }
                position += header.frameSize
            }
        }
        return .complete
    }

    /// Past damage at `start`: follows frames by their length fields without trusting their
    /// CRCs, to tell how far the data reaches (the next offset after the last plausible header)
    /// and how many frames fail their check. The first header must carry `expectedOffset` and
    /// each later one continue its predecessor; a header that is itself implausible counts as one
    /// damaged frame and ends the walk (nothing after it can be located). One read per frame.
    static func walkPastDamage(_ file: FileHandleRef, from start: Int, expectedOffset: Int64) -> (nextOffset: Int64?, damaged: Int) {
        guard let size = try? file.size() else { return (nil, 0) }
        var position = start
        var expected = expectedOffset
        var next: Int64? = nil
        var damaged = 0
        var header = [UInt8](repeating: 0, count: BatchFormat.headerSize)
        while position < size {
            guard size - position >= BatchFormat.headerSize,
                (try? file.read(at: position, count: BatchFormat.headerSize, into: &header)) == BatchFormat.headerSize
            else {
                damaged += 1
                break
            }
            let parsed = header.withUnsafeBytes { BatchFormat.parseHeader($0) }
            let length = Int(parsed.length)
            guard length >= BatchFormat.headerSize - 4, length <= BatchFormat.maxFrameLength, parsed.version == BatchFormat.version,
                parsed.recordCount >= 1, parsed.lastOffsetDelta == parsed.recordCount - 1, parsed.baseOffset == expected,
                position + parsed.frameSize <= size
            else {
                damaged += 1
                break
            }
            let frame = (try? file.read(at: position, count: parsed.frameSize)) ?? []
            if case .valid = frame.withUnsafeBytes({ BatchFormat.check($0) }) {} else { damaged += 1 }
            next = parsed.nextOffset
            expected = parsed.nextOffset
            position += parsed.frameSize
        }
        return (next, damaged)
    }

    /// After damage at `position`: is there any intact frame later in the file whose offset could
    /// follow `expectedOffset`? If so the damage is corruption in the middle of data (never
    /// truncated away); if not it is a torn tail (safe to cut: nothing intact follows it).
    /// Tries every byte position, so a damaged length field cannot hide the frames after it.
    static func intactFrameExists(_ file: FileHandleRef, after position: Int, end: Int, expectedOffset: Int64) throws(LogError) -> Bool {
        // Windows of 32 MiB, each read with room for the largest frame that may start in it.
        let window = 32 << 20
        var start = position + 1
        while end - start >= BatchFormat.headerSize {
            let chunk = try file.read(at: start, count: min(end - start, window + 4 + BatchFormat.maxFrameLength))
            let found = chunk.withUnsafeBytes { raw in
                var i = 0
                while i < window && i + BatchFormat.headerSize <= raw.count {
                    // Cheap filters first: version byte, sane length, then a plausible base offset.
                    if raw[i + 8] == BatchFormat.version {
                        let length = Int(raw.loadUnaligned(fromByteOffset: i, as: UInt32.self).bigEndian)
                        if length >= BatchFormat.headerSize - 4, length <= BatchFormat.maxFrameLength, i + 4 + length <= raw.count {
                            let base = Int64(bigEndian: raw.loadUnaligned(fromByteOffset: i + 11, as: Int64.self))
                            if base >= expectedOffset,
                                case .valid = BatchFormat.check(UnsafeRawBufferPointer(rebasing: raw[i...]))
                            {
                                return true
                            }
                        }
                    }
                    i += 1
                }
                return false
            }
            if found { return true }
            start += window
        }
        return false
    }
}
