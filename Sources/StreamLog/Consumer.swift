/// A record as a consumer receives it.
public struct ConsumedRecord: Sendable, Equatable {
    public var topicPartition: TopicPartition
    public var record: Record

    public init(topicPartition: TopicPartition, record: Record) {
        self.topicPartition = topicPartition
        self.record = record
    }

    public var topic: String { topicPartition.topic }
    public var partition: Int { topicPartition.partition }
    public var offset: Int64 { record.offset }
}

/// Where a consumer starts in a partition that has no committed offset (or whose committed
/// offset was deleted by retention).
public enum OffsetReset: String, Sendable, CaseIterable {
    case earliest, latest
}

/// A consumer client for one thread. With a group it joins, heartbeats on every poll, follows
/// rebalances and commits with its generation (so a stale member is fenced); without one it reads
/// every partition of its topics and commits nothing.
public final class Consumer {
    public let log: StreamLog
    public let topics: [String]
    public let group: String?
    public let memberId: String
    public let reset: OffsetReset
    public let sessionTimeoutMs: Int64
    public let strategy: AssignmentStrategy
    public private(set) var generation: Int32 = -1
    public private(set) var assignment: [TopicPartition] = []
    /// Next offset to read per assigned partition.
    public private(set) var positions: [TopicPartition: Int64] = [:]
    private var cursor = 0
    private var joined = false

    public init(
        log: StreamLog, topics: [String], group: String? = nil, memberId: String? = nil, reset: OffsetReset = .earliest,
        sessionTimeoutMs: Int64 = 10_000, strategy: AssignmentStrategy = .range
    ) throws(LogError) {
        for topic in topics where log.topicConfig(topic) == nil { throw .unknownTopic(topic) }
        self.log = log
        self.topics = topics
        self.group = group
        self.memberId = memberId ?? "consumer-\(UInt32.random(in: 0...UInt32.max))"
        self.reset = reset
        self.sessionTimeoutMs = sessionTimeoutMs
        self.strategy = strategy
        if group == nil {
            assignment = topics.flatMap { topic in (0..<(log.topicConfig(topic)?.partitions ?? 0)).map { TopicPartition(topic, $0) } }
        }
    }

    /// Joins the group (if not yet a member) and follows any rebalance; returns true when the
    /// assignment changed.
    @discardableResult
    public func syncGroup() throws(LogError) -> Bool {
        guard let group else { return false }
        if !joined {
            let membership = try log.joinGroup(group, memberId: memberId, topics: topics, sessionTimeoutMs: sessionTimeoutMs, strategy: strategy)
            joined = true
            adopt(generation: membership.generation, partitions: membership.partitions)
            return true
        }
        switch try log.heartbeat(group, memberId: memberId, generation: generation) {
        case .stable:
            return false
        case .rebalanced(let newGeneration, let partitions):
            adopt(generation: newGeneration, partitions: partitions)
            return true
        case .unknownMember:
            // Our session expired (we were too slow): join again as a new member of a new generation.
            joined = false
            return try syncGroup()
        }
    }

    private func adopt(generation: Int32, partitions: [TopicPartition]) {
        self.generation = generation
        assignment = partitions
        // Eager rebalancing: positions restart from the group's committed offsets.
        positions = [:]
    }

    /// Returns up to `maxRecords` acknowledged records from the assigned partitions, taking the
    /// partitions in turn so none starves.
    public func poll(maxRecords: Int = 500) throws(LogError) -> [ConsumedRecord] {
        try syncGroup()
        var out: [ConsumedRecord] = []
        guard !assignment.isEmpty else { return out }
        for step in 0..<assignment.count where out.count < maxRecords {
            let tp = assignment[(cursor + step) % assignment.count]
            var position = try position(of: tp)
            var result: FetchResult
            do throws(LogError) {
                result = try log.fetch(tp, from: position, maxBytes: 1 << 20)
            } catch .offsetOutOfRange(_, _, _, let start, let end) {
                // Retention deleted what we were at: continue at the oldest record left, whatever
                // the reset policy (Kafka's `latest` would also skip the retained records this
                // consumer never saw). Past the end (a truncated log): the reset policy decides.
                position = reset == .earliest || position < start ? start : end
                positions[tp] = position
                result = try log.fetch(tp, from: position, maxBytes: 1 << 20)
            }
            var taken = 0
            do {
                try result.forEachRecord { view in
                    guard out.count < maxRecords else { return }
                    out.append(ConsumedRecord(topicPartition: tp, record: try view.materialize()))
                    taken += 1
                }
            } catch {
                throw .invalidArgument("\(log.directory)/\(tp): a batch at or after offset \(position) passed its CRC but its records do not decode: \(error)")
            }
            if taken > 0 { positions[tp] = out.last!.offset + 1 }
            if taken > 0 { log.noteConsumed(group: group, topic: tp.topic, count: taken) }
        }
        cursor = (cursor + 1) % max(assignment.count, 1)
        return out
    }

    private func position(of tp: TopicPartition) throws(LogError) -> Int64 {
        if let known = positions[tp] { return known }
        let status = try log.partitionStatus(tp)
        let start: Int64
        if let group, let committed = log.committedOffsets(group)[tp] {
            start = committed
        } else {
            start = reset == .earliest ? status.logStartOffset : status.highWatermark
        }
        positions[tp] = start
        return start
    }

    /// Sets where the next poll reads `tp` from.
    public func seek(_ tp: TopicPartition, to offset: Int64) {
        positions[tp] = offset
    }

    /// Commits the current position of every assigned partition that has one. Throws
    /// `illegalGeneration` / `unknownMember` when this member was fenced by a rebalance: its
    /// uncommitted records will be delivered to the partitions' new owners.
    public func commit() throws(LogError) {
        guard let group else { return }
        let offsets = positions.filter { assignment.contains($0.key) }
        guard !offsets.isEmpty else { return }
        try log.commitOffsets(group, memberId: memberId, generation: generation, offsets: offsets)
    }

    /// Sends `record` to its topic's dead-letter queue, with the reason and attempt number.
    @discardableResult
    public func deadLetter(_ record: ConsumedRecord, error: String, attempt: Int) throws(LogError) -> AppendResult {
        try log.deadLetter(record.record, from: record.topicPartition, group: group, error: error, attempt: attempt)
    }

    /// Leaves the group so its partitions move to the others at once (not after a session timeout).
    public func close() throws(LogError) {
        guard let group, joined else { return }
        joined = false
        try log.leaveGroup(group, memberId: memberId)
    }
}
