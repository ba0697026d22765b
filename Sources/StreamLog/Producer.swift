/// Where a produced record landed.
public struct RecordMetadata: Sendable, Equatable {
    public var partition: Int
    public var offset: Int64
}

/// A producer client for one thread: partitions records like Kafka's default partitioner (murmur2
/// of the key; round-robin for records without a key), sends one batch per partition and, being
/// idempotent, numbers every batch so a retry is never written twice.
public final class Producer {
    public let log: StreamLog
    public let acks: Acks
    public let producerId: Int64?
    public let epoch: Int16
    private var sequences: [TopicPartition: Int32] = [:]
    private var roundRobin: [String: Int] = [:]
    /// Set when an acknowledgement failed; every later send fails with it.
    private var failed: LogError?
    /// Partition counts never change after a topic is created; caching them keeps `send` off the
    /// log's global lock.
    private var partitionCounts: [String: Int] = [:]

    public init(log: StreamLog, acks: Acks = .all, idempotent: Bool = true) throws(LogError) {
        self.log = log
        self.acks = acks
        if idempotent {
            let identity = try log.initProducerId()
            producerId = identity.producerId
            epoch = identity.epoch
        } else {
            producerId = nil
            epoch = -1
        }
    }

    /// The partition a record goes to among `partitions`.
    public func partition(for record: ProducerRecord, topic: String, partitions: Int) -> Int {
        if let key = record.key { return KafkaPartitioner.partition(forKey: key, partitions: partitions) }
        let next = roundRobin[topic, default: 0]
        roundRobin[topic] = next &+ 1
        return next % partitions
    }

    /// Sends `records` to `topic` and returns, in input order, where each landed, once all are
    /// acknowledged. Records of one partition go in one batch, in input order.
    public func send(topic: String, _ records: [ProducerRecord]) throws(LogError) -> [RecordMetadata] {
        if let failed { throw failed }
        guard let partitions = partitionCounts[topic] ?? log.topicConfig(topic)?.partitions else { throw .unknownTopic(topic) }
        partitionCounts[topic] = partitions
        var byPartition: [Int: [Int]] = [:]
        for (i, record) in records.enumerated() {
            byPartition[partition(for: record, topic: topic, partitions: partitions), default: []].append(i)
        }
        var metadata = [RecordMetadata](repeating: RecordMetadata(partition: -1, offset: -1), count: records.count)
        // Write every partition's batch first, then wait for each: the partitions' files are fsynced
        // one after another, each fsync shared with whatever else waits on that file.
        var pending: [(PartitionLog, PartitionLog.PendingAppend, [Int], Int)] = []
        for (partition, indexes) in byPartition.sorted(by: { $0.key < $1.key }) {
            let tp = TopicPartition(topic, partition)
            let identity = producerId.map { ProducerBatchIdentity(producerId: $0, epoch: epoch, baseSequence: sequences[tp, default: 0]) }
            let (log, write) = try log.write(tp, indexes.map { records[$0] }, acks: acks, producer: identity)
            if identity != nil { sequences[tp] = wrappingSequence(sequences[tp, default: 0], plus: Int32(indexes.count)) }
            pending.append((log, write, indexes, partition))
        }
        for (log, write, indexes, partition) in pending {
            do throws(LogError) {
                try log.acknowledge(write)
            } catch {
                // The batch's sequence is spent but its durability unknown: retrying with a new
                // sequence could write it twice. Like Kafka's fatal producer errors, this producer
                // is done; a new one (new id) must be created.
                failed = error
                throw error
            }
            for (n, i) in indexes.enumerated() {
                metadata[i] = RecordMetadata(partition: partition, offset: write.result.baseOffset + Int64(n))
            }
        }
        return metadata
    }
}
