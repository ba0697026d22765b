/// Kafka's default partitioner for keyed records: the positive murmur2 hash of the key bytes,
/// modulo the partition count. A key lands on the same partition number as with Kafka's Java
/// client, so data moved between strmscope and Kafka keeps its per-key ordering.
public enum KafkaPartitioner {
    /// `org.apache.kafka.common.utils.Utils.murmur2`, with Java's wrapping 32-bit arithmetic.
    public static func murmur2(_ data: [UInt8]) -> Int32 {
        let length = data.count
        let seed: UInt32 = 0x9747_B28C
        let m: UInt32 = 0x5BD1_E995
        let r: UInt32 = 24
        var h: UInt32 = seed ^ UInt32(truncatingIfNeeded: length)
        let length4 = length / 4
        for i in 0..<length4 {
            let i4 = i * 4
            var k = UInt32(data[i4]) | UInt32(data[i4 + 1]) << 8 | UInt32(data[i4 + 2]) << 16 | UInt32(data[i4 + 3]) << 24
            k = k &* m
            k ^= k >> r
            k = k &* m
            h = h &* m
            h ^= k
        }
        let tail = length & ~3
        switch length % 4 {
        case 3:
            h ^= UInt32(data[tail + 2]) << 16
            h ^= UInt32(data[tail + 1]) << 8
            h ^= UInt32(data[tail])
            h = h &* m
        case 2:
            h ^= UInt32(data[tail + 1]) << 8
            h ^= UInt32(data[tail])
            h = h &* m
        case 1:
            h ^= UInt32(data[tail])
            h = h &* m
        default:
            break
        }
        h ^= h >> 13
        h = h &* m
        h ^= h >> 15
        return Int32(bitPattern: h)
    }

    /// `Utils.toPositive(murmur2(key)) % numPartitions`.
    public static func partition(forKey key: [UInt8], partitions: Int) -> Int {
        precondition(partitions > 0)
        let positive = UInt32(bitPattern: murmur2(key)) & 0x7FFF_FFFF
        return Int(positive % UInt32(partitions))
    }
}
