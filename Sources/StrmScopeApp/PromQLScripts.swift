import Foundation
import PromQL
import ScopeCore
import SeriesStore

/// Test data for promqltest scripts in the real `SeriesStore`. Scripts may redefine a sample
/// (a later `load` of the same timestamp replaces it), which a store does not allow, so loads
/// collect in memory and a fresh store is built from them at the first query after a load.
/// A class: the runner's `select` is not mutating, yet may have to build the store.
final class SeriesStoreTestStorage: PromQLTestStorage, @unchecked Sendable {
    private var pending = InMemoryTestStorage()
    private var built: SeriesStore?

    func append(_ labels: Labels, samples: [Sample]) throws {
        pending.append(labels, samples: samples)
        built = nil
    }

    func clear() throws {
        pending = InMemoryTestStorage()
        built = nil
    }

    func select(_ matchers: [LabelMatcher], minMs: Int64, maxMs: Int64) throws -> [Series] {
        try store().select(matchers, minMs: minMs, maxMs: maxMs)
    }

    private func store() throws -> SeriesStore {
        if let built { return built }
        var options = StoreOptions()
        options.retentionMs = .max / 4  // test data starts at the epoch: nothing is too old
        let store = SeriesStore(options: options, clock: ManualClock(startMs: 0))
        // The in-memory copy holds the final, de-duplicated samples of every series.
        for series in try pending.select([try LabelMatcher("__name__", .regexMatch, ".*")], minMs: .min, maxMs: .max) {
            for sample in series.samples {
                try store.append(series.labels, timestampMs: sample.timestampMs, value: sample.value)
            }
        }
        built = store
        return store
    }
}

/// `strmscope test promql FILE…`: runs promqltest scripts on the engine and the real store.
public enum PromQLScriptRunner {
    public struct Summary: Sendable {
        public var passed = 0
        public var failed = 0
        public var excluded = 0
    }

    /// Runs every file; writes failures (with diffs) and a line per file, returns the totals.
    public static func run(files: [String], verbose: Bool, output: OutputSink) throws -> Summary {
        var summary = Summary()
        for file in files {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw CommandError("\(file): cannot read the file")
            }
            let script = try PromQLTestScript.parse(String(decoding: data, as: UTF8.self), file: file)
            var storage = SeriesStoreTestStorage()
            let report = PromQLTestRunner().run(script, storage: &storage)
            for outcome in report.outcomes where verbose || !outcome.passed {
                output.write(outcome.description + "\n")
            }
            output.write("\(file): \(report.passed) passed, \(report.failed.count) failed, \(report.excluded.count) excluded\n")
            output.flush()
            summary.passed += report.passed
            summary.failed += report.failed.count
            summary.excluded += report.excluded.count
        }
        return summary
    }
}
