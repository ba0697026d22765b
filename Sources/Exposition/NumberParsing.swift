// Number syntax of the two exposition dialects, parsed straight from the input bytes.
//
// Values: OpenMetrics `number` (decimal, exponent, case-insensitive `Inf`/`Infinity` with an
// optional sign, `NaN`); the 0.0.4 text format defers to Go's strconv.ParseFloat, which also takes
// hexadecimal floats with a binary exponent (`0x1p-3`). Decimal values with at most 19 significant
// digits and a small exponent are converted exactly without leaving the byte buffer (Clinger's fast
// path); anything else goes through the standard library's correctly rounded conversion.

/// Powers of ten that are exact in a Double (10^0 ... 10^22).
private let exactPowersOfTen: [Double] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
    1e20, 1e21, 1e22,
]

@inline(__always)
func isDigit(_ b: UInt8) -> Bool { b &- 0x30 < 10 }

/// Parses `[p, p+n)` as a floating-point value; nil when the bytes are not a number in the syntax.
/// `hex`: accept Go's hexadecimal floats; `special`: accept Inf/Infinity/NaN.
@inline(__always)
func parseFloat(_ p: UnsafePointer<UInt8>, _ n: Int, hex: Bool, special: Bool) -> Double? {
    guard n > 0 else { return nil }
    var i = 0
    var negative = false
    let first = p[0]
    if first == UInt8(ascii: "-") || first == UInt8(ascii: "+") {
        negative = first == UInt8(ascii: "-")
        i = 1
        guard n > 1 else { return nil }
    }
    let lead = p[i]
    if !isDigit(lead) && lead != UInt8(ascii: ".") {
        guard special else { return nil }
        return parseSpecial(p + i, n - i, signed: i == 1, negative: negative)
    }
    if hex && lead == UInt8(ascii: "0") && i + 1 < n && p[i + 1] | 0x20 == UInt8(ascii: "x") {
        return parseHexFloat(p, n, digitsAt: i + 2)
    }
    var mantissa: UInt64 = 0
    var digits = 0
    var exp10 = 0
    var exact = true
    var sawDigit = false
    while i < n {
        let d = p[i] &- 0x30
        if d >= 10 { break }
        sawDigit = true
        if mantissa == 0 && d == 0 {
            // leading zero
        } else if digits < 19 {
            mantissa = mantissa &* 10 &+ UInt64(d)
            digits += 1
        } else {
            exp10 += 1
            if d != 0 { exact = false }
        }
        i += 1
    }
    if i < n && p[i] == UInt8(ascii: ".") {
        i += 1
        while i < n {
            let d = p[i] &- 0x30
            if d >= 10 { break }
            sawDigit = true
            if mantissa == 0 && d == 0 {
                exp10 -= 1
            } else if digits < 19 {
                mantissa = mantissa &* 10 &+ UInt64(d)
                digits += 1
                exp10 -= 1
            } else if d != 0 {
                exact = false
            }
            i += 1
        }
    }
    guard sawDigit else { return nil }
    if i < n && p[i] | 0x20 == UInt8(ascii: "e") {
        i += 1
        var expNegative = false
        if i < n && (p[i] == UInt8(ascii: "+") || p[i] == UInt8(ascii: "-")) {
            expNegative = p[i] == UInt8(ascii: "-")
            i += 1
        }
        var e = 0
        var sawExpDigit = false
        while i < n {
            let d = p[i] &- 0x30
            if d >= 10 { break }
            sawExpDigit = true
            if e < 1_000_000 { e = e &* 10 &+ Int(d) }
            i += 1
        }
        guard sawExpDigit else { return nil }
        exp10 += expNegative ? -e : e
    }
    guard i == n else { return nil }
    if mantissa == 0 { return negative ? -0.0 : 0.0 }
    if exact && mantissa <= 1 << 53 && exp10 >= -22 && exp10 <= 22 {
        let m = Double(mantissa)
        let v = exp10 >= 0 ? m * exactPowersOfTen[exp10] : m / exactPowersOfTen[-exp10]
        return negative ? -v : v
    }
    return slowParse(p, n)
}

/// The standard library's correctly rounded conversion, for bytes already checked to be a number.
@inline(never)
private func slowParse(_ p: UnsafePointer<UInt8>, _ n: Int) -> Double? {
    Double(String(decoding: UnsafeBufferPointer(start: p, count: n), as: UTF8.self))
}

/// `inf`, `infinity` (either with the sign already consumed) or an unsigned `nan`, any case.
private func parseSpecial(_ p: UnsafePointer<UInt8>, _ n: Int, signed: Bool, negative: Bool) -> Double? {
    func matches(_ word: StaticString) -> Bool {
        guard n == word.utf8CodeUnitCount else { return false }
        let w = word.utf8Start
        for k in 0..<n where p[k] | 0x20 != w[k] { return false }
        return true
    }
    if matches("inf") || matches("infinity") { return negative ? -.infinity : .infinity }
    if !signed && matches("nan") { return .nan }
    return nil
}

@inline(__always)
private func isHexDigit(_ b: UInt8) -> Bool { isDigit(b) || (b | 0x20 >= UInt8(ascii: "a") && b | 0x20 <= UInt8(ascii: "f")) }

/// Go's hexadecimal float: `0x` mantissa (with an optional point) and a mandatory `p` exponent.
private func parseHexFloat(_ p: UnsafePointer<UInt8>, _ n: Int, digitsAt start: Int) -> Double? {
    var i = start
    var sawDigit = false
    while i < n && isHexDigit(p[i]) { i += 1; sawDigit = true }
    if i < n && p[i] == UInt8(ascii: ".") {
        i += 1
        while i < n && isHexDigit(p[i]) { i += 1; sawDigit = true }
    }
    guard sawDigit, i < n, p[i] | 0x20 == UInt8(ascii: "p") else { return nil }
    i += 1
    if i < n && (p[i] == UInt8(ascii: "+") || p[i] == UInt8(ascii: "-")) { i += 1 }
    var sawExpDigit = false
    while i < n && isDigit(p[i]) { i += 1; sawExpDigit = true }
    guard sawExpDigit, i == n else { return nil }
    return slowParse(p, n)
}

/// A 0.0.4 timestamp: an optionally signed decimal integer of milliseconds that fits in Int64.
@inline(__always)
func parseIntegerTimestamp(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int64? {
    guard n > 0 else { return nil }
    var i = 0
    var negative = false
    if p[0] == UInt8(ascii: "-") || p[0] == UInt8(ascii: "+") {
        negative = p[0] == UInt8(ascii: "-")
        i = 1
        guard n > 1 else { return nil }
    }
    var value: Int64 = 0
    while i < n {
        let d = p[i] &- 0x30
        guard d < 10 else { return nil }
        let (times10, o1) = value.multipliedReportingOverflow(by: 10)
        let (next, o2) = negative ? times10.subtractingReportingOverflow(Int64(d)) : times10.addingReportingOverflow(Int64(d))
        guard !o1 && !o2 else { return nil }
        value = next
        i += 1
    }
    return value
}

/// An OpenMetrics timestamp (seconds, a real number: no Inf/NaN, no hex) as seconds and as
/// milliseconds. Plain decimals are converted to milliseconds exactly (sub-millisecond digits are
/// truncated toward zero, as Prometheus does), so `1700000000.123` is 1700000000123 ms; forms with an
/// exponent go through the float. Milliseconds saturate at the ends of Int64.
func parseSecondsTimestamp(_ p: UnsafePointer<UInt8>, _ n: Int) -> (seconds: Double, ms: Int64)? {
    guard let seconds = parseFloat(p, n, hex: false, special: false) else { return nil }
    var i = 0
    var negative = false
    if p[0] == UInt8(ascii: "-") || p[0] == UInt8(ascii: "+") {
        negative = p[0] == UInt8(ascii: "-")
        i = 1
    }
    var whole: Int64 = 0
    var overflow = false
    while i < n, isDigit(p[i]) {
        let (t, o1) = whole.multipliedReportingOverflow(by: 10)
        let (s, o2) = t.addingReportingOverflow(Int64(p[i] &- 0x30))
        overflow = overflow || o1 || o2
        whole = s
        i += 1
    }
    var fraction: Int64 = 0
    if i < n && p[i] == UInt8(ascii: ".") {
        i += 1
        var k = 0
        while i < n, isDigit(p[i]) {
            if k < 3 { fraction = fraction * 10 + Int64(p[i] &- 0x30) }
            k += 1
            i += 1
        }
        while k < 3 { fraction *= 10; k += 1 }
    }
    if i == n && !overflow {
        let (ms, o1) = whole.multipliedReportingOverflow(by: 1000)
        let (total, o2) = ms.addingReportingOverflow(fraction)
        if !o1 && !o2 { return (seconds, negative ? -total : total) }
        return (seconds, negative ? Int64.min : Int64.max)
    }
    let ms = (seconds * 1000).rounded(.towardZero)
    if ms >= 9.223372036854775e18 { return (seconds, Int64.max) }
    if ms <= -9.223372036854775e18 { return (seconds, Int64.min) }
    return (seconds, Int64(ms))
}
