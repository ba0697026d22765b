// Regression tests for bugs found in Sources/ScopeCore by review (each describes the failure it guards against).
import Testing

@testable import ScopeCore

@Suite struct ScopeCoreRegressionTests {
    /// Regression: parseDurationMs rejects "0". Prometheus's model.ParseDuration accepts a bare "0"
    /// (`case "0": return 0, nil`), and rule files use it (`for: 0`).
    @Test func bareZeroIsAPrometheusDuration() {
        #expect(parseDurationMs("0") == 0)
    }
}
