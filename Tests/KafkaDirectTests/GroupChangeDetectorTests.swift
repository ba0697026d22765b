import ScopeCore
import Testing

@testable import KafkaDirect

/// Rebalances read off DescribeGroups answers between collections.
@Suite struct GroupChangeDetectorTests {
    let a = GroupMember(memberID: "a-1", clientID: "memberA", host: "/10.0.0.1", assignment: [TopicPartition("orders", 0), TopicPartition("orders", 1)])
    let b = GroupMember(memberID: "b-1", clientID: "memberB", host: "/10.0.0.2", assignment: [TopicPartition("orders", 2)])

    func group(_ state: GroupState, _ members: [GroupMember]) -> Group { Group(name: "g1", state: state, members: members) }

    @Test func theFirstSightOfAGroupIsItsBaseline() {
        var detector = GroupChangeDetector()
        #expect(detector.observe([group(.stable, [a])], atMs: 0).isEmpty)
        #expect(detector.observe([group(.stable, [a])], atMs: 1_000).isEmpty)
        #expect(detector.rebalances == ["g1": 0])
    }

    @Test func aJoinSeenThroughEveryStateIsOneRebalanceWithAnEventPerTransition() {
        var detector = GroupChangeDetector()
        _ = detector.observe([group(.stable, [a])], atMs: 0)
        let joining = GroupMember(memberID: "b-1", clientID: "memberB", host: "/10.0.0.2", assignment: [])
        let unassigned = GroupMember(memberID: "a-1", clientID: "memberA", host: "/10.0.0.1", assignment: [])
        let e1 = detector.observe([group(.preparingRebalance, [unassigned, joining])], atMs: 1_000)
        #expect(e1.map(\.title) == ["rebalance g1: Stable → PreparingRebalance; members 1 → 2; joined memberB (/10.0.0.2)"])
        #expect(e1.first?.kind == .rebalance && e1.first?.labels == ["consumergroup": "g1"] && e1.first?.timeMs == 1_000)
        #expect(e1.first?.fields["joined"] == "memberB" && e1.first?.fields["state_after"] == "PreparingRebalance")
        let e2 = detector.observe([group(.completingRebalance, [unassigned, joining])], atMs: 2_000)
        #expect(e2.map(\.title) == ["rebalance g1: PreparingRebalance → CompletingRebalance"])
        let moved = GroupMember(memberID: "a-1", clientID: "memberA", host: "/10.0.0.1", assignment: [TopicPartition("orders", 0), TopicPartition("orders", 1)])
        let e3 = detector.observe([group(.stable, [moved, b])], atMs: 3_000)
        #expect(e3.map(\.title) == ["rebalance g1: CompletingRebalance → Stable; assignment changed"])
        #expect(detector.rebalances == ["g1": 1], "one rebalance, three transitions")
    }

    @Test func aRebalanceThatFellBetweenTwoCollectionsStillCounts() {
        var detector = GroupChangeDetector()
        _ = detector.observe([group(.stable, [a, b])], atMs: 0)
        let alone = GroupMember(memberID: "a-1", clientID: "memberA", host: "/10.0.0.1", assignment: [TopicPartition("orders", 0), TopicPartition("orders", 1), TopicPartition("orders", 2)])
        let events = detector.observe([group(.stable, [alone])], atMs: 5_000)
        #expect(events.map(\.title) == ["rebalance g1: members 2 → 1; left memberB (/10.0.0.2)"])
        #expect(events.first?.fields["left"] == "memberB")
        #expect(detector.rebalances == ["g1": 1])
    }

    @Test func aMemberThatLeavesMidRebalanceIsNamedAndTheRebalanceCountedOnce() {
        var detector = GroupChangeDetector()
        _ = detector.observe([group(.stable, [a, b])], atMs: 0)
        _ = detector.observe([group(.preparingRebalance, [a, b])], atMs: 1_000)
        let events = detector.observe([group(.preparingRebalance, [a])], atMs: 2_000)
        #expect(events.map(\.title) == ["rebalance g1: members 2 → 1; left memberB (/10.0.0.2)"])
        _ = detector.observe([group(.stable, [a])], atMs: 3_000)
        #expect(detector.rebalances == ["g1": 1])
    }

    @Test func groupsWithoutADescriptionAreIgnoredAndAGroupThatWasMissingIsComparedWithItsLastSight() {
        var detector = GroupChangeDetector()
        _ = detector.observe([group(.stable, [a]), Group(name: "undescribed")], atMs: 0)
        #expect(detector.observe([], atMs: 1_000).isEmpty)
        #expect(detector.observe([group(.empty, [])], atMs: 2_000).map(\.title) == ["rebalance g1: Stable → Empty; members 1 → 0; left memberA (/10.0.0.1)"])
        #expect(detector.rebalances["undescribed"] == nil)
    }

    @Test func aGroupMissingWhileOthersAreDescribedIsForgottenAndItsReturnIsABaseline() {
        var detector = GroupChangeDetector()
        let other = Group(name: "other", state: .stable, members: [b])
        _ = detector.observe([group(.stable, [a]), other], atMs: 0)
        #expect(detector.observe([other], atMs: 1_000).isEmpty)
        #expect(detector.rebalances["g1"] == nil, "a deleted group's count goes with it")
        #expect(detector.observe([group(.stable, [a, b]), other], atMs: 2_000).isEmpty, "back: a new baseline")
    }
}
