import Foundation
import PromQL
import ScopeCore

/// Where the test scripts live, found from this file's path (no bundle resources needed).
enum ScriptLocations {
    /// `Tests/PromQLTests/Scripts`: the engine's own promqltest scripts.
    static var engineScripts: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Scripts")
    }

    /// `../shared/conformance/promql/testdata-v2.42.0` relative to the package root.
    static var conformance: URL {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent()  // PromQLTests
            .deletingLastPathComponent()  // Tests
            .deletingLastPathComponent()  // package root
            .deletingLastPathComponent()
            .appendingPathComponent("shared/conformance/promql/testdata-v2.42.0")
    }

    /// The `.test` files in `directory`, sorted by name.
    static func scripts(in directory: URL) -> [URL] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasSuffix(".test") }.sorted().map { directory.appendingPathComponent($0) }
    }

    /// Runs one script file with the in-memory storage.
    static func run(_ url: URL, exclusions: [Int: String] = [:], runner: PromQLTestRunner = PromQLTestRunner()) throws -> PromQLTestReport {
        let text = try String(contentsOf: url, encoding: .utf8)
        var storage = InMemoryTestStorage()
        return runner.run(text, file: url.lastPathComponent, storage: &storage, exclusions: exclusions)
    }
}
