import CCRC32C

/// CRC32C (Castagnoli), the checksum of Kafka's v2 record batches.
public enum CRC32C {
    public static func checksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return crc }
        return strm_crc32c_update(crc, base, bytes.count)
    }

    public static func checksum(_ bytes: [UInt8], continuing crc: UInt32 = 0) -> UInt32 {
        bytes.withUnsafeBytes { checksum($0, continuing: crc) }
    }

    public static var usesHardware: Bool { strm_crc32c_hardware() != 0 }
}
