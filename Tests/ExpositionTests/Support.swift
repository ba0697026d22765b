import Foundation
import ScopeCore
import Testing

@testable import Exposition

/// The package root, found from this file's path (Tests/ExpositionTests/Support.swift).
let packageRoot: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The shared conformance corpora (`../shared/conformance` beside the package root; present in CI).
let conformanceRoot: URL = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/conformance")

func readBytes(_ url: URL) -> [UInt8]? {
    FileManager.default.contents(atPath: url.path).map { [UInt8]($0) }
}

/// The error parsing `bytes` gives (through `next()`), or nil when it parses.
func parseError(_ bytes: [UInt8], _ dialect: ExpositionDialect, _ strictness: ExpositionStrictness = .specification) -> ParseError? {
    var parser = ExpositionParser(bytes, dialect: dialect, strictness: strictness)
    do {
        while try parser.next() != nil {}
        return nil
    } catch {
        return error
    }
}

func parseError(_ text: String, _ dialect: ExpositionDialect, _ strictness: ExpositionStrictness = .specification) -> ParseError? {
    parseError(Array(text.utf8), dialect, strictness)
}

/// All entries of a text that must parse.
func entries(_ text: String, _ dialect: ExpositionDialect, _ strictness: ExpositionStrictness = .specification) throws -> [ExpositionEntry] {
    var parser = ExpositionParser(text, dialect: dialect, strictness: strictness)
    var out: [ExpositionEntry] = []
    while let entry = try parser.next() { out.append(entry) }
    return out
}

/// The samples of a text that must parse.
func samples(_ text: String, _ dialect: ExpositionDialect, _ strictness: ExpositionStrictness = .specification) throws -> [ExpositionSample] {
    try entries(text, dialect, strictness).compactMap { if case .sample(let s) = $0 { s } else { nil } }
}

/// The only sample of a text.
func single(_ text: String, _ dialect: ExpositionDialect = .prometheusText) throws -> ExpositionSample {
    let all = try samples(text, dialect)
    try #require(all.count == 1, "expected one sample in \(text.debugDescription), got \(all.count)")
    return all[0]
}

/// Samples through the visitor path, copied out.
func visitedSamples(_ bytes: [UInt8], _ dialect: ExpositionDialect) throws -> [ExpositionSample] {
    var parser = ExpositionParser(bytes, dialect: dialect)
    var out: [ExpositionSample] = []
    try parser.forEachSample { out.append(copy $0) }
    return out
}
