import Testing

@testable import Collectors

@Suite struct ScrapeScheduleTests {
    @Test func eachTargetKeepsItsIntervalAtAStablePhase() {
        let target = ScrapeTarget(url: "http://kafka-exporter:9308/metrics", intervalMs: 15_000)
        var schedule = ScrapeSchedule(target: target, startMs: 1_000_000)
        let first = schedule.nextMs
        #expect(first >= 1_000_000 && first < 1_015_000, "the first scrape falls within the first interval")
        #expect(ScrapeSchedule(target: target, startMs: 1_000_000).nextMs == first, "the phase is stable (not per-process hashing)")
        do { let due = schedule.takeIfDue(atMs: first - 1); #expect(!due) }
        do { let due = schedule.takeIfDue(atMs: first); #expect(due) }
        #expect(schedule.nextMs == first + 15_000)
        do { let due = schedule.takeIfDue(atMs: first + 14_999); #expect(!due) }
        do { let due = schedule.takeIfDue(atMs: first + 15_003); #expect(due) }
        #expect(schedule.nextMs == first + 30_000, "a late scrape does not shift the phase")
    }

    @Test func missedIntervalsAreSkippedNotBunched() {
        var schedule = ScrapeSchedule(target: ScrapeTarget(url: "http://a/metrics", intervalMs: 10_000), startMs: 0)
        let first = schedule.nextMs
        // The process was stalled for a minute: one scrape now, the next at the phase after now.
        do { let due = schedule.takeIfDue(atMs: first + 61_000); #expect(due) }
        #expect(schedule.nextMs == first + 70_000)
        do { let due = schedule.takeIfDue(atMs: first + 69_999); #expect(!due) }
    }

    @Test func targetsSpreadOverTheInterval() {
        let phases = (0..<50).map { ScrapeSchedule(target: ScrapeTarget(url: "http://host-\($0):9100/metrics", intervalMs: 15_000), startMs: 0).nextMs }
        #expect(Set(phases).count > 40, "different targets get different phases")
        #expect(phases.allSatisfy { $0 >= 0 && $0 < 15_000 })
    }
}
