import ScopeCore

// Canonical PromQL text for an AST, as Prometheus's printer.go writes it:
// `sum by (job) (rate(foo{a="b"}[5m] offset 1m))`. Parentheses come only from `ParenExpr`
// nodes, label matchers are sorted, durations are normalised (`90m` → `1h30m`), `@` times are
// printed in seconds with three decimals, numbers in plain decimal (`1e-7` → `0.0000001`).
// For every tree the parser returns, parsing the printed text gives an equal tree.

extension Expr: CustomStringConvertible {
    public var description: String {
        switch self {
        case .number(let n): n.description
        case .string(let s): s.description
        case .vectorSelector(let v): v.description
        case .matrixSelector(let m): m.description
        case .subquery(let s): s.description
        case .aggregate(let a): a.description
        case .binary(let b): b.description
        case .unary(let u): u.description
        case .call(let c): c.description
        case .paren(let p): p.description
        }
    }
}

extension NumberLiteral: CustomStringConvertible {
    public var description: String { formatPromQLNumber(value) }
}

extension StringLiteral: CustomStringConvertible {
    public var description: String { goQuote(value) }
}

/// ` @ 10.000` / ` @ start()` / ` @ end()`, or nothing.
private func atSuffix(_ at: AtModifier?) -> String {
    switch at {
    case nil: ""
    case .timestamp(let ms): " @ " + formatAtTimestamp(ms)
    case .start: " @ start()"
    case .end: " @ end()"
    }
}

/// ` offset 5m` / ` offset -5m`, or nothing.
private func offsetSuffix(_ ms: Int64) -> String {
    ms == 0 ? "" : " offset " + formatDurationMs(ms)
}

extension VectorSelector: CustomStringConvertible {
    /// The selector without `@` and `offset`: `name{a="b",c=~"d"}`.
    public var selectorText: String {
        var labels: [String] = []
        for m in matchers {
            if let name, m.name == "__name__", m.kind == .equal, m.value == name, !name.isEmpty { continue }
            labels.append(m.name + m.kind.rawValue + goQuote(m.value))
        }
        let prefix = name ?? ""
        if labels.isEmpty { return prefix.isEmpty ? "{}" : prefix }
        return prefix + "{" + labels.sorted().joined(separator: ",") + "}"
    }

    public var description: String { selectorText + atSuffix(at) + offsetSuffix(offsetMs) }
}

extension MatrixSelector: CustomStringConvertible {
    public var description: String {
        selector.selectorText + "[" + formatDurationMs(rangeMs) + "]" + atSuffix(selector.at) + offsetSuffix(selector.offsetMs)
    }
}

extension SubqueryExpr: CustomStringConvertible {
    public var description: String {
        expr.description + "[" + formatDurationMs(rangeMs) + ":" + (stepMs.map(formatDurationMs) ?? "") + "]"
            + atSuffix(at) + offsetSuffix(offsetMs)
    }
}

extension AggregateExpr: CustomStringConvertible {
    public var description: String {
        var out = op.rawValue
        if without {
            out += " without (" + grouping.joined(separator: ", ") + ") "
        } else if !grouping.isEmpty {
            out += " by (" + grouping.joined(separator: ", ") + ") "
        }
        out += "("
        if let param { out += param.description + ", " }
        return out + expr.description + ")"
    }
}

extension BinaryExpr: CustomStringConvertible {
    /// ` bool`, ` on (a)`, ` group_left (b)` as written between the operator and the right side.
    public var modifierText: String {
        var out = returnBool ? " bool" : ""
        guard let m = matching else { return out }
        let grouped = m.cardinality == .manyToOne || m.cardinality == .oneToMany
        if !m.matchingLabels.isEmpty || m.on || grouped {
            out += (m.on ? " on (" : " ignoring (") + m.matchingLabels.joined(separator: ", ") + ")"
        }
        if grouped {
            out += (m.cardinality == .manyToOne ? " group_left (" : " group_right (") + m.include.joined(separator: ", ") + ")"
        }
        return out
    }

    public var description: String {
        lhs.description + " " + op.rawValue + modifierText + " " + rhs.description
    }
}

extension UnaryExpr: CustomStringConvertible {
    public var description: String { op.rawValue + expr.description }
}

extension Call: CustomStringConvertible {
    public var description: String {
        function.name + "(" + args.map(\.description).joined(separator: ", ") + ")"
    }
}

extension ParenExpr: CustomStringConvertible {
    public var description: String { "(" + expr.description + ")" }
}
