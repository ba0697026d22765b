/// A record header: a UTF-8 key and optional bytes, as in Kafka.
public struct RecordHeader: Sendable, Equatable, Hashable {
    public var key: String
    public var value: [UInt8]?

    public init(_ key: String, _ value: [UInt8]?) {
        self.key = key
        self.value = value
    }

    public init(_ key: String, _ value: String) {
        self.init(key, Array(value.utf8))
    }
}

/// What a producer hands to the log. A nil timestamp means "stamp it with the log's clock".
public struct ProducerRecord: Sendable, Equatable {
    public var key: [UInt8]?
    public var value: [UInt8]?
    public var headers: [RecordHeader]
    public var timestampMs: Int64?

    public init(key: [UInt8]? = nil, value: [UInt8]?, headers: [RecordHeader] = [], timestampMs: Int64? = nil) {
        self.key = key
        self.value = value
        self.headers = headers
        self.timestampMs = timestampMs
    }

    public init(key: String?, value: String, headers: [RecordHeader] = [], timestampMs: Int64? = nil) {
        self.init(key: key.map { Array($0.utf8) }, value: Array(value.utf8), headers: headers, timestampMs: timestampMs)
    }
}

/// A record as stored: its offset and timestamp are the log's.
public struct Record: Sendable, Equatable {
    public var offset: Int64
    public var timestampMs: Int64
    public var key: [UInt8]?
    public var value: [UInt8]?
    public var headers: [RecordHeader]

    public init(offset: Int64, timestampMs: Int64, key: [UInt8]?, value: [UInt8]?, headers: [RecordHeader]) {
        self.offset = offset
        self.timestampMs = timestampMs
        self.key = key
        self.value = value
        self.headers = headers
    }

    public func header(_ key: String) -> [UInt8]? {
        headers.last(where: { $0.key == key })?.value ?? nil
    }
}

/// A topic and partition number.
public struct TopicPartition: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var topic: String
    public var partition: Int

    public init(_ topic: String, _ partition: Int) {
        self.topic = topic
        self.partition = partition
    }

    public static func < (a: TopicPartition, b: TopicPartition) -> Bool {
        a.topic != b.topic ? a.topic < b.topic : a.partition < b.partition
    }

    /// Kafka's spelling, also the partition's directory name: `orders-3`.
    public var description: String { "\(topic)-\(partition)" }
}

/// How much durability a producer waits for before its records count as acknowledged.
public enum Acks: String, Sendable, CaseIterable {
    /// Fire and forget: acknowledged once handed to the log, no waiting for the write.
    case none
    /// Acknowledged once written to the segment file (survives a process crash, not a power cut).
    case leader
    /// Acknowledged once fsynced (survives a power cut); concurrent producers share fsyncs.
    case all
}

/// Identity and sequence of an idempotent producer's batch for one partition.
public struct ProducerBatchIdentity: Sendable, Equatable {
    public var producerId: Int64
    public var epoch: Int16
    public var baseSequence: Int32

    public init(producerId: Int64, epoch: Int16, baseSequence: Int32) {
        self.producerId = producerId
        self.epoch = epoch
        self.baseSequence = baseSequence
    }
}
