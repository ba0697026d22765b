/// How partitions are shared among a group's members.
public enum AssignmentStrategy: String, Sendable, CaseIterable, Codable {
    /// Kafka's RangeAssignor: per topic, contiguous ranges; the first members get one extra.
    case range
    /// Kafka's RoundRobinAssignor: all partitions of all topics dealt out in turn.
    case roundrobin

    /// Assigns the partitions of `partitionCounts` to the members subscribed to each topic.
    /// Members are taken in sorted order, so every member computes the same assignment.
    public func assign(members: [String: Set<String>], partitionCounts: [String: Int]) -> [String: [TopicPartition]] {
        var result: [String: [TopicPartition]] = Dictionary(uniqueKeysWithValues: members.keys.map { ($0, []) })
        switch self {
        case .range:
            for topic in partitionCounts.keys.sorted() {
                let subscribers = members.filter { $0.value.contains(topic) }.keys.sorted()
                guard !subscribers.isEmpty, let count = partitionCounts[topic] else { continue }
                let each = count / subscribers.count
                let extra = count % subscribers.count
                var next = 0
                for (i, member) in subscribers.enumerated() {
                    let share = each + (i < extra ? 1 : 0)
                    result[member]!.append(contentsOf: (next..<(next + share)).map { TopicPartition(topic, $0) })
                    next += share
                }
            }
        case .roundrobin:
            let sortedMembers = members.keys.sorted()
            guard !sortedMembers.isEmpty else { return result }
            var cursor = 0
            let all = partitionCounts.keys.sorted().flatMap { topic in (0..<(partitionCounts[topic] ?? 0)).map { TopicPartition(topic, $0) } }
            for tp in all {
                // Next member (in turn) subscribed to this topic; skip the topic if nobody is.
                guard sortedMembers.contains(where: { members[$0]!.contains(tp.topic) }) else { continue }
                while !members[sortedMembers[cursor % sortedMembers.count]]!.contains(tp.topic) { cursor += 1 }
                result[sortedMembers[cursor % sortedMembers.count]]!.append(tp)
                cursor += 1
            }
        }
        return result
    }
}

/// A generation change, as recorded on the event timeline.
public struct RebalanceRecord: Sendable, Equatable, Codable {
    public var group: String
    public var previousGeneration: Int32
    public var generation: Int32
    public var reason: String
    public var membersBefore: [String]
    public var membersAfter: [String]
    public var timeMs: Int64
}

/// The coordinator's view of one consumer group, as a value: every operation takes "now"
/// explicitly and returns what changed, so the whole lifecycle is testable with a manual clock.
///
/// Rebalancing is eager and immediate: any change of membership (join, leave, session timeout)
/// starts a new generation with a fresh assignment. Members learn of it on their next heartbeat;
/// a commit carrying an older generation is rejected (fencing), so a member that missed a
/// rebalance cannot overwrite the progress of a partition's new owner.
public struct ConsumerGroupState: Sendable, Equatable {
    public struct Member: Sendable, Equatable {
        public var id: String
        public var topics: Set<String>
        public var sessionTimeoutMs: Int64
        public var lastHeartbeatMs: Int64
    }

    public enum HeartbeatResult: Sendable, Equatable {
        /// Nothing changed since the member's generation.
        case stable
        /// A new generation: the member's partitions are now these.
        case rebalanced(generation: Int32, partitions: [TopicPartition])
        /// The member is not (or no longer) in the group and must join again.
        case unknownMember
    }

    public let group: String
    public var strategy: AssignmentStrategy
    public private(set) var generation: Int32
    public private(set) var members: [String: Member] = [:]
    public private(set) var assignment: [String: [TopicPartition]] = [:]

    public init(group: String, generation: Int32 = 0, strategy: AssignmentStrategy = .range) {
        self.group = group
        self.generation = generation
        self.strategy = strategy
    }

    public var memberIds: [String] { members.keys.sorted() }
    public var isEmpty: Bool { members.isEmpty }

    /// Joins (or re-joins) `memberId`. A re-join with the same subscription changes nothing.
    public mutating func join(
        memberId: String, topics: Set<String>, sessionTimeoutMs: Int64, partitionCounts: [String: Int], now: Int64
    ) -> RebalanceRecord? {
        if var existing = members[memberId], existing.topics == topics {
            existing.lastHeartbeatMs = now
            existing.sessionTimeoutMs = sessionTimeoutMs
            members[memberId] = existing
            return nil
        }
        let before = memberIds
        let reason = members[memberId] == nil ? "member \(memberId) joined" : "member \(memberId) changed its subscription"
        members[memberId] = Member(id: memberId, topics: topics, sessionTimeoutMs: sessionTimeoutMs, lastHeartbeatMs: now)
        return rebalance(reason: reason, before: before, partitionCounts: partitionCounts, now: now)
    }

    /// A live member says it is alive; answers with what it must know about the generation.
    public mutating func heartbeat(memberId: String, generation memberGeneration: Int32, now: Int64) -> HeartbeatResult {
        guard var member = members[memberId] else { return .unknownMember }
        member.lastHeartbeatMs = now
        members[memberId] = member
        if memberGeneration == generation { return .stable }
        return .rebalanced(generation: generation, partitions: assignment[memberId] ?? [])
    }

    public mutating func leave(memberId: String, partitionCounts: [String: Int], now: Int64) -> RebalanceRecord? {
        guard members[memberId] != nil else { return nil }
        let before = memberIds
        members[memberId] = nil
        return rebalance(reason: "member \(memberId) left", before: before, partitionCounts: partitionCounts, now: now)
    }

    /// Removes members whose session ran out (no heartbeat for longer than their timeout).
    public mutating func expireSessions(partitionCounts: [String: Int], now: Int64) -> RebalanceRecord? {
        let expired = members.values.filter { now - $0.lastHeartbeatMs > $0.sessionTimeoutMs }.map(\.id).sorted()
        guard !expired.isEmpty else { return nil }
        let before = memberIds
        for id in expired { members[id] = nil }
        let reason = "session timeout of \(expired.joined(separator: ", "))"
        return rebalance(reason: reason, before: before, partitionCounts: partitionCounts, now: now)
    }

    /// Partition counts changed (a topic was created or grew): hand out the new partitions.
    public mutating func topicsChanged(partitionCounts: [String: Int], now: Int64) -> RebalanceRecord? {
        let subscribed = members.values.reduce(into: Set<String>()) { $0.formUnion($1.topics) }
        let relevant = partitionCounts.filter { subscribed.contains($0.key) }
        let fresh = strategy.assign(members: members.mapValues(\.topics), partitionCounts: relevant)
        guard fresh != assignment, !members.isEmpty else { return nil }
        return rebalance(reason: "partitions of subscribed topics changed", before: memberIds, partitionCounts: partitionCounts, now: now)
    }

    public enum CommitCheck: Sendable, Equatable {
        case accepted
        case unknownMember
        case staleGeneration(current: Int32)
    }

    /// Whether a commit from `memberId` at `memberGeneration` may be written.
    public func checkCommit(memberId: String, generation memberGeneration: Int32) -> CommitCheck {
        guard members[memberId] != nil else { return .unknownMember }
        guard memberGeneration == generation else { return .staleGeneration(current: generation) }
        return .accepted
    }

    private mutating func rebalance(reason: String, before: [String], partitionCounts: [String: Int], now: Int64) -> RebalanceRecord {
        let previous = generation
        generation += 1
        let subscribed = members.values.reduce(into: Set<String>()) { $0.formUnion($1.topics) }
        assignment = strategy.assign(
            members: members.mapValues(\.topics), partitionCounts: partitionCounts.filter { subscribed.contains($0.key) })
        return RebalanceRecord(
            group: group, previousGeneration: previous, generation: generation, reason: reason, membersBefore: before,
            membersAfter: memberIds, timeMs: now)
    }
}
