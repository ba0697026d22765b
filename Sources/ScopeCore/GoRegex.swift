import Foundation

// Go's regexp, the one regular-expression engine of strmscope: PromQL's label matchers and
// label_replace, alerting templates (match, reReplaceAll) and every pattern a dashboard or rule
// file holds run here, so they all have Go's syntax, Go's error messages and linear time. A
// scraped label value can therefore not make a query take exponential time, as a backtracking
// engine (Swift's Regex: `(a|aa)+` over 34 `a` and a `b` takes seconds) would.


/// Go's regexp (RE2 syntax with Perl flags): parsed with Go's error messages, run by a Pike VM
/// with Go's leftmost-first semantics. Swift's Regex is no substitute: it backtracks (`(a|aa)*c`
/// takes seconds on 30 characters where RE2 is linear), accepts what RE2 refuses (backreferences,
/// lookaround) and reads `\d`, `\w`, `$` and `.` differently.
public struct GoRegex: @unchecked Sendable {
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var code: String
        public var text: String
        /// Go's wording: ``error parsing regexp: missing closing ): `(a` ``.
        public var description: String { "error parsing regexp: \(code): `\(text)`" }
    }
    struct Flags { var i = false, m = false, s = false, ungreedy = false }

    enum Assertion { case beginText, endText, beginLine, endLine, wordBoundary, notWordBoundary }

    /// A character class: ranges and Unicode properties, each maybe negated, case-folded under (?i).
    struct CharSet {
        var ranges: [ClosedRange<UInt32>] = []
        var properties: [(negated: Bool, categories: Set<Unicode.GeneralCategory>?, script: Regex<AnyRegexOutput>?)] = []
        var negated = false
        var fold = false

        func contains(_ c: Unicode.Scalar) -> Bool {
            func has(_ c: Unicode.Scalar) -> Bool {
                ranges.contains { $0.contains(c.value) } || properties.contains { p in
                    let member = if let categories = p.categories { categories.contains(c.properties.generalCategory) } else {
                        p.script.flatMap { try? $0.wholeMatch(in: String(c)) } != nil
                    }
                    return member != p.negated
                }
            }
            return (has(c) || (fold && GoRegex.caseVariants(c).contains(where: has))) != negated
        }
    }

    indirect enum Node {
        case empty, chars(CharSet), assert(Assertion), concat([Node]), alternate([Node]), capture(Int, Node)
        case repetition(Node, min: Int, max: Int?, greedy: Bool)
    }

    enum Inst { case chars(Int), split(Int, Int), jump(Int), save(Int), assert(Assertion), match }

    let p: [Unicode.Scalar]
    var i = 0
    public private(set) var groups = 0
    /// Go 1.19 allows a name twice; `${name}` takes the first such group that matched.
    public private(set) var names: [String: [Int]] = [:]
    private var sets: [CharSet] = []
    private var program: [Inst] = []

    public init(_ pattern: String) throws(Failure) {
        p = Array(pattern.unicodeScalars)
        let root = try parse()
        program = [.save(0)]
        compile(root)
        program += [.save(1), .match]
    }

    func text(_ from: Int, _ to: Int) -> String { String(String.UnicodeScalarView(p[from..<min(to, p.count)])) }
    func at(_ k: Int) -> Unicode.Scalar? { k < p.count ? p[k] : nil }
    public static func isWord(_ c: Unicode.Scalar) -> Bool { c.isASCII && (c == "_" || c.properties.isAlphabetic || ("0"..."9").contains(c)) }

    /// The other members of a scalar's case orbit (k, K and the Kelvin sign K).
    static func caseVariants(_ c: Unicode.Scalar) -> [Unicode.Scalar] {
        [c.properties.lowercaseMapping, c.properties.uppercaseMapping, c.properties.titlecaseMapping]
            .compactMap { $0.unicodeScalars.count == 1 ? $0.unicodeScalars.first : nil }
    }

    /// Go 1.19's unicode.Scripts (Unicode 13): Swift would also take property names like `Letter`.
    static let scripts = Set("""
        Adlam Ahom Anatolian_Hieroglyphs Arabic Armenian Avestan Balinese Bamum Bassa_Vah Batak Bengali Bhaiksuki Bopomofo Brahmi
        Braille Buginese Buhid Canadian_Aboriginal Carian Caucasian_Albanian Chakma Cham Cherokee Chorasmian Common Coptic Cuneiform
        Cypriot Cyrillic Deseret Devanagari Dives_Akuru Dogra Duployan Egyptian_Hieroglyphs Elbasan Elymaic Ethiopic Georgian Glagolitic
        Gothic Grantha Greek Gujarati Gunjala_Gondi Gurmukhi Han Hangul Hanifi_Rohingya Hanunoo Hatran Hebrew Hiragana Imperial_Aramaic
        Inherited Inscriptional_Pahlavi Inscriptional_Parthian Javanese Kaithi Kannada Katakana Kayah_Li Kharoshthi Khitan_Small_Script
        Khmer Khojki Khudawadi Lao Latin Lepcha Limbu Linear_A Linear_B Lisu Lycian Lydian Mahajani Makasar Malayalam Mandaic Manichaean
        Marchen Masaram_Gondi Medefaidrin Meetei_Mayek Mende_Kikakui Meroitic_Cursive Meroitic_Hieroglyphs Miao Modi Mongolian Mro
        Multani Myanmar Nabataean Nandinagari New_Tai_Lue Newa Nko Nushu Nyiakeng_Puachue_Hmong Ogham Ol_Chiki Old_Hungarian Old_Italic
        Old_North_Arabian Old_Permic Old_Persian Old_Sogdian Old_South_Arabian Old_Turkic Oriya Osage Osmanya Pahawh_Hmong Palmyrene
        Pau_Cin_Hau Phags_Pa Phoenician Psalter_Pahlavi Rejang Runic Samaritan Saurashtra Sharada Shavian Siddham SignWriting Sinhala
        Sogdian Sora_Sompeng Soyombo Sundanese Syloti_Nagri Syriac Tagalog Tagbanwa Tai_Le Tai_Tham Tai_Viet Takri Tamil Tangut Telugu
        Thaana Thai Tibetan Tifinagh Tirhuta Ugaritic Vai Wancho Warang_Citi Yezidi Yi Zanabazar_Square
        """.split(whereSeparator: \.isWhitespace).map(String.init))

    static let categories: [String: [Unicode.GeneralCategory]] = [
        "Lu": [.uppercaseLetter], "Ll": [.lowercaseLetter], "Lt": [.titlecaseLetter], "Lm": [.modifierLetter], "Lo": [.otherLetter],
        "Mn": [.nonspacingMark], "Mc": [.spacingMark], "Me": [.enclosingMark], "Nd": [.decimalNumber], "Nl": [.letterNumber],
        "No": [.otherNumber], "Pc": [.connectorPunctuation], "Pd": [.dashPunctuation], "Ps": [.openPunctuation],
        "Pe": [.closePunctuation], "Pi": [.initialPunctuation], "Pf": [.finalPunctuation], "Po": [.otherPunctuation],
        "Sm": [.mathSymbol], "Sc": [.currencySymbol], "Sk": [.modifierSymbol], "So": [.otherSymbol], "Zs": [.spaceSeparator],
        "Zl": [.lineSeparator], "Zp": [.paragraphSeparator], "Cc": [.control], "Cf": [.format], "Cs": [.surrogate], "Co": [.privateUse],
    ]

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

    /// Under (?i), small ranges also hold their case variants, so `(?i)K` matches the Kelvin sign.
    static func folded(_ set: CharSet) -> CharSet {
        var set = set
        set.fold = true
        for r in set.ranges where r.count <= 512 {
            for v in r { if let c = Unicode.Scalar(v) { set.ranges += caseVariants(c).map { $0.value...$0.value } } }
        }
        return set
    }

    static func literal(_ v: UInt32, _ flags: Flags) -> Node {
        let set = CharSet(ranges: [v...v])
        return .chars(flags.i ? folded(set) : set)
    }

    /// An open group: its flags, capture number (nil for `(?:…)`) and alternatives so far.
    private struct Frame { var flags: Flags; var capture: Int?; var alternatives: [[Node]] = [[]] }

    /// Go's parser loop, with its checks in its order (so the same error wins).
    mutating func parse() throws(Failure) -> Node {
        var frames = [Frame(flags: Flags(), capture: nil)]
        // Where the previous repetition operator began: RE2 refuses `a**` and `a++`.
        var lastRepeat: Int? = nil
        func append(_ node: Node) {
            let f = frames.count - 1
            frames[f].alternatives[frames[f].alternatives.count - 1].append(node)
        }
        while i < p.count {
            let start = i
            let c = p[i]
            let flags = frames[frames.count - 1].flags
            var repeatStart: Int? = nil
            switch c {
            case "(":
                var inner = flags
                var capture: Int? = nil
                if at(i + 1) == "?", at(i + 2) == "P", at(i + 3) == "<" {
                    guard let close = p[(i + 4)...].firstIndex(of: ">") else { throw Failure(code: "invalid named capture", text: text(i, p.count)) }
                    let name = text(i + 4, close)
                    guard !name.isEmpty, name.unicodeScalars.allSatisfy(Self.isWord) else { throw Failure(code: "invalid named capture", text: text(i, close + 1)) }
                    groups += 1
                    capture = groups
                    names[name, default: []].append(groups)
                    i = close + 1
                } else if at(i + 1) == "?" {
                    var k = i + 2
                    var negate = false
                    var sawFlag = false
                    parseFlags: while true {
                        guard let f = at(k) else { throw Failure(code: "missing closing )", text: text(0, p.count)) }
                        switch f {
                        case "i": inner.i = !negate
                        case "m": inner.m = !negate
                        case "s": inner.s = !negate
                        case "U": inner.ungreedy = !negate
                        case "-" where !negate: negate = true; sawFlag = false; k += 1; continue parseFlags
                        case ":" where !negate || sawFlag, ")" where !negate || sawFlag: break parseFlags
                        default: throw Failure(code: "invalid or unsupported Perl syntax", text: text(i, k + 1))
                        }
                        sawFlag = true
                        k += 1
                    }
                    i = k + 1
                    if p[k] == ")" {
                        // `(?i)` changes the flags for the rest of the enclosing group.
                        frames[frames.count - 1].flags = inner
                        lastRepeat = nil
                        continue
                    }
                } else {
                    groups += 1
                    capture = groups
                    i += 1
                }
                frames.append(Frame(flags: inner, capture: capture))
                guard frames.count <= 1000 else { throw Failure(code: "expression nests too deeply", text: text(0, p.count)) }
                lastRepeat = nil
                continue
            case ")":
                guard frames.count > 1 else { throw Failure(code: "unexpected )", text: text(0, p.count)) }
                let frame = frames.removeLast()
                let node = Self.alternation(frame.alternatives)
                append(frame.capture.map { .capture($0, node) } ?? node)
                i += 1
            case "|":
                frames[frames.count - 1].alternatives.append([])
                i += 1
                lastRepeat = nil
                continue
            case "^": append(.assert(flags.m ? .beginLine : .beginText)); i += 1
            case "$": append(.assert(flags.m ? .endLine : .endText)); i += 1
            case ".": append(.chars(CharSet(ranges: flags.s ? [0...0x10FFFF] : [0...9, 11...0x10FFFF]))); i += 1
            case "[": append(.chars(try parseClass(flags)))
            case "*", "+", "?", "{":
                var end = i + 1
                var bounds: (min: Int, max: Int?) = c == "*" ? (0, nil) : c == "+" ? (1, nil) : (0, 1)
                if c == "{" {
                    guard let (invalid, count, low, high) = repeatBounds(i) else {
                        append(Self.literal(c.value, flags))
                        i += 1
                        break
                    }
                    end = i + count
                    if let invalid { throw Failure(code: "invalid repeat count", text: invalid) }
                    bounds = (low, high)
                }
                var greedy = !flags.ungreedy
                if at(end) == "?" { greedy.toggle(); end += 1 }
                if let lastRepeat { throw Failure(code: "invalid nested repetition operator", text: text(lastRepeat, end)) }
                let f = frames.count - 1
                guard let operand = frames[f].alternatives[frames[f].alternatives.count - 1].popLast() else {
                    throw Failure(code: "missing argument to repetition operator", text: text(i, end))
                }
                let node = Node.repetition(operand, min: bounds.min, max: bounds.max, greedy: greedy)
                // Nested counted repetitions may not multiply past 1000 (`(a{10}){101}`).
                if c == "{", bounds.min >= 2 || (bounds.max ?? 0) >= 2, !Self.repeatIsValid(node, 1000) {
                    throw Failure(code: "invalid repeat count", text: text(i, end))
                }
                append(node)
                i = end
                repeatStart = start
            case "\\":
                switch try parseEscape(inClass: false) {
                case .scalar(let v): append(Self.literal(v, flags))
                case .set(let set): append(.chars(flags.i ? Self.folded(set) : set))
                case .assert(let a): append(.assert(a))
                case .literal(let scalars): for v in scalars { append(Self.literal(v, flags)) }
                }
            default:
                append(Self.literal(c.value, flags))
                i += 1
            }
            lastRepeat = repeatStart
        }
        guard frames.count == 1 else { throw Failure(code: "missing closing )", text: text(0, p.count)) }
        return Self.alternation(frames[0].alternatives)
    }

    static func alternation(_ alternatives: [[Node]]) -> Node {
        let nodes = alternatives.map { $0.count == 1 ? $0[0] : Node.concat($0) }
        return nodes.count == 1 ? nodes[0] : .alternate(nodes)
    }

    /// Go's repeatIsValid: counted repetitions nested inside each other stay within `n` copies.
    static func repeatIsValid(_ node: Node, _ n: Int) -> Bool {
        switch node {
        case .repetition(let inner, let min, let max, _):
            let m = max ?? min
            if m > n { return false }
            return repeatIsValid(inner, m > 0 ? n / m : n)
        case .concat(let nodes), .alternate(let nodes): return nodes.allSatisfy { repeatIsValid($0, n) }
        case .capture(_, let inner): return repeatIsValid(inner, n)
        case .empty, .chars, .assert: return true
        }
    }

    /// `{n}`, `{n,}`, `{n,m}` at `k`: (error text for counts over 1000 or reversed, length, min,
    /// max); nil when it is not a repetition (RE2 then reads `{` literally).
    func repeatBounds(_ k: Int) -> (String?, Int, Int, Int?)? {
        var j = k + 1
        func number() -> Int? {
            let begin = j
            while let d = at(j), ("0"..."9").contains(d) { j += 1 }
            return j > begin ? Int(text(begin, j)).map { Swift.min($0, 100_000) } : nil
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
        return (bad ? text(k, j) : nil, j - k, low, high)
    }

    enum Escape { case scalar(UInt32), set(CharSet), assert(Assertion), literal([UInt32]) }

    mutating func parseEscape(inClass: Bool) throws(Failure) -> Escape {
        let start = i
        guard let c = at(i + 1) else { throw Failure(code: "trailing backslash at end of expression", text: "") }
        i += 2
        func bad() -> Failure { Failure(code: "invalid escape sequence", text: text(start, i)) }
        switch c {
        case "a": return .scalar(7)
        case "f": return .scalar(12)
        case "t": return .scalar(9)
        case "n": return .scalar(10)
        case "r": return .scalar(13)
        case "v": return .scalar(11)
        case "0"..."7":
            // Octal needs a leading 0 or a second digit: a lone `\1` would be a backreference.
            guard c == "0" || at(i).map({ ("0"..."7").contains($0) }) == true else { throw bad() }
            var v = c.value - 0x30
            for _ in 0..<2 {
                guard let d = at(i), ("0"..."7").contains(d) else { break }
                v = v * 8 + d.value - 0x30
                i += 1
            }
            return .scalar(v)
        case "x":
            if at(i) == "{" {
                // Go's error text ends at the first character it could not take.
                var (v, digits): (UInt32, Int) = (0, 0)
                i += 1
                while true {
                    guard let d = at(i) else { throw bad() }
                    i += 1
                    if d == "}" && digits > 0 { return .scalar(v) }
                    guard let n = d.properties.isASCIIHexDigit ? UInt32(String(d), radix: 16) : nil else { throw bad() }
                    v = v * 16 + n
                    digits += 1
                    guard v <= 0x10FFFF else { throw bad() }
                }
            }
            let digits = text(i, i + 2)
            i += 2
            guard digits.count == 2, digits.unicodeScalars.allSatisfy({ $0.properties.isASCIIHexDigit }), let v = UInt32(digits, radix: 16) else { throw bad() }
            return .scalar(v)
        case "d", "s", "w", "D", "S", "W":
            let ranges = Self.perlClasses[Unicode.Scalar(c.value | 0x20)!]!
            return .set(CharSet(ranges: c.properties.isUppercase ? Self.complement(ranges) : ranges))
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
            if name == "Any" { return .set(CharSet(ranges: negate ? [] : [0...0x10FFFF])) }
            // Categories by Go's names (`L` is every `L?`); anything else must be a script.
            let categories = name.count == 1 ? Self.categories.filter { $0.key.hasPrefix(name) }.flatMap(\.value) : Self.categories[name] ?? []
            if !categories.isEmpty { return .set(CharSet(properties: [(negate, Set(categories), nil)])) }
            guard Self.scripts.contains(name), let script = try? Regex("\\p{Script=\(name)}") else {
                throw Failure(code: "invalid character class range", text: text(start, i))
            }
            return .set(CharSet(properties: [(negate, nil, script.matchingSemantics(.unicodeScalar))]))
        case "A" where !inClass: return .assert(.beginText)
        case "z" where !inClass: return .assert(.endText)
        case "b" where !inClass: return .assert(.wordBoundary)
        case "B" where !inClass: return .assert(.notWordBoundary)
        case "Q" where !inClass:
            var scalars: [UInt32] = []
            while i < p.count, !(p[i] == "\\" && at(i + 1) == "E") {
                scalars.append(p[i].value)
                i += 1
            }
            if i < p.count { i += 2 }
            return .literal(scalars)
        default:
            guard c.isASCII, !Self.isWord(c) else { throw bad() }
            return .scalar(c.value)
        }
    }

    mutating func parseClass(_ flags: Flags) throws(Failure) -> CharSet {
        let start = i
        i += 1
        var set = CharSet()
        if at(i) == "^" { set.negated = true; i += 1 }
        var first = true
        while first || at(i) != "]" {
            first = false
            guard let c = at(i) else { throw Failure(code: "missing closing ]", text: text(start, p.count)) }
            if c == "[", at(i + 1) == ":", let close = (i + 2 < p.count ? p[(i + 2)...] : []).firstIndex(where: { $0 == ":" }).flatMap({ at($0 + 1) == "]" ? $0 : nil }) {
                var name = text(i + 2, close)
                let negate = name.hasPrefix("^")
                if negate { name.removeFirst() }
                guard let ranges = Self.posixClasses[name] else { throw Failure(code: "invalid character class range", text: text(i, close + 2)) }
                set.ranges += negate ? Self.complement(ranges) : ranges
                i = close + 2
                continue
            }
            let rangeStart = i
            // One class character, or nil after merging a class escape (`\d`, `\pL`) into the set.
            func single(rangeEnd: Bool) throws(Failure) -> UInt32? {
                guard let c = at(i) else { throw Failure(code: "missing closing ]", text: text(start, p.count)) }
                guard c == "\\" else { i += 1; return c.value }
                let escapeStart = i
                switch try parseEscape(inClass: true) {
                case .scalar(let v): return v
                case .set where rangeEnd: throw Failure(code: "invalid escape sequence", text: text(escapeStart, i))
                case .set(let s):
                    set.ranges += s.ranges
                    set.properties += s.properties
                    return nil
                case .assert, .literal: throw Failure(code: "invalid escape sequence", text: text(escapeStart, i))
                }
            }
            guard let low = try single(rangeEnd: false) else { continue }
            var high = low
            if at(i) == "-", let after = at(i + 1), after != "]" {
                i += 1
                high = try single(rangeEnd: true)!
                if high < low { throw Failure(code: "invalid character class range", text: text(rangeStart, i)) }
            }
            set.ranges.append(low...high)
        }
        i += 1
        return flags.i ? Self.folded(set) : set
    }

    // MARK: Compiling and matching

    static func nullable(_ node: Node) -> Bool {
        switch node {
        case .empty, .assert: true
        case .chars: false
        case .concat(let nodes): nodes.allSatisfy(nullable)
        case .alternate(let nodes): nodes.contains(where: nullable)
        case .capture(_, let inner): nullable(inner)
        case .repetition(let inner, let min, _, _): min == 0 || nullable(inner)
        }
    }

    private mutating func compile(_ node: Node) {
        switch node {
        case .empty: break
        case .chars(let set):
            sets.append(set)
            program.append(.chars(sets.count - 1))
        case .assert(let a): program.append(.assert(a))
        case .concat(let nodes): for n in nodes { compile(n) }
        case .alternate(let nodes):
            var exits: [Int] = []
            for n in nodes.dropLast() {
                let split = program.count
                program.append(.jump(0))
                compile(n)
                exits.append(program.count)
                program.append(.jump(0))
                program[split] = .split(split + 1, program.count)
            }
            compile(nodes.last!)
            for e in exits { program[e] = .jump(program.count) }
        case .capture(let n, let inner):
            program.append(.save(2 * n))
            compile(inner)
            program.append(.save(2 * n + 1))
        case .repetition(let inner, let min, let max, let greedy):
            // Go's shapes, whose thread priorities decide what matches: `x{3,}` is `xx(x+)`, and
            // `x+` loops back after `x` (so `(|a)+` prefers the empty match); the preferred branch
            // of each split goes first: into the loop when greedy, past it when lazy.
            // A star over something that can match empty is `(x+)?` (golang.org/issue/46123).
            if max == nil && min == 0 && Self.nullable(inner) {
                compile(.repetition(.repetition(inner, min: 1, max: nil, greedy: greedy), min: 0, max: 1, greedy: greedy))
                return
            }
            if max == nil && min > 0 {
                for _ in 1..<min { compile(inner) }
                let body = program.count
                compile(inner)
                program.append(greedy ? .split(body, program.count + 1) : .split(program.count + 1, body))
                return
            }
            for _ in 0..<min { compile(inner) }
            if let max {
                var splits: [Int] = []
                for _ in min..<Swift.max(min, max) {
                    splits.append(program.count)
                    program.append(.jump(0))
                    compile(inner)
                }
                for s in splits { program[s] = greedy ? .split(s + 1, program.count) : .split(program.count, s + 1) }
            } else {
                let loop = program.count
                program.append(.jump(0))
                compile(inner)
                program.append(.jump(loop))
                program[loop] = greedy ? .split(loop + 1, program.count) : .split(program.count, loop + 1)
            }
        }
    }

    /// The leftmost-first match starting at or after `start`: capture positions (scalar
    /// offsets, -1 when a group did not take part), group 0 being the whole match.
    public func search(_ input: [Unicode.Scalar], from start: Int) -> [Int]? {
        struct Thread { var pc: Int; var caps: [Int] }
        var mark = [Int](repeating: -1, count: program.count)
        let fresh = [Int](repeating: -1, count: 2 * groups + 2)
        func holds(_ a: Assertion, _ pos: Int) -> Bool {
            switch a {
            case .beginText: return pos == 0
            case .endText: return pos == input.count
            case .beginLine: return pos == 0 || input[pos - 1] == "\n"
            case .endLine: return pos == input.count || input[pos] == "\n"
            case .wordBoundary, .notWordBoundary:
                let boundary = (pos > 0 && Self.isWord(input[pos - 1])) != (pos < input.count && Self.isWord(input[pos]))
                return boundary == (a == .wordBoundary)
            }
        }
        // Follows jumps, splits (preferred branch first), saves and assertions; each
        // instruction joins a position's list once, so the higher-priority thread keeps it.
        func add(_ list: inout [Thread], _ thread: Thread, at pos: Int) {
            var stack = [thread]
            while let t = stack.popLast() {
                guard mark[t.pc] != pos else { continue }
                mark[t.pc] = pos
                switch program[t.pc] {
                case .jump(let to): stack.append(Thread(pc: to, caps: t.caps))
                case .split(let preferred, let other):
                    stack.append(Thread(pc: other, caps: t.caps))
                    stack.append(Thread(pc: preferred, caps: t.caps))
                case .save(let slot):
                    var caps = t.caps
                    caps[slot] = pos
                    stack.append(Thread(pc: t.pc + 1, caps: caps))
                case .assert(let a): if holds(a, pos) { stack.append(Thread(pc: t.pc + 1, caps: t.caps)) }
                case .chars, .match: list.append(t)
                }
            }
        }
        var pos = start
        var current: [Thread] = []
        var matched: [Int]? = nil
        add(&current, Thread(pc: 0, caps: fresh), at: pos)
        while true {
            var next: [Thread] = []
            for t in current {
                guard case .chars(let k) = program[t.pc] else {
                    // A match ends the threads of lower priority.
                    matched = t.caps
                    break
                }
                if pos < input.count, sets[k].contains(input[pos]) { add(&next, Thread(pc: t.pc + 1, caps: t.caps), at: pos + 1) }
            }
            guard pos < input.count, matched == nil || !next.isEmpty else { break }
            pos += 1
            if matched == nil { add(&next, Thread(pc: 0, caps: fresh), at: pos) }
            current = next
        }
        return matched
    }
}

extension GoRegex {
    /// The whole of `text` matches (the pattern compiled as `^(?:pattern)$` by `anchored`).
    public func matchesWhole(_ text: String) -> Bool {
        search(Array(text.unicodeScalars), from: 0) != nil
    }

    /// `pattern` anchored at both ends, as Prometheus compiles label matchers and label_replace
    /// (`^(?:pattern)$`); errors are reported on the pattern as written.
    public static func anchored(_ pattern: String) throws(Failure) -> GoRegex {
        _ = try GoRegex(pattern)
        return try GoRegex("^(?:" + pattern + ")$")
    }
}

/// Go's `Regexp.ExpandString` template language: `$1`, `${1}`, `$name`, `${name}`, `$$`. A name
/// is the longest run of letters, digits and `_` (`$1x` means the group named `1x`); groups that
/// did not take part or do not exist expand to nothing; a malformed `$` is copied as is.
public func goExpand(_ template: String, group: (_ number: Int?, _ name: String) -> Substring?) -> String {
    var out = ""
    var rest = Substring(template)
    while let dollar = rest.firstIndex(of: "$") {
        out += rest[..<dollar]
        rest = rest[rest.index(after: dollar)...]
        if rest.first == "$" {
            out += "$"
            rest = rest.dropFirst()
            continue
        }
        var body = rest
        var braced = false
        if body.first == "{" {
            braced = true
            body = body.dropFirst()
        }
        let name = body.prefix { $0.isLetter || $0.isNumber || $0 == "_" }
        var after = body[name.endIndex...]
        var ok = !name.isEmpty
        if ok && braced {
            if after.first == "}" { after = after.dropFirst() } else { ok = false }
        }
        guard ok else {
            out += "$"
            continue
        }
        rest = after
        var number: Int? = nil
        if name.allSatisfy({ $0.isASCII && $0.isNumber }), !(name.first == "0" && name.count > 1), name.count <= 8 {
            number = Int(name)
        }
        if let text = group(number, String(name)) { out += text }
    }
    out += rest
    return out
}
