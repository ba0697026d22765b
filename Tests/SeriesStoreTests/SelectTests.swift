import Testing
import ScopeCore

@testable import SeriesStore

@Suite struct SelectTests {
    /// Six series; `env` is absent on two of them, `__name__` varies.
    static func fixture() throws -> SeriesStore {
        let store = SeriesStore()
        let sets: [Labels] = [
            ["__name__": "http_requests_total", "job": "api", "env": "prod", "code": "200"],
            ["__name__": "http_requests_total", "job": "api", "env": "dev", "code": "500"],
            ["__name__": "http_requests_total", "job": "web", "code": "200"],
            ["__name__": "http_errors_total", "job": "api", "env": "prod"],
            ["__name__": "kafka_consumergroup_lag", "consumergroup": "billing", "topic": "orders", "partition": "0"],
            ["__name__": "kafka_consumergroup_lag", "consumergroup": "billing", "topic": "orders", "partition": "1", "env": "prod"],
        ]
        for (i, labels) in sets.enumerated() {
            for step in 0..<3 {
                try store.append(labels, timestampMs: t0 + Int64(step) * 15_000, value: Double(i * 10 + step))
            }
        }
        return store
    }

    func names(_ store: SeriesStore, _ matchers: [LabelMatcher]) throws -> [String] {
        try store.select(matchers, minMs: .min, maxMs: .max).map { s in
            let labels = s.labels
            return [labels["__name__"]!, labels["job"] ?? labels["partition"] ?? "", labels["env"] ?? "-", labels["code"] ?? ""]
                .joined(separator: "/")
        }.sorted()
    }

    @Test func equalityAndInequality() throws {
        let store = try Self.fixture()
        #expect(try names(store, [m("__name__", .equal, "http_requests_total")]) == [
            "http_requests_total/api/dev/500", "http_requests_total/api/prod/200", "http_requests_total/web/-/200",
        ])
        #expect(try names(store, [m("__name__", .equal, "http_requests_total"), m("job", .equal, "api")]).count == 2)
        #expect(try names(store, [m("__name__", .equal, "http_requests_total"), m("job", .notEqual, "api")]) == ["http_requests_total/web/-/200"])
        #expect(try names(store, [m("__name__", .equal, "nope")]).isEmpty)
        #expect(try names(store, [m("__name__", .equal, "http_requests_total"), m("job", .equal, "nope")]).isEmpty)
        #expect(try names(store, [m("nolabel", .equal, "x")]).isEmpty)
    }

    @Test func inequalityKeepsSeriesLackingTheLabel() throws {
        let store = try Self.fixture()
        // env!="prod" matches env="dev" and every series without env.
        #expect(try names(store, [m("__name__", .equal, "http_requests_total"), m("env", .notEqual, "prod")]) == [
            "http_requests_total/api/dev/500", "http_requests_total/web/-/200",
        ])
        // A label nobody has: != keeps everything, = "" keeps everything.
        #expect(try names(store, [m("__name__", .equal, "http_errors_total"), m("nolabel", .notEqual, "x")]).count == 1)
        #expect(try names(store, [m("__name__", .equal, "http_errors_total"), m("nolabel", .equal, "")]).count == 1)
    }

    @Test func emptyValueMatchersSelectPresenceAndAbsence() throws {
        let store = try Self.fixture()
        // env="" : series without env.
        #expect(try names(store, [m("__name__", .regexMatch, "http_.*"), m("env", .equal, "")]) == ["http_requests_total/web/-/200"])
        // env!="" : series with env.
        #expect(try names(store, [m("__name__", .regexMatch, "http_.*"), m("env", .notEqual, "")]).count == 3)
        // env=~".+" is the same as env!="".
        #expect(try names(store, [m("__name__", .regexMatch, "http_.*"), m("env", .regexMatch, ".+")]).count == 3)
        // env=~".*" matches everything, with or without env.
        #expect(try names(store, [m("__name__", .regexMatch, "http_.*"), m("env", .regexMatch, ".*")]).count == 4)
        // env!~".+" : only series lacking env.
        #expect(try names(store, [m("__name__", .regexMatch, "http_.*"), m("env", .regexNoMatch, ".+")]) == ["http_requests_total/web/-/200"])
        // env!~".*" : nothing.
        #expect(try names(store, [m("__name__", .regexMatch, "http_.*"), m("env", .regexNoMatch, ".*")]).isEmpty)
    }

    @Test func regexesAreAnchoredAndEmptyMatchingOnesSelectAbsentLabels() throws {
        let store = try Self.fixture()
        // Anchored: "http" alone matches no name.
        #expect(try names(store, [m("__name__", .regexMatch, "http")]).isEmpty)
        #expect(try names(store, [m("__name__", .regexMatch, "http_.*_total")]).count == 4)
        #expect(try names(store, [m("__name__", .regexMatch, ".*lag")]).count == 2)
        // Alternation (fast path) and a general regex with alternation.
        #expect(try names(store, [m("__name__", .regexMatch, "http_errors_total|kafka_consumergroup_lag")]).count == 3)
        #expect(try names(store, [m("__name__", .regexMatch, "http_e.*|kafka_.*")]).count == 3)
        // env=~"prod|" matches env="prod" and series without env.
        #expect(try names(store, [m("__name__", .equal, "http_requests_total"), m("env", .regexMatch, "prod|")]) == [
            "http_requests_total/api/prod/200", "http_requests_total/web/-/200",
        ])
        // env=~"(d.*)?" — a general regex matching "" — same idea.
        #expect(try names(store, [m("__name__", .equal, "http_requests_total"), m("env", .regexMatch, "(d.*)?")]) == [
            "http_requests_total/api/dev/500", "http_requests_total/web/-/200",
        ])
        // env!~"prod" keeps dev and the series without env.
        #expect(try names(store, [m("__name__", .equal, "http_requests_total"), m("env", .regexNoMatch, "prod")]).count == 2)
        // env!~"prod|" : only series whose env is present and not prod.
        #expect(try names(store, [m("__name__", .equal, "http_requests_total"), m("env", .regexNoMatch, "prod|")]) == ["http_requests_total/api/dev/500"])
        // code=~"5.." selects the 500.
        #expect(try names(store, [m("code", .regexMatch, "5..")]) == ["http_requests_total/api/dev/500"])
    }

    @Test func nameIsALabelToo() throws {
        let store = try Self.fixture()
        // A selector without a name: by any label.
        #expect(try names(store, [m("consumergroup", .equal, "billing")]).count == 2)
        #expect(try names(store, [m("__name__", .notEqual, "http_requests_total"), m("env", .equal, "prod")]) == [
            "http_errors_total/api/prod/", "kafka_consumergroup_lag/1/prod/",
        ])
        #expect(try names(store, [m("__name__", .regexNoMatch, "http_.*")]).count == 2)
    }

    @Test func onlyEmptyMatchingMatchersStartFromAllSeries() throws {
        let store = try Self.fixture()
        #expect(try names(store, [m("job", .notEqual, "api")]).count == 3)
        #expect(try names(store, []).count == 6)
        #expect(try names(store, [m("env", .regexMatch, ".*")]).count == 6)
    }

    @Test func timeRangeIsInclusiveAndEmptySeriesAreLeftOut() throws {
        let store = try Self.fixture()
        let all = try store.select([m("__name__", .equal, "http_errors_total")], minMs: t0 + 15_000, maxMs: t0 + 30_000)
        #expect(all.count == 1)
        #expect(all[0].samples == [Sample(timestampMs: t0 + 15_000, value: 31), Sample(timestampMs: t0 + 30_000, value: 32)])
        #expect(try store.select([m("__name__", .equal, "http_errors_total")], minMs: t0 + 30_001, maxMs: .max).isEmpty)
        #expect(try store.select([m("__name__", .equal, "http_errors_total")], minMs: t0 + 10, maxMs: t0 + 20).isEmpty)
        #expect(try store.select([], minMs: 5, maxMs: 4).isEmpty)
        // The label set comes back with __name__ and without empty values.
        #expect(all[0].labels == ["__name__": "http_errors_total", "job": "api", "env": "prod"])
    }

    @Test func selectSpansSealedAndHeadChunks() throws {
        var options = StoreOptions()
        options.chunkMaxSamples = 10
        let store = SeriesStore(options: options)
        let labels: Labels = ["__name__": "x"]
        for i in 0..<35 { try store.append(labels, timestampMs: Int64(i) * 1000, value: Double(i)) }
        #expect(store.stats.chunks == 4)
        let whole = try store.select([m("__name__", .equal, "x")], minMs: .min, maxMs: .max)
        #expect(whole[0].samples.map(\.value) == (0..<35).map(Double.init))
        let middle = try store.select([m("__name__", .equal, "x")], minMs: 9_000, maxMs: 31_000)
        #expect(middle[0].samples.map(\.value) == (9...31).map(Double.init))
    }

    @Test func selectsSpanningManyLockSlices() throws {
        // More series than one lock slice (1024) holds, so phases C and D run several times.
        let store = SeriesStore(options: StoreOptions(maxSeriesPerQuery: 2_500))
        for i in 0..<3_000 {
            try store.append(["__name__": "x", "i": "\(i)", "odd": i % 2 == 1 ? "yes" : ""], timestampMs: t0 + Int64(i), value: Double(i))
        }
        store.setMatcherStrategy(.filterCandidates)
        let odd = try store.select([m("__name__", .equal, "x"), m("i", .regexMatch, "[0-9]*[13579]")], minMs: .min, maxMs: .max)
        #expect(odd.count == 1_500)
        #expect(odd.allSatisfy { $0.labels["odd"] == "yes" && $0.samples.count == 1 })
        #expect(odd.map { Int($0.labels["i"]!)! } == Array(stride(from: 1, to: 3_000, by: 2)), "creation order")
        // Absent labels through the per-candidate path: odd!="yes" keeps the series without it.
        #expect(try store.select([m("__name__", .equal, "x"), m("odd", .regexNoMatch, "y.*")], minMs: .min, maxMs: .max).count == 1_500)
        #expect(store.series(matching: [m("__name__", .equal, "x"), m("i", .regexMatch, "2.*")]).count == 1 + 10 + 100 + 1_000)
        // The limit counts series that pass every matcher, across slices.
        #expect(throws: StoreError.self) { try store.select([m("__name__", .equal, "x")], minMs: .min, maxMs: .max) }
        #expect(try store.select([m("__name__", .equal, "x")], minMs: t0 + 500, maxMs: .max).count == 2_500)
        store.setMatcherStrategy(.postingsOnly)
        #expect(try store.select([m("__name__", .equal, "x"), m("i", .regexMatch, "[0-9]*[13579]")], minMs: .min, maxMs: .max).count == 1_500)
    }

    @Test func labelNamesValuesAndSeriesListing() throws {
        let store = try Self.fixture()
        #expect(store.labelNames() == ["__name__", "code", "consumergroup", "env", "job", "partition", "topic"])
        #expect(store.labelValues("env") == ["dev", "prod"])
        #expect(store.labelValues("missing") == [])
        #expect(store.series(matching: [m("job", .equal, "api")]).count == 3)
    }

    @Test func invalidRegexIsReportedByTheMatcher() {
        #expect(throws: LabelMatcher.InvalidRegex.self) { _ = try LabelMatcher("job", .regexMatch, "a(") }
    }
}
