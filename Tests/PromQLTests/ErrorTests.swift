import PromQL
import ScopeCore
import Testing

/// Every syntax and type error path, with the message and the line:column it points at.
@Suite struct ErrorTests {
    private func check(_ cases: [(String, String, String)], sourceLocation: SourceLocation = #_sourceLocation) {
        for (query, message, position) in cases {
            guard let error = parseError(query, sourceLocation: sourceLocation) else { continue }
            #expect(error.message == message, "\(query)", sourceLocation: sourceLocation)
            #expect(error.position.description == position, "\(query): \(error.message)", sourceLocation: sourceLocation)
        }
    }

    @Test func emptyAndUnexpectedTokens() {
        check([
            ("", "no expression found in input", "1:1"),
            ("# just a comment\n\n", "no expression found in input", "1:1"),
            ("1+", "unexpected end of input", "1:3"),
            ("1 /", "unexpected end of input", "1:4"),
            ("*1", "unexpected <op:*>", "1:1"),
            ("*test", "unexpected <op:*>", "1:1"),
            ("@@", "unexpected <op:@>", "1:1"),
            ("foo bar", "unexpected identifier \"bar\"", "1:5"),
            ("foo 1", "unexpected number \"1\"", "1:5"),
            ("5m", "unexpected duration \"5m\"", "1:1"),
            ("foo \"a very long string\"", "unexpected string \"\\\"a very lo\"...", "1:5"),
            ("on", "unexpected <on>", "1:1"),
            ("bool", "unexpected <bool>", "1:1"),
            ("group_left", "unexpected <group_left>", "1:1"),
            ("atan2", "unexpected <op:atan2>", "1:1"),
            ("()", "unexpected \")\"", "1:2"),
            ("(foo bar)", "unexpected identifier \"bar\"", "1:6"),
            ("foo{a=\"b\"}{c=\"d\"}", "unexpected \"{\"", "1:11"),
            ("=", "unexpected \"=\"", "1:1"),
            ("a - on(b) ignoring(c) d", "unexpected <ignoring>", "1:11"),
            ("a + on(b) bool c", "unexpected <bool>", "1:11"),
            ("a + group_left b", "unexpected <group_left>", "1:5"),
            ("a * on(x) group_left (b)", "unexpected end of input", "1:25"),
            ("sum(foo) by (a) by (b)", "unexpected <by>", "1:17"),
            ("foo @ 1 start()", "unexpected \"start\"", "1:9"),
            ("sum(\n  rate(foo[5m])\n  +\n)", "unexpected \")\" in aggregation", "4:1"),
            ("sum(foo bar)", "unexpected identifier \"bar\" in aggregation", "1:9"),
            ("sum(rate(foo bar))", "unexpected identifier \"bar\" in aggregation", "1:14"),
            ("sum bool", "unexpected <bool>", "1:5"),
            ("sum 1", "unexpected number \"1\"", "1:5"),
            ("sum(x,,)", "trailing commas not allowed in function call args", "1:6"),
            ("rate(x[5m], on)", "trailing commas not allowed in function call args", "1:11"),
            ("a * on(b) group_left on", "unexpected <on> in grouping opts, expected \"(\"", "1:22"),
        ])
    }

    @Test func numbersAndDurations() {
        let nines = String(repeating: "9", count: 309)
        check([
            ("1e400", "error parsing number: strconv.ParseFloat: parsing \"1e400\": value out of range", "1:1"),
            (nines, "error parsing number: strconv.ParseFloat: parsing \"\(nines)\": value out of range", "1:1"),
            ("0x", "error parsing number: strconv.ParseFloat: parsing \"0x\": invalid syntax", "1:1"),
            ("1e", "error parsing number: strconv.ParseFloat: parsing \"1e\": invalid syntax", "1:1"),
            ("0x1.8", "error parsing number: strconv.ParseFloat: parsing \"0x1.8\": invalid syntax", "1:1"),
            ("foo[1h1d]", "not a valid duration string: \"1h1d\"", "1:5"),
            ("foo[1.5h]", "not a valid duration string: \"1.5h\"", "1:5"),
            ("foo[0s]", "duration must be greater than 0", "1:5"),
            ("foo offset 0m", "duration must be greater than 0", "1:12"),
            ("foo[5m:0s]", "duration must be greater than 0", "1:8"),
            ("foo[300y]", "duration out of range", "1:5"),
        ])
    }

    @Test func selectors() {
        check([
            ("{}", "vector selector must contain at least one non-empty matcher", "1:1"),
            ("{a=\"\"}", "vector selector must contain at least one non-empty matcher", "1:1"),
            ("{a=~\".*\"}", "vector selector must contain at least one non-empty matcher", "1:1"),
            ("{a!~\".+\"}", "vector selector must contain at least one non-empty matcher", "1:1"),
            ("x + {a!=\"b\"}", "vector selector must contain at least one non-empty matcher", "1:5"),
            ("foo{__name__=\"bar\"}", "metric name must not be set twice: \"foo\" or \"bar\"", "1:1"),
            ("foo{a}", "unexpected \"}\" in label matching, expected label matching operator", "1:6"),
            ("foo{a=b}", "unexpected identifier \"b\" in label matching, expected string", "1:7"),
            ("foo{a==\"b\"}", "unexpected \"=\" in label matching, expected string", "1:7"),
            ("foo{\"a\"=\"b\"}", "unexpected string \"\\\"a\\\"\" in label matching, expected identifier or \"}\"", "1:5"),
            ("foo{,}", "unexpected \",\" in label matching, expected identifier or \"}\"", "1:5"),
            ("foo{a=\"b\" c=\"d\"}", "unexpected identifier \"c\" in label matching, expected \",\" or \"}\"", "1:11"),
            ("foo{a=\"b\",,}", "unexpected \",\" in label matching, expected identifier or \"}\"", "1:11"),
        ])
        let regex = parseError("foo{a=~\"(\"}")
        #expect(regex?.message.hasPrefix("invalid regular expression \"(\"") == true)
        #expect(regex?.position.description == "1:5")
    }

    @Test func rangesSubqueriesOffsetsAndAt() {
        check([
            ("foo[5m][5m]", "ranges only allowed for vector selectors", "1:8"),
            ("(foo)[5m]", "ranges only allowed for vector selectors", "1:6"),
            ("rate(foo[5m])[5m]", "ranges only allowed for vector selectors", "1:14"),
            ("foo offset 5m [5m]", "no offset modifiers allowed before range", "1:15"),
            ("foo @ 10 [5m]", "no @ modifiers allowed before range", "1:10"),
            ("foo[5m 1m]", "unexpected duration \"1m\" in subquery or range, expected \":\" or \"]\"", "1:8"),
            ("foo[5m:1]", "unexpected number \"1\" in subquery selector, expected duration or \"]\"", "1:8"),
            ("foo[5m:1m 1m]", "unexpected duration \"1m\" in subquery selector, expected \"]\"", "1:11"),
            ("1 offset 1d", "offset modifier must be preceded by an instant vector selector or range vector selector or a subquery", "1:1"),
            ("sum(foo) offset 1d", "offset modifier must be preceded by an instant vector selector or range vector selector or a subquery", "1:1"),
            ("(foo) offset 1d", "offset modifier must be preceded by an instant vector selector or range vector selector or a subquery", "1:1"),
            ("foo offset 1s offset 2s", "offset may not be set multiple times", "1:1"),
            ("foo[5m] offset 1s @ 1 offset 2s", "offset may not be set multiple times", "1:1"),
            ("foo[5m:] offset 1s offset 2s", "offset may not be set multiple times", "1:1"),
            ("foo offset 5", "unexpected number \"5\" in offset, expected duration", "1:12"),
            ("foo offset bar", "unexpected identifier \"bar\" in offset, expected duration", "1:12"),
            ("foo offset - - 5m", "unexpected <op:-> in offset, expected duration", "1:14"),
            ("foo @ bar", "unexpected identifier \"bar\" in @, expected timestamp", "1:7"),
            ("foo @ start", "unexpected end of input in @, expected timestamp", "1:12"),
            ("foo @ start(1)", "unexpected number \"1\" in @, expected timestamp", "1:13"),
            ("foo @ - - 1", "unexpected <op:-> in @, expected timestamp", "1:9"),
            ("foo @ 1 @ 2", "@ <timestamp> may not be set multiple times", "1:1"),
            ("foo[5m] @ start() @ end()", "@ <timestamp> may not be set multiple times", "1:1"),
            ("foo @ Inf", "timestamp out of bounds for @ modifier: +Inf", "1:1"),
            ("foo @ -Inf", "timestamp out of bounds for @ modifier: -Inf", "1:1"),
            ("foo @ NaN", "timestamp out of bounds for @ modifier: NaN", "1:1"),
            ("foo @ 1e300", "timestamp out of bounds for @ modifier: \(formatPromQLNumber(1e300)).000000", "1:1"),
            ("sum(foo) @ 1", "@ modifier must be preceded by an instant vector selector or range vector selector or a subquery", "1:1"),
            ("1 @ start()", "@ modifier must be preceded by an instant vector selector or range vector selector or a subquery", "1:1"),
            ("foo[5m:1m][1h:]", "subquery is only allowed on instant vector, got matrix instead", "1:1"),
            ("1[5m:]", "subquery is only allowed on instant vector, got scalar instead", "1:1"),
            ("\"a\"[5m:]", "subquery is only allowed on instant vector, got string instead", "1:1"),
        ])
    }

    @Test func aggregations() {
        check([
            ("sum()", "no arguments for aggregate expression provided", "1:1"),
            ("topk(foo)", "wrong number of arguments for aggregate expression provided, expected 2, got 1", "1:1"),
            ("sum(foo, bar)", "wrong number of arguments for aggregate expression provided, expected 1, got 2", "1:1"),
            ("sum(1)", "expected type instant vector in aggregation expression, got scalar", "1:5"),
            ("sum(foo[5m])", "expected type instant vector in aggregation expression, got range vector", "1:5"),
            ("topk(\"a\", foo)", "expected type scalar in aggregation parameter, got string", "1:6"),
            ("quantile(foo, foo)", "expected type scalar in aggregation parameter, got instant vector", "1:10"),
            ("count_values(1, foo)", "expected type string in aggregation parameter, got scalar", "1:14"),
            ("sum by foo (bar)", "unexpected identifier \"foo\" in grouping opts, expected \"(\"", "1:8"),
            ("sum by (a b) (foo)", "unexpected identifier \"b\" in grouping opts, expected \",\" or \")\"", "1:11"),
            ("sum by (a:b) (foo)", "unexpected metric identifier \"a:b\" in grouping opts, expected label", "1:9"),
            ("sum by (nan) (foo)", "unexpected number \"nan\" in grouping opts, expected label", "1:9"),
            ("sum by (\"a\") (foo)", "unexpected string \"\\\"a\\\"\" in grouping opts, expected label", "1:9"),
            ("sum by (a,,) (foo)", "unexpected \",\" in grouping opts, expected label", "1:11"),
            ("sum by (a) foo", "unexpected identifier \"foo\" in aggregation", "1:12"),
            ("sum(foo,)", "trailing commas not allowed in function call args", "1:8"),
        ])
    }

    @Test func functionCalls() {
        check([
            ("foo(bar)", "unknown function with name \"foo\"", "1:1"),
            ("RATE(foo[5m])", "unknown function with name \"RATE\"", "1:1"),
            ("rate(foo)", "expected type range vector in call to function \"rate\", got instant vector", "1:6"),
            ("abs(foo[5m])", "expected type instant vector in call to function \"abs\", got range vector", "1:5"),
            ("vector(foo)", "expected type scalar in call to function \"vector\", got instant vector", "1:8"),
            ("label_replace(foo, 1, \"\", \"\", \"\")", "expected type string in call to function \"label_replace\", got scalar", "1:20"),
            ("label_join(foo, \"a\", \",\", \"b\", 1)", "expected type string in call to function \"label_join\", got scalar", "1:32"),
            ("rate()", "expected 1 argument(s) in call to \"rate\", got 0", "1:1"),
            ("time(1)", "expected 0 argument(s) in call to \"time\", got 1", "1:1"),
            ("round(foo, 1, 2)", "expected at most 2 argument(s) in call to \"round\", got 3", "1:1"),
            ("hour(foo, bar)", "expected at most 1 argument(s) in call to \"hour\", got 2", "1:1"),
            ("label_join(foo, \"a\")", "expected at least 3 argument(s) in call to \"label_join\", got 2", "1:1"),
            ("rate(foo[5m],)", "trailing commas not allowed in function call args", "1:13"),
            ("rate(foo[5m] bar)", "unexpected identifier \"bar\"", "1:14"),
            ("job:rate(foo)", "unexpected \"(\"", "1:9"),
        ])
    }

    @Test func binaryOperations() {
        check([
            ("1 == 1", "comparisons between scalars must use BOOL modifier", "1:3"),
            ("1 < (2)", "comparisons between scalars must use BOOL modifier", "1:3"),
            ("1 and 1", "set operator \"and\" not allowed in binary scalar expression", "1:1"),
            ("1 or 1", "set operator \"or\" not allowed in binary scalar expression", "1:1"),
            ("1 unless 1", "set operator \"unless\" not allowed in binary scalar expression", "1:1"),
            ("foo and 1", "set operator \"and\" not allowed in binary scalar expression", "1:1"),
            ("foo + bool bar", "bool modifier can only be used on comparison operators", "1:5"),
            ("foo and bool bar", "bool modifier can only be used on comparison operators", "1:5"),
            ("foo and on(a) group_left bar", "no grouping allowed for \"and\" operation", "1:1"),
            ("foo or ignoring(a) group_right(b) bar", "no grouping allowed for \"or\" operation", "1:1"),
            ("foo * on(a) group_left(a) bar", "label \"a\" must not occur in ON and GROUP clause at once", "1:5"),
            ("1 + on(a) foo", "vector matching only allowed between instant vectors", "1:1"),
            ("foo[5m] + 1", "binary expression must contain only scalar and instant vector types", "1:1"),
            ("1 + foo[5m]", "binary expression must contain only scalar and instant vector types", "1:5"),
            ("\"a\" + 1", "binary expression must contain only scalar and instant vector types", "1:1"),
            ("-\"string\"", "unary expression only allowed on expressions of type scalar or instant vector, got \"string\"", "1:1"),
            ("-test[5m]", "unary expression only allowed on expressions of type scalar or instant vector, got \"range vector\"", "1:1"),
            // Children are checked before their parent, as in Prometheus.
            ("sum(rate(foo)) + bool 1", "expected type range vector in call to function \"rate\", got instant vector", "1:10"),
        ])
    }

    @Test func errorsRenderWithACaret() throws {
        let error = try #require(parseError("sum by (job) (\n  rate(http_requests_total[5m) )\n)"))
        #expect(error.message == "unexpected \")\" in subquery or range, expected \":\" or \"]\"")
        #expect(error.description == "2:30: unexpected \")\" in subquery or range, expected \":\" or \"]\"\n"
            + "    rate(http_requests_total[5m) )\n"
            + "  " + String(repeating: " ", count: 29) + "^")
        let error2 = try #require(parseError("sum(\n  foo +\n  rate(bar)\n)"))
        #expect(error2.description == "3:8: expected type range vector in call to function \"rate\", got instant vector\n"
            + "    rate(bar)\n"
            + "         ^")
    }

    @Test func engineErrorsUseTheSameFormat() throws {
        let query = "sum(\n  histogram_count(foo)\n)"
        guard case .aggregate(let a) = try PromQL.parse(query), case .call(let c) = a.expr else {
            Issue.record("unexpected tree")
            return
        }
        let error = PromQL.error("unsupported function \"\(c.function.name)\"", at: c.position, in: query)
        #expect(error.description == "2:3: unsupported function \"histogram_count\"\n    histogram_count(foo)\n    ^")
    }

    @Test func nestingDepthIsBounded() {
        let tooDeep = "expression nested too deeply (more than 500 levels)"
        let deep = String(repeating: "(", count: 10_000) + "1" + String(repeating: ")", count: 10_000)
        #expect(parseError(deep)?.message == tooDeep)
        // Long operator chains and modifier chains deepen the tree without nesting in the text.
        let chain = "1" + String(repeating: " + 1", count: 10_000)
        #expect(parseError(chain)?.message == tooDeep)
        let unary = String(repeating: "-", count: 10_000) + "foo"
        #expect(parseError(unary)?.message == tooDeep)
        let subqueries = "foo" + String(repeating: "[1m:]", count: 10_000)
        #expect(parseError(subqueries)?.message == tooDeep)
        #expect(parseError("sum(" + String(repeating: "rate(", count: 600) + "x")?.message == tooDeep)
    }

    /// The deepest accepted trees survive every recursive pass: parse, check, print, compare.
    @Test func deepestAcceptedTreesAreHandled() throws {
        for query in [
            String(repeating: "(", count: 495) + "1" + String(repeating: ")", count: 495),
            "1" + String(repeating: " + 1", count: 495),
            "2" + String(repeating: " ^ 2", count: 245),  // counts twice per level
            String(repeating: "-", count: 495) + "foo",
            "sum(" + String(repeating: "abs(", count: 490) + "foo" + String(repeating: ")", count: 491),
            "foo" + String(repeating: "[1m:]", count: 1) + String(repeating: " offset 1m", count: 1),
        ] {
            let e = try PromQL.parse(query)
            let again = try PromQL.parse(e.description)
            #expect(again == e)
        }
    }
}
