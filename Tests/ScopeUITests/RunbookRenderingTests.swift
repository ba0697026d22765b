import Markdown
import Foundation
import Testing

@testable import ScopeUI

/// The runbook viewer renders Markdown (parsed by cmark): golden frames of a runbook with every
/// construct, with the style of every cell, without colour and in ASCII; links as hyperlinks.
@Suite struct RunbookRenderingTests {
    static let everyConstruct = """
        # ConsumerLagTooHigh

        ## Meaning

        Group `billing` is **4 s** behind on *orders*: the oldest unconsumed record is older than \
        the threshold. See the [Kafka docs](https://kafka.apache.org/documentation/#consumerconfigs) \
        and [ConsumerStalled](ConsumerStalled.md).

        ## Diagnosis

        1. Is the lag high now?
           ```sh
           strmscope query --log "$DIR" 'strm_consumergroup_lag_seconds{consumergroup="billing"}'
           ```
        2. Which partitions?
           - partition 0
           - partition 1, with an explanation long enough to wrap onto the next line of the screen

        > Do not reset offsets while the group is running.

        | burn | long / short window |
        |---|---|
        | 14.4× | 1h / 5m |
        | 6× | `6h` / 30m |

        ---

        ### Mitigation
        Hard\\
        break, an escape \u{1b}]0;pwned\u{07} and <b>html</b>.

        \tindented\tcode
        """

    static func frame(_ text: String, scroll: Int = 0, glyphs: TraceGlyphs = .braille, monochrome: Bool = false) -> ScopeFrame {
        var state = ScopeFixtures.state()
        state.runbook = RunbookView(title: "ConsumerLagTooHigh — Runbooks/ConsumerLagTooHigh.md", text: text,
                                    url: "file:///srv/Runbooks/ConsumerLagTooHigh.md")
        state.runbook?.scroll = scroll
        var frame = ScopeFixtures.frame(state: state, glyphs: glyphs)
        frame.monochrome = monochrome
        return frame
    }

    /// The frame with one letter per cell for its style, and a legend of the letters.
    static func styleMap(_ buffer: CellBuffer) -> String {
        var letters: [CellStyle: Character] = [.plain: "."]
        var legend: [String] = [". plain"]
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz")
        var rows: [String] = []
        for y in 0..<buffer.height {
            var row = ""
            for x in 0..<buffer.width {
                let style = buffer[x, y].style
                if letters[style] == nil {
                    let letter = alphabet[min(letters.count - 1, alphabet.count - 1)]
                    letters[style] = letter
                    legend.append("\(letter) \(describe(style))")
                }
                row.append(letters[style]!)
            }
            rows.append(row)
        }
        return (rows + [""] + legend).joined(separator: "\n") + "\n"
    }

    static func describe(_ style: CellStyle) -> String {
        var parts: [String] = []
        if style.foreground != .default { parts.append("fg \(style.foreground)") }
        if style.bold { parts.append("bold") }
        if style.dim { parts.append("dim") }
        if style.underline { parts.append("underline") }
        if style.reverse { parts.append("reverse") }
        return parts.joined(separator: " ")
    }

    func check(_ name: String, _ text: String) throws {
        let file = GoldenFrameTests.directory.appendingPathComponent("\(name).txt")
        if ProcessInfo.processInfo.environment["STRMSCOPE_UPDATE_GOLDEN"] != nil {
            try text.write(to: file, atomically: true, encoding: .utf8)
            return
        }
        let expected = try String(contentsOf: file, encoding: .utf8)
        #expect(text == expected, "\(name) differs from Golden/\(name).txt (regenerate with STRMSCOPE_UPDATE_GOLDEN=1 if intended)")
    }

    @Test func everyConstructRendered() throws {
        let buffer = ScopeScreen.render(Self.frame(Self.everyConstruct), width: 100, height: 50).buffer
        try check("runbook-markdown-100x50", buffer.text + "\n")
        try check("runbook-markdown-styles-100x50", Self.styleMap(buffer))
        let text = buffer.text
        #expect(!text.contains("**") && !text.contains("```") && !text.contains("## "), "no Markdown syntax left")
        #expect(text.contains("    strmscope query --log \"$DIR\""), "code is indented and copyable as written")
        #expect(text.contains("\\x1b]0;pwned\\x07"), "escapes are shown, never sent")
    }

    @Test func withoutColourInlineCodeKeepsItsBackticks() throws {
        let buffer = ScopeScreen.render(Self.frame(Self.everyConstruct, monochrome: true), width: 80, height: 40).buffer
        try check("runbook-markdown-monochrome-80x40", buffer.text + "\n")
        #expect(buffer.text.contains("Group `billing` is 4 s behind"))
    }

    @Test func asciiFallbackHasNoUnicodeDecoration() throws {
        let buffer = ScopeScreen.render(Self.frame(Self.everyConstruct, glyphs: .ascii), width: 80, height: 40).buffer
        try check("runbook-markdown-ascii-80x40", buffer.text + "\n")
        #expect(buffer.text.unicodeScalars.allSatisfy { $0.isASCII })
        #expect(buffer.text.contains("| Do not reset offsets"))
    }

    @Test func webLinksBecomeHyperlinksAtTheirCells() {
        var frame = Self.frame(Self.everyConstruct)
        let links = ScopeScreen.runbookLinks(frame.state, width: 100, height: 50, monochrome: false)
        let buffer = ScopeScreen.render(frame, width: 100, height: 50).buffer
        #expect(links.map(\.url) == ["file:///srv/Runbooks/ConsumerLagTooHigh.md", "https://kafka.apache.org/documentation/#consumerconfigs"])
        for link in links.dropFirst() {
            let cells = (link.x..<(link.x + link.length)).map { String(buffer[$0, link.y].character) }.joined()
            #expect(cells == "Kafka docs", "the hyperlink covers exactly the link's text")
        }
        // A relative link cannot be opened from a terminal: it says where it leads instead.
        #expect(buffer.text.contains("ConsumerStalled (ConsumerStalled.md)"))
        // Scrolled past it, the link is gone from the list.
        frame.state.runbook?.scroll = 10
        #expect(ScopeScreen.runbookLinks(frame.state, width: 100, height: 24, monochrome: false).count == 1)
    }

    @Test func hostileLinksAreNeverHyperlinks() {
        let document = MarkdownDocument(markdown: "[a](javascript://%0aalert(1)) [b](http://evil.example/a\"b'c<d>) [c](file:///etc/passwd)")
        let links = RunbookLayout(document, width: 80).lines.flatMap(\.segments).compactMap(\.link)
        #expect(links == ["http://evil.example/a%22b%27c%3Cd%3E"], "only web links, percent-encoded so they cannot end the sequence")
    }

    @Test func scrollingStopsAtTheLastFullPage() {
        var state = Self.frame(Self.everyConstruct).state
        ScopeScreen.measureRunbook(&state, width: 80, height: 24, monochrome: false)
        let lines = RunbookLayout(state.runbook!.document, width: 76).lines.count
        #expect(state.runbook?.maxScroll == lines - 20)
        _ = state.handle(.end, config: ScopeFixtures.config, nowMs: ScopeFixtures.endMs)
        #expect(state.runbook?.scroll == lines - 20)
        _ = state.handle(.pageDown, config: ScopeFixtures.config, nowMs: ScopeFixtures.endMs)
        #expect(state.runbook?.scroll == lines - 20)
        // Wider, everything fits: no scrolling at all.
        ScopeScreen.measureRunbook(&state, width: 200, height: 60, monochrome: false)
        #expect(state.runbook?.maxScroll == 0 && state.runbook?.scroll == 0)
    }

    @Test func documentModel() {
        let document = MarkdownDocument(markdown: "# T\n\n- a\n- b\n\n  c\n\n3. x\n\n> q\n\n---\n\n```\nk\n```\n")
        #expect(document.blocks == [
            .heading(level: 1, [.text("T", .init())]),
            .list(ordered: false, start: 0, tight: false, items: [[.paragraph([.text("a", .init())])],
                                                                  [.paragraph([.text("b", .init())]), .paragraph([.text("c", .init())])]]),
            .list(ordered: true, start: 3, tight: true, items: [[.paragraph([.text("x", .init())])]]),
            .quote([.paragraph([.text("q", .init())])]),
            .rule,
            .code(["k"]),
        ])
    }

    @Test func loosAndTightListsAndHangingIndent() {
        let lines = RunbookLayout(MarkdownDocument(markdown: "1. first item wraps here\n2. second\n\n- x\n\n- y\n"), width: 14).lines
        #expect(lines.map { $0.segments.map(\.text).joined() } == [
            "1. first item", "   wraps here", "2. second", "", "• x", "", "• y",
        ])
    }

    @Test func deepNestingIsFlattenedNotRecursed() {
        let deep = String(repeating: "> ", count: 5_000) + "bottom\n" + String(repeating: "- ", count: 5_000) + "item\n"
        let document = MarkdownDocument(markdown: deep)
        func depth(_ blocks: [MarkdownDocument.Block]) -> Int {
            blocks.map { block -> Int in
                switch block {
                case .quote(let inner): 1 + depth(inner)
                case .list(_, _, _, let items): 1 + depth(items.flatMap { $0 })
                default: 0
                }
            }.max() ?? 0
        }
        #expect(depth(document.blocks) <= MarkdownDocument.maxDepth)
        let text = RunbookLayout(document, width: 40).lines.map { $0.segments.map(\.text).joined() }.joined(separator: "\n")
        #expect(text.contains("bottom") && text.contains("item"), "the content is kept")
    }

    @Test(arguments: [(0, 0), (1, 1), (39, 11), (40, 12)])
    func degenerateSizesDoNotCrash(width: Int, height: Int) {
        let frame = Self.frame(Self.everyConstruct)
        let buffer = ScopeScreen.render(frame, width: width, height: height).buffer
        #expect(buffer.width == width && buffer.height == height)
        _ = ScopeScreen.runbookLinks(frame.state, width: width, height: height, monochrome: false)
        #expect(!RunbookLayout(frame.state.runbook!.document, width: width - 4).lines.isEmpty)
    }
}
