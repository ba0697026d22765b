import Testing

@testable import ScopeCore

@Suite struct ClockTests {
    @Test func manualClockOnlyMovesWhenTold() {
        let clock = ManualClock(startMs: 1_000)
        #expect(clock.nowMs() == 1_000)
        #expect(clock.nowMs() == 1_000)
        clock.advance(byMs: 250)
        #expect(clock.nowMs() == 1_250)
        clock.advance(byMs: 0)
        #expect(clock.nowMs() == 1_250)
        clock.set(ms: 5)
        #expect(clock.nowMs() == 5)
        #expect(ManualClock().nowMs() == 1_700_000_000_000)
    }

    @Test func manualClockIsSharedAcrossCopiesOfTheReference() {
        let clock = ManualClock(startMs: 0)
        let asProtocol: any Clock = clock
        clock.advance(byMs: 42)
        #expect(asProtocol.nowMs() == 42)
    }

    @Test func systemClockIsEpochMilliseconds() {
        let now = SystemClock().nowMs()
        // After 2020-01-01 and before 2100-01-01, in milliseconds.
        #expect(now > 1_577_836_800_000 && now < 4_102_444_800_000)
        let a = monotonicNanos()
        let b = monotonicNanos()
        #expect(b >= a)
    }
}
