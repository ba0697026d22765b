// libFuzzer entry for the PromQL front end: any bytes, read as UTF-8 (invalid sequences
// repaired), must either fail with a ParseError or parse into a tree whose printed form parses
// back to an equal tree and prints identically; node positions must lie inside the query.
// Never a crash, a hang or a stack overflow. Built by scripts/fuzz-promql together with the
// PromQL and ScopeCore sources (so `PromQL` below is this module's namespace enum).

import ScopeCore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPromQL(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let query = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    _ = try? PromQL.tokenize(query)
    guard let first = try? PromQL.parse(query) else { return 0 }
    let length = query.utf8.count
    first.walk { node in
        let p = node.position
        if p.start < 0 || p.start > p.end || p.end > length {
            fatalError("position \(p) outside the query (\(length) bytes) for \(node) in \(query.debugDescription)")
        }
        return true
    }
    let printed = first.description
    let second: Expr
    do {
        second = try PromQL.parse(printed)
    } catch {
        fatalError("printed form does not parse\nquery:   \(query.debugDescription)\nprinted: \(printed.debugDescription)\n\(error)")
    }
    if second != first {
        fatalError("round trip changed the tree\nquery:   \(query.debugDescription)\nprinted: \(printed.debugDescription)\nagain:   \(second.description.debugDescription)")
    }
    if second.description != printed {
        fatalError("printing is not idempotent\nquery: \(query.debugDescription)\nfirst: \(printed.debugDescription)\nthen:  \(second.description.debugDescription)")
    }
    return 0
}
