import ScopeCore
import Testing

@testable import Exposition

/// Every escaping rule, in label values and HELP text, both dialects, reading and writing.
@Suite struct EscapingTests {
    private func labelValue(_ written: String, _ dialect: ExpositionDialect) throws -> String? {
        let eof = dialect == .openMetrics ? "# EOF\n" : ""
        return try samples("m{v=\"\(written)\"} 1\n" + eof, dialect)[0].labels["v"]
    }

    private func help(_ written: String, _ dialect: ExpositionDialect) throws -> String? {
        let eof = dialect == .openMetrics ? "# EOF\n" : ""
        guard case .help(_, let text)? = try entries("# HELP m \(written)\n" + eof, dialect).first else { return nil }
        return text
    }

    // MARK: Label values

    @Test(arguments: ExpositionDialect.allCases)
    func labelValueEscapes(_ dialect: ExpositionDialect) throws {
        #expect(try labelValue(#"a\\b"#, dialect) == "a\\b", "\\\\ is a backslash")
        #expect(try labelValue(#"a\"b"#, dialect) == "a\"b", "\\\" is a double quote")
        #expect(try labelValue(#"a\nb"#, dialect) == "a\nb", "\\n is a line feed")
        #expect(try labelValue(#"\\\\"#, dialect) == "\\\\")
        #expect(try labelValue(#"\\n"#, dialect) == "\\n", "an escaped backslash before n")
        #expect(try labelValue(#"\\\n"#, dialect) == "\\\n")
        #expect(try labelValue(#"\\\""#, dialect) == "\\\"")
        #expect(try labelValue(#"\""#, dialect) == "\"")
        #expect(try labelValue("", dialect) == "")
    }

    @Test(arguments: ExpositionDialect.allCases)
    func rawCharactersInLabelValuesStay(_ dialect: ExpositionDialect) throws {
        #expect(try labelValue("tab\there", dialect) == "tab\there")
        #expect(try labelValue("cr\rhere", dialect) == "cr\rhere")
        #expect(try labelValue("nul\u{0}here", dialect) == "nul\u{0}here")
        #expect(try labelValue("# } { , = \u{7F}", dialect) == "# } { , = \u{7F}")
        #expect(try labelValue("ünïcødé ☃ 🚀 日本 e\u{301}", dialect) == "ünïcødé ☃ 🚀 日本 e\u{301}")
    }

    @Test func unknownEscapesAreErrorsInTheTextFormat() {
        for escape in [#"\t"#, #"\z"#, #"\'"#, #"\u0041"#, #"\r"#, #"\ "#] {
            let error = parseError("m{v=\"a\(escape)\"} 1\n", .prometheusText)
            #expect(error?.message == Message.badEscape("'\(escape.prefix(2))'"), "\(escape)")
            #expect(error?.position.column == 7)
        }
    }

    /// The OpenMetrics suite (cases `escaping`, `label_escaping`) accepts unknown escapes in label
    /// values; they are kept as written, as the reference parser keeps them.
    @Test func unknownEscapesStayAsWrittenInOpenMetrics() throws {
        #expect(try labelValue(#"b\\a\z"#, .openMetrics) == #"b\a\z"#)
        #expect(try labelValue(#"\foo"#, .openMetrics) == #"\foo"#)
        #expect(try labelValue(#"\t"#, .openMetrics) == #"\t"#)
    }

    @Test(arguments: ExpositionDialect.allCases)
    func aBackslashCannotEndAValue(_ dialect: ExpositionDialect) {
        let eof = dialect == .openMetrics ? "# EOF\n" : ""
        #expect(parseError("m{v=\"a\\\"} 1\n" + eof, dialect)?.message == Message.unterminatedValue, "\\\" does not close the value")
        #expect(parseError("m{v=\"a\\\n\"} 1\n" + eof, dialect)?.message == Message.unterminatedValue, "a backslash before a raw line feed")
    }

    @Test(arguments: ExpositionDialect.allCases)
    func exemplarAndLabelValuesUseTheSameEscapes(_ dialect: ExpositionDialect) throws {
        guard dialect == .openMetrics else { return }
        let s = try samples("# TYPE c counter\nc_total 1 # {id=\"a\\\"b\\\\c\\nd\"} 1\n# EOF\n", .openMetrics)[0]
        #expect(s.exemplar?.labels["id"] == "a\"b\\c\nd")
    }

    // MARK: HELP text

    @Test func textHelpEscapes() throws {
        #expect(try help(#"a\\b"#, .prometheusText) == "a\\b")
        #expect(try help(#"a\nb"#, .prometheusText) == "a\nb")
        #expect(try help(#"a\"b"#, .prometheusText) == "a\\\"b", "the text format does not escape quotes in HELP")
        #expect(try help(#"say "hi""#, .prometheusText) == "say \"hi\"")
        #expect(try help(#"C:\temp"#, .prometheusText) == "C:\\temp", "unknown escapes stay (lenient, as Prometheus)")
        #expect(try help(#"ends with \"#, .prometheusText) == "ends with \\")
        #expect(try help("tab\tand trailing  ", .prometheusText) == "tab\tand trailing  ")
    }

    @Test func openMetricsHelpEscapes() throws {
        #expect(try help(#"a\\b"#, .openMetrics) == "a\\b")
        #expect(try help(#"a\nb"#, .openMetrics) == "a\nb")
        #expect(try help(#"a\"b"#, .openMetrics) == "a\"b", "OpenMetrics escapes quotes in HELP too")
        #expect(try help(#"\foo"#, .openMetrics) == "\\foo")
        #expect(try help(#"\\\n"#, .openMetrics) == "\\\n")
        #expect(try help(#"\\""#, .openMetrics) == "\\\"")
        #expect(try help("", .openMetrics) == "")
        #expect(try help("  leading blanks stay", .openMetrics) == "  leading blanks stay")
        #expect(try help("he\u{0}lp", .openMetrics) == "he\u{0}lp")
    }

    // MARK: Writing

    @Test func encodersEscapeLabelValues() {
        var family = MetricFamily(name: "m", type: .gauge, help: "")
        family.add(["v": "a\\b\"c\nd\te"], 1)
        #expect(PrometheusTextEncoder.encode([family]).contains(#"m{v="a\\b\"c\nd"# + "\te\"} 1\n"))
        #expect(OpenMetricsEncoder.encode([family]).contains(#"m{v="a\\b\"c\nd"# + "\te\"} 1.0\n"))
    }

    @Test func encodersEscapeHelpByDialect() {
        let family = MetricFamily(name: "m", type: .gauge, help: "a \"q\" \\ b\nc\r\nd e\u{301}\\\u{301}")
        #expect(PrometheusTextEncoder.encode([family]).hasPrefix("# HELP m a \"q\" \\\\ b\\nc\r\\nd e\u{301}\\\\\u{301}\n"))
        #expect(OpenMetricsEncoder.encode([family]).hasPrefix("# HELP m a \\\"q\\\" \\\\ b\\nc\r\\nd e\u{301}\\\\\u{301}\n"))
    }

    @Test(arguments: ExpositionDialect.allCases)
    func everyEscapeRoundTrips(_ dialect: ExpositionDialect) throws {
        let nasty = ["\\", "\"", "\n", "\\n", "\\\"", "\\\\", "\r\n", "\t", "}", "{", ",", "# ", " # {a=\"b\"} 1", "\u{0}", "☃", "e\u{301}", "\\\u{301}"]
        var family = MetricFamily(name: "m", type: .gauge, help: nasty.joined())
        for (i, value) in nasty.enumerated() { family.add(["i": String(i), "v": value], Double(i)) }
        let text = encodeExposition([family], as: dialect)
        let parsed = try ExpositionParser.parseFamilies(text, dialect: dialect)
        #expect(parsed == [family])
    }
}
