#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ScopeCore

/// A streaming pull parser for the Prometheus text format 0.0.4 and OpenMetrics 1.0.
///
/// It works on the input bytes: no String is made per line, only for names and label values that
/// go into results (names are interned; a label value equal to the previous line's value in the same
/// position is reused). Two ways to read:
///
/// - `next()` returns one `ExpositionEntry` at a time (HELP, TYPE, UNIT, sample, comment);
/// - `forEachSample(_:)` is the ingestion path: it calls a closure with each sample, skipping the
///   metadata entries (it still checks them).
///
/// `ExpositionParser.parseFamilies(_:dialect:)` groups a whole exposition into `[MetricFamily]`.
///
/// Every error is a `ParseError` with `line:column`, a message saying what was expected, and the
/// offending line for the caret display. After an error the parser stays failed (`next()` throws
/// the same error again).
///
/// What each dialect accepts is the grammar of its specification plus the rules the reference
/// parsers enforce: for 0.0.4 Go's `expfmt.TextParser` (one HELP and one TYPE per name, TYPE before
/// the name's samples, `le`/`quantile` must be numbers, escapes limited to `\\ \" \n` in label values,
/// every line ends with a line feed), for OpenMetrics the OpenMetrics test suite (`# EOF`, family
/// grouping, counter/histogram/summary/info/stateset value rules, exemplar placement and size).
/// Deliberate leniencies over Go's parser are listed in `Tests/ExpositionTests/ConformanceTests.swift`.
public struct ExpositionParser: Sendable {
    public let dialect: ExpositionDialect
    private let input: [UInt8]
    private var core: ParserCore

    /// A parser over `bytes` in `dialect`. `file` prefixes error messages (`file:3:14: …`);
    /// `strictness` chooses which OpenMetrics value rules apply (see `ExpositionStrictness`).
    public init(_ bytes: [UInt8], dialect: ExpositionDialect, strictness: ExpositionStrictness = .specification, file: String? = nil) {
        self.dialect = dialect
        self.input = bytes
        self.core = ParserCore(openMetrics: dialect == .openMetrics, valueRules: strictness == .specification, file: file)
    }

    public init(_ text: String, dialect: ExpositionDialect, strictness: ExpositionStrictness = .specification, file: String? = nil) {
        self.init(Array(text.utf8), dialect: dialect, strictness: strictness, file: file)
    }

    /// A parser whose dialect comes from the HTTP `Content-Type` of the body (see `expositionDialect`).
    public init(_ bytes: [UInt8], contentType: String?, strictness: ExpositionStrictness = .specification, file: String? = nil) {
        self.init(bytes, dialect: expositionDialect(contentType: contentType), strictness: strictness, file: file)
    }

    /// The 1-based line of the entry (or sample) last returned.
    public var line: Int { core.entryLine }

    /// The next entry, or nil at the end of the input (for OpenMetrics: after `# EOF`).
    public mutating func next() throws(ParseError) -> ExpositionEntry? {
        let input = self.input
        return try input.withUnsafeBufferPointer { (buffer) throws(ParseError) -> ExpositionEntry? in
            guard let base = buffer.baseAddress else {
                try core.checkEmpty()
                return nil
            }
            switch try core.step(base, buffer.count) {
            case .end:
                return nil
            case .sample:
                return .sample(core.sample)
            case .help(let name, let start, let end):
                return .help(metric: name, text: core.unescapeHelp(base, start, end))
            case .type(let name, let type):
                return .type(metric: name, type: type)
            case .unit(let name, let unit):
                return .unit(metric: name, unit: unit)
            case .comment(let start, let end):
                return .comment(String(decoding: UnsafeBufferPointer(start: base + start, count: end - start), as: UTF8.self))
            }
        }
    }

    /// Calls `body` with every sample, in order (metadata is checked, not returned). The sample is
    /// lent: copy what you keep. Throws the first error; samples before it have been delivered.
    public mutating func forEachSample(_ body: (borrowing ExpositionSample) -> Void) throws(ParseError) {
        let input = self.input
        try input.withUnsafeBufferPointer { (buffer) throws(ParseError) in
            guard let base = buffer.baseAddress else {
                try core.checkEmpty()
                return
            }
            while true {
                switch try core.step(base, buffer.count) {
                case .end: return
                case .sample: body(core.sample)
                default: continue
                }
            }
        }
    }

    /// Parses a whole exposition and groups it into families, in order of first appearance. A
    /// sample belongs to the family the parser assigned it (`ExpositionSample.family`); families
    /// without a `# TYPE` are `untyped` (0.0.4) or `unknown` (OpenMetrics).
    public static func parseFamilies(_ bytes: [UInt8], dialect: ExpositionDialect, strictness: ExpositionStrictness = .specification,
                                     file: String? = nil) throws(ParseError) -> [MetricFamily] {
        var parser = ExpositionParser(bytes, dialect: dialect, strictness: strictness, file: file)
        var families: [MetricFamily] = []
        var index: [String: Int] = [:]
        let defaultType: MetricType = dialect == .openMetrics ? .unknown : .untyped
        func slot(_ name: String) -> Int {
            if let i = index[name] { return i }
            families.append(MetricFamily(name: name, type: defaultType, help: ""))
            index[name] = families.count - 1
            return families.count - 1
        }
        while let entry = try parser.next() {
            switch entry {
            case .help(let metric, let text): families[slot(metric)].help = text
            case .type(let metric, let type): families[slot(metric)].type = type
            case .unit(let metric, let unit): families[slot(metric)].unit = unit
            case .sample(let sample):
                let i = slot(sample.family)
                families[i].type = sample.type
                families[i].points.append(sample.point)
            case .comment: continue
            }
        }
        return families
    }

    public static func parseFamilies(_ text: String, dialect: ExpositionDialect, strictness: ExpositionStrictness = .specification,
                                     file: String? = nil) throws(ParseError) -> [MetricFamily] {
        try parseFamilies(Array(text.utf8), dialect: dialect, strictness: strictness, file: file)
    }
}

/// How much of OpenMetrics' value rules the parser enforces (the 0.0.4 format has none).
public enum ExpositionStrictness: Sendable {
    /// Everything OpenMetrics 1.0 and its test suite require, including the value rules: counter-like
    /// samples (`_total`, `_sum`, `_count`, `_bucket`, `_gcount`, `_gsum`) not NaN or negative, counts
    /// whole, quantile values not negative, info values 1, stateset values 0/1, and per label set
    /// each histogram's buckets ending in `+Inf`, `_count` equal to it, `_sum` and `_count` together,
    /// no `_sum` beside negative buckets. The default; what `strmscope check` should use.
    case specification
    /// What Prometheus's own scrape parser enforces: the same syntax, metadata, family grouping and
    /// label rules (`le`, `quantile`, stateset labels, exemplar placement), but not the value rules
    /// above, which real exposers break — Go's client writes a negative `_sum` and negative quantiles
    /// for observations below zero. Like it, the 0.0.4 format's last line may end at the end of the
    /// body without a line feed (Pulsar's broker serves that). For scraping.
    case prometheusCompatible
}

// MARK: - Bytes

private let lf: UInt8 = 0x0A
private let space: UInt8 = 0x20
private let tab: UInt8 = 0x09
private let hashSign = UInt8(ascii: "#")
private let quote = UInt8(ascii: "\"")
private let backslash = UInt8(ascii: "\\")
private let openBrace = UInt8(ascii: "{")
private let closeBrace = UInt8(ascii: "}")
private let comma = UInt8(ascii: ",")
private let equals = UInt8(ascii: "=")

@inline(__always) private func isBlank(_ b: UInt8) -> Bool { b == space || b == tab }
@inline(__always) private func isLetter(_ b: UInt8) -> Bool { b | 0x20 &- 0x61 < 26 }
@inline(__always) private func isLabelNameStart(_ b: UInt8) -> Bool { isLetter(b) || b == UInt8(ascii: "_") }
@inline(__always) private func isLabelNameChar(_ b: UInt8) -> Bool { isLabelNameStart(b) || isDigit(b) }
@inline(__always) private func isMetricNameStart(_ b: UInt8) -> Bool { isLabelNameStart(b) || b == UInt8(ascii: ":") }
@inline(__always) private func isMetricNameChar(_ b: UInt8) -> Bool { isMetricNameStart(b) || isDigit(b) }

/// Whether two byte ranges of the input are equal. Names and label values are short, and a call
/// into libc's memcmp per comparison (several per line) costs more than the comparison: up to 16
/// bytes compare as two (overlapping) word loads.
@inline(__always)
private func bytesEqual(_ p: UnsafePointer<UInt8>, _ a: Int, _ b: Int, _ n: Int) -> Bool {
    let x = UnsafeRawPointer(p + a)
    let y = UnsafeRawPointer(p + b)
    switch n {
    case 8...16:
        return x.loadUnaligned(as: UInt64.self) == y.loadUnaligned(as: UInt64.self)
            && x.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self) == y.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
    case 4..<8:
        return x.loadUnaligned(as: UInt32.self) == y.loadUnaligned(as: UInt32.self)
            && x.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self) == y.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self)
    case 0..<4:
        for k in 0..<n where p[a + k] != p[b + k] { return false }
        return true
    default:
        return memcmp(x, y, n) == 0
    }
}

@inline(__always)
private func bytesEqual(_ p: UnsafePointer<UInt8>, _ start: Int, _ count: Int, _ word: StaticString) -> Bool {
    count == word.utf8CodeUnitCount && memcmp(p + start, word.utf8Start, count) == 0
}

/// Byte order of two ranges (label names are ASCII, so this is also String order).
/// A byte loop: label names usually differ in their first byte.
@inline(__always)
private func compareBytes(_ p: UnsafePointer<UInt8>, _ a: Int, _ an: Int, _ b: Int, _ bn: Int) -> Int {
    for k in 0..<min(an, bn) {
        let x = p[a + k]
        let y = p[b + k]
        if x != y { return Int(x) - Int(y) }
    }
    return an - bn
}

// MARK: - Parser state

/// What one step of the parser produced.
enum Step {
    case end
    case sample
    case help(name: String, start: Int, end: Int)
    case type(name: String, type: MetricType)
    case unit(name: String, unit: String)
    case comment(start: Int, end: Int)
}

/// A cached String for a byte range of the input (the previous line's name or value in a slot).
struct CachedSlice: Sendable {
    var start = 0
    var count = -1
    var string = ""
    /// FNV-1a of the String's UTF-8 (OpenMetrics only: label-set grouping).
    var hash: UInt64 = 0
}

/// FNV-1a over bytes.
@inline(__always)
func fnv1a(_ p: UnsafePointer<UInt8>, _ n: Int) -> UInt64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for i in 0..<n { h = (h ^ UInt64(p[i])) &* 0x0000_0100_0000_01b3 }
    return h
}

/// One label's contribution to its label set's hash (sets hash as the sum, so order does not matter).
@inline(__always)
func pairHash(_ name: UInt64, _ value: UInt64) -> UInt64 {
    var z = name &* 0x9E37_79B9_7F4A_7C15 ^ value
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
}

/// 0.0.4: what the parser knows about a name from HELP/TYPE lines and samples (Go's bookkeeping).
struct TextFamily: Sendable {
    var type: MetricType?
    var hasHelp = false
    var hasSamples = false
}

/// Which rule a 0.0.4 sample falls under.
enum SampleRole: Sendable {
    case plain, bucket, quantile
}

/// OpenMetrics: the suffix of a sample name after its family name.
enum Suffix: Sendable {
    case none, total, created, count, sum, bucket, gcount, gsum, info

    var text: String {
        switch self {
        case .none: ""
        case .total: "_total"
        case .created: "_created"
        case .count: "_count"
        case .sum: "_sum"
        case .bucket: "_bucket"
        case .gcount: "_gcount"
        case .gsum: "_gsum"
        case .info: "_info"
        }
    }

    /// The sample names a family of `type` may have (nil: no TYPE line, only the name itself).
    static func allowed(for type: MetricType?) -> [Suffix] {
        switch type {
        case nil, .gauge, .stateset, .unknown, .untyped: [.none]
        case .counter: [.total, .created]
        case .summary: [.none, .count, .sum, .created]
        case .histogram: [.count, .sum, .bucket, .created]
        case .gaugehistogram: [.gcount, .gsum, .bucket]
        case .info: [.info]
        }
    }
}

/// Hashes of a family's label sets, each with where that set started: the offset of the line and
/// which label that line's set leaves out (`le` of a bucket, `quantile`, a stateset's own label).
/// Open addressing, linear probing; a repeated hash (a collision) is another entry.
struct GroupTable: Sendable {
    struct Start: Sendable {
        var offset: Int
        var special: GroupSpecial
    }

    /// A slot is 8 bytes (the table for 25,000 label sets stays in L2): the hash's upper 32
    /// bits over the entry's index + 1 (0: an empty slot). The full hash and the start are in
    /// `entries`, read only when the upper bits match.
    private var slots: [UInt64] = []
    private var entries: [(hash: UInt64, start: Start)] = []
    var count: Int { entries.count }

    /// Room for `expected` label sets without growing (the previous family's count is a good guess).
    init(expected: Int = 0) {
        guard expected > 0 else { return }
        var size = 64
        while size < expected * 2 { size *= 2 }
        slots = Array(repeating: 0, count: size)
        entries.reserveCapacity(expected)
    }

    /// The starts recorded under `hash` (almost always none).
    func starts(of hash: UInt64) -> [Start] {
        guard !entries.isEmpty else { return [] }
        let tag = hash >> 32
        return slots.withUnsafeBufferPointer { slots in
            let mask = slots.count - 1
            var i = Int(truncatingIfNeeded: hash) & mask
            var found: [Start] = []
            while slots[i] != 0 {
                if slots[i] >> 32 == tag {
                    let entry = entries[Int(slots[i] & 0xFFFF_FFFF) - 1]
                    if entry.hash == hash { found.append(entry.start) }
                }
                i = (i + 1) & mask
            }
            return found
        }
    }

    mutating func insert(_ hash: UInt64, _ start: Start) {
        guard entries.count < Int(UInt32.max - 1) else { return }
        entries.append((hash, start))
        if entries.count * 2 > slots.count {
            rebuild(size: max(64, slots.count * 2))
        } else {
            place(hash, index: entries.count)
        }
    }

    private mutating func place(_ hash: UInt64, index: Int) {
        let value = (hash >> 32) << 32 | UInt64(index)
        slots.withUnsafeMutableBufferPointer { slots in
            let mask = slots.count - 1
            var i = Int(truncatingIfNeeded: hash) & mask
            while slots[i] != 0 { i = (i + 1) & mask }
            slots[i] = value
        }
    }

    private mutating func rebuild(size: Int) {
        slots = Array(repeating: 0, count: size)
        for (k, entry) in entries.enumerated() { place(entry.hash, index: k + 1) }
    }
}

/// The label a sample's group leaves out.
enum GroupSpecial: UInt8, Sendable {
    case none, le, quantile, familyName

    /// The label's name (a stateset's label is named after its family).
    func label(family: String) -> String? {
        switch self {
        case .none: nil
        case .le: "le"
        case .quantile: "quantile"
        case .familyName: family
        }
    }
}

/// OpenMetrics: the family being read.
struct OMFamily: Sendable {
    var name: String
    var nameBytes: [UInt8]
    var line: Int
    var type: MetricType?
    var hasHelp = false
    var hasUnit = false
    var unit = ""
    var hasSamples = false
    var allowed: [Suffix] = [.none]

    // Label-set grouping: the current group, the groups seen, the group's last timestamp.
    var hasGroup = false
    /// The current group: where it started, and its labels once read again from there.
    var groupStart = GroupTable.Start(offset: -1, special: .none)
    var groupRead = false
    var group: [Label] = []
    var groupHash: UInt64 = 0
    /// Where each label set seen started (by hash): the labels are not kept, they are read again
    /// from the input only when a hash repeats, so no sample's labels are copied to be remembered.
    var seenGroups = GroupTable()
    var groupTimestamp: Double?

    // Histogram / gauge histogram checks, per run of samples with one label set and timestamp.
    var runActive = false
    var runTimestamp: Double?
    var lastBound: Double?
    var lastBucketValue = 0.0
    var count: Double?
    var hasSum = false
    var hasGsum = false
    var negativeBuckets = false
    var negativeGsum = false
    var runLineStart = 0
    var runLine = 0
}

struct ParserCore: Sendable {
    let om: Bool
    /// OpenMetrics value rules (`ExpositionStrictness.specification`).
    let valueRules: Bool
    /// The 0.0.4 format's last line may end at the end of the input, without a line feed.
    let endEndsLine: Bool
    let file: String?

    var offset = 0
    var lineNumber = 0
    var lineStart = 0
    var entryLine = 0
    var sawEOF = false
    var failure: ParseError?

    var sample = ExpositionSample(family: "", type: .untyped, name: "", labelPairs: [], value: 0)
    var interner = Interner()
    var scratch: [UInt8] = []

    // Caches: the previous sample's name, and its label names/values by position.
    var nameCache = CachedSlice()
    var slotNames: [CachedSlice] = []
    var slotValues: [CachedSlice] = []
    // Per line: where each label name starts (for order checks), special labels' values.
    /// Where each label name of the line starts and how long it is (for sorting and duplicate
    /// checks); only the first `labelSpanCount` are this line's. Overwritten, never emptied:
    /// emptying an array per line showed up in profiles.
    var labelSpans: [(start: Int, count: Int)] = []
    var labelSpanCount = 0
    var labelHashes: [UInt64] = []
    /// `sample.labelPairs` is in the order the previous line wrote its labels (it needed no sort),
    /// so its pair k belongs to label position k (`parseLabels` reuses it).
    var pairsInSlotOrder = true
    var leValue: String?
    var leOffset = 0
    var quantileValue: String?
    var quantileOffset = 0

    // 0.0.4
    var textFamilies: [String: TextFamily] = [:]
    var attributionValid = false
    var attrFamily = ""
    var attrType: MetricType = .untyped
    var attrRole: SampleRole = .plain

    // OpenMetrics
    /// The family being read (meaningful while `inFamily`). Not an Optional: reading a field
    /// through `family!` copies the whole struct, on every sample.
    var family = OMFamily(name: "", nameBytes: [], line: 0)
    var inFamily = false
    /// Label sets of the last family closed: the next family's group table starts that big.
    var lastFamilyGroups = 0
    var seenNames: [String: Int] = [:]
    var suffixValid = false
    var currentSuffix: Suffix = .none

    init(openMetrics: Bool, valueRules: Bool, file: String?) {
        self.om = openMetrics
        self.valueRules = valueRules
        // Prometheus's scrape parser takes the end of the body as the end of the last line (the
        // Pulsar broker ends its /metrics without a line feed); Go's expfmt and promtool do not.
        self.endEndsLine = !openMetrics && !valueRules
        self.file = file
        self.sample.type = openMetrics ? .unknown : .untyped
    }

    // MARK: Errors

    /// An error at byte `at` of the current line.
    func fail(_ message: String, at: Int, _ p: UnsafePointer<UInt8>, _ n: Int) -> ParseError {
        ParserCore.makeError(file: file, message: message, at: at, lineStart: lineStart, line: lineNumber, p, n)
    }

    static func makeError(file: String?, message: String, at: Int, lineStart: Int, line: Int,
                          _ p: UnsafePointer<UInt8>, _ n: Int) -> ParseError {
        var column = 1
        var k = lineStart
        while k < at && k < n {
            if p[k] & 0xC0 != 0x80 { column += 1 }
            k += 1
        }
        var eol = lineStart
        if lineStart < n, let found = memchr(p + lineStart, Int32(lf), n - lineStart) {
            eol = p.distance(to: found.assumingMemoryBound(to: UInt8.self))
        } else {
            eol = n
        }
        let limit = 1000
        var shown: String?
        if eol - lineStart <= limit {
            shown = String(decoding: UnsafeBufferPointer(start: p + lineStart, count: eol - lineStart), as: UTF8.self)
        } else if at - lineStart < limit - 40 {
            var cut = lineStart + limit
            while cut > lineStart && p[cut] & 0xC0 == 0x80 { cut -= 1 }
            shown = String(decoding: UnsafeBufferPointer(start: p + lineStart, count: cut - lineStart), as: UTF8.self) + "…"
        }
        return ParseError(file: file, position: SourcePosition(line: line, column: column, offset: at),
                          message: message, sourceLine: shown)
    }

    /// The character at `at` quoted for a message (all of its UTF-8 bytes, not just the first).
    static func quotedChar(_ p: UnsafePointer<UInt8>, _ at: Int, _ n: Int) -> String {
        let lead = p[at]
        let length = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1
        var count = 1
        while count < length && at + count < n && p[at + count] & 0xC0 == 0x80 { count += 1 }
        return quoted(p, at, count)
    }

    /// A short, printable quotation of input bytes for a message.
    static func quoted(_ p: UnsafePointer<UInt8>, _ start: Int, _ count: Int) -> String {
        var text = String(decoding: UnsafeBufferPointer(start: p + start, count: count), as: UTF8.self)
        if text.unicodeScalars.count > 40 { text = String(String.UnicodeScalarView(text.unicodeScalars.prefix(40))) + "…" }
        return "'" + sanitizeForTerminal(text) + "'"
    }

    // MARK: Driver

    /// An empty input: fine for 0.0.4, a missing `# EOF` for OpenMetrics.
    mutating func checkEmpty() throws(ParseError) {
        if let failure { throw failure }
        if om {
            let error = ParseError(file: file, position: SourcePosition(line: 1, column: 1, offset: 0),
                                   message: Message.missingEOF, sourceLine: "")
            failure = error
            throw error
        }
    }

    mutating func step(_ p: UnsafePointer<UInt8>, _ n: Int) throws(ParseError) -> Step {
        if let failure { throw failure }
        do {
            return try stepUnchecked(p, n)
        } catch {
            failure = error
            throw error
        }
    }

    private mutating func stepUnchecked(_ p: UnsafePointer<UInt8>, _ n: Int) throws(ParseError) -> Step {
        while true {
            if offset >= n { return try finish(p, n) }
            lineNumber += 1
            lineStart = offset
            entryLine = lineNumber
            if om {
                if sawEOF { throw fail(Message.textAfterEOF, at: offset, p, n) }
                let b = p[offset]
                if b == lf { throw fail(Message.blankLine, at: offset, p, n) }
                if b == hashSign {
                    let step = try omMetadata(p, n)
                    if case .end = step { continue }
                    return step
                }
                try sampleLine(p, n, from: offset)
                return .sample
            } else {
                var i = offset
                while i < n && isBlank(p[i]) { i += 1 }
                if i == n { offset = n; continue }  // trailing blanks
                let b = p[i]
                if b == lf { offset = i + 1; continue }
                if b == hashSign { return try textComment(p, n, hashAt: i) }
                try sampleLine(p, n, from: i)
                return .sample
            }
        }
    }

    private mutating func finish(_ p: UnsafePointer<UInt8>, _ n: Int) throws(ParseError) -> Step {
        if om && !sawEOF {
            lineNumber += 1
            lineStart = n
            throw fail(Message.missingEOF, at: n, p, n)
        }
        return .end
    }

    // MARK: Sample lines

    private mutating func sampleLine(_ p: UnsafePointer<UInt8>, _ n: Int, from start: Int) throws(ParseError) {
        var i = start
        guard isMetricNameStart(p[i]) else {
            throw fail(Message.badMetricNameStart(ParserCore.quotedChar(p, i, n)), at: i, p, n)
        }
        i += 1
        while i < n && isMetricNameChar(p[i]) { i += 1 }
        let nameCount = i - start
        var nameChanged = false
        if nameCount != nameCache.count || !bytesEqual(p, start, nameCache.start, nameCount) {
            nameCache.string = interner.intern(p + start, nameCount)
            nameCache.count = nameCount
            nameChanged = true
        }
        nameCache.start = start

        // What follows the name: labels, or the separator before the value.
        if i < n && p[i] != openBrace && !isBlank(p[i]) && p[i] != lf {
            throw fail(Message.badMetricNameChar(ParserCore.quotedChar(p, i, n)), at: i, p, n)
        }
        if !om { while i < n && isBlank(p[i]) { i += 1 } }
        leValue = nil
        quantileValue = nil
        // The previous sample's pairs are overwritten in place (see `parseLabels`).
        var pairs: [Label] = []
        swap(&pairs, &sample.labelPairs)
        if i < n && p[i] == openBrace {
            i += 1
            try parseLabels(p, n, &i, into: &pairs, cache: true)
        } else {
            if !pairs.isEmpty { pairs.removeAll(keepingCapacity: true) }
            if om && !labelHashes.isEmpty { labelHashes.removeAll(keepingCapacity: true) }
            pairsInSlotOrder = true
        }
        swap(&pairs, &sample.labelPairs)

        // Value.
        if om {
            guard i < n, p[i] == space else {
                if i >= n || p[i] == lf { throw fail(Message.missingValue(nameCache.string), at: i, p, n) }
                throw fail(Message.spaceBeforeValue(ParserCore.quotedChar(p, i, n)), at: i, p, n)
            }
            i += 1
        } else {
            while i < n && isBlank(p[i]) { i += 1 }
        }
        let valueStart = i
        if om {
            while i < n && p[i] != space && p[i] != lf { i += 1 }
        } else {
            while i < n && p[i] != space && p[i] != lf && p[i] != tab { i += 1 }
        }
        if i == valueStart {
            if om && i < n && p[i] == space { throw fail(Message.extraSpace, at: i, p, n) }
            throw fail(Message.missingValue(nameCache.string), at: i, p, n)
        }
        guard let value = parseFloat(p + valueStart, i - valueStart, hex: !om, special: true) else {
            throw fail(Message.badValue(ParserCore.quoted(p, valueStart, i - valueStart), openMetrics: om), at: valueStart, p, n)
        }
        if !om && value.isInfinite && isDigit(p[i - 1]) {  // a number, not the word Inf/Infinity
            // Go's ParseFloat reports a finite literal beyond Double's range as an error.
            throw fail(Message.valueOutOfRange(ParserCore.quoted(p, valueStart, i - valueStart)), at: valueStart, p, n)
        }
        sample.value = value
        sample.timestampMs = nil
        sample.exemplar = nil
        var seconds: Double?

        // Timestamp (and OpenMetrics exemplar), then the end of the line.
        if om {
            if i < n && p[i] == space {
                i += 1
                if i < n && p[i] == hashSign {
                    try parseExemplar(p, n, &i)
                } else {
                    let ts = i
                    while i < n && p[i] != space && p[i] != lf { i += 1 }
                    if i == ts { throw fail(i < n && p[i] == space ? Message.extraSpace : Message.trailingSpace, at: i < n && p[i] == space ? ts : ts - 1, p, n) }
                    guard let parsed = parseSecondsTimestamp(p + ts, i - ts) else {
                        throw fail(Message.badOpenMetricsTimestamp(ParserCore.quoted(p, ts, i - ts)), at: ts, p, n)
                    }
                    seconds = parsed.seconds
                    sample.timestampMs = parsed.ms
                    if i < n && p[i] == space {
                        i += 1
                        guard i < n && p[i] == hashSign else {
                            if i >= n || p[i] == lf { throw fail(Message.trailingSpace, at: i - 1, p, n) }
                            throw fail(Message.afterTimestamp(ParserCore.quotedChar(p, i, n)), at: i, p, n)
                        }
                        try parseExemplar(p, n, &i)
                    }
                }
            }
        } else {
            while i < n && isBlank(p[i]) { i += 1 }
            if i < n && p[i] != lf {
                let ts = i
                while i < n && !isBlank(p[i]) && p[i] != lf { i += 1 }
                if p[ts] == hashSign {
                    throw fail(Message.exemplarInText, at: ts, p, n)
                }
                guard let ms = parseIntegerTimestamp(p + ts, i - ts) else {
                    throw fail(Message.badTextTimestamp(ParserCore.quoted(p, ts, i - ts)), at: ts, p, n)
                }
                sample.timestampMs = ms
                while i < n && isBlank(p[i]) { i += 1 }
                if i < n && p[i] != lf {
                    throw fail(Message.afterTimestamp(ParserCore.quotedChar(p, i, n)), at: i, p, n)
                }
            }
        }
        if i >= n && !endEndsLine {
            throw fail(Message.missingLineFeed, at: n, p, n)
        }
        if i < n && p[i] != lf {  // not reached: every branch above stops at a line feed or the end
            throw fail(Message.afterTimestamp(ParserCore.quotedChar(p, i, n)), at: i, p, n)
        }
        offset = min(n, i + 1)
        sample.name = nameCache.string

        if om {
            try omSample(p, n, nameStart: start, nameCount: nameCount, nameChanged: nameChanged, seconds: seconds)
        } else {
            if nameChanged || !attributionValid { attributeTextSample() }
            sample.family = attrFamily
            sample.type = attrType
            if attrRole == .bucket, let le = leValue, !isNumber(le, openMetrics: false) {
                throw fail(Message.badLe(le), at: leOffset, p, n)
            }
            if attrRole == .quantile, let q = quantileValue, !isNumber(q, openMetrics: false) {
                throw fail(Message.badQuantile(q), at: quantileOffset, p, n)
            }
        }
    }

    private func isNumber(_ text: String, openMetrics: Bool) -> Bool {
        ParserCore.number(text, openMetrics: openMetrics) != nil
    }

    static func number(_ text: String, openMetrics: Bool) -> Double? {
        var copy = text
        return copy.withUTF8 { buffer in
            guard let base = buffer.baseAddress else { return nil }
            return parseFloat(base, buffer.count, hex: !openMetrics, special: true)
        }
    }

    /// Reads labels after `{` up to and including `}`. With `cache`, names and values are looked up
    /// in the per-position caches and `le`/`quantile` are noted, and `pairs` holds the previous
    /// sample's pairs: they are overwritten in place, and a pair whose name and value repeat the
    /// previous line's in the same position is not touched at all (no String copied, retained or
    /// released). Without `cache`, `pairs` starts empty. Leaves the pairs sorted and unique.
    @inline(__always)
    fileprivate mutating func parseLabels(_ p: UnsafePointer<UInt8>, _ n: Int, _ i: inout Int, into pairs: inout [Label], cache: Bool) throws(ParseError) {
        labelSpanCount = 0
        if cache && om { labelHashes.removeAll(keepingCapacity: true) }
        // `pairs[k]` is the previous line's label in position k only if that line needed no sorting.
        let reusable = cache && pairsInSlotOrder
        // Until this line completes, its pairs and slot caches may disagree (an error can stop it
        // between the two): no later line reuses them unless the end below says so.
        if cache { pairsInSlotOrder = false }
        var sorted = true
        var previousStart = 0
        var previousCount = -1
        if !om { while i < n && isBlank(p[i]) { i += 1 } }
        if i < n && p[i] == closeBrace {
            i += 1
            if !pairs.isEmpty { pairs.removeAll(keepingCapacity: true) }
            if cache { pairsInSlotOrder = true }
            return
        }
        var slot = 0
        while true {
            // Name.
            let ns = i
            guard i < n, isLabelNameStart(p[i]) else {
                if i < n && p[i] == closeBrace && om { throw fail(Message.trailingComma, at: i, p, n) }
                throw fail(Message.badLabelNameStart(i < n ? ParserCore.quotedChar(p, i, n) : "the end of the input"), at: i, p, n)
            }
            i += 1
            while i < n && isLabelNameChar(p[i]) { i += 1 }
            let nc = i - ns
            if !om { while i < n && isBlank(p[i]) { i += 1 } }
            guard i < n, p[i] == equals else {
                let label = String(decoding: UnsafeBufferPointer(start: p + ns, count: nc), as: UTF8.self)
                if i < n && !isBlank(p[i]) && p[i] != quote && p[i] != closeBrace && p[i] != comma && p[i] != lf {
                    throw fail(Message.badLabelNameChar(ParserCore.quotedChar(p, i, n), label), at: i, p, n)
                }
                throw fail(Message.expectedEquals(label), at: i, p, n)
            }
            i += 1
            if !om { while i < n && isBlank(p[i]) { i += 1 } }
            guard i < n, p[i] == quote else {
                let label = String(decoding: UnsafeBufferPointer(start: p + ns, count: nc), as: UTF8.self)
                throw fail(Message.expectedQuote(label), at: i, p, n)
            }
            i += 1
            // Value.
            let vs = i
            var escaped = false
            var high: UInt8 = 0
            while true {
                guard i < n else { throw fail(Message.unterminatedValue, at: vs - 1, p, n) }
                let b = p[i]
                if b == quote { break }
                if b == backslash {
                    escaped = true
                    i += 1
                    guard i < n, p[i] != lf else { throw fail(Message.unterminatedValue, at: vs - 1, p, n) }
                    let e = p[i]
                    if !om && e != backslash && e != quote && e != UInt8(ascii: "n") {
                        throw fail(Message.badEscape(ParserCore.quoted(p, i - 1, 2)), at: i - 1, p, n)
                    }
                    high |= e
                    i += 1
                    continue
                }
                if b == lf { throw fail(Message.unterminatedValue, at: vs - 1, p, n) }
                high |= b
                i += 1
            }
            let vc = i - vs
            i += 1

            // Strings: cached by position when the bytes repeat the previous line's.
            let name: String
            let value: String
            var unchanged = false
            if cache {
                if slot == slotNames.count {
                    slotNames.append(CachedSlice())
                    slotValues.append(CachedSlice())
                }
                var nameHit = false
                if slotNames[slot].count == nc && bytesEqual(p, slotNames[slot].start, ns, nc) {
                    name = slotNames[slot].string
                    nameHit = true
                } else {
                    if bytesEqual(p, ns, nc, "__name__") { throw fail(Message.reservedName, at: ns, p, n) }
                    name = interner.intern(p + ns, nc)
                    slotNames[slot].string = name
                    slotNames[slot].count = nc
                    if om { slotNames[slot].hash = fnv1a(p + ns, nc) }
                }
                slotNames[slot].start = ns
                if slotValues[slot].count == vc && bytesEqual(p, slotValues[slot].start, vs, vc) {
                    value = slotValues[slot].string
                    unchanged = nameHit && reusable && slot < pairs.count
                } else {
                    value = try makeValue(p, n, vs, vc, escaped: escaped, nonASCII: high & 0x80 != 0)
                    slotValues[slot].string = value
                    slotValues[slot].count = vc
                    if om {
                        // The hash of the value itself (unescaped), so two spellings of one value agree.
                        slotValues[slot].hash = escaped ? ParserCore.stringHash(value) : fnv1a(p + vs, vc)
                    }
                }
                slotValues[slot].start = vs
                if om { labelHashes.append(pairHash(slotNames[slot].hash, slotValues[slot].hash)) }
                if nc == 2 && p[ns] == UInt8(ascii: "l") && p[ns + 1] == UInt8(ascii: "e") {
                    leValue = value
                    leOffset = vs
                } else if bytesEqual(p, ns, nc, "quantile") {
                    quantileValue = value
                    quantileOffset = vs
                }
            } else {
                if bytesEqual(p, ns, nc, "__name__") { throw fail(Message.reservedName, at: ns, p, n) }
                name = interner.intern(p + ns, nc)
                value = try makeValue(p, n, vs, vc, escaped: escaped, nonASCII: high & 0x80 != 0)
            }
            if previousCount >= 0 {
                let c = compareBytes(p, previousStart, previousCount, ns, nc)
                if c == 0 { throw fail(Message.duplicateLabel(name), at: ns, p, n) }
                if c > 0 { sorted = false }
            }
            previousStart = ns
            previousCount = nc
            if labelSpanCount < labelSpans.count { labelSpans[labelSpanCount] = (ns, nc) } else { labelSpans.append((ns, nc)) }
            labelSpanCount += 1
            if !unchanged {
                if slot < pairs.count { pairs[slot] = Label(name, value) } else { pairs.append(Label(name, value)) }
            }
            slot += 1

            // Separator.
            if !om { while i < n && isBlank(p[i]) { i += 1 } }
            guard i < n else { throw fail(Message.unclosedLabels, at: i, p, n) }
            if p[i] == comma {
                i += 1
                if !om {
                    while i < n && isBlank(p[i]) { i += 1 }
                    if i < n && p[i] == closeBrace {
                        i += 1
                        break
                    }
                }
                continue
            }
            if p[i] == closeBrace {
                i += 1
                break
            }
            throw fail(Message.expectedCommaOrBrace(name, ParserCore.quotedChar(p, i, n)), at: i, p, n)
        }
        if pairs.count > slot { pairs.removeLast(pairs.count - slot) }
        if !sorted { try sortLabels(p, n, &pairs, hashes: cache && om) }
        if cache { pairsInSlotOrder = sorted }
    }

    /// FNV-1a of a String's UTF-8 (for values that were unescaped).
    static func stringHash(_ s: String) -> UInt64 {
        var copy = s
        return copy.withUTF8 { buffer in
            guard let base = buffer.baseAddress else { return 0xcbf2_9ce4_8422_2325 }
            return fnv1a(base, buffer.count)
        }
    }

    /// Labels written out of order: sort them and find duplicates (reported where the second one is).
    /// With `hashes`, the per-label hashes (kept for sample labels only, not an exemplar's) follow.
    private mutating func sortLabels(_ p: UnsafePointer<UInt8>, _ n: Int, _ pairs: inout [Label], hashes: Bool) throws(ParseError) {
        let spans = labelSpans[0..<labelSpanCount]
        let order = pairs.indices.sorted { compareBytes(p, spans[$0].start, spans[$0].count, spans[$1].start, spans[$1].count) < 0 }
        for k in 1..<order.count {
            let a = spans[order[k - 1]]
            let b = spans[order[k]]
            if compareBytes(p, a.start, a.count, b.start, b.count) == 0 {
                throw fail(Message.duplicateLabel(pairs[order[k]].name), at: max(a.start, b.start), p, n)
            }
        }
        pairs = order.map { pairs[$0] }
        if hashes {
            let hashes = labelHashes
            labelHashes = order.map { hashes[$0] }
        }
    }

    /// The String for a label value: unescaped, checked to be UTF-8.
    @inline(__always)
    private mutating func makeValue(_ p: UnsafePointer<UInt8>, _ n: Int, _ start: Int, _ count: Int, escaped: Bool, nonASCII: Bool) throws(ParseError) -> String {
        if !escaped && !nonASCII {
            return String(decoding: UnsafeBufferPointer(start: p + start, count: count), as: UTF8.self)
        }
        return try makeValueSlow(p, n, start, count, escaped: escaped)
    }

    @inline(never)
    private mutating func makeValueSlow(_ p: UnsafePointer<UInt8>, _ n: Int, _ start: Int, _ count: Int, escaped: Bool) throws(ParseError) -> String {
        scratch.removeAll(keepingCapacity: true)
        if escaped {
            ParserCore.unescape(p, start, start + count, into: &scratch, quotes: true)
        } else {
            scratch.append(contentsOf: UnsafeBufferPointer(start: p + start, count: count))
        }
        guard let string = String(validating: scratch, as: UTF8.self) else {
            throw fail(Message.invalidUTF8("label value"), at: start, p, n)
        }
        return string
    }

    /// Resolves `\\`, `\n` and (with `quotes`) `\"`; any other backslash stays as written.
    static func unescape(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int, into out: inout [UInt8], quotes: Bool) {
        var k = start
        while k < end {
            let b = p[k]
            if b == backslash && k + 1 < end {
                let e = p[k + 1]
                if e == backslash { out.append(backslash); k += 2; continue }
                if e == UInt8(ascii: "n") { out.append(lf); k += 2; continue }
                if e == quote && quotes { out.append(quote); k += 2; continue }
            }
            out.append(b)
            k += 1
        }
    }

    func unescapeHelp(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(end - start)
        ParserCore.unescape(p, start, end, into: &out, quotes: om)
        return String(decoding: out, as: UTF8.self)
    }

    /// OpenMetrics exemplar at `#`: `# {labels} value [timestamp]`.
    private mutating func parseExemplar(_ p: UnsafePointer<UInt8>, _ n: Int, _ i: inout Int) throws(ParseError) {
        let hashAt = i
        guard i + 2 < n, p[i + 1] == space, p[i + 2] == openBrace else {
            throw fail(Message.badExemplarStart, at: hashAt, p, n)
        }
        i += 3
        var pairs: [Label] = []
        try parseLabels(p, n, &i, into: &pairs, cache: false)
        var length = 0
        for pair in pairs { length += pair.name.unicodeScalars.count + pair.value.unicodeScalars.count }
        if length > 128 { throw fail(Message.exemplarTooLong(length), at: hashAt + 2, p, n) }
        guard i < n, p[i] == space else {
            throw fail(i >= n || p[i] == lf ? Message.missingExemplarValue : Message.spaceBeforeValue(ParserCore.quotedChar(p, i, n)), at: i, p, n)
        }
        i += 1
        let vs = i
        while i < n && p[i] != space && p[i] != lf { i += 1 }
        if i == vs { throw fail(i < n && p[i] == space ? Message.extraSpace : Message.missingExemplarValue, at: i, p, n) }
        guard let value = parseFloat(p + vs, i - vs, hex: false, special: true) else {
            throw fail(Message.badValue(ParserCore.quoted(p, vs, i - vs), openMetrics: true), at: vs, p, n)
        }
        var ms: Int64?
        if i < n && p[i] == space {
            i += 1
            let ts = i
            while i < n && p[i] != space && p[i] != lf { i += 1 }
            if i == ts { throw fail(i < n && p[i] == space ? Message.extraSpace : Message.trailingSpace, at: ts - 1, p, n) }
            guard let parsed = parseSecondsTimestamp(p + ts, i - ts) else {
                throw fail(Message.badOpenMetricsTimestamp(ParserCore.quoted(p, ts, i - ts)), at: ts, p, n)
            }
            ms = parsed.ms
        }
        if i < n && p[i] == space {
            throw fail(i + 1 >= n || p[i + 1] == lf ? Message.trailingSpace : Message.afterExemplar(ParserCore.quotedChar(p, i + 1, n)), at: i, p, n)
        }
        sample.exemplar = Exemplar(labels: Labels(pairs), value: value, timestampMs: ms)
    }

    // MARK: 0.0.4 metadata and families

    /// A `#` line of the 0.0.4 format, with Go's rules: `# HELP name text` and `# TYPE name type`
    /// are metadata; a HELP/TYPE line that stops before its text is an ordinary comment, as is any
    /// other `#` line.
    private mutating func textComment(_ p: UnsafePointer<UInt8>, _ n: Int, hashAt: Int) throws(ParseError) -> Step {
        var eol = n
        if let found = memchr(p + hashAt, Int32(lf), n - hashAt) {
            eol = p.distance(to: found.assumingMemoryBound(to: UInt8.self))
        } else if !endEndsLine {
            throw fail(Message.missingLineFeed, at: n, p, n)
        }
        offset = min(n, eol + 1)
        var i = hashAt + 1
        while i < eol && isBlank(p[i]) { i += 1 }
        let ks = i
        while i < eol && !isBlank(p[i]) { i += 1 }
        let isHelp = bytesEqual(p, ks, i - ks, "HELP")
        let isType = bytesEqual(p, ks, i - ks, "TYPE")
        guard isHelp || isType else { return .comment(start: hashAt + 1, end: eol) }
        while i < eol && isBlank(p[i]) { i += 1 }
        let ns = i
        if i < eol && isMetricNameStart(p[i]) {
            i += 1
            while i < eol && isMetricNameChar(p[i]) { i += 1 }
        }
        if i == eol { return .comment(start: hashAt + 1, end: eol) }
        guard isBlank(p[i]), i > ns else {
            throw fail(Message.badMetadataName(isHelp ? "HELP" : "TYPE", ParserCore.quotedChar(p, i, n)), at: i, p, n)
        }
        let name = interner.intern(p + ns, i - ns)
        while i < eol && isBlank(p[i]) { i += 1 }
        if i == eol { return .comment(start: hashAt + 1, end: eol) }
        attributionValid = false
        if isHelp {
            try checkUTF8(p, n, i, eol, what: "help text")
            if textFamilies[name]?.hasHelp == true { throw fail(Message.duplicateHelp(name), at: hashAt, p, n) }
            textFamilies[name, default: TextFamily()].hasHelp = true
            return .help(name: name, start: i, end: eol)
        }
        var te = eol
        while te > i && isBlank(p[te - 1]) { te -= 1 }
        let type: MetricType
        switch true {
        case bytesEqual(p, i, te - i, "counter"): type = .counter
        case bytesEqual(p, i, te - i, "gauge"): type = .gauge
        case bytesEqual(p, i, te - i, "histogram"): type = .histogram
        case bytesEqual(p, i, te - i, "summary"): type = .summary
        case bytesEqual(p, i, te - i, "untyped"): type = .untyped
        default:
            throw fail(Message.unknownTextType(ParserCore.quoted(p, i, te - i)), at: i, p, n)
        }
        let known = textFamilies[name]
        if known?.type != nil { throw fail(Message.duplicateType(name), at: hashAt, p, n) }
        if known?.hasSamples == true { throw fail(Message.typeAfterSamples(name), at: hashAt, p, n) }
        textFamilies[name, default: TextFamily()].type = type
        return .type(name: name, type: type)
    }

    /// Go's TextParser assigns a sample to the family of its exact name, else to the summary or
    /// histogram its `_sum`/`_count`/`_bucket` suffix points at, else to a new untyped family.
    private mutating func attributeTextSample() {
        let name = nameCache.string
        var familyName = name
        if textFamilies[name] == nil {
            for (suffix, types) in [("_sum", [MetricType.summary, .histogram]), ("_count", [.summary, .histogram]), ("_bucket", [.histogram])]
            where name.utf8.count > suffix.utf8.count && name.hasSuffix(suffix) {
                let base = String(name.dropLast(suffix.count))
                if let type = textFamilies[base]?.type, types.contains(type) {
                    familyName = base
                    break
                }
            }
        }
        textFamilies[familyName, default: TextFamily()].hasSamples = true
        let type = textFamilies[familyName]?.type ?? .untyped
        attrFamily = familyName
        attrType = type
        if type == .histogram && name == familyName + "_bucket" {
            attrRole = .bucket
        } else if type == .summary && name == familyName {
            attrRole = .quantile
        } else {
            attrRole = .plain
        }
        attributionValid = true
    }

    private func checkUTF8(_ p: UnsafePointer<UInt8>, _ n: Int, _ start: Int, _ end: Int, what: String) throws(ParseError) {
        var k = start
        while k < end && p[k] < 0x80 { k += 1 }
        if k == end { return }
        if String(validating: UnsafeBufferPointer(start: p + start, count: end - start), as: UTF8.self) == nil {
            throw fail(Message.invalidUTF8(what), at: start, p, n)
        }
    }

    // MARK: OpenMetrics metadata and families

    /// A `#` line of OpenMetrics: `# EOF`, `# HELP name text`, `# TYPE name type`, `# UNIT name unit`.
    /// Returns `.end` for `# EOF` (the driver then expects the end of the input).
    private mutating func omMetadata(_ p: UnsafePointer<UInt8>, _ n: Int) throws(ParseError) -> Step {
        let s = offset
        var eol = n
        if let found = memchr(p + s, Int32(lf), n - s) {
            eol = p.distance(to: found.assumingMemoryBound(to: UInt8.self))
        }
        if bytesEqual(p, s, eol - s, "# EOF") {
            try closeFamily(p, n)
            sawEOF = true
            offset = eol < n ? eol + 1 : n
            return .end
        }
        guard eol < n else { throw fail(Message.missingLineFeed, at: n, p, n) }
        guard eol - s >= 2, p[s + 1] == space else { throw fail(Message.badComment, at: s, p, n) }
        if eol - s > 5 && bytesEqual(p, s, 5, "# EOF") { throw fail(Message.textAfterEOF, at: s + 5, p, n) }
        let ks = s + 2
        var i = ks
        while i < eol && p[i] != space { i += 1 }
        let keyword: String
        switch true {
        case bytesEqual(p, ks, i - ks, "HELP"): keyword = "HELP"
        case bytesEqual(p, ks, i - ks, "TYPE"): keyword = "TYPE"
        case bytesEqual(p, ks, i - ks, "UNIT"): keyword = "UNIT"
        default: throw fail(Message.unknownKeyword(ParserCore.quoted(p, ks, i - ks)), at: ks, p, n)
        }
        guard i < eol else { throw fail(Message.missingMetadataName(keyword), at: i, p, n) }
        i += 1
        let ns = i
        guard i < eol, isMetricNameStart(p[i]) else {
            throw fail(i < eol ? Message.badMetricNameStart(ParserCore.quotedChar(p, i, n)) : Message.missingMetadataName(keyword), at: i, p, n)
        }
        while i < eol && isMetricNameChar(p[i]) { i += 1 }
        let name = interner.intern(p + ns, i - ns)
        guard i < eol, p[i] == space else {
            if i < eol { throw fail(Message.badMetricNameChar(ParserCore.quotedChar(p, i, n)), at: i, p, n) }
            throw fail(Message.missingMetadataText(keyword, name), at: i, p, n)
        }
        i += 1
        offset = eol + 1
        suffixValid = false

        if inFamily && family.name == name {
            if family.hasSamples { throw fail(Message.metadataAfterSamples(keyword, name), at: s, p, n) }
        } else {
            try closeFamily(p, n)
            try startFamily(name, bytes: p + ns, count: i - 1 - ns, at: ns, p, n)
        }
        switch keyword {
        case "HELP":
            if family.hasHelp { throw fail(Message.duplicateHelp(name), at: s, p, n) }
            try checkUTF8(p, n, i, eol, what: "help text")
            family.hasHelp = true
            return .help(name: name, start: i, end: eol)
        case "TYPE":
            if family.type != nil { throw fail(Message.duplicateType(name), at: s, p, n) }
            let type: MetricType
            switch true {
            case bytesEqual(p, i, eol - i, "counter"): type = .counter
            case bytesEqual(p, i, eol - i, "gauge"): type = .gauge
            case bytesEqual(p, i, eol - i, "histogram"): type = .histogram
            case bytesEqual(p, i, eol - i, "gaugehistogram"): type = .gaugehistogram
            case bytesEqual(p, i, eol - i, "summary"): type = .summary
            case bytesEqual(p, i, eol - i, "info"): type = .info
            case bytesEqual(p, i, eol - i, "stateset"): type = .stateset
            case bytesEqual(p, i, eol - i, "unknown"): type = .unknown
            case bytesEqual(p, i, eol - i, "untyped"): throw fail(Message.untypedInOpenMetrics, at: i, p, n)
            default:
                var te = i
                while te < eol && p[te] != space { te += 1 }
                if te < eol { throw fail(Message.trailingSpace, at: te, p, n) }
                throw fail(Message.unknownOpenMetricsType(ParserCore.quoted(p, i, eol - i)), at: i, p, n)
            }
            if family.hasUnit && !family.unit.isEmpty && (type == .info || type == .stateset) {
                throw fail(Message.unitNotAllowed(type), at: s, p, n)
            }
            for suffix in Suffix.allowed(for: type) where suffix != .none {
                let taken = name + suffix.text
                if let line = seenNames[taken] { throw fail(Message.clash(taken, line: line), at: ns, p, n) }
                seenNames[taken] = lineNumber
            }
            family.type = type
            family.allowed = Suffix.allowed(for: type)
            return .type(name: name, type: type)
        default:  // UNIT
            if family.hasUnit { throw fail(Message.duplicateUnit(name), at: s, p, n) }
            var k = i
            while k < eol && isMetricNameChar(p[k]) { k += 1 }
            if k < eol {
                throw fail(p[k] == space ? Message.trailingSpace : Message.badUnitChar(ParserCore.quotedChar(p, k, n)), at: k, p, n)
            }
            let unit = String(decoding: UnsafeBufferPointer(start: p + i, count: eol - i), as: UTF8.self)
            if !unit.isEmpty {
                if !name.hasSuffix("_" + unit) { throw fail(Message.unitMismatch(name, unit), at: i, p, n) }
                if let type = family.type, type == .info || type == .stateset {
                    throw fail(Message.unitNotAllowed(type), at: s, p, n)
                }
            }
            family.hasUnit = true
            family.unit = unit
            return .unit(name: name, unit: unit)
        }
    }

    private mutating func startFamily(_ name: String, bytes: UnsafePointer<UInt8>, count: Int, at: Int,
                                      _ p: UnsafePointer<UInt8>, _ n: Int) throws(ParseError) {
        if let line = seenNames[name] { throw fail(Message.clash(name, line: line), at: at, p, n) }
        seenNames[name] = lineNumber
        family = OMFamily(name: name, nameBytes: Array(UnsafeBufferPointer(start: bytes, count: count)), line: lineNumber)
        family.seenGroups = GroupTable(expected: lastFamilyGroups)
        inFamily = true
        suffixValid = false
    }

    /// The end of a family: the last histogram run's checks.
    private mutating func closeFamily(_ p: UnsafePointer<UInt8>, _ n: Int) throws(ParseError) {
        suffixValid = false
        guard inFamily else { return }
        inFamily = false
        // Families of one exposition tend to have as many label sets as the one before.
        lastFamilyGroups = min(family.seenGroups.count, 1 << 20)
        defer { family = OMFamily(name: "", nameBytes: [], line: 0) }
        if family.runActive { try finishRun(&family, p, n) }
    }

    /// The suffix of the sample name after the family name, if the family's type allows it.
    private func suffixOf(_ p: UnsafePointer<UInt8>, _ start: Int, _ count: Int, in family: OMFamily) -> Suffix? {
        let f = family.nameBytes.count
        guard count >= f else { return nil }
        let prefixMatches = family.nameBytes.withUnsafeBufferPointer { memcmp($0.baseAddress!, p + start, f) == 0 }
        guard prefixMatches else { return nil }
        for suffix in family.allowed {
            let text = suffix.text
            if count - f != text.utf8.count { continue }
            var matches = true
            var k = start + f
            for byte in text.utf8 {
                if p[k] != byte { matches = false; break }
                k += 1
            }
            if matches { return suffix }
        }
        return nil
    }

    /// Family assignment and the OpenMetrics sample rules.
    private mutating func omSample(_ p: UnsafePointer<UInt8>, _ n: Int, nameStart: Int, nameCount: Int, nameChanged: Bool, seconds: Double?) throws(ParseError) {
        if nameChanged || !suffixValid {
            if inFamily, let suffix = suffixOf(p, nameStart, nameCount, in: family) {
                currentSuffix = suffix
            } else {
                try closeFamily(p, n)
                try startFamily(nameCache.string, bytes: p + nameStart, count: nameCount, at: nameStart, p, n)
                currentSuffix = .none
            }
            suffixValid = true
            // Set once per run of one family's samples (a TYPE line cannot follow samples).
            sample.family = family.name
            sample.type = family.type ?? .unknown
        }
        let suffix = currentSuffix
        let declared = family.type
        let type = declared ?? .unknown
        family.hasSamples = true
        let value = sample.value
        let at = lineStart

        var special = GroupSpecial.none  // the label left out of the grouping key
        switch type {
        case .stateset:
            guard sample.labelPairs.contains(where: { $0.name == family.name }) else { throw fail(Message.statesetLabel(family.name), at: at, p, n) }
            if valueRules && value != 0 && value != 1 { throw fail(Message.statesetValue, at: at, p, n) }
            special = .familyName
        case .info:
            if valueRules && value != 1 { throw fail(Message.infoValue, at: at, p, n) }
        case .summary where suffix == .none:
            guard let q = quantileValue else { throw fail(Message.missingQuantile(family.name), at: at, p, n) }
            guard let parsed = ParserCore.number(q, openMetrics: true), parsed >= 0, parsed <= 1 else {
                throw fail(Message.badQuantileOM(q), at: quantileOffset, p, n)
            }
            if valueRules && value < 0 { throw fail(Message.negativeQuantileValue, at: at, p, n) }
            special = .quantile
        default:
            break
        }
        var bound = 0.0
        if suffix == .bucket {
            guard let le = leValue else { throw fail(Message.missingLe(family.name), at: at, p, n) }
            guard let parsed = ParserCore.number(le, openMetrics: true), !parsed.isNaN else {
                throw fail(Message.badLeOM(le), at: leOffset, p, n)
            }
            if parsed == .infinity && le != "+Inf" { throw fail(Message.nonCanonicalInf(le), at: leOffset, p, n) }
            bound = parsed
            special = .le
        }
        if valueRules {
            switch suffix {
            case .bucket, .count, .gcount:
                if !(value.isFinite && value == value.rounded()) {
                    throw fail(value.isNaN ? Message.counterNaN(suffix.text) : Message.notInteger(suffix.text), at: at, p, n)
                }
                if value < 0 { throw fail(Message.counterNegative(suffix.text), at: at, p, n) }
            case .total, .sum:
                if value.isNaN { throw fail(Message.counterNaN(suffix.text), at: at, p, n) }
                if value < 0 { throw fail(Message.counterNegative(suffix.text), at: at, p, n) }
            case .gsum:
                if value.isNaN { throw fail(Message.counterNaN(suffix.text), at: at, p, n) }
            default:
                break
            }
        }
        if sample.exemplar != nil {
            let allowed = ((type == .histogram || type == .gaugehistogram) && suffix == .bucket) || (type == .counter && suffix == .total)
            if !allowed { throw fail(Message.exemplarNotAllowed, at: at, p, n) }
        }

        // Grouping: one label set's samples together; timestamps within it present or absent
        // throughout, never going backwards (info excepted).
        var specialIndex = -1
        if let specialLabel = special.label(family: family.name) {
            for (k, pair) in sample.labelPairs.enumerated() where pair.name == specialLabel {
                specialIndex = k
                break
            }
        }
        var groupHash: UInt64 = 0
        if type != .info {
            for (k, h) in labelHashes.enumerated() where k != specialIndex { groupHash &+= h }
        }
        var sameGroup = family.hasGroup
        if type != .info && sameGroup {
            if groupHash != family.groupHash {
                sameGroup = false
            } else {
                if !family.groupRead {
                    family.group = ParserCore.groupKey(p, n, at: family.groupStart, family: family.name, info: false)
                    family.groupRead = true
                }
                sameGroup = family.group.elementsEqual(groupKey(specialIndex: specialIndex))
            }
        }
        var newRun = !sameGroup
        if sameGroup {
            let previous = family.groupTimestamp
            if (previous == nil) != (seconds == nil) { throw fail(Message.timestampMix, at: at, p, n) }
            if let previous, let seconds, seconds < previous, type != .info {
                throw fail(Message.timestampBackwards, at: at, p, n)
            }
            newRun = previous != seconds
        } else {
            // A label set seen before in this family (not the current one) is an interleaved
            // group; a hash seen before is checked against that line's labels, read again.
            let earlier = family.seenGroups.starts(of: groupHash)
            if !earlier.isEmpty {
                let key: [Label] = type == .info ? [] : Array(groupKey(specialIndex: specialIndex))
                for start in earlier where ParserCore.groupKey(p, n, at: start, family: family.name, info: type == .info) == key {
                    throw fail(Message.interleaved(family.name), at: at, p, n)
                }
            }
            let start = GroupTable.Start(offset: lineStart, special: special)
            family.seenGroups.insert(groupHash, start)
            // The group's labels are read again from this line only if the next sample's hash
            // is the same (a histogram's next bucket): most groups are one sample, never copied.
            family.groupStart = start
            family.groupRead = false
            family.groupHash = groupHash
            family.hasGroup = true
        }
        family.groupTimestamp = seconds

        if valueRules && (type == .histogram || type == .gaugehistogram) {
            if newRun || !family.runActive {
                if family.runActive { try finishRun(&family, p, n) }
                family.runActive = true
                family.runTimestamp = seconds
                family.lastBound = nil
                family.lastBucketValue = 0
                family.count = nil
                family.hasSum = false
                family.hasGsum = false
                family.negativeBuckets = false
                family.negativeGsum = false
            }
            family.runLineStart = lineStart
            family.runLine = lineNumber
            switch suffix {
            case .bucket:
                if bound < 0 { family.negativeBuckets = true }
                if let last = family.lastBound, bound <= last { throw fail(Message.bucketsOutOfOrder, at: leOffset, p, n) }
                if value < family.lastBucketValue { throw fail(Message.bucketsDecreasing, at: at, p, n) }
                family.lastBound = bound
                family.lastBucketValue = value
            case .count, .gcount:
                family.count = value
            case .sum:
                family.hasSum = true
            case .gsum:
                family.hasGsum = true
                if value < 0 { family.negativeGsum = true }
            default:
                break
            }
        }
    }

    /// The sample's labels that identify its group: all but the one at `specialIndex`.
    private func groupKey(specialIndex: Int) -> LazyMapSequence<LazyFilterSequence<EnumeratedSequence<[Label]>>, Label> {
        sample.labelPairs.enumerated().lazy.filter { $0.offset != specialIndex }.map(\.element)
    }

    /// The group key of the sample line at `start` (a line that parsed before): its labels,
    /// sorted, without the one its group leaves out.
    static func groupKey(_ p: UnsafePointer<UInt8>, _ n: Int, at start: GroupTable.Start, family: String, info: Bool) -> [Label] {
        guard !info else { return [] }
        let special = start.special.label(family: family)
        var i = start.offset
        while i < n && isMetricNameChar(p[i]) { i += 1 }
        guard i < n, p[i] == openBrace else { return [] }
        i += 1
        var reader = ParserCore(openMetrics: true, valueRules: false, file: nil)
        var pairs: [Label] = []
        guard (try? reader.parseLabels(p, n, &i, into: &pairs, cache: false)) != nil else { return [] }
        return pairs.filter { $0.name != special }
    }

    /// Checks of one histogram run, reported on the run's last line.
    private func finishRun(_ f: inout OMFamily, _ p: UnsafePointer<UInt8>, _ n: Int) throws(ParseError) {
        f.runActive = false
        let gauge = f.type == .gaugehistogram
        var message: String?
        if f.lastBound != .infinity {
            message = Message.missingInfBucket(f.name)
        } else if let count = f.count, count != f.lastBucketValue {
            message = Message.countMismatch(f.name, gauge: gauge)
        } else if f.hasSum && f.count == nil {
            message = Message.sumWithoutCount(f.name)
        } else if f.hasGsum && f.count == nil {
            message = Message.gsumWithoutGcount(f.name)
        } else if !(f.hasSum || f.hasGsum) && f.count != nil {
            message = Message.countWithoutSum(f.name, gauge: gauge)
        } else if f.negativeBuckets && f.hasSum {
            message = Message.sumWithNegativeBuckets(f.name)
        } else if !f.negativeBuckets && f.negativeGsum {
            message = Message.negativeGsum(f.name)
        }
        if let message {
            throw ParserCore.makeError(file: file, message: message, at: f.runLineStart, lineStart: f.runLineStart, line: f.runLine, p, n)
        }
    }
}
