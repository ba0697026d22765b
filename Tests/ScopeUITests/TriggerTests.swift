import Testing

@testable import ScopeUI

/// The trigger state machine driven by explicit times (no clock, no sleeping).
@Suite struct TriggerTests {
    /// A 1 s series: 0 until `riseAt` seconds, then 10.
    func step(riseAt: Int, through: Int) -> TraceHistory {
        TraceHistory(points: (0...through).map { (Int64($0) * 1000, $0 >= riseAt ? 10.0 : 0) })
    }

    let rising = TriggerSettings(channel: 0, edge: .rising, level: 5, mode: .auto)

    @Test func aRisingCrossingIsPlacedTwentyPercentFromTheLeft() {
        var trigger = TriggerState(armedAfterMs: 0)
        let history = step(riseAt: 30, through: 100)
        let display = trigger.update(rising, source: history, nowMs: 100_000, windowMs: 50_000, liveEndMs: 100_000)
        // Crossing interpolated half-way between 29 s (0) and 30 s (10).
        #expect(trigger.triggerMs == 29_500)
        #expect(display == TriggerState.Display(endMs: 29_500 + 40_000, status: .triggered, stop: false))
    }

    @Test func fallingEdgeIgnoresRisingCrossings() {
        var trigger = TriggerState(armedAfterMs: 0)
        let falling = TriggerSettings(channel: 0, edge: .falling, level: 5, mode: .normal)
        let display = trigger.update(falling, source: step(riseAt: 30, through: 100), nowMs: 100_000, windowMs: 50_000, liveEndMs: 100_000)
        #expect(display == TriggerState.Display(endMs: nil, status: .waiting, stop: false))
    }

    @Test func autoRollsLiveWithoutATriggerAndNormalWaits() {
        var auto = TriggerState(armedAfterMs: 0)
        let flat = step(riseAt: 1_000, through: 100)
        #expect(auto.update(rising, source: flat, nowMs: 100_000, windowMs: 50_000, liveEndMs: 99_000)
            == TriggerState.Display(endMs: 99_000, status: .live, stop: false))
        var normal = TriggerState(armedAfterMs: 0)
        var settings = rising
        settings.mode = .normal
        #expect(normal.update(settings, source: flat, nowMs: 100_000, windowMs: 50_000, liveEndMs: 99_000).status == .waiting)
    }

    @Test func aCaptureFillsThenHoldsThenAutoRollsAfterAQuietWindow() {
        var trigger = TriggerState(armedAfterMs: 0)
        var history = step(riseAt: 30, through: 40)
        // At 40 s the capture still waits for post-trigger data (until 29.5 + 40 s).
        var display = trigger.update(rising, source: history, nowMs: 40_000, windowMs: 50_000, liveEndMs: 40_000)
        #expect(display.status == .triggered && !trigger.captureComplete)
        history = step(riseAt: 30, through: 70)
        display = trigger.update(rising, source: history, nowMs: 70_000, windowMs: 50_000, liveEndMs: 70_000)
        #expect(trigger.captureComplete && display.endMs == 69_500)
        // Held for a window after completing, then live again.
        history = step(riseAt: 30, through: 110)
        #expect(trigger.update(rising, source: history, nowMs: 110_000, windowMs: 50_000, liveEndMs: 110_000).endMs == 69_500)
        history = step(riseAt: 30, through: 125)
        #expect(trigger.update(rising, source: history, nowMs: 125_000, windowMs: 50_000, liveEndMs: 125_000)
            == TriggerState.Display(endMs: 125_000, status: .live, stop: false))
    }

    @Test func aNewCrossingAfterTheCaptureRetriggers() {
        var trigger = TriggerState(armedAfterMs: 0)
        func high(_ s: Int) -> Bool { (s >= 30 && s < 100) || s >= 150 }
        let points: [(Int64, Double)] = (0...200).map { s -> (Int64, Double) in (Int64(s) * 1000, high(s) ? 10.0 : 0.0) }
        let history = TraceHistory(points: points)
        _ = trigger.update(rising, source: TraceHistory(points: Array(points.prefix(80))), nowMs: 79_000, windowMs: 50_000, liveEndMs: 79_000)
        #expect(trigger.triggerMs == 29_500)
        _ = trigger.update(rising, source: history, nowMs: 200_000, windowMs: 50_000, liveEndMs: 200_000)
        #expect(trigger.triggerMs == 149_500)
    }

    @Test func singleModeStopsWhenTheCaptureIsComplete() {
        var trigger = TriggerState(armedAfterMs: 0)
        var single = rising
        single.mode = .single
        #expect(trigger.update(single, source: step(riseAt: 30, through: 50), nowMs: 50_000, windowMs: 50_000, liveEndMs: 50_000).stop == false)
        let display = trigger.update(single, source: step(riseAt: 30, through: 80), nowMs: 80_000, windowMs: 50_000, liveEndMs: 80_000)
        #expect(display == TriggerState.Display(endMs: 69_500, status: .triggered, stop: true))
    }

    @Test func gapsAreNotCrossings() {
        let history = TraceHistory(points: [(0, 0), (1000, .nan), (2000, 10)])
        #expect(TriggerState.firstCrossing(in: history, after: -1, through: 5000, settings: rising) == nil)
    }
}
