import ScopeCore

/// PromQL lexer: a state machine over the query's UTF-8 bytes that follows Prometheus's
/// `lex.go` (2.42): keywords are case-insensitive, inside `{…}` every word is a label name,
/// right after `[` only a duration may follow, and the lexer tracks open parentheses, braces
/// and brackets so that an unclosed one is reported where the input ends.
///
/// Tokens are produced on demand (`next()`), so a syntax error early in a query is reported
/// before a lexical error later in it, as in Prometheus.
struct Lexer {
    let source: String
    private let bytes: [UInt8]
    private var pos = 0
    private var parenDepth = 0
    private var braceOpen = false
    private var bracketOpen = false
    private var gotColon = false
    /// Set right after `[`: the next token must be a duration.
    private var expectDuration = false
    private var finished = false

    init(_ source: String) {
        self.source = source
        self.bytes = Array(source.utf8)
    }

    // MARK: - Character classes (ASCII only, as in Prometheus)

    static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }
    static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
    static func isAlpha(_ b: UInt8) -> Bool { b == 0x5F || (b >= 0x61 && b <= 0x7A) || (b >= 0x41 && b <= 0x5A) }
    static func isAlphaNumeric(_ b: UInt8) -> Bool { isAlpha(b) || isDigit(b) }
    static func isHexDigit(_ b: UInt8) -> Bool {
        isDigit(b) || (b >= 0x61 && b <= 0x66) || (b >= 0x41 && b <= 0x46)
    }

    /// Whether `s` is a valid label name (`[a-zA-Z_][a-zA-Z0-9_]*`).
    static func isLabelName(_ s: String) -> Bool {
        let u = Array(s.utf8)
        guard let first = u.first, isAlpha(first) else { return false }
        return u.dropFirst().allSatisfy(isAlphaNumeric)
    }

    private func peekByte(_ ahead: Int = 0) -> UInt8? {
        pos + ahead < bytes.count ? bytes[pos + ahead] : nil
    }

    private func text(_ r: Range<Int>) -> String {
        String(decoding: bytes[r], as: UTF8.self)
    }

    /// The Unicode scalar starting at byte `at` (the input is valid UTF-8).
    private func scalar(at index: Int) -> (Unicode.Scalar, Int) {
        var it = bytes[index...].makeIterator()
        var decoder = UTF8()
        switch decoder.decode(&it) {
        case .scalarValue(let s): return (s, max(1, String(s).utf8.count))
        default: return ("\u{FFFD}", 1)
        }
    }

    private func error(_ message: String, at offset: Int) -> ParseError {
        makeParseError(message, at: offset, in: source)
    }

    private func token(_ kind: TokenKind, _ start: Int, value: String? = nil) -> Token {
        Token(kind: kind, range: start..<pos, text: text(start..<pos), stringValue: value)
    }

    // MARK: - Main loop

    /// The next token (comments included), or a positioned lexical error.
    mutating func next() throws(ParseError) -> Token {
        if finished { return Token(kind: .eof, range: bytes.count..<bytes.count, text: "") }
        if expectDuration {
            expectDuration = false
            return try lexDurationAfterBracket()
        }
        if braceOpen { return try lexInsideBraces() }
        // Skip whitespace.
        while let b = peekByte(), Lexer.isSpace(b) { pos += 1 }
        let start = pos
        guard let b = peekByte() else {
            if parenDepth != 0 { throw error("unclosed left parenthesis", at: pos) }
            if bracketOpen { throw error("unclosed left bracket", at: pos) }
            finished = true
            return token(.eof, start)
        }
        if b == UInt8(ascii: "#") { return lexComment() }
        pos += 1
        switch b {
        case UInt8(ascii: ","): return token(.comma, start)
        case UInt8(ascii: "*"): return token(.binaryOperator(.mul), start)
        case UInt8(ascii: "/"): return token(.binaryOperator(.div), start)
        case UInt8(ascii: "%"): return token(.binaryOperator(.mod), start)
        case UInt8(ascii: "+"): return token(.binaryOperator(.add), start)
        case UInt8(ascii: "-"): return token(.binaryOperator(.sub), start)
        case UInt8(ascii: "^"): return token(.binaryOperator(.pow), start)
        case UInt8(ascii: "@"): return token(.at, start)
        case UInt8(ascii: "="):
            if peekByte() == UInt8(ascii: "=") {
                pos += 1
                return token(.binaryOperator(.eql), start)
            }
            if peekByte() == UInt8(ascii: "~") {
                throw error("unexpected character after '=': '~'", at: start)
            }
            return token(.assign, start)
        case UInt8(ascii: "!"):
            guard peekByte() == UInt8(ascii: "=") else {
                throw error("unexpected character after '!': \(describeNext())", at: start)
            }
            pos += 1
            return token(.binaryOperator(.neq), start)
        case UInt8(ascii: "<"):
            if peekByte() == UInt8(ascii: "=") {
                pos += 1
                return token(.binaryOperator(.lte), start)
            }
            return token(.binaryOperator(.lss), start)
        case UInt8(ascii: ">"):
            if peekByte() == UInt8(ascii: "=") {
                pos += 1
                return token(.binaryOperator(.gte), start)
            }
            return token(.binaryOperator(.gtr), start)
        case UInt8(ascii: "\""), UInt8(ascii: "'"):
            return try lexString(quote: b, start: start)
        case UInt8(ascii: "`"):
            return try lexRawString(start: start)
        case UInt8(ascii: "("):
            parenDepth += 1
            return token(.leftParen, start)
        case UInt8(ascii: ")"):
            parenDepth -= 1
            if parenDepth < 0 { throw error("unexpected right parenthesis ')'", at: start) }
            return token(.rightParen, start)
        case UInt8(ascii: "{"):
            braceOpen = true
            return token(.leftBrace, start)
        case UInt8(ascii: "["):
            if bracketOpen { throw error("unexpected left bracket '['", at: start) }
            bracketOpen = true
            gotColon = false
            expectDuration = true
            return token(.leftBracket, start)
        case UInt8(ascii: "]"):
            if !bracketOpen { throw error("unexpected right bracket ']'", at: start) }
            bracketOpen = false
            return token(.rightBracket, start)
        default:
            break
        }
        if Lexer.isDigit(b) || (b == UInt8(ascii: ".") && peekByte().map(Lexer.isDigit) == true) {
            pos = start
            return try lexNumberOrDuration()
        }
        if Lexer.isAlpha(b) || b == UInt8(ascii: ":") {
            if !bracketOpen {
                pos = start
                return lexKeywordOrIdentifier()
            }
            if b == UInt8(ascii: ":") {
                if gotColon { throw error("unexpected colon ':'", at: start) }
                gotColon = true
                return token(.colon, start)
            }
            throw error("unexpected character: \(goQuoteRune(Unicode.Scalar(b))), expected ':'", at: start)
        }
        pos = start
        let (s, _) = scalar(at: start)
        throw error("unexpected character: \(goQuoteRune(s))", at: start)
    }

    /// `'x'` for the character at the current position (or `EOF`-ish as Go prints it).
    private func describeNext() -> String {
        guard pos < bytes.count else { return goQuoteRune(Unicode.Scalar(0xFFFD)!) }
        return goQuoteRune(scalar(at: pos).0)
    }

    private mutating func lexComment() -> Token {
        let start = pos
        while let b = peekByte(), b != 0x0A, b != 0x0D { pos += 1 }
        return token(.comment, start)
    }

    // MARK: - Braces

    private mutating func lexInsideBraces() throws(ParseError) -> Token {
        while let b = peekByte(), Lexer.isSpace(b) { pos += 1 }
        let start = pos
        guard let b = peekByte() else { throw error("unexpected end of input inside braces", at: pos) }
        if b == UInt8(ascii: "#") { return lexComment() }
        pos += 1
        switch b {
        case _ where Lexer.isAlpha(b):
            while let c = peekByte(), Lexer.isAlphaNumeric(c) { pos += 1 }
            return token(.identifier, start)
        case UInt8(ascii: ","): return token(.comma, start)
        case UInt8(ascii: "\""), UInt8(ascii: "'"): return try lexString(quote: b, start: start)
        case UInt8(ascii: "`"): return try lexRawString(start: start)
        case UInt8(ascii: "="):
            if peekByte() == UInt8(ascii: "~") {
                pos += 1
                return token(.regexMatch, start)
            }
            return token(.assign, start)
        case UInt8(ascii: "!"):
            if peekByte() == UInt8(ascii: "~") {
                pos += 1
                return token(.regexNoMatch, start)
            }
            if peekByte() == UInt8(ascii: "=") {
                pos += 1
                return token(.binaryOperator(.neq), start)
            }
            throw error("unexpected character after '!' inside braces: \(describeNext())", at: start)
        case UInt8(ascii: "{"):
            throw error("unexpected left brace '{'", at: start)
        case UInt8(ascii: "}"):
            braceOpen = false
            return token(.rightBrace, start)
        default:
            let (s, _) = scalar(at: start)
            throw error("unexpected character inside braces: \(goQuoteRune(s))", at: start)
        }
    }

    // MARK: - Words

    private mutating func lexKeywordOrIdentifier() -> Token {
        let start = pos
        while let c = peekByte(), Lexer.isAlphaNumeric(c) || c == UInt8(ascii: ":") { pos += 1 }
        let word = text(start..<pos)
        let lower = word.lowercased()
        if let kind = Lexer.keywords[lower] { return token(kind, start) }
        if lower == "inf" || lower == "nan" { return token(.number, start) }
        return token(word.utf8.contains(UInt8(ascii: ":")) ? .metricIdentifier : .identifier, start)
    }

    static let keywords: [String: TokenKind] = {
        var map: [String: TokenKind] = [
            "and": .binaryOperator(.and), "or": .binaryOperator(.or), "unless": .binaryOperator(.unless),
            "atan2": .binaryOperator(.atan2),
        ]
        for op in AggregationOp.allCases { map[op.rawValue] = .aggregator(op) }
        for k in Keyword.allCases { map[k.rawValue] = .keyword(k) }
        return map
    }()

    // MARK: - Numbers and durations

    /// Scans a number (digits, hex after `0x`, fraction, exponent). True when what follows is not
    /// alphanumeric, i.e. the token is a number; false when it may be a duration.
    private mutating func scanNumber() -> Bool {
        var hex = false
        if peekByte() == UInt8(ascii: "0") {
            pos += 1
            if let b = peekByte(), b == UInt8(ascii: "x") || b == UInt8(ascii: "X") {
                pos += 1
                hex = true
            }
        }
        func digit(_ b: UInt8) -> Bool { hex ? Lexer.isHexDigit(b) : Lexer.isDigit(b) }
        while let b = peekByte(), digit(b) { pos += 1 }
        if peekByte() == UInt8(ascii: ".") {
            pos += 1
            while let b = peekByte(), digit(b) { pos += 1 }
        }
        if let b = peekByte(), b == UInt8(ascii: "e") || b == UInt8(ascii: "E") {
            pos += 1
            if let s = peekByte(), s == UInt8(ascii: "+") || s == UInt8(ascii: "-") { pos += 1 }
            while let b = peekByte(), Lexer.isDigit(b) { pos += 1 }
        }
        if let b = peekByte(), Lexer.isAlphaNumeric(b) { return false }
        return true
    }

    /// After the digits of a duration: units (`s m h d w y`, `ms`), optionally more digit+unit
    /// groups. Bad unit orders are caught when the duration is parsed.
    private mutating func acceptRemainingDuration() -> Bool {
        func accept(_ set: String) -> Bool {
            if let b = peekByte(), set.utf8.contains(b) {
                pos += 1
                return true
            }
            return false
        }
        guard accept("smhdwy") else { return false }
        _ = accept("s")
        while let b = peekByte(), Lexer.isDigit(b) {
            while let b = peekByte(), Lexer.isDigit(b) { pos += 1 }
            guard accept("smhdw") else { return false }
            _ = accept("s")
        }
        if let b = peekByte(), Lexer.isAlphaNumeric(b) {
            pos += 1  // Prometheus quotes the offending character too.
            return false
        }
        return true
    }

    private mutating func lexNumberOrDuration() throws(ParseError) -> Token {
        let start = pos
        if scanNumber() { return token(.number, start) }
        if acceptRemainingDuration() { return token(.duration, start) }
        throw error("bad number or duration syntax: \(goQuote(text(start..<pos)))", at: start)
    }

    private mutating func lexDurationAfterBracket() throws(ParseError) -> Token {
        while let b = peekByte(), Lexer.isSpace(b) { pos += 1 }
        let start = pos
        if scanNumber() {
            throw error("missing unit character in duration", at: start)
        }
        if !acceptRemainingDuration() {
            throw error("bad duration syntax: \(goQuote(text(start..<pos)))", at: start)
        }
        return token(.duration, start)
    }

    // MARK: - Strings

    /// A `"…"` or `'…'` string with Go escapes; the value is unquoted here. Escapes that make
    /// bytes (`\xff`, `\377`) are assembled as UTF-8 and invalid sequences become U+FFFD.
    private mutating func lexString(quote: UInt8, start: Int) throws(ParseError) -> Token {
        var value: [UInt8] = []
        while true {
            guard let b = peekByte() else { throw error("unterminated quoted string", at: start) }
            if b == 0x0A { throw error("unterminated quoted string", at: start) }
            pos += 1
            if b == quote { break }
            if b == 0xEF && peekByte() == 0xBF && peekByte(1) == 0xBD {
                // Go reads U+FFFD as utf8.RuneError, which Prometheus refuses in strings.
                throw error("invalid UTF-8 rune", at: start)
            }
            if b != UInt8(ascii: "\\") {
                value.append(b)
                continue
            }
            let escapeStart = pos - 1
            guard let c = peekByte() else { throw error("escape sequence not terminated", at: escapeStart) }
            pos += 1
            switch c {
            case UInt8(ascii: "a"): value.append(0x07)
            case UInt8(ascii: "b"): value.append(0x08)
            case UInt8(ascii: "f"): value.append(0x0C)
            case UInt8(ascii: "n"): value.append(0x0A)
            case UInt8(ascii: "r"): value.append(0x0D)
            case UInt8(ascii: "t"): value.append(0x09)
            case UInt8(ascii: "v"): value.append(0x0B)
            case UInt8(ascii: "\\"): value.append(c)
            case quote: value.append(c)
            case UInt8(ascii: "0")...UInt8(ascii: "7"):
                pos -= 1
                let v = try escapeDigits(count: 3, base: 8, max: 255, at: escapeStart)
                value.append(UInt8(v))
            case UInt8(ascii: "x"):
                let v = try escapeDigits(count: 2, base: 16, max: 255, at: escapeStart)
                value.append(UInt8(v))
            case UInt8(ascii: "u"), UInt8(ascii: "U"):
                let v = try escapeDigits(count: c == UInt8(ascii: "u") ? 4 : 8, base: 16, max: 0x10FFFF, at: escapeStart)
                guard let s = Unicode.Scalar(v) else {
                    throw error("escape sequence is an invalid Unicode code point", at: escapeStart)
                }
                value.append(contentsOf: String(s).utf8)
            default:
                pos -= 1
                let (s, width) = scalar(at: pos)
                pos += width
                throw error("unknown escape sequence \(goFormatU(s))", at: escapeStart)
            }
        }
        return token(.string, start, value: String(decoding: value, as: UTF8.self))
    }

    private mutating func escapeDigits(count: Int, base: UInt32, max: UInt32, at escapeStart: Int) throws(ParseError) -> UInt32 {
        var x: UInt32 = 0
        for _ in 0..<count {
            guard let b = peekByte() else { throw error("escape sequence not terminated", at: escapeStart) }
            let d: UInt32
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(b - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(b - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(b - UInt8(ascii: "A") + 10)
            default: d = 16
            }
            if d >= base {
                throw error("illegal character \(goFormatU(scalar(at: pos).0)) in escape sequence", at: escapeStart)
            }
            x = x * base + d
            pos += 1
        }
        if x > max || (0xD800..<0xE000).contains(x) {
            throw error("escape sequence is an invalid Unicode code point", at: escapeStart)
        }
        return x
    }

    private mutating func lexRawString(start: Int) throws(ParseError) -> Token {
        while true {
            guard let b = peekByte() else { throw error("unterminated raw string", at: start) }
            pos += 1
            if b == UInt8(ascii: "`") { break }
            if b == 0xEF && peekByte() == 0xBF && peekByte(1) == 0xBD { throw error("invalid UTF-8 rune", at: start) }
        }
        return token(.string, start, value: text(start + 1..<pos - 1))
    }
}

/// A `ParseError` at byte `offset` of `source`, with line:column and the source line.
func makeParseError(_ message: String, at offset: Int, in source: String) -> ParseError {
    let clamped = min(max(0, offset), source.utf8.count)
    let position = SourcePosition.of(offset: clamped, in: source)
    let utf8 = Array(source.utf8)
    var lineStart = clamped
    while lineStart > 0 && utf8[lineStart - 1] != 0x0A { lineStart -= 1 }
    var lineEnd = clamped
    while lineEnd < utf8.count && utf8[lineEnd] != 0x0A { lineEnd += 1 }
    var line = String(decoding: utf8[lineStart..<lineEnd], as: UTF8.self)
    if line.hasSuffix("\r") { line.removeLast() }
    return ParseError(position: position, message: message, sourceLine: line)
}
