import PromQL
import ScopeCore
import Testing

@Suite struct PrinterTests {
    /// Parses, prints, re-parses: the printed text must be `expected` and parse to an equal tree.
    private func roundTrip(_ query: String, _ expected: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) {
        guard let first = parsed(query, sourceLocation: sourceLocation) else { return }
        let printed = first.description
        if let expected { #expect(printed == expected, sourceLocation: sourceLocation) }
        guard let second = parsed(printed, sourceLocation: sourceLocation) else { return }
        #expect(second == first, "\(query) → \(printed)", sourceLocation: sourceLocation)
        #expect(second.description == printed, "printing is idempotent for \(query)", sourceLocation: sourceLocation)
    }

    @Test func canonicalForms() {
        roundTrip("sum(rate(foo{a=\"b\"}[5m] offset 1m)) by (job)", "sum by (job) (rate(foo{a=\"b\"}[5m] offset 1m))")
        roundTrip("SUM WITHOUT(a,b)(foo)", "sum without (a, b) (foo)")
        roundTrip("sum by () (foo)", "sum(foo)")
        roundTrip("sum without () (foo)", "sum without () (foo)")
        roundTrip("topk(3,foo)", "topk(3, foo)")
        roundTrip("count_values('v',foo)", "count_values(\"v\", foo)")
        roundTrip("foo{b=\"1\",a=\"2\"}", "foo{a=\"2\",b=\"1\"}")
        roundTrip("{__name__=\"foo\",job=~\"a|b\"}", "{__name__=\"foo\",job=~\"a|b\"}")
        roundTrip("foo[90m]", "foo[1h30m]")
        roundTrip("foo[3600000ms]", "foo[1h]")
        roundTrip("foo[1w7d]", "foo[2w]")
        roundTrip("foo offset -5m", "foo offset -5m")
        roundTrip("foo offset 5m @ 100", "foo @ 100.000 offset 5m")
        roundTrip("foo @ -1.5", "foo @ -1.500")
        roundTrip("foo @ 0.0005", "foo @ 0.001")
        roundTrip("foo[5m] offset 1m @ start()", "foo[5m] @ start() offset 1m")
        roundTrip("rate(foo[5m])[1h:] @ end() offset 1d", "rate(foo[5m])[1h:] @ end() offset 1d")
        roundTrip("foo[1h:5m]", "foo[1h:5m]")
        roundTrip("1e-7", "0.0000001")
        roundTrip("1e21", "1000000000000000000000")
        roundTrip("0x1F", "31")
        roundTrip("0755", "493")
        roundTrip(".5", "0.5")
        roundTrip("+Inf", "Inf")
        roundTrip("+Inf ^ 2", "+Inf ^ 2")
        roundTrip("(+Inf) ^ 2", "(Inf) ^ 2")
        roundTrip("1 -llllllllght -Inf /llgr  +in+inf ^+in+inf", "1 - llllllllght - Inf / llgr + in + Inf ^ +in + Inf")
        roundTrip("-inf", "-Inf")
        roundTrip("nan", "NaN")
        roundTrip("-nan", "NaN")
        roundTrip("-0", "-0")
        roundTrip("--1", "1")
        roundTrip("- -foo", "--foo")
        roundTrip("-(1)", "-(1)")
        roundTrip("a+on(x)group_left b", "a + on (x) group_left () b")
        roundTrip("a * ignoring(x) group_right(y,z) b", "a * ignoring (x) group_right (y, z) b")
        roundTrip("a + ignoring() b", "a + b")
        roundTrip("a + on() b", "a + on () b")
        roundTrip("a > bool on(x) b", "a > bool on (x) b")
        roundTrip("a and ignoring(x) b", "a and ignoring (x) b")
        roundTrip("1 + on() 2 > bool 1", "1 + 2 > bool 1")
        roundTrip("'a\"b'", "\"a\\\"b\"")
        roundTrip("`a\\b`", "\"a\\\\b\"")
        roundTrip("\"tab\\there\\x00\\u00e9\\u200b\"", "\"tab\\there\\x00é\\u200b\"")
        roundTrip("foo{a=\"new\\nline\"}", "foo{a=\"new\\nline\"}")
        roundTrip("foo # comment\n + bar", "foo + bar")
        roundTrip("label_join(foo,'d',',','a','b')", "label_join(foo, \"d\", \",\", \"a\", \"b\")")
    }

    @Test func keywordNamesSurviveRoundTrips() {
        for q in ["sum", "by", "and", "offset", "start", "end", "without", "count_values{a=\"b\"}",
                  "foo and and", "sum(by)", "foo - offset", "rate(start[5m])", "sum by (by, on, bool, group_left, atan2, start) (x)",
                  "a + on(offset, sum) group_left(without) b", "avg_over_time(avg[5m] offset 1m)"] {
            roundTrip(q)
        }
    }

    @Test func precedenceSurvivesRoundTrips() {
        for q in ["a or b and c", "(a or b) and c", "a - (b - c)", "a - b - c", "a ^ b ^ c", "(a ^ b) ^ c",
                  "-a ^ b", "(-a) ^ b", "-1 ^ 2", "(-1) ^ 2", "2 ^ -1", "2 ^ -1 * 3", "a * -b ^ c", "a / -b",
                  "-a offset 5m", "-(a + b)", "+a - +b", "a atan2 b * c", "a == bool b != bool c",
                  "1 - -1", "1 - - 1", "-(-1)", "a + b[5m:] offset 1m > bool 0" ] {
            if (try? PromQL.parse(q)) == nil { continue }  // some are type errors on purpose
            roundTrip(q)
        }
    }

    @Test func numbersRoundTripExactly() {
        for v in [0.1, 1.0 / 3, 123456789.123456789, .leastNonzeroMagnitude, 1.7976931348623157e308, 2.2250738585072014e-308,
                  -0.000001234, 9007199254740992, 1e15, 1e16, 1e22, 0.000123] {
            let text = formatPromQLNumber(v)
            #expect(!text.contains("e"), "\(text)")
            guard case .number(let n) = parsed(text) else { Issue.record("\(text)"); continue }
            #expect(n.value == v, "\(v) → \(text)")
        }
    }

    @Test func atTimestampsRoundTripExactly() {
        for ms: Int64 in [0, 1, -1, 999, 1_603_774_568_123, -1_603_774_568_123, 9_000_000_000_000_000_123, -9_000_000_000_000_000_999] {
            let e = Expr.vectorSelector(VectorSelector(name: "foo", matchers: [try! LabelMatcher("__name__", .equal, "foo")],
                                                      at: .timestamp(ms), position: PositionRange(start: 0, end: 0)))
            guard case .vectorSelector(let v) = parsed(e.description) else { continue }
            #expect(v.at == .timestamp(ms), "\(e)")
        }
    }

    @Test func equalityIgnoresPositionsAndMatcherOrder() {
        #expect(parsed("foo{a=\"1\",b=\"2\"}") == parsed("  foo{ b=\"2\" , a=\"1\" }"))
        #expect(parsed("foo{a=\"1\"}") != parsed("foo{a=\"2\"}"))
        #expect(parsed("foo offset 1m") != parsed("foo"))
        #expect(parsed("NaN") == parsed("nan"))
        #expect(parsed("sum by (a, b) (x)") != parsed("sum by (b, a) (x)"))
    }
}
