import Foundation
import Markdown
import ScopeUI
import Testing

@testable import StrmScopeApp

/// The pages the viewer writes for an alert without a readable runbook carry the alert's summary
/// and URL, which come from labels a scrape target controls: they must show as the text they are,
/// never as Markdown (a link there would be a hyperlink to anywhere, hidden behind its text).
@Suite struct RunbookPageTests {
    static let hostile = [
        "lag high, see [the runbook](https://evil.example/x) now",
        "**bold** _em_ `code` <b>html</b> &amp; ![img](https://evil.example/i.png)",
        "# not a heading\n- not a list\n1. not a list\n> not a quote\n    not code\n---",
        "<https://evil.example/auto>",
        "\\ backslash \\\\ and \\[escaped\\]",
    ]

    /// Every text span of the document, in order, and every link in it.
    func texts(_ document: MarkdownDocument) -> (text: String, links: [String], blocks: Int) {
        var text = ""
        var links: [String] = []
        func walk(_ inlines: [MarkdownDocument.Inline]) {
            for inline in inlines {
                switch inline {
                case .text(let t, let style):
                    text += t
                    if let link = style.link { links.append(link) }
                    if style.emphasis || style.strong || style.code { links.append("styled: \(t)") }
                case .softBreak, .hardBreak: text += "\n"
                }
            }
        }
        for block in document.blocks {
            if case .paragraph(let inlines) = block { walk(inlines) } else { links.append("block: \(block)") }
        }
        return (text, links, document.blocks.count)
    }

    @Test(arguments: hostile)
    func dataIsShownAsTheTextItIs(_ summary: String) {
        let parsed = texts(MarkdownDocument(markdown: markdownLiteral(summary)))
        let expected = summary.split(separator: "\n").map { String($0.drop { $0 == " " }) }.joined(separator: "\n")
        #expect(parsed.text == expected)
        #expect(parsed.links.isEmpty, "no link, emphasis, code or other block: \(parsed.links)")
        #expect(parsed.blocks == 1)
    }

    @Test func theGeneratedPagesKeepSummaryAndURLLiteral() {
        let alert = ScopeAlert(name: "LagHigh", firing: true, severity: "page", subject: "billing", activeAtMs: 0, value: 1,
                               summary: "click [here](https://evil.example/)", runbookURL: "/etc/passwd\n[x](https://evil.example/y)")
        let view = runbookView(for: alert, folders: ["Runbooks"])
        let links = RunbookLayout(view.document, width: 100).lines.flatMap(\.segments).compactMap(\.link)
        #expect(links.isEmpty, "nothing in the page links anywhere: \(links)")
        let shown = RunbookLayout(view.document, width: 200).lines.map { $0.segments.map(\.text).joined() }.joined(separator: "\n")
        #expect(shown.contains("click [here](https://evil.example/)"))
        #expect(shown.contains("[x](https://evil.example/y)"))
        #expect(shown.contains("It was not opened"))
        var noURL = alert
        noURL.runbookURL = nil
        #expect(RunbookLayout(runbookView(for: noURL, folders: []).document, width: 100).lines.flatMap(\.segments).allSatisfy { $0.link == nil })
    }
}
