import Testing

@testable import ScopeUI

/// Keys as transitions of the scope's state, at explicit times.
@Suite struct ScopeStateTests {
    let config = ScopeFixtures.config
    let now = ScopeFixtures.endMs

    func fresh() -> ScopeState {
        var state = ScopeState(config: config, timePerDivisionMs: 5_000, trigger: nil, nowMs: now)
        state.advance(histories: ScopeFixtures.histories(), nowMs: now, liveEndMs: now)
        return state
    }

    @Test func spaceFreezesAndResumes() {
        var state = fresh()
        #expect(state.handle(.character(" "), config: config, nowMs: now) == .redraw)
        #expect(!state.running && state.frozenEndMs == now)
        // New data does not move a stopped scope.
        state.advance(histories: ScopeFixtures.histories(), nowMs: now + 5_000, liveEndMs: now + 5_000)
        #expect(state.displayedEndMs == now)
        _ = state.handle(.character(" "), config: config, nowMs: now + 5_000)
        state.advance(histories: ScopeFixtures.histories(), nowMs: now + 5_000, liveEndMs: now + 5_000)
        #expect(state.running && state.displayedEndMs == now + 5_000)
    }

    @Test func arrowsScrollBackThroughHistoryAndEndReturnsToLive() {
        var state = fresh()
        _ = state.handle(.left, config: config, nowMs: now)
        #expect(!state.running && state.displayedEndMs == now - 5_000, "← stops and goes back one division")
        _ = state.handle(.pageUp, config: config, nowMs: now)
        #expect(state.displayedEndMs == now - 55_000)
        _ = state.handle(.right, config: config, nowMs: now)
        #expect(state.displayedEndMs == now - 50_000)
        _ = state.handle(.end, config: config, nowMs: now)
        #expect(state.running)
    }

    @Test func timePerDivisionStepsOneTwoFiveWithinBounds() {
        var state = fresh()
        var seen: [Int64] = []
        for _ in 0..<3 {
            _ = state.handle(.character("+"), config: config, nowMs: now)
            seen.append(state.timePerDivisionMs)
        }
        #expect(seen == [10_000, 20_000, 50_000])
        for _ in 0..<20 { _ = state.handle(.character("-"), config: config, nowMs: now) }
        #expect(state.timePerDivisionMs == 100, "never below 100 ms per division")
        #expect(state.windowMs == 1_000)
    }

    @Test func channelSelectionAndVoltsPerDivision() {
        var state = fresh()
        #expect(state.handle(.character("3"), config: config, nowMs: now) == .redraw)
        #expect(state.selectedChannel == 2)
        #expect(state.handle(.character("9"), config: config, nowMs: now) == ScopeCommand.none, "no channel 9")
        #expect(state.selectedChannel == 2)
        state.shownPerDivision[2] = 20
        _ = state.handle(.up, config: config, nowMs: now)
        #expect(state.perDivision[2] == 50, "↑ starts from the auto scale on screen")
        _ = state.handle(.down, config: config, nowMs: now)
        _ = state.handle(.down, config: config, nowMs: now)
        #expect(state.perDivision[2] == 10)
        _ = state.handle(.character("0"), config: config, nowMs: now)
        #expect(state.perDivision[2] == nil)
    }

    @Test func triggerKeysSetEdgeModeAndLevel() {
        var state = fresh()
        _ = state.handle(.character("2"), config: config, nowMs: now)
        state.shownPerDivision[1] = 10
        _ = state.handle(.character("t"), config: config, nowMs: now)
        #expect(state.trigger == TriggerSettings(channel: 1, edge: .rising, level: 10, mode: .auto))
        _ = state.handle(.character("t"), config: config, nowMs: now)
        #expect(state.trigger?.edge == .falling)
        _ = state.handle(.character("T"), config: config, nowMs: now)
        #expect(state.trigger?.mode == .normal)
        _ = state.handle(.character("T"), config: config, nowMs: now)
        _ = state.handle(.character("T"), config: config, nowMs: now)
        #expect(state.trigger?.mode == .auto)
        _ = state.handle(.character("]"), config: config, nowMs: now)
        #expect(state.trigger?.level == 12, "a fifth of a division up")
        _ = state.handle(.character("["), config: config, nowMs: now)
        _ = state.handle(.character("["), config: config, nowMs: now)
        #expect(state.trigger?.level == 8)
    }

    @Test func helpOverlayClosesOnAnyKeyAndQuitAlwaysQuits() {
        var state = fresh()
        _ = state.handle(.character("?"), config: config, nowMs: now)
        #expect(state.showHelp)
        #expect(state.handle(.character("x"), config: config, nowMs: now) == .redraw)
        #expect(!state.showHelp)
        _ = state.handle(.character("?"), config: config, nowMs: now)
        #expect(state.handle(.character("q"), config: config, nowMs: now) == .quit)
        #expect(state.handle(.character("k"), config: config, nowMs: now) == .extraKey("k"), "the demo's fault keys reach the app")
        #expect(state.handle(.character("\u{0C}"), config: config, nowMs: now) == .repaint)
    }

    @Test func tabSelectsAnAlertEnterOpensItsRunbookAndQClosesIt() {
        var state = fresh()
        #expect(state.handle(.enter, config: config, nowMs: now, alerts: 0) == .redraw, "no alert: a notice, not a crash")
        #expect(state.notice?.text.hasPrefix("no alert to open") == true)
        _ = state.handle(.tab, config: config, nowMs: now, alerts: 3)
        _ = state.handle(.tab, config: config, nowMs: now, alerts: 3)
        #expect(state.selectedAlert == 2)
        _ = state.handle(.tab, config: config, nowMs: now, alerts: 3)
        #expect(state.selectedAlert == 0, "Tab wraps around")
        #expect(state.handle(.enter, config: config, nowMs: now, alerts: 3) == .openRunbook(0))
        state.runbook = RunbookView(title: "A", text: (1...30).map { "line \($0)" }.joined(separator: "\n"))
        _ = state.handle(.pageDown, config: config, nowMs: now)
        _ = state.handle(.down, config: config, nowMs: now)
        #expect(state.runbook?.scroll == 11)
        _ = state.handle(.end, config: config, nowMs: now)
        #expect(state.runbook?.scroll == 29, "never past the last line")
        #expect(state.handle(.character("+"), config: config, nowMs: now) == ScopeCommand.none, "the viewer takes the keys")
        #expect(state.timePerDivisionMs == 5_000)
        #expect(state.handle(.character("q"), config: config, nowMs: now) == .redraw, "q closes the runbook, it does not quit")
        #expect(state.runbook == nil)
    }

    @Test func aTriggeredSingleCaptureStopsTheScope() {
        var state = ScopeState(config: config, timePerDivisionMs: 2_000,
                               trigger: TriggerSettings(channel: 1, edge: .rising, level: 5, mode: .single), nowMs: now - 60_000)
        state.advance(histories: ScopeFixtures.histories(), nowMs: now, liveEndMs: now)
        // The lag crosses 5 s just after 571 s; the capture (16 s after it) is complete at 600 s.
        #expect(!state.running && state.status == .triggered)
        #expect(state.displayedEndMs == state.triggerState.triggerMs! + 16_000)
    }
}
