import PromQL
import ScopeCore
import Testing

@Suite("Series notation")
struct SeriesNotationTests {
    static let expansions: [(String, [Double?])] = [
        ("m 1 2 3", [1, 2, 3]),
        ("m 0+10x3", [0, 10, 20, 30]),
        ("m 5-1x2", [5, 4, 3]),
        ("m -1+0.5x2", [-1, -0.5, 0]),
        ("m 1x2", [1, 1, 1]),
        ("m 0x3", [0, 0, 0, 0]),
        ("m _ 1 _x2 2", [nil, 1, nil, nil, 2]),
        ("m Inf -inf +Inf 1e3 .5", [.infinity, -.infinity, .infinity, 1000, 0.5]),
        ("m", []),
    ]

    @Test("expanding values", arguments: expansions)
    func values(_ line: String, _ expected: [Double?]) throws {
        let d = try SeriesDescription.parse(line)
        #expect(d.values.count == expected.count)
        for (got, want) in zip(d.values, expected) { #expect(got == want) }
    }

    @Test("NaN and stale are distinct values")
    func specialValues() throws {
        let d = try SeriesDescription.parse("m NaN stale nan")
        #expect(d.values[0]!.isNaN && !d.values[0]!.isStaleMarker)
        #expect(d.values[1]!.isStaleMarker)
        #expect(d.values[2]!.isNaN)
    }

    @Test("labels: name, braces, escapes, empty values dropped")
    func labels() throws {
        #expect(try SeriesDescription.parse(#"up{job="a", instance='b\'c', x=`q\n`, e=""} 1"#).labels
            == ["__name__": "up", "job": "a", "instance": "b'c", "x": #"q\n"#])
        #expect(try SeriesDescription.parse(#"{a="1 2"} 3"#) == SeriesDescription(labels: ["a": "1 2"], values: [3]))
        #expect(try SeriesDescription.parse("job:rate5m:sum 1").labels == ["__name__": "job:rate5m:sum"])
        #expect(try SeriesDescription.parse("sum{a=\"}\"} 1").labels == ["__name__": "sum", "a": "}"])
    }

    static let malformed: [(String, Int)] = [
        ("m 1 2x", 5), ("m 1 abc", 5), (#"m{a="b" 1"#, 2), (#"m{a=~"b"} 1"#, 4), ("m 1+x2", 3), ("5 1", 1),
    ]

    @Test("errors name the column", arguments: malformed)
    func errors(_ line: String, _ column: Int) {
        #expect(throws: SeriesNotationError.self) { try SeriesDescription.parse(line) }
        do {
            _ = try SeriesDescription.parse(line)
        } catch {
            #expect(error.column == column, "\(line): \(error.message)")
        }
    }
}

@Suite("promqltest runner")
struct RunnerTests {
    func run(_ script: String, runner: PromQLTestRunner = PromQLTestRunner()) -> PromQLTestReport {
        var storage = InMemoryTestStorage()
        return runner.run(script, file: "t.test", storage: &storage)
    }

    @Test("passing evals of every kind")
    func passing() {
        let report = run("""
        # a comment
        load 1m
          m{a="1"} 1 2 3
          m{a="2"} 10 20 30

        eval instant at 2m sum(m)
          {} 33

        eval instant at 2m scalar(m{a="1"})
          3

        eval_ordered instant at 2m sort_desc(m)
          m{a="2"} 30
          m{a="1"} 3

        eval_fail instant at 2m m + on() m

        eval instant at 2m nonexistent

        eval range from 0 to 2m step 1m m{a="1"} * 2
          {a="1"} 2 4 6

        eval range from 0 to 4m step 2m m{a="2"} offset 2m
          m{a="2"} _ 10 30

        eval instant at 0m "text"
          expect string "text"

        clear

        eval instant at 2m m
        """)
        #expect(report.failed.isEmpty, "\(report)")
        #expect(report.passed == 9)
    }

    @Test("failures carry file:line and a diff")
    func diff() throws {
        let report = run("""
        load 1m
          m{a="1"} 1
          m{a="2"} 2

        eval instant at 0m m
          m{a="1"} 1.5
          m{a="3"} 3
        """)
        let failure = try #require(report.failed.first)
        #expect(failure.line == 5)
        #expect(failure.description == """
        t.test:5: FAIL m
            expected 2 series, got 2:
              ~ m{a="1"} expected 1.5, got 1
              + m{a="2"} 2    (unexpected)
              - m{a="3"} 3    (missing)
        """)
        #expect(report.description.hasSuffix("t.test: 0 passed, 1 failed, 0 excluded"))
    }

    @Test("values compare with Prometheus's relative tolerance")
    func tolerance() {
        #expect(almostEqual(1, 1 + 1e-7))
        #expect(!almostEqual(1, 1 + 1e-5))
        #expect(almostEqual(.nan, .nan))
        #expect(almostEqual(.infinity, .infinity))
        #expect(!almostEqual(.infinity, -.infinity))
        #expect(!almostEqual(0, 1e-300))
        let report = run("""
        eval instant at 0m 1/3
          0.333333333
        """)
        #expect(report.failed.isEmpty, "\(report)")
    }

    @Test("order is checked only for eval_ordered")
    func ordering() throws {
        let report = run("""
        load 1m
          m{a="1"} 1
          m{a="2"} 2

        eval_ordered instant at 0m sort(m)
          m{a="2"} 2
          m{a="1"} 1

        eval instant at 0m sort(m)
          m{a="2"} 2
          m{a="1"} 1
        """)
        #expect(report.passed == 1)
        guard case .failed(let message) = try #require(report.failed.first).status else { return }
        #expect(message.contains("! m{a=\"1\"} expected at position 2, got at 1"))
    }

    @Test("expected failures: any error, an exact message, a regex")
    func expectedFailures() {
        let report = run("""
        load 1m
          m 1

        eval_fail instant at 0m m + on() m
          expect fail msg: wrong message

        eval instant at 0m m
          expect fail

        eval instant at 0m label_replace(m, "x", "", "y", "(")
          expect fail regex: ^invalid regular expression

        eval_fail instant at 0m sum(
        """)
        #expect(report.outcomes.map(\.passed) == [false, false, true, true])
    }

    @Test("an instant eval is also checked as a range query around its time")
    func rangeModeCheck() throws {
        // The scalar expectation ends the block; the same query as a range query must agree.
        let report = run("""
        load 1m
          m 1 2 3

        eval instant at 1m m
          m 2
        """, runner: PromQLTestRunner(checkRangeMode: true))
        #expect(report.failed.isEmpty)
    }

    @Test("script errors are positioned")
    func scriptErrors() throws {
        #expect(throws: ParseError.self) { try PromQLTestScript.parse("bogus command") }
        do {
            _ = try PromQLTestScript.parse("load 1m\n  m 1 2 x3\n", file: "f.test")
            Issue.record("expected an error")
        } catch {
            #expect(error.file == "f.test")
            #expect(error.position.line == 2)
            #expect(error.position.column == 9)
        }
        do {
            _ = try PromQLTestScript.parse("eval instant at 5 m", file: "f.test")
            Issue.record("expected an error")
        } catch {
            #expect(error.message.contains("invalid evaluation time \"5\""))
        }
        // A query that does not parse is reported at its eval, with the position in the script.
        let report = run("\n\neval instant at 0m sum(rate(x[5m])")
        guard case .failed(let message) = try #require(report.failed.first).status else { return }
        #expect(message.contains("3:"), "\(message)")
    }

    @Test("exclusions are reported, not run")
    func exclusions() {
        var storage = InMemoryTestStorage()
        let report = PromQLTestRunner().run("eval instant at 0m holt_winters(x[1m], 0.5, 0.5)\n", file: "e.test", storage: &storage,
                                            exclusions: [1: "optional function"])
        #expect(report.excluded.count == 1)
        #expect(report.excluded.first?.description == "e.test:1: EXCLUDED holt_winters(x[1m], 0.5, 0.5) (optional function)")
    }

    @Test("within one load a repeated series keeps its last definition; loads add up")
    func loadSemantics() {
        let report = run("""
        load 1m
          m 1 2
          m 5

        eval instant at 1m count_over_time(m[1m])
          {} 1

        load 1m
          m _ _ 7

        eval instant at 2m m
          m 7
        """)
        #expect(report.failed.isEmpty, "\(report)")
    }
}
