// A runner for Prometheus's PromQL test scripts (the `promql/testdata/*.test` format of
// Prometheus 2.42, plus the range evaluations and `expect` lines of later versions):
//
//     load 5m
//         http_requests{job="api", instance="0"} 0+10x10
//     eval instant at 50m sum by (job) (http_requests)
//         {job="api"} 100
//     eval_fail instant at 0m label_replace(x, "dst", "", "src", "(.*")
//     eval_ordered instant at 50m sort(http_requests)
//         …
//     eval range from 0 to 10m step 5m http_requests
//         http_requests{job="api", instance="0"} 0 10 20
//     clear
//
// As in Prometheus 2.42: lines are trimmed and `#` comment lines are blank; a blank line ends a
// `load` or `eval` block; the expected result of an instant evaluation is a scalar (a bare
// number, which ends the block) or series with one value each; values compare with a relative
// tolerance of 1e-6; an instant evaluation (unless ordered or expected to fail) is also run as a
// range query from t-1m to t+1m by 1m and its middle step must give the same result; within one
// `load`, a series listed twice keeps its last definition.
//
// Extensions (later promqltest): `eval range from <t> to <t> step <d> <expr>` with one expected
// value per step (`_` for none); `expect fail`, `expect fail msg: <text>`,
// `expect fail regex: <re>`, `expect ordered`, `expect string "<s>"` lines in an eval block;
// `eval_fail` also accepts a query that does not parse.
//
// The runner is pure: it reads no files. Data goes into any `PromQLTestStorage`.

import ScopeCore

/// A store the runner can load test data into.
public protocol PromQLTestStorage: Queryable {
    /// Adds samples (ascending timestamps) to the series with `labels`, creating it if needed.
    /// A sample at a timestamp the series already has replaces it.
    mutating func append(_ labels: Labels, samples: [Sample]) throws
    /// Removes every series.
    mutating func clear() throws
}

/// A simple in-memory `PromQLTestStorage`: a dictionary of sorted sample arrays.
public struct InMemoryTestStorage: PromQLTestStorage {
    private var series: [Labels: [Sample]] = [:]

    public init() {}

    public mutating func append(_ labels: Labels, samples: [Sample]) {
        var existing = series[labels] ?? []
        if let last = existing.last, let first = samples.first, last.timestampMs >= first.timestampMs {
            // Merge by timestamp, later definitions winning.
            var byTime: [Int64: Sample] = [:]
            for s in existing { byTime[s.timestampMs] = s }
            for s in samples { byTime[s.timestampMs] = s }
            existing = byTime.values.sorted { $0.timestampMs < $1.timestampMs }
        } else {
            existing += samples
        }
        series[labels] = existing
    }

    public mutating func clear() {
        series.removeAll()
    }

    public func select(_ matchers: [LabelMatcher], minMs: Int64, maxMs: Int64) -> [Series] {
        var out: [Series] = []
        for (labels, samples) in series where matchers.allSatisfy({ $0.matches(labels[$0.name] ?? "") }) {
            var lo = 0
            var hi = samples.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if samples[mid].timestampMs < minMs { lo = mid + 1 } else { hi = mid }
            }
            var end = lo
            while end < samples.count && samples[end].timestampMs <= maxMs { end += 1 }
            if end > lo { out.append(Series(labels: labels, samples: Array(samples[lo..<end]))) }
        }
        return out
    }
}

// MARK: - Scripts

/// A parsed test script.
public struct PromQLTestScript: Sendable {
    public var file: String
    public var commands: [Command]

    public enum Command: Sendable {
        case load(Load)
        case clear(line: Int)
        case eval(Eval)
    }

    /// `load <step>` and its series, resolved to samples (the first value at time 0).
    public struct Load: Sendable {
        public var line: Int
        public var stepMs: Int64
        public var series: [(labels: Labels, samples: [Sample])]
    }

    /// One expected series: labels and one value per step (nil: no sample).
    public struct ExpectedSeries: Sendable {
        public var line: Int
        public var labels: Labels
        public var values: [Double?]
    }

    public enum Expected: Sendable {
        /// Nothing listed: an empty result.
        case none
        case scalar(Double)
        case series([ExpectedSeries])
        case string(String)
    }

    public enum FailureMatch: Sendable {
        case any
        case message(String)
        case regex(String)
    }

    public struct Eval: Sendable {
        public enum Mode: Sendable, Equatable {
            case instant(atMs: Int64)
            case range(startMs: Int64, endMs: Int64, stepMs: Int64)
        }

        public var line: Int
        /// The query and its 1-based column in the line, for positioned errors.
        public var query: String
        public var queryColumn: Int
        public var mode: Mode
        public var expectFailure: FailureMatch?
        public var ordered: Bool
        public var expected: Expected
        /// A query that did not parse: reported when the eval runs (it may be expected to fail).
        public var parseError: QueryError?
        public var expr: Expr?
    }

    /// Parses a script; errors name `file:line:column`.
    public static func parse(_ text: String, file: String = "<input>") throws(ParseError) -> PromQLTestScript {
        var parser = ScriptParser(file: file, text: text)
        return PromQLTestScript(file: file, commands: try parser.parse())
    }
}

private struct ScriptParser {
    let file: String
    let raw: [String]
    /// Trimmed lines with comment lines blanked, as Prometheus's `getLines`.
    let lines: [String]
    var i = 0

    init(file: String, text: String) {
        self.file = file
        raw = text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            line.hasSuffix("\r") ? String(line.dropLast()) : String(line)
        }
        lines = raw.map { line in
            let t = line.trimmingWhitespace
            return t.hasPrefix("#") ? "" : t
        }
    }

    func error(_ message: String, line: Int, column: Int = 1) -> ParseError {
        ParseError(file: file, position: SourcePosition(line: line + 1, column: column), message: message, sourceLine: raw[line])
    }

    /// The 1-based column (in Unicode scalars) of `needle` in the raw line.
    func column(line: Int, of needle: Substring) -> Int {
        let hay = Array(raw[line].unicodeScalars)
        let pin = Array(needle.unicodeScalars)
        guard !pin.isEmpty, pin.count <= hay.count else { return 1 }
        for start in 0...(hay.count - pin.count) where hay[start..<(start + pin.count)].elementsEqual(pin) {
            return start + 1
        }
        return 1
    }

    mutating func parse() throws(ParseError) -> [PromQLTestScript.Command] {
        var commands: [PromQLTestScript.Command] = []
        while i < lines.count {
            let l = lines[i]
            if l.isEmpty {
                i += 1
                continue
            }
            let word = l.prefix { $0 != " " && $0 != "\t" }.lowercased()
            if word == "clear" {
                commands.append(.clear(line: i + 1))
                i += 1
            } else if word == "load" {
                commands.append(.load(try parseLoad()))
            } else if word.hasPrefix("eval") {
                commands.append(.eval(try parseEval()))
            } else {
                throw error("invalid command \(goQuote(l))", line: i)
            }
        }
        return commands
    }

    func duration(_ text: Substring, line: Int, what: String) throws(ParseError) -> Int64 {
        guard let ms = parseDurationMs(String(text)) else {
            throw error("invalid \(what) \(goQuote(String(text))): not a duration like 5m or 1h30m", line: line, column: column(line: line, of: text))
        }
        return ms
    }

    mutating func parseLoad() throws(ParseError) -> PromQLTestScript.Load {
        let header = i
        let words = lines[i].split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard words.count == 2 else { throw error("invalid load command (load <step:duration>)", line: i) }
        let step = try duration(words[1], line: i, what: "step")
        var order: [Labels] = []
        var defs: [Labels: [Sample]] = [:]
        i += 1
        while i < lines.count, !lines[i].isEmpty {
            let desc: SeriesDescription
            do {
                desc = try SeriesDescription.parse(lines[i])
            } catch {
                throw self.error(error.message, line: i, column: column(line: i, of: Substring(lines[i])) + error.column - 1)
            }
            var samples: [Sample] = []
            for (k, v) in desc.values.enumerated() {
                if let v { samples.append(Sample(timestampMs: Int64(k) * step, value: v)) }
            }
            if defs[desc.labels] == nil { order.append(desc.labels) }
            defs[desc.labels] = samples  // a repeated series keeps its last definition
            i += 1
        }
        return PromQLTestScript.Load(line: header + 1, stepMs: step, series: order.map { ($0, defs[$0]!) })
    }

    mutating func parseEval() throws(ParseError) -> PromQLTestScript.Eval {
        let header = i
        let l = lines[i]
        var rest = Substring(l)
        let word = rest.prefix { $0 != " " && $0 != "\t" }
        rest = rest.dropFirst(word.count).trimmingLeadingWhitespace
        var failure: PromQLTestScript.FailureMatch? = nil
        var ordered = false
        switch word.lowercased() {
        case "eval", "eval_warn", "eval_info": break
        case "eval_fail": failure = .any
        case "eval_ordered": ordered = true
        default: throw error("invalid evaluation command \(goQuote(String(word)))", line: i)
        }
        func next() -> Substring {
            let w = rest.prefix { $0 != " " && $0 != "\t" }
            rest = rest.dropFirst(w.count).trimmingLeadingWhitespace
            return w
        }
        let mode: PromQLTestScript.Eval.Mode
        switch next() {
        case "instant":
            guard next() == "at" else {
                throw error("invalid evaluation command (eval[_fail|_ordered] instant at <time> <query>)", line: i)
            }
            mode = .instant(atMs: try duration(next(), line: i, what: "evaluation time"))
        case "range":
            guard next() == "from" else { throw error("invalid range evaluation (eval range from <t> to <t> step <d> <query>)", line: i) }
            let start = try duration(next(), line: i, what: "start time")
            guard next() == "to" else { throw error("invalid range evaluation (eval range from <t> to <t> step <d> <query>)", line: i) }
            let end = try duration(next(), line: i, what: "end time")
            guard next() == "step" else { throw error("invalid range evaluation (eval range from <t> to <t> step <d> <query>)", line: i) }
            let step = try duration(next(), line: i, what: "step")
            guard step > 0 else { throw error("range evaluation step must be positive", line: i) }
            mode = .range(startMs: start, endMs: end, stepMs: step)
        default:
            throw error("invalid evaluation command (eval[_fail|_ordered] instant at <time> <query>)", line: i)
        }
        guard !rest.isEmpty else { throw error("missing query", line: i) }
        let query = String(rest)
        let queryColumn = column(line: i, of: rest)
        var expr: Expr? = nil
        var parseError: QueryError? = nil
        do {
            expr = try PromQL.parse(query)
        } catch {
            var e = QueryError(error)
            if var p = e.position {
                // Positions in the script: line of the eval, column within the line.
                if p.line == 1 { p.column += queryColumn - 1 }
                p.line += header
                e.position = p
            }
            parseError = e
        }

        var expected: [PromQLTestScript.ExpectedSeries] = []
        var scalar: Double? = nil
        var string: String? = nil
        i += 1
        while i < lines.count, !lines[i].isEmpty {
            let line = lines[i]
            if line.hasPrefix("expect ") {
                let directive = line.dropFirst(7).trimmingLeadingWhitespace
                if directive == "fail" {
                    failure = .any
                } else if directive.hasPrefix("fail msg:") {
                    failure = .message(String(directive.dropFirst(9).trimmingLeadingWhitespace))
                } else if directive.hasPrefix("fail regex:") {
                    failure = .regex(String(directive.dropFirst(11).trimmingLeadingWhitespace))
                } else if directive == "ordered" {
                    ordered = true
                } else if directive.hasPrefix("string ") {
                    let quoted = directive.dropFirst(7).trimmingLeadingWhitespace
                    guard case .success(let tokens) = Result(catching: { () throws(ParseError) -> [Token] in try PromQL.tokenize(String(quoted)) }),
                          tokens.count == 2, let value = tokens[0].stringValue else {
                        throw error("expect string needs a quoted string", line: i)
                    }
                    string = value
                } else if directive.hasPrefix("warn") || directive.hasPrefix("info") || directive.hasPrefix("no_warn") || directive.hasPrefix("no_info") {
                    // Annotations: the engine emits none; nothing to check.
                } else {
                    throw error("unknown expectation \(goQuote(String(directive)))", line: i)
                }
                i += 1
                continue
            }
            if case .success(let v) = parsePromQLNumber(line) {
                scalar = v
                i += 1
                break  // a scalar ends the block, as in Prometheus 2.42
            }
            let desc: SeriesDescription
            do {
                desc = try SeriesDescription.parse(line)
            } catch {
                throw self.error(error.message, line: i, column: column(line: i, of: Substring(line)) + error.column - 1)
            }
            if case .instant = mode, desc.values.count != 1 {
                throw error("expecting multiple values in instant evaluation not allowed", line: i)
            }
            expected.removeAll { $0.labels == desc.labels }
            expected.append(PromQLTestScript.ExpectedSeries(line: i + 1, labels: desc.labels, values: desc.values))
            i += 1
        }
        let result: PromQLTestScript.Expected
        if let scalar {
            result = .scalar(scalar)
        } else if let string {
            result = .string(string)
        } else if expected.isEmpty {
            result = .none
        } else {
            result = .series(expected)
        }
        return PromQLTestScript.Eval(line: header + 1, query: query, queryColumn: queryColumn, mode: mode,
                                     expectFailure: failure, ordered: ordered, expected: result,
                                     parseError: parseError, expr: expr)
    }
}

extension StringProtocol {
    fileprivate var trimmingWhitespace: String {
        String(trimmingLeadingWhitespace.reversed().drop { $0 == " " || $0 == "\t" || $0 == "\r" }.reversed())
    }

    fileprivate var trimmingLeadingWhitespace: SubSequence {
        self[(firstIndex { $0 != " " && $0 != "\t" && $0 != "\r" } ?? endIndex)...]
    }
}

// MARK: - Running

/// The outcome of one `eval` (or of a `load` that the storage refused).
public struct PromQLTestOutcome: Sendable, CustomStringConvertible {
    public enum Status: Sendable, Equatable {
        case passed
        case failed(String)
        case excluded(String)
    }

    public var file: String
    public var line: Int
    public var query: String
    public var status: Status

    public var passed: Bool { status == .passed }

    /// `file:line: PASS|FAIL|EXCLUDED query`, then the failure's details indented.
    public var description: String {
        switch status {
        case .passed: return "\(file):\(line): PASS \(query)"
        case .excluded(let reason): return "\(file):\(line): EXCLUDED \(query) (\(reason))"
        case .failed(let details):
            let indented = details.split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }.joined(separator: "\n")
            return "\(file):\(line): FAIL \(query)\n\(indented)"
        }
    }
}

/// All outcomes of one script.
public struct PromQLTestReport: Sendable, CustomStringConvertible {
    public var file: String
    public var outcomes: [PromQLTestOutcome]

    public var passed: Int { outcomes.filter { $0.status == .passed }.count }
    public var failed: [PromQLTestOutcome] { outcomes.filter { if case .failed = $0.status { return true } else { return false } } }
    public var excluded: [PromQLTestOutcome] { outcomes.filter { if case .excluded = $0.status { return true } else { return false } } }

    /// Failures in full, then a one-line summary.
    public var description: String {
        var out = failed.map(\.description)
        out.append("\(file): \(passed) passed, \(failed.count) failed, \(excluded.count) excluded")
        return out.joined(separator: "\n")
    }
}

/// Runs test scripts against an `Engine` and a storage.
public struct PromQLTestRunner: Sendable {
    public var engine: Engine
    /// Also run every instant evaluation as a range query around its time and compare the
    /// middle step (Prometheus's promqltest does).
    public var checkRangeMode: Bool

    public init(engine: Engine = Engine(), checkRangeMode: Bool = true) {
        self.engine = engine
        self.checkRangeMode = checkRangeMode
    }

    /// Runs `script` on `storage` (cleared first). `exclusions` maps eval line numbers to the
    /// reason they are not run; they are reported as excluded.
    public func run<S: PromQLTestStorage>(_ script: PromQLTestScript, storage: inout S,
                                          exclusions: [Int: String] = [:]) -> PromQLTestReport {
        var outcomes: [PromQLTestOutcome] = []
        do {
            try storage.clear()
        } catch {
            outcomes.append(PromQLTestOutcome(file: script.file, line: 1, query: "clear", status: .failed("storage: \(error)")))
            return PromQLTestReport(file: script.file, outcomes: outcomes)
        }
        for command in script.commands {
            switch command {
            case .clear(let line):
                do { try storage.clear() } catch {
                    outcomes.append(PromQLTestOutcome(file: script.file, line: line, query: "clear", status: .failed("storage: \(error)")))
                }
            case .load(let load):
                for (labels, samples) in load.series where !samples.isEmpty {
                    do { try storage.append(labels, samples: samples) } catch {
                        outcomes.append(PromQLTestOutcome(file: script.file, line: load.line, query: "load \(formatMetric(labels))",
                                                          status: .failed("storage refused the samples: \(error)")))
                    }
                }
            case .eval(let eval):
                let status: PromQLTestOutcome.Status
                if let reason = exclusions[eval.line] {
                    status = .excluded(reason)
                } else {
                    status = run(eval, on: storage)
                }
                outcomes.append(PromQLTestOutcome(file: script.file, line: eval.line, query: eval.query, status: status))
            }
        }
        return PromQLTestReport(file: script.file, outcomes: outcomes)
    }

    /// Parses and runs a script's text.
    public func run<S: PromQLTestStorage>(_ text: String, file: String, storage: inout S,
                                          exclusions: [Int: String] = [:]) -> PromQLTestReport {
        do {
            let script = try PromQLTestScript.parse(text, file: file)
            return run(script, storage: &storage, exclusions: exclusions)
        } catch {
            return PromQLTestReport(file: file, outcomes: [
                PromQLTestOutcome(file: file, line: error.position.line, query: "(script)", status: .failed("\(error)")),
            ])
        }
    }

    private func run<S: PromQLTestStorage>(_ eval: PromQLTestScript.Eval, on storage: S) -> PromQLTestOutcome.Status {
        // Evaluate.
        let result: Result<QueryResult, QueryError>
        if let parseError = eval.parseError {
            result = .failure(parseError)
        } else {
            let expr = eval.expr!
            switch eval.mode {
            case .instant(let t):
                result = Result { () throws(QueryError) -> QueryResult in try engine.instant(expr, source: eval.query, at: t, on: storage) }
            case .range(let start, let end, let step):
                result = Result { () throws(QueryError) -> QueryResult in
                    try engine.range(expr, source: eval.query, start: start, end: end, step: step, on: storage)
                }
            }
        }

        // Expected failures.
        if let failure = eval.expectFailure {
            switch result {
            case .success(let value):
                return .failed("expected the query to fail, but it returned:\n\(describe(value))")
            case .failure(let error):
                switch failure {
                case .any: return .passed
                case .message(let m):
                    return error.message == m ? .passed : .failed("expected error message \(goQuote(m)), got \(goQuote(error.message))")
                case .regex(let r):
                    guard let regex = try? GoRegex(r) else { return .failed("invalid regex in expect fail: \(r)") }
                    return regex.search(Array(error.message.unicodeScalars), from: 0) != nil
                        ? .passed : .failed("expected error matching /\(r)/, got \(goQuote(error.message))")
                }
            }
        }
        let value: QueryResult
        switch result {
        case .failure(let error):
            return .failed("error evaluating query: \(error.description)")
        case .success(let v):
            value = v
        }

        switch eval.mode {
        case .range(let start, _, let step):
            return compareRange(value, eval.expected, start: start, step: step)
        case .instant(let t):
            if let problem = compareInstant(value, eval.expected, ordered: eval.ordered) {
                return .failed(problem)
            }
            guard checkRangeMode, !eval.ordered, let expr = eval.expr,
                  expr.type == .scalar || expr.type == .instantVector else { return .passed }
            // Same query as a range query around t: its middle step must agree.
            let rangeResult: QueryResult
            do {
                rangeResult = try engine.range(expr, source: eval.query, start: t - 60_000, end: t + 60_000, step: 60_000, on: storage)
            } catch {
                return .failed("error evaluating query in range mode: \(error.description)")
            }
            guard case .matrix(let series) = rangeResult else { return .failed("range mode returned \(describe(rangeResult))") }
            var atT: [InstantSample] = []
            for s in series {
                if let p = s.samples.first(where: { $0.timestampMs == t }) {
                    atT.append(InstantSample(labels: s.labels, timestampMs: t, value: p.value))
                }
            }
            let midStep: QueryResult
            if expr.type == .scalar {
                midStep = .scalar(timestampMs: t, value: atT.first?.value ?? .nan)
            } else {
                midStep = .vector(atT)
            }
            if let problem = compareInstant(midStep, eval.expected, ordered: false) {
                return .failed("in range mode (t-1m to t+1m by 1m, middle step): " + problem)
            }
            return .passed
        }
    }

    // MARK: Comparison

    private func compareInstant(_ value: QueryResult, _ expected: PromQLTestScript.Expected, ordered: Bool) -> String? {
        switch value {
        case .matrix:
            return "received range result on instant evaluation:\n\(describe(value))"
        case .string(_, let s):
            guard case .string(let want) = expected else { return "got string \(goQuote(s)), expected \(describe(expected))" }
            return s == want ? nil : "expected string \(goQuote(want)), got \(goQuote(s))"
        case .scalar(_, let v):
            guard case .scalar(let want) = expected else { return "got scalar \(formatSampleValue(v)), expected \(describe(expected))" }
            return almostEqual(want, v) ? nil : "expected scalar \(formatSampleValue(want)), got \(formatSampleValue(v))"
        case .vector(let samples):
            let want: [PromQLTestScript.ExpectedSeries]
            switch expected {
            case .none: want = []
            case .series(let s): want = s
            case .scalar, .string: return "got an instant vector, expected \(describe(expected)):\n\(describe(value))"
            }
            return diffVector(samples, want, ordered: ordered)
        }
    }

    /// A promtool-like diff: `-` expected only, `+` got only, `~` different values, `!` order.
    private func diffVector(_ got: [InstantSample], _ want: [PromQLTestScript.ExpectedSeries], ordered: Bool) -> String? {
        var lines: [String] = []
        var expectedIndex: [Labels: Int] = [:]
        for (k, w) in want.enumerated() { expectedIndex[w.labels] = k }
        var seen = Set<Labels>()
        for (position, s) in got.enumerated() {
            guard let k = expectedIndex[s.labels] else {
                lines.append("  + \(formatMetric(s.labels)) \(formatSampleValue(s.value))    (unexpected)")
                continue
            }
            seen.insert(s.labels)
            let w = want[k].values[0] ?? .nan
            if !almostEqual(w, s.value) {
                lines.append("  ~ \(formatMetric(s.labels)) expected \(formatSampleValue(w)), got \(formatSampleValue(s.value))")
            }
            if ordered && k != position {
                lines.append("  ! \(formatMetric(s.labels)) expected at position \(k + 1), got at \(position + 1)")
            }
        }
        for w in want where !seen.contains(w.labels) {
            lines.append("  - \(formatMetric(w.labels)) \(formatSampleValue(w.values[0] ?? .nan))    (missing)")
        }
        guard !lines.isEmpty else { return nil }
        return "expected \(want.count) series, got \(got.count):\n" + lines.joined(separator: "\n")
    }

    private func compareRange(_ value: QueryResult, _ expected: PromQLTestScript.Expected, start: Int64, step: Int64) -> PromQLTestOutcome.Status {
        guard case .matrix(let got) = value else { return .failed("expected a matrix, got \(describe(value))") }
        let want: [PromQLTestScript.ExpectedSeries]
        switch expected {
        case .none: want = []
        case .series(let s): want = s
        case .scalar(let v):
            // A scalar range result is one series without labels.
            want = [PromQLTestScript.ExpectedSeries(line: 0, labels: Labels(), values: [v])]
        case .string: return .failed("a range query cannot return a string")
        }
        var lines: [String] = []
        var gotByLabels: [Labels: Series] = [:]
        for s in got { gotByLabels[s.labels] = s }
        for w in want {
            let points = w.values.enumerated().compactMap { k, v in v.map { Sample(timestampMs: start + Int64(k) * step, value: $0) } }
            guard let g = gotByLabels.removeValue(forKey: w.labels) else {
                lines.append("  - \(formatMetric(w.labels)) \(describe(points))    (missing)")
                continue
            }
            let same = g.samples.count == points.count
                && zip(g.samples, points).allSatisfy { $0.timestampMs == $1.timestampMs && almostEqual($1.value, $0.value) }
            if !same {
                lines.append("  ~ \(formatMetric(w.labels))\n      expected \(describe(points))\n      got      \(describe(g.samples))")
            }
        }
        for s in got where gotByLabels[s.labels] != nil {
            lines.append("  + \(formatMetric(s.labels)) \(describe(s.samples))    (unexpected)")
        }
        guard !lines.isEmpty else { return .passed }
        return .failed("expected \(want.count) series, got \(got.count):\n" + lines.joined(separator: "\n"))
    }

    private func describe(_ points: [Sample]) -> String {
        points.map { "\(formatSampleValue($0.value))@\(formatDurationMs($0.timestampMs))" }.joined(separator: " ")
    }

    private func describe(_ value: QueryResult) -> String {
        switch value {
        case .scalar(_, let v): return "scalar \(formatSampleValue(v))"
        case .string(_, let s): return "string \(goQuote(s))"
        case .vector(let samples):
            return samples.isEmpty ? "  (empty vector)" : samples.map { "  \($0)" }.joined(separator: "\n")
        case .matrix(let series):
            return series.isEmpty ? "  (empty matrix)" : series.map { "  \(formatMetric($0.labels)) \(describe($0.samples))" }.joined(separator: "\n")
        }
    }

    private func describe(_ expected: PromQLTestScript.Expected) -> String {
        switch expected {
        case .none: return "an empty result"
        case .scalar(let v): return "scalar \(formatSampleValue(v))"
        case .string(let s): return "string \(goQuote(s))"
        case .series(let s): return "\(s.count) series"
        }
    }
}

/// Prometheus's test comparison: both NaN, equal, or within a relative error of 1e-6 (an
/// absolute one near zero).
public func almostEqual(_ a: Double, _ b: Double) -> Bool {
    if a.isNaN && b.isNaN { return true }
    if a == b { return true }
    let epsilon = 0.000001
    let minNormal = Double.leastNormalMagnitude
    let diff = Swift.abs(a - b)
    if a == 0 || b == 0 || diff < minNormal { return diff < epsilon * minNormal }
    return diff / (Swift.abs(a) + Swift.abs(b)) < epsilon
}
