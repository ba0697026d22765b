/// Per-partition state of idempotent producers: the epoch and the last few batches of each
/// producer id, enough to recognise a retried batch and hand back its original offsets.
/// Rebuilt from batch headers after a restart, so deduplication survives one.
struct ProducerStateTable: Equatable {
    /// Kafka keeps the last five batches per producer (max.in.flight.requests.per.connection ≤ 5).
    static let retainedBatches = 5
    /// Bounds memory: past this many producer ids the longest idle ones are forgotten.
    static let maxProducers = 10_000

    struct BatchMetadata: Equatable {
        var firstSequence: Int32
        var lastSequence: Int32
        var baseOffset: Int64
        var lastOffset: Int64
    }

    struct Entry: Equatable {
        var epoch: Int16
        var batches: [BatchMetadata]
        var lastTimestampMs: Int64
    }

    enum Decision: Equatable {
        case append
        case duplicate(BatchMetadata)
    }

    private(set) var entries: [Int64: Entry] = [:]

    /// Decides whether a batch of `count` records from `identity` is new, a retry, or an error.
    func check(_ identity: ProducerBatchIdentity, count: Int, partition: TopicPartition) throws(LogError) -> Decision {
        let lastSequence = wrappingSequence(identity.baseSequence, plus: Int32(count - 1))
        guard let entry = entries[identity.producerId] else {
            guard identity.baseSequence == 0 else {
                throw .outOfOrderSequence(
                    producerId: identity.producerId, topic: partition.topic, partition: partition.partition, expected: 0,
                    got: identity.baseSequence)
            }
            return .append
        }
        if identity.epoch < entry.epoch {
            throw .producerFenced(producerId: identity.producerId, epoch: identity.epoch, currentEpoch: entry.epoch)
        }
        if identity.epoch > entry.epoch {
            // A new epoch restarts the sequence.
            guard identity.baseSequence == 0 else {
                throw .outOfOrderSequence(
                    producerId: identity.producerId, topic: partition.topic, partition: partition.partition, expected: 0,
                    got: identity.baseSequence)
            }
            return .append
        }
        if let original = entry.batches.first(where: { $0.firstSequence == identity.baseSequence && $0.lastSequence == lastSequence }) {
            return .duplicate(original)
        }
        let expected = entry.batches.last.map { wrappingSequence($0.lastSequence, plus: 1) } ?? 0
        guard identity.baseSequence == expected else {
            throw .outOfOrderSequence(
                producerId: identity.producerId, topic: partition.topic, partition: partition.partition, expected: expected,
                got: identity.baseSequence)
        }
        return .append
    }

    /// Records an appended batch (live, or replayed from the log during recovery).
    mutating func record(_ header: BatchFormat.Header) {
        guard header.hasProducer else { return }
        let meta = BatchMetadata(
            firstSequence: header.baseSequence, lastSequence: header.lastSequence, baseOffset: header.baseOffset,
            lastOffset: header.lastOffset)
        if var entry = entries[header.producerId], entry.epoch == header.producerEpoch {
            entry.batches.append(meta)
            if entry.batches.count > Self.retainedBatches { entry.batches.removeFirst(entry.batches.count - Self.retainedBatches) }
            entry.lastTimestampMs = max(entry.lastTimestampMs, header.maxTimestamp)
            entries[header.producerId] = entry
        } else {
            entries[header.producerId] = Entry(epoch: header.producerEpoch, batches: [meta], lastTimestampMs: header.maxTimestamp)
            evictIfNeeded()
        }
    }

    var largestProducerId: Int64 { entries.keys.max() ?? -1 }

    private mutating func evictIfNeeded() {
        guard entries.count > Self.maxProducers else { return }
        let idle = entries.sorted { $0.value.lastTimestampMs < $1.value.lastTimestampMs }.prefix(entries.count - Self.maxProducers)
        for (id, _) in idle { entries[id] = nil }
    }

    // MARK: Snapshot file (written at segment roll and clean close)

    /// `STPS` magic, version, entry count, entries, CRC32C of everything before it.
    func serialized() -> [UInt8] {
        var out: [UInt8] = Array("STPS".utf8) + [1]
        func put<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.bigEndian) { out.append(contentsOf: $0) } }
        put(UInt32(entries.count))
        for (id, entry) in entries.sorted(by: { $0.key < $1.key }) {
            put(id)
            put(entry.epoch)
            put(entry.lastTimestampMs)
            put(UInt8(entry.batches.count))
            for b in entry.batches {
                put(b.firstSequence)
                put(b.lastSequence)
                put(b.baseOffset)
                put(b.lastOffset)
            }
        }
        put(CRC32C.checksum(out))
        return out
    }

    /// nil for anything that is not an intact snapshot; the caller then replays the log instead.
    static func parse(_ bytes: [UInt8]) -> ProducerStateTable? {
        guard bytes.count >= 13, Array(bytes[0..<4]) == Array("STPS".utf8), bytes[4] == 1 else { return nil }
        let body = Array(bytes[..<(bytes.count - 4)])
        let stored = bytes[(bytes.count - 4)...].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        guard CRC32C.checksum(body) == stored else { return nil }
        var table = ProducerStateTable()
        var failed = false
        body.withUnsafeBytes { raw in
            var r = ByteReader(raw)
            r.offset = 5
            let count = Int(r.u32())
            for _ in 0..<count {
                guard r.remaining >= 19 else { failed = true; return }
                let id = r.i64()
                let epoch = r.i16()
                let ts = r.i64()
                let batchCount = Int(r.u8())
                guard r.remaining >= batchCount * 24 else { failed = true; return }
                var batches: [BatchMetadata] = []
                for _ in 0..<batchCount {
                    batches.append(BatchMetadata(firstSequence: r.i32(), lastSequence: r.i32(), baseOffset: r.i64(), lastOffset: r.i64()))
                }
                table.entries[id] = Entry(epoch: epoch, batches: batches, lastTimestampMs: ts)
            }
            if r.remaining != 0 { failed = true }
        }
        return failed ? nil : table
    }
}
