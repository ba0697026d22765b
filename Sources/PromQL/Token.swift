/// The kinds of token the PromQL lexer produces, mirroring Prometheus's item types.
public enum TokenKind: Sendable, Hashable {
    case eof
    /// `# …` up to the end of the line. The parser skips comments.
    case comment
    /// A name without a colon: function names, metric names, label names.
    case identifier
    /// A metric name containing a colon (`job:rate5m`), only valid as a metric name.
    case metricIdentifier
    /// Decimal, hex, octal, exponent, `Inf` or `NaN` (case-insensitive).
    case number
    /// A quoted or raw string; `Token.stringValue` holds the unquoted value.
    case string
    /// `5m`, `1h30m`, `250ms`.
    case duration
    case leftParen, rightParen, leftBrace, rightBrace, leftBracket, rightBracket
    case comma, colon
    /// `=`: a label matcher's equality (and nothing else).
    case assign
    /// `=~` and `!~`: label matcher regex operators (inside braces only).
    case regexMatch, regexNoMatch
    /// `+ - * / % ^ == != <= < >= > and or unless atan2`.
    case binaryOperator(BinaryOperator)
    /// `@`.
    case at
    /// `sum`, `avg`, … (also usable as metric names where no aggregation can follow).
    case aggregator(AggregationOp)
    /// `bool by group_left group_right ignoring offset on without start end`.
    case keyword(Keyword)
}

/// Reserved words that are neither operators nor aggregations.
public enum Keyword: String, Sendable, Hashable, CaseIterable {
    case bool, by, groupLeft = "group_left", groupRight = "group_right", ignoring, offset, on, without
    /// `start` and `end` only have a meaning in `@ start()` / `@ end()`.
    case start, end
}

/// One token: its kind, its byte range in the query and its source text.
public struct Token: Sendable, Hashable {
    public var kind: TokenKind
    /// Byte offsets into the query (UTF-8), `start..<end`.
    public var range: Range<Int>
    /// The token's text exactly as written (for strings: with the quotes).
    public var text: String
    /// The unquoted value of a `.string` token.
    public var stringValue: String?

    public init(kind: TokenKind, range: Range<Int>, text: String, stringValue: String? = nil) {
        self.kind = kind
        self.range = range
        self.text = text
        self.stringValue = stringValue
    }

    /// How Prometheus names the token in "unexpected …" messages (`<op:+>`, `identifier "foo"`,
    /// `"("`, `end of input`).
    public var errorDescription: String {
        switch kind {
        case .eof: return "end of input"
        case .comment: return "comment"
        case .identifier: return "identifier \(goQuote(text))"
        case .metricIdentifier: return "metric identifier \(goQuote(text))"
        case .number: return "number \(truncatedQuote(text))"
        case .string: return "string \(truncatedQuote(text))"
        case .duration: return "duration \(truncatedQuote(text))"
        case .binaryOperator, .at, .regexMatch, .regexNoMatch: return "<op:\(text)>"
        case .aggregator: return "<aggr:\(text)>"
        case .keyword(let k):
            // Prometheus files start/end under "preprocessors", which print as quoted strings.
            return k == .start || k == .end ? goQuote(text) : "<\(text)>"
        default: return goQuote(text)
        }
    }

    /// Go's `%.10q...` for long token values, `%q` for short ones.
    private func truncatedQuote(_ s: String) -> String {
        let scalars = s.unicodeScalars
        guard scalars.count > 10 else { return goQuote(s) }
        var prefix = ""
        prefix.unicodeScalars.append(contentsOf: scalars.prefix(10))
        return goQuote(prefix) + "..."
    }
}
