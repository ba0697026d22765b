import Foundation
import ScopeCore
import Testing

@testable import StreamLog

/// Consumer groups through the log: session timeouts driven by a manual clock, fencing of stale
/// commits, rebalance events on the timeline, durable commits.
@Suite struct ConsumerGroupLogTests {
    func openLog(_ dir: String, clock: ManualClock, partitions: Int = 4) throws -> StreamLog {
        let log = try StreamLog.open(directory: dir, create: true, clock: clock)
        try log.createTopic("orders", config: TopicConfig(partitions: partitions))
        return log
    }

    @Test func sessionTimeoutIsNoticedOnAnotherMembersHeartbeat() throws {
        try withTemporaryDirectory { dir in
            let clock = ManualClock()
            let log = try openLog(dir, clock: clock)
            let a = try log.joinGroup("billing", memberId: "a", topics: ["orders"], sessionTimeoutMs: 10_000)
            #expect(a.generation == 1 && a.partitions.count == 4)
            let b = try log.joinGroup("billing", memberId: "b", topics: ["orders"], sessionTimeoutMs: 10_000)
            #expect(b.generation == 2 && b.partitions == [TopicPartition("orders", 2), TopicPartition("orders", 3)])
            #expect(try log.heartbeat("billing", memberId: "a", generation: 1) == .rebalanced(generation: 2, partitions: [TopicPartition("orders", 0), TopicPartition("orders", 1)]))

            clock.advance(byMs: 6_000)
            #expect(try log.heartbeat("billing", memberId: "b", generation: 2) == .stable)
            clock.advance(byMs: 4_000)  // a: exactly 10 s of silence, still alive
            #expect(try log.heartbeat("billing", memberId: "b", generation: 2) == .stable)
            clock.advance(byMs: 1)
            // b's heartbeat is what notices a's silence: b now owns everything in generation 3.
            #expect(try log.heartbeat("billing", memberId: "b", generation: 2) == .rebalanced(generation: 3, partitions: (0..<4).map { TopicPartition("orders", $0) }))
            #expect(log.groupState("billing")?.memberIds == ["b"])
            #expect(try log.heartbeat("billing", memberId: "a", generation: 2) == .unknownMember)

            // a is gone: its commit is refused.
            #expect(throws: LogError.unknownMember(group: "billing", memberId: "a")) {
                try log.commitOffsets("billing", memberId: "a", generation: 2, offsets: [TopicPartition("orders", 0): 0])
            }
            try log.close()
        }
    }

    @Test func commitFromAStaleGenerationIsFenced() throws {
        try withTemporaryDirectory { dir in
            let clock = ManualClock()
            let log = try openLog(dir, clock: clock)
            let tp0 = TopicPartition("orders", 0)
            try log.append(tp0, [ProducerRecord(key: nil, value: utf8("x")), ProducerRecord(key: nil, value: utf8("y"))])
            _ = try log.joinGroup("billing", memberId: "a", topics: ["orders"])
            try log.commitOffsets("billing", memberId: "a", generation: 1, offsets: [tp0: 1])
            _ = try log.joinGroup("billing", memberId: "b", topics: ["orders"])
            // a still believes in generation 1: fenced, and the committed offset does not move.
            #expect(throws: LogError.illegalGeneration(group: "billing", memberId: "a", generation: 1, current: 2)) {
                try log.commitOffsets("billing", memberId: "a", generation: 1, offsets: [tp0: 2])
            }
            #expect(log.committedOffsets("billing") == [tp0: 1])
            try log.commitOffsets("billing", memberId: "a", generation: 2, offsets: [tp0: 2])
            #expect(log.committedOffsets("billing") == [tp0: 2])
            // A standalone commit (no member) is refused while the group has members.
            #expect(throws: LogError.self) { try log.commitOffsets("billing", memberId: nil, generation: nil, offsets: [tp0: 0]) }
            // Offsets past the end of the partition are refused.
            #expect(throws: LogError.self) { try log.commitOffsets("billing", memberId: "a", generation: 2, offsets: [tp0: 3]) }
            try log.close()
        }
    }

    @Test func consumerClientIsFencedAfterMissingARebalance() throws {
        try withTemporaryDirectory { dir in
            let clock = ManualClock()
            let log = try openLog(dir, clock: clock, partitions: 2)
            for p in 0..<2 { try log.append(TopicPartition("orders", p), [ProducerRecord(key: nil, value: utf8("p\(p)"))]) }
            let slow = try Consumer(log: log, topics: ["orders"], group: "billing", memberId: "slow", sessionTimeoutMs: 5_000)
            #expect(try slow.poll().count == 2)
            clock.advance(byMs: 5_001)
            let fresh = try Consumer(log: log, topics: ["orders"], group: "billing", memberId: "fresh", sessionTimeoutMs: 5_000)
            #expect(try fresh.poll().count == 2, "the new member owns everything after slow's session expired")
            // slow still holds generation 1 and its positions: its commit must not land.
            #expect(throws: LogError.unknownMember(group: "billing", memberId: "slow")) { try slow.commit() }
            #expect(log.committedOffsets("billing").isEmpty)
            try fresh.commit()
            #expect(log.committedOffsets("billing") == [TopicPartition("orders", 0): 1, TopicPartition("orders", 1): 1])
            // slow's next poll rejoins as a member of a new generation.
            _ = try slow.poll()
            #expect(slow.generation == log.groupState("billing")?.generation)
            #expect(log.groupState("billing")?.memberIds == ["fresh", "slow"])
            try log.close()
        }
    }

    @Test func rebalancesAreEventsOnTheTimeline() throws {
        try withTemporaryDirectory { dir in
            let clock = ManualClock()
            let log = try openLog(dir, clock: clock)
            let t0 = clock.nowMs()
            _ = try log.joinGroup("billing", memberId: "a", topics: ["orders"], sessionTimeoutMs: 1_000)
            clock.advance(byMs: 100)
            _ = try log.joinGroup("billing", memberId: "b", topics: ["orders"], sessionTimeoutMs: 60_000)
            clock.advance(byMs: 2_000)
            try log.expireSessions()
            clock.advance(byMs: 100)
            try log.leaveGroup("billing", memberId: "b")
            _ = try log.joinGroup("audit", memberId: "x", topics: ["orders"])

            let events = try log.events()
            #expect(events.count == 5)
            #expect(events.allSatisfy { $0.kind == .rebalance })
            let billing = events.filter { $0.labels["consumergroup"] == "billing" }
            #expect(billing.map { $0.fields["generation"] } == ["1", "2", "3", "4"])
            #expect(billing.map { $0.fields["previous_generation"] } == ["0", "1", "2", "3"])
            #expect(billing.map { $0.fields["members_before"] } == ["", "a", "a,b", "b"])
            #expect(billing.map { $0.fields["members_after"] } == ["a", "a,b", "b", ""])
            #expect(billing.map(\.timeMs) == [t0, t0 + 100, t0 + 2_100, t0 + 2_200])
            #expect(billing[0].fields["reason"] == "member a joined")
            #expect(billing[2].fields["reason"]?.contains("session timeout") == true)
            #expect(billing[2].fields["reason"]?.contains("a") == true)
            #expect(billing[3].fields["reason"] == "member b left")
            #expect(billing.allSatisfy { $0.title.contains("billing") })
            #expect(events.last?.labels == ["consumergroup": "audit"])

            // Time-window queries are inclusive at both ends.
            #expect(try log.events(fromMs: t0 + 100, toMs: t0 + 2_100).count == 2)

            let rebalances = try family(log.metricFamilies(), "strm_rebalances_total")
            #expect(value(rebalances, ["consumergroup": "billing"]) == 4)
            #expect(value(rebalances, ["consumergroup": "audit"]) == 1)
            try log.close()

            // The timeline and the counts survive a restart, and generations continue.
            let reopened = try StreamLog.open(directory: dir, clock: clock)
            #expect(try reopened.events() == events)
            #expect(value(try family(reopened.metricFamilies(), "strm_rebalances_total"), ["consumergroup": "billing"]) == 4)
            let rejoined = try reopened.joinGroup("billing", memberId: "c", topics: ["orders"])
            #expect(rejoined.generation == 5, "a restarted log never reuses a generation")
            try reopened.close()
        }
    }

    @Test(arguments: [false, true])
    func commitsAreDurableAcrossReopen(crash: Bool) throws {
        try withTemporaryDirectory { dir in
            let clock = ManualClock()
            let log = try openLog(dir + "/live", clock: clock)
            let tp0 = TopicPartition("orders", 0)
            let tp1 = TopicPartition("orders", 1)
            for tp in [tp0, tp1] { try log.append(tp, (0..<5).map { ProducerRecord(key: nil, value: utf8("\($0)")) }) }
            try log.commitOffsets("standalone", memberId: nil, generation: nil, offsets: [tp0: 3])
            let m = try log.joinGroup("billing", memberId: "a", topics: ["orders"])
            try log.commitOffsets("billing", memberId: "a", generation: m.generation, offsets: [tp0: 2, tp1: 5])
            try log.commitOffsets("billing", memberId: "a", generation: m.generation, offsets: [tp0: 4])
            var directory = dir + "/live"
            if crash {
                directory = dir + "/image"
                try copyDirectory(dir + "/live", to: directory)
            }
            try log.close()

            let reopened = try StreamLog.open(directory: directory, clock: clock)
            #expect(reopened.committedOffsets("billing") == [tp0: 4, tp1: 5])
            #expect(reopened.committedOffsets("standalone") == [tp0: 3])
            #expect(reopened.groupNames().contains("billing") && reopened.groupNames().contains("standalone"))
            let status = reopened.groupStatus("billing")
            #expect(status.members.isEmpty, "members do not survive a restart")
            let committed = status.partitions.filter { $0.committed != nil }
            #expect(committed.map(\.topicPartition) == [tp0, tp1])
            #expect(committed.map(\.lag) == [1, 0])
            // A consumer of the group continues where the group left off.
            let consumer = try Consumer(log: reopened, topics: ["orders"], group: "billing", memberId: "b")
            let got = try drain(consumer)
            #expect(got.map { "\($0.partition)@\($0.offset)" } == ["0@4"])
            try reopened.close()
        }
    }

    @Test func groupOperationsValidateTheirInput() throws {
        try withTemporaryDirectory { dir in
            let log = try openLog(dir, clock: ManualClock())
            #expect(throws: LogError.unknownTopic("nope")) { try log.joinGroup("g", memberId: "a", topics: ["nope"]) }
            #expect(throws: LogError.self) { try log.joinGroup("", memberId: "a", topics: ["orders"]) }
            #expect(throws: LogError.self) { try log.joinGroup("g", memberId: "", topics: ["orders"]) }
            #expect(throws: LogError.self) { try log.joinGroup("bad\ngroup", memberId: "a", topics: ["orders"]) }
            #expect(try log.heartbeat("never-joined", memberId: "a", generation: 1) == .unknownMember)
            try log.close()
        }
    }
}
