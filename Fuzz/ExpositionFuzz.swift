// libFuzzer entry for the exposition parser (Prometheus text 0.0.4 and OpenMetrics 1.0). Built by
// scripts/fuzz together with Exposition's and ScopeCore's sources. Every input is parsed in both
// dialects (OpenMetrics at both strictness levels), and beyond "no crash, no hang, no out-of-bounds
// read" it checks:
//   - the pull parser (`next()`) and the visitor (`forEachSample`) see the same samples and fail
//     with the same error;
//   - an error has a sane position (line ≥ 1, column ≥ 1, offset within the input) and prints;
//   - whatever parses, encoded again in its dialect, parses back to the same families.

import ScopeCore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    check(bytes, .prometheusText, .specification)
    check(bytes, .openMetrics, .specification)
    check(bytes, .openMetrics, .prometheusCompatible)
    return 0
}

private func check(_ bytes: [UInt8], _ dialect: ExpositionDialect, _ strictness: ExpositionStrictness) {
    var pull = ExpositionParser(bytes, dialect: dialect, strictness: strictness)
    var pulled: [ExpositionSample] = []
    var pullError: ParseError?
    do {
        while let entry = try pull.next() {
            if case .sample(let sample) = entry { pulled.append(sample) }
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
