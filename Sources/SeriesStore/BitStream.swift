/// Bits written most-significant first into a growing byte array: the substrate of a chunk.
struct BitWriter: Sendable {
    private(set) var bytes: [UInt8]
    /// Bits written so far (the last byte may be partly used).
    private(set) var bitCount: Int = 0

    init(reservingBytes capacity: Int = 0) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    @inline(__always)
    mutating func writeBit(_ bit: Bool) {
        let used = bitCount & 7
        if used == 0 {
            bytes.append(bit ? 0x80 : 0)
        } else if bit {
            bytes[bytes.count - 1] |= UInt8(0x80) &>> UInt8(used)
        }
        bitCount += 1
    }

    /// Writes the low `count` bits of `value` (0...64), most significant first.
    @inline(__always)
    mutating func writeBits(_ value: UInt64, count: Int) {
        guard count > 0 else { return }
        let used = bitCount & 7
        if used + count > 64 {
            // Does not fit one 64-bit window after the partial byte: two halves.
            writeBits(value &>> 32, count: count - 32)
            writeBits(value & 0xFFFF_FFFF, count: 32)
            return
        }
        let masked = count == 64 ? value : value & ((1 &<< UInt64(count)) &- 1)
        // The bits placed as they will sit from the start of the current (partial) byte.
        let word = masked &<< UInt64(64 - used - count)
        var remaining = used + count
        var shift: UInt64 = 56
        if used > 0 {
            bytes[bytes.count - 1] |= UInt8(truncatingIfNeeded: word &>> 56)
            remaining -= 8
            shift = 48
        }
        while remaining > 0 {
            bytes.append(UInt8(truncatingIfNeeded: word &>> shift))
            shift &-= 8
            remaining -= 8
        }
        bitCount += count
    }

    /// Unsigned LEB128, byte by byte (not byte-aligned inside the stream).
    mutating func writeUVarint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            writeBits(UInt64(UInt8(truncatingIfNeeded: v) | 0x80), count: 8)
            v >>= 7
        }
        writeBits(v, count: 8)
    }

    /// Zig-zag signed varint (small magnitudes, either sign, stay short).
    mutating func writeVarint(_ value: Int64) {
        writeUVarint(UInt64(bitPattern: (value &<< 1) ^ (value &>> 63)))
    }

    /// The bytes written, in an array of exactly that size (for a sealed chunk).
    func compacted() -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: bytes.count) { buffer, initialized in
            _ = buffer.initialize(from: bytes)
            initialized = bytes.count
        }
    }
}

/// Reads what a `BitWriter` wrote. Reading past the end yields zero bits rather than trapping, so a
/// damaged or truncated chunk can never crash a query (the sample count bounds the decode anyway).
struct BitReader {
    let buffer: UnsafeBufferPointer<UInt8>
    private(set) var position = 0

    init(_ buffer: UnsafeBufferPointer<UInt8>) {
        self.buffer = buffer
    }

    @inline(__always)
    mutating func readBit() -> Bool {
        let index = position &>> 3
        let bit: Bool
        if index < buffer.count {
            bit = buffer[index] & (UInt8(0x80) &>> UInt8(position & 7)) != 0
        } else {
            bit = false
        }
        position += 1
        return bit
    }

    /// The next 64 bits (zeros past the end), without consuming them.
    @inline(__always)
    func peek() -> UInt64 {
        let index = position &>> 3
        let offset = UInt64(position & 7)
        if index + 9 <= buffer.count {
            let word = UInt64(bigEndian: UnsafeRawPointer(buffer.baseAddress! + index).loadUnaligned(as: UInt64.self))
            return offset == 0 ? word : (word &<< offset) | (UInt64(buffer[index + 8]) &>> (8 &- offset))
        }
        // Near the end: assemble bytes index…index+7 (zeros past the end), then the ninth's bits.
        var word: UInt64 = 0
        for i in index..<index + 8 { word = (word &<< 8) | (i < buffer.count ? UInt64(buffer[i]) : 0) }
        let ninth: UInt64 = index + 8 < buffer.count ? UInt64(buffer[index + 8]) : 0
        return offset == 0 ? word : (word &<< offset) | (ninth &>> (8 &- offset))
    }

    @inline(__always)
    mutating func skip(_ count: Int) { position += count }

    /// Reads `count` bits (0...64) as the low bits of the result.
    @inline(__always)
    mutating func readBits(_ count: Int) -> UInt64 {
        guard count > 0 else { return 0 }
        // Fast path: one unaligned big-endian load of the 8 bytes from the current one, shifted;
        // a ninth byte supplies the tail when the field straddles it (offset + count > 64).
        let index = position &>> 3
        let offset = position & 7
        if index + 9 <= buffer.count || (index + 8 <= buffer.count && offset + count <= 64) {
            let word = UInt64(bigEndian: UnsafeRawPointer(buffer.baseAddress! + index).loadUnaligned(as: UInt64.self))
            var result = (word &<< UInt64(offset)) &>> UInt64(64 - count)
            if offset + count > 64 {
                result |= UInt64(buffer[index + 8]) &>> UInt64(72 - offset - count)
            }
            position += count
            return result
        }
        var result: UInt64 = 0
        var remaining = count
        while remaining > 0 {
            let byteIndex = position &>> 3
            let used = position & 7
            let available = 8 - used
            let take = min(available, remaining)
            let byte: UInt64 = byteIndex < buffer.count ? UInt64(buffer[byteIndex]) : 0
            let piece = (byte &>> UInt64(available - take)) & ((1 &<< UInt64(take)) &- 1)
            result = (result &<< UInt64(take)) | piece
            remaining -= take
            position += take
        }
        return result
    }

    mutating func readUVarint() -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while shift < 64 {
            let byte = readBits(8)
            result |= (byte & 0x7F) &<< shift
            if byte & 0x80 == 0 { break }
            shift += 7
        }
        return result
    }

    mutating func readVarint() -> Int64 {
        let raw = readUVarint()
        return Int64(bitPattern: raw &>> 1) ^ -Int64(bitPattern: raw & 1)
    }
}
