import ScopeCore
import Testing

@testable import Collectors

/// Rebalance events from metrics: what a scrape or a Prometheus server says about each group.
@Suite struct RebalanceDetectorTests {
    @Test func aMemberCountChangeIsARebalanceNamingTheGroupAndTheChange() {
        var detector = RebalanceDetector()
        #expect(detector.observe(atMs: 0, members: ["billing": 3, "audit": 1], rebalances: [:]).isEmpty, "the first values are the baseline")
        #expect(detector.observe(atMs: 15_000, members: ["billing": 3, "audit": 1], rebalances: [:]).isEmpty)
        let events = detector.observe(atMs: 30_000, members: ["billing": 2, "audit": 1], rebalances: [:])
        #expect(events.map(\.title) == ["rebalance billing: members 3 → 2"])
        #expect(events.first?.kind == .rebalance && events.first?.labels == ["consumergroup": "billing"] && events.first?.timeMs == 30_000)
        #expect(events.first?.fields["members_before"] == "3" && events.first?.fields["members_after"] == "2")
    }

    @Test func theRebalanceCounterCountsGenerationChangesAndAResetIsNone() {
        var detector = RebalanceDetector()
        _ = detector.observe(atMs: 0, members: ["billing": 3], rebalances: ["billing": 5])
        // A leave and a join between two collections: the member count is back, the counter says 2.
        #expect(detector.observe(atMs: 15_000, members: ["billing": 3], rebalances: ["billing": 7]).map(\.title)
                == ["rebalance billing: 2 generation changes"])
        #expect(detector.observe(atMs: 30_000, members: ["billing": 2], rebalances: ["billing": 8]).map(\.title)
                == ["rebalance billing: members 3 → 2, 1 generation change"])
        // The exporter restarted: its counter starts over. Not a rebalance.
        #expect(detector.observe(atMs: 45_000, members: ["billing": 2], rebalances: ["billing": 0]).isEmpty)
        #expect(detector.observe(atMs: 60_000, members: ["billing": 2], rebalances: ["billing": 1]).count == 1)
    }

    @Test func aGroupMissingFromOneCollectionKeepsItsValues() {
        var detector = RebalanceDetector()
        _ = detector.observe(atMs: 0, members: ["billing": 3], rebalances: [:])
        #expect(detector.observe(atMs: 15_000, members: [:], rebalances: [:]).isEmpty)
        #expect(detector.observe(atMs: 30_000, members: ["billing": 3], rebalances: [:]).isEmpty, "no change across the gap")
    }
}
