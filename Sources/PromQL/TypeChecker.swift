import ScopeCore

/// Prometheus's static checks (`checkAST`), run after a successful parse. Reports the first
/// problem in the order Prometheus does (children before the node that contains them, except
/// where `checkAST` checks a node first) and returns the tree with vector matching dropped
/// where a side is a scalar, as Prometheus does.
struct TypeChecker {
    let source: String

    private func error(_ message: String, at range: PositionRange) -> ParseError {
        makeParseError(message, at: range.start, in: source)
    }

    /// Checks `expr` and that its type is `want` ("expected type instant vector in aggregation
    /// expression, got scalar").
    private func expect(_ expr: Expr, _ want: ValueType, _ context: String) throws(ParseError) -> Expr {
        let checked = try check(expr)
        if checked.type != want {
            throw error("expected type \(want) in \(context), got \(checked.type)", at: expr.position)
        }
        return checked
    }

    func check(_ expr: Expr) throws(ParseError) -> Expr {
        switch expr {
        case .number, .string:
            return expr

        case .vectorSelector(let vs):
            try checkSelector(vs)
            return expr

        case .matrixSelector(let m):
            try checkSelector(m.selector)
            return expr

        case .subquery(var s):
            s.expr = try check(s.expr)
            if s.expr.type != .instantVector {
                throw error("subquery is only allowed on instant vector, got \(s.expr.type.internalName) instead", at: s.position)
            }
            return .subquery(s)

        case .paren(var p):
            p.expr = try check(p.expr)
            return .paren(p)

        case .unary(var u):
            u.expr = try check(u.expr)
            let t = u.expr.type
            if t != .scalar && t != .instantVector {
                throw error("unary expression only allowed on expressions of type scalar or instant vector, got \(goQuote(t.description))",
                            at: u.position)
            }
            return .unary(u)

        case .aggregate(var a):
            a.expr = try expect(a.expr, .instantVector, "aggregation expression")
            if let param = a.param, let want = a.op.parameterType {
                a.param = try expect(param, want, "aggregation parameter")
            }
            return .aggregate(a)

        case .call(var c):
            let f = c.function
            let n = c.args.count
            if f.variadic == 0 {
                if n != f.argTypes.count {
                    throw error("expected \(f.argTypes.count) argument(s) in call to \(goQuote(f.name)), got \(n)", at: c.position)
                }
            } else if n < f.minArgs {
                throw error("expected at least \(f.minArgs) argument(s) in call to \(goQuote(f.name)), got \(n)", at: c.position)
            } else if let max = f.maxArgs, n > max {
                throw error("expected at most \(max) argument(s) in call to \(goQuote(f.name)), got \(n)", at: c.position)
            }
            for (i, arg) in c.args.enumerated() {
                guard let want = f.argType(at: i) else { break }
                c.args[i] = try expect(arg, want, "call to function \(goQuote(f.name))")
            }
            return .call(c)

        case .binary(var b):
            b.lhs = try check(b.lhs)
            b.rhs = try check(b.rhs)
            let lt = b.lhs.type, rt = b.rhs.type
            if b.returnBool && !b.op.isComparison {
                throw error("bool modifier can only be used on comparison operators", at: b.operatorPosition)
            }
            if b.op.isComparison && !b.returnBool && lt == .scalar && rt == .scalar {
                throw error("comparisons between scalars must use BOOL modifier", at: b.operatorPosition)
            }
            if let m = b.matching, m.on {
                for label in m.matchingLabels where m.include.contains(label) {
                    throw error("label \(goQuote(label)) must not occur in ON and GROUP clause at once", at: b.operatorPosition)
                }
            }
            if lt != .scalar && lt != .instantVector {
                throw error("binary expression must contain only scalar and instant vector types", at: b.lhs.position)
            }
            if rt != .scalar && rt != .instantVector {
                throw error("binary expression must contain only scalar and instant vector types", at: b.rhs.position)
            }
            if lt != .instantVector || rt != .instantVector {
                if let m = b.matching, !m.matchingLabels.isEmpty {
                    throw error("vector matching only allowed between instant vectors", at: b.position)
                }
                b.matching = nil
            } else if b.op.isSetOperator, let m = b.matching {
                if m.cardinality == .oneToMany || m.cardinality == .manyToOne {
                    throw error("no grouping allowed for \(goQuote(b.op.rawValue)) operation", at: b.position)
                }
                if m.cardinality != .manyToMany {
                    throw error("set operations must always be many-to-many", at: b.position)
                }
            }
            if (lt == .scalar || rt == .scalar) && b.op.isSetOperator {
                throw error("set operator \(goQuote(b.op.rawValue)) not allowed in binary scalar expression", at: b.position)
            }
            return .binary(b)
        }
    }

    private func checkSelector(_ vs: VectorSelector) throws(ParseError) {
        if let name = vs.name {
            // The last matcher is the one for the name written outside the braces.
            for m in vs.matchers.dropLast() where m.name == "__name__" {
                throw error("metric name must not be set twice: \(goQuote(name)) or \(goQuote(m.value))", at: vs.position)
            }
            return
        }
        if !vs.matchers.contains(where: { !$0.matchesEmpty }) {
            throw error("vector selector must contain at least one non-empty matcher", at: vs.position)
        }
    }
}
