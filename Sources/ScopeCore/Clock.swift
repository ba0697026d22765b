import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Wall-clock time in milliseconds since the Unix epoch, injected wherever pure code needs "now",
/// so that tests drive time by hand and never sleep.
public protocol Clock: Sendable {
    func nowMs() -> Int64
}

/// The real wall clock.
public struct SystemClock: Clock {
    public init() {}

    public func nowMs() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }
}

/// A clock that only moves when a test moves it.
public final class ManualClock: Clock {
    private let current: Mutex<Int64>

    public init(startMs: Int64 = 1_700_000_000_000) {
        current = Mutex(startMs)
    }

    public func nowMs() -> Int64 { current.withLock { $0 } }

    public func advance(byMs delta: Int64) {
        precondition(delta >= 0, "a clock does not go backwards")
        current.withLock { $0 += delta }
    }

    public func set(ms: Int64) {
        current.withLock { $0 = ms }
    }
}

/// Monotonic nanoseconds for measuring durations (never for timestamps that are stored).
public func monotonicNanos() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}
