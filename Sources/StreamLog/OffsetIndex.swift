/// A segment's sparse offset index: every `interval` bytes of log, one entry mapping an offset
/// (relative to the segment's base) to the byte position of the batch that starts there.
/// It only speeds up lookups: it can be deleted at any time and is rebuilt from the segment.
///
/// File format: entries of 8 bytes, big-endian (relativeOffset u32, position u32), then a
/// 16-byte trailer: `STMX`, the segment's largest record timestamp (i64), and a CRC32C of those
/// 12 bytes. The trailer spares a walk over every batch to learn the segment's age (which age
/// retention needs); a file without an intact one is still a valid index.
/// Invariant: relative offsets and positions both strictly increase.
struct OffsetIndex: Equatable {
    static let trailerMagic = Array("STMX".utf8)

    struct Entry: Equatable {
        var relativeOffset: UInt32
        var position: UInt32
    }

    private(set) var entries: [Entry] = []
    /// The segment's largest record timestamp, when the file carried (or will carry) it.
    var maxTimestampMs: Int64?

    mutating func append(relativeOffset: UInt32, position: UInt32) {
        if let last = entries.last {
            precondition(relativeOffset > last.relativeOffset && position > last.position, "index entries must increase")
        }
        entries.append(Entry(relativeOffset: relativeOffset, position: position))
    }

    /// Byte position of the last indexed batch starting at or before `relativeOffset` (0 if none).
    func floorPosition(relativeOffset: UInt32) -> Int {
        var low = 0
        var high = entries.count - 1
        var best = 0
        while low <= high {
            let mid = (low + high) / 2
            if entries[mid].relativeOffset <= relativeOffset {
                best = Int(entries[mid].position)
                low = mid + 1
            } else {
                high = mid - 1
            }
        }
        return best
    }

    var lastPosition: Int { entries.last.map { Int($0.position) } ?? 0 }

    mutating func truncate(toPosition size: Int) {
        entries.removeAll { Int($0.position) >= size }
    }

    func serialized() -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(entries.count * 8 + 16)
        for entry in entries {
            for v in [entry.relativeOffset, entry.position] {
                out.append(UInt8(truncatingIfNeeded: v >> 24))
                out.append(UInt8(truncatingIfNeeded: v >> 16))
                out.append(UInt8(truncatingIfNeeded: v >> 8))
                out.append(UInt8(truncatingIfNeeded: v))
            }
        }
        if let maxTimestampMs {
            var trailer = Self.trailerMagic
            withUnsafeBytes(of: maxTimestampMs.bigEndian) { trailer.append(contentsOf: $0) }
            withUnsafeBytes(of: CRC32C.checksum(trailer).bigEndian) { trailer.append(contentsOf: $0) }
            out += trailer
        }
        return out
    }

    /// Parses an index file; nil when it is not a plausible index for a segment of `segmentSize`
    /// bytes, in which case the caller rebuilds it from the segment.
    static func parse(_ file: [UInt8], segmentSize: Int) -> OffsetIndex? {
        var bytes = file
        var maxTimestamp: Int64?
        if bytes.count >= 16, Array(bytes[(bytes.count - 16)..<(bytes.count - 12)]) == trailerMagic {
            let trailer = Array(bytes[(bytes.count - 16)...])
            let stored = trailer[12...].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            if CRC32C.checksum(Array(trailer[..<12])) == stored {
                maxTimestamp = Int64(bitPattern: trailer[4..<12].reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
                bytes.removeLast(16)
            }
        }
        guard bytes.count % 8 == 0 else { return nil }
        var index = OffsetIndex()
        index.maxTimestampMs = maxTimestamp
        var i = 0
        func u32(_ at: Int) -> UInt32 {
            UInt32(bytes[at]) << 24 | UInt32(bytes[at + 1]) << 16 | UInt32(bytes[at + 2]) << 8 | UInt32(bytes[at + 3])
        }
        while i < bytes.count {
            let entry = Entry(relativeOffset: u32(i), position: u32(i + 4))
            if let last = index.entries.last, entry.relativeOffset <= last.relativeOffset || entry.position <= last.position {
                return nil
            }
            guard Int(entry.position) < segmentSize else { return nil }
            index.entries.append(entry)
            i += 8
        }
        return index
    }
}
