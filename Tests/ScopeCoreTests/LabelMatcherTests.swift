import Testing

@testable import ScopeCore

@Suite struct LabelMatcherTests {
    @Test func regexesAreFullyAnchored() throws {
        let a = try LabelMatcher("job", .regexMatch, "a")
        #expect(a.matches("a"))
        #expect(!a.matches("ab"), "=~\"a\" does not match \"ab\"")
        #expect(!a.matches("ba"))
        #expect(!a.matches(""))
        let general = try LabelMatcher("job", .regexMatch, "a.")
        #expect(general.matches("ab") && !general.matches("abc") && !general.matches("xab"))
        // Alternation binds inside the anchors: ^(?:foo|bar)$, not ^foo|bar$.
        let alternation = try LabelMatcher("job", .regexMatch, "fo.|ba.")
        #expect(alternation.matches("foo") && alternation.matches("bar"))
        #expect(!alternation.matches("foox") && !alternation.matches("xbar"))
        let negated = try LabelMatcher("job", .regexNoMatch, "a")
        #expect(negated.matches("ab") && !negated.matches("a"))
    }

    @Test func plainAlternativesTakeTheSetFastPath() throws {
        let set = try LabelMatcher("topic", .regexMatch, "orders|payments|orders.dlq")
        // "." has regex meaning, so this one is general; without it the set applies.
        #expect(set.valueShape == .general)
        let plain = try LabelMatcher("topic", .regexMatch, "orders|payments|audit")
        #expect(plain.valueShape == .literals(["orders", "payments", "audit"]))
        #expect(plain.matches("payments") && !plain.matches("payment") && !plain.matches("orders|payments"))
        let withEmpty = try LabelMatcher("env", .regexMatch, "prod|")
        #expect(withEmpty.valueShape == .literals(["prod", ""]) && withEmpty.matchesEmpty)
        #expect(try LabelMatcher("env", .regexMatch, "").valueShape == .literals([""]))
        #expect(try LabelMatcher("env", .regexMatch, ".*").valueShape == .anyValue)
        #expect(try LabelMatcher("env", .regexNoMatch, ".+").valueShape == .anyNonEmptyValue)
        #expect(try LabelMatcher("env", .equal, "prod").valueShape == .literals(["prod"]))
        #expect(try LabelMatcher("env", .notEqual, "prod").valueShape == .literals(["prod"]), "the shape is of the positive form")
        // The fast path and the regex agree on every value tried.
        let regex = try LabelMatcher("t", .regexMatch, "(?:orders|payments|audit)")
        #expect(regex.valueShape == .general)
        for value in ["orders", "payments", "audit", "", "order", "ordersx", "audit|orders", "Orders"] {
            #expect(plain.matches(value) == regex.matches(value), "\(value)")
        }
    }

    @Test func invalidRegexIsAnErrorNamingThePattern() {
        #expect {
            _ = try LabelMatcher("job", .regexMatch, "a(b")
        } throws: { error in
            guard let invalid = error as? LabelMatcher.InvalidRegex else { return false }
            return invalid.pattern == "a(b" && "\(invalid)".hasPrefix("invalid regular expression \"a(b\": ")
        }
        #expect(throws: LabelMatcher.InvalidRegex.self) { _ = try LabelMatcher("job", .regexNoMatch, "[") }
        #expect(throws: LabelMatcher.InvalidRegex.self) { _ = try LabelMatcher("job", .regexMatch, "*a") }
        // Equality matchers never compile their value.
        #expect(throws: Never.self) { _ = try LabelMatcher("job", .equal, "a(b") }
    }

    @Test func matchesEmptySaysWhetherSeriesLackingTheLabelAreSelected() throws {
        let cases: [(LabelMatcher.Kind, String, Bool)] = [
            (.equal, "", true), (.equal, "a", false), (.notEqual, "", false), (.notEqual, "a", true),
            (.regexMatch, ".*", true), (.regexMatch, ".+", false), (.regexMatch, "a|", true), (.regexMatch, "a", false),
            (.regexMatch, "(a)?", true), (.regexMatch, "", true),
            (.regexNoMatch, ".*", false), (.regexNoMatch, ".+", true), (.regexNoMatch, "a", true), (.regexNoMatch, "a|", false),
        ]
        for (kind, value, expected) in cases {
            #expect(try LabelMatcher("x", kind, value).matchesEmpty == expected, "x\(kind.rawValue)\"\(value)\"")
        }
    }

    @Test func descriptionPrintsPromQLWithEscapes() throws {
        #expect(try LabelMatcher("job", .regexNoMatch, "a\"b").description == "job!~\"a\\\"b\"")
        #expect(try LabelMatcher("__name__", .equal, "up").description == "__name__=\"up\"")
    }

    /// One regex engine, Go's, in linear time: a scraped label value cannot make a matcher take
    /// exponential time. With Swift's backtracking Regex, `(a|aa)+` over 34 `a` and a `b` took
    /// 5.8 s and 40 would take minutes; the ceiling below is far above a linear engine even in a
    /// debug build and far below any backtracking one.
    @Test func pathologicalPatternsRunInLinearTime() throws {
        let cases: [(String, String)] = [
            ("(a|aa)+", String(repeating: "a", count: 40) + "b"),
            ("(a+)+$", String(repeating: "a", count: 10_000) + "!"),
            (".*a.*a.*b", String(repeating: "a", count: 10_000)),
            ("(x+x+)+y", String(repeating: "x", count: 5_000)),
        ]
        for (pattern, value) in cases {
            let matcher = try LabelMatcher("v", .regexMatch, pattern)
            let started = monotonicNanos()
            #expect(!matcher.matches(value), "\(pattern)")
            let ms = Double(monotonicNanos() - started) / 1e6
            #expect(ms < 500, "\(pattern) over \(value.count) characters took \(ms) ms")
        }
    }

    /// Go's semantics and Go's messages (what Prometheus 2.42 says of the same pattern).
    @Test func goSyntaxAndMessages() throws {
        func reason(_ pattern: String) -> String? {
            do {
                _ = try LabelMatcher("v", .regexMatch, pattern)
                return nil
            } catch let error as LabelMatcher.InvalidRegex {
                return error.reason
            } catch {
                return "\(error)"
            }
        }
        #expect(reason("a(b") == "error parsing regexp: missing closing ): `a(b`")
        #expect(reason("(?<name>x)") == "error parsing regexp: invalid or unsupported Perl syntax: `(?<`")
        #expect(reason("a\\1") == "error parsing regexp: invalid escape sequence: `\\1`", "no backreferences")
        #expect(reason("(?=a)") == "error parsing regexp: invalid or unsupported Perl syntax: `(?=`", "no lookaround")
        // `.` matches any character but newline, `\d` only ASCII digits, by scalar.
        #expect(try LabelMatcher("v", .regexMatch, "a.c").matches("a\u{1F600}c"))
        #expect(!(try LabelMatcher("v", .regexMatch, "a.c").matches("a\nc")))
        #expect(!(try LabelMatcher("v", .regexMatch, "\\d").matches("\u{0663}")))
        #expect(try LabelMatcher("v", .regexMatch, "(?i)orders").matches("ORDERS"))
    }
}
