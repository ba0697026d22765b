import ScopeCore

// Gorilla compression (Pelkonen et al., VLDB 2015) as Prometheus's XOR chunk does it, with the
// timestamp buckets tuned for millisecond scrape timestamps:
//
//   sample 0   timestamp as a zig-zag varint, value as its raw 64 bits
//   sample 1   timestamp delta as an unsigned varint, value XOR-encoded
//   sample n   delta-of-delta (dod) of the timestamp in the first bucket that holds it:
//                '0'                       dod == 0             (a perfectly regular scrape)
//                '10'   + 6-bit signed     -32 ... 31 ms        (scrape jitter)
//                '110'  + 17-bit signed    ±65 s                (a missed 15 s/30 s/60 s scrape)
//                '1110' + 24-bit signed    ±2.3 h
//                '1111' + 64 bits          anything else
//              then the value XOR-encoded against the previous value:
//                '0'                       same value
//                '10'   + meaningful bits  the XOR fits the previous leading/trailing-zero window
//                '11'   + 5-bit leading zeros + 6-bit length (64 stored as 0) + meaningful bits
//
// Timestamp arithmetic wraps (`&-`, `&+`) on both sides, so any strictly increasing sequence of
// Int64 timestamps round-trips exactly, even across gaps wider than Int64.max. Values round-trip
// bit for bit: NaN payloads, the staleness marker, ±Inf and -0 included.

/// A sealed (or snapshotted) chunk: the encoded bit stream and what a query needs to skip it.
public struct XORChunk: Sendable {
    /// Timestamp of the first and the last sample (milliseconds).
    public let minT: Int64
    public let maxT: Int64
    /// Number of samples encoded (decoding stops after this many).
    public let count: Int
    let bytes: [UInt8]

    /// Encoded size in bytes.
    public var byteCount: Int { bytes.count }

    /// Every sample of the chunk.
    public func samples() -> [Sample] {
        var out: [Sample] = []
        out.reserveCapacity(count)
        decode(minT: .min, maxT: .max, into: &out)
        return out
    }

    /// Appends the samples with `minT <= t <= maxT` to `out`.
    public func decode(minT lower: Int64, maxT upper: Int64, into out: inout [Sample]) {
        guard count > 0, lower <= maxT, upper >= minT else { return }
        bytes.withUnsafeBufferPointer { buffer in
            var reader = BitReader(buffer)
            var t = reader.readVarint()
            var bits = reader.readBits(64)
            if t >= lower {
                if t > upper { return }
                out.append(Sample(timestampMs: t, value: Double(bitPattern: bits)))
            }
            guard count > 1 else { return }
            var delta = reader.readUVarint()
            var leading = 0
            var trailing = 0
            t = t &+ Int64(bitPattern: delta)
            readXOR(&reader, &bits, &leading, &trailing)
            if t >= lower {
                if t > upper { return }
                out.append(Sample(timestampMs: t, value: Double(bitPattern: bits)))
            }
            var index = 2
            while index < count {
                let dod = readDoD(&reader)
                delta = delta &+ UInt64(bitPattern: dod)
                t = t &+ Int64(bitPattern: delta)
                readXOR(&reader, &bits, &leading, &trailing)
                if t >= lower {
                    if t > upper { return }
                    out.append(Sample(timestampMs: t, value: Double(bitPattern: bits)))
                }
                index += 1
            }
        }
    }

    /// Control prefixes are decoded from one 64-bit peek: the number of leading one bits picks the
    /// bucket, and the payload of the narrower buckets is in the same word.
    @inline(__always)
    private func readDoD(_ reader: inout BitReader) -> Int64 {
        let word = reader.peek()
        switch (~word).leadingZeroBitCount {
        case 0:
            reader.skip(1)
            return 0
        case 1:
            reader.skip(2 + 6)
            return Int64(bitPattern: word &<< 2) &>> 58
        case 2:
            reader.skip(3 + 17)
            return Int64(bitPattern: word &<< 3) &>> 47
        case 3:
            reader.skip(4 + 24)
            return Int64(bitPattern: word &<< 4) &>> 40
        default:
            reader.skip(4)
            return Int64(bitPattern: reader.readBits(64))
        }
    }

    @inline(__always)
    private func readXOR(_ reader: inout BitReader, _ bits: inout UInt64, _ leading: inout Int, _ trailing: inout Int) {
        let word = reader.peek()
        if word & (1 &<< 63) == 0 {  // '0': same value
            reader.skip(1)
            return
        }
        if word & (1 &<< 62) != 0 {  // '11': new window
            leading = Int(truncatingIfNeeded: (word &<< 2) &>> 59)
            var significant = Int(truncatingIfNeeded: (word &<< 7) &>> 58)
            if significant == 0 { significant = 64 }
            // Only a damaged stream can say more than 64 bits; clamp rather than trap.
            trailing = max(0, 64 - leading - significant)
            reader.skip(13)
        } else {
            reader.skip(2)
        }
        let significant = 64 - leading - trailing
        bits ^= reader.readBits(significant) &<< UInt64(trailing)
    }
}

/// The open (head) chunk of a series: appends samples to a growing bit stream.
public struct XORChunkAppender: Sendable {
    private var writer: BitWriter
    public private(set) var count = 0
    public private(set) var minT: Int64 = 0
    public private(set) var maxT: Int64 = 0
    private var delta: UInt64 = 0
    private var lastBits: UInt64 = 0
    // 0xFF: no leading/trailing window yet.
    private var leading: UInt8 = 0xFF
    private var trailing: UInt8 = 0

    public init(reservingBytes capacity: Int = 0) {
        writer = BitWriter(reservingBytes: capacity)
    }

    /// Encoded size so far, in bytes.
    public var byteCount: Int { writer.bytes.count }

    /// Appends a sample. Timestamps must strictly increase: a sample at or before the last one is
    /// refused (returns false, the chunk is unchanged) — the store rejects such samples before they
    /// get here, so a negative delta can never be encoded.
    @discardableResult
    public mutating func append(timestampMs t: Int64, value: Double) -> Bool {
        let bits = value.bitPattern
        switch count {
        case 0:
            writer.writeVarint(t)
            writer.writeBits(bits, count: 64)
            minT = t
        case 1:
            guard t > maxT else { return false }
            delta = UInt64(bitPattern: t) &- UInt64(bitPattern: maxT)
            writer.writeUVarint(delta)
            writeXOR(bits)
        default:
            guard t > maxT else { return false }
            let newDelta = UInt64(bitPattern: t) &- UInt64(bitPattern: maxT)
            let dod = Int64(bitPattern: newDelta &- delta)
            writeDoD(dod)
            delta = newDelta
            writeXOR(bits)
        }
        maxT = t
        lastBits = bits
        count += 1
        return true
    }

    /// An immutable copy of what has been written so far. A copy, not a copy-on-write share:
    /// readers take it under the store's shared lock, so the writer never finds its buffer shared
    /// (and never pays for the copy inside its exclusive section).
    public var snapshot: XORChunk {
        XORChunk(minT: minT, maxT: maxT, count: count, bytes: writer.compacted())
    }

    /// The finished chunk, in storage of exactly its size.
    public func sealed() -> XORChunk {
        XORChunk(minT: minT, maxT: maxT, count: count, bytes: writer.compacted())
    }

    @inline(__always)
    private mutating func writeDoD(_ dod: Int64) {
        if dod == 0 {
            writer.writeBit(false)
        } else if dod >= -32 && dod <= 31 {
            writer.writeBits(0b10, count: 2)
            writer.writeBits(UInt64(bitPattern: dod), count: 6)
        } else if dod >= -(1 << 16) && dod <= (1 << 16) - 1 {
            writer.writeBits(0b110, count: 3)
            writer.writeBits(UInt64(bitPattern: dod), count: 17)
        } else if dod >= -(1 << 23) && dod <= (1 << 23) - 1 {
            writer.writeBits(0b1110, count: 4)
            writer.writeBits(UInt64(bitPattern: dod), count: 24)
        } else {
            writer.writeBits(0b1111, count: 4)
            writer.writeBits(UInt64(bitPattern: dod), count: 64)
        }
    }

    @inline(__always)
    private mutating func writeXOR(_ bits: UInt64) {
        let xor = bits ^ lastBits
        if xor == 0 {
            writer.writeBit(false)
            return
        }
        writer.writeBit(true)
        var newLeading = UInt8(xor.leadingZeroBitCount)
        let newTrailing = UInt8(xor.trailingZeroBitCount)
        // The leading-zero count has 5 bits; more leading zeros are simply sent as payload.
        if newLeading >= 32 { newLeading = 31 }
        if leading != 0xFF && newLeading >= leading && newTrailing >= trailing {
            // Fits the previous window: '0' + the window's bits.
            writer.writeBit(false)
            writer.writeBits(xor &>> UInt64(trailing), count: 64 - Int(leading) - Int(trailing))
            return
        }
        leading = newLeading
        trailing = newTrailing
        writer.writeBit(true)
        writer.writeBits(UInt64(newLeading), count: 5)
        let significant = 64 - Int(newLeading) - Int(newTrailing)
        // 64 does not fit in 6 bits; it is sent as 0 (0 significant bits cannot occur: xor != 0).
        writer.writeBits(UInt64(significant & 63), count: 6)
        writer.writeBits(xor &>> UInt64(newTrailing), count: significant)
    }
}
