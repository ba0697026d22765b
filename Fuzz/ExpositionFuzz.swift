// libFuzzer entry for the exposition parser (Prometheus text 0.0.4 and OpenMetrics 1.0). Built by
// scripts/fuzz together with Exposition's and ScopeCore's sources. Every input is parsed in both
// dialects at both strictness levels, and beyond "no crash, no hang, no out-of-bounds
// read" it checks:
//   - the pull parser (`next()`) and the visitor (`forEachSample`) see the same samples and fail
//     with the same error;
//   - 0.0.4: each sample's name, labels, value and timestamp are what a fresh parser reads from its
//     line alone (the parser reuses the previous line's strings and label pairs);
//   - an error has a sane position (line ≥ 1, column ≥ 1, offset within the input) and prints;
//   - whatever parses, encoded again in its dialect, parses back to the same families;
//   - `check metrics`' reader (MetricsCheck, the Go parser's rules) gives an error on a line of
//     the input, or families with samples whose lint problems come sorted.

import ScopeCore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    check(bytes, .prometheusText, .specification)
    check(bytes, .prometheusText, .prometheusCompatible)  // the last line may lack its line feed
    check(bytes, .openMetrics, .specification)
    check(bytes, .openMetrics, .prometheusCompatible)
    checkMetricsCheck(bytes)
    return 0
}

private func checkMetricsCheck(_ bytes: [UInt8]) {
    let result = MetricsCheck.check(bytes)
    if let error = result.error {
        let lines = bytes.reduce(1) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
        guard error.line >= 1, error.line <= lines else { fatalError("check metrics: error on line \(error.line) of \(lines)") }
        _ = error.description
        return
    }
    guard result.families.allSatisfy({ $0.metrics > 0 }), result.samples >= result.families.count else {
        fatalError("check metrics: a family without samples, or fewer samples than families")
    }
    let problems = MetricsLint.problems(result.families)
    guard problems == problems.sorted() else { fatalError("check metrics: lint problems out of order") }
    _ = MetricsLint.cardinality(result.families)
}

private func check(_ bytes: [UInt8], _ dialect: ExpositionDialect, _ strictness: ExpositionStrictness) {
    var pull = ExpositionParser(bytes, dialect: dialect, strictness: strictness)
    var pulled: [ExpositionSample] = []
    var sampleLines: [Int] = []
    var pullError: ParseError?
    do {
        while let entry = try pull.next() {
            if case .sample(let sample) = entry {
                pulled.append(sample)
                sampleLines.append(pull.line)
            }
        }
    } catch {
        pullError = error
    }
    var visit = ExpositionParser(bytes, dialect: dialect, strictness: strictness)
    var visited: [ExpositionSample] = []
    var visitError: ParseError?
    do {
        try visit.forEachSample { visited.append(copy $0) }
    } catch {
        visitError = error
    }
    guard pulled == visited, pullError == visitError else {
        fatalError("next() and forEachSample disagree (\(dialect)): \(pulled.count) vs \(visited.count) samples, \(String(describing: pullError)) vs \(String(describing: visitError))")
    }
    if dialect == .prometheusText { checkAgainstFreshParses(bytes, pulled, sampleLines) }
    if let error = pullError {
        guard error.position.line >= 1, error.position.column >= 1, error.position.offset >= 0, error.position.offset <= bytes.count else {
            fatalError("bad error position \(error.position) for input of \(bytes.count) bytes")
        }
        _ = error.description
        return
    }
    guard strictness == .specification else { return }

    // Round trip: parse → encode → parse gives the same families. OpenMetrics timestamps are kept to
    // the millisecond, so two sub-millisecond-apart timestamps can become equal and join two
    // histogram runs; the second parse therefore skips the per-run value rules.
    let families: [MetricFamily]
    do {
        families = try ExpositionParser.parseFamilies(bytes, dialect: dialect, strictness: strictness)
    } catch {
        fatalError("parseFamilies failed where next() succeeded: \(error)")
    }
    let text = encodeExposition(families, as: dialect)
    do {
        let again = try ExpositionParser.parseFamilies(text, dialect: dialect, strictness: .prometheusCompatible)
        guard again == families else {
            fatalError("round trip changed the families (\(dialect)):\n\(families)\n---\n\(again)\n--- encoded:\n\(text)")
        }
    } catch {
        fatalError("encoder output does not parse (\(dialect)): \(error)\n--- encoded:\n\(text)")
    }
}

/// 0.0.4: every sample equals (name, labels, value, timestamp) the only sample of its line parsed
/// by a new parser.
private func checkAgainstFreshParses(_ bytes: [UInt8], _ samples: [ExpositionSample], _ lines: [Int]) {
    let lineTexts = bytes.split(separator: 0x0A, omittingEmptySubsequences: false)
    for (sample, line) in zip(samples, lines) {
        guard line >= 1, line <= lineTexts.count else { fatalError("sample line \(line) out of range") }
        var alone = ExpositionParser(Array(lineTexts[line - 1]) + [0x0A], dialect: .prometheusText)
        var fresh: [ExpositionSample] = []
        do {
            try alone.forEachSample { fresh.append(copy $0) }
        } catch {
            fatalError("line \(line) parses in context but not alone: \(error)")
        }
        guard fresh.count == 1, fresh[0].name == sample.name, fresh[0].labelPairs == sample.labelPairs,
              fresh[0].timestampMs == sample.timestampMs,
              fresh[0].value == sample.value || (fresh[0].value.isNaN && sample.value.isNaN)
        else { fatalError("line \(line): in context \(sample), alone \(fresh)") }
    }
}
