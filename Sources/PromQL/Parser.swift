import ScopeCore

/// Recursive-descent parser with precedence climbing for binary operators. Follows the grammar
/// of Prometheus 2.42's `generated_parser.y`:
///
/// - binary operators bind, loosest first: `or` < `and unless` < comparisons < `+ -` <
///   `* / % atan2` < `^` (right-associative); all others are left-associative;
/// - unary `+`/`-` bind like `*`, so `-a ^ b` is `-(a ^ b)` and `-a * b` is `(-a) * b`; a sign
///   in front of a number literal folds into the literal;
/// - the postfix forms `[range]`, `[range:step]`, `offset d` and `@ t` bind tightest of all and
///   may follow each other in any order (`foo[5m] @ 10 offset 1m`, `foo offset 1m @ 10`);
/// - words that are keywords elsewhere (`sum`, `by`, `and`, `offset`, `start`, …) are metric
///   names where an expression is expected and no aggregation follows.
///
/// Errors that Prometheus reports while parsing (unknown functions, invalid modifiers, bad
/// durations, invalid regular expressions) are thrown here; type checks run afterwards in
/// `TypeChecker`, in the order Prometheus's `checkAST` reports them.
struct Parser {
    private var lexer: Lexer
    private let source: String
    private var lookahead: [Token] = []
    /// End offset of the last consumed token.
    private var lastEnd = 0
    private var depth = 0
    /// Inside an aggregation's argument list, Prometheus's error recovery names the context
    /// ("unexpected identifier \"y\" in aggregation"); mirrored for the same messages.
    private var aggregationArguments = 0

    /// Trees deeper than this are refused rather than risking the stack in the parser, the
    /// printer, the type checker, `==`, and the evaluator's recursion (Prometheus has no limit,
    /// but no real query comes close). Counts nesting plus chained operators and modifiers.
    static let maxDepth = 500

    init(_ source: String) {
        self.source = source
        self.lexer = Lexer(source)
    }

    // MARK: - Token access

    private mutating func peek(_ ahead: Int = 0) throws(ParseError) -> Token {
        while lookahead.count <= ahead {
            var t = try lexer.next()
            while t.kind == .comment { t = try lexer.next() }
            lookahead.append(t)
        }
        return lookahead[ahead]
    }

    @discardableResult
    private mutating func next() throws(ParseError) -> Token {
        let t = try peek()
        lookahead.removeFirst()
        lastEnd = t.range.upperBound
        return t
    }

    private func error(_ message: String, at offset: Int) -> ParseError {
        makeParseError(message, at: offset, in: source)
    }

    private func error(_ message: String, at range: PositionRange) -> ParseError {
        error(message, at: range.start)
    }

    /// "unexpected <token>[ in <context>][, expected <expected>]", as Prometheus's `unexpected`.
    private func unexpected(_ t: Token, _ context: String = "", expected: String = "") -> ParseError {
        var message = "unexpected " + t.errorDescription
        if !context.isEmpty {
            message += " in " + context
        } else if aggregationArguments > 0 {
            message += " in aggregation"
        }
        if !expected.isEmpty { message += ", expected " + expected }
        return error(message, at: t.range.lowerBound)
    }

    // MARK: - Entry

    mutating func parseQuery() throws(ParseError) -> Expr {
        if try peek().kind == .eof { throw error("no expression found in input", at: 0) }
        let expr = try parseExpr(minPrecedence: 0)
        let t = try peek()
        guard t.kind == .eof else { throw unexpected(t) }
        return expr
    }

    // MARK: - Binary expressions

    private mutating func parseExpr(minPrecedence: Int) throws(ParseError) -> Expr {
        try enter()
        var chained = 0
        defer { depth -= 1 + chained }

        var lhs = try parseUnary()
        while true {
            let t = try peek()
            guard case .binaryOperator(let op) = t.kind, op.precedence >= minPrecedence else { return lhs }
            // Each operator of a left-associative chain deepens the tree by one.
            try enter()
            chained += 1
            try next()
            var returnBool = false
            var matching = VectorMatching()
            if try peek().kind == .keyword(.bool) {
                try next()
                returnBool = true
            }
            let m = try peek()
            if m.kind == .keyword(.on) || m.kind == .keyword(.ignoring) {
                try next()
                matching.on = m.kind == .keyword(.on)
                matching.matchingLabels = try parseGroupingLabels()
                let g = try peek()
                if g.kind == .keyword(.groupLeft) || g.kind == .keyword(.groupRight) {
                    try next()
                    matching.cardinality = g.kind == .keyword(.groupLeft) ? .manyToOne : .oneToMany
                    let labels = try peek()
                    if labels.kind == .leftParen {
                        matching.include = try parseGroupingLabels()
                    } else if !Parser.canStartExpression(labels.kind) {
                        throw unexpected(labels, "grouping opts", expected: "\"(\"")
                    }
                }
            }
            let rhs = try parseExpr(minPrecedence: op.isRightAssociative ? op.precedence : op.precedence + 1)
            if op.isSetOperator && matching.cardinality == .oneToOne {
                matching.cardinality = .manyToMany
            }
            lhs = .binary(BinaryExpr(
                op: op, lhs: lhs, rhs: rhs, returnBool: returnBool, matching: matching,
                position: PositionRange(start: lhs.position.start, end: rhs.position.end),
                operatorPosition: PositionRange(t.range)))
        }
    }

    private mutating func parseUnary() throws(ParseError) -> Expr {
        let t = try peek()
        if case .binaryOperator(let op) = t.kind, op == .add || op == .sub {
            try next()
            // Binds like `*`: only `^` (and the postfix forms) bind tighter.
            let operand = try parseExpr(minPrecedence: BinaryOperator.pow.precedence)
            if case .number(var n) = operand {
                if op == .sub { n.value = -n.value }
                n.position.start = t.range.lowerBound
                return .number(n)
            }
            return .unary(UnaryExpr(op: op == .sub ? .minus : .plus, expr: operand,
                                    position: PositionRange(start: t.range.lowerBound, end: operand.position.end)))
        }
        return try parsePostfix(try parsePrimary())
    }

    // MARK: - Primary expressions

    private mutating func parsePrimary() throws(ParseError) -> Expr {
        let t = try peek()
        switch t.kind {
        case .number:
            try next()
            return .number(NumberLiteral(value: try numberValue(t), position: PositionRange(t.range)))
        case .string:
            try next()
            return .string(StringLiteral(value: t.stringValue ?? "", position: PositionRange(t.range)))
        case .leftParen:
            try next()
            let inner = try parseExpr(minPrecedence: 0)
            let close = try next()
            guard close.kind == .rightParen else { throw unexpected(close) }
            return .paren(ParenExpr(expr: inner, position: PositionRange(start: t.range.lowerBound, end: close.range.upperBound)))
        case .leftBrace:
            return try parseSelector(nameToken: nil)
        case .identifier:
            if try peek(1).kind == .leftParen { return try parseCall() }
            try next()
            return try parseSelector(nameToken: t)
        case .metricIdentifier:
            try next()
            return try parseSelector(nameToken: t)
        case .aggregator(let op):
            let following = try peek(1)
            switch following.kind {
            case .leftParen, .keyword(.by), .keyword(.without):
                return try parseAggregate(op)
            case .binaryOperator, .leftBrace, .leftBracket, .keyword(.offset), .at, .rightParen, .comma, .eof:
                // Only what may follow an expression makes the word a metric name.
                try next()
                return try parseSelector(nameToken: t)
            default:
                throw unexpected(following)
            }
        case .keyword(.by), .keyword(.without), .keyword(.offset), .keyword(.start), .keyword(.end),
             .binaryOperator(.and), .binaryOperator(.or), .binaryOperator(.unless):
            // Keywords that Prometheus's grammar also accepts as metric names.
            try next()
            return try parseSelector(nameToken: t)
        default:
            throw unexpected(t)
        }
    }

    private func numberValue(_ t: Token) throws(ParseError) -> Double {
        switch parsePromQLNumber(t.text) {
        case .success(let v): return v
        case .failure(let e): throw error("error parsing number: \(e.message)", at: t.range.lowerBound)
        }
    }

    // MARK: - Selectors

    private mutating func parseSelector(nameToken: Token?) throws(ParseError) -> Expr {
        var matchers: [LabelMatcher] = []
        var start = nameToken?.range.lowerBound ?? 0
        var end = nameToken?.range.upperBound ?? 0
        if try peek().kind == .leftBrace {
            let open = try next()
            if nameToken == nil { start = open.range.lowerBound }
            matchers = try parseMatchers()
            end = lastEnd
        }
        if let nameToken {
            // Cannot fail: an equality matcher has no regex.
            if let nameMatcher = try? LabelMatcher("__name__", .equal, nameToken.text) {
                matchers.append(nameMatcher)
            }
        }
        return .vectorSelector(VectorSelector(name: nameToken?.text, matchers: matchers, position: PositionRange(start: start, end: end)))
    }

    /// The matchers between `{` (consumed) and `}` (consumed here); a trailing comma is allowed.
    private mutating func parseMatchers() throws(ParseError) -> [LabelMatcher] {
        var matchers: [LabelMatcher] = []
        if try peek().kind == .rightBrace {
            try next()
            return matchers
        }
        while true {
            let name = try next()
            guard name.kind == .identifier else {
                throw unexpected(name, "label matching", expected: "identifier or \"}\"")
            }
            let op = try next()
            let kind: LabelMatcher.Kind
            switch op.kind {
            case .assign: kind = .equal
            case .binaryOperator(.neq): kind = .notEqual
            case .regexMatch: kind = .regexMatch
            case .regexNoMatch: kind = .regexNoMatch
            default: throw unexpected(op, "label matching", expected: "label matching operator")
            }
            let value = try next()
            guard value.kind == .string else { throw unexpected(value, "label matching", expected: "string") }
            do {
                matchers.append(try LabelMatcher(name.text, kind, value.stringValue ?? ""))
            } catch {
                throw self.error("\(error)", at: name.range.lowerBound)
            }
            let sep = try next()
            if sep.kind == .rightBrace { return matchers }
            guard sep.kind == .comma else { throw unexpected(sep, "label matching", expected: "\",\" or \"}\"") }
            if try peek().kind == .rightBrace {
                try next()
                return matchers
            }
        }
    }

    // MARK: - Postfix: ranges, subqueries, offset, @

    private mutating func enter() throws(ParseError) {
        depth += 1
        if depth > Parser.maxDepth {
            throw error("expression nested too deeply (more than \(Parser.maxDepth) levels)", at: try peek().range.lowerBound)
        }
    }

    private mutating func parsePostfix(_ base: Expr) throws(ParseError) -> Expr {
        var expr = base
        var applied = 0
        defer { depth -= applied }
        while true {
            let t = try peek()
            if t.kind == .leftBracket || t.kind == .keyword(.offset) || t.kind == .at {
                try enter()
                applied += 1
            }
            switch t.kind {
            case .leftBracket: expr = try parseRangeOrSubquery(expr)
            case .keyword(.offset): expr = try parseOffset(expr)
            case .at: expr = try parseAt(expr)
            default: return expr
            }
        }
    }

    private mutating func parseRangeOrSubquery(_ expr: Expr) throws(ParseError) -> Expr {
        let open = try next()
        let rangeToken = try next()
        guard rangeToken.kind == .duration else { throw unexpected(rangeToken, "subquery selector", expected: "duration") }
        let rangeMs = try durationValue(rangeToken)
        let t = try next()
        switch t.kind {
        case .rightBracket:
            let bracket = PositionRange(start: open.range.lowerBound, end: t.range.upperBound)
            guard case .vectorSelector(let vs) = expr else { throw error("ranges only allowed for vector selectors", at: bracket) }
            if vs.offsetMs != 0 { throw error("no offset modifiers allowed before range", at: bracket) }
            // As in Prometheus 2.42, only a numeric `@` is refused here: `foo @ start()[5m]` is
            // accepted and means `foo[5m] @ start()`.
            if case .timestamp = vs.at { throw error("no @ modifiers allowed before range", at: bracket) }
            return .matrixSelector(MatrixSelector(selector: vs, rangeMs: rangeMs,
                                                  position: PositionRange(start: expr.position.start, end: t.range.upperBound)))
        case .colon:
            var stepMs: Int64?
            var close = try next()
            if close.kind == .duration {
                stepMs = try durationValue(close)
                close = try next()
                guard close.kind == .rightBracket else { throw unexpected(close, "subquery selector", expected: "\"]\"") }
            } else if close.kind != .rightBracket {
                throw unexpected(close, "subquery selector", expected: "duration or \"]\"")
            }
            return .subquery(SubqueryExpr(expr: expr, rangeMs: rangeMs, stepMs: stepMs,
                                          position: PositionRange(start: expr.position.start, end: close.range.upperBound)))
        default:
            throw unexpected(t, "subquery or range", expected: "\":\" or \"]\"")
        }
    }

    private mutating func parseOffset(_ expr: Expr) throws(ParseError) -> Expr {
        try next()
        var t = try next()
        var negative = false
        if t.kind == .binaryOperator(.sub) {
            negative = true
            t = try next()
        }
        guard t.kind == .duration else { throw unexpected(t, "offset", expected: "duration") }
        let ms = try durationValue(t) * (negative ? -1 : 1)
        let end = t.range.upperBound
        let already = "offset may not be set multiple times"
        switch expr {
        case .vectorSelector(var vs):
            if vs.offsetMs != 0 { throw error(already, at: expr.position) }
            vs.offsetMs = ms
            vs.position.end = end
            return .vectorSelector(vs)
        case .matrixSelector(var m):
            if m.selector.offsetMs != 0 { throw error(already, at: expr.position) }
            m.selector.offsetMs = ms
            m.position.end = end
            return .matrixSelector(m)
        case .subquery(var s):
            if s.offsetMs != 0 { throw error(already, at: expr.position) }
            s.offsetMs = ms
            s.position.end = end
            return .subquery(s)
        default:
            throw error("offset modifier must be preceded by an instant vector selector or range vector selector or a subquery",
                        at: expr.position)
        }
    }

    private mutating func parseAt(_ expr: Expr) throws(ParseError) -> Expr {
        try next()
        var t = try next()
        var at: AtModifier = .start
        var timestamp: (token: Token, negative: Bool)?
        switch t.kind {
        case .keyword(.start), .keyword(.end):
            let isStart = t.kind == .keyword(.start)
            let open = try next()
            guard open.kind == .leftParen else { throw unexpected(open, "@", expected: "timestamp") }
            let close = try next()
            guard close.kind == .rightParen else { throw unexpected(close, "@", expected: "timestamp") }
            at = isStart ? .start : .end
        case .number, .binaryOperator(.add), .binaryOperator(.sub):
            var negative = false
            if case .binaryOperator(let sign) = t.kind {
                negative = sign == .sub
                t = try next()
                guard t.kind == .number else { throw unexpected(t, "@", expected: "timestamp") }
            }
            // Prometheus's own bound first, then what the modifier applies to, then the exact
            // conversion (same order of messages as Prometheus).
            let seconds = try numberValue(t) * (negative ? -1 : 1)
            guard seconds.isFinite, abs(seconds) < 9.223372036854775807e18 else { throw atOutOfBounds(seconds, expr) }
            timestamp = (t, negative)
        default:
            throw unexpected(t, "@", expected: "timestamp")
        }
        let end = lastEnd
        let current: AtModifier?
        switch expr {
        case .vectorSelector(let vs): current = vs.at
        case .matrixSelector(let m): current = m.selector.at
        case .subquery(let s): current = s.at
        default:
            throw error("@ modifier must be preceded by an instant vector selector or range vector selector or a subquery",
                        at: expr.position)
        }
        if current != nil { throw error("@ <timestamp> may not be set multiple times", at: expr.position) }
        if let timestamp { at = .timestamp(try atMilliseconds(timestamp.token, negative: timestamp.negative, target: expr)) }
        switch expr {
        case .vectorSelector(var vs):
            vs.at = at
            vs.position.end = end
            return .vectorSelector(vs)
        case .matrixSelector(var m):
            m.selector.at = at
            m.position.end = end
            return .matrixSelector(m)
        case .subquery(var s):
            s.at = at
            s.position.end = end
            return .subquery(s)
        default:
            return expr  // unreachable: checked above
        }
    }

    private func atOutOfBounds(_ seconds: Double, _ target: Expr) -> ParseError {
        error("timestamp out of bounds for @ modifier: \(goFormatF(seconds))", at: target.position)
    }

    /// The `@` timestamp in milliseconds. Prometheus computes `round(seconds * 1000)` from a
    /// float; integers and plain decimals with at most three fractional digits (what the printer
    /// writes) are converted exactly instead, so printing and re-parsing never changes the value.
    /// A timestamp whose milliseconds do not fit in Int64 is an error (Prometheus overflows).
    private func atMilliseconds(_ t: Token, negative: Bool, target: Expr) throws(ParseError) -> Int64 {
        let seconds = try numberValue(t) * (negative ? -1 : 1)
        let outOfBounds = atOutOfBounds(seconds, target)
        if let whole = goParseIntBase0(t.text) {
            let (ms, overflow) = whole.multipliedReportingOverflow(by: 1000)
            guard !overflow else { throw outOfBounds }
            return negative ? -ms : ms
        }
        let u = Array(t.text.utf8)
        if let dot = u.firstIndex(of: UInt8(ascii: ".")), u.count - dot - 1 <= 3,
           u.allSatisfy({ Lexer.isDigit($0) || $0 == UInt8(ascii: ".") }),
           let whole = Int64(dot == 0 ? "0" : String(decoding: u[..<dot], as: UTF8.self)) {
            var frac: Int64 = 0
            for i in 0..<3 {
                let index = dot + 1 + i
                frac = frac * 10 + (index < u.count ? Int64(u[index] - UInt8(ascii: "0")) : 0)
            }
            let (scaled, o1) = whole.multipliedReportingOverflow(by: 1000)
            let (ms, o2) = scaled.addingReportingOverflow(frac)
            guard !o1, !o2 else { throw outOfBounds }
            return negative ? -ms : ms
        }
        let ms = (seconds * 1000).rounded(.toNearestOrAwayFromZero)
        // Prometheus would overflow silently here; a timestamp that does not fit is an error.
        guard abs(ms) < 9.223372036854775807e18 else { throw outOfBounds }
        return Int64(ms)
    }

    /// A duration token in milliseconds; Prometheus requires it to be positive.
    private func durationValue(_ t: Token) throws(ParseError) -> Int64 {
        guard let ms = parseDurationMs(t.text) else {
            throw error("not a valid duration string: \(goQuote(t.text))", at: t.range.lowerBound)
        }
        // Prometheus keeps durations as int64 nanoseconds.
        guard ms <= Int64.max / 1_000_000 else { throw error("duration out of range", at: t.range.lowerBound) }
        guard ms > 0 else { throw error("duration must be greater than 0", at: t.range.lowerBound) }
        return ms
    }

    // MARK: - Aggregations and calls

    private mutating func parseAggregate(_ op: AggregationOp) throws(ParseError) -> Expr {
        let opToken = try next()
        var grouping: [String]?
        var without = false
        let modifier = try peek()
        if modifier.kind == .keyword(.by) || modifier.kind == .keyword(.without) {
            try next()
            without = modifier.kind == .keyword(.without)
            grouping = try parseGroupingLabels()
        }
        let open = try next()
        guard open.kind == .leftParen else { throw unexpected(open, "aggregation") }
        aggregationArguments += 1
        let args = try parseCallArguments()
        aggregationArguments -= 1
        if grouping == nil {
            let after = try peek()
            if after.kind == .keyword(.by) || after.kind == .keyword(.without) {
                try next()
                without = after.kind == .keyword(.without)
                grouping = try parseGroupingLabels()
            }
        }
        let position = PositionRange(start: opToken.range.lowerBound, end: lastEnd)
        guard !args.isEmpty else { throw error("no arguments for aggregate expression provided", at: position) }
        let wanted = op.hasParameter ? 2 : 1
        guard args.count == wanted else {
            throw error("wrong number of arguments for aggregate expression provided, expected \(wanted), got \(args.count)", at: position)
        }
        return .aggregate(AggregateExpr(op: op, expr: args[wanted - 1], param: op.hasParameter ? args[0] : nil,
                                        grouping: grouping ?? [], without: without, position: position))
    }

    private mutating func parseCall() throws(ParseError) -> Expr {
        let name = try next()
        try next()  // "("
        let args = try parseCallArguments()
        guard let function = PromQL.functions[name.text] else {
            throw error("unknown function with name \(goQuote(name.text))", at: name.range.lowerBound)
        }
        return .call(Call(function: function, args: args, position: PositionRange(start: name.range.lowerBound, end: lastEnd)))
    }

    /// Arguments after `(` (consumed) up to and including `)`.
    private mutating func parseCallArguments() throws(ParseError) -> [Expr] {
        var args: [Expr] = []
        if try peek().kind == .rightParen {
            try next()
            return args
        }
        while true {
            args.append(try parseExpr(minPrecedence: 0))
            let t = try next()
            if t.kind == .rightParen { return args }
            guard t.kind == .comma else { throw unexpected(t) }
            if !Parser.canStartExpression(try peek().kind) {
                throw error("trailing commas not allowed in function call args", at: t.range.lowerBound)
            }
        }
    }

    /// Whether a token can begin an expression (after a comma, anything else is reported as a
    /// trailing comma, as Prometheus does).
    static func canStartExpression(_ kind: TokenKind) -> Bool {
        switch kind {
        case .number, .string, .leftParen, .leftBrace, .identifier, .metricIdentifier, .aggregator,
             .keyword(.by), .keyword(.without), .keyword(.offset), .keyword(.start), .keyword(.end),
             .binaryOperator(.and), .binaryOperator(.or), .binaryOperator(.unless),
             .binaryOperator(.add), .binaryOperator(.sub):
            return true
        default:
            return false
        }
    }

    /// `(label, …)` after `by`, `without`, `on`, `ignoring`, `group_left`, `group_right`.
    /// Keywords are valid label names here; a trailing comma is allowed.
    private mutating func parseGroupingLabels() throws(ParseError) -> [String] {
        let open = try next()
        guard open.kind == .leftParen else { throw unexpected(open, "grouping opts", expected: "\"(\"") }
        var labels: [String] = []
        if try peek().kind == .rightParen {
            try next()
            return labels
        }
        while true {
            let t = try next()
            switch t.kind {
            case .identifier, .aggregator, .keyword, .binaryOperator(.and), .binaryOperator(.or), .binaryOperator(.unless),
                 .binaryOperator(.atan2):
                labels.append(t.text)
            default:
                throw unexpected(t, "grouping opts", expected: "label")
            }
            let sep = try next()
            if sep.kind == .rightParen { return labels }
            guard sep.kind == .comma else { throw unexpected(sep, "grouping opts", expected: "\",\" or \")\"") }
            if try peek().kind == .rightParen {
                try next()
                return labels
            }
        }
    }
}

/// Go's `%f`: six decimals, `+Inf`, `-Inf`, `NaN`.
func goFormatF(_ v: Double) -> String {
    if v.isNaN { return "NaN" }
    if v.isInfinite { return v < 0 ? "-Inf" : "+Inf" }
    let negative = v < 0
    let scaled = (abs(v) * 1_000_000).rounded()
    guard scaled < 9e18 else {
        // Huge values have no more than a few fractional digits: pad the shortest form.
        let text = formatPromQLNumber(v)
        guard let dot = text.firstIndex(of: ".") else { return text + ".000000" }
        let decimals = text.distance(from: dot, to: text.endIndex) - 1
        return text + String(repeating: "0", count: max(0, 6 - decimals))
    }
    let n = UInt64(scaled)
    let frac = String(n % 1_000_000)
    return (negative ? "-" : "") + "\(n / 1_000_000)." + String(repeating: "0", count: 6 - frac.count) + frac
}
