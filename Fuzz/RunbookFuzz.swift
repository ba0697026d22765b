// libFuzzer entry for the runbook viewer (ScopeUI compiled into this module by scripts/fuzz, cmark
// linked from the system): any bytes as a runbook must parse, lay out at any width with every
// line's recorded width equal to its cells and within the width once the width leaves room for
// the deepest nesting, draw into a frame of the right size, and keep links to web URLs only.
import Markdown
import ScopeCore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRunbook(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let document = MarkdownDocument(markdown: text)
    for width in [1, 9, 300] {
        for line in RunbookLayout(document, width: width).lines {
            let cells = line.segments.reduce(0) { total, segment in total + segment.text.reduce(0) { $0 + displayWidth(of: $1) } }
            if cells != line.width { fatalError("line width \(line.width) but \(cells) cells in \(text.debugDescription)") }
            if width == 300 && line.width > 300 { fatalError("line of \(line.width) columns at width 300 in \(text.debugDescription)") }
            for segment in line.segments {
                if let link = segment.link, !isWebURL(link) || link.utf8.contains(where: { $0 <= 0x20 || $0 >= 0x7F }) {
                    fatalError("unsafe link \(link.debugDescription)")
                }
            }
        }
    }
    let config = ScopeConfig(title: "fuzz", channels: [ChannelSpec(name: "A", unit: "", color: .default, traces: [TraceSpec(label: "a", unit: "", color: .default)])])
    var state = ScopeState(config: config, timePerDivisionMs: 1000, trigger: nil, nowMs: 0)
    state.runbook = RunbookView(title: "fuzz", text: text, url: "https://example.com/rb")
    state.runbook?.scroll = size % 50
    let frame = ScopeFrame(config: config, state: state, histories: [[]], nowMs: 0, monochrome: size % 2 == 0)
    let buffer = ScopeScreen.render(frame, width: 60, height: 20).buffer
    if buffer.width != 60 || buffer.height != 20 { fatalError("frame size") }
    _ = ScopeScreen.runbookLinks(state, width: 60, height: 20, monochrome: false)
    return 0
}
