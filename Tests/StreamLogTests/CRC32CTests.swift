import Testing

@testable import StreamLog

/// CRC32C (Castagnoli) against published check values.
@Suite struct CRC32CTests {
    @Test func knownVectors() {
        #expect(CRC32C.checksum(utf8("123456789")) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        #expect(CRC32C.checksum((0..<32).map { UInt8($0) }) == 0x46DD_794E)
        #expect(CRC32C.checksum([]) == 0)
    }

    @Test func chainingEqualsOneShotAtEverySplit() {
        let data = (0..<100).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
        let whole = CRC32C.checksum(data)
        for split in 0...data.count {
            let head = CRC32C.checksum(Array(data[0..<split]))
            #expect(CRC32C.checksum(Array(data[split...]), continuing: head) == whole, "split at \(split)")
        }
        // Unaligned starts and every tail length through the 8-byte fast path.
        for start in 0..<8 {
            for length in 0..<(data.count - start) {
                let slice = Array(data[start..<(start + length)])
                let bytewise = slice.reduce(UInt32(0)) { CRC32C.checksum([$1], continuing: $0) }
                #expect(CRC32C.checksum(slice) == bytewise)
            }
        }
    }
}
