import PromQL
import ScopeCore
import Testing

@Suite struct LexerTests {
    private func kinds(_ query: String) throws -> [TokenKind] {
        try PromQL.tokenize(query).map(\.kind).filter { $0 != .eof }
    }

    private func texts(_ query: String) throws -> [String] {
        try PromQL.tokenize(query).filter { $0.kind != .eof }.map(\.text)
    }

    private func lexError(_ query: String) -> ParseError? {
        do {
            let tokens = try PromQL.tokenize(query)
            Issue.record("expected a lexical error for \(query), got \(tokens.map(\.text))")
            return nil
        } catch {
            return error
        }
    }

    @Test func punctuationAndOperators() throws {
        #expect(try kinds(", ( ) { } [5m] @") == [
            .comma, .leftParen, .rightParen, .leftBrace, .rightBrace, .leftBracket, .duration, .rightBracket, .at,
        ])
        #expect(try kinds("+ - * / % ^ == != <= < >= >") == [
            .binaryOperator(.add), .binaryOperator(.sub), .binaryOperator(.mul), .binaryOperator(.div),
            .binaryOperator(.mod), .binaryOperator(.pow), .binaryOperator(.eql), .binaryOperator(.neq),
            .binaryOperator(.lte), .binaryOperator(.lss), .binaryOperator(.gte), .binaryOperator(.gtr),
        ])
        #expect(try kinds("= ") == [.assign])
    }

    @Test func keywordsAreCaseInsensitive() throws {
        #expect(try kinds("and OR Unless atan2") == [
            .binaryOperator(.and), .binaryOperator(.or), .binaryOperator(.unless), .binaryOperator(.atan2),
        ])
        #expect(try kinds("sum AVG count_values topk") == [
            .aggregator(.sum), .aggregator(.avg), .aggregator(.countValues), .aggregator(.topk),
        ])
        #expect(try kinds("bool by group_left GROUP_RIGHT ignoring offset on without start end") == [
            .keyword(.bool), .keyword(.by), .keyword(.groupLeft), .keyword(.groupRight), .keyword(.ignoring),
            .keyword(.offset), .keyword(.on), .keyword(.without), .keyword(.start), .keyword(.end),
        ])
        #expect(try texts("SUM") == ["SUM"])
    }

    @Test func identifiers() throws {
        #expect(try kinds("foo _bar9 job:rate5m :x") == [.identifier, .identifier, .metricIdentifier, .metricIdentifier])
        // Inside braces every word is a label name, keywords included, and colons are not allowed.
        #expect(try kinds("{by=\"a\", sum!=\"b\", nan=~\"c\", on!~\"d\"}") == [
            .leftBrace, .identifier, .assign, .string, .comma, .identifier, .binaryOperator(.neq), .string, .comma,
            .identifier, .regexMatch, .string, .comma, .identifier, .regexNoMatch, .string, .rightBrace,
        ])
    }

    @Test func numbers() throws {
        #expect(try kinds("1 1.5 .5 5. 1e3 1E-3 0x1F 0755 Inf inf NAN nan") == Array(repeating: .number, count: 12))
        #expect(try texts("0x1F+1") == ["0x1F", "+", "1"])
        // Words that merely start like Inf/NaN are identifiers.
        #expect(try kinds("infinity nano") == [.identifier, .identifier])
    }

    @Test func durations() throws {
        #expect(try kinds("5m 1h30m 500ms 1y2w3d 10s") == Array(repeating: .duration, count: 5))
        #expect(try texts("foo[1h30m:5s]") == ["foo", "[", "1h30m", ":", "5s", "]"])
        #expect(try texts("foo[ 5m ]") == ["foo", "[", "5m", "]"])
    }

    @Test func strings() throws {
        let tokens = try PromQL.tokenize(#""a\"b" 'c\'d' `e\f` "\x41\101\u00e9\U0001F600\n\t""#)
        #expect(tokens.map(\.kind) == [.string, .string, .string, .string, .eof])
        #expect(tokens[0].stringValue == "a\"b")
        #expect(tokens[1].stringValue == "c'd")
        #expect(tokens[2].stringValue == #"e\f"#)
        #expect(tokens[3].stringValue == "AAé😀\n\t")
        // Byte escapes are assembled as UTF-8.
        #expect(try PromQL.tokenize(#""\xc3\xa9""#)[0].stringValue == "é")
        #expect(try PromQL.tokenize(#""a\xc5z""#)[0].stringValue == "a\u{FFFD}z")
        // Raw strings may span lines.
        #expect(try PromQL.tokenize("`a\nb`")[0].stringValue == "a\nb")
    }

    @Test func commentsAndWhitespace() throws {
        let tokens = try PromQL.tokenize("foo # a comment\n\t+ bar\r\n")
        #expect(tokens.map(\.kind) == [.identifier, .comment, .binaryOperator(.add), .identifier, .eof])
        #expect(tokens[1].text == "# a comment")
        #expect(tokens[2].range == 17..<18)
        #expect(try kinds("{a=\"b\" # inside braces\n}") == [.leftBrace, .identifier, .assign, .string, .comment, .rightBrace])
    }

    @Test func tokenRangesAreByteOffsets() throws {
        let tokens = try PromQL.tokenize("{a=\"ü\"}")
        #expect(tokens.map(\.range) == [0..<1, 1..<2, 2..<3, 3..<7, 7..<8, 8..<8])
    }

    @Test func errors() {
        let cases: [(String, String, String)] = [
            (".", "unexpected character: '.'", "1:1"),
            ("foo é", "unexpected character: 'é'", "1:5"),
            ("1 =~ 1", "unexpected character after '=': '~'", "1:3"),
            ("1 !~ 1", "unexpected character after '!': '~'", "1:3"),
            ("(1))", "unexpected right parenthesis ')'", "1:4"),
            ("((1)", "unclosed left parenthesis", "1:5"),
            ("foo[5m", "unclosed left bracket", "1:7"),
            ("foo]", "unexpected right bracket ']'", "1:4"),
            ("foo[5m:[", "unexpected left bracket '['", "1:8"),
            ("foo{a=\"b\"", "unexpected end of input inside braces", "1:10"),
            ("foo{a{", "unexpected left brace '{'", "1:6"),
            ("foo{a:b}", "unexpected character inside braces: ':'", "1:6"),
            ("foo{a!b}", "unexpected character after '!' inside braces: 'b'", "1:6"),
            ("foo[5]", "missing unit character in duration", "1:5"),
            ("foo[5x]", "bad duration syntax: \"5\"", "1:5"),
            ("foo[5mx]", "bad duration syntax: \"5mx\"", "1:5"),
            ("foo[5m:1m:1m]", "unexpected colon ':'", "1:10"),
            ("foo[5m x]", "unexpected character: 'x', expected ':'", "1:8"),
            ("1_000", "bad number or duration syntax: \"1\"", "1:1"),
            ("0deadbeef", "bad number or duration syntax: \"0de\"", "1:1"),
            ("\"abc", "unterminated quoted string", "1:1"),
            ("\"ab\nc\"", "unterminated quoted string", "1:1"),
            ("`abc", "unterminated raw string", "1:1"),
            (#"x + "\q""#, "unknown escape sequence U+0071 'q'", "1:6"),
            (#""\'""#, "unknown escape sequence U+0027 '''", "1:2"),
            (#""\x4""#, "illegal character U+0022 '\"' in escape sequence", "1:2"),
            (#""\400""#, "escape sequence is an invalid Unicode code point", "1:2"),
            (#""\ud800""#, "escape sequence is an invalid Unicode code point", "1:2"),
            (#""\"#, "escape sequence not terminated", "1:2"),
        ]
        for (query, message, position) in cases {
            let error = lexError(query)
            #expect(error?.message == message, "\(query)")
            #expect(error?.position.description == position, "\(query)")
        }
    }
}
