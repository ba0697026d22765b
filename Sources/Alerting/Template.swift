// Prometheus's annotation/label templates: the subset of Go's text/template that alerting rules
// use, parsed once (so a bad template fails the rule file at its position) and executed per alert.
// Prometheus prefixes every template with `{{$labels := .Labels}}{{$externalLabels :=
// .ExternalLabels}}{{$externalURL := .ExternalURL}}{{$value := .Value}}` and executes with
// missingkey=zero; those four variables are predeclared here instead.

import ScopeCore

public struct TemplateError: Error, Sendable, Equatable, CustomStringConvertible {
    public var line: Int
    public var column: Int
    public var message: String
    public var description: String { "\(line):\(column): \(message)" }
}

public struct TemplateData: Sendable {
    public var labels: [String: String]
    public var value: Double
    public var externalLabels: [String: String]
    public var externalURL: String
    public init(labels: [String: String], value: Double, externalLabels: [String: String] = [:], externalURL: String = "") {
        self.labels = labels
        self.value = value
        self.externalLabels = externalLabels
        self.externalURL = externalURL
    }
}

public struct AlertTemplate: Sendable {
    public let source: String
    let nodes: [TNode]

    /// Parses `source`; a syntax error, an unknown function or a construct this engine does not
    /// run (`range`, `define`, `query`…) is an error at its position.
    public init(_ source: String) throws(TemplateError) {
        self.source = source
        var parser = TParser(source)
        nodes = try parser.parseTemplate()
    }

    /// Renders for one alert. Errors are Go's execution errors (wrong argument types, bad
    /// regular expressions, incomparable values), positioned at the failing command.
    public func render(_ data: TemplateData) throws(TemplateError) -> String {
        var exec = TExecutor(data: data)
        try exec.run(nodes, dot: .data(data))
        return exec.out
    }
}

// MARK: - Values and syntax tree

/// A dynamic value with Go's kinds: number literals are `int` or `float64` as Go types them.
enum TValue {
    case string(String), int(Int), float(Double), bool(Bool), map([String: String]), data(TemplateData), none

    var goType: String {
        switch self {
        case .string: "string"
        case .int: "int"
        case .float: "float64"
        case .bool: "bool"
        case .map: "map[string]string"
        case .data: "struct { Labels map[string]string; ExternalLabels map[string]string; ExternalURL string; Value float64 }"
        case .none: "<nil>"
        }
    }
}

struct TPos: Sendable { var line: Int; var column: Int }

indirect enum TNode: Sendable {
    case text(String)
    case action(TPipe)
    /// `if`/`with`; `else if` nests in `otherwise`.
    case branch(isWith: Bool, TPipe, then: [TNode], otherwise: [TNode])
}

struct TPipe: Sendable {
    var pos: TPos
    var decl: (name: String, isAssign: Bool)?
    var cmds: [TCmd]
}

struct TCmd: Sendable {
    var pos: TPos
    var args: [TOperand]
}

struct TOperand: Sendable {
    enum Kind: Sendable {
        case function(String), dot, variable(String), literal(TLiteral), null, pipe(TPipe)
    }
    var pos: TPos
    var kind: Kind
    var fields: [String] = []
    var text: String  // as written, for messages
}

enum TLiteral: Sendable {
    /// `overflow`: an unsigned literal beyond Int, which Go rejects only when it is used.
    case string(String), int(Int), float(Double), bool(Bool), overflow(String)
    var value: TValue {
        switch self {
        case .string(let s): .string(s)
        case .int(let i): .int(i)
        case .float(let f): .float(f)
        case .bool(let b): .bool(b)
        case .overflow: .none
        }
    }
}

// MARK: - Lexer

struct TToken {
    /// `char`: other ASCII punctuation, which only the parser rejects; `failure`: a lexical
    /// error, reported when the parser reaches it (Go's lexer runs lazily, so an earlier parse
    /// error in the same action wins).
    enum Kind: Equatable { case ident, field, variable, dot, string, number, bool, null, pipe, lparen, rparen, declare, assign, comma, char, failure }
    var kind: Kind
    var text: String
    var literal: TLiteral? = nil
    var offset: Int
    var spaceBefore: Bool
    var failure: TemplateError? = nil
}

enum TItem {
    case text(String)
    case action([TToken], offset: Int)
    /// A lexical error outside actions (comments).
    case failure(TemplateError)
}

let maxTemplateDepth = 50
let templateKeywords: Set<String> = ["if", "else", "end", "with", "range", "define", "template", "block", "break", "continue"]
let maxTemplateOutput = 64 * 1024

struct TParser {
    let s: [Unicode.Scalar]
    var lineStarts: [Int] = [0]
    var items: [TItem] = []
    var next = 0
    var vars: [String] = ["$", "$labels", "$externalLabels", "$externalURL", "$value"]
    var depth = 0

    init(_ source: String) {
        s = Array(source.unicodeScalars)
        for (i, c) in s.enumerated() where c == "\n" { lineStarts.append(i + 1) }
    }

    func pos(_ offset: Int) -> TPos {
        var (line, high) = (0, lineStarts.count - 1)
        while line < high {
            let mid = (line + high + 1) / 2
            if lineStarts[mid] <= offset { line = mid } else { high = mid - 1 }
        }
        return TPos(line: line + 1, column: offset - lineStarts[line] + 1)
    }

    func error(_ message: String, at offset: Int) -> TemplateError {
        let p = pos(offset)
        return TemplateError(line: p.line, column: p.column, message: message)
    }

    /// Go's `%#U`: `U+002D '-'` (without the character when it is not printable).
    static func formatU(_ c: Unicode.Scalar) -> String {
        let hex = String(c.value, radix: 16, uppercase: true)
        return "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex + (goIsPrint(c) ? " '\(c)'" : "")
    }

    static func isSpace(_ c: Unicode.Scalar) -> Bool { c == " " || c == "\t" || c == "\r" || c == "\n" }
    static func isAlnum(_ c: Unicode.Scalar) -> Bool { c == "_" || c.properties.isAlphabetic || c.properties.numericType == .decimal }
    func at(_ i: Int) -> Unicode.Scalar? { i < s.count ? s[i] : nil }
    func has(_ text: String, at i: Int) -> Bool {
        var j = i
        for c in text.unicodeScalars {
            guard at(j) == c else { return false }
            j += 1
        }
        return true
    }

    /// Splits the source into text and actions, applying trim markers and dropping comments.
    mutating func lex() {
        do { try lexItems() } catch { items.append(.failure(error)) }
    }

    mutating func lexItems() throws(TemplateError) {
        var i = 0
        var text = ""
        var trimNext = false
        func flush(trimRight: Bool) {
            var t = Substring(text)
            if trimNext { t = t.drop(while: { $0.unicodeScalars.allSatisfy(Self.isSpace) }) }
            if trimRight { while let last = t.last, last.unicodeScalars.allSatisfy(Self.isSpace) { t = t.dropLast() } }
            if !t.isEmpty { items.append(.text(String(t))) }
            text = ""
        }
        while i < s.count {
            guard has("{{", at: i) else {
                text.unicodeScalars.append(s[i])
                i += 1
                continue
            }
            let start = i
            i += 2
            // `{{-3}}` is the number -3: a trim marker needs the space.
            let trimLeft = at(i) == "-" && at(i + 1).map(Self.isSpace) == true
            if trimLeft { i += 2 }
            flush(trimRight: trimLeft)
            if has("/*", at: i) {
                var j = i + 2
                while j < s.count && !has("*/", at: j) { j += 1 }
                guard j < s.count else { throw error("unclosed comment", at: start) }
                j += 2
                if has(" -}}", at: j) || has("\t-}}", at: j) || has("\n-}}", at: j) || has("\r-}}", at: j) {
                    trimNext = true
                    i = j + 4
                } else if has("}}", at: j) {
                    trimNext = false
                    i = j + 2
                } else {
                    throw error("comment ends before closing delimiter", at: start)
                }
                continue
            }
            let (tokens, end, trim) = lexAction(from: i, start: start)
            items.append(.action(tokens, offset: start))
            guard let end else { return }
            trimNext = trim
            i = end
        }
        flush(trimRight: false)
    }

    /// The tokens of one action, the offset after its `}}` (nil after a lexical error, which
    /// ends the tokens) and whether it ended with ` -}}`.
    func lexAction(from begin: Int, start: Int) -> ([TToken], Int?, Bool) {
        var tokens: [TToken] = []
        do {
            let (end, trim) = try lexTokens(from: begin, start: start, into: &tokens)
            return (tokens, end, trim)
        } catch {
            tokens.append(TToken(kind: .failure, text: "", offset: 0, spaceBefore: true, failure: error))
            return (tokens, nil, false)
        }
    }

    func lexTokens(from begin: Int, start: Int, into tokens: inout [TToken]) throws(TemplateError) -> (Int, Bool) {
        var i = begin
        var space = true
        var parens = 0
        while true {
            guard let c = at(i) else { throw error("unclosed action", at: start) }
            let trimmed = Self.isSpace(c) && has("-}}", at: i + 1)
            if trimmed || has("}}", at: i) {
                if parens > 0 { throw error("unclosed left paren", at: i) }
                return trimmed ? (i + 4, true) : (i + 2, false)
            }
            if Self.isSpace(c) {
                space = true
                i += 1
                continue
            }
            let begin = i
            var kind: TToken.Kind
            var literal: TLiteral? = nil
            switch c {
            case "\"", "`", "'":
                let (value, end) = try lexQuoted(i)
                i = end
                if c == "'" {
                    guard value.unicodeScalars.count == 1 else { throw error("malformed character constant: \(String(String.UnicodeScalarView(s[begin..<i])))", at: begin) }
                    kind = .number
                    literal = .int(Int(value.unicodeScalars.first!.value))
                } else {
                    kind = .string
                    literal = .string(value)
                }
            case "$":
                i += 1
                while let d = at(i), Self.isAlnum(d) { i += 1 }
                kind = .variable
            case ".":
                if let d = at(i + 1), d.properties.numericType == .decimal {
                    (literal, i) = try lexNumber(i)
                    kind = .number
                } else {
                    i += 1
                    while let d = at(i), Self.isAlnum(d) { i += 1 }
                    kind = i == begin + 1 ? .dot : .field
                }
            case "0"..."9", "+", "-":
                (literal, i) = try lexNumber(i)
                kind = .number
            case "|": i += 1; kind = .pipe
            case "(": i += 1; kind = .lparen; parens += 1
            case ")": i += 1; kind = .rparen; parens -= 1
            case ",": i += 1; kind = .comma
            case "=": i += 1; kind = .assign
            case ":":
                guard at(i + 1) == "=" else { throw error("expected :=", at: i) }
                i += 2
                kind = .declare
            default:
                if !Self.isAlnum(c), c.isASCII, c.value >= 0x20, c.value < 0x7F {
                    i += 1
                    kind = .char
                } else {
                    guard Self.isAlnum(c) else { throw error("unrecognized character in action: \(Self.formatU(c))", at: i) }
                    while let d = at(i), Self.isAlnum(d) { i += 1 }
                    kind = .ident
                }
            }
            // A word must end at a terminator: `$value-1` is not `$value` then `-1`.
            if [.ident, .variable, .field].contains(kind), let d = at(i), !Self.isSpace(d), !".,|:()".unicodeScalars.contains(d), !has("}}", at: i) {
                throw error("bad character \(Self.formatU(d))", at: i)
            }
            let text = String(String.UnicodeScalarView(s[begin..<i]))
            if kind == .ident {
                if text == "true" || text == "false" {
                    kind = .bool
                    literal = .bool(text == "true")
                } else if text == "nil" {
                    kind = .null
                }
            }
            tokens.append(TToken(kind: kind, text: text, literal: literal, offset: begin, spaceBefore: space))
            space = false
        }
    }

    /// A Go quoted string (with strconv.Unquote's escapes), raw string or character constant.
    func lexQuoted(_ begin: Int) throws(TemplateError) -> (String, Int) {
        let quote = s[begin]
        var i = begin + 1
        var out = String.UnicodeScalarView()
        if quote == "`" {
            while let c = at(i), c != "`" { out.append(c); i += 1 }
            guard at(i) != nil else { throw error("unterminated raw quoted string", at: begin) }
            return (String(out), i + 1)
        }
        while true {
            guard let c = at(i), c != "\n" else {
                throw error(quote == "'" ? "unterminated character constant" : "unterminated quoted string", at: begin)
            }
            i += 1
            if c == quote { return (String(out), i) }
            guard c == "\\" else { out.append(c); continue }
            guard let e = at(i) else { continue }
            i += 1
            let simple: [Unicode.Scalar: Unicode.Scalar] = ["a": "\u{07}", "b": "\u{08}", "f": "\u{0C}", "n": "\n", "r": "\r", "t": "\t", "v": "\u{0B}", "\\": "\\"]
            if let v = simple[e] {
                out.append(v)
            } else if e == quote {
                out.append(e)
            } else if let (count, radix) = ["x": (2, 16), "u": (4, 16), "U": (8, 16), "0": (3, 8), "1": (3, 8), "2": (3, 8), "3": (3, 8)][String(e)] {
                let digitsStart = e.properties.numericType == .decimal ? i - 1 : i
                let digits = String(String.UnicodeScalarView(s[digitsStart..<min(s.count, digitsStart + count)]))
                guard digits.count == count, let n = UInt32(digits, radix: radix), let scalar = Unicode.Scalar(n) else {
                    throw error("invalid syntax", at: begin)
                }
                out.append(scalar)
                i = digitsStart + count
            } else {
                throw error("invalid syntax", at: begin)
            }
        }
    }

    /// Go's scanNumber, then parse.newNumber: an integer if ParseInt(text, 0, 64) takes it (so
    /// `010` is 8), else a float if the text has `.eEpP` (`09` is "integer overflow").
    func lexNumber(_ begin: Int) throws(TemplateError) -> (TLiteral, Int) {
        var i = begin
        func accept(_ set: String) -> Bool {
            guard let c = at(i), set.unicodeScalars.contains(c) else { return false }
            i += 1
            return true
        }
        func scan() -> Bool {
            _ = accept("+-")
            var digits = "0123456789_"
            if accept("0") {
                if accept("xX") { digits = "0123456789abcdefABCDEF_" } else if accept("oO") { digits = "01234567_" } else if accept("bB") { digits = "01_" }
            }
            while accept(digits) {}
            if accept(".") { while accept(digits) {} }
            if digits.count == 11 && accept("eE") { _ = accept("+-"); while accept("0123456789_") {} }
            if digits.count == 23 && accept("pP") { _ = accept("+-"); while accept("0123456789_") {} }
            _ = accept("i")
            guard let c = at(i), Self.isAlnum(c) else { return true }
            i += 1
            return false
        }
        func bad() -> TemplateError { error("bad number syntax: \(strconvQuote(String(String.UnicodeScalarView(s[begin..<i]))))", at: begin) }
        guard scan() else { throw bad() }
        // Go reads `1+2i` as one complex constant, so `3-` is a malformed one.
        if at(i) == "+" || at(i) == "-" {
            guard scan(), s[i - 1] == "i" else { throw bad() }
        }
        if s[i - 1] == "i" { throw error("complex numbers are not supported in alerting templates", at: begin) }
        let text = String(String.UnicodeScalarView(s[begin..<i]))
        let negative = text.hasPrefix("-")
        if let n = goParseUIntBase0(String(text.drop(while: { $0 == "-" || $0 == "+" }))), n <= (negative ? UInt64(Int.min.magnitude) : UInt64.max) {
            return (negative ? .int(Int(truncatingIfNeeded: 0 &- n)) : n <= UInt64(Int.max) ? .int(Int(n)) : .overflow(text), i)
        }
        if let f = goParseFloat(text), goUnderscoresOK(text) {
            guard text.contains(where: { ".eEpP".contains($0) }) else { throw error("integer overflow: \(strconvQuote(text))", at: begin) }
            return (.float(f), i)
        }
        throw error("illegal number syntax: \(strconvQuote(text))", at: begin)
    }

    // MARK: Parser

    mutating func parseTemplate() throws(TemplateError) -> [TNode] {
        lex()
        let (nodes, stop) = try parseList()
        if let stop { throw error("unexpected {{\(stop.word)}}", at: stop.offset) }
        return nodes
    }

    struct Stop { var word: String; var tokens: [TToken]; var offset: Int }

    /// Nodes up to `{{end}}`/`{{else …}}` (returned) or the end of input (nil).
    mutating func parseList() throws(TemplateError) -> ([TNode], Stop?) {
        var nodes: [TNode] = []
        while next < items.count {
            let item = items[next]
            next += 1
            switch item {
            case .text(let t): nodes.append(.text(t))
            case .failure(let error): throw error
            case .action(let tokens, let offset):
                if let failure = tokens.first?.failure { throw failure }
                let first = tokens.first
                let word = first?.kind == .ident && templateKeywords.contains(first!.text) ? first!.text : ""
                switch word {
                case "end", "else":
                    // `{{else if …}}` is an `if` nested in the else branch, sharing its `{{end}}`.
                    if tokens.count > 1, word == "end" || tokens[1].kind != .ident || tokens[1].text != "if" {
                        throw unexpected(tokens[1], in: word)
                    }
                    return (nodes, Stop(word: word, tokens: tokens, offset: offset))
                case "if", "with": nodes.append(try parseBranch(word, Array(tokens.dropFirst()), offset: offset))
                case "break", "continue": throw error("{{\(word)}} outside {{range}}", at: first!.offset)
                case "range", "define", "template", "block":
                    throw error("{{\(word)}} is not supported in alerting templates", at: first!.offset)
                default:
                    var k = 0
                    nodes.append(.action(try parsePipe(tokens, &k, context: "command", offset: offset)))
                }
            }
        }
        return (nodes, nil)
    }

    mutating func parseBranch(_ word: String, _ tokens: [TToken], offset: Int) throws(TemplateError) -> TNode {
        depth += 1
        defer { depth -= 1 }
        guard depth <= maxTemplateDepth else { throw error("nesting deeper than \(maxTemplateDepth) levels", at: offset) }
        let scope = vars.count
        defer { vars.removeSubrange(scope...) }
        var k = 0
        let pipe = try parsePipe(tokens, &k, context: word, offset: offset)
        let (then, stop) = try parseList()
        guard let stop else { throw error("unexpected EOF", at: offset) }
        var otherwise: [TNode] = []
        if stop.word == "else" {
            if stop.tokens.count > 1 {
                otherwise = [try parseBranch("if", Array(stop.tokens.dropFirst(2)), offset: stop.offset)]
            } else {
                let (list, end) = try parseList()
                guard let end else { throw error("unexpected EOF", at: offset) }
                guard end.word == "end" else { throw error("expected end; found {{else}}", at: end.offset) }
                otherwise = list
            }
        }
        return .branch(isWith: word == "with", pipe, then: then, otherwise: otherwise)
    }

    /// Go's item.String(): templateKeywords and `.` as `<end>`, anything else quoted (10 characters at most).
    func describe(_ t: TToken) -> String {
        if t.kind == .dot || t.kind == .null || (t.kind == .ident && templateKeywords.contains(t.text)) { return "<\(t.text)>" }
        let scalars = t.text.unicodeScalars
        return strconvQuote(String(String.UnicodeScalarView(scalars.prefix(10)))) + (scalars.count > 10 ? "..." : "")
    }

    func unexpected(_ t: TToken, in context: String) -> TemplateError {
        t.failure ?? error("unexpected \(describe(t)) in \(context)", at: t.offset)
    }

    static func startsOperand(_ t: TToken) -> Bool {
        switch t.kind {
        case .ident: !templateKeywords.contains(t.text)
        case .field, .variable, .dot, .string, .number, .bool, .null, .lparen: true
        case .pipe, .rparen, .declare, .assign, .comma, .char, .failure: false
        }
    }

    /// Go's pipeline(): an optional `$x :=`/`$x =`, then commands separated by `|` up to the
    /// end of the action (or the closing paren in parentheses).
    mutating func parsePipe(_ t: [TToken], _ k: inout Int, context: String, offset: Int, inParens: Bool = false) throws(TemplateError) -> TPipe {
        var decl: (String, Bool)? = nil
        if k + 1 < t.count, t[k].kind == .variable, t[k + 1].kind == .declare || t[k + 1].kind == .assign {
            decl = (t[k].text, t[k + 1].kind == .assign)
            // Go declares the name before parsing the value: `$x := $x` fails only when run.
            vars.append(t[k].text)
            k += 2
        }
        let start = k < t.count ? t[k].offset : offset
        var cmds: [TCmd] = []
        while k < t.count, !(inParens && t[k].kind == .rparen) {
            guard Self.startsOperand(t[k]) else { throw unexpected(t[k], in: context) }
            let cmdStart = t[k].offset
            var args: [TOperand] = []
            commandLoop: while true {
                args.append(try parseOperand(t, &k))
                guard k < t.count else { break }
                switch t[k].kind {
                case .pipe: k += 1; break commandLoop
                case .rparen: break commandLoop
                default:
                    guard t[k].spaceBefore, Self.startsOperand(t[k]) else { throw unexpected(t[k], in: "operand") }
                }
            }
            if !cmds.isEmpty {
                switch args[0].kind {
                case .literal, .dot, .null: throw error("non executable command in pipeline stage \(cmds.count + 1)", at: cmdStart)
                default: break
                }
            }
            cmds.append(TCmd(pos: pos(cmdStart), args: args))
        }
        guard !cmds.isEmpty else { throw error("missing value for \(context)", at: start) }
        return TPipe(pos: pos(start), decl: decl, cmds: cmds)
    }

    mutating func parseOperand(_ t: [TToken], _ k: inout Int) throws(TemplateError) -> TOperand {
        let tok = t[k]
        k += 1
        var op = TOperand(pos: pos(tok.offset), kind: .dot, text: tok.text)
        switch tok.kind {
        case .ident:
            if unsupportedTemplateFunctions.contains(tok.text) {
                throw error("function \"\(tok.text)\" is not supported in alerting templates", at: tok.offset)
            }
            guard templateFunctions[tok.text] != nil else { throw error("function \"\(tok.text)\" not defined", at: tok.offset) }
            op.kind = .function(tok.text)
        case .dot: op.kind = .dot
        case .field:
            op.kind = .dot
            op.fields = [String(tok.text.dropFirst())]
        case .variable:
            guard vars.contains(tok.text) else { throw error("undefined variable \"\(tok.text)\"", at: tok.offset) }
            op.kind = .variable(tok.text)
        case .string, .number, .bool: op.kind = .literal(tok.literal!)
        case .null: op.kind = .null
        case .lparen:
            depth += 1
            defer { depth -= 1 }
            guard depth <= maxTemplateDepth else { throw error("nesting deeper than \(maxTemplateDepth) levels", at: tok.offset) }
            let inner = try parsePipe(t, &k, context: "parenthesized pipeline", offset: tok.offset, inParens: true)
            guard k < t.count, t[k].kind == .rparen else { throw error("unclosed left paren", at: tok.offset) }
            k += 1
            op.kind = .pipe(inner)
            op.text = "(…)"
        case .pipe, .rparen, .declare, .assign, .comma, .char, .failure: throw unexpected(tok, in: "operand")
        }
        while k < t.count, t[k].kind == .field, !t[k].spaceBefore {
            switch op.kind {
            case .dot, .variable, .pipe: break
            default: throw error("unexpected . after term \(describe(tok))", at: t[k].offset)
            }
            // Go positions a chain (`$labels.job`, `(…).x`) at its first field.
            if op.fields.isEmpty, tok.kind != .field { op.pos = pos(t[k].offset) }
            op.fields.append(String(t[k].text.dropFirst()))
            op.text += t[k].text
            k += 1
        }
        return op
    }
}

// MARK: - Executor

struct TExecutor {
    var out = ""
    var vars: [(name: String, value: TValue)]

    init(data: TemplateData) {
        vars = [("$", .data(data)), ("$labels", .map(data.labels)), ("$externalLabels", .map(data.externalLabels)),
                ("$externalURL", .string(data.externalURL)), ("$value", .float(data.value))]
    }

    func fail(_ message: String, _ pos: TPos) -> TemplateError {
        TemplateError(line: pos.line, column: pos.column, message: message)
    }

    mutating func write(_ text: String, _ pos: TPos) throws(TemplateError) {
        out += text
        guard out.utf8.count <= maxTemplateOutput else { throw fail("output exceeds \(maxTemplateOutput) bytes", pos) }
    }

    mutating func run(_ nodes: [TNode], dot: TValue) throws(TemplateError) {
        for node in nodes {
            switch node {
            // Text carries no position; only a template over the limit by itself fails here.
            case .text(let text): try write(text, TPos(line: 1, column: 1))
            case .action(let pipe):
                let value = try evalPipe(pipe, dot: dot)
                // Go prints nothing for an action that declares or assigns a variable.
                if pipe.decl == nil {
                    if case .none = value { try write("<no value>", pipe.pos) } else { try write(goPrint(value), pipe.pos) }
                }
            case .branch(let isWith, let pipe, let then, let otherwise):
                let scope = vars.count
                let value = try evalPipe(pipe, dot: dot)
                if goTruth(value) { try run(then, dot: isWith ? value : dot) } else { try run(otherwise, dot: dot) }
                vars.removeSubrange(scope...)
            }
        }
    }

    mutating func evalPipe(_ pipe: TPipe, dot: TValue) throws(TemplateError) -> TValue {
        var value: TValue? = nil
        for cmd in pipe.cmds { value = try evalCmd(cmd, dot: dot, final: value) }
        guard let value else { return .none }
        if let decl = pipe.decl {
            if decl.isAssign {
                guard let i = vars.lastIndex(where: { $0.name == decl.name }) else {
                    throw fail("undefined variable: \(decl.name)", pipe.cmds.last!.args.last!.pos)
                }
                vars[i].value = value
            } else {
                vars.append((decl.name, value))
            }
        }
        return value
    }

    mutating func evalCmd(_ cmd: TCmd, dot: TValue, final: TValue?) throws(TemplateError) -> TValue {
        let first = cmd.args[0]
        if case .function(let name) = first.kind {
            return try call(name, cmd.args.dropFirst(), final: final, dot: dot, pos: first.pos)
        }
        let hasArgs = cmd.args.count > 1 || final != nil
        if hasArgs && first.fields.isEmpty { throw fail("can't give argument to non-function \(first.text)", first.pos) }
        if case .null = first.kind { throw fail("nil is not a command", first.pos) }
        return try evalOperand(first, dot: dot, hasArgs: hasArgs)
    }

    mutating func evalOperand(_ op: TOperand, dot: TValue, hasArgs: Bool = false) throws(TemplateError) -> TValue {
        var value: TValue
        var fieldPos = op.pos
        switch op.kind {
        case .function(let name): value = try call(name, [], final: nil, dot: dot, pos: op.pos)
        case .dot: value = dot
        case .variable(let name):
            guard let v = vars.last(where: { $0.name == name })?.value else { throw fail("undefined variable: \(name)", op.pos) }
            value = v
        case .literal(.overflow(let text)): throw fail("\(text) overflows int", op.pos)
        case .literal(let literal): value = literal.value
        case .null: value = .none
        case .pipe(let pipe):
            value = try evalPipe(pipe, dot: dot)
            // Go blames a failing field of `(…).x` on the last node it evaluated inside.
            fieldPos = pipe.cmds.last!.args.last!.pos
        }
        for (i, name) in op.fields.enumerated() {
            if hasArgs && i == op.fields.count - 1 {
                if case .map = value { throw fail("\(name) is not a method but has arguments", fieldPos) }
                if case .data = value, ["Labels", "ExternalLabels", "ExternalURL", "Value"].contains(name) {
                    throw fail("\(name) has arguments but cannot be invoked as function", fieldPos)
                }
            }
            switch value {
            // missingkey=zero: an absent label is the map's zero value, "".
            case .map(let map): value = .string(map[name] ?? "")
            case .data(let d) where name == "Labels": value = .map(d.labels)
            case .data(let d) where name == "ExternalLabels": value = .map(d.externalLabels)
            case .data(let d) where name == "ExternalURL": value = .string(d.externalURL)
            case .data(let d) where name == "Value": value = .float(d.value)
            case .none: throw fail("nil pointer evaluating interface {}.\(name)", fieldPos)
            default: throw fail("can't evaluate field \(name) in type \(value.goType)", fieldPos)
            }
        }
        return value
    }

    /// Go's evalCall: arity, then each argument checked against its parameter type (a string
    /// parameter takes only strings: `toUpper 3` and `$value | toUpper` are errors).
    mutating func call(_ name: String, _ args: ArraySlice<TOperand>, final: TValue?, dot: TValue, pos: TPos) throws(TemplateError) -> TValue {
        let spec = templateFunctions[name]!
        let count = args.count + (final == nil ? 0 : 1)
        if spec.variadic == nil, count != spec.params.count {
            throw fail("wrong number of args for \(name): want \(spec.params.count) got \(count)", pos)
        }
        if spec.variadic != nil, count < spec.params.count {
            throw fail("wrong number of args for \(name): want at least \(spec.params.count) got \(count)", pos)
        }
        func checked(_ value: TValue, _ param: TParam, _ at: TPos) throws(TemplateError) -> TValue {
            if param == .string && !isString(value) { throw fail("wrong type for value; expected string; got \(value.goType)", at) }
            return value
        }
        func param(_ i: Int) -> TParam { i < spec.params.count ? spec.params[i] : spec.variadic! }
        var values: [TValue] = []
        for (i, op) in args.enumerated() {
            if param(i) == .string {
                if case .literal(let literal) = op.kind {
                    guard case .string = literal else { throw fail("expected string; found \(op.text)", op.pos) }
                } else if case .null = op.kind {
                    throw fail("cannot assign nil to string", op.pos)
                }
            }
            let value = try checked(try evalOperand(op, dot: dot), param(i), op.pos)
            // and/or stop at the first argument that decides (Go ≥ 1.18).
            if name == "and" || name == "or", goTruth(value) == (name == "or") { return value }
            values.append(value)
        }
        if let final { values.append(try checked(final, param(values.count), pos)) }
        do {
            return try applyTemplateFunction(name, values)
        } catch {
            throw fail(error.message, pos)
        }
    }
}
