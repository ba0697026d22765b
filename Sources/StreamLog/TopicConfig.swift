/// Per-topic settings, stored in the log's catalog when the topic is created.
public struct TopicConfig: Codable, Sendable, Equatable {
    public var partitions: Int
    /// A segment rolls when the next batch would take it past this size…
    public var segmentBytes: Int
    /// …or when its first record is older than this.
    public var segmentMs: Int64
    /// Oldest whole segments are deleted while the partition is larger than this (−1: no limit).
    public var retentionBytes: Int64
    /// Whole segments whose newest record is older than this are deleted (−1: keep forever).
    public var retentionMs: Int64
    /// Bytes of log between two entries of the sparse offset index.
    public var indexIntervalBytes: Int

    public static let defaultSegmentBytes = 64 << 20
    /// Positions in the offset index are 32-bit.
    public static let maxSegmentBytes = 1 << 30

    public init(
        partitions: Int, segmentBytes: Int = TopicConfig.defaultSegmentBytes, segmentMs: Int64 = 86_400_000,
        retentionBytes: Int64 = -1, retentionMs: Int64 = 7 * 86_400_000, indexIntervalBytes: Int = 4096
    ) {
        self.partitions = partitions
        self.segmentBytes = segmentBytes
        self.segmentMs = segmentMs
        self.retentionBytes = retentionBytes
        self.retentionMs = retentionMs
        self.indexIntervalBytes = indexIntervalBytes
    }

    func validate() throws(LogError) {
        guard (1...10_000).contains(partitions) else { throw .invalidArgument("partitions must be between 1 and 10000, not \(partitions)") }
        guard (1024...Self.maxSegmentBytes).contains(segmentBytes) else {
            throw .invalidArgument("segment size must be between 1 KiB and 1 GiB, not \(segmentBytes) bytes")
        }
        guard segmentMs > 0 else { throw .invalidArgument("segment age must be positive") }
        guard retentionBytes >= -1, retentionMs >= -1 else { throw .invalidArgument("retention must be −1 (unlimited) or a positive amount") }
        guard indexIntervalBytes >= 64 else { throw .invalidArgument("index interval must be at least 64 bytes") }
    }
}

/// Something recovery found and dealt with, reported to the operator when the log opens.
public enum RecoveryNote: Sendable, Equatable, CustomStringConvertible {
    /// An incomplete or damaged batch at the very end of the active segment, with nothing intact
    /// after it: the remains of a write that was never acknowledged. Cut off.
    case truncatedTornTail(file: String, position: Int, bytes: Int)
    /// Damage with intact data after it, or in a sealed segment: nothing past it is served and the
    /// partition takes no more writes until an operator restores it.
    case corruption(file: String, position: Int, reason: String)
    /// The offset index was missing or did not match its segment; it was rebuilt.
    case rebuiltIndex(file: String)

    public var description: String {
        switch self {
        case let .truncatedTornTail(file, position, bytes):
            "recovered \(file): truncated a torn tail of \(bytes) bytes at byte \(position) (the remains of an interrupted write, never acknowledged as fsynced)"
        case let .corruption(file, position, reason):
            "\(file):\(position): corrupt batch: \(reason); records from here on are not served and the partition refuses appends until it is restored"
        case let .rebuiltIndex(file):
            "rebuilt offset index \(file)"
        }
    }
}
