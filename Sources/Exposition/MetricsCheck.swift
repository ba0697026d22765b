#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ScopeCore

/// `strmscope check metrics`: an exposition read the way `promtool check metrics` (Prometheus
/// 2.42) reads it, with the Go text parser of prometheus/common's expfmt (v0.39) — the Prometheus
/// text format 0.0.4, stricter than a scrape in places (a value must be a decimal float within
/// range, no hexadecimal; a label value valid UTF-8) and looser in others (no `# EOF`, HELP after
/// samples) — into the facts promlint's rules need (see `MetricsLint`). Same verdicts, same error
/// messages and line numbers: `scripts/check-metrics-test` runs both tools over the conformance
/// corpus, hand-written edge cases and strmscope's own exposition.
///
/// This is a second reader of the text format beside `ExpositionParser` on purpose: that one is
/// the ingestion path, with the deliberate leniencies a scrape needs and the speed it needs; this
/// one answers "would promtool accept it?", so it follows the Go parser's state machine step by
/// step, quirks included (a `# HELP x_bucket` line documents histogram `x`; a trailing blank after
/// a value is read as an empty timestamp).
public enum MetricsCheck {
    /// The types a TYPE line may name (the protobuf enum the Go parser looks the word up in,
    /// upper-cased).
    public enum MetricType: String, Sendable, CaseIterable {
        case counter, gauge, summary, untyped, histogram
        case gaugeHistogram = "gauge_histogram"
    }

    /// One metric family with samples, as the Go parser builds it.
    public struct Family: Sendable, Equatable {
        public let name: String
        public internal(set) var type: MetricType?
        public internal(set) var hasHelp = false
        /// One per sample line, but one per label set (without its `quantile`/`le`) for a summary
        /// or histogram, whose sample lines join the metric of their label set.
        public internal(set) var metrics = 0
        /// How often the metrics' labels are `le`, `quantile`, or camelCase (a summary's or
        /// histogram's metric has the labels of its first line, without its own `quantile`/`le`).
        public internal(set) var leLabels = 0, quantileLabels = 0, camelCaseLabels = 0
        /// Buckets of a histogram's first metric, quantiles of a summary's.
        public internal(set) var firstMetricParts = 0
        /// A summary's or histogram's metrics by label set (names and values, sorted, 0xFF between).
        var metricBySignature: [[UInt8]: Int] = [:]

        init(name: String) { self.name = name }

        public static func == (a: Family, b: Family) -> Bool {
            (a.name, a.type, a.hasHelp, a.metrics) == (b.name, b.type, b.hasHelp, b.metrics)
                && (a.leLabels, a.quantileLabels, a.camelCaseLabels, a.firstMetricParts) == (b.leLabels, b.quantileLabels, b.camelCaseLabels, b.firstMetricParts)
        }
    }

    /// expfmt's ParseError: the line counts from 1; the message quotes as Go's %q does.
    public struct ParseError: Error, Equatable, CustomStringConvertible, Sendable {
        public let line: Int
        public let message: String
        public var description: String { "text format parsing error in line \(line): \(message)" }
    }

    public struct Result: Sendable {
        /// Families with at least one sample, in the order they were first named.
        public var families: [Family]
        /// Sample lines read.
        public var samples: Int
        public var error: ParseError?
    }

    public static func check(_ bytes: [UInt8]) -> Result {
        bytes.withUnsafeBufferPointer(check)
    }

    /// The same over bytes in place (a mapped file).
    public static func check(_ buffer: UnsafeBufferPointer<UInt8>) -> Result {
        var machine = TextMachine(buffer)
        machine.run()
        return Result(families: machine.families.filter { $0.metrics > 0 }, samples: machine.samples, error: machine.parseError)
    }
}

/// The Go parser's states (expfmt/text_parse.go), one method each.
private enum TextState {
    case startOfLine, startComment, readingMetricName, readingLabels, startLabelName, startLabelValue, readingValue, startTimestamp
    case readingHelp, readingType
}

private struct TextMachine {
    let input: UnsafeBufferPointer<UInt8>
    var position = 0
    /// The byte last read (0 after the end, as Go's bufio.Reader gives).
    var current: UInt8 = 0
    /// Go's `p.err`: the end of the input (an error unless met at the start of a line) or a
    /// parse error, which stops the machine.
    var atEnd = false
    var parseError: MetricsCheck.ParseError?
    var lineCount = 0
    /// The token last read: a span of the input, or (when escapes changed it) `tokenBuffer`.
    var tokenSpan: Range<Int>? = 0..<0
    var tokenBuffer: [UInt8] = []

    var families: [MetricsCheck.Family] = []
    var familyIndex: [String: Int] = [:]
    var samples = 0
    /// The family of the line being read.
    var family = 0
    var isSummaryCount = false, isSummarySum = false, isHistogramCount = false, isHistogramSum = false
    /// The last name looked up and what it resolved to (names repeat line after line).
    var lastName: [UInt8] = []
    var lastResolution: (family: Int, summaryCount: Bool, summarySum: Bool, histogramCount: Bool, histogramSum: Bool)?

    /// The line's labels as its metric keeps them (a summary's `quantile`, a histogram's `le` left out).
    var metricLabelNames: [Range<Int>] = []
    /// Of those, how many are `le`, `quantile`, camelCase (for the lint rules).
    var lineLe = 0, lineQuantile = 0, lineCamelCase = 0
    /// Whether the label name last read is camelCase (found while scanning it).
    var labelNameIsCamelCase = false
    /// The label name last read: label names have no escapes, so they are spans of the input.
    var labelName = 0..<0
    /// A summary's or histogram's labels for its signature (all but the `quantile`/`le`).
    var signatureLabels: [([UInt8], [UInt8])] = []
    var currentQuantile = Double.nan
    var currentBucket = Double.nan
    /// The metric a summary or histogram line joined (index in its family), for the first metric's parts.
    var metricOfLine = 0

    init(_ input: UnsafeBufferPointer<UInt8>) {
        self.input = input
        tokenBuffer.reserveCapacity(256)
    }

    mutating func run() {
        var state: TextState? = .startOfLine
        while let next = state {
            switch next {
            case .startOfLine: state = startOfLine()
            case .startComment: state = startComment()
            case .readingMetricName: state = readingMetricName()
            case .readingLabels: state = readingLabels()
            case .startLabelName: state = startLabelName()
            case .startLabelValue: state = startLabelValue()
            case .readingValue: state = readingValue()
            case .startTimestamp: state = startTimestamp()
            case .readingHelp: state = readingHelp()
            case .readingType: state = readingType()
            }
        }
        // A premature end of the input: Go turns the io.EOF into this message.
        if atEnd && parseError == nil { fail("unexpected end of input stream") }
    }

    var failed: Bool { atEnd || parseError != nil }

    mutating func fail(_ message: String) {
        parseError = MetricsCheck.ParseError(line: lineCount, message: message)
    }

    @inline(__always)
    mutating func readByte() {
        if position < input.count {
            current = input[position]
            position += 1
        } else {
            current = 0
            atEnd = true
        }
    }

    @inline(__always)
    static func isBlankOrTab(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 }

    mutating func skipBlankTab() {
        repeat { readByte() } while !atEnd && Self.isBlankOrTab(current)
    }

    mutating func skipBlankTabIfCurrentBlankTab() {
        if Self.isBlankOrTab(current) { skipBlankTab() }
    }

    // MARK: States

    mutating func startOfLine() -> TextState? {
        lineCount += 1
        skipBlankTab()
        if atEnd {
            atEnd = false  // the one place the end of the input is not an error
            return nil
        }
        switch current {
        case UInt8(ascii: "#"): return .startComment
        case UInt8(ascii: "\n"): return .startOfLine
        default: return .readingMetricName
        }
    }

    mutating func startComment() -> TextState? {
        skipBlankTab()
        if atEnd { return nil }
        if current == UInt8(ascii: "\n") { return .startOfLine }
        readTokenUntilWhitespace()
        if atEnd { return nil }
        if current == UInt8(ascii: "\n") { return .startOfLine }
        let isHelp = tokenEquals(Self.help)
        guard isHelp || tokenEquals(Self.type) else {
            // Any other comment: skipped to the end of its line.
            while current != UInt8(ascii: "\n") {
                readByte()
                if atEnd { return nil }
            }
            return .startOfLine
        }
        skipBlankTab()
        if atEnd { return nil }
        readTokenAsMetricName()
        if atEnd { return nil }
        if current == UInt8(ascii: "\n") { return .startOfLine }
        guard Self.isBlankOrTab(current) else {
            fail("invalid metric name in comment")
            return nil
        }
        setOrCreateCurrentFamily()
        skipBlankTab()
        if atEnd { return nil }
        if current == UInt8(ascii: "\n") { return .startOfLine }
        return isHelp ? .readingHelp : .readingType
    }

    static let help = Array("HELP".utf8), type = Array("TYPE".utf8)

    mutating func readingMetricName() -> TextState? {
        readTokenAsMetricName()
        if atEnd { return nil }
        guard !tokenIsEmpty else {
            fail("invalid metric name")
            return nil
        }
        setOrCreateCurrentFamily()
        // A sample fixes the family's type if no TYPE line did.
        if families[family].type == nil { families[family].type = .untyped }
        metricLabelNames.removeAll(keepingCapacity: true)
        (lineLe, lineQuantile, lineCamelCase) = (0, 0, 0)
        skipBlankTabIfCurrentBlankTab()
        if atEnd { return nil }
        return .readingLabels
    }

    var familyType: MetricsCheck.MetricType? { families[family].type }

    mutating func readingLabels() -> TextState? {
        if familyType == .summary || familyType == .histogram {
            signatureLabels.removeAll(keepingCapacity: true)
            currentQuantile = .nan
            currentBucket = .nan
        }
        return current == UInt8(ascii: "{") ? .startLabelName : .readingValue
    }

    mutating func startLabelName() -> TextState? {
        skipBlankTab()
        if atEnd { return nil }
        if current == UInt8(ascii: "}") {
            skipBlankTab()
            return atEnd ? nil : .readingValue
        }
        readTokenAsLabelName()
        if atEnd { return nil }
        guard !tokenIsEmpty else {
            fail("invalid label name for metric \(strconvQuote(families[family].name))")
            return nil
        }
        labelName = lastTokenSpan
        if isLabelName(Self.reservedName) {
            fail("label name \"__name__\" is reserved")
            return nil
        }
        let type = familyType
        if !(type == .summary && isLabelName(Self.quantile)) && !(type == .histogram && isLabelName(Self.le)) {
            metricLabelNames.append(labelName)
            if isLabelName(Self.le) { lineLe += 1 }
            if isLabelName(Self.quantile) { lineQuantile += 1 }
            if labelNameIsCamelCase { lineCamelCase += 1 }
        }
        skipBlankTabIfCurrentBlankTab()
        if atEnd { return nil }
        guard current == UInt8(ascii: "=") else {
            fail("expected '=' after label name, found \(strconvQuote(String(Unicode.Scalar(current)), quote: "'"))")
            return nil
        }
        if let last = metricLabelNames.last, metricLabelNames.dropLast().contains(where: { sameBytes($0, last) }) {
            fail("duplicate label names for metric \(strconvQuote(families[family].name))")
            return nil
        }
        return .startLabelValue
    }

    static let reservedName = Array("__name__".utf8), quantile = Array("quantile".utf8), le = Array("le".utf8)

    func isLabelName(_ word: [UInt8]) -> Bool {
        labelName.count == word.count && word.withUnsafeBufferPointer { memcmp(input.baseAddress! + labelName.lowerBound, $0.baseAddress!, word.count) == 0 }
    }

    func sameBytes(_ a: Range<Int>, _ b: Range<Int>) -> Bool { input[a].elementsEqual(input[b]) }

    mutating func startLabelValue() -> TextState? {
        skipBlankTab()
        if atEnd { return nil }
        guard current == UInt8(ascii: "\"") else {
            fail("expected '\"' at start of label value, found \(strconvQuote(String(Unicode.Scalar(current)), quote: "'"))")
            return nil
        }
        readTokenAsLabelValue()
        if failed { return nil }
        guard tokenIsValidUTF8 else {
            fail("invalid label value \(strconvQuote(bytes: token))")
            return nil
        }
        let type = familyType
        if type == .summary || type == .histogram {
            let special = type == .summary ? Self.quantile : Self.le
            if isLabelName(special) {
                guard let bound = tokenAsFloat else {
                    fail("expected float as value for '\(type == .summary ? "quantile" : "le")' label, got \(strconvQuote(bytes: token))")
                    return nil
                }
                if type == .summary { currentQuantile = bound } else { currentBucket = bound }
            } else {
                signatureLabels.append((Array(input[labelName]), token))
            }
        }
        skipBlankTab()
        if atEnd { return nil }
        switch current {
        case UInt8(ascii: ","): return .startLabelName
        case UInt8(ascii: "}"):
            skipBlankTab()
            return atEnd ? nil : .readingValue
        default:
            fail("unexpected end of label value \(strconvQuote(bytes: token))")
            return nil
        }
    }

    mutating func readingValue() -> TextState? {
        // All labels read: a summary's or histogram's line now finds the metric of its label set.
        let type = familyType
        if type == .summary || type == .histogram {
            signatureLabels.sort { $0.0.lexicographicallyPrecedes($1.0) }
            var signature: [UInt8] = []
            for (name, value) in signatureLabels {
                signature += name
                signature.append(0xFF)
                signature += value
                signature.append(0xFF)
            }
            if let existing = families[family].metricBySignature[signature] {
                metricOfLine = existing
            } else {
                metricOfLine = families[family].metrics
                families[family].metricBySignature[signature] = metricOfLine
                addMetric()
            }
        } else {
            addMetric()
        }
        readTokenUntilWhitespace()
        if atEnd { return nil }
        guard tokenAsFloat != nil else {
            fail("expected float as value, got \(strconvQuote(bytes: token))")
            return nil
        }
        samples += 1
        if metricOfLine == 0 {
            if type == .summary && !isSummaryCount && !isSummarySum && !currentQuantile.isNaN { families[family].firstMetricParts += 1 }
            if type == .histogram && !isHistogramCount && !isHistogramSum && !currentBucket.isNaN { families[family].firstMetricParts += 1 }
        }
        // (A gauge_histogram's value has nowhere to go: the Go parser's error for it is lost when
        // the next byte is read, so such lines pass.)
        return current == UInt8(ascii: "\n") ? .startOfLine : .startTimestamp
    }

    /// The line's metric joins its family, with the facts the lint rules read from its labels.
    mutating func addMetric() {
        families[family].metrics += 1
        if lineLe + lineQuantile + lineCamelCase > 0 {
            families[family].leLabels += lineLe
            families[family].quantileLabels += lineQuantile
            families[family].camelCaseLabels += lineCamelCase
        }
    }

    mutating func startTimestamp() -> TextState? {
        skipBlankTab()
        if atEnd { return nil }
        readTokenUntilWhitespace()
        if atEnd { return nil }
        guard tokenAsInteger != nil else {
            fail("expected integer as timestamp, got \(strconvQuote(bytes: token))")
            return nil
        }
        readTokenUntilNewline(escapes: false)
        if failed { return nil }
        guard tokenIsEmpty else {
            fail("spurious string after timestamp: \(strconvQuote(bytes: token))")
            return nil
        }
        return .startOfLine
    }

    mutating func readingHelp() -> TextState? {
        guard !families[family].hasHelp else {
            fail("second HELP line for metric name \(strconvQuote(families[family].name))")
            return nil
        }
        readTokenUntilNewline(escapes: true)
        if failed { return nil }
        families[family].hasHelp = true
        return .startOfLine
    }

    mutating func readingType() -> TextState? {
        guard families[family].type == nil else {
            fail("second TYPE line for metric name \(strconvQuote(families[family].name)), or TYPE reported after samples")
            return nil
        }
        readTokenUntilNewline(escapes: false)
        if failed { return nil }
        // Go upper-cases with Unicode's rules before the lookup.
        let word = String(decoding: token, as: UTF8.self)
        guard let type = MetricsCheck.MetricType.allCases.first(where: { $0.rawValue.uppercased() == word.uppercased() }) else {
            fail("unknown metric type \(strconvQuote(bytes: token))")
            return nil
        }
        families[family].type = type
        return .startOfLine
    }

    // MARK: Tokens
    //
    // Each reader follows its Go namesake byte for byte: it starts at `current` (already read),
    // and leaves the first byte past the token in `current`. Runs without escapes are scanned in
    // place and copied once.

    /// Where the last name token (metric or label name) lies in the input.
    var lastTokenSpan = 0..<0

    /// The token's bytes, for messages and the rare paths.
    var token: [UInt8] { tokenSpan.map { Array(input[$0]) } ?? tokenBuffer }

    var tokenIsEmpty: Bool {
        if let tokenSpan { return tokenSpan.isEmpty }
        return tokenBuffer.isEmpty
    }

    // Questions about the token, answered in place (no copy of a span; no generic closure on
    // the hot path).

    func tokenEquals(_ word: [UInt8]) -> Bool {
        guard let tokenSpan else { return tokenBuffer == word }
        guard tokenSpan.count == word.count else { return false }
        guard !word.isEmpty else { return true }
        return word.withUnsafeBufferPointer { memcmp(input.baseAddress! + tokenSpan.lowerBound, $0.baseAddress!, word.count) == 0 }
    }

    var tokenIsValidUTF8: Bool {
        guard let tokenSpan else { return tokenBuffer.withUnsafeBufferPointer(isValidUTF8) }
        return isValidUTF8(UnsafeBufferPointer(rebasing: input[tokenSpan]))
    }

    var tokenAsFloat: Double? {
        guard let tokenSpan else { return tokenBuffer.withUnsafeBufferPointer(goParseFloat) }
        return goParseFloat(UnsafeBufferPointer(rebasing: input[tokenSpan]))
    }

    /// strconv.ParseInt(token, 10, 64).
    var tokenAsInteger: Int64? {
        guard let tokenSpan else { return tokenBuffer.withUnsafeBufferPointer { $0.isEmpty ? nil : parseIntegerTimestamp($0.baseAddress!, $0.count) } }
        return tokenSpan.isEmpty ? nil : parseIntegerTimestamp(input.baseAddress! + tokenSpan.lowerBound, tokenSpan.count)
    }

    mutating func clearToken() {
        tokenSpan = nil
        tokenBuffer.removeAll(keepingCapacity: true)
    }

    /// The token into `tokenBuffer`, which escapes are about to change.
    mutating func appendToToken(_ byte: UInt8) {
        if let span = tokenSpan {
            tokenBuffer.removeAll(keepingCapacity: true)
            tokenBuffer.append(contentsOf: UnsafeBufferPointer(rebasing: input[span]))
            tokenSpan = nil
        }
        tokenBuffer.append(byte)
    }

    /// Scans from `current` while `accept` holds; the run goes into `token`, the byte after it
    /// into `current` (0 and `atEnd` past the input).
    @inline(__always)
    mutating func scanToken(while accept: (UInt8) -> Bool) {
        let start = position - 1
        guard !atEnd, start >= 0, accept(current) else {
            tokenSpan = position..<position
            return
        }
        var i = position
        while i < input.count && accept(input[i]) { i += 1 }
        tokenSpan = start..<i
        lastTokenSpan = start..<i
        if i < input.count {
            current = input[i]
            position = i + 1
        } else {
            current = 0
            position = i
            atEnd = true
        }
    }

    /// From the current byte up to a blank, tab or line feed (left in `current`).
    mutating func readTokenUntilWhitespace() {
        scanToken { !Self.isBlankOrTab($0) && $0 != UInt8(ascii: "\n") }
    }

    /// From the current byte up to the line feed; with `escapes`, `\\` and `\n` are the only
    /// escape sequences (HELP text).
    mutating func readTokenUntilNewline(escapes: Bool) {
        scanToken { $0 != UInt8(ascii: "\n") && !(escapes && $0 == UInt8(ascii: "\\")) }
        var escaped = false
        while !atEnd {
            if escapes && escaped {
                switch current {
                case UInt8(ascii: "\\"): appendToToken(current)
                case UInt8(ascii: "n"): appendToToken(UInt8(ascii: "\n"))
                default:
                    fail("invalid escape sequence '\\\(String(Unicode.Scalar(current)))'")
                    return
                }
                escaped = false
            } else {
                switch current {
                case UInt8(ascii: "\n"): return
                case UInt8(ascii: "\\"): escaped = true
                default: appendToToken(current)
                }
            }
            readByte()
        }
    }

    @inline(__always)
    static func isLabelNameStart(_ b: UInt8) -> Bool {
        let lower = b | 0x20
        return (lower >= UInt8(ascii: "a") && lower <= UInt8(ascii: "z")) || b == UInt8(ascii: "_")
    }

    @inline(__always)
    static func isLabelNameContinuation(_ b: UInt8) -> Bool { isLabelNameStart(b) || (b &- 0x30) < 10 }

    mutating func readTokenAsMetricName() {
        guard Self.isLabelNameStart(current) || current == UInt8(ascii: ":") else {
            clearToken()
            return
        }
        scanToken { Self.isLabelNameContinuation($0) || $0 == UInt8(ascii: ":") }
    }

    mutating func readTokenAsLabelName() {
        guard Self.isLabelNameStart(current) else {
            clearToken()
            lastTokenSpan = position..<position
            return
        }
        scanToken(while: Self.isLabelNameContinuation)
        labelNameIsCamelCase = isCamelCase(UnsafeBufferPointer(rebasing: input[lastTokenSpan]))
    }

    /// A quoted label value, starting after the opening quote: `\"`, `\\` and `\n` unescaped.
    mutating func readTokenAsLabelValue() {
        // The common case: no escape, no line feed before the closing quote.
        var i = position
        while i < input.count {
            let b = input[i]
            if b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") || b == UInt8(ascii: "\n") { break }
            i += 1
        }
        tokenSpan = position..<i
        if i < input.count && input[i] == UInt8(ascii: "\"") {
            current = UInt8(ascii: "\"")
            position = i + 1
            return
        }
        position = i
        var escaped = false
        while true {
            readByte()
            if atEnd { return }
            if escaped {
                switch current {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"): appendToToken(current)
                case UInt8(ascii: "n"): appendToToken(UInt8(ascii: "\n"))
                default:
                    fail("invalid escape sequence '\\\(String(Unicode.Scalar(current)))'")
                    return
                }
                escaped = false
                continue
            }
            switch current {
            case UInt8(ascii: "\""): return
            case UInt8(ascii: "\n"):
                fail("label value \(strconvQuote(bytes: token)) contains unescaped new-line")
                return
            case UInt8(ascii: "\\"): escaped = true
            default: appendToToken(current)
            }
        }
    }

    // MARK: Families

    /// The family a name belongs to: its own, or the summary or histogram whose `_count`, `_sum`
    /// (or `_bucket`) it is; created untyped when there is none.
    mutating func setOrCreateCurrentFamily() {
        if let known = lastResolution, tokenEquals(lastName) {
            (family, isSummaryCount, isSummarySum, isHistogramCount, isHistogramSum) = known
            return
        }
        isSummaryCount = false
        isSummarySum = false
        isHistogramCount = false
        isHistogramSum = false
        let name = String(decoding: token, as: UTF8.self)
        if let existing = familyIndex[name] {
            family = existing
        } else if let summary = familyIndex[Self.trimming(name, ["_count", "_sum"])], families[summary].type == .summary {
            family = summary
            isSummaryCount = name.hasSuffix("_count") && name.utf8.count > 6
            isSummarySum = name.hasSuffix("_sum") && name.utf8.count > 4
        } else if let histogram = familyIndex[Self.trimming(name, ["_count", "_sum", "_bucket"])], families[histogram].type == .histogram {
            family = histogram
            isHistogramCount = name.hasSuffix("_count") && name.utf8.count > 6
            isHistogramSum = name.hasSuffix("_sum") && name.utf8.count > 4
        } else {
            family = families.count
            families.append(MetricsCheck.Family(name: name))
            familyIndex[name] = family
        }
        // Stable from now on: a name that resolved to a summary or histogram cannot get a family
        // of its own, nor can a family's type change once its samples began.
        lastName = token
        lastResolution = (family, isSummaryCount, isSummarySum, isHistogramCount, isHistogramSum)
    }

    /// `name` without the first of `suffixes` it ends with (and has more than).
    static func trimming(_ name: String, _ suffixes: [String]) -> String {
        for suffix in suffixes where name.utf8.count > suffix.utf8.count && name.hasSuffix(suffix) {
            return String(name.dropLast(suffix.count))
        }
        return name
    }
}

/// Go's strconv.ParseFloat behind expfmt's parseFloat: decimal (no `p`, `P` or `_`, so no
/// hexadecimal), `Inf`/`Infinity` with an optional sign, unsigned `NaN`, any case; a value out of
/// Double's range is an error.
func goParseFloat(_ buffer: UnsafeBufferPointer<UInt8>) -> Double? {
    guard let base = buffer.baseAddress, buffer.count > 0, let value = parseFloat(base, buffer.count, hex: false, special: true) else { return nil }
    if value.isInfinite {
        // Only the words may be infinite; digits that overflow are ErrRange.
        let first = buffer[buffer[0] == UInt8(ascii: "+") || buffer[0] == UInt8(ascii: "-") ? 1 : 0]
        if (first &- 0x30) < 10 || first == UInt8(ascii: ".") { return nil }
    }
    return value
}

/// promlint's camelCase: a lower-case letter followed by an upper-case one.
func isCamelCase(_ name: UnsafeBufferPointer<UInt8>) -> Bool {
    var previousLower = false
    for b in name {
        if previousLower && b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z") { return true }
        previousLower = b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")
    }
    return false
}

func isValidUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
    if !bytes.contains(where: { $0 >= 0x80 }) { return true }
    return String(validating: bytes, as: UTF8.self) != nil
}
