import ScopeCore
import Testing

@testable import SeriesStore

/// The store's budgets: series with huge labels stop at the memory budget, not at the series
/// count; a collector's own series (`up`) still have room in a full store.
@Suite struct StoreBudgetTests {
    @Test func hugeLabelsStopAtTheMemoryBudget() throws {
        var options = StoreOptions()
        options.maxMemoryBytes = 1 << 20
        let store = SeriesStore(options: options, clock: ManualClock())
        let value = String(repeating: "x", count: 4_000)
        var stored = 0
        var refused: StoreError?
        for i in 0..<1_000 {
            do {
                try store.append(["__name__": "flood", "id": "\(i)", "a": value, "b": value], timestampMs: 1, value: 1)
                stored += 1
            } catch {
                refused = error
                break
            }
        }
        // Each series costs ~9 KB of estimate: about 115 fit in 1 MiB, far under the series limit.
        #expect(stored > 50 && stored < 130, "\(stored)")
        guard case .memoryLimit(let limit, _)? = refused else { Issue.record("expected a memory limit, got \(String(describing: refused))"); return }
        #expect(limit == 1 << 20)
        #expect(store.stats.samplesRejected[.memoryLimit] == 1)
        #expect(store.stats.memoryEstimateBytes <= 1 << 20)
        // A collector's own series about its sources still fit.
        #expect(throws: Never.self) { try store.append(["__name__": "up", "job": "x"], timestampMs: 1, value: 0, reserved: true) }
    }
}
