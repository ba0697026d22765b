// Tests for bugs found in Sources/ScopeCore, failing until the bugs are fixed. Enable with
// `swift test -Xswiftc -DSTRM_PENDING_BUGS …`; once one passes, move it to its area's file.
#if STRM_PENDING_BUGS
import Testing

@testable import ScopeCore

@Suite struct ScopeCorePendingBugTests {
    /// BUG: parseDurationMs rejects "0". Prometheus's model.ParseDuration accepts a bare "0"
    /// (`case "0": return 0, nil`), and rule files use it (`for: 0`).
    @Test func bareZeroIsAPrometheusDuration() {
        #expect(parseDurationMs("0") == 0)
    }
}
#endif
