/// The on-disk batch format, modelled on Kafka's v2 record batch. Big-endian fixed fields:
///
/// ```
///  0  length            u32  bytes after this field
///  4  crc               u32  CRC32C of the length field and of every byte after the crc
///  8  version           u8   1
///  9  attributes        u16  0 (no compression, create time, not transactional)
/// 11  baseOffset        i64
/// 19  lastOffsetDelta   i32  recordCount − 1 (offsets are dense)
/// 23  baseTimestamp     i64  ms since the Unix epoch
/// 31  maxTimestamp      i64
/// 39  producerId        i64  −1 without an idempotent producer
/// 47  producerEpoch     i16
/// 49  baseSequence      i32
/// 53  recordCount       i32
/// 57  records           Kafka v2 records: zig-zag varint length, attributes i8,
///                       timestampDelta varlong, offsetDelta varint, key, value, headers
/// ```
///
/// Unlike Kafka, the CRC also covers the length and the base offset: Kafka's broker rewrites
/// offsets, ours never does, so a flipped bit anywhere in a batch — offset included — is caught.
public enum BatchFormat {
    public static let version: UInt8 = 1
    public static let headerSize = 57
    /// The largest `length` a valid batch may claim; anything bigger is corruption, not a batch.
    public static let maxFrameLength = 16 * 1024 * 1024
    public static let noProducerId: Int64 = -1

    /// Fixed fields of a batch, read without touching its records.
    public struct Header: Sendable, Equatable {
        public var length: UInt32
        public var crc: UInt32
        public var version: UInt8
        public var attributes: UInt16
        public var baseOffset: Int64
        public var lastOffsetDelta: Int32
        public var baseTimestamp: Int64
        public var maxTimestamp: Int64
        public var producerId: Int64
        public var producerEpoch: Int16
        public var baseSequence: Int32
        public var recordCount: Int32

        public var frameSize: Int { 4 + Int(length) }
        public var lastOffset: Int64 { baseOffset + Int64(lastOffsetDelta) }
        public var nextOffset: Int64 { lastOffset + 1 }
        public var hasProducer: Bool { producerId >= 0 }
        /// Kafka's sequences wrap at Int32.max back to 0.
        public var lastSequence: Int32 { wrappingSequence(baseSequence, plus: lastOffsetDelta) }
    }

    /// Outcome of checking the bytes at a frame position.
    public enum FrameCheck: Equatable {
        case valid(Header)
        /// The buffer ends before the frame does (a torn tail, or a read that must fetch more).
        case incomplete(frameSize: Int?)
        case invalid(String)
    }

    // MARK: Encoding

    /// Encodes `records` as one batch starting at `baseOffset`.
    public static func encode(
        _ records: [ProducerRecord], baseOffset: Int64, defaultTimestampMs: Int64,
        producer: ProducerBatchIdentity? = nil
    ) -> [UInt8] {
        precondition(!records.isEmpty, "a batch holds at least one record")
        let baseTimestamp = records[0].timestampMs ?? defaultTimestampMs
        var maxTimestamp = baseTimestamp
        var total = headerSize
        for (i, record) in records.enumerated() {
            let ts = record.timestampMs ?? defaultTimestampMs
            maxTimestamp = max(maxTimestamp, ts)
            let body = recordBodySize(record, timestampDelta: ts &- baseTimestamp, offsetDelta: Int64(i))
            total += Varint.size(zigzag: Int64(body)) + body
        }
        return [UInt8](unsafeUninitializedCapacity: total) { buffer, initialized in
            var w = ByteWriter(base: UnsafeMutableRawPointer(buffer.baseAddress!))
            w.u32(UInt32(total - 4))
            w.u32(0)  // crc, filled below
            w.u8(version)
            w.u16(0)
            w.i64(baseOffset)
            w.i32(Int32(records.count - 1))
            w.i64(baseTimestamp)
            w.i64(maxTimestamp)
            w.i64(producer?.producerId ?? noProducerId)
            w.i16(producer?.epoch ?? -1)
            w.i32(producer?.baseSequence ?? -1)
            w.i32(Int32(records.count))
            for (i, record) in records.enumerated() {
                let delta = (record.timestampMs ?? defaultTimestampMs) &- baseTimestamp
                let body = recordBodySize(record, timestampDelta: delta, offsetDelta: Int64(i))
                w.varint(Int64(body))
                w.u8(0)
                w.varint(delta)
                w.varint(Int64(i))
                w.bytesWithLength(record.key)
                w.bytesWithLength(record.value)
                w.varint(Int64(record.headers.count))
                for header in record.headers {
                    w.bytesWithLength(Array(header.key.utf8))
                    w.bytesWithLength(header.value)
                }
            }
            precondition(w.offset == total, "batch size computed \(total), wrote \(w.offset)")
            let raw = UnsafeRawBufferPointer(buffer)
            let crc = computeCRC(raw)
            var cw = ByteWriter(base: UnsafeMutableRawPointer(buffer.baseAddress!) + 4)
            cw.u32(crc)
            initialized = total
        }
    }

    private static func recordBodySize(_ record: ProducerRecord, timestampDelta: Int64, offsetDelta: Int64) -> Int {
        var size = 1 + Varint.size(zigzag: timestampDelta) + Varint.size(zigzag: offsetDelta)
        size += lengthPrefixedSize(record.key?.count)
        size += lengthPrefixedSize(record.value?.count)
        size += Varint.size(zigzag: Int64(record.headers.count))
        for header in record.headers {
            size += lengthPrefixedSize(header.key.utf8.count)
            size += lengthPrefixedSize(header.value?.count)
        }
        return size
    }

    private static func lengthPrefixedSize(_ count: Int?) -> Int {
        guard let count else { return Varint.size(zigzag: -1) }
        return Varint.size(zigzag: Int64(count)) + count
    }

    /// CRC32C over the length field and everything after the crc field.
    static func computeCRC(_ frame: UnsafeRawBufferPointer) -> UInt32 {
        let head = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: frame[0..<4]))
        return CRC32C.checksum(UnsafeRawBufferPointer(rebasing: frame[8...]), continuing: head)
    }

    // MARK: Decoding

    /// Reads the fixed fields, without any validation. `bytes` must hold at least `headerSize`.
    public static func parseHeader(_ bytes: UnsafeRawBufferPointer) -> Header {
        precondition(bytes.count >= headerSize)
        var r = ByteReader(bytes)
        return Header(
            length: r.u32(), crc: r.u32(), version: r.u8(), attributes: r.u16(), baseOffset: r.i64(),
            lastOffsetDelta: r.i32(), baseTimestamp: r.i64(), maxTimestamp: r.i64(), producerId: r.i64(),
            producerEpoch: r.i16(), baseSequence: r.i32(), recordCount: r.i32())
    }

    /// Checks the frame starting at the first byte of `bytes`. With `verifyCRC` false only the
    /// framing is checked (for walks over data verified before, such as a clean segment).
    public static func check(_ bytes: UnsafeRawBufferPointer, verifyCRC: Bool = true) -> FrameCheck {
        guard bytes.count >= 4 else { return .incomplete(frameSize: nil) }
        let length = Int(bytes.loadUnaligned(as: UInt32.self).bigEndian)
        guard length >= headerSize - 4 else { return .invalid("length \(length) is below the \(headerSize - 4)-byte minimum") }
        guard length <= maxFrameLength else { return .invalid("length \(length) exceeds the \(maxFrameLength)-byte maximum") }
        guard bytes.count >= 4 + length else { return .incomplete(frameSize: 4 + length) }
        let frame = UnsafeRawBufferPointer(rebasing: bytes[0..<(4 + length)])
        let header = parseHeader(frame)
        if verifyCRC {
            let computed = computeCRC(frame)
            guard computed == header.crc else {
                return .invalid("CRC32C mismatch (stored \(hex(header.crc)), computed \(hex(computed)))")
            }
        }
        guard header.version == version else { return .invalid("unknown batch version \(header.version)") }
        guard header.attributes == 0 else { return .invalid("unsupported attributes \(header.attributes)") }
        guard header.recordCount >= 1, header.lastOffsetDelta == header.recordCount - 1 else {
            return .invalid("record count \(header.recordCount) does not match last offset delta \(header.lastOffsetDelta)")
        }
        guard header.baseOffset >= 0, header.baseOffset <= Int64.max - Int64(header.recordCount) else {
            return .invalid("base offset \(header.baseOffset) is out of range")
        }
        return .valid(header)
    }

    /// A record inside a batch buffer. Key, value and header bytes point into that buffer and are
    /// valid only inside the closure that received the view.
    public struct RecordView {
        public let offset: Int64
        public let timestampMs: Int64
        public let key: UnsafeRawBufferPointer?
        public let value: UnsafeRawBufferPointer?
        let headerCount: Int
        let headerBytes: UnsafeRawBufferPointer

        public func headers() throws(DecodeError) -> [RecordHeader] {
            var r = ByteReader(headerBytes)
            var out: [RecordHeader] = []
            out.reserveCapacity(headerCount)
            for _ in 0..<headerCount {
                guard let keyBytes = try r.lengthPrefixed() else { throw DecodeError("null header key") }
                guard let key = String(validating: keyBytes, as: UTF8.self) else { throw DecodeError("header key is not UTF-8") }
                let value = try r.lengthPrefixed().map { Array($0) }
                out.append(RecordHeader(key, value))
            }
            return out
        }

        public func materialize() throws(DecodeError) -> Record {
            Record(offset: offset, timestampMs: timestampMs, key: key.map { Array($0) }, value: value.map { Array($0) }, headers: try headers())
        }
    }

    public struct DecodeError: Error, Equatable, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }

    /// Visits every record of a valid frame (as returned by `check`). Structural damage that the
    /// CRC did not catch (a crafted file) is reported, never read past.
    public static func forEachRecord(
        in frame: UnsafeRawBufferPointer, header: Header, _ body: (RecordView) throws -> Void
    ) throws {
        // `check` guarantees these for a frame from disk; a header built elsewhere must not make
        // the offset arithmetic below overflow.
        guard header.recordCount >= 0, header.baseOffset >= 0, header.baseOffset <= Int64.max - Int64(header.recordCount),
            header.frameSize >= headerSize, header.frameSize <= frame.count
        else { throw DecodeError("batch header fields are out of range") }
        var r = ByteReader(UnsafeRawBufferPointer(rebasing: frame[headerSize..<header.frameSize]))
        for expectedDelta in 0..<Int64(header.recordCount) {
            let length = try r.varint()
            guard length >= 0, length <= r.remaining else { throw DecodeError("record length \(length) runs past the batch") }
            var rr = ByteReader(try r.take(Int(length)))
            _ = try rr.byte()  // record attributes, unused
            let timestampDelta = try rr.varint()
            let offsetDelta = try rr.varint()
            guard offsetDelta == expectedDelta else { throw DecodeError("offset delta \(offsetDelta), expected \(expectedDelta)") }
            let key = try rr.lengthPrefixed()
            let value = try rr.lengthPrefixed()
            let headerCount = try rr.varint()
            guard headerCount >= 0, headerCount <= rr.remaining else { throw DecodeError("header count \(headerCount) is impossible") }
            let view = RecordView(
                offset: header.baseOffset + offsetDelta, timestampMs: header.baseTimestamp &+ timestampDelta, key: key,
                value: value, headerCount: Int(headerCount), headerBytes: try rr.take(rr.remaining))
            try body(view)
        }
        guard r.remaining == 0 else { throw DecodeError("\(r.remaining) unexpected bytes after the last record") }
    }
}

func wrappingSequence(_ base: Int32, plus delta: Int32) -> Int32 {
    let sum = Int64(base) + Int64(delta)
    return sum > Int64(Int32.max) ? Int32(sum - Int64(Int32.max) - 1) : Int32(sum)
}

func hex(_ value: UInt32) -> String {
    let digits = String(value, radix: 16)
    return "0x" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
}

// MARK: - Byte-level helpers

/// Kafka's zig-zag varints (protobuf encoding).
enum Varint {
    static func size(zigzag value: Int64) -> Int {
        var v = UInt64(bitPattern: (value << 1) ^ (value >> 63))
        var n = 1
        while v >= 0x80 {
            v >>= 7
            n += 1
        }
        return n
    }
}

struct ByteWriter {
    let base: UnsafeMutableRawPointer
    var offset = 0

    mutating func u8(_ v: UInt8) {
        base.storeBytes(of: v, toByteOffset: offset, as: UInt8.self)
        offset += 1
    }
    mutating func u16(_ v: UInt16) { storeBE(v) }
    mutating func u32(_ v: UInt32) { storeBE(v) }
    mutating func i16(_ v: Int16) { storeBE(UInt16(bitPattern: v)) }
    mutating func i32(_ v: Int32) { storeBE(UInt32(bitPattern: v)) }
    mutating func i64(_ v: Int64) { storeBE(UInt64(bitPattern: v)) }

    private mutating func storeBE<T: FixedWidthInteger>(_ v: T) {
        base.storeBytes(of: v.bigEndian, toByteOffset: offset, as: T.self)
        offset += MemoryLayout<T>.size
    }

    mutating func varint(_ value: Int64) {
        var v = UInt64(bitPattern: (value << 1) ^ (value >> 63))
        while v >= 0x80 {
            u8(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        u8(UInt8(v))
    }

    mutating func bytesWithLength(_ bytes: [UInt8]?) {
        guard let bytes else {
            varint(-1)
            return
        }
        varint(Int64(bytes.count))
        bytes.withUnsafeBytes { raw in
            if let src = raw.baseAddress { (base + offset).copyMemory(from: src, byteCount: raw.count) }
        }
        offset += bytes.count
    }
}

struct ByteReader {
    let bytes: UnsafeRawBufferPointer
    var offset = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    var remaining: Int { bytes.count - offset }

    // Fixed-width reads are only used on ranges whose size was checked first (the batch header).
    mutating func u8() -> UInt8 { load(UInt8.self) }
    mutating func u16() -> UInt16 { load(UInt16.self) }
    mutating func u32() -> UInt32 { load(UInt32.self) }
    mutating func i16() -> Int16 { Int16(bitPattern: load(UInt16.self)) }
    mutating func i32() -> Int32 { Int32(bitPattern: load(UInt32.self)) }
    mutating func i64() -> Int64 { Int64(bitPattern: load(UInt64.self)) }

    private mutating func load<T: FixedWidthInteger>(_: T.Type) -> T {
        let v = bytes.loadUnaligned(fromByteOffset: offset, as: T.self)
        offset += MemoryLayout<T>.size
        return T(bigEndian: v)
    }

    mutating func byte() throws(BatchFormat.DecodeError) -> UInt8 {
        guard remaining >= 1 else { throw BatchFormat.DecodeError("truncated record") }
        return u8()
    }

    mutating func varint() throws(BatchFormat.DecodeError) -> Int64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard remaining >= 1 else { throw BatchFormat.DecodeError("truncated varint") }
            let b = u8()
            guard shift < 64 else { throw BatchFormat.DecodeError("varint longer than 10 bytes") }
            result |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 { break }
            shift += 7
        }
        return Int64(bitPattern: result >> 1) ^ -Int64(bitPattern: result & 1)
    }

    mutating func take(_ count: Int) throws(BatchFormat.DecodeError) -> UnsafeRawBufferPointer {
        guard count >= 0, count <= remaining else { throw BatchFormat.DecodeError("field of \(count) bytes runs past the record") }
        defer { offset += count }
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + count)])
    }

    /// A varint length then that many bytes; length −1 is null.
    mutating func lengthPrefixed() throws(BatchFormat.DecodeError) -> UnsafeRawBufferPointer? {
        let length = try varint()
        if length == -1 { return nil }
        guard length >= 0, length <= Int64(remaining) else { throw BatchFormat.DecodeError("length \(length) runs past the record") }
        return try take(Int(length))
    }
}
