// PromQL for strmscope: lexer, parser, AST and printer, compatible with Prometheus 2.42.
//
// Entry points:
//
//     let expr: Expr = try PromQL.parse(#"sum by (job) (rate(http_requests_total{code=~"5.."}[5m]))"#)
//     expr.type                 // .instantVector
//     expr.description          // canonical PromQL text; parse(description) == expr
//     let tokens = try PromQL.tokenize("foo + bar # comment")
//
// `parse` throws `ScopeCore.ParseError`: 1-based line:column of the offending token (columns
// count Unicode scalars; the byte offset is in `position.offset`), a message close to
// Prometheus's ("unexpected <op:*>", "unclosed left parenthesis", "bad duration syntax: \"5x\"",
// "unknown function with name \"foo\"", "expected type range vector in call to function
// \"rate\", got instant vector"), and the source line for a caret display.
//
// The tree (`Expr`, see AST.swift) is what the evaluator consumes: every node carries a
// `PositionRange` of byte offsets so the engine can report positioned errors too; selectors hold
// `[LabelMatcher]` (the metric name included as `__name__="…"`), offset and `@` in
// milliseconds; `Expr.type` is the static type; `children`/`walk` traverse it; each `Call`
// carries its `Function` from `PromQL.functions`, whose `support` says whether the engine must
// implement it; `PromQL.error(_:at:in:)` formats the engine's own positioned errors the same way.
//
// Deliberate differences from Prometheus 2.42: `foo[5m x]` is an error (Prometheus reads any
// letter inside brackets as `:`); an `@` timestamp whose milliseconds overflow Int64 is an error
// (Prometheus wraps around); trees deeper than 500 levels are refused; positive infinity prints
// as `Inf` (Prometheus's `+Inf` does not re-parse the same before `^`). Regex syntax is whatever
// `ScopeCore.LabelMatcher` accepts (Swift Regex, not RE2).

import ScopeCore

/// Namespace for the PromQL front end.
public enum PromQL {
    /// Parses and type-checks a PromQL expression, as Prometheus's `parser.ParseExpr` does.
    /// Whitespace, newlines and `#` comments may appear between any two tokens.
    public static func parse(_ query: String) throws(ParseError) -> Expr {
        var parser = Parser(query)
        let expr = try parser.parseQuery()
        return try TypeChecker(source: query).check(expr)
    }

    /// A positioned error about part of `query`, in the same format as parse errors, for the
    /// evaluator: `PromQL.error("unsupported function \"histogram_count\"", at: call.position, in: q)`.
    public static func error(_ message: String, at position: PositionRange, in query: String) -> ParseError {
        makeParseError(message, at: position.start, in: query)
    }

    /// The query's tokens (comments included, the final `.eof` included), for highlighting and
    /// tests. Lexical errors are thrown like parse errors.
    public static func tokenize(_ query: String) throws(ParseError) -> [Token] {
        var lexer = Lexer(query)
        var tokens: [Token] = []
        while true {
            let t = try lexer.next()
            tokens.append(t)
            if t.kind == .eof { return tokens }
        }
    }
}
