import PromQL
import ScopeCore
import Testing

/// A store that holds `count` series `name{i="0"…}` with a sample every `stepMs` from 0.
private func store(_ name: String = "m", series count: Int, samples: Int, stepMs: Int64 = 60_000) -> InMemoryTestStorage {
    var storage = InMemoryTestStorage()
    for i in 0..<count {
        let labels: Labels = ["__name__": name, "i": "\(i)"]
        storage.append(labels, samples: (0..<samples).map { Sample(timestampMs: Int64($0) * stepMs, value: Double($0 * (i + 1))) })
    }
    return storage
}

private struct FailingStore: Queryable {
    struct Broken: Error, CustomStringConvertible { var description: String { "disk on fire" } }
    func select(_ matchers: [LabelMatcher], minMs: Int64, maxMs: Int64) throws -> [Series] { throw Broken() }
}

/// The error `body` throws, or a recorded failure.
private func queryError(_ body: () throws(QueryError) -> QueryResult, sourceLocation: SourceLocation = #_sourceLocation) -> QueryError? {
    do {
        let result = try body()
        Issue.record("expected an error, got \(result)", sourceLocation: sourceLocation)
        return nil
    } catch {
        return error
    }
}

@Suite("Engine API")
struct EngineAPITests {
    let data = store(series: 3, samples: 10)
    let engine = Engine()

    @Test("instant vectors carry the evaluation time and are sorted by labels")
    func instantVector() throws {
        let result = try engine.instant("m * 2", at: 120_000, on: data)
        #expect(result == .vector([
            InstantSample(labels: ["i": "0"], timestampMs: 120_000, value: 4),
            InstantSample(labels: ["i": "1"], timestampMs: 120_000, value: 8),
            InstantSample(labels: ["i": "2"], timestampMs: 120_000, value: 12),
        ]))
    }

    @Test("sort_desc and topk keep their order")
    func orderedResults() throws {
        guard case .vector(let sorted) = try engine.instant("sort_desc(m)", at: 120_000, on: data) else { Issue.record("not a vector"); return }
        #expect(sorted.map(\.value) == [6, 4, 2])
        guard case .vector(let top) = try engine.instant("topk(2, m)", at: 120_000, on: data) else { Issue.record("not a vector"); return }
        #expect(top.map { $0.labels["i"] } == ["2", "1"])
    }

    @Test("scalars, strings and range vectors of an instant query")
    func otherInstantTypes() throws {
        #expect(try engine.instant("1 + 2", at: 5_000, on: data) == .scalar(timestampMs: 5_000, value: 3))
        #expect(try engine.instant(#""hello""#, at: 5_000, on: data) == .string(timestampMs: 5_000, value: "hello"))
        let matrix = try engine.instant(#"m{i="1"}[2m]"#, at: 180_000, on: data)
        #expect(matrix == .matrix([Series(labels: ["__name__": "m", "i": "1"], samples: [
            Sample(timestampMs: 60_000, value: 2), Sample(timestampMs: 120_000, value: 4), Sample(timestampMs: 180_000, value: 6),
        ])]))
    }

    @Test("range queries return series sorted by labels with one point per step")
    func rangeQuery() throws {
        let result = try engine.range(#"m{i=~"0|1"} + 1"#, start: 0, end: 120_000, step: 60_000, on: data)
        #expect(result == .matrix([
            Series(labels: ["i": "0"], samples: [Sample(timestampMs: 0, value: 1), Sample(timestampMs: 60_000, value: 2), Sample(timestampMs: 120_000, value: 3)]),
            Series(labels: ["i": "1"], samples: [Sample(timestampMs: 0, value: 1), Sample(timestampMs: 60_000, value: 3), Sample(timestampMs: 120_000, value: 5)]),
        ]))
        let scalar = try engine.range("time()", start: 0, end: 60_000, step: 30_000, on: data)
        #expect(scalar == .matrix([Series(labels: Labels(), samples: [
            Sample(timestampMs: 0, value: 0), Sample(timestampMs: 30_000, value: 30), Sample(timestampMs: 60_000, value: 60),
        ])]))
    }

    @Test("a parsed expression evaluates like its text")
    func parsedExpression() throws {
        let expr = try PromQL.parse("sum(rate(m[5m]))")
        #expect(try engine.instant(expr, at: 540_000, on: data) == engine.instant("sum(rate(m[5m]))", at: 540_000, on: data))
    }

    @Test("the lookback is configurable")
    func lookback() throws {
        let short = Engine(lookbackMs: 30_000)
        #expect(try short.instant("m", at: 100_000, on: data) == .vector([]))
        guard case .vector(let v) = try engine.instant("m", at: 100_000, on: data) else { Issue.record("not a vector"); return }
        #expect(v.count == 3)
    }

    @Test("the default subquery step is configurable")
    func subqueryStep() throws {
        let everyTwoMinutes = Engine(defaultSubqueryStepMs: 120_000)
        #expect(try everyTwoMinutes.instant(#"count_over_time(m{i="0"}[4m:])"#, at: 480_000, on: data)
            == .vector([InstantSample(labels: ["i": "0"], timestampMs: 480_000, value: 3)]))
        #expect(try engine.instant(#"count_over_time(m{i="0"}[4m:])"#, at: 480_000, on: data)
            == .vector([InstantSample(labels: ["i": "0"], timestampMs: 480_000, value: 5)]))
    }
}

@Suite("Engine errors")
struct EngineErrorTests {
    let data = store(series: 5, samples: 10)

    @Test("unsupported functions fail before evaluation, at the call's position",
          arguments: ["histogram_count(m)", "histogram_sum(m)", "histogram_fraction(0, 1, m)"])
    func unsupported(_ call: String) throws {
        let query = "sum(m) +\n  \(call)"
        let error = try #require(queryError { () throws(QueryError) in try Engine().instant(query, at: 0, on: data) })
        #expect(error.kind == .unsupported)
        #expect(error.position == SourcePosition(line: 2, column: 3, offset: 11))
        let name = String(call.prefix { $0 != "(" })
        #expect(error.message.hasPrefix("unsupported function \"\(name)\""))
        #expect(error.description == "2:3: \(error.message)\n    \(call)\n    ^")
        // Range queries and parsed expressions are checked too.
        let inRange = try #require(queryError { () throws(QueryError) in try Engine().range(query, start: 0, end: 60_000, step: 60_000, on: data) })
        #expect(inRange.kind == .unsupported)
        #expect(throws: QueryError.self) { try Engine.checkSupported(try PromQL.parse(query)) }
    }

    @Test("syntax errors are positioned")
    func syntax() throws {
        let error = try #require(queryError { () throws(QueryError) in try Engine().instant("sum(m", at: 0, on: data) })
        #expect(error.kind == .syntax)
        #expect(error.position?.line == 1)
        #expect(error.message.contains("unclosed left parenthesis"))
    }

    @Test("maxSamples bounds what a query holds, with an error naming the limit")
    func maxSamples() throws {
        let engine = Engine(maxSamples: 40)
        // 5 series × 10 samples = 50 samples loaded by the selector.
        let error = try #require(queryError { () throws(QueryError) in try engine.instant("sum_over_time(m[1h])", at: 600_000, on: data) })
        #expect(error.kind == .limit)
        #expect(error.message.contains("maxSamples: 40"))
        #expect(error.message.hasPrefix("query processing would load too many samples into memory"))
        #expect(error.position == SourcePosition(line: 1, column: 15, offset: 14))
        // Within the limit it works.
        #expect(throws: Never.self) { try Engine(maxSamples: 60).instant("sum_over_time(m[1h])", at: 600_000, on: data) }
        // Points of a range query's intermediate results count as well.
        let wide = try #require(queryError { () throws(QueryError) in
            try Engine(maxSamples: 100).range(#"m{i="0"}"#, start: 0, end: 3_600_000, step: 10_000, on: data)
        })
        #expect(wide.kind == .limit)
    }

    @Test("range queries and subqueries with too many steps are refused up front")
    func tooManySteps() throws {
        let engine = Engine(maxSamples: 1000)
        let range = try #require(queryError { () throws(QueryError) in try engine.range("1", start: 0, end: 10_000_000, step: 1, on: data) })
        #expect(range.kind == .limit)
        let subquery = try #require(queryError { () throws(QueryError) in try engine.instant("max_over_time(vector(1)[1d:1s])", at: 0, on: data) })
        #expect(subquery.kind == .limit)
        #expect(subquery.message.contains("maxSamples"))
    }

    @Test("maxSeries bounds the series all selectors load")
    func maxSeries() throws {
        let engine = Engine(maxSeries: 6)
        #expect(throws: Never.self) { try engine.instant("m", at: 0, on: data) }
        let error = try #require(queryError { () throws(QueryError) in try engine.instant("m + on(i) m", at: 0, on: data) })
        #expect(error.kind == .limit)
        #expect(error.message.contains("limit maxSeries"))
        #expect(error.position == SourcePosition(line: 1, column: 11, offset: 10))
    }

    @Test("storage failures are reported at the selector")
    func storage() throws {
        let error = try #require(queryError { () throws(QueryError) in try Engine().instant("1 + sum(up)", at: 0, on: FailingStore()) })
        #expect(error.kind == .storage)
        #expect(error.message == "storage error: disk on fire")
        #expect(error.position?.column == 9)
    }

    @Test("range queries need a scalar or instant vector and a positive step")
    func invalidRangeQueries() throws {
        let matrix = try #require(queryError { () throws(QueryError) in try Engine().range("m[5m]", start: 0, end: 60_000, step: 60_000, on: data) })
        #expect(matrix.kind == .invalidQuery)
        #expect(matrix.message == #"invalid expression type "range vector" for range query, must be Scalar or instant Vector"#)
        let step = try #require(queryError { () throws(QueryError) in try Engine().range("m", start: 0, end: 60_000, step: 0, on: data) })
        #expect(step.kind == .invalidQuery)
        let backwards = try #require(queryError { () throws(QueryError) in try Engine().range("m", start: 60_000, end: 0, step: 1_000, on: data) })
        #expect(backwards.kind == .invalidQuery)
    }

    static let extremeQueries = [
        "m @ 9223372036854775.807 offset -1y",
        "m @ -9223372036854775.808 offset 1y",
        "sum_over_time(m[1y] @ -9223372036854775.808)",
        "rate(m[5m] @ 9223372036854775.807 offset -5m)",
        "max_over_time(m[5m:1m] @ -9223372036854775.808)",
        "timestamp(m @ -9223372036854775.808)",
        "year(vector(-9223372036854775808))",
        "day_of_week(vector(9.3e18))",
        "predict_linear(m[1y] offset -1y, 1e300)",
        "count_over_time(vector(1)[292y:1ms] @ 9223372036854775.807)",
        "count_over_time((m @ -9223372036854775.808)[292y:1ms] @ 9223372036854775.807)",
    ]

    @Test("extreme @ times, offsets and date arguments do not trap", arguments: extremeQueries)
    func extremeTimes(_ query: String) {
        // An answer or an error, never a crash.
        _ = try? Engine().instant(query, at: 0, on: data)
        _ = try? Engine().range(query, start: 0, end: 120_000, step: 60_000, on: data)
    }

    @Test("evaluation errors are positioned at the operation")
    func evaluationErrors() throws {
        let matching = try #require(queryError { () throws(QueryError) in try Engine().instant("m + on() m", at: 0, on: data) })
        #expect(matching.kind == .execution)
        #expect(matching.message.contains("many-to-many matching not allowed"))
        #expect(matching.position?.column == 3)
        let regex = try #require(queryError { () throws(QueryError) in
            try Engine().instant(#"label_replace(m, "a", "$1", "i", "(")"#, at: 0, on: data)
        })
        #expect(regex.message == "invalid regular expression in label_replace(): (")
        #expect(regex.position?.column == 34)
    }
}

@Suite("Engine robustness")
struct EngineRobustnessTests {
    /// Every query of the parser's random generator that parses also evaluates, instant and as
    /// a range query, to a value or a `QueryError` (never a crash), within modest limits.
    @Test func generatedQueriesEvaluate() {
        var storage = InMemoryTestStorage()
        for (i, name) in ["foo", "bar", "sum", "by", "offset", "job:rate5m", "x_1", "SUM", "nan"].enumerated() {
            for job in ["a", "b"] {
                let labels: Labels = ["__name__": name, "job": job, "le": i % 2 == 0 ? "+Inf" : "0.5", "a": "x"]
                storage.append(labels, samples: (0..<30).map { Sample(timestampMs: Int64($0) * 60_000, value: $0 % 7 == 3 ? .nan : Double($0 * (i + 1))) })
            }
        }
        let engine = Engine(maxSamples: 200_000, maxSeries: 1_000)
        var generator = GeneratedQueryTests.Generator(rng: GeneratedQueryTests.SplitMix64(state: 7))
        var evaluated = 0
        var failed = 0
        for _ in 0..<1500 {
            let query = generator.expr(0)
            guard let expr = try? PromQL.parse(query) else { continue }
            evaluated += 1
            do {
                _ = try engine.instant(expr, source: query, at: 900_000, on: storage)
            } catch {
                failed += 1
                #expect(error.kind != .syntax, "\(query): \(error)")
            }
            if expr.type == .scalar || expr.type == .instantVector {
                _ = try? engine.range(expr, source: query, start: 0, end: 1_800_000, step: 120_000, on: storage)
            }
        }
        #expect(evaluated > 300)
        print("generated queries evaluated: \(evaluated), \(failed) failed with a QueryError")
    }
}
