import Testing
import ScopeCore

@testable import SeriesStore

@Suite struct EventTests {
    func rebalance(_ t: Int64, _ group: String, _ generation: Int) -> Event {
        Event(kind: .rebalance, timeMs: t, labels: ["consumergroup": group], title: "\(group) gen \(generation - 1)→\(generation)",
              fields: ["generation": "\(generation)"])
    }

    @Test func queryByTimeRangeLabelsAndKind() throws {
        let store = SeriesStore()
        store.appendEvent(rebalance(t0, "billing", 7))
        store.appendEvent(rebalance(t0 + 10_000, "audit", 2))
        store.appendEvent(Event(kind: .alert, timeMs: t0 + 20_000, labels: ["alertname": "ConsumerLagSLOBurnFast", "consumergroup": "billing"], title: "firing"))
        store.appendEvent(Event(kind: .marker, timeMs: t0 + 30_000, labels: [:], title: "deploy v2"))
        store.appendEvent(rebalance(t0 + 40_000, "billing", 8))

        #expect(store.events(fromMs: t0, toMs: t0 + 40_000).count == 5)
        #expect(store.events(fromMs: t0 + 10_000, toMs: t0 + 30_000).map(\.title) == ["audit gen 1→2", "firing", "deploy v2"], "inclusive")
        #expect(store.events(fromMs: t0, toMs: .max, matching: [m("consumergroup", .equal, "billing")]).map(\.kind) == [.rebalance, .alert, .rebalance])
        #expect(store.events(fromMs: t0, toMs: .max, matching: [m("consumergroup", .equal, "billing")], kinds: [.rebalance]).map(\.fields["generation"]) == ["7", "8"])
        // Absent labels have the value "": the marker has no consumergroup.
        #expect(store.events(fromMs: t0, toMs: .max, matching: [m("consumergroup", .equal, "")]).map(\.title) == ["deploy v2"])
        #expect(store.events(fromMs: t0, toMs: .max, matching: [m("consumergroup", .regexMatch, "bill.*|aud.*")]).count == 4)
        #expect(store.events(fromMs: t0, toMs: .max, matching: [m("alertname", .notEqual, "ConsumerLagSLOBurnFast")]).count == 4)
        #expect(store.events(fromMs: t0 + 1, toMs: t0).isEmpty)
    }

    @Test func lateEventsAreInsertedInTimeOrder() {
        var timeline = EventTimeline(maxEvents: 100)
        for t: Int64 in [10, 30, 20, 30, 5, 40] { timeline.append(Event(kind: .marker, timeMs: t, labels: [:], title: "\(t)")) }
        timeline.append(Event(kind: .marker, timeMs: 30, labels: [:], title: "30b"))
        #expect(timeline.query(fromMs: .min, toMs: .max).map(\.title) == ["5", "10", "20", "30", "30", "30b", "40"])
    }

    @Test func boundedInCountTheOldestGoFirst() {
        let store = SeriesStore(options: {
            var options = StoreOptions()
            options.maxEvents = 100
            return options
        }())
        for i in 0..<1_000 { store.appendEvent(rebalance(t0 + Int64(i), "g", i)) }
        let events = store.events(fromMs: .min, toMs: .max)
        #expect(events.count == 100)
        #expect(events.first?.timeMs == t0 + 900 && events.last?.timeMs == t0 + 999)
        #expect(store.stats.events == 100 && store.stats.eventsDropped == 900)
    }

    @Test func retentionByAge() {
        let clock = ManualClock(startMs: t0)
        let store = SeriesStore(options: StoreOptions(retentionMs: 60_000), clock: clock)
        for i in 0..<10 { store.appendEvent(rebalance(t0 + Int64(i) * 10_000, "g", i)) }
        clock.set(ms: t0 + 120_000)
        let summary = store.enforceRetention()
        #expect(summary.eventsDropped == 6)
        #expect(store.events(fromMs: .min, toMs: .max).map(\.timeMs) == [t0 + 60_000, t0 + 70_000, t0 + 80_000, t0 + 90_000])
        var timeline = EventTimeline(maxEvents: 5)
        timeline.append(rebalance(1, "g", 1))
        #expect(timeline.truncate(beforeMs: 2) == 1 && timeline.count == 0)
        timeline.append(rebalance(3, "g", 2))
        #expect(timeline.query(fromMs: .min, toMs: .max).count == 1)
    }
}
