import PromQL
import ScopeCore
import Testing

@Suite struct PrecedenceTests {
    @Test func levelsFromLoosestToTightest() {
        // or < and/unless < comparisons < + - < * / % atan2 < ^
        #expect(shape("a or b and c") == "(or a (and b c))")
        #expect(shape("a and b or c") == "(or (and a b) c)")
        #expect(shape("a unless b or c") == "(or (unless a b) c)")
        #expect(shape("a and b == c") == "(and a (== b c))")
        #expect(shape("a == b and c") == "(and (== a b) c)")
        #expect(shape("a > b + c") == "(> a (+ b c))")
        #expect(shape("a + b > c") == "(> (+ a b) c)")
        #expect(shape("a + b * c") == "(+ a (* b c))")
        #expect(shape("a * b + c") == "(+ (* a b) c)")
        #expect(shape("a - b / c") == "(- a (/ b c))")
        #expect(shape("a % b - c") == "(- (% a b) c)")
        #expect(shape("a atan2 b + c") == "(+ (atan2 a b) c)")
        #expect(shape("a * b ^ c") == "(* a (^ b c))")
        #expect(shape("a ^ b * c") == "(* (^ a b) c)")
        #expect(shape("a or b unless c and d == e + f * g ^ h") ==
            "(or a (and (unless b c) (== d (+ e (* f (^ g h))))))")
    }

    @Test func leftAssociativity() {
        #expect(shape("a - b - c") == "(- (- a b) c)")
        #expect(shape("a + b - c") == "(- (+ a b) c)")
        #expect(shape("a / b * c") == "(* (/ a b) c)")
        #expect(shape("a * b % c atan2 d") == "(atan2 (% (* a b) c) d)")
        #expect(shape("a == b != c") == "(!= (== a b) c)")
        #expect(shape("a > b < c >= d <= e") == "(<= (>= (< (> a b) c) d) e)")
        #expect(shape("a and b unless c") == "(unless (and a b) c)")
        #expect(shape("a unless b and c") == "(and (unless a b) c)")
        #expect(shape("a or b or c") == "(or (or a b) c)")
    }

    @Test func powerIsRightAssociative() {
        #expect(shape("a ^ b ^ c") == "(^ a (^ b c))")
        #expect(shape("2 ^ 3 ^ 2") == "(^ 2 (^ 3 2))")
    }

    @Test func unaryBindsLikeMultiplication() {
        #expect(shape("-a ^ b") == "(u- (^ a b))")
        #expect(shape("-a * b") == "(* (u- a) b)")
        #expect(shape("-a + b") == "(+ (u- a) b)")
        #expect(shape("a + -b * c") == "(+ a (* (u- b) c))")
        #expect(shape("a * -b ^ c") == "(* a (u- (^ b c)))")
        #expect(shape("a ^ -b ^ c") == "(^ a (u- (^ b c)))")
        #expect(shape("a ^ -b * c") == "(* (^ a (u- b)) c)")
        #expect(shape("- - a") == "(u- (u- a))")
        #expect(shape("+a") == "(u+ a)")
    }

    @Test func signsFoldIntoNumberLiterals() {
        #expect(shape("-1") == "-1")
        #expect(shape("-1 * 2") == "(* -1 2)")
        #expect(shape("-1 ^ 2") == "(u- (^ 1 2))")
        #expect(shape("-1^-2") == "(u- (^ 1 -2))")
        #expect(shape("+1 + -2 * 1") == "(+ 1 (* -2 1))")
        #expect(shape("--1") == "1")
        #expect(shape("-(1)") == "(u- [1])")
        #expect(shape("1 - -1") == "(- 1 -1)")
        if case .number(let n) = parsed("-1") { #expect(n.position == PositionRange(start: 0, end: 2)) }
    }

    @Test func parenthesesOverride() {
        #expect(shape("(a + b) * c") == "(* [(+ a b)] c)")
        #expect(shape("a * (b + c)") == "(* a [(+ b c)])")
        #expect(shape("(a ^ b) ^ c") == "(^ [(^ a b)] c)")
        #expect(shape("((a))") == "[[a]]")
    }

    @Test func modifiersBindTighterThanEverything() {
        #expect(shape("a + b offset 5m") == "(+ a b offset 5m)")
        #expect(shape("-a offset 5m") == "(u- a offset 5m)")
        #expect(shape("a * rate(b[5m:])") == "(* a (rate (subquery b 300000 - 0 nil)))")
        #expect(shape("a ^ b @ 10") == "(^ a b @ 10.000)")
    }

    @Test func binaryModifiers() {
        #expect(shape("a > bool b") == "(> bool a b)")
        #expect(shape("a + on(x, y) b") == "(+ on (x, y) a b)")
        #expect(shape("a + ignoring(x) b") == "(+ ignoring (x) a b)")
        #expect(shape("a * on(x) group_left b") == "(* on (x) group_left () a b)")
        #expect(shape("a * on(x) group_left(y, z) b") == "(* on (x) group_left (y, z) a b)")
        #expect(shape("a * ignoring(x) group_right(y) b") == "(* ignoring (x) group_right (y) a b)")
        #expect(shape("a == bool on(x) b") == "(== bool on (x) a b)")
        #expect(shape("a * on(x) group_left () (b)") == "(* on (x) group_left () a [b])")
        // Trailing commas and keywords as label names.
        #expect(shape("a + on(by, sum, offset, bool,) b") == "(+ on (by, sum, offset, bool) a b)")
        #expect(shape("bar + on(foo) bla / on(baz, buz) group_right(test) blub") ==
            "(+ on (foo) bar (/ on (baz, buz) group_right (test) bla blub))")
    }

    @Test func vectorMatchingDetails() throws {
        guard case .binary(let b) = parsed("a * on(x) group_left(y) b") else { Issue.record("not binary"); return }
        #expect(b.matching == VectorMatching(cardinality: .manyToOne, on: true, matchingLabels: ["x"], include: ["y"]))
        guard case .binary(let s) = parsed("a and b") else { return }
        #expect(s.matching?.cardinality == .manyToMany)
        guard case .binary(let s2) = parsed("a or on() b") else { return }
        #expect(s2.matching == VectorMatching(cardinality: .manyToMany, on: true))
        // A scalar side drops the matching, as Prometheus does.
        guard case .binary(let scalar) = parsed("a + 1") else { return }
        #expect(scalar.matching == nil)
        guard case .binary(let scalar2) = parsed("1 + on() a") else { return }
        #expect(scalar2.matching == nil)
        guard case .binary(let op) = parsed("foo  +  bar") else { return }
        #expect(op.operatorPosition == PositionRange(start: 5, end: 6))
    }
}

@Suite struct SelectorTests {
    private func selector(_ q: String) -> VectorSelector? {
        guard case .vectorSelector(let v) = parsed(q) else { return nil }
        return v
    }

    @Test func nameBecomesMatcher() throws {
        let v = try #require(selector(#"foo{a="b", c!="d", e=~"f.*", g!~"h",}"#))
        #expect(v.name == "foo")
        #expect(v.matchers.map(\.description) == [#"a="b""#, #"c!="d""#, #"e=~"f.*""#, #"g!~"h""#, #"__name__="foo""#])
        #expect(v.position == PositionRange(start: 0, end: 37))
        let onlyBraces = try #require(selector(#"{__name__="foo", job="x"}"#))
        #expect(onlyBraces.name == nil)
        #expect(onlyBraces.matchers.count == 2)
    }

    @Test func keywordsAsMetricNames() {
        for name in ["sum", "avg", "count_values", "topk", "by", "without", "and", "or", "unless", "offset", "start", "end", "SUM"] {
            #expect(selector(name)?.name == name)
            #expect(selector(name + "{a=\"b\"}")?.name == name)
        }
        #expect(shape("foo * sum") == "(* foo sum)")
        #expect(shape("foo and and") == "(and foo and)")
        #expect(shape("rate(sum[5m])") == "(rate sum[5m])")
        #expect(shape(#"offset{step="1s"}[5m]"#) == #"offset{step="1s"}[5m]"#)
    }

    @Test func offsetAndAt() throws {
        let v = try #require(selector("foo offset 5m @ 100"))
        #expect(v.offsetMs == 300_000)
        #expect(v.at == .timestamp(100_000))
        #expect(v.position == PositionRange(start: 0, end: 19))
        #expect(selector("foo @ 100 offset -1h30m")?.offsetMs == -5_400_000)
        #expect(selector("foo @ -100")?.at == .timestamp(-100_000))
        #expect(selector("foo @ +1.5")?.at == .timestamp(1500))
        #expect(selector("foo @ 1.2345")?.at == .timestamp(1235))
        #expect(selector("foo @ 1e3")?.at == .timestamp(1_000_000))
        #expect(selector("foo @ 0x10")?.at == .timestamp(16_000))
        #expect(selector("foo @ start()")?.at == .start)
        #expect(selector("foo @ end ( )")?.at == .end)
        #expect(selector("foo OFFSET 1d")?.offsetMs == 86_400_000)
    }

    @Test func matrixSelectors() throws {
        guard case .matrixSelector(let m) = parsed("foo{a=\"b\"}[1h30m] @ end() offset 1w") else { Issue.record("not a matrix"); return }
        #expect(m.rangeMs == 5_400_000)
        #expect(m.selector.offsetMs == 604_800_000)
        #expect(m.selector.at == .end)
        #expect(m.selector.name == "foo")
        #expect(m.position == PositionRange(start: 0, end: 35))
        guard case .matrixSelector(let ms) = parsed("foo[500ms]") else { return }
        #expect(ms.rangeMs == 500)
    }

    @Test func subqueries() throws {
        guard case .subquery(let s) = parsed("rate(foo[5m])[1h:30s] offset 1m @ 10") else { Issue.record("not a subquery"); return }
        #expect(s.rangeMs == 3_600_000)
        #expect(s.stepMs == 30_000)
        #expect(s.offsetMs == 60_000)
        #expect(s.at == .timestamp(10_000))
        #expect(s.expr.type == .instantVector)
        guard case .subquery(let noStep) = parsed("foo[1h:]") else { return }
        #expect(noStep.stepMs == nil)
        #expect(shape("sum_over_time(foo[5m:1m] offset 1m)[1h:5m]").hasPrefix("(subquery (sum_over_time"))
        #expect(shape("foo offset 5m [10m:1m]") == "(subquery foo offset 5m 600000 60000 0 nil)")
    }

    @Test func numberLiterals() {
        let cases: [(String, Double)] = [
            ("1", 1), ("123.4567", 123.4567), (".5", 0.5), ("5.", 5), ("5e-3", 0.005), ("5e3", 5000), ("12.34E+6", 12_340_000),
            ("0xc", 12), ("0X1f", 31), ("0755", 493), ("08", 8), ("-0755", -493), ("+5.5e-3", 0.0055),
            ("99999999999999999999", 1e20), ("Inf", .infinity), ("-inf", -.infinity), ("+Inf", .infinity),
        ]
        for (q, want) in cases {
            guard case .number(let n) = parsed(q) else { Issue.record("\(q) is not a number"); continue }
            #expect(n.value == want, "\(q)")
        }
        guard case .number(let nan) = parsed("NaN") else { return }
        #expect(nan.value.isNaN)
    }

    @Test func stringLiterals() {
        guard case .string(let s) = parsed(#""a\tb\u00e9""#) else { Issue.record("not a string"); return }
        #expect(s.value == "a\tbé")
        #expect(parsed("'single'")?.type == .string)
        #expect(parsed("`raw\\n`").map { $0 == .string(StringLiteral(value: "raw\\n", position: .init(start: 0, end: 0))) } == true)
    }

    @Test func regexMatchers() throws {
        let v = try #require(selector(#"{job=~"api|web", env!~"dev.*"}"#))
        #expect(v.matchers[0].matches("web"))
        #expect(!v.matchers[0].matches("webx"))
        #expect(!v.matchers[1].matches("devel"))
    }
}

@Suite struct AggregationAndCallTests {
    @Test func groupingBeforeOrAfter() {
        #expect(shape("sum by (job) (foo)") == "(sum by(job) foo)")
        #expect(shape("sum(foo) by (job)") == "(sum by(job) foo)")
        #expect(shape("sum without (job, instance) (foo)") == "(sum without(job,instance) foo)")
        #expect(shape("sum(foo) without (job,)") == "(sum without(job) foo)")
        #expect(shape("SUM BY (Job) (foo)") == "(sum by(Job) foo)")
        #expect(shape("sum by () (foo)") == "(sum foo)")
        #expect(shape("sum without () (foo)") == "(sum without() foo)")
        #expect(shape("count by (group_left, on) (foo)") == "(count by(group_left,on) foo)")
    }

    @Test func parameters() {
        #expect(shape("topk(3, foo)") == "(topk 3 foo)")
        #expect(shape("bottomk by (a) (3, foo)") == "(bottomk by(a) 3 foo)")
        #expect(shape("quantile(0.9, foo)") == "(quantile 0.9 foo)")
        #expect(shape(#"count_values("value", foo)"#) == #"(count_values "value" foo)"#)
        for op in ["avg", "count", "min", "max", "group", "stddev", "stdvar"] {
            #expect(shape("\(op)(foo)") == "(\(op) foo)")
        }
    }

    @Test func calls() throws {
        #expect(shape("time()") == "(time)")
        #expect(shape("rate(foo[5m])") == "(rate foo[5m])")
        #expect(shape("round(foo)") == "(round foo)")
        #expect(shape("round(foo, 5)") == "(round foo 5)")
        #expect(shape(#"label_join(foo, "d", ",", "a", "b", "c")"#) == #"(label_join foo "d" "," "a" "b" "c")"#)
        #expect(shape("hour()") == "(hour)")
        #expect(shape("histogram_quantile(0.9, sum by (le) (rate(foo_bucket[5m])))") ==
            "(histogram_quantile 0.9 (sum by(le) (rate foo_bucket[5m])))")
        guard case .call(let c) = parsed("predict_linear(foo[1h], 3600)") else { return }
        #expect(c.function.name == "predict_linear")
        #expect(c.function.support == .required)
        #expect(c.position == PositionRange(start: 0, end: 29))
    }

    @Test func functionTable() throws {
        let f = PromQL.functions
        #expect(f.count == 70)
        #expect(f["rate"]?.argTypes == [.rangeVector])
        #expect(f["label_join"]?.minArgs == 3)
        #expect(f["label_join"]?.maxArgs == nil)
        #expect(f["round"]?.minArgs == 1)
        #expect(f["round"]?.maxArgs == 2)
        #expect(f["day_of_week"]?.minArgs == 0)
        #expect(f["scalar"]?.returnType == .scalar)
        #expect(f["holt_winters"]?.support == .cheap)
        #expect(f["histogram_count"]?.support == .optional)
        #expect(f["sin"]?.support == .cheap)
        let required = f.values.filter { $0.support == .required }.map(\.name).sorted()
        for name in ["rate", "irate", "increase", "delta", "idelta", "deriv", "predict_linear", "resets", "changes",
                     "avg_over_time", "min_over_time", "max_over_time", "sum_over_time", "count_over_time",
                     "last_over_time", "quantile_over_time", "stddev_over_time", "stdvar_over_time",
                     "present_over_time", "absent_over_time", "absent", "histogram_quantile", "clamp", "clamp_min",
                     "clamp_max", "abs", "ceil", "floor", "round", "sqrt", "exp", "ln", "log2", "log10", "time",
                     "timestamp", "vector", "scalar", "sort", "sort_desc", "label_replace", "label_join",
                     "day_of_week", "day_of_month", "days_in_month", "hour", "minute", "month", "year"] {
            #expect(required.contains(name), "\(name)")
        }
    }

    @Test func types() {
        let cases: [(String, ValueType)] = [
            ("1", .scalar), ("\"s\"", .string), ("foo", .instantVector), ("foo[5m]", .rangeVector),
            ("foo[5m:]", .rangeVector), ("sum(foo)", .instantVector), ("1 + 2", .scalar), ("1 + foo", .instantVector),
            ("-foo", .instantVector), ("(1)", .scalar), ("time()", .scalar), ("scalar(foo)", .scalar),
            ("vector(1)", .instantVector), ("1 > bool 2", .scalar),
        ]
        for (q, t) in cases { #expect(parsed(q)?.type == t, "\(q)") }
    }

    @Test func walkingTheTree() throws {
        let e = try #require(parsed("sum by (a) (rate(foo[5m])) / on(a) group_left count(bar offset 1m)"))
        var kinds: [String] = []
        e.walk { node in
            switch node {
            case .binary: kinds.append("binary")
            case .aggregate(let a): kinds.append(a.op.rawValue)
            case .call(let c): kinds.append(c.function.name)
            case .matrixSelector: kinds.append("matrix")
            case .vectorSelector(let v): kinds.append(v.name ?? "?")
            default: kinds.append("other")
            }
            return true
        }
        #expect(kinds == ["binary", "sum", "rate", "matrix", "foo", "count", "bar"])
        #expect(e.vectorSelectors.map(\.name) == ["foo", "bar"])
        #expect(e.vectorSelectors[1].offsetMs == 60_000)
        #expect(parsed("((foo))")?.unwrappingParens == parsed("foo"))
    }

    @Test func commentsAndNewlines() {
        #expect(shape("sum by (job) (\n  # requests\n  rate(foo[5m]) # per second\n)\n") == "(sum by(job) (rate foo[5m]))")
        #expect(shape("foo\n+\nbar") == "(+ foo bar)")
        #expect(shape("foo{\n a=\"b\", # c\n}") == #"foo{a="b"}"#)
    }
}
