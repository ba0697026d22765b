// Go's formatting and number-parsing conventions, which Prometheus's PromQL messages and printer
// follow: strconv.Quote, %q of a rune, %#U, FormatFloat(v, 'f', -1, 64), ParseInt(s, 0, 64) then
// ParseFloat(s, 64).

import ScopeCore

private func hex(_ v: UInt32, width: Int) -> String {
    let digits = String(v, radix: 16)
    return String(repeating: "0", count: max(0, width - digits.count)) + digits
}

/// The escaped form of one scalar inside a Go quoted string or rune literal.
private func goEscape(_ s: Unicode.Scalar, quote: Unicode.Scalar) -> String {
    switch s {
    case quote: return "\\" + String(quote)
    case "\\": return "\\\\"
    case "\u{07}": return "\\a"
    case "\u{08}": return "\\b"
    case "\u{0C}": return "\\f"
    case "\n": return "\\n"
    case "\r": return "\\r"
    case "\t": return "\\t"
    case "\u{0B}": return "\\v"
    default:
        // U+FFFD is escaped: Prometheus's lexer refuses it raw (it reads it as invalid UTF-8).
        if goIsPrint(s) && s != "\u{FFFD}" { return String(s) }
        if s.value < 0x80 { return "\\x" + hex(s.value, width: 2) }
        if s.value <= 0xFFFF { return "\\u" + hex(s.value, width: 4) }
        return "\\U" + hex(s.value, width: 8)
    }
}

/// Go's `strconv.Quote`: a double-quoted string that PromQL's lexer reads back to `s`.
public func goQuote(_ s: String) -> String {
    var out = "\""
    for scalar in s.unicodeScalars { out += goEscape(scalar, quote: "\"") }
    return out + "\""
}

/// Go's `%q` of a rune: `'x'`, `'\n'`, `'\x00'`.
func goQuoteRune(_ s: Unicode.Scalar) -> String {
    "'" + goEscape(s, quote: "'") + "'"
}

/// Go's `%#U`: `U+0071 'q'` (without the character when it is not printable).
func goFormatU(_ s: Unicode.Scalar) -> String {
    let code = "U+" + hex(s.value, width: 4).uppercased()
    return goIsPrint(s) ? "\(code) '\(s)'" : code
}

/// Go's `strconv.FormatFloat(v, 'f', -1, 64)`: the shortest decimal that reads back to `v`,
/// never in exponent form (`1e-07` prints as `0.0000001`); `NaN`, `Inf`, `-Inf`. Unlike Go (and
/// Prometheus's printer) positive infinity has no `+`: `+Inf ^ 2` would read back as `+(Inf ^ 2)`.
public func formatPromQLNumber(_ v: Double) -> String {
    if v.isNaN { return "NaN" }
    if v.isInfinite { return v < 0 ? "-Inf" : "Inf" }
    var text = v.description  // shortest round-trip digits, maybe with an exponent
    var negative = false
    if text.hasPrefix("-") {
        negative = true
        text.removeFirst()
    }
    var exponent = 0
    if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
        exponent = Int(text[text.index(after: e)...]) ?? 0
        text = String(text[..<e])
    }
    let intPart: Substring
    let fracPart: Substring
    if let dot = text.firstIndex(of: ".") {
        intPart = text[..<dot]
        fracPart = text[text.index(after: dot)...]
    } else {
        intPart = Substring(text)
        fracPart = ""
    }
    var digits = Array(intPart + fracPart)
    var point = intPart.count + exponent
    while let first = digits.first, first == "0" {
        digits.removeFirst()
        point -= 1
    }
    while let last = digits.last, last == "0" { digits.removeLast() }
    let sign = negative ? "-" : ""
    if digits.isEmpty { return sign + "0" }
    if point <= 0 { return sign + "0." + String(repeating: "0", count: -point) + String(digits) }
    if point >= digits.count { return sign + String(digits) + String(repeating: "0", count: point - digits.count) }
    return sign + String(digits[..<point]) + "." + String(digits[point...])
}

/// A PromQL number token's value the way Prometheus computes it: `strconv.ParseInt(s, 0, 64)`
/// (so `0x1f` is hex and `0755` is octal), falling back to `strconv.ParseFloat(s, 64)`.
/// Returns the Go error text on failure.
func parsePromQLNumber(_ text: String) -> Result<Double, NumberSyntaxError> {
    if let n = goParseIntBase0(text) { return .success(Double(n)) }
    return goParseFloat(text)
}

struct NumberSyntaxError: Error {
    let message: String
}

/// `strconv.ParseInt(s, 0, 64)` for unsigned tokens: hex after `0x`, octal after a leading 0,
/// decimal otherwise; nil on syntax error or overflow.
func goParseIntBase0(_ text: String) -> Int64? {
    var body = Substring(text)
    var radix = 10
    if body.hasPrefix("0x") || body.hasPrefix("0X") {
        radix = 16
        body = body.dropFirst(2)
    } else if body.hasPrefix("0b") || body.hasPrefix("0B") {
        radix = 2
        body = body.dropFirst(2)
    } else if body.hasPrefix("0o") || body.hasPrefix("0O") {
        radix = 8
        body = body.dropFirst(2)
    } else if body.hasPrefix("0") && body.count > 1 {
        radix = 8
        body = body.dropFirst()
    }
    guard !body.isEmpty, body.allSatisfy({ $0.isASCII && $0.hexDigitValue.map { $0 < radix } == true }) else { return nil }
    return Int64(body, radix: radix)
}

/// `strconv.ParseFloat(s, 64)` for the shapes a PromQL number token can take.
func goParseFloat(_ text: String) -> Result<Double, NumberSyntaxError> {
    func failure(_ reason: String) -> Result<Double, NumberSyntaxError> {
        .failure(NumberSyntaxError(message: "strconv.ParseFloat: parsing \(goQuote(text)): \(reason)"))
    }
    var body = Substring(text)
    var sign = 1.0
    if body.first == "+" || body.first == "-" {
        if body.first == "-" { sign = -1 }
        body = body.dropFirst()
    }
    switch body.lowercased() {
    case "inf", "infinity": return .success(sign * .infinity)
    case "nan": return .success(.nan)
    default: break
    }
    // Decimal: digits [. digits] [e [+-] digits], at least one mantissa digit. (Go also reads
    // hex floats, but only with a 'p' exponent, which the lexer never lets through.)
    let u = Array(body.utf8)
    var i = 0
    var mantissaDigits = 0
    while i < u.count, Lexer.isDigit(u[i]) { i += 1; mantissaDigits += 1 }
    if i < u.count, u[i] == UInt8(ascii: ".") {
        i += 1
        while i < u.count, Lexer.isDigit(u[i]) { i += 1; mantissaDigits += 1 }
    }
    if i < u.count, u[i] == UInt8(ascii: "e") || u[i] == UInt8(ascii: "E") {
        i += 1
        if i < u.count, u[i] == UInt8(ascii: "+") || u[i] == UInt8(ascii: "-") { i += 1 }
        var expDigits = 0
        while i < u.count, Lexer.isDigit(u[i]) { i += 1; expDigits += 1 }
        if expDigits == 0 { return failure("invalid syntax") }
    }
    guard mantissaDigits > 0, i == u.count, let value = Double(String(body)) else { return failure("invalid syntax") }
    if value.isInfinite { return failure("value out of range") }
    return .success(sign * value)
}

/// An `@` timestamp printed exactly: seconds with three decimals (`1603774568.123`).
func formatAtTimestamp(_ ms: Int64) -> String {
    let magnitude = ms.magnitude
    let seconds = magnitude / 1000
    let millis = magnitude % 1000
    let frac = String(millis)
    return (ms < 0 ? "-" : "") + "\(seconds)." + String(repeating: "0", count: 3 - frac.count) + frac
}
