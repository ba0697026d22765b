// The functions alerting templates can call, with the output of Prometheus 2.42 (Go's fmt,
// strconv, strings and regexp conventions), and Go's %v printing of template values.
import Foundation
import ScopeCore

enum TParam: Sendable { case string, any }

struct TFunction: Sendable {
    var params: [TParam]
    var variadic: TParam? = nil
}

struct TFuncError: Error { var message: String }

let templateFunctions: [String: TFunction] = [
    // text/template builtins
    "and": TFunction(params: [.any], variadic: .any), "or": TFunction(params: [.any], variadic: .any),
    "not": TFunction(params: [.any]), "len": TFunction(params: [.any]), "index": TFunction(params: [.any], variadic: .any),
    "eq": TFunction(params: [.any], variadic: .any), "ne": TFunction(params: [.any, .any]),
    "lt": TFunction(params: [.any, .any]), "le": TFunction(params: [.any, .any]),
    "gt": TFunction(params: [.any, .any]), "ge": TFunction(params: [.any, .any]),
    "printf": TFunction(params: [.string], variadic: .any), "print": TFunction(params: [], variadic: .any),
    "println": TFunction(params: [], variadic: .any),
    // Prometheus's
    "humanize": TFunction(params: [.any]), "humanize1024": TFunction(params: [.any]),
    "humanizeDuration": TFunction(params: [.any]), "humanizePercentage": TFunction(params: [.any]),
    "humanizeTimestamp": TFunction(params: [.any]),
    "title": TFunction(params: [.string]), "toUpper": TFunction(params: [.string]), "toLower": TFunction(params: [.string]),
    "match": TFunction(params: [.string, .string]), "reReplaceAll": TFunction(params: [.string, .string, .string]),
    "stripPort": TFunction(params: [.string]),
]

/// Functions Prometheus (or text/template) defines that need a query engine, HTML context or
/// values this engine does not model: refusing them beats rendering something else.
let unsupportedTemplateFunctions: Set<String> = [
    "query", "first", "label", "value", "strvalue", "sortByLabel", "args", "tmpl", "safeHtml", "pathPrefix",
    "externalURL", "graphLink", "tableLink", "parseDuration", "toTime", "stripDomain", "html", "js", "urlquery", "slice", "call",
]

func applyTemplateFunction(_ name: String, _ a: [TValue]) throws(TFuncError) -> TValue {
    func fail(_ message: String) -> TFuncError { TFuncError(message: "error calling \(name): \(message)") }
    func str(_ i: Int) -> String { if case .string(let s) = a[i] { s } else { "" } }
    func number() throws(TFuncError) -> Double {
        switch a[0] {
        case .float(let v): return v
        case .int(let v): return Double(v)
        case .string(let s):
            guard let v = goParseFloat(s) else { throw fail("strconv.ParseFloat: parsing \(strconvQuote(s)): invalid syntax") }
            return v
        default: throw fail("can't convert \(a[0].goType) to float")
        }
    }
    switch name {
    case "and", "or": return a.last!
    case "not": return .bool(!goTruth(a[0]))
    case "len":
        switch a[0] {
        case .string(let s): return .int(s.utf8.count)
        case .map(let m): return .int(m.count)
        default: throw fail("len of type \(a[0].goType)")
        }
    case "index":
        var item = a[0]
        for key in a.dropFirst() {
            switch (item, key) {
            case (.map(let m), .string(let k)): item = .string(m[k] ?? "")
            case (.map, _): throw fail("value has type \(key.goType); should be string")
            case (.string(let s), .int(let i)):
                guard i >= 0, i < s.utf8.count else { throw fail("index out of range: \(i)") }
                item = .int(Int(Array(s.utf8)[i]))
            case (.string, _): throw fail("cannot index slice/array with type \(key.goType)")
            case (.none, _): throw fail("index of untyped nil")
            default: throw fail("can't index item of type \(item.goType)")
            }
        }
        return item
    case "eq":
        guard a.count > 1 else { throw fail("missing argument for comparison") }
        for other in a.dropFirst() where try goCompare(a[0], other, equality: true, fail) == .orderedSame { return .bool(true) }
        return .bool(false)
    case "ne": return .bool(try goCompare(a[0], a[1], equality: true, fail) != .orderedSame)
    case "lt": return .bool(try goCompare(a[0], a[1], equality: false, fail) == .orderedAscending)
    case "le": return .bool(try goCompare(a[0], a[1], equality: false, fail) != .orderedDescending)
    case "gt": return .bool(try goCompare(a[0], a[1], equality: false, fail) == .orderedDescending)
    case "ge": return .bool(try goCompare(a[0], a[1], equality: false, fail) != .orderedAscending)
    case "printf": return .string(goSprintf(str(0), Array(a.dropFirst())))
    case "print":
        // fmt.Sprint: a space between operands when neither is a string.
        var out = ""
        for (i, v) in a.enumerated() {
            if i > 0, !isString(a[i - 1]), !isString(v) { out += " " }
            out += goPrint(v)
        }
        return .string(out)
    case "println": return .string(a.map(goPrint).joined(separator: " ") + "\n")
    case "humanize":
        var v = try number()
        if v == 0 || !v.isFinite { return .string(goFormatFloat(v, "g", precision: 4)) }
        var prefix = ""
        if abs(v) >= 1 {
            for p in ["k", "M", "G", "T", "P", "E", "Z", "Y"] where abs(v) >= 1000 {
                prefix = p
                v /= 1000
            }
        } else {
            for p in ["m", "u", "n", "p", "f", "a", "z", "y"] where abs(v) < 1 {
                prefix = p
                v *= 1000
            }
        }
        return .string(goFormatFloat(v, "g", precision: 4) + prefix)
    case "humanize1024":
        var v = try number()
        if abs(v) <= 1 || !v.isFinite { return .string(goFormatFloat(v, "g", precision: 4)) }
        var prefix = ""
        for p in ["ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"] where abs(v) >= 1024 {
            prefix = p
            v /= 1024
        }
        return .string(goFormatFloat(v, "g", precision: 4) + prefix)
    case "humanizeDuration":
        var v = try number()
        if !v.isFinite { return .string(goFormatFloat(v, "g", precision: 4)) }
        if v == 0 { return .string(goFormatFloat(v, "g", precision: 4) + "s") }
        if abs(v) >= 1 {
            let sign = v < 0 ? "-" : ""
            v = abs(v)
            let whole = goInt64(v)
            let (days, hours, minutes, seconds) = (whole / 86400, whole / 3600 % 24, whole / 60 % 60, whole % 60)
            if days != 0 { return .string("\(sign)\(days)d \(hours)h \(minutes)m \(seconds)s") }
            if hours != 0 { return .string("\(sign)\(hours)h \(minutes)m \(seconds)s") }
            if minutes != 0 { return .string("\(sign)\(minutes)m \(seconds)s") }
            return .string(sign + goFormatFloat(v, "g", precision: 4) + "s")
        }
        var prefix = ""
        for p in ["m", "u", "n", "p", "f", "a", "z", "y"] where abs(v) < 1 {
            prefix = p
            v *= 1000
        }
        return .string(goFormatFloat(v, "g", precision: 4) + prefix + "s")
    case "humanizePercentage": return .string(goFormatFloat(try number() * 100, "g", precision: 4) + "%")
    case "humanizeTimestamp":
        let v = try number()
        if !v.isFinite { return .string(goFormatFloat(v, "g", precision: 4)) }
        let ns = v * 1e9
        guard ns < 9.223372036854775807e18, ns >= -9.223372036854775808e18 else {
            throw fail("\(goFormatShortest(v)) cannot be represented as a nanoseconds timestamp since it overflows int64")
        }
        return .string(goTimeString(milliseconds: Int64(ns) / 1_000_000))
    case "title":
        // strings.Title: a letter after a separator (anything but ASCII alphanumerics, `_`,
        // letters and digits; non-ASCII only when it is a space) becomes title case.
        var out = String.UnicodeScalarView()
        var previous: Unicode.Scalar = " "
        for c in str(0).unicodeScalars {
            let separator: Bool
            if previous.isASCII {
                separator = !GoRegex.isWord(previous)
            } else {
                let letter: [Unicode.GeneralCategory] = [.uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter, .decimalNumber]
                separator = !letter.contains(previous.properties.generalCategory) && previous.properties.isWhitespace
            }
            out.append(separator ? simpleCase(c, c.properties.titlecaseMapping) : c)
            previous = c
        }
        return .string(String(out))
    case "toUpper": return .string(String(String.UnicodeScalarView(str(0).unicodeScalars.map { simpleCase($0, $0.properties.uppercaseMapping) })))
    case "toLower": return .string(String(String.UnicodeScalarView(str(0).unicodeScalars.map { simpleCase($0, $0.properties.lowercaseMapping) })))
    case "stripPort": return .string(goSplitHost(str(0)) ?? str(0))
    case "match":
        switch goRegex(str(0)) {
        case .success(let re): return .bool(re.search(Array(str(1).unicodeScalars), from: 0) != nil)
        case .failure(let error): throw fail(error.message)
        }
    case "reReplaceAll":
        switch goRegex(str(0)) {
        case .success(let re): return .string(goReplaceAll(re, in: str(2), with: str(1)))
        // regexp.MustCompile panics; text/template reports the recovered panic.
        case .failure(let error): throw fail("regexp: Compile(`\(str(0))`): " + error.message)
        }
    default:
        throw fail("not implemented")
    }
}

func isString(_ v: TValue) -> Bool { if case .string = v { true } else { false } }

/// Go's truth: false, 0, "", an empty map and nil are false.
func goTruth(_ v: TValue) -> Bool {
    switch v {
    case .string(let s): !s.isEmpty
    case .int(let i): i != 0
    case .float(let f): f != 0
    case .bool(let b): b
    case .map(let m): !m.isEmpty
    case .data: true
    case .none: false
    }
}

/// text/template's eq/lt: only values of the same basic kind compare (`gt $value 80` fails:
/// float64 against int), and only eq/ne accept booleans.
func goCompare(_ x: TValue, _ y: TValue, equality: Bool, _ fail: (String) -> TFuncError) throws(TFuncError) -> ComparisonResult {
    func order<T: Comparable>(_ a: T, _ b: T) -> ComparisonResult { a < b ? .orderedAscending : a > b ? .orderedDescending : .orderedSame }
    switch (x, y) {
    case (.int(let a), .int(let b)): return order(a, b)
    // NaN is neither less nor equal, so le is false and gt/ge are true, as in Go.
    case (.float(let a), .float(let b)): return a == b ? .orderedSame : a < b ? .orderedAscending : .orderedDescending
    // Bytes, as in Go: Swift's == would equate "é" with "e\u{301}".
    case (.string(let a), .string(let b)):
        return a.utf8.elementsEqual(b.utf8) ? .orderedSame : a.utf8.lexicographicallyPrecedes(b.utf8) ? .orderedAscending : .orderedDescending
    case (.bool(let a), .bool(let b)) where equality: return a == b ? .orderedSame : .orderedAscending
    case (.bool, .bool): throw fail("invalid type for comparison")
    case (.none, .none) where equality: return .orderedSame
    case (.none, _), (_, .none): if equality { return .orderedAscending } else { throw fail("invalid type for comparison") }
    case (.map, .map), (.data, .data): throw fail(equality ? "non-comparable type \(goPrint(x)): \(x.goType)" : "invalid type for comparison")
    case (.map, _), (.data, _), (_, .map), (_, .data): throw fail(equality ? "incompatible types for comparison" : "invalid type for comparison")
    default: throw fail("incompatible types for comparison")
    }
}

/// Go's simple case mapping: a full mapping to several scalars (ß → SS) leaves the scalar as is.
func simpleCase(_ c: Unicode.Scalar, _ mapping: String) -> Unicode.Scalar {
    let scalars = mapping.unicodeScalars
    return scalars.count == 1 ? scalars.first! : c
}

/// Go's float → int64 conversion, which yields MinInt64 out of range on amd64.
func goInt64(_ v: Double) -> Int64 {
    v < 9.223372036854775807e18 && v >= -9.223372036854775808e18 ? Int64(v) : Int64.min
}

/// strconv.ParseFloat: decimal or hexadecimal (with a `p` exponent) floats, inf/infinity/nan,
/// `_` between digits; nil on a syntax error or overflow.
func goParseFloat(_ text: String) -> Double? {
    var body = Substring(text)
    let sign: Double = body.first == "-" ? -1 : 1
    if body.first == "+" || body.first == "-" { body = body.dropFirst() }
    switch body.lowercased() {
    case "inf", "infinity": return sign * .infinity
    case "nan": return .nan
    default: break
    }
    let clean = body.lowercased().filter { $0 != "_" }
    let hex = clean.hasPrefix("0x")
    let allowed = hex ? "0123456789abcdef.p+-" : "0123456789.e+-"
    guard goUnderscoresOK(text), let first = clean.dropFirst(hex ? 2 : 0).first, first.isHexDigit || first == ".",
          !hex || clean.contains("p"), clean.dropFirst(hex ? 2 : 0).allSatisfy({ allowed.contains($0) }),
          let v = Double(clean), v.isFinite else { return nil }
    return sign * v
}

/// strconv.ParseUint(text, 0, 64) of an unsigned literal: 0x, 0o, 0b and leading-0 octal.
func goParseUIntBase0(_ text: String) -> UInt64? {
    let lower = text.lowercased()
    var radix = 10
    var digits = Substring(lower)
    if lower.hasPrefix("0x") { radix = 16 } else if lower.hasPrefix("0o") { radix = 8 } else if lower.hasPrefix("0b") { radix = 2 }
    if radix != 10 { digits = digits.dropFirst(2) } else if lower.count > 1 && lower.hasPrefix("0") { radix = 8; digits = digits.dropFirst() }
    let clean = digits.filter { $0 != "_" }
    guard goUnderscoresOK(text), !clean.isEmpty, clean.allSatisfy({ $0.hexDigitValue.map { $0 < radix } == true }) else { return nil }
    return UInt64(clean, radix: radix)
}

/// Go's underscoreOK: `_` only between digits (or after a base prefix).
func goUnderscoresOK(_ text: String) -> Bool {
    var s = Array(text.lowercased().utf8)
    if let c = s.first, c == UInt8(ascii: "-") || c == UInt8(ascii: "+") { s.removeFirst() }
    var saw = UInt8(ascii: "^")
    var i = 0
    var hex = false
    if s.count >= 2, s[0] == UInt8(ascii: "0"), [UInt8(ascii: "b"), UInt8(ascii: "o"), UInt8(ascii: "x")].contains(s[1]) {
        i = 2
        saw = UInt8(ascii: "0")
        hex = s[1] == UInt8(ascii: "x")
    }
    while i < s.count {
        let c = s[i]
        i += 1
        if (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) || (hex && (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(c)) {
            saw = UInt8(ascii: "0")
        } else if c == UInt8(ascii: "_") {
            if saw != UInt8(ascii: "0") { return false }
            saw = c
        } else {
            if saw == UInt8(ascii: "_") { return false }
            saw = UInt8(ascii: "!")
        }
    }
    return saw != UInt8(ascii: "_")
}

// MARK: - Printing

/// Go's `%v`.
func goPrint(_ v: TValue) -> String {
    switch v {
    case .string(let s): s
    case .int(let i): String(i)
    case .float(let f): goFormatShortest(f)
    case .bool(let b): b ? "true" : "false"
    case .map(let m): goMapString(m) { $0 }
    case .data(let d): "{\(goMapString(d.labels) { $0 }) \(goMapString(d.externalLabels) { $0 }) \(d.externalURL) \(goFormatShortest(d.value))}"
    case .none: "<nil>"
    }
}

func goMapString(_ m: [String: String], _ element: (String) -> String) -> String {
    "map[" + m.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }.map { element($0.key) + ":" + element($0.value) }.joined(separator: " ") + "]"
}

/// Go's decimal digits of `v` (shortest round trip) and the decimal point's position.
private func shortestDigits(_ v: Double) -> (digits: [Character], point: Int) {
    var text = abs(v).description
    var exponent = 0
    if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
        exponent = Int(text[text.index(after: e)...].replacingOccurrences(of: "+", with: "")) ?? 0
        text = String(text[..<e])
    }
    let parts = text.split(separator: ".", omittingEmptySubsequences: false)
    var digits = Array(parts[0] + (parts.count > 1 ? parts[1] : ""))
    var point = parts[0].count + exponent
    while digits.first == "0" { digits.removeFirst(); point -= 1 }
    while digits.last == "0" { digits.removeLast() }
    return (digits, point)
}

/// Go's `%v` of a float64: strconv 'g' with the shortest digits, an exponent below 1e-4 and
/// from 1e6 up (`1e+06`, `1.234567e+06`: promtool confirms); `+Inf`, `-Inf`, `NaN`.
func goFormatShortest(_ v: Double) -> String {
    if v.isNaN { return "NaN" }
    if v.isInfinite { return v > 0 ? "+Inf" : "-Inf" }
    let sign = v.sign == .minus ? "-" : ""
    if v == 0 { return sign + "0" }
    let (digits, point) = shortestDigits(v)
    let exp = point - 1
    if exp < -4 || exp >= 6 {
        let mantissa = String(digits[0]) + (digits.count > 1 ? "." + String(digits[1...]) : "")
        return sign + mantissa + "e" + (exp < 0 ? "-" : "+") + (abs(exp) < 10 ? "0" : "") + String(abs(exp))
    }
    if point <= 0 { return sign + "0." + String(repeating: "0", count: -point) + String(digits) }
    if point >= digits.count { return sign + String(digits) + String(repeating: "0", count: point - digits.count) }
    return sign + String(digits[..<point]) + "." + String(digits[point...])
}

/// Go's fmt float verbs (e, E, f, F, g, G, v) with flags: C's printf agrees for finite values
/// given a precision; shortest `%g`/`%v` and infinities follow Go.
func goFormatFloat(_ v: Double, _ verb: Character, precision: Int?, flags: GoFlags = GoFlags()) -> String {
    var text: String
    if !v.isFinite {
        text = v.isNaN ? (flags.plus ? "+NaN" : flags.space ? " NaN" : "NaN") : v > 0 ? (flags.space && !flags.plus ? " Inf" : "+Inf") : "-Inf"
        return pad(text, flags, zeroAllowed: false)
    }
    let cVerb = verb == "v" ? "g" : verb == "F" ? "f" : verb
    if precision == nil && (cVerb == "g" || cVerb == "G") {
        text = goFormatShortest(v)
        if cVerb == "G" { text = text.uppercased() }
        if flags.sharp { text = sharpDigits(text) }
        if v.sign == .plus { text = (flags.plus ? "+" : flags.space ? " " : "") + text }
        return padNumber(text, flags)
    }
    if verb == "x" || verb == "X" {
        let sign = v.sign == .minus ? "-" : flags.plus ? "+" : flags.space ? " " : ""
        let text = goHexFloat(abs(v), precision: precision, upper: verb == "X")
        return padNumber(sign + (flags.sharp ? sharpDigits(text, digits: verb == "x" ? precision ?? 6 : 0, hex: true) : text), flags)
    }
    let spec = "%" + (flags.minus ? "-" : "") + (flags.plus ? "+" : "") + (flags.space ? " " : "") + (flags.zero ? "0" : "") + (flags.sharp ? "#" : "")
        + (flags.width.map(String.init) ?? "") + "." + String(precision ?? 6) + String(cVerb)
    return String(format: spec, v)
}

/// strconv's fmtX: `0x1.8p+01`, normalized (subnormals too), rounded to `precision` hex digits.
func goHexFloat(_ v: Double, precision: Int?, upper: Bool) -> String {
    var exp = v == 0 ? 0 : Int(v.exponentBitPattern == 0 ? 1 : v.exponentBitPattern) - 1023
    var mant = v.significandBitPattern | (v.exponentBitPattern == 0 ? 0 : 1 << 52)
    mant <<= 8
    while mant != 0 && mant & (1 << 60) == 0 {
        mant <<= 1
        exp -= 1
    }
    if let prec = precision, prec < 15 {
        let shift = UInt64(prec * 4)
        let extra = (mant << shift) & (1 << 60 - 1)
        mant >>= 60 - shift
        if extra | (mant & 1) > 1 << 59 { mant += 1 }
        mant <<= 60 - shift
        if mant & (1 << 61) != 0 {
            mant >>= 1
            exp += 1
        }
    }
    let digits = upper ? Array("0123456789ABCDEF") : Array("0123456789abcdef")
    var out = (upper ? "0X" : "0x") + String((mant >> 60) & 1)
    mant <<= 4
    let count = precision ?? (mant == 0 ? 0 : Int.max)
    if count > 0 {
        out += "."
        var n = 0
        while n < count && (precision != nil || mant != 0) {
            out.append(digits[Int((mant >> 60) & 15)])
            mant <<= 4
            n += 1
        }
    }
    let e = abs(exp)
    return out + (upper ? "P" : "p") + (exp < 0 ? "-" : "+") + (e < 10 ? "0" : "") + String(e)
}

/// fmt's `#` for g, v and x: at least `digits` significant digits and always a point (Go counts
/// every character but the point as a digit once a nonzero one was seen, `x` included).
func sharpDigits(_ text: String, digits: Int = 6, hex: Bool = false) -> String {
    var num = Substring(text)
    var tail = ""
    if let e = num.firstIndex(where: { hex ? $0 == "p" || $0 == "P" : $0 == "e" || $0 == "E" }) {
        tail = String(num[e...])
        num = num[..<e]
    }
    let sign = num.first == "-" || num.first == "+" || num.first == " " ? String(num.removeFirst()) : ""
    var digits = digits
    var sawNonzero = false
    for c in num where c != "." {
        if c != "0" { sawNonzero = true }
        if sawNonzero { digits -= 1 }
    }
    var out = String(num)
    if !num.contains(".") {
        if num == "0" { digits -= 1 }
        out += "."
    }
    return sign + out + String(repeating: "0", count: max(0, digits)) + tail
}

/// strconv.CanBackquote: one line, no control characters but tab, no backquote or BOM.
func canBackquote(_ s: String) -> Bool {
    !s.unicodeScalars.contains { ($0.value < 0x20 && $0 != "\t") || $0 == "`" || $0.value == 0x7F || $0.value == 0xFEFF }
}

struct GoFlags {
    /// `sharpV`/`plusV`: `%#v` (Go syntax) and `%+v` (field names), which `v` takes from `#`/`+`.
    var plus = false, minus = false, space = false, zero = false, sharp = false, sharpV = false, plusV = false
    var width: Int? = nil
    var precision: Int? = nil
}

func pad(_ s: String, _ f: GoFlags, zeroAllowed: Bool = true) -> String {
    guard let width = f.width else { return s }
    let n = width - s.unicodeScalars.count
    guard n > 0 else { return s }
    if f.minus { return s + String(repeating: " ", count: n) }
    return String(repeating: zeroAllowed && f.zero ? "0" : " ", count: n) + s
}

/// Zero padding goes between the sign and the digits.
func padNumber(_ s: String, _ f: GoFlags) -> String {
    guard f.zero, !f.minus, let width = f.width, s.count < width else { return pad(s, f) }
    let signed = s.first == "-" || s.first == "+" || s.first == " "
    let sign = signed ? String(s.first!) : ""
    return sign + String(repeating: "0", count: width - s.count) + (signed ? String(s.dropFirst()) : s)
}

/// fmt.Sprintf (Go's doPrintf): flags, width and precision (`*` from an int argument), explicit
/// argument indexes `%[2]d`, and Go's `%!d(string=x)`, MISSING, EXTRA, BADINDEX forms.
func goSprintf(_ format: String, _ args: [TValue]) -> String {
    var out = ""
    let f = Array(format.unicodeScalars)
    let end = f.count
    var i = 0
    var argNum = 0
    var reordered = false
    var goodArgNum = true
    func digit(_ c: Unicode.Scalar) -> Int? { ("0"..."9").contains(c) ? Int(c.value) - 48 : nil }
    /// Go's parsenum: a number past 1e6 swallows the rest of the format.
    func parseNum(upTo limit: Int) -> Int? {
        var n: Int? = nil
        while i < limit, let d = digit(f[i]) {
            if (n ?? 0) > 1_000_000 { i = limit; return nil }
            n = (n ?? 0) * 10 + d
            i += 1
        }
        return n
    }
    func argNumber() -> Bool {
        guard i < end, f[i] == "[" else { return false }
        reordered = true
        guard end - i >= 3, let close = f[(i + 1)...].firstIndex(of: "]") else {
            goodArgNum = false
            i += 1
            return false
        }
        i += 1
        let n = parseNum(upTo: close)
        let ok = n != nil && i == close
        i = close + 1
        if ok, let n, n >= 1, n <= args.count {
            argNum = n - 1
            return true
        }
        goodArgNum = false
        return ok
    }
    func intFromArg() -> Int? {
        guard argNum < args.count else { return nil }
        defer { argNum += 1 }
        guard case .int(let n) = args[argNum], abs(n) <= 1_000_000 else { return nil }
        return n
    }
    while i < end {
        guard f[i] == "%" else { out.unicodeScalars.append(f[i]); i += 1; continue }
        i += 1
        var flags = GoFlags()
        goodArgNum = true
        flagLoop: while i < end {
            switch f[i] {
            case "+": flags.plus = true
            case "-": flags.minus = true; flags.zero = false
            case " ": flags.space = true
            case "0": flags.zero = !flags.minus
            case "#": flags.sharp = true
            default: break flagLoop
            }
            i += 1
        }
        var afterIndex = argNumber()
        if i < end, f[i] == "*" {
            i += 1
            if let w = intFromArg() {
                flags.width = abs(w)
                if w < 0 { flags.minus = true; flags.zero = false }
            } else {
                out += "%!(BADWIDTH)"
            }
            afterIndex = false
        } else if let w = parseNum(upTo: end) {
            flags.width = w
            if afterIndex { goodArgNum = false }
        }
        if i + 1 < end, f[i] == "." {
            i += 1
            if afterIndex { goodArgNum = false }
            afterIndex = argNumber()
            if i < end, f[i] == "*" {
                i += 1
                if let p = intFromArg(), p >= 0 { flags.precision = p } else { out += "%!(BADPREC)" }
                afterIndex = false
            } else {
                flags.precision = parseNum(upTo: end) ?? 0
            }
        }
        if !afterIndex { afterIndex = argNumber() }
        guard i < end else { out += "%!(NOVERB)"; break }
        let verb = Character(f[i])
        i += 1
        if verb == "%" { out += "%"; continue }
        guard goodArgNum else { out += "%!\(verb)(BADINDEX)"; continue }
        guard argNum < args.count else { out += "%!\(verb)(MISSING)"; continue }
        if verb == "v" {
            (flags.sharpV, flags.sharp, flags.plusV, flags.plus) = (flags.sharp, false, flags.plus, false)
        }
        out += goFormatValue(args[argNum], verb, flags)
        argNum += 1
    }
    if !reordered && argNum < args.count {
        out += "%!(EXTRA " + args[argNum...].map { "\($0.goType)=\(goPrint($0))" }.joined(separator: ", ") + ")"
    }
    return out
}

func goFormatValue(_ arg: TValue, _ verb: Character, _ flags: GoFlags) -> String {
    // Go prints a mismatched argument as `v` under the same flags: `%.2f` of 3 is `%!f(int=03)`.
    var bad: String { "%!\(verb)(\(arg.goType)=\(goFormatValue(arg, "v", flags)))" }
    func truncated(_ s: String) -> String { flags.precision.map { String(String.UnicodeScalarView(s.unicodeScalars.prefix($0))) } ?? s }
    if verb == "T" { return pad(truncated(arg.goType), flags) }
    switch arg {
    case .none: return verb == "v" ? pad("<nil>", flags) : "%!\(verb)(<nil>)"
    case .bool(let b): return verb == "t" || verb == "v" ? pad(b ? "true" : "false", flags) : bad
    case .string(let s):
        switch verb {
        case "v" where flags.sharpV: return pad(strconvQuote(truncated(s)), flags)
        case "s", "v": return pad(truncated(s), flags)
        case "q":
            let shown = truncated(s)
            return pad(flags.sharp && canBackquote(shown) ? "`" + shown + "`" : strconvQuote(shown, asciiOnly: flags.plus), flags)
        case "x", "X":
            // The precision counts bytes; with a space each byte stands alone (and takes the 0x).
            let prefix = flags.sharp ? (verb == "X" ? "0X" : "0x") : ""
            let hex = s.utf8.prefix(flags.precision ?? .max).map { (flags.space ? prefix : "") + ($0 < 16 ? "0" : "") + String($0, radix: 16, uppercase: verb == "X") }
            if hex.isEmpty { return pad("", flags) }
            return pad((flags.space ? "" : prefix) + hex.joined(separator: flags.space ? " " : ""), flags)
        default: return bad
        }
    case .int(let n):
        // Go prints an invalid code point as U+FFFD.
        let rune = (0...0x10FFFF).contains(n) ? Unicode.Scalar(UInt32(n)) ?? "\u{FFFD}" : "\u{FFFD}"
        let radix: Int
        switch verb {
        case "d", "v": radix = 10
        case "x", "X": radix = 16
        case "o", "O": radix = 8
        case "b": radix = 2
        case "U":
            let hex = String(n, radix: 16, uppercase: true)
            return pad("U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex, flags)
        case "c": return pad(String(rune), flags)
        case "q": return pad(strconvQuote(String(rune), quote: "'", asciiOnly: flags.plus), flags)
        default: return bad
        }
        var digits = String(n.magnitude, radix: radix, uppercase: verb == "X")
        if let p = flags.precision {
            if p == 0 && n == 0 { digits = "" }
            digits = String(repeating: "0", count: max(0, p - digits.count)) + digits
        }
        var prefix = ""
        if flags.sharp { prefix = radix == 16 ? (verb == "X" ? "0X" : "0x") : radix == 8 && !digits.hasPrefix("0") ? "0" : radix == 2 ? "0b" : "" }
        if verb == "O" { prefix = "0o" }
        let sign = n < 0 ? "-" : flags.plus ? "+" : flags.space ? " " : ""
        var noZero = flags
        if flags.precision != nil { noZero.zero = false }
        if noZero.zero, !flags.minus, let width = flags.width {
            digits = String(repeating: "0", count: max(0, width - sign.count - prefix.count - digits.count)) + digits
        }
        return pad(sign + prefix + digits, noZero)
    case .float(let v):
        switch verb {
        case "v", "g", "G", "e", "E", "f", "F", "x", "X": return goFormatFloat(v, verb, precision: flags.precision, flags: flags)
        case "b" where v.isFinite:
            // strconv 'b': the integer mantissa and a binary exponent.
            let subnormal = v.exponentBitPattern == 0
            let mantissa = v.significandBitPattern | (subnormal ? 0 : 1 << 52)
            let exp = subnormal ? -1074 : Int(v.exponentBitPattern) - 1075
            return pad((v.sign == .minus ? "-" : flags.plus ? "+" : flags.space ? " " : "") + "\(mantissa)p" + (exp < 0 ? "-" : "+") + String(abs(exp)), flags)
        default: return bad
        }
    case .map(let m) where flags.sharpV:
        let entries = m.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }.map { strconvQuote($0.key) + ":" + strconvQuote($0.value) }
        return pad("map[string]string{" + entries.joined(separator: ", ") + "}", flags)
    case .map(let m):
        return pad(goMapString(m) { goFormatValue(.string($0), verb, GoFlags()) }, flags)
    case .data(let d) where flags.sharpV || flags.plusV:
        let fields: [(String, TValue)] = [("Labels", .map(d.labels)), ("ExternalLabels", .map(d.externalLabels)), ("ExternalURL", .string(d.externalURL)), ("Value", .float(d.value))]
        let body = fields.map { "\($0.0):" + goFormatValue($0.1, "v", GoFlags(sharpV: flags.sharpV)) }.joined(separator: flags.sharpV ? ", " : " ")
        return pad((flags.sharpV ? arg.goType : "") + "{" + body + "}", flags)
    case .data:
        return verb == "v" || verb == "s" ? pad(goPrint(arg), flags) : bad
    }
}

// MARK: - Strings, regular expressions, time

/// net.SplitHostPort's host, or nil when it is not host:port.
func goSplitHost(_ hostPort: String) -> String? {
    let b = Array(hostPort.utf8)
    guard let colon = b.lastIndex(of: UInt8(ascii: ":")) else { return nil }
    var host: ArraySlice<UInt8>
    var (j, k) = (0, 0)
    if b.first == UInt8(ascii: "[") {
        guard let end = b.firstIndex(of: UInt8(ascii: "]")), end + 1 == colon else { return nil }
        host = b[1..<end]
        (j, k) = (1, end + 1)
    } else {
        host = b[..<colon]
        if host.contains(UInt8(ascii: ":")) { return nil }
    }
    if b[j...].contains(UInt8(ascii: "[")) || b[k...].contains(UInt8(ascii: "]")) { return nil }
    return String(decoding: host, as: UTF8.self)
}

/// A compiled Go regexp, or Go's "error parsing regexp" message.
func goRegex(_ pattern: String) -> Result<GoRegex, TFuncError> {
    do throws(GoRegex.Failure) {
        return .success(try GoRegex(pattern))
    } catch {
        return .failure(TFuncError(message: "error parsing regexp: \(error.code): `\(error.text)`"))
    }
}

/// Regexp.ReplaceAllString: `$1`/`${name}` expansion, and no empty match right after a match.
func goReplaceAll(_ re: GoRegex, in text: String, with template: String) -> String {
    let input = Array(text.unicodeScalars)
    func slice(_ from: Int, _ to: Int) -> String { String(String.UnicodeScalarView(input[from..<to])) }
    var out = ""
    var (lastMatchEnd, searchPos) = (0, 0)
    while searchPos <= input.count, let m = re.search(input, from: searchPos) {
        out += slice(lastMatchEnd, m[0])
        if m[1] > lastMatchEnd || m[0] == 0 {
            out += goExpand(template) { number, name in
                guard let g = number.map({ [$0] }) ?? re.names[name], let hit = g.first(where: { $0 <= re.groups && m[2 * $0] >= 0 }) else { return nil }
                return Substring(slice(m[2 * hit], m[2 * hit + 1]))
            }
        }
        lastMatchEnd = m[1]
        searchPos = max(searchPos + 1, m[1])
    }
    return out + slice(lastMatchEnd, input.count)
}

/// Go's time.Time.String() in UTC: `2023-01-02 03:04:05.678 +0000 UTC`, fraction trimmed.
func goTimeString(milliseconds ms: Int64) -> String {
    let (secs, millis) = (ms.quotientFloorDiv(1000), ms - ms.quotientFloorDiv(1000) * 1000)
    let days = secs.quotientFloorDiv(86400)
    let rem = secs - days * 86400
    // Howard Hinnant's civil-from-days.
    let z = days + 719_468
    let era = z.quotientFloorDiv(146_097)
    let doe = z - era * 146_097
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    let mp = (5 * doy + 2) / 153
    let day = doy - (153 * mp + 2) / 5 + 1
    let month = mp < 10 ? mp + 3 : mp - 9
    let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
    func two(_ n: Int64) -> String { n < 10 ? "0\(n)" : "\(n)" }
    var fraction = ""
    if millis != 0 {
        fraction = "." + String(String(millis + 1000).dropFirst())
        while fraction.hasSuffix("0") { fraction.removeLast() }
    }
    let yearText = year >= 0 && year < 1000 ? String(String(year + 10000).dropFirst()) : String(year)
    return "\(yearText)-\(two(month))-\(two(day)) \(two(rem / 3600)):\(two(rem / 60 % 60)):\(two(rem % 60))\(fraction) +0000 UTC"
}

extension Int64 {
    func quotientFloorDiv(_ d: Int64) -> Int64 {
        let q = self / d
        return (self % d != 0 && (self < 0) != (d < 0)) ? q - 1 : q
    }
}
