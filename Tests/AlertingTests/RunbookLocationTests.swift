import Foundation
import Testing

@testable import Alerting

/// A runbook_url is data (a template can fill it from a scraped label): it opens a file only
/// inside the runbook folders and links only to http(s).
@Suite struct RunbookLocationTests {
    /// `<tmp>/work/Runbooks/Lag.md`, a secret beside the folder, and a symlink inside it that
    /// leads to the secret.
    func tree() throws -> String {
        let root = FileManager.default.temporaryDirectory.path + "/runbook-location-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: root + "/work/Runbooks", withIntermediateDirectories: true)
        try "# Lag\n".write(toFile: root + "/work/Runbooks/Lag.md", atomically: true, encoding: .utf8)
        try "secret\n".write(toFile: root + "/work/secret.txt", atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: root + "/work/Runbooks/escape.md", withDestinationPath: root + "/work/secret.txt")
        return root
    }

    @Test func aRunbookInTheFolderOpens() throws {
        let root = try tree()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let found = RunbookLocation.locate("Runbooks/Lag.md#diagnosis", folders: ["Runbooks"], workingDirectory: root + "/work")
        #expect(found == .file(path: RunbookLocation.resolvedPath(root + "/work/Runbooks/Lag.md")!))
        // From elsewhere, with the folder given by path.
        let elsewhere = RunbookLocation.locate("Runbooks/Lag.md", folders: [root + "/work/Runbooks"], workingDirectory: "/")
        #expect(elsewhere == found)
    }

    @Test(arguments: [
        "/proc/self/environ", "/etc/passwd", "Runbooks/../secret.txt", "Runbooks/../../../../etc/passwd",
        "Runbooks/escape.md", "../work/secret.txt", "secret.txt", "Runbooks",
    ])
    func pathsOutsideTheFoldersAreRefused(_ url: String) throws {
        let root = try tree()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let found = RunbookLocation.locate(url, folders: ["Runbooks"], workingDirectory: root + "/work")
        guard case .refused = found else {
            Issue.record("\(url) was not refused: \(found)")
            return
        }
    }

    @Test func onlyWebLinksAndThoseEncoded() {
        #expect(RunbookLocation.locate("javascript://%0aalert(1)", folders: [], workingDirectory: "/") ==
                .refused(reason: "only http and https runbook links are opened, not javascript:"))
        #expect(RunbookLocation.locate("file:///etc/passwd", folders: [], workingDirectory: "/") ==
                .refused(reason: "only http and https runbook links are opened, not file:"))
        #expect(RunbookLocation.locate("http://evil.example/a\"b'c<d>", folders: [], workingDirectory: "/") ==
                .web(url: "http://evil.example/a%22b%27c%3Cd%3E"))
        #expect(RunbookLocation.locate("https://wiki.example/Lag%20runbook#Step 2\u{1b}]", folders: [], workingDirectory: "/") ==
                .web(url: "https://wiki.example/Lag%20runbook#Step%202%1B]"))
    }
}
