import Foundation
import ScopeCore
import Testing

@testable import StreamLog

/// The group coordinator's state machine as a pure value: every transition with an explicit "now".
@Suite struct ConsumerGroupStateTests {
    static let counts = ["orders": 4, "refunds": 2]
    static let t0: Int64 = 1_000_000

    func tps(_ list: (String, Int)...) -> [TopicPartition] { list.map { TopicPartition($0.0, $0.1) } }

    @Test func firstJoinStartsGenerationOne() throws {
        var state = ConsumerGroupState(group: "billing")
        #expect(state.generation == 0 && state.isEmpty)
        let record = try required(state.join(memberId: "a", topics: ["orders"], sessionTimeoutMs: 10_000, partitionCounts: Self.counts, now: Self.t0))
        #expect(record == RebalanceRecord(
            group: "billing", previousGeneration: 0, generation: 1, reason: "member a joined", membersBefore: [], membersAfter: ["a"], timeMs: Self.t0))
        #expect(state.generation == 1)
        #expect(state.memberIds == ["a"])
        #expect(state.assignment["a"] == tps(("orders", 0), ("orders", 1), ("orders", 2), ("orders", 3)), "only subscribed topics are assigned")
    }

    @Test func secondJoinRebalancesAndSplitsThePartitions() throws {
        var state = ConsumerGroupState(group: "billing")
        _ = state.join(memberId: "a", topics: ["orders"], sessionTimeoutMs: 10_000, partitionCounts: Self.counts, now: Self.t0)
        let record = try required(state.join(memberId: "b", topics: ["orders"], sessionTimeoutMs: 10_000, partitionCounts: Self.counts, now: Self.t0 + 5))
        #expect(record.previousGeneration == 1 && record.generation == 2)
        #expect(record.membersBefore == ["a"] && record.membersAfter == ["a", "b"])
        #expect(record.reason == "member b joined")
        #expect(record.timeMs == Self.t0 + 5)
        #expect(state.assignment["a"] == tps(("orders", 0), ("orders", 1)))
        #expect(state.assignment["b"] == tps(("orders", 2), ("orders", 3)))
    }

    @Test func rejoiningWithTheSameSubscriptionChangesNothing() throws {
        var state = ConsumerGroupState(group: "g")
        _ = state.join(memberId: "a", topics: ["orders"], sessionTimeoutMs: 10_000, partitionCounts: Self.counts, now: Self.t0)
        #expect(state.join(memberId: "a", topics: ["orders"], sessionTimeoutMs: 10_000, partitionCounts: Self.counts, now: Self.t0 + 1) == nil)
        #expect(state.generation == 1)
        // A different subscription is a rebalance.
        let record = try required(state.join(memberId: "a", topics: ["orders", "refunds"], sessionTimeoutMs: 10_000, partitionCounts: Self.counts, now: Self.t0 + 2))
        #expect(record.reason == "member a changed its subscription")
        #expect(record.membersBefore == ["a"] && record.membersAfter == ["a"])
        #expect(state.generation == 2)
        #expect(state.assignment["a"]?.count == 6)
    }

    @Test func heartbeatReportsStableRebalancedOrUnknown() throws {
        var state = ConsumerGroupState(group: "g")
        _ = state.join(memberId: "a", topics: ["orders"], sessionTimeoutMs: 10_000, partitionCounts: Self.counts, now: Self.t0)
        #expect(state.heartbeat(memberId: "a", generation: 1, now: Self.t0 + 100) == .stable)
        _ = state.join(memberId: "b", topics: ["orders"], sessionTimeoutMs: 10_000, partitionCounts: Self.counts, now: Self.t0 + 200)
        // "a" is still at generation 1: it learns about generation 2 and its new share.
        #expect(state.heartbeat(memberId: "a", generation: 1, now: Self.t0 + 300) == .rebalanced(generation: 2, partitions: tps(("orders", 0), ("orders", 1))))
        #expect(state.heartbeat(memberId: "a", generation: 2, now: Self.t0 + 400) == .stable)
        #expect(state.heartbeat(memberId: "stranger", generation: 2, now: Self.t0 + 400) == .unknownMember)
        #expect(state.members["a"]?.lastHeartbeatMs == Self.t0 + 400)
        #expect(state.generation == 2, "heartbeats never change the generation")
    }

    @Test func sessionTimeoutExpiresOnlySilentMembers() throws {
        var state = ConsumerGroupState(group: "g")
        _ = state.join(memberId: "a", topics: ["orders"], sessionTimeoutMs: 10_000, partitionCounts: Self.counts, now: Self.t0)
        _ = state.join(memberId: "b", topics: ["orders"], sessionTimeoutMs: 10_000, partitionCounts: Self.counts, now: Self.t0)
        _ = state.heartbeat(memberId: "b", generation: 2, now: Self.t0 + 6_000)
        // Exactly at the timeout the session is still alive.
        #expect(state.expireSessions(partitionCounts: Self.counts, now: Self.t0 + 10_000) == nil)
        #expect(state.generation == 2)
        let record = try required(state.expireSessions(partitionCounts: Self.counts, now: Self.t0 + 10_001))
        #expect(record.reason.contains("session timeout") && record.reason.contains("a"))
        #expect(!record.reason.contains("b"))
        #expect(record.membersBefore == ["a", "b"] && record.membersAfter == ["b"])
        #expect(record.generation == 3 && record.timeMs == Self.t0 + 10_001)
        #expect(state.assignment["b"]?.count == 4)
        #expect(state.assignment["a"] == nil)
        #expect(state.heartbeat(memberId: "a", generation: 2, now: Self.t0 + 10_002) == .unknownMember)
    }

    @Test func severalMembersExpiringAtOnceAreOneRebalance() throws {
        var state = ConsumerGroupState(group: "g")
        for id in ["c", "a", "b"] {
            _ = state.join(memberId: id, topics: ["orders"], sessionTimeoutMs: 1_000, partitionCounts: Self.counts, now: Self.t0)
        }
        _ = state.heartbeat(memberId: "b", generation: 3, now: Self.t0 + 900)
        let record = try required(state.expireSessions(partitionCounts: Self.counts, now: Self.t0 + 1_500))
        #expect(record.reason == "session timeout of a, c")
        #expect(record.generation == 4)
        #expect(state.memberIds == ["b"])
    }

    @Test func leaveRebalancesAndUnknownLeaveDoesNot() throws {
        var state = ConsumerGroupState(group: "g")
        _ = state.join(memberId: "a", topics: ["orders"], sessionTimeoutMs: 10_000, partitionCounts: Self.counts, now: Self.t0)
        _ = state.join(memberId: "b", topics: ["orders"], sessionTimeoutMs: 10_000, partitionCounts: Self.counts, now: Self.t0)
        #expect(state.leave(memberId: "nobody", partitionCounts: Self.counts, now: Self.t0) == nil)
        let record = try required(state.leave(memberId: "a", partitionCounts: Self.counts, now: Self.t0 + 7))
        #expect(record.reason == "member a left")
        #expect(record.membersBefore == ["a", "b"] && record.membersAfter == ["b"])
        #expect(record.generation == 3)
        #expect(state.assignment["b"]?.count == 4)
        // The last member leaving empties the group, still as a new generation.
        let last = try required(state.leave(memberId: "b", partitionCounts: Self.counts, now: Self.t0 + 8))
        #expect(last.membersAfter.isEmpty && state.isEmpty && state.generation == 4)
    }

    @Test func commitsAreFencedByGenerationAndMembership() {
        var state = ConsumerGroupState(group: "g")
        _ = state.join(memberId: "a", topics: ["orders"], sessionTimeoutMs: 10_000, partitionCounts: Self.counts, now: Self.t0)
        #expect(state.checkCommit(memberId: "a", generation: 1) == .accepted)
        _ = state.join(memberId: "b", topics: ["orders"], sessionTimeoutMs: 10_000, partitionCounts: Self.counts, now: Self.t0)
        #expect(state.checkCommit(memberId: "a", generation: 1) == .staleGeneration(current: 2))
        #expect(state.checkCommit(memberId: "a", generation: 3) == .staleGeneration(current: 2))
        #expect(state.checkCommit(memberId: "a", generation: 2) == .accepted)
        #expect(state.checkCommit(memberId: "ghost", generation: 2) == .unknownMember)
        _ = state.leave(memberId: "a", partitionCounts: Self.counts, now: Self.t0)
        #expect(state.checkCommit(memberId: "a", generation: 3) == .unknownMember)
    }

    @Test func newPartitionsOfASubscribedTopicRebalance() throws {
        var state = ConsumerGroupState(group: "g")
        _ = state.join(memberId: "a", topics: ["orders", "later"], sessionTimeoutMs: 10_000, partitionCounts: Self.counts, now: Self.t0)
        // A topic nobody subscribes to changes nothing.
        #expect(state.topicsChanged(partitionCounts: Self.counts.merging(["unrelated": 3]) { $1 }, now: Self.t0 + 1) == nil)
        let record = try required(state.topicsChanged(partitionCounts: Self.counts.merging(["later": 2]) { $1 }, now: Self.t0 + 2))
        #expect(record.generation == 2)
        #expect(state.assignment["a"]?.contains(TopicPartition("later", 1)) == true)
    }

    @Test func startingGenerationCarriesOverForARecreatedGroup() throws {
        // After a restart the log recreates the group at its last persisted generation.
        var state = ConsumerGroupState(group: "g", generation: 41)
        let record = try required(state.join(memberId: "a", topics: ["orders"], sessionTimeoutMs: 10_000, partitionCounts: Self.counts, now: Self.t0))
        #expect(record.previousGeneration == 41 && record.generation == 42)
    }
}

/// Kafka's assignors, against the examples in their documentation.
@Suite struct AssignmentStrategyTests {
    static let twoTopics = ["t0": 3, "t1": 3]

    func tp(_ topic: String, _ partition: Int) -> TopicPartition { TopicPartition(topic, partition) }

    @Test func rangeMatchesKafkasDocumentedExample() {
        let result = AssignmentStrategy.range.assign(members: ["C0": ["t0", "t1"], "C1": ["t0", "t1"]], partitionCounts: Self.twoTopics)
        #expect(result["C0"] == [tp("t0", 0), tp("t0", 1), tp("t1", 0), tp("t1", 1)])
        #expect(result["C1"] == [tp("t0", 2), tp("t1", 2)])
    }

    @Test func roundRobinMatchesKafkasDocumentedExample() {
        let result = AssignmentStrategy.roundrobin.assign(members: ["C0": ["t0", "t1"], "C1": ["t0", "t1"]], partitionCounts: Self.twoTopics)
        #expect(result["C0"] == [tp("t0", 0), tp("t0", 2), tp("t1", 1)])
        #expect(result["C1"] == [tp("t0", 1), tp("t1", 0), tp("t1", 2)])
    }

    @Test func roundRobinWithUnevenSubscriptionsMatchesKafkasExample() {
        // RoundRobinAssignor javadoc: C0 ⊂ {t0}, C1 ⊂ {t0,t1}, C2 ⊂ {t0,t1,t2}; t0 has 1 partition, t1 2, t2 3.
        let result = AssignmentStrategy.roundrobin.assign(
            members: ["C0": ["t0"], "C1": ["t0", "t1"], "C2": ["t0", "t1", "t2"]], partitionCounts: ["t0": 1, "t1": 2, "t2": 3])
        #expect(result["C0"] == [tp("t0", 0)])
        #expect(result["C1"] == [tp("t1", 0)])
        #expect(result["C2"] == [tp("t1", 1), tp("t2", 0), tp("t2", 1), tp("t2", 2)])
    }

    @Test func rangeWithUnevenSubscriptionsSharesEachTopicAmongItsSubscribers() {
        let result = AssignmentStrategy.range.assign(
            members: ["C0": ["t0"], "C1": ["t0", "t1"], "C2": ["t1"]], partitionCounts: ["t0": 3, "t1": 5, "t2": 2])
        #expect(result["C0"] == [tp("t0", 0), tp("t0", 1)])
        #expect(result["C1"] == [tp("t0", 2), tp("t1", 0), tp("t1", 1), tp("t1", 2)])
        #expect(result["C2"] == [tp("t1", 3), tp("t1", 4)])
        #expect(!result.values.joined().contains { $0.topic == "t2" }, "unsubscribed topics are not assigned")
    }

    @Test(arguments: AssignmentStrategy.allCases)
    func moreMembersThanPartitionsLeavesSomeIdle(strategy: AssignmentStrategy) {
        let members = Dictionary(uniqueKeysWithValues: (0..<5).map { ("m\($0)", Set(["t0"])) })
        let result = strategy.assign(members: members, partitionCounts: ["t0": 3])
        #expect(result.count == 5, "every member gets an entry, possibly empty")
        #expect(result["m0"] == [tp("t0", 0)] && result["m1"] == [tp("t0", 1)] && result["m2"] == [tp("t0", 2)])
        #expect(result["m3"] == [] && result["m4"] == [])
    }

    @Test(arguments: AssignmentStrategy.allCases)
    func everyPartitionIsAssignedExactlyOnce(strategy: AssignmentStrategy) {
        let counts = ["a": 7, "b": 1, "c": 4]
        let members: [String: Set<String>] = ["x": ["a", "b", "c"], "y": ["a", "c"], "z": ["a"], "w": ["b"]]
        let result = strategy.assign(members: members, partitionCounts: counts)
        let assigned = result.values.flatMap { $0 }
        #expect(assigned.count == 12 && Set(assigned).count == 12)
        for (member, partitions) in result {
            #expect(partitions.allSatisfy { members[member]!.contains($0.topic) }, "\(member) only gets topics it subscribed to")
        }
        // The result depends on the members, not on the order a dictionary lists them in.
        var reordered: [String: Set<String>] = [:]
        for key in members.keys.sorted(by: >) { reordered[key] = members[key] }
        #expect(strategy.assign(members: reordered, partitionCounts: counts) == result)
    }

    @Test(arguments: AssignmentStrategy.allCases)
    func noMembersNoAssignment(strategy: AssignmentStrategy) {
        #expect(strategy.assign(members: [:], partitionCounts: ["t0": 3]).isEmpty)
    }
}
