import Foundation
import Testing

@testable import ScopeUI

/// The renderer's frames compared with text files of the cell buffer in Golden/. After an
/// intended change to the look, regenerate them with
/// `STRMSCOPE_UPDATE_GOLDEN=1 swift test --disable-xctest --filter GoldenFrameTests` and review
/// the diff like code.
@Suite struct GoldenFrameTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")

    func check(_ name: String, _ frame: ScopeFrame, width: Int, height: Int) throws {
        let buffer = ScopeScreen.render(frame, width: width, height: height).buffer
        #expect(buffer.width == width && buffer.height == height)
        let text = buffer.text + "\n"
        let file = Self.directory.appendingPathComponent("\(name).txt")
        if ProcessInfo.processInfo.environment["STRMSCOPE_UPDATE_GOLDEN"] != nil {
            try FileManager.default.createDirectory(at: Self.directory, withIntermediateDirectories: true)
            try text.write(to: file, atomically: true, encoding: .utf8)
            return
        }
        let expected = try String(contentsOf: file, encoding: .utf8)
        if text != expected {
            let got = text.split(separator: "\n", omittingEmptySubsequences: false)
            let want = expected.split(separator: "\n", omittingEmptySubsequences: false)
            let firstDifference = zip(got, want).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(got.count, want.count)
            Issue.record("""
                \(name): frame differs from Golden/\(name).txt from row \(firstDifference)
                got:  \(firstDifference < got.count ? got[firstDifference] : "<none>")
                want: \(firstDifference < want.count ? want[firstDifference] : "<none>")
                (regenerate with STRMSCOPE_UPDATE_GOLDEN=1 if the change is intended)
                """)
        }
    }

    @Test(arguments: [(80, 24), (120, 40), (200, 60)])
    func liveDefaultDashboard(width: Int, height: Int) throws {
        try check("live-\(width)x\(height)", ScopeFixtures.frame(), width: width, height: height)
    }

    @Test(arguments: [(0, 0), (1, 1), (39, 11)])
    func degenerateSizesSayTooSmallWithoutCrashing(width: Int, height: Int) throws {
        try check("tiny-\(width)x\(height)", ScopeFixtures.frame(), width: width, height: height)
    }

    @Test func asciiFallback() throws {
        try check("ascii-80x24", ScopeFixtures.frame(glyphs: .ascii), width: 80, height: 24)
    }

    @Test func helpOverlay() throws {
        var state = ScopeFixtures.state()
        _ = state.handle(.character("?"), config: ScopeFixtures.config, nowMs: ScopeFixtures.endMs)
        try check("help-120x40", ScopeFixtures.frame(state: state), width: 120, height: 40)
    }

    static let alerts = [
        ScopeAlert(name: "ConsumerLagTooHigh", firing: true, severity: "warning", subject: "billing/orders", activeAtMs: ScopeFixtures.endMs - 95_000,
                   value: 42, summary: "lag 42s", runbookURL: "Runbooks/ConsumerLagTooHigh.md"),
        ScopeAlert(name: "DLQGrowing", firing: false, severity: "ticket", subject: "orders.dlq", activeAtMs: ScopeFixtures.endMs - 20_000,
                   value: 30, summary: "dlq", runbookURL: nil),
    ]

    @Test func alertPanelListsFiringThenPending() throws {
        var frame = ScopeFixtures.frame()
        frame.alerts = Self.alerts
        try check("alerts-120x40", frame, width: 120, height: 40)
    }

    @Test func runbookViewerShowsTheMarkdownScrolled() throws {
        var state = ScopeFixtures.state()
        state.runbook = RunbookView(title: "ConsumerLagTooHigh — Runbooks/ConsumerLagTooHigh.md", text: """
            # ConsumerLagTooHigh

            ## Meaning
            The oldest unconsumed record of a partition is older than the threshold.

            ## Diagnosis
            - Look at the group:
            ```
            strmscope log groups --dir /var/lib/strmscope
            ```
            A line long enough to be wrapped at eighty columns, because runbooks are written in prose and need to stay readable \u{1b}[31m.

            ## Mitigation
            1. Scale the group out.
            2. Pause the producer.
            3. Reset the offsets only with the owner's consent.
            4. Page the team that owns the consumer.
            """)
        var frame = ScopeFixtures.frame(state: state)
        frame.alerts = Self.alerts
        try check("runbook-80x24", frame, width: 80, height: 24)
        // Scrolled as far as it goes: the last page is full.
        state.runbook?.scroll = 100
        try check("runbook-scrolled-80x24", ScopeFixtures.frame(state: state), width: 80, height: 24)
    }

    @Test func stoppedAndScrolledBackWithTriggerCapture() throws {
        var state = ScopeFixtures.state(timePerDivisionMs: 2_000)
        let histories = ScopeFixtures.histories()
        // The lag crosses 5 s at 572 s: the capture shows it 20% from the left.
        state.triggerState.rearm(afterMs: ScopeFixtures.endMs - 60_000)
        state.advance(histories: histories, nowMs: ScopeFixtures.endMs, liveEndMs: ScopeFixtures.endMs)
        #expect(state.status == .triggered)
        _ = state.handle(.character(" "), config: ScopeFixtures.config, nowMs: ScopeFixtures.endMs)
        _ = state.handle(.left, config: ScopeFixtures.config, nowMs: ScopeFixtures.endMs)
        try check("stopped-120x40", ScopeFixtures.frame(state: state), width: 120, height: 40)
    }
}
