import ScopeCore
import Testing

@testable import Exposition

/// One input per error message of the parser (Sources/Exposition/Messages.swift), with the message,
/// the line and column it must be reported at, and (checked for every case) the offending line.
struct ErrorCase: Sendable, CustomTestStringConvertible {
    let name: String
    let dialect: ExpositionDialect
    let input: [UInt8]
    let message: String
    let line: Int
    let column: Int

    init(_ name: String, _ dialect: ExpositionDialect, _ input: String, _ message: String, _ line: Int, _ column: Int) {
        self.init(name, dialect, Array(input.utf8), message, line, column)
    }

    init(_ name: String, _ dialect: ExpositionDialect, _ input: [UInt8], _ message: String, _ line: Int, _ column: Int) {
        self.name = name
        self.dialect = dialect
        self.input = input
        self.message = message
        self.line = line
        self.column = column
    }

    var testDescription: String { "\(name) (\(dialect == .openMetrics ? "OpenMetrics" : "0.0.4"))" }
}

private let T = ExpositionDialect.prometheusText
private let O = ExpositionDialect.openMetrics
private let M = Message.self

let errorCases: [ErrorCase] = [
    // Lines and structure
    ErrorCase("missing final line feed", T, "a 1", M.missingLineFeed, 1, 4),
    ErrorCase("missing final line feed after a comment", T, "a 1\n# HELP a x", M.missingLineFeed, 2, 11),
    ErrorCase("blank line", O, "a 1\n\n# EOF\n", M.blankLine, 2, 1),
    ErrorCase("missing # EOF", O, "a 1\n", M.missingEOF, 2, 1),
    ErrorCase("missing # EOF in an empty input", O, "", M.missingEOF, 1, 1),
    ErrorCase("line after # EOF", O, "# EOF\nx\n", M.textAfterEOF, 2, 1),
    ErrorCase("text after # EOF on its line", O, "a 1\n# EOFblah\n", M.textAfterEOF, 2, 6),
    ErrorCase("free-form comment", O, "#a_sum 0\n# EOF\n", M.badComment, 1, 1),
    ErrorCase("unknown keyword", O, "# FOO a x\n# EOF\n", M.unknownKeyword("'FOO'"), 1, 3),
    // Metric names
    ErrorCase("name starting with a digit", T, "0a 1\n", M.badMetricNameStart("'0'"), 1, 1),
    ErrorCase("metadata name starting with a digit", O, "# HELP 0a x\n# EOF\n", M.badMetricNameStart("'0'"), 1, 8),
    ErrorCase("dot in a name", T, "a.b 1\n", M.badMetricNameChar("'.'"), 1, 2),
    // Labels
    ErrorCase("label name starting with a digit", T, "a{1=\"1\"} 1\n", M.badLabelNameStart("'1'"), 1, 3),
    ErrorCase("plus in a label name", T, "metric{label+=\"bla\"} 3.14\n", M.badLabelNameChar("'+'", "label"), 1, 13),
    ErrorCase("label without =", T, "a{a} 1\n", M.expectedEquals("a"), 1, 4),
    ErrorCase("unquoted label value", T, "a{a=1} 1\n", M.expectedQuote("a"), 1, 5),
    ErrorCase("unterminated label value", T, "a{a=\"1} 1\n", M.unterminatedValue, 1, 5),
    ErrorCase("line feed inside a label value", T, "metric{label=\"new\nline\"} 3.14\n", M.unterminatedValue, 1, 14),
    ErrorCase("invalid escape in 0.0.4", T, "a{a=\"\\t\"} 1\n", M.badEscape("'\\t'"), 1, 6),
    ErrorCase("label set cut off by the end", T, "a{a=\"1\"", M.unclosedLabels, 1, 8),
    ErrorCase("missing comma", T, "a{a=\"1\"b=\"2\"} 1\n", M.expectedCommaOrBrace("a", "'b'"), 1, 8),
    ErrorCase("trailing comma in OpenMetrics", O, "a{a=\"1\",} 1\n# EOF\n", M.trailingComma, 1, 9),
    ErrorCase("duplicate label", T, "a{a=\"1\",a=\"2\"} 1\n", M.duplicateLabel("a"), 1, 9),
    ErrorCase("duplicate label out of order", T, "a{b=\"1\",a=\"2\",b=\"3\"} 1\n", M.duplicateLabel("b"), 1, 15),
    ErrorCase("__name__ label", T, "a{__name__=\"x\"} 1\n", M.reservedName, 1, 3),
    ErrorCase("invalid UTF-8 label value", T, Array("a{a=\"".utf8) + [0xFF] + Array("\"} 1\n".utf8), M.invalidUTF8("label value"), 1, 6),
    ErrorCase("invalid UTF-8 help text", O, Array("# HELP a ".utf8) + [0xC3, 0x28] + Array("\n# EOF\n".utf8), M.invalidUTF8("help text"), 1, 10),
    // Values and timestamps
    ErrorCase("missing value", T, "a\n", M.missingValue("a"), 1, 2),
    ErrorCase("missing value after labels", O, "a{}\n# EOF\n", M.missingValue("a"), 1, 4),
    ErrorCase("no space before the value", O, "a{a=\"1\"}1\n# EOF\n", M.spaceBeforeValue("'1'"), 1, 9),
    ErrorCase("two spaces before the value", O, "a  1\n# EOF\n", M.extraSpace, 1, 3),
    ErrorCase("trailing space after the value", O, "a 1 \n# EOF\n", M.trailingSpace, 1, 4),
    ErrorCase("trailing space after the type", O, "# TYPE a gauge \n# EOF\n", M.trailingSpace, 1, 15),
    ErrorCase("value not a number", T, "a a\n", M.badValue("'a'", openMetrics: false), 1, 3),
    ErrorCase("hex value in OpenMetrics", O, "a 0x1p-3\n# EOF\n", M.badValue("'0x1p-3'", openMetrics: true), 1, 3),
    ErrorCase("value beyond Double", T, "a 1e400\n", M.valueOutOfRange("'1e400'"), 1, 3),
    ErrorCase("fractional 0.0.4 timestamp", T, "a 1 2.5\n", M.badTextTimestamp("'2.5'"), 1, 5),
    ErrorCase("NaN timestamp", O, "a 1 NaN\n# EOF\n", M.badOpenMetricsTimestamp("'NaN'"), 1, 5),
    ErrorCase("text after the timestamp", T, "a 1 2 3\n", M.afterTimestamp("'3'"), 1, 7),
    ErrorCase("text after the OpenMetrics timestamp", O, "a 1 1 x\n# EOF\n", M.afterTimestamp("'x'"), 1, 7),
    ErrorCase("exemplar in 0.0.4", T, "a 1 # {a=\"b\"} 1\n", M.exemplarInText, 1, 5),
    // Exemplars
    ErrorCase("exemplar without space after #", O, "# TYPE a counter\na_total 1 #{} 1\n# EOF\n", M.badExemplarStart, 2, 11),
    ErrorCase("exemplar without value", O, "# TYPE a counter\na_total 1 # {a=\"b\"}\n# EOF\n", M.missingExemplarValue, 2, 20),
    ErrorCase("text after the exemplar", O, "# TYPE a counter\na_total 1 # {} 1 2 3\n# EOF\n", M.afterExemplar("'3'"), 2, 19),
    ErrorCase("exemplar labels too long", O, "# TYPE a counter\na_total 1 # {a=\"" + String(repeating: "x", count: 128) + "\"} 1\n# EOF\n",
              M.exemplarTooLong(129), 2, 13),
    ErrorCase("exemplar on a gauge", O, "# TYPE a gauge\na 1 # {a=\"b\"} 1\n# EOF\n", M.exemplarNotAllowed, 2, 1),
    // Metadata
    ErrorCase("second HELP", T, "# HELP a x\n# HELP a y\n", M.duplicateHelp("a"), 2, 1),
    ErrorCase("second HELP in OpenMetrics", O, "# HELP a x\n# HELP a x\n# EOF\n", M.duplicateHelp("a"), 2, 1),
    ErrorCase("second TYPE", T, "# TYPE a gauge\n# TYPE a counter\n", M.duplicateType("a"), 2, 1),
    ErrorCase("second UNIT", O, "# UNIT a_s s\n# UNIT a_s s\n# EOF\n", M.duplicateUnit("a_s"), 2, 1),
    ErrorCase("TYPE after samples", T, "a 1\n# TYPE a gauge\n", M.typeAfterSamples("a"), 2, 1),
    ErrorCase("metadata after samples", O, "# HELP a x\na 1\n# TYPE a gauge\n# EOF\n", M.metadataAfterSamples("TYPE", "a"), 3, 1),
    ErrorCase("bad name in TYPE", T, "# TYPE met-ric counter\n", M.badMetadataName("TYPE", "'-'"), 1, 11),
    ErrorCase("HELP without a name", O, "# HELP\n# EOF\n", M.missingMetadataName("HELP"), 1, 7),
    ErrorCase("HELP without text", O, "# HELP a\n# EOF\n", M.missingMetadataText("HELP", "a"), 1, 9),
    ErrorCase("TYPE without type", O, "# TYPE a\n# EOF\n", M.missingMetadataText("TYPE", "a"), 1, 9),
    ErrorCase("UNIT without unit", O, "# UNIT a\n# EOF\n", M.missingMetadataText("UNIT", "a"), 1, 9),
    ErrorCase("unknown 0.0.4 type", T, "# TYPE a bla\n", M.unknownTextType("'bla'"), 1, 10),
    ErrorCase("unknown OpenMetrics type", O, "# TYPE a meh\n# EOF\n", M.unknownOpenMetricsType("'meh'"), 1, 10),
    ErrorCase("untyped in OpenMetrics", O, "# TYPE a untyped\n# EOF\n", M.untypedInOpenMetrics, 1, 10),
    ErrorCase("bad unit character", O, "# UNIT a_s s-x\n# EOF\n", M.badUnitChar("'-'"), 1, 13),
    ErrorCase("unit not in the name", O, "# UNIT a seconds\n# EOF\n", M.unitMismatch("a", "seconds"), 1, 10),
    ErrorCase("unit on an info", O, "# TYPE x_u info\n# UNIT x_u u\n# EOF\n", M.unitNotAllowed(.info), 2, 1),
    ErrorCase("stateset after its unit", O, "# UNIT x_u u\n# TYPE x_u stateset\n# EOF\n", M.unitNotAllowed(.stateset), 2, 1),
    ErrorCase("clashing names", O, "# TYPE a_created gauge\n# TYPE a counter\n# EOF\n", M.clash("a_created", line: 1), 2, 8),
    ErrorCase("family split in two", O, "# TYPE a counter\na_total 1\nb 1\na_total 2\n# EOF\n", M.clash("a_total", line: 1), 4, 1),
    // 0.0.4 histogram and summary labels
    ErrorCase("le not a number", T, "# TYPE m histogram\nm_bucket{le=\"bla\"} 1\n", M.badLe("bla"), 2, 14),
    ErrorCase("quantile not a number", T, "# TYPE m summary\nm{quantile=\"bla\"} 1\n", M.badQuantile("bla"), 2, 13),
    // OpenMetrics value rules
    ErrorCase("stateset without its label", O, "# TYPE a stateset\na 0\n# EOF\n", M.statesetLabel("a"), 2, 1),
    ErrorCase("stateset value 2", O, "# TYPE a stateset\na{a=\"x\"} 2\n# EOF\n", M.statesetValue, 2, 1),
    ErrorCase("info value 2", O, "# TYPE a info\na_info{foo=\"bar\"} 2\n# EOF\n", M.infoValue, 2, 1),
    ErrorCase("summary sample without quantile", O, "# TYPE a summary\na 0\n# EOF\n", M.missingQuantile("a"), 2, 1),
    ErrorCase("quantile above 1", O, "# TYPE a summary\na{quantile=\"1.01\"} 0\n# EOF\n", M.badQuantileOM("1.01"), 2, 13),
    ErrorCase("negative quantile value", O, "# TYPE a summary\na{quantile=\"0.5\"} -1\n# EOF\n", M.negativeQuantileValue, 2, 1),
    ErrorCase("bucket without le", O, "# TYPE a histogram\na_bucket 0\n# EOF\n", M.missingLe("a"), 2, 1),
    ErrorCase("le NaN", O, "# TYPE a histogram\na_bucket{le=\"NaN\"} 0\n# EOF\n", M.badLeOM("NaN"), 2, 14),
    ErrorCase("le +INF", O, "# TYPE a histogram\na_bucket{le=\"+INF\"} 0\n# EOF\n", M.nonCanonicalInf("+INF"), 2, 14),
    ErrorCase("NaN counter", O, "# TYPE a counter\na_total NaN\n# EOF\n", M.counterNaN("_total"), 2, 1),
    ErrorCase("negative counter", O, "# TYPE a counter\na_total -1\n# EOF\n", M.counterNegative("_total"), 2, 1),
    ErrorCase("fractional bucket count", O, "# TYPE a histogram\na_bucket{le=\"+Inf\"} 1.5\n# EOF\n", M.notInteger("_bucket"), 2, 1),
    // OpenMetrics grouping
    ErrorCase("timestamp on some samples only", O, "# TYPE a gauge\na 0 0\na 0\n# EOF\n", M.timestampMix, 3, 1),
    ErrorCase("timestamp going backwards", O, "# TYPE a gauge\na 0 1\na 0 0\n# EOF\n", M.timestampBackwards, 3, 1),
    ErrorCase("label sets interleaved", O, "# TYPE a gauge\na{x=\"1\"} 0\na{x=\"2\"} 0\na{x=\"1\"} 0\n# EOF\n", M.interleaved("a"), 4, 1),
    // OpenMetrics histograms
    ErrorCase("buckets out of order", O, "# TYPE a histogram\na_bucket{le=\"2\"} 0\na_bucket{le=\"1\"} 0\na_bucket{le=\"+Inf\"} 0\n# EOF\n",
              M.bucketsOutOfOrder, 3, 14),
    ErrorCase("bucket counts decreasing", O, "# TYPE a histogram\na_bucket{le=\"1\"} 2\na_bucket{le=\"+Inf\"} 1\n# EOF\n", M.bucketsDecreasing, 3, 1),
    ErrorCase("no +Inf bucket", O, "# TYPE a histogram\na_bucket{le=\"1\"} 0\n# EOF\n", M.missingInfBucket("a"), 2, 1),
    ErrorCase("count differs from +Inf", O, "# TYPE a histogram\na_bucket{le=\"+Inf\"} 0\na_count 1\na_sum 0\n# EOF\n",
              M.countMismatch("a", gauge: false), 4, 1),
    ErrorCase("gcount differs from +Inf", O, "# TYPE a gaugehistogram\na_bucket{le=\"+Inf\"} 0\na_gcount 1\na_gsum 0\n# EOF\n",
              M.countMismatch("a", gauge: true), 4, 1),
    ErrorCase("sum without count", O, "# TYPE a histogram\na_bucket{le=\"+Inf\"} 0\na_sum 0\n# EOF\n", M.sumWithoutCount("a"), 3, 1),
    ErrorCase("gsum without gcount", O, "# TYPE a gaugehistogram\na_bucket{le=\"+Inf\"} 0\na_gsum 0\n# EOF\n", M.gsumWithoutGcount("a"), 3, 1),
    ErrorCase("count without sum", O, "# TYPE a histogram\na_bucket{le=\"+Inf\"} 0\na_count 0\n# EOF\n", M.countWithoutSum("a", gauge: false), 3, 1),
    ErrorCase("gcount without gsum", O, "# TYPE a gaugehistogram\na_bucket{le=\"+Inf\"} 0\na_gcount 0\n# EOF\n",
              M.countWithoutSum("a", gauge: true), 3, 1),
    ErrorCase("sum beside negative buckets", O,
              "# TYPE a histogram\na_bucket{le=\"-1\"} 0\na_bucket{le=\"+Inf\"} 0\na_sum 0\na_count 0\n# EOF\n", M.sumWithNegativeBuckets("a"), 5, 1),
    ErrorCase("negative gsum", O, "# TYPE a gaugehistogram\na_bucket{le=\"+Inf\"} 1\na_gsum -1\na_gcount 1\n# EOF\n", M.negativeGsum("a"), 4, 1),
]

@Suite struct ErrorPathTests {
    @Test(arguments: errorCases)
    func reportsTheErrorWhereItIs(_ c: ErrorCase) throws {
        let error = try #require(parseError(c.input, c.dialect), "expected an error")
        #expect(error.message == c.message)
        #expect(error.position.line == c.line, "line")
        #expect(error.position.column == c.column, "column")
        let lines = String(decoding: c.input, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        let expectedLine = c.line - 1 < lines.count ? String(lines[c.line - 1]) : ""
        #expect(error.sourceLine == expectedLine, "the offending line is shown")
        // The visitor path fails the same way.
        var parser = ExpositionParser(c.input, dialect: c.dialect)
        #expect(throws: error) { try parser.forEachSample { _ in } }
    }

    @Test func theErrorPrintsWithFileLineColumnAndACaret() {
        let text = "# TYPE kafka_consumergroup_lag gauge\nkafka_consumergroup_lag{topic=\"orders\" partition=\"0\"} 5\n"
        var parser = ExpositionParser(text, dialect: .prometheusText, file: "kafka.prom")
        let error = #expect(throws: ParseError.self) {
            while try parser.next() != nil {}
        }
        let expected = "kafka.prom:2:40: expected ',' or '}' after the value of label 'topic', found 'p'\n"
            + "  kafka_consumergroup_lag{topic=\"orders\" partition=\"0\"} 5\n"
            + "  " + String(repeating: " ", count: 39) + "^"
        #expect(error?.description == expected)
    }

    @Test func columnsCountCharactersNotBytes() throws {
        let error = try #require(parseError("a{a=\"é☃\"} x\n", .prometheusText))
        #expect(error.position.line == 1)
        #expect(error.position.column == 11)
        #expect(error.position.offset == 13)
        #expect(parseError("a☃ 1\n", .prometheusText)?.message == Message.badMetricNameChar("'☃'"), "the whole character is quoted")
        #expect(parseError("a{é=\"1\"} 1\n", .prometheusText)?.message == Message.badLabelNameStart("'é'"))
    }

    @Test func aFailedParserKeepsFailing() throws {
        var parser = ExpositionParser("a 1\nb x\nc 3\n", dialect: .prometheusText)
        #expect(try parser.next() != nil)
        let first = #expect(throws: ParseError.self) { try parser.next() }
        let second = #expect(throws: ParseError.self) { try parser.next() }
        #expect(first == second)
        #expect(first?.position.line == 2)
    }

    @Test func controlCharactersInMessagesAreEscaped() throws {
        let error = try #require(parseError("a \u{1B}[31m\n", .prometheusText))
        #expect(!error.message.contains("\u{1B}"))
        #expect(error.message.contains("\\x1b"))
        #expect(!error.description.contains("\u{1B}"))
    }

    @Test func aVeryLongLineIsShownCutWhenTheErrorIsNearItsStart() throws {
        let text = "a{x=\"1\" " + String(repeating: "y", count: 5000) + "\n"
        let error = try #require(parseError(text, .prometheusText))
        #expect(error.position.column == 9)
        #expect(error.sourceLine?.hasSuffix("…") == true)
        #expect((error.sourceLine?.count ?? 0) <= 1001)
    }
}
