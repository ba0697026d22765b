import Foundation
import Synchronization
import Testing
import ScopeCore

@testable import SeriesStore

@Suite struct ConcurrencyTests {
    /// Runs `bodies` on threads of their own, all at once, and waits for them.
    func onThreads(_ bodies: [@Sendable () -> Void]) {
        let group = DispatchGroup()
        for body in bodies {
            group.enter()
            let thread = Thread {
                body()
                group.leave()
            }
            thread.start()
        }
        group.wait()
    }

    @Test func concurrentAppendsSelectsAndRetention() throws {
        var options = StoreOptions(retentionMs: 1_000_000_000)
        options.chunkMaxSamples = 50
        let store = SeriesStore(options: options)
        let writers = 4
        let seriesPerWriter = 50
        let samplesPerSeries = 400
        let readerFailures = Atomic<Int>(0)
        let selectsDone = Atomic<Int>(0)
        var bodies: [@Sendable () -> Void] = []
        for w in 0..<writers {
            bodies.append {
                var refs: [SeriesRef] = []
                for s in 0..<seriesPerWriter {
                    refs.append(try! store.append(["__name__": "c", "w": "\(w)", "s": "\(s)"], timestampMs: 0, value: 0))
                }
                for step in 1..<samplesPerSeries {
                    if step % 2 == 0 {
                        let batch = refs.map { RefSample(ref: $0, timestampMs: Int64(step) * 1_000, value: Double(step)) }
                        precondition(store.append(batch).appended == refs.count)
                    } else {
                        for ref in refs { try! store.append(ref: ref, timestampMs: Int64(step) * 1_000, value: Double(step)) }
                    }
                }
                // Scrapes of a target of its own, with series coming and going.
                for step in 0..<50 {
                    let samples = (0..<10).filter { ($0 + step) % 3 != 0 }.map {
                        ScrapedSample(labels: ["__name__": "scraped", "w": "\(w)", "k": "\($0)"], value: Double(step))
                    }
                    store.ingestScrape(targetKey: "w\(w)", samples: samples, timestampMs: Int64(step) * 15_000)
                }
            }
        }
        for r in 0..<2 {
            bodies.append {
                for i in 0..<300 {
                    let matchers = r == 0 ? [m("__name__", .equal, "c"), m("w", .regexMatch, "1|3")] : [m("s", .regexMatch, "1.*")]
                    guard let result = try? store.select(matchers, minMs: .min, maxMs: .max) else {
                        readerFailures.add(1, ordering: .relaxed)
                        continue
                    }
                    for series in result {
                        // Every series is a gap-free prefix 0, 1000, 2000, … with value = t / 1000.
                        for (k, sample) in series.samples.enumerated() where sample.timestampMs != Int64(k) * 1_000 || sample.value != Double(k) {
                            readerFailures.add(1, ordering: .relaxed)
                        }
                    }
                    if i % 50 == 0 { _ = store.stats }
                    selectsDone.add(1, ordering: .relaxed)
                }
            }
        }
        bodies.append {
            for _ in 0..<20 { store.truncate(beforeMs: -1) }  // retention passes that drop nothing
        }
        onThreads(bodies)
        #expect(readerFailures.load(ordering: .relaxed) == 0)
        #expect(selectsDone.load(ordering: .relaxed) == 600)
        let stats = store.stats
        #expect(stats.series == writers * seriesPerWriter + writers * 10)
        #expect(stats.samplesRejectedTotal == 0)
        let all = try store.select([m("__name__", .equal, "c")], minMs: .min, maxMs: .max)
        #expect(all.count == writers * seriesPerWriter)
        #expect(all.allSatisfy { $0.samples.count == samplesPerSeries })
        #expect(stats.staleMarkersWritten > 0)
    }

    @Test func seriesChurnWithRetentionWhileSelecting() throws {
        let store = SeriesStore(options: StoreOptions(retentionMs: 1_000_000_000))
        let generations = 200
        let progress = Atomic<Int>(-1)
        let failures = Atomic<Int>(0)
        var bodies: [@Sendable () -> Void] = []
        // A writer: each generation g brings 50 new series with 10 samples at g*1000 + j, value = t.
        bodies.append {
            for g in 0..<generations {
                for k in 0..<50 {
                    let ref = try! store.append(["__name__": "churn", "g": "\(g)", "k": "\(k)"], timestampMs: Int64(g) * 1_000, value: Double(g * 1_000))
                    for j in 1..<10 { try! store.append(ref: ref, timestampMs: Int64(g * 1_000 + j), value: Double(g * 1_000 + j)) }
                }
                progress.store(g, ordering: .releasing)
            }
        }
        // Retention chasing the writer five generations behind.
        bodies.append {
            var last = -1
            while last < generations - 1 {
                let g = progress.load(ordering: .acquiring)
                if g > last {
                    store.truncate(beforeMs: Int64(max(0, g - 5)) * 1_000)
                    last = g
                }
            }
        }
        // Readers: every series they see is whole and consistent with its labels.
        for matchers in [[m("__name__", .equal, "churn")], [m("g", .regexMatch, "1.*"), m("k", .notEqual, "3")]] {
            bodies.append {
                while progress.load(ordering: .acquiring) < generations - 1 {
                    guard let result = try? store.select(matchers, minMs: .min, maxMs: .max) else {
                        failures.add(1, ordering: .relaxed)
                        continue
                    }
                    for series in result {
                        let g = Int(series.labels["g"]!)!
                        let expected = (0..<10).map { Sample(timestampMs: Int64(g * 1_000 + $0), value: Double(g * 1_000 + $0)) }
                        // A series caught while being written is a prefix of its 10 samples.
                        if series.samples != Array(expected.prefix(series.samples.count)) || series.labels["k"] == "3" && matchers.count == 2 {
                            failures.add(1, ordering: .relaxed)
                        }
                    }
                    _ = store.labelValues("g")
                }
            }
        }
        onThreads(bodies)
        #expect(failures.load(ordering: .relaxed) == 0)
        store.truncate(beforeMs: Int64(generations - 5) * 1_000)
        let stats = store.stats
        #expect(stats.series == 5 * 50)
        #expect(stats.samplesInMemory == 5 * 50 * 10)
        #expect(stats.samplesRejectedTotal == 0)
        #expect(stats.symbols == 4 + 5 + 50, "__name__, churn, g, k; the five surviving g values; fifty k values")
        #expect(store.labelValues("g") == (generations - 5..<generations).map(String.init).sorted())
    }
}
