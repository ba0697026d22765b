// The functions alerting templates can call, with the output of Prometheus 2.42 (Go's fmt,
// strconv, strings and regexp conventions), and Go's %v printing of template values.
import Foundation
import PromQL

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

func applyTemplateFunction(_ name: String, _ a: [TValue], data: TemplateData) throws(TFuncError) -> TValue {
    func fail(_ message: String) -> TFuncError { TFuncError(message: "error calling \(name): \(message)") }
    func str(_ i: Int) -> String { if case .string(let s) = a[i] { s } else { "" } }
    func number() throws(TFuncError) -> Double {
        switch a[0] {
        case .float(let v): return v
        case .int(let v): return Double(v)
        case .string(let s):
            guard let v = goParseFloat(s) else { throw fail("strconv.ParseFloat: parsing \(goQuote(s)): invalid syntax") }
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
            let separator = c.isASCII || previous.isASCII
                ? previous.isASCII && !(previous.properties.isAlphabetic || ("0"..."9").contains(previous) || previous == "_")
                : !(previous.properties.isAlphabetic || previous.properties.numericType == .decimal) && previous.properties.isWhitespace
            out.append(separator ? simpleCase(c, c.properties.titlecaseMapping) : c)
            previous = c
        }
        return .string(String(out))
    case "toUpper": return .string(String(String.UnicodeScalarView(str(0).unicodeScalars.map { simpleCase($0, $0.properties.uppercaseMapping) })))
    case "toLower": return .string(String(String.UnicodeScalarView(str(0).unicodeScalars.map { simpleCase($0, $0.properties.lowercaseMapping) })))
    case "stripPort": return .string(goSplitHost(str(0)) ?? str(0))
    case "match":
        switch goRegex(str(0)) {
        case .success(let re): return .bool((try? re.firstMatch(in: str(1))) != nil)
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
    case (.string(let a), .string(let b)): return a.utf8.lexicographicallyPrecedes(b.utf8) ? .orderedAscending : a == b ? .orderedSame : .orderedDescending
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

/// strconv.ParseFloat for decimal text, inf/infinity and nan (any case, optional sign).
func goParseFloat(_ text: String) -> Double? {
    var body = Substring(text)
    let sign: Double = body.first == "-" ? -1 : 1
    if body.first == "+" || body.first == "-" { body = body.dropFirst() }
    switch body.lowercased() {
    case "inf", "infinity": return sign * .infinity
    case "nan": return .nan
    default: break
    }
    guard let first = body.first, first.isASCII, first.isNumber || first == ".",
          body.allSatisfy({ $0.isASCII && ($0.isNumber || "._eE+-xXpPabcdefABCDEF".contains($0)) }),
          let v = Double(body.replacingOccurrences(of: "_", with: "")), v.isFinite else { return nil }
    return sign * v
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
        if v.sign == .plus { text = (flags.plus ? "+" : flags.space ? " " : "") + text }
        return padNumber(text, flags)
    }
    if verb == "x" || verb == "X" {
        // C's %a writes `0x1.cp+1`; Go pads the exponent to two digits.
        let spec = "%" + (flags.plus ? "+" : flags.space ? " " : "") + (flags.sharp ? "#" : "") + (flags.precision.map { ".\($0)" } ?? "") + (verb == "x" ? "a" : "A")
        var text = String(format: spec, v)
        if let p = text.lastIndex(where: { $0 == "p" || $0 == "P" }), text[text.index(after: p)...].count == 2 {
            text.insert("0", at: text.index(p, offsetBy: 2))
        }
        return padNumber(text, flags)
    }
    let spec = "%" + (flags.minus ? "-" : "") + (flags.plus ? "+" : "") + (flags.space ? " " : "") + (flags.zero ? "0" : "") + (flags.sharp ? "#" : "")
        + (flags.width.map(String.init) ?? "") + "." + String(precision ?? 6) + String(cVerb)
    return String(format: spec, v)
}

struct GoFlags {
    var plus = false, minus = false, space = false, zero = false, sharp = false
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

/// fmt.Sprintf for the verbs templates use; mismatches print Go's `%!d(string=x)` forms.
func goSprintf(_ format: String, _ args: [TValue]) -> String {
    var out = ""
    let f = Array(format.unicodeScalars)
    var i = 0
    var next = 0
    func intArg() -> Int? {
        guard next < args.count, case .int(let n) = args[next] else { return nil }
        next += 1
        return n
    }
    while i < f.count {
        guard f[i] == "%" else { out.unicodeScalars.append(f[i]); i += 1; continue }
        i += 1
        var flags = GoFlags()
        flagLoop: while i < f.count {
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
        func number() -> Int? {
            if i < f.count, f[i] == "*" { i += 1; return intArg() ?? 0 }
            var n: Int? = nil
            while i < f.count, let d = Int(String(f[i])), f[i].isASCII { n = (n ?? 0) * 10 + d; i += 1 }
            return n
        }
        flags.width = number()
        if i < f.count, f[i] == "." {
            i += 1
            flags.precision = number() ?? 0
        }
        guard i < f.count else { out += "%!(NOVERB)"; break }
        let verb = Character(f[i])
        i += 1
        if verb == "%" { out += "%"; continue }
        guard next < args.count else { out += "%!\(verb)(MISSING)"; continue }
        out += goFormatValue(args[next], verb, flags)
        next += 1
    }
    if next < args.count {
        out += "%!(EXTRA " + args[next...].map { "\($0.goType)=\(goPrint($0))" }.joined(separator: ", ") + ")"
    }
    return out
}

func goFormatValue(_ arg: TValue, _ verb: Character, _ flags: GoFlags) -> String {
    var flags = flags
    // `%+v` asks for field names, not a sign.
    if verb == "v" && flags.plus { flags.plus = false }
    // Go prints a mismatched argument with %v under the same flags: `%.2f` of 3 is `%!f(int=03)`.
    var bad: String { "%!\(verb)(\(arg.goType)=\(goFormatValue(arg, "v", flags)))" }
    if verb == "T" { return pad(arg.goType, flags) }
    switch arg {
    case .none: return verb == "v" ? pad("<nil>", flags) : "%!\(verb)(<nil>)"
    case .bool(let b): return verb == "t" || verb == "v" ? pad(b ? "true" : "false", flags) : bad
    case .string(let s):
        switch verb {
        case "s", "v":
            let shown = flags.precision.map { String(String.UnicodeScalarView(s.unicodeScalars.prefix($0))) } ?? s
            return pad(shown, flags)
        case "q": return pad(goQuote(s), flags)
        case "x", "X":
            let hex = s.utf8.map { String(repeating: "0", count: $0 < 16 ? 1 : 0) + String($0, radix: 16, uppercase: verb == "X") }
            return pad((flags.sharp ? (verb == "X" ? "0X" : "0x") : "") + hex.joined(separator: flags.space ? " " : ""), flags)
        default: return bad
        }
    case .int(let n):
        let radix: Int
        switch verb {
        case "d", "v": radix = 10
        case "x", "X": radix = 16
        case "o", "O": radix = 8
        case "b": radix = 2
        case "U":
            let hex = String(n, radix: 16, uppercase: true)
            return pad("U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex, flags)
        case "c": return pad(Unicode.Scalar(UInt32(clamping: n)).map { String($0) } ?? "\u{FFFD}", flags)
        case "q": return pad(Unicode.Scalar(UInt32(clamping: n)).map { "'" + String(goQuote(String($0)).dropFirst().dropLast()) + "'" } ?? "'\u{FFFD}'", flags)
        default: return bad
        }
        var digits = String(n.magnitude, radix: radix, uppercase: verb == "X")
        if let p = flags.precision {
            if p == 0 && n == 0 { digits = "" }
            digits = String(repeating: "0", count: max(0, p - digits.count)) + digits
        }
        var prefix = ""
        if flags.sharp { prefix = radix == 16 ? (verb == "X" ? "0X" : "0x") : radix == 8 ? "0" : radix == 2 ? "0b" : "" }
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
            return pad((v.sign == .minus ? "-" : flags.plus ? "+" : "") + "\(mantissa)p" + (exp < 0 ? "-" : "+") + String(abs(exp)), flags)
        default: return bad
        }
    case .map(let m):
        return pad(goMapString(m) { goFormatValue(.string($0), verb, GoFlags()) }, flags)
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

/// A Go regexp for Swift's engine, or Go's "error parsing regexp" message.
func goRegex(_ pattern: String) -> Result<Regex<AnyRegexOutput>, TFuncError> {
    do throws(GoRegexSyntax.Failure) {
        let translated = try GoRegexSyntax.translate(pattern)
        // Matching runs on scalars, as Go's runs on runes; `\b` is ASCII like Go's `\w`.
        guard let re = try? Regex(translated) else {
            return .failure(TFuncError(message: "error parsing regexp: unsupported pattern: `\(pattern)`"))
        }
        return .success(re.matchingSemantics(.unicodeScalar).wordBoundaryKind(.simple).asciiOnlyWordCharacters())
    } catch {
        return .failure(TFuncError(message: "error parsing regexp: \(error.code): `\(error.text)`"))
    }
}

/// Regexp.ReplaceAllString: `$1`/`${name}` expansion, and no empty match right after a match.
func goReplaceAll(_ re: Regex<AnyRegexOutput>, in text: String, with template: String) -> String {
    var out = ""
    var last = text.startIndex
    var previousEnd: String.Index? = nil
    for match in text.matches(of: re) {
        let range = match.range
        if range.isEmpty, range.lowerBound == previousEnd { continue }
        out += text[last..<range.lowerBound]
        out += goExpand(template) { number, name in
            if let number { return number < match.output.count ? match.output[number].substring : nil }
            return match.output[name]?.substring
        }
        last = range.upperBound
        previousEnd = range.upperBound
    }
    return out + text[last...]
}

/// Regexp.Expand's template language: a name is the longest run of letters, digits and `_`
/// (`$1x` is the group named `1x`, usually empty); `$$` is `$`; a malformed `$` stays.
func goExpand(_ template: String, group: (_ number: Int?, _ name: String) -> Substring?) -> String {
    var out = ""
    var rest = Substring(template)
    while let dollar = rest.firstIndex(of: "$") {
        out += rest[..<dollar]
        rest = rest[rest.index(after: dollar)...]
        if rest.first == "$" { out += "$"; rest = rest.dropFirst(); continue }
        let braced = rest.first == "{"
        let body = braced ? rest.dropFirst() : rest
        let name = body.prefix { $0.isLetter || $0.isNumber || $0 == "_" }
        var after = body[name.endIndex...]
        if name.isEmpty || (braced && after.first != "}") { out += "$"; continue }
        if braced { after = after.dropFirst() }
        rest = after
        let number = name.allSatisfy({ $0.isASCII && $0.isNumber }) ? Int(name) : nil
        if let text = group(number, String(name)) { out += text }
    }
    return out + rest
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

// MARK: - RE2 syntax

/// Go's regexp syntax (RE2, Perl flags) checked with Go's error messages and rewritten for
/// Swift's Regex with every construct spelled out, because the engines disagree on the short
/// forms (Unicode `\d`/`\w`/`\s`, `$` before a final newline, `.` and line separators) and Swift
/// accepts what RE2 refuses (backreferences, lookaround, possessive and atomic forms).
struct GoRegexSyntax {
    struct Failure: Error { var code: String; var text: String }
    struct Flags { var i = false, m = false, s = false, ungreedy = false }

    let p: [Unicode.Scalar]
    var i = 0
    var out = ""

    static func translate(_ pattern: String) throws(Failure) -> String {
        var syntax = GoRegexSyntax(p: Array(pattern.unicodeScalars))
        try syntax.parse()
        return syntax.out
    }

    func text(_ from: Int, _ to: Int) -> String { String(String.UnicodeScalarView(p[from..<min(to, p.count)])) }
    func at(_ k: Int) -> Unicode.Scalar? { k < p.count ? p[k] : nil }
    static func hex(_ v: UInt32) -> String { "\\x{" + String(v, radix: 16) + "}" }
    static func isWord(_ c: Unicode.Scalar) -> Bool { c.isASCII && (c == "_" || c.properties.isAlphabetic || ("0"..."9").contains(c)) }

    static let perlClasses: [Unicode.Scalar: [ClosedRange<UInt32>]] = [
        "d": [0x30...0x39], "s": [0x09...0x0A, 0x0C...0x0D, 0x20...0x20], "w": [0x30...0x39, 0x41...0x5A, 0x5F...0x5F, 0x61...0x7A],
    ]
    static let posixClasses: [String: [ClosedRange<UInt32>]] = [
        "alnum": [0x30...0x39, 0x41...0x5A, 0x61...0x7A], "alpha": [0x41...0x5A, 0x61...0x7A], "ascii": [0...0x7F],
        "blank": [0x09...0x09, 0x20...0x20], "cntrl": [0...0x1F, 0x7F...0x7F], "digit": [0x30...0x39], "graph": [0x21...0x7E],
        "lower": [0x61...0x7A], "print": [0x20...0x7E], "punct": [0x21...0x2F, 0x3A...0x40, 0x5B...0x60, 0x7B...0x7E],
        "space": [0x09...0x0D, 0x20...0x20], "upper": [0x41...0x5A], "word": [0x30...0x39, 0x41...0x5A, 0x5F...0x5F, 0x61...0x7A],
        "xdigit": [0x30...0x39, 0x41...0x46, 0x61...0x66],
    ]

    static func complement(_ ranges: [ClosedRange<UInt32>]) -> [ClosedRange<UInt32>] {
        var out: [ClosedRange<UInt32>] = []
        var next: UInt32 = 0
        for r in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if r.lowerBound > next { out.append(next...(r.lowerBound - 1)) }
            next = max(next, r.upperBound + 1)
        }
        if next <= 0x10FFFF { out.append(next...0x10FFFF) }
        return out
    }

    static func classText(_ ranges: [ClosedRange<UInt32>]) -> String {
        ranges.map { $0.count == 1 ? hex($0.lowerBound) : hex($0.lowerBound) + "-" + hex($0.upperBound) }.joined()
    }

    mutating func parse() throws(Failure) {
        var stack = [Flags()]
        // Whether something repeatable precedes (not the start, `(` or `|`), and where the last
        // repetition operator began (RE2 refuses `a**`, `a++`).
        var operand = false
        var lastRepeat: Int? = nil
        while i < p.count {
            let start = i
            let c = p[i]
            var repeatStart: Int? = nil
            switch c {
            case "(":
                var flags = stack.last!
                if at(i + 1) == "?" {
                    if at(i + 2) == "P", at(i + 3) == "<" {
                        guard let close = p[(i + 4)...].firstIndex(of: ">") else { throw Failure(code: "invalid named capture", text: text(i, p.count)) }
                        let name = text(i + 4, close)
                        guard !name.isEmpty, name.unicodeScalars.allSatisfy(Self.isWord) else { throw Failure(code: "invalid named capture", text: text(i, close + 1)) }
                        out += "(?<\(name)>"
                        i = close + 1
                    } else {
                        var k = i + 2
                        var negate = false
                        var sawFlag = false
                        parseFlags: while true {
                            guard let f = at(k) else { throw Failure(code: "missing closing )", text: text(0, p.count)) }
                            switch f {
                            case "i": flags.i = !negate
                            case "m": flags.m = !negate
                            case "s": flags.s = !negate
                            case "U": flags.ungreedy = !negate
                            case "-" where !negate: negate = true; sawFlag = false; k += 1; continue parseFlags
                            case ":" where !negate || sawFlag, ")" where !negate || sawFlag: break parseFlags
                            default: throw Failure(code: "invalid or unsupported Perl syntax", text: text(i, k + 1))
                            }
                            sawFlag = true
                            k += 1
                        }
                        let caseOption = flags.i ? "(?i" : "(?-i"
                        if p[k] == ")" {
                            // Flags for the rest of the enclosing group.
                            stack[stack.count - 1] = flags
                            out += caseOption + ")"
                            i = k + 1
                            continue
                        }
                        out += caseOption + ":"
                        i = k + 1
                    }
                } else {
                    out += "("
                    i += 1
                }
                stack.append(flags)
                operand = false
                lastRepeat = nil
                continue
            case ")":
                guard stack.count > 1 else { throw Failure(code: "unexpected )", text: text(0, p.count)) }
                stack.removeLast()
                out += ")"
                i += 1
            case "|":
                out += "|"
                i += 1
                operand = false
                lastRepeat = nil
                continue
            case "^": out += stack.last!.m ? "(?m:^)" : "(?:\\A)"; i += 1
            case "$": out += stack.last!.m ? "(?m:$)" : "(?:\\z)"; i += 1
            case ".": out += stack.last!.s ? "[\\x{0}-\\x{10ffff}]" : "[^\\n]"; i += 1
            case "[": out += try parseClass()
            case "*", "+", "?", "{":
                var end = i + 1
                var bounds = ""
                if c == "{" {
                    guard let (text, count) = repeatBounds(i) else {
                        out += Self.hex(c.value)
                        i += 1
                        break
                    }
                    end = i + count
                    if let invalid = text { throw Failure(code: "invalid repeat count", text: invalid) }
                    bounds = self.text(i, end)
                } else {
                    bounds = String(c)
                }
                var lazy = stack.last!.ungreedy
                if at(end) == "?" { lazy.toggle(); end += 1 }
                if let lastRepeat { throw Failure(code: "invalid nested repetition operator", text: text(lastRepeat, end)) }
                guard operand else { throw Failure(code: "missing argument to repetition operator", text: text(i, end)) }
                out += bounds + (lazy ? "?" : "")
                i = end
                repeatStart = start
            case "\\":
                out += try parseEscape(inClass: false).pattern
            default:
                out += Self.isWord(c) ? String(c) : Self.hex(c.value)
                i += 1
            }
            operand = true
            lastRepeat = repeatStart
        }
        if stack.count > 1 { throw Failure(code: "missing closing )", text: text(0, p.count)) }
    }

    /// `{n}`, `{n,}`, `{n,m}` at `k`: (an error text for counts over 1000 or reversed, length);
    /// nil when it is not a repetition (RE2 then reads `{` literally).
    func repeatBounds(_ k: Int) -> (String?, Int)? {
        var j = k + 1
        func number() -> Int? {
            let begin = j
            while let d = at(j), ("0"..."9").contains(d) { j += 1 }
            return j > begin ? Int(text(begin, j)).map { min($0, 100_000) } : nil
        }
        guard let low = number() else { return nil }
        var high: Int? = low
        if at(j) == "," {
            j += 1
            high = at(j) == "}" ? nil : number()
            if high == nil && at(j) != "}" { return nil }
        }
        guard at(j) == "}" else { return nil }
        j += 1
        let bad = low > 1000 || (high ?? 0) > 1000 || (high.map { $0 < low } ?? false)
        return (bad ? text(k, j) : nil, j - k)
    }

    /// One escape at `i`: a single scalar (for class ranges) or a class pattern.
    mutating func parseEscape(inClass: Bool) throws(Failure) -> (scalar: UInt32?, pattern: String) {
        let start = i
        guard let c = at(i + 1) else { throw Failure(code: "trailing backslash at end of expression", text: "") }
        i += 2
        func bad() -> Failure { Failure(code: "invalid escape sequence", text: text(start, i)) }
        func scalar(_ v: UInt32) -> (UInt32?, String) { (v, Self.hex(v)) }
        switch c {
        case "a": return scalar(7)
        case "f": return scalar(12)
        case "t": return scalar(9)
        case "n": return scalar(10)
        case "r": return scalar(13)
        case "v": return scalar(11)
        case "0"..."7":
            // Octal needs a leading 0 or a second digit: a lone `\1` would be a backreference.
            guard c == "0" || at(i).map({ ("0"..."7").contains($0) }) == true else { throw bad() }
            var v = c.value - 0x30
            for _ in 0..<2 {
                guard let d = at(i), ("0"..."7").contains(d) else { break }
                v = v * 8 + d.value - 0x30
                i += 1
            }
            return scalar(v)
        case "x":
            var digits = ""
            if at(i) == "{" {
                // Go's error text ends at the first character it could not take.
                var v: UInt32 = 0
                i += 1
                while true {
                    guard let d = at(i) else { throw bad() }
                    i += 1
                    if d == "}" && !digits.isEmpty { return scalar(v) }
                    guard let n = d.properties.isASCIIHexDigit ? UInt32(String(d), radix: 16) : nil else { throw bad() }
                    v = v * 16 + n
                    digits.unicodeScalars.append(d)
                    guard v <= 0x10FFFF else { throw bad() }
                }
            } else {
                digits = text(i, i + 2)
                i += 2
            }
            guard !digits.isEmpty, digits.unicodeScalars.allSatisfy({ $0.properties.isASCIIHexDigit }),
                  let v = UInt32(digits, radix: 16), v <= 0x10FFFF else { throw bad() }
            return scalar(v)
        case "d", "s", "w", "D", "S", "W":
            let ranges = Self.perlClasses[Unicode.Scalar(c.value | 0x20)!]!
            let text = Self.classText(c.properties.isUppercase ? Self.complement(ranges) : ranges)
            return (nil, inClass ? text : "[" + text + "]")
        case "p", "P":
            var name = ""
            if at(i) == "{" {
                guard let close = p[i...].firstIndex(of: "}") else { throw Failure(code: "invalid character class range", text: text(start, p.count)) }
                name = text(i + 1, close)
                i = close + 1
            } else if let n = at(i) {
                name = String(n)
                i += 1
            }
            var negate = c == "P"
            if name.hasPrefix("^") { negate.toggle(); name.removeFirst() }
            guard let first = name.unicodeScalars.first, first.properties.isUppercase,
                  name.unicodeScalars.allSatisfy({ Self.isWord($0) }), name == "Any" || (try? Regex("\\p{\(name)}")) != nil
            else { throw Failure(code: "invalid character class range", text: text(start, i)) }
            if name == "Any" { return (nil, negate ? "[^\\x{0}-\\x{10ffff}]" : "[\\x{0}-\\x{10ffff}]") }
            return (nil, (negate ? "\\P{" : "\\p{") + name + "}")
        // Grouped: RE2 lets an assertion be repeated (`^*`), Swift does not.
        case "A" where !inClass, "z" where !inClass, "b" where !inClass, "B" where !inClass: return (nil, "(?:\\" + String(c) + ")")
        case "Q" where !inClass:
            var literal = ""
            while i < p.count, !(p[i] == "\\" && at(i + 1) == "E") {
                literal += Self.isWord(p[i]) ? String(p[i]) : Self.hex(p[i].value)
                i += 1
            }
            if i < p.count { i += 2 }
            return (nil, literal.isEmpty ? "" : "(?:" + literal + ")")
        default:
            guard c.isASCII, !Self.isWord(c) else { throw bad() }
            return scalar(c.value)
        }
    }

    mutating func parseClass() throws(Failure) -> String {
        let start = i
        i += 1
        var negated = false
        if at(i) == "^" { negated = true; i += 1 }
        var body = ""
        var first = true
        while first || at(i) != "]" {
            first = false
            guard let c = at(i) else { throw Failure(code: "missing closing ]", text: text(start, p.count)) }
            if c == "[", at(i + 1) == ":", let close = (i + 2 < p.count ? p[(i + 2)...] : []).firstIndex(where: { $0 == ":" }).flatMap({ at($0 + 1) == "]" ? $0 : nil }) {
                var name = text(i + 2, close)
                let negate = name.hasPrefix("^")
                if negate { name.removeFirst() }
                guard let ranges = Self.posixClasses[name] else { throw Failure(code: "invalid character class range", text: text(i, close + 2)) }
                body += Self.classText(negate ? Self.complement(ranges) : ranges)
                i = close + 2
                continue
            }
            let rangeStart = i
            func single() throws(Failure) -> UInt32? {
                guard let c = at(i) else { throw Failure(code: "missing closing ]", text: text(start, p.count)) }
                if c == "\\" {
                    let (scalar, pattern) = try parseEscape(inClass: true)
                    if scalar == nil { body += pattern }
                    return scalar
                }
                i += 1
                return c.value
            }
            guard let low = try single() else { continue }
            var high = low
            if at(i) == "-", let after = at(i + 1), after != "]" {
                i += 1
                guard let h = try single() else { throw Failure(code: "invalid character class range", text: text(rangeStart, i)) }
                high = h
                if high < low { throw Failure(code: "invalid character class range", text: text(rangeStart, i)) }
            }
            body += Self.classText([low...high])
        }
        i += 1
        // An empty Swift class is a syntax error; these match nothing and everything, as in Go.
        if body.isEmpty { return negated ? "[\\x{0}-\\x{10ffff}]" : "[^\\x{0}-\\x{10ffff}]" }
        return "[" + (negated ? "^" : "") + body + "]"
    }
}
