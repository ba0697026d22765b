// The series notation of promqltest and promtool rule tests:
//
//     metric{label="value"} 0+10x100 _ 1x3 _x2 stale -5-1x3 +Inf NaN
//
// `a+bxn` expands to the n+1 values a, a+b, …, a+n·b (by repeated addition, as Prometheus);
// `axn` to n+1 copies of a; `_` is a missing sample, `_xn` n missing samples; `stale` is a
// staleness marker. Numbers are decimal (no hex: `0x10` means "0, ten more times"), `Inf` and
// `NaN` in any case, with an optional sign.

import ScopeCore

/// A parsed series description: labels (the metric name as `__name__`) and one value per
/// step (nil where a sample is missing).
public struct SeriesDescription: Sendable, Equatable {
    public var labels: Labels
    public var values: [Double?]

    public init(labels: Labels, values: [Double?]) {
        self.labels = labels
        self.values = values
    }

    public static func == (a: Self, b: Self) -> Bool {
        a.labels == b.labels && a.values.count == b.values.count
            && zip(a.values, b.values).allSatisfy { $0?.bitPattern == $1?.bitPattern }
    }

    /// Parses `metric{l="v"} values…`. Errors carry the column (1-based) within `line`.
    public static func parse(_ line: String) throws(SeriesNotationError) -> SeriesDescription {
        let (labels, rest) = try parseLabels(line)
        var values: [Double?] = []
        var column = rest.column
        for item in rest.text.split(whereSeparator: { $0 == " " || $0 == "\t" }) {
            let offset = rest.text.distance(from: rest.text.startIndex, to: item.startIndex)
            column = rest.column + offset
            do {
                values += try parseItem(item)
            } catch let message {
                throw SeriesNotationError(column: column, message: message.message)
            }
        }
        return SeriesDescription(labels: labels, values: values)
    }

    /// Just the label part (`metric{…}` or `{…}`), and the text after it.
    public static func parseLabels(_ line: String) throws(SeriesNotationError) -> (Labels, rest: (text: Substring, column: Int)) {
        let u = Array(line.utf8)
        var i = 0
        while i < u.count, u[i] == 0x20 || u[i] == 0x09 { i += 1 }
        let start = i
        if i < u.count, Lexer.isAlpha(u[i]) || u[i] == UInt8(ascii: ":") {
            while i < u.count, Lexer.isAlphaNumeric(u[i]) || u[i] == UInt8(ascii: ":") { i += 1 }
        }
        var hasBraces = false
        if i < u.count, u[i] == UInt8(ascii: "{") {
            hasBraces = true
            let brace = i
            var quote: UInt8? = nil
            i += 1
            while i < u.count {
                let b = u[i]
                if let q = quote {
                    if b == UInt8(ascii: "\\") && q != UInt8(ascii: "`") { i += 2; continue }
                    if b == q { quote = nil }
                } else if b == UInt8(ascii: "\"") || b == UInt8(ascii: "'") || b == UInt8(ascii: "`") {
                    quote = b
                } else if b == UInt8(ascii: "}") {
                    break
                }
                i += 1
            }
            guard i < u.count else { throw SeriesNotationError(column: brace + 1, message: "unclosed '{' in series description") }
            i += 1
        }
        guard i > start else { throw SeriesNotationError(column: start + 1, message: "expected a metric name or '{' in series description") }
        let head = String(decoding: u[start..<i], as: UTF8.self)
        let rest = Substring(String(decoding: u[i...], as: UTF8.self))
        if i < u.count, u[i] != 0x20 && u[i] != 0x09 {
            throw SeriesNotationError(column: i + 1, message: "expected whitespace after the series labels")
        }

        var pairs: [Label] = []
        let tokens: [Token]
        do {
            tokens = try PromQL.tokenize(head).filter { $0.kind != .comment }
        } catch {
            throw SeriesNotationError(column: start + error.position.column, message: error.message)
        }
        var k = 0
        func tokenError(_ t: Token, _ what: String) -> SeriesNotationError {
            SeriesNotationError(column: start + SourcePosition.of(offset: t.range.lowerBound, in: head).column,
                                message: "unexpected \(t.errorDescription) in series description, expected \(what)")
        }
        if !hasBraces || tokens.first?.kind != .leftBrace {
            // The metric name (any word: `sum`, `by`, `nan` are metric names here).
            let t = tokens[k]
            pairs.append(Label("__name__", t.text))
            k += 1
        }
        if hasBraces {
            guard tokens[k].kind == .leftBrace else { throw tokenError(tokens[k], "'{'") }
            k += 1
            while tokens[k].kind != .rightBrace {
                let name = tokens[k]
                guard name.kind == .identifier else { throw tokenError(name, "a label name") }
                guard tokens[k + 1].kind == .assign else { throw tokenError(tokens[k + 1], "'='") }
                let value = tokens[k + 2]
                guard value.kind == .string, let text = value.stringValue else { throw tokenError(value, "a quoted label value") }
                pairs.append(Label(name.text, text))
                k += 3
                if tokens[k].kind == .comma {
                    k += 1
                } else if tokens[k].kind != .rightBrace {
                    throw tokenError(tokens[k], "',' or '}'")
                }
            }
        }
        // An empty value is no label at all, as everywhere in Prometheus.
        let labels = Labels(pairs.filter { !$0.value.isEmpty })
        return (labels, (rest, i + 1))
    }

    private struct ItemError: Error {
        let message: String
    }

    /// One whitespace-separated item of the values part.
    private static func parseItem(_ item: Substring) throws(ItemError) -> [Double?] {
        if item == "_" { return [nil] }
        if item.hasPrefix("_x") {
            guard let n = Int(item.dropFirst(2)), n >= 0 else { throw ItemError(message: "bad repetition in \(goQuote(String(item)))") }
            return Array(repeating: nil, count: n)
        }
        if item == "stale" { return [Double.staleMarker] }
        let u = Array(item.utf8)
        var i = 0
        guard let value = scanNumber(u, &i) else { throw ItemError(message: "bad value \(goQuote(String(item)))") }
        if i == u.count { return [value] }
        var delta = 0.0
        if u[i] == UInt8(ascii: "+") || u[i] == UInt8(ascii: "-") {
            guard let d = scanNumber(u, &i) else { throw ItemError(message: "bad increment in \(goQuote(String(item)))") }
            delta = d
        }
        guard i < u.count, u[i] == UInt8(ascii: "x"),
              let n = Int(String(decoding: u[(i + 1)...], as: UTF8.self)), n >= 0 else {
            throw ItemError(message: "bad value \(goQuote(String(item))): expected <value>, <value>x<n> or <value>±<delta>x<n>")
        }
        guard n < 10_000_000 else { throw ItemError(message: "repetition \(n) in \(goQuote(String(item))) is too large") }
        var out: [Double?] = []
        out.reserveCapacity(n + 1)
        var v = value
        for _ in 0...n {
            out.append(v)
            v += delta
        }
        return out
    }

    /// A signed decimal number, `Inf` or `NaN` at `i`; advances `i` past it.
    private static func scanNumber(_ u: [UInt8], _ i: inout Int) -> Double? {
        let start = i
        var j = i
        if j < u.count, u[j] == UInt8(ascii: "+") || u[j] == UInt8(ascii: "-") { j += 1 }
        let bodyStart = j
        func lower(_ k: Int) -> UInt8 { k < u.count ? u[k] | 0x20 : 0 }
        if lower(j) == UInt8(ascii: "i") && lower(j + 1) == UInt8(ascii: "n") && lower(j + 2) == UInt8(ascii: "f") {
            j += 3
        } else if lower(j) == UInt8(ascii: "n") && lower(j + 1) == UInt8(ascii: "a") && lower(j + 2) == UInt8(ascii: "n") {
            j += 3
        } else {
            var digits = 0
            while j < u.count, Lexer.isDigit(u[j]) { j += 1; digits += 1 }
            if j < u.count, u[j] == UInt8(ascii: ".") {
                j += 1
                while j < u.count, Lexer.isDigit(u[j]) { j += 1; digits += 1 }
            }
            guard digits > 0 else { return nil }
            if j < u.count, u[j] == UInt8(ascii: "e") || u[j] == UInt8(ascii: "E") {
                var k = j + 1
                if k < u.count, u[k] == UInt8(ascii: "+") || u[k] == UInt8(ascii: "-") { k += 1 }
                var expDigits = 0
                while k < u.count, Lexer.isDigit(u[k]) { k += 1; expDigits += 1 }
                if expDigits > 0 { j = k }
            }
        }
        guard j > bodyStart else { return nil }
        let text = String(decoding: u[start..<j], as: UTF8.self)
        guard case .success(let v) = goParseFloat(text) else { return nil }
        i = j
        return v
    }
}

/// A malformed series description: the 1-based column in the line and what is wrong.
public struct SeriesNotationError: Error, Sendable, Equatable {
    public var column: Int
    public var message: String
}
