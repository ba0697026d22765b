/// A PromQL function's signature, as Prometheus's `parser.Function`, plus how much the
/// strmscope engine must support it.
public struct Function: Sendable, Hashable, CustomStringConvertible {
    /// What the evaluation engine owes this function.
    public enum EngineSupport: Sendable, Hashable {
        /// Listed in issue 4: the engine must implement it.
        case required
        /// Cheap to add (sign, trig, angle conversions): implement when convenient.
        case cheap
        /// Not required (the native-histogram functions): the engine may answer
        /// "unsupported function X" at the call's position.
        case optional
    }

    public let name: String
    /// Argument types in order. With `variadic != 0` the last one is optional/repeatable.
    public let argTypes: [ValueType]
    /// 0: exactly `argTypes.count` arguments. n > 0: the last argument type may be left out or
    /// repeated up to n times (`round(v [, to_nearest])`, `hour([v])`). -1: repeated without
    /// limit (`label_join`).
    public let variadic: Int
    public let returnType: ValueType
    public let support: EngineSupport

    public init(name: String, argTypes: [ValueType], variadic: Int = 0, returnType: ValueType, support: EngineSupport) {
        self.name = name
        self.argTypes = argTypes
        self.variadic = variadic
        self.returnType = returnType
        self.support = support
    }

    /// Fewest arguments accepted.
    public var minArgs: Int { variadic == 0 ? argTypes.count : argTypes.count - 1 }
    /// Most arguments accepted (nil: unbounded).
    public var maxArgs: Int? {
        if variadic == 0 { return argTypes.count }
        if variadic < 0 { return nil }
        return argTypes.count - 1 + variadic
    }

    /// The expected type of argument `index` (the last type repeats for variadic functions).
    public func argType(at index: Int) -> ValueType? {
        if index < argTypes.count { return argTypes[index] }
        return variadic != 0 ? argTypes.last : nil
    }

    public var description: String { name }
}

extension PromQL {
    /// Every function of Prometheus 2.42, by name.
    public static let functions: [String: Function] = {
        var table: [String: Function] = [:]
        func add(_ name: String, _ args: [ValueType], variadic: Int = 0, returns: ValueType = .instantVector,
                 _ support: Function.EngineSupport) {
            table[name] = Function(name: name, argTypes: args, variadic: variadic, returnType: returns, support: support)
        }
        let v = ValueType.instantVector, m = ValueType.rangeVector, s = ValueType.scalar, str = ValueType.string

        // Range-vector functions.
        for name in ["rate", "irate", "increase", "delta", "idelta", "deriv", "resets", "changes"] {
            add(name, [m], .required)
        }
        add("predict_linear", [m, s], .required)
        for name in ["avg", "min", "max", "sum", "count", "last", "stddev", "stdvar", "present", "absent"] {
            add("\(name)_over_time", [m], .required)
        }
        add("quantile_over_time", [s, m], .required)
        add("holt_winters", [m, s, s], .cheap)

        // Instant-vector functions.
        add("absent", [v], .required)
        add("histogram_quantile", [s, v], .required)
        add("clamp", [v, s, s], .required)
        add("clamp_min", [v, s], .required)
        add("clamp_max", [v, s], .required)
        for name in ["abs", "ceil", "floor", "sqrt", "exp", "ln", "log2", "log10", "timestamp", "sort", "sort_desc"] {
            add(name, [v], .required)
        }
        add("round", [v, s], variadic: 1, .required)
        add("time", [], returns: s, .required)
        add("vector", [s], .required)
        add("scalar", [v], returns: s, .required)
        add("label_replace", [v, str, str, str, str], .required)
        add("label_join", [v, str, str, str], variadic: -1, .required)
        for name in ["day_of_week", "day_of_month", "day_of_year", "days_in_month", "hour", "minute", "month", "year"] {
            add(name, [v], variadic: 1, .required)
        }

        // Cheap ones.
        add("sgn", [v], .cheap)
        for name in ["acos", "acosh", "asin", "asinh", "atan", "atanh", "cos", "cosh", "sin", "sinh", "tan", "tanh", "deg", "rad"] {
            add(name, [v], .cheap)
        }
        add("pi", [], returns: s, .cheap)

        // Native histograms (2.40+), not part of the classic float subset.
        add("histogram_count", [v], .optional)
        add("histogram_sum", [v], .optional)
        add("histogram_fraction", [s, s, v], .optional)
        return table
    }()
}
