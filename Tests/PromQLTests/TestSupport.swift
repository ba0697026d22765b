import PromQL
import ScopeCore
import Testing

/// Parses `query` or records the error as a test failure.
func parsed(_ query: String, sourceLocation: SourceLocation = #_sourceLocation) -> Expr? {
    do {
        return try PromQL.parse(query)
    } catch {
        Issue.record("\(query): \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// The error `query` fails with, or nil (recorded as a failure) when it parses.
func parseError(_ query: String, sourceLocation: SourceLocation = #_sourceLocation) -> ParseError? {
    do {
        let expr = try PromQL.parse(query)
        Issue.record("expected \(query) to fail, got \(expr)", sourceLocation: sourceLocation)
        return nil
    } catch {
        return error
    }
}

/// A fully parenthesised Lisp-like rendering of the tree, to check structure and precedence.
func tree(_ e: Expr) -> String {
    switch e {
    case .number(let n): return formatPromQLNumber(n.value)
    case .string(let s): return goQuote(s.value)
    case .vectorSelector(let v): return v.description
    case .matrixSelector(let m): return m.description
    case .subquery(let s): return "(subquery \(tree(s.expr)) \(s.rangeMs) \(s.stepMs.map(String.init) ?? "-") \(s.offsetMs) \(String(describing: s.at)))"
    case .aggregate(let a):
        let g = a.without ? " without(\(a.grouping.joined(separator: ",")))" : (a.grouping.isEmpty ? "" : " by(\(a.grouping.joined(separator: ",")))")
        return "(\(a.op)\(g)\(a.param.map { " " + tree($0) } ?? "") \(tree(a.expr)))"
    case .binary(let b): return "(\(b.op)\(b.modifierText) \(tree(b.lhs)) \(tree(b.rhs)))"
    case .unary(let u): return "(u\(u.op) \(tree(u.expr)))"
    case .call(let c): return "(\(c.function.name)\(c.args.map { " " + tree($0) }.joined()))"
    case .paren(let p): return "[\(tree(p.expr))]"
    }
}

/// `tree(parse(query))`, or the error text.
func shape(_ query: String, sourceLocation: SourceLocation = #_sourceLocation) -> String {
    guard let e = parsed(query, sourceLocation: sourceLocation) else { return "<error>" }
    return tree(e)
}
