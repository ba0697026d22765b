#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Set by SIGINT/SIGTERM; long-running commands check it and shut down cleanly (commit, leave
/// the group, close the log) instead of dying mid-write.
public let stopRequested = Atomic<Bool>(false)

/// Installs handlers for SIGINT and SIGTERM that only set `stopRequested`. Without SA_RESTART, so
/// a blocking read of stdin returns EINTR and the loop notices.
public func installStopHandlers() {
    for signal in [SIGINT, SIGTERM] {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in stopRequested.store(true, ordering: .relaxed) }
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        sigaction(signal, &action, nil)
    }
    // A closed stdout (`| head`) must end the command with an error from write(), not kill it.
    Glibc.signal(SIGPIPE, SIG_IGN)
}

public var isStopRequested: Bool { stopRequested.load(ordering: .relaxed) }

/// Sleeps up to `ms`, waking early when a stop is requested.
func sleepUnlessStopped(ms: Int) {
    var left = ms
    while left > 0 && !isStopRequested {
        let step = min(left, 50)
        usleep(UInt32(step * 1000))
        left -= step
    }
}
