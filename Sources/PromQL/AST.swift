import ScopeCore

// MARK: - Value types and positions

/// The four PromQL value types.
public enum ValueType: Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case scalar
    case instantVector
    case rangeVector
    case string

    /// The name Prometheus's documentation and error messages use ("instant vector").
    public var description: String {
        switch self {
        case .scalar: "scalar"
        case .instantVector: "instant vector"
        case .rangeVector: "range vector"
        case .string: "string"
        }
    }

    /// Prometheus's internal name ("vector", "matrix"), used in a few of its messages.
    public var internalName: String {
        switch self {
        case .scalar: "scalar"
        case .instantVector: "vector"
        case .rangeVector: "matrix"
        case .string: "string"
        }
    }
}

/// A half-open byte range `start..<end` into the query text (UTF-8 offsets), as Prometheus's
/// `PositionRange`. `ParseError`s and engine errors turn it into line:column.
public struct PositionRange: Sendable, Hashable, CustomStringConvertible {
    public var start: Int
    public var end: Int

    public init(start: Int, end: Int) {
        self.start = start
        self.end = end
    }

    public init(_ range: Range<Int>) {
        self.init(start: range.lowerBound, end: range.upperBound)
    }

    public var description: String { "\(start)..<\(end)" }
}

// MARK: - Operators

/// Binary operators, from loosest to tightest binding: `or`; `and unless`; comparisons;
/// `+ -`; `* / % atan2`; `^` (right-associative).
public enum BinaryOperator: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case add = "+", sub = "-", mul = "*", div = "/", mod = "%", pow = "^", atan2
    case eql = "==", neq = "!=", lte = "<=", lss = "<", gte = ">=", gtr = ">"
    case and, or, unless

    public var description: String { rawValue }

    /// Binding strength: higher binds tighter.
    public var precedence: Int {
        switch self {
        case .or: 1
        case .and, .unless: 2
        case .eql, .neq, .lte, .lss, .gte, .gtr: 3
        case .add, .sub: 4
        case .mul, .div, .mod, .atan2: 5
        case .pow: 6
        }
    }

    public var isRightAssociative: Bool { self == .pow }
    public var isComparison: Bool { precedence == 3 }
    public var isSetOperator: Bool { self == .and || self == .or || self == .unless }
}

public enum UnaryOperator: String, Sendable, Hashable, CustomStringConvertible {
    case plus = "+", minus = "-"
    public var description: String { rawValue }
}

/// The aggregation operators.
public enum AggregationOp: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case sum, avg, count, min, max, group, stddev, stdvar, topk, bottomk, quantile
    case countValues = "count_values"

    public var description: String { rawValue }

    /// `topk`, `bottomk`, `quantile` and `count_values` take a parameter before the expression.
    public var hasParameter: Bool { self == .topk || self == .bottomk || self == .quantile || self == .countValues }

    /// The type the parameter must have (nil when there is none).
    public var parameterType: ValueType? {
        switch self {
        case .topk, .bottomk, .quantile: .scalar
        case .countValues: .string
        default: nil
        }
    }
}

/// `@ <timestamp>`, `@ start()`, `@ end()`.
public enum AtModifier: Sendable, Hashable {
    /// Milliseconds since the Unix epoch.
    case timestamp(Int64)
    case start
    case end
}

/// How the two sides of a binary operation between instant vectors are matched.
public struct VectorMatching: Sendable, Hashable {
    public enum Cardinality: Sendable, Hashable {
        case oneToOne, manyToOne, oneToMany, manyToMany
    }

    /// `manyToMany` for `and`/`or`/`unless`; `manyToOne` with `group_left`; `oneToMany` with
    /// `group_right`; otherwise `oneToOne`.
    public var cardinality: Cardinality
    /// True for `on(…)`, false for `ignoring(…)` or no clause.
    public var on: Bool
    /// The labels of `on(…)` / `ignoring(…)`.
    public var matchingLabels: [String]
    /// The extra labels of `group_left(…)` / `group_right(…)`.
    public var include: [String]

    public init(cardinality: Cardinality = .oneToOne, on: Bool = false, matchingLabels: [String] = [], include: [String] = []) {
        self.cardinality = cardinality
        self.on = on
        self.matchingLabels = matchingLabels
        self.include = include
    }
}

// MARK: - Nodes

/// A PromQL expression. Every node carries its `position` (byte range in the query).
///
/// Equality (`==`) is structural and ignores positions, so `parse(print(parse(q))) == parse(q)`
/// can be checked directly; label matchers compare as a set (their order does not matter);
/// NaN literals are equal to each other.
public indirect enum Expr: Sendable, Equatable {
    case number(NumberLiteral)
    case string(StringLiteral)
    case vectorSelector(VectorSelector)
    case matrixSelector(MatrixSelector)
    case subquery(SubqueryExpr)
    case aggregate(AggregateExpr)
    case binary(BinaryExpr)
    case unary(UnaryExpr)
    case call(Call)
    case paren(ParenExpr)
}

/// A number literal (`1`, `0x1f`, `1e3`, `Inf`, `NaN`). A leading `-` folds into the value.
public struct NumberLiteral: Sendable, Equatable {
    public var value: Double
    public var position: PositionRange

    public init(value: Double, position: PositionRange) {
        self.value = value
        self.position = position
    }

    public static func == (a: Self, b: Self) -> Bool {
        a.value == b.value || (a.value.isNaN && b.value.isNaN)
    }
}

public struct StringLiteral: Sendable, Equatable {
    public var value: String
    public var position: PositionRange

    public init(value: String, position: PositionRange) {
        self.value = value
        self.position = position
    }

    public static func == (a: Self, b: Self) -> Bool { a.value == b.value }
}

/// `name{label="value", …} @ t offset d`. When a name is written outside the braces it is also
/// the last of `matchers` (`__name__="name"`), as in Prometheus, so the engine only needs the
/// matchers.
public struct VectorSelector: Sendable, Equatable {
    public var name: String?
    public var matchers: [LabelMatcher]
    /// Milliseconds; negative means looking forward. 0 when not set.
    public var offsetMs: Int64
    public var at: AtModifier?
    public var position: PositionRange

    public init(name: String?, matchers: [LabelMatcher], offsetMs: Int64 = 0, at: AtModifier? = nil, position: PositionRange) {
        self.name = name
        self.matchers = matchers
        self.offsetMs = offsetMs
        self.at = at
        self.position = position
    }

    public static func == (a: Self, b: Self) -> Bool {
        a.name == b.name && a.offsetMs == b.offsetMs && a.at == b.at
            && sortedMatcherKeys(a.matchers) == sortedMatcherKeys(b.matchers)
    }
}

private func sortedMatcherKeys(_ matchers: [LabelMatcher]) -> [[String]] {
    matchers.map { [$0.name, $0.kind.rawValue, $0.value] }.sorted { $0.lexicographicallyPrecedes($1) }
}

/// `selector[range]`: offset and `@` live in `selector`, as in Prometheus.
public struct MatrixSelector: Sendable, Equatable {
    public var selector: VectorSelector
    public var rangeMs: Int64
    public var position: PositionRange

    public init(selector: VectorSelector, rangeMs: Int64, position: PositionRange) {
        self.selector = selector
        self.rangeMs = rangeMs
        self.position = position
    }

    public static func == (a: Self, b: Self) -> Bool { a.selector == b.selector && a.rangeMs == b.rangeMs }
}

/// `expr[range:step] @ t offset d`. `stepMs` is nil for `[range:]` (the evaluation's default
/// step applies).
public struct SubqueryExpr: Sendable, Equatable {
    public var expr: Expr
    public var rangeMs: Int64
    public var stepMs: Int64?
    public var offsetMs: Int64
    public var at: AtModifier?
    public var position: PositionRange

    public init(expr: Expr, rangeMs: Int64, stepMs: Int64?, offsetMs: Int64 = 0, at: AtModifier? = nil, position: PositionRange) {
        self.expr = expr
        self.rangeMs = rangeMs
        self.stepMs = stepMs
        self.offsetMs = offsetMs
        self.at = at
        self.position = position
    }

    public static func == (a: Self, b: Self) -> Bool {
        a.expr == b.expr && a.rangeMs == b.rangeMs && a.stepMs == b.stepMs && a.offsetMs == b.offsetMs && a.at == b.at
    }
}

/// `op [by|without (labels)] ([param,] expr)`.
public struct AggregateExpr: Sendable, Equatable {
    public var op: AggregationOp
    public var expr: Expr
    /// The parameter of `topk`, `bottomk`, `quantile` (scalar) and `count_values` (string).
    public var param: Expr?
    public var grouping: [String]
    /// True for `without (…)`, false for `by (…)` or no clause.
    public var without: Bool
    public var position: PositionRange

    public init(op: AggregationOp, expr: Expr, param: Expr? = nil, grouping: [String] = [], without: Bool = false, position: PositionRange) {
        self.op = op
        self.expr = expr
        self.param = param
        self.grouping = grouping
        self.without = without
        self.position = position
    }

    public static func == (a: Self, b: Self) -> Bool {
        a.op == b.op && a.expr == b.expr && a.param == b.param && a.grouping == b.grouping && a.without == b.without
    }
}

/// `lhs op [bool] [on|ignoring (labels) [group_left|group_right (labels)]] rhs`.
public struct BinaryExpr: Sendable, Equatable {
    public var op: BinaryOperator
    public var lhs: Expr
    public var rhs: Expr
    /// `bool` on a comparison: return 0/1 instead of filtering.
    public var returnBool: Bool
    /// Present when both sides are instant vectors (nil when either side is a scalar).
    public var matching: VectorMatching?
    public var position: PositionRange
    /// Where the operator token is, for errors about the operation itself.
    public var operatorPosition: PositionRange

    public init(op: BinaryOperator, lhs: Expr, rhs: Expr, returnBool: Bool = false, matching: VectorMatching? = nil,
                position: PositionRange, operatorPosition: PositionRange) {
        self.op = op
        self.lhs = lhs
        self.rhs = rhs
        self.returnBool = returnBool
        self.matching = matching
        self.position = position
        self.operatorPosition = operatorPosition
    }

    public static func == (a: Self, b: Self) -> Bool {
        a.op == b.op && a.lhs == b.lhs && a.rhs == b.rhs && a.returnBool == b.returnBool && a.matching == b.matching
    }
}

/// `-expr` or `+expr` (on anything but a number literal, where the sign folds into the number).
public struct UnaryExpr: Sendable, Equatable {
    public var op: UnaryOperator
    public var expr: Expr
    public var position: PositionRange

    public init(op: UnaryOperator, expr: Expr, position: PositionRange) {
        self.op = op
        self.expr = expr
        self.position = position
    }

    public static func == (a: Self, b: Self) -> Bool { a.op == b.op && a.expr == b.expr }
}

/// A function call; `function` is the entry of `PromQL.functions`.
public struct Call: Sendable, Equatable {
    public var function: Function
    public var args: [Expr]
    public var position: PositionRange

    public init(function: Function, args: [Expr], position: PositionRange) {
        self.function = function
        self.args = args
        self.position = position
    }

    public static func == (a: Self, b: Self) -> Bool { a.function.name == b.function.name && a.args == b.args }
}

/// `(expr)`, kept in the tree so the printer reproduces the grouping.
public struct ParenExpr: Sendable, Equatable {
    public var expr: Expr
    public var position: PositionRange

    public init(expr: Expr, position: PositionRange) {
        self.expr = expr
        self.position = position
    }

    public static func == (a: Self, b: Self) -> Bool { a.expr == b.expr }
}

// MARK: - Helpers for the evaluator

extension Expr {
    /// The static type of the expression (what it evaluates to).
    public var type: ValueType {
        switch self {
        case .number: .scalar
        case .string: .string
        case .vectorSelector: .instantVector
        case .matrixSelector, .subquery: .rangeVector
        case .aggregate: .instantVector
        case .binary(let b): b.lhs.type == .scalar && b.rhs.type == .scalar ? .scalar : .instantVector
        case .unary(let u): u.expr.type
        case .call(let c): c.function.returnType
        case .paren(let p): p.expr.type
        }
    }

    /// The byte range of the node in the query.
    public var position: PositionRange {
        switch self {
        case .number(let n): n.position
        case .string(let s): s.position
        case .vectorSelector(let v): v.position
        case .matrixSelector(let m): m.position
        case .subquery(let s): s.position
        case .aggregate(let a): a.position
        case .binary(let b): b.position
        case .unary(let u): u.position
        case .call(let c): c.position
        case .paren(let p): p.position
        }
    }

    /// Direct sub-expressions in source order (a matrix selector's child is its vector selector;
    /// an aggregation's parameter comes before its expression).
    public var children: [Expr] {
        switch self {
        case .number, .string, .vectorSelector: []
        case .matrixSelector(let m): [.vectorSelector(m.selector)]
        case .subquery(let s): [s.expr]
        case .aggregate(let a): (a.param.map { [$0] } ?? []) + [a.expr]
        case .binary(let b): [b.lhs, b.rhs]
        case .unary(let u): [u.expr]
        case .call(let c): c.args
        case .paren(let p): [p.expr]
        }
    }

    /// Visits this node and then its descendants, depth-first in source order. Return false
    /// from `visit` to skip a node's children.
    public func walk(_ visit: (Expr) throws -> Bool) rethrows {
        guard try visit(self) else { return }
        for child in children { try child.walk(visit) }
    }

    /// The expression inside any number of parentheses.
    public var unwrappingParens: Expr {
        var e = self
        while case .paren(let p) = e { e = p.expr }
        return e
    }

    /// Every vector selector in the tree (including those inside matrix selectors), in source order.
    public var vectorSelectors: [VectorSelector] {
        var out: [VectorSelector] = []
        walk { e in
            if case .vectorSelector(let v) = e { out.append(v) }
            return true
        }
        return out
    }
}
