import Testing
import ScopeCore

@testable import SeriesStore

/// The postings evaluation against a brute-force filter over every series, on seeded random data
/// and random selectors, through each evaluation path.
@Suite struct PostingsPropertyTests {
    static let names = ["__name__", "job", "instance", "env", "code", "le"]
    static let values = ["", "a", "b", "c", "ab", "ba", "prod", "dev", "200", "500", "x.y", "0.5", "+Inf"]

    static func randomLabels(_ rng: inout SplitMix64) -> Labels {
        var pairs = [Label("__name__", ["m1", "m2", "m3", "m_total"][Int.random(in: 0..<4, using: &rng)])]
        for name in names.dropFirst() where Bool.random(using: &rng) {
            pairs.append(Label(name, values[Int.random(in: 1..<values.count, using: &rng)]))
        }
        return Labels(pairs)
    }

    static func randomMatcher(_ rng: inout SplitMix64) -> LabelMatcher {
        let name = (names + ["absent"])[Int.random(in: 0...names.count, using: &rng)]
        let kind = LabelMatcher.Kind.allCases[Int.random(in: 0..<4, using: &rng)]
        let value: String
        if kind == .equal || kind == .notEqual {
            value = (values + ["m1", "m_total"])[Int.random(in: 0..<(values.count + 2), using: &rng)]
        } else {
            let patterns = [
                ".*", ".+", "a|b", "a|", "", "a.*", ".*b", "(a|b)+", "prod|dev|nope", "[0-9]+", "m.", "m_total|m1", "x\\.y",
                "0\\.5|\\+Inf", "(ab)?", "[^a]*", "b",
            ]
            value = patterns[Int.random(in: 0..<patterns.count, using: &rng)]
        }
        return try! LabelMatcher(name, kind, value)
    }

    @Test(arguments: [MatcherStrategy.auto, .postingsOnly, .filterCandidates])
    func matchesBruteForce(strategy: MatcherStrategy) throws {
        var rng = SplitMix64(seed: 2024)
        let store = SeriesStore()
        store.setMatcherStrategy(strategy)
        var all: [Labels: Double] = [:]
        for i in 0..<600 {
            let labels = Self.randomLabels(&rng)
            if all[labels] == nil {
                try store.append(labels, timestampMs: t0 + Int64(i), value: Double(i))
                all[labels] = Double(i)
            }
        }
        var nonEmpty = 0
        for round in 0..<1_500 {
            let matchers = (0..<Int.random(in: 1...3, using: &rng)).map { _ in Self.randomMatcher(&rng) }
            let expected = Set(all.keys.filter { labels in matchers.allSatisfy { $0.matches(labels[$0.name] ?? "") } })
            let got = try store.select(matchers, minMs: .min, maxMs: .max)
            #expect(Set(got.map(\.labels)) == expected, "round \(round): \(matchers)")
            #expect(got.count == expected.count, "no duplicates")
            for series in got { #expect(series.samples.map(\.value) == [all[series.labels]!]) }
            if !expected.isEmpty { nonEmpty += 1 }
        }
        #expect(nonEmpty > 500, "the random selectors mostly select something (\(nonEmpty) of 1500)")
    }

    @Test func sortedListAlgebra() {
        var rng = SplitMix64(seed: 9)
        for _ in 0..<300 {
            let a = Set((0..<Int.random(in: 0...300, using: &rng)).map { _ in UInt64.random(in: 0..<1_000, using: &rng) })
            let b = Set((0..<Int.random(in: 0...30, using: &rng)).map { _ in UInt64.random(in: 0..<1_000, using: &rng) })
            let c = Set((0..<Int.random(in: 0...50, using: &rng)).map { _ in UInt64.random(in: 0..<1_000, using: &rng) })
            func list(_ s: Set<UInt64>) -> [SeriesRef] { s.sorted().map(SeriesRef.init(rawValue:)) }
            #expect(intersect(list(a), list(b)) == list(a.intersection(b)))
            #expect(intersect(list(b), list(a)) == list(a.intersection(b)))
            #expect(subtract(list(a), list(b)) == list(a.subtracting(b)))
            #expect(union([list(a), list(b), list(c)]) == list(a.union(b).union(c)))
            #expect(union([list(b.subtracting(a)), list(a)]) == list(a.union(b)))
        }
    }
}
