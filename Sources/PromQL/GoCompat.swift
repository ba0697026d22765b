// Go behaviours the engine's results depend on: math.Max/Min NaN and signed-zero rules,
// number formatting for labels (count_values) and messages, label-name validity, the
// `$1`/`${name}` template expansion of regexp.Expand, byte-order label comparison.

import ScopeCore

/// Go's `math.Max`: +Inf wins over NaN, NaN wins over everything else, +0 over -0.
func goMax(_ x: Double, _ y: Double) -> Double {
    if x == .infinity || y == .infinity { return .infinity }
    if x.isNaN || y.isNaN { return .nan }
    if x == 0 && x == y { return x.sign == .minus ? y : x }
    return x > y ? x : y
}

/// Go's `math.Min`: -Inf wins over NaN, NaN wins over everything else, -0 over +0.
func goMin(_ x: Double, _ y: Double) -> Double {
    if x == -.infinity || y == -.infinity { return -.infinity }
    if x.isNaN || y.isNaN { return .nan }
    if x == 0 && x == y { return x.sign == .minus ? x : y }
    return x < y ? x : y
}

/// Go's `strconv.FormatFloat(v, 'f', -1, 64)`, which Prometheus uses for `count_values` labels:
/// shortest digits, never an exponent, `+Inf`/`-Inf`/`NaN`.
public func goFormatFloatF(_ v: Double) -> String {
    if v == .infinity { return "+Inf" }
    return formatPromQLNumber(v)
}

/// Go's `%v`/`strconv.FormatFloat(v, 'g', -1, 64)` for messages: shortest digits, an exponent
/// below 1e-4 and from 1e21 up.
func goFormatG(_ v: Double) -> String {
    if v.isNaN { return "NaN" }
    if v.isInfinite { return v > 0 ? "+Inf" : "-Inf" }
    if v == 0 { return v.sign == .minus ? "-0" : "0" }
    let magnitude = Swift.abs(v)
    if magnitude < 1e-4 || magnitude >= 1e21 {
        // Swift prints "1e-05"/"1e+21"-like forms; Go writes at least two exponent digits too.
        var text = "\(v)"
        if let e = text.firstIndex(where: { $0 == "e" }) {
            var mantissa = String(text[..<e])
            if mantissa.hasSuffix(".0") { mantissa.removeLast(2) }
            var exponent = String(text[text.index(after: e)...])
            var sign = "+"
            if exponent.hasPrefix("-") { sign = "-"; exponent.removeFirst() } else if exponent.hasPrefix("+") { exponent.removeFirst() }
            if exponent.count < 2 { exponent = "0" + exponent }
            text = mantissa + "e" + sign + exponent
        }
        return text
    }
    return formatPromQLNumber(v)
}

/// Whether a float converts to int64 without overflow (Prometheus's `convertibleToInt64`).
func convertibleToInt64(_ v: Double) -> Bool {
    v <= 9_223_372_036_854_774_784 && v >= -9_223_372_036_854_775_808
}

/// `model.LabelName.IsValid`: `[a-zA-Z_][a-zA-Z0-9_]*`.
func isValidLabelName(_ name: String) -> Bool {
    guard let first = name.utf8.first, Lexer.isAlpha(first) else { return false }
    return name.utf8.allSatisfy(Lexer.isAlphaNumeric)
}

/// Byte-wise string order, as Go compares strings.
@inline(__always)
func bytesLess(_ a: String, _ b: String) -> Bool {
    a.utf8.lexicographicallyPrecedes(b.utf8)
}

/// Prometheus's `labels.Compare` order: pair by pair (name, then value), shorter first.
func labelsLess(_ a: Labels, _ b: Labels) -> Bool {
    let ap = a.pairs, bp = b.pairs
    let n = Swift.min(ap.count, bp.count)
    var i = 0
    while i < n {
        if ap[i].name != bp[i].name { return bytesLess(ap[i].name, bp[i].name) }
        if ap[i].value != bp[i].value { return bytesLess(ap[i].value, bp[i].value) }
        i += 1
    }
    return ap.count < bp.count
}

extension Labels {
    /// The label set without `__name__`.
    var droppingMetricName: Labels {
        guard pairs.contains(where: { $0.name == "__name__" }) else { return self }
        return removing("__name__")
    }

    /// Only the labels named in `names`.
    func keeping(_ names: Set<String>) -> Labels {
        Labels(presorted: pairs.filter { names.contains($0.name) })
    }

    /// Without the labels named in `names`.
    func dropping(_ names: Set<String>) -> Labels {
        Labels(presorted: pairs.filter { !names.contains($0.name) })
    }

    /// A copy with `name` set to `value`; an empty value removes the label, as Prometheus's
    /// `labels.Builder.Set` does.
    func setting(_ name: String, orRemovingIfEmpty value: String) -> Labels {
        value.isEmpty ? removing(name) : setting(name, value)
    }
}

