import ScopeUI
import Testing
@testable import Terminal

private func runs(_ old: CellBuffer?, _ new: CellBuffer) -> [CellRun] { CursesTerminal.changedRuns(old: old, new: new) }

@Test func withoutOldFrameEveryRowIsOneRun() {
    let frame = CellBuffer(width: 4, height: 3)
    #expect(runs(nil, frame) == [CellRun(y: 0, x: 0, count: 4), CellRun(y: 1, x: 0, count: 4), CellRun(y: 2, x: 0, count: 4)])
}

@Test func sizeChangeRewritesEverything() {
    let old = CellBuffer(width: 3, height: 2)
    let new = CellBuffer(width: 4, height: 2)
    #expect(runs(old, new) == [CellRun(y: 0, x: 0, count: 4), CellRun(y: 1, x: 0, count: 4)])
}

@Test func emptyFramesHaveNoRuns() {
    #expect(runs(nil, CellBuffer(width: 0, height: 5)).isEmpty)
    #expect(runs(CellBuffer(width: 0, height: 0), CellBuffer(width: 0, height: 0)).isEmpty)
}

@Test func identicalFramesHaveNoRuns() {
    var frame = CellBuffer(width: 10, height: 3)
    frame.put("hello 日本", x: 0, y: 1)
    #expect(runs(frame, frame).isEmpty)
}

@Test func changedCellsGroupIntoRunsPerRow() {
    let old = CellBuffer(width: 10, height: 3)
    var new = old
    new.put("ab", x: 2, y: 0)
    new.put("c", x: 7, y: 0)
    new.put("xyz", x: 7, y: 2)
    #expect(runs(old, new) == [CellRun(y: 0, x: 2, count: 2), CellRun(y: 0, x: 7, count: 1), CellRun(y: 2, x: 7, count: 3)])
}

@Test func styleOnlyChangesCount() {
    var old = CellBuffer(width: 5, height: 1)
    old.put("abc", x: 0, y: 0)
    var new = old
    new.put("b", x: 1, y: 0, style: CellStyle(foreground: .palette(2)))
    #expect(runs(old, new) == [CellRun(y: 0, x: 1, count: 1)])
}

@Test func wideCharacterIsRewrittenWithItsContinuation() {
    var old = CellBuffer(width: 6, height: 1)
    old.put("日", x: 2, y: 0)
    // Only the continuation differs (style): the lead goes with it.
    var styled = old
    styled[3, 0] = Cell(" ", style: CellStyle(bold: true), isContinuation: true)
    #expect(runs(old, styled) == [CellRun(y: 0, x: 2, count: 2)])
    // Only the lead differs: the continuation goes with it.
    var other = old
    other[2, 0] = Cell("本")
    #expect(runs(old, other) == [CellRun(y: 0, x: 2, count: 2)])
    // A narrow character over the right half: both halves of the old glyph are rewritten.
    var over = old
    over.put("x", x: 3, y: 0)
    #expect(runs(old, over) == [CellRun(y: 0, x: 2, count: 2)])
}

@Test func wideCharacterReplacingNarrowOnes() {
    var old = CellBuffer(width: 6, height: 1)
    old.put("abcd", x: 0, y: 0)
    var new = old
    new.put("日", x: 1, y: 0)
    #expect(runs(old, new) == [CellRun(y: 0, x: 1, count: 2)])
}

@Test func paletteUsedDirectlyWith256Colours() {
    #expect(ColorMapping.cursesColor(.palette(42), support: .palette256) == 42)
    #expect(ColorMapping.cursesColor(.default, support: .palette256) == -1)
    #expect(ColorMapping.cursesColor(.rgb(255, 0, 0), support: .none) == -1)
    #expect(ColorMapping.cursesColor(.palette(3), support: .none) == -1)
}

@Test func nearestXterm256() {
    #expect(ColorMapping.nearestXterm256(0, 0, 0) == 16)
    #expect(ColorMapping.nearestXterm256(255, 255, 255) == 231)
    #expect(ColorMapping.nearestXterm256(255, 0, 0) == 196)
    #expect(ColorMapping.nearestXterm256(0, 255, 0) == 46)
    #expect(ColorMapping.nearestXterm256(255, 136, 0) == 208) // #ff8800 → (5, 2, 0)
    #expect(ColorMapping.nearestXterm256(128, 128, 128) == 244) // grey ramp: 8 + 10·12 = 128
    #expect(ColorMapping.nearestXterm256(238, 238, 238) == 255)
    #expect(ColorMapping.nearestXterm256(95, 135, 175) == 67) // exact cube entry
    // Every cube and grey entry maps back to itself.
    for n in UInt8(16)...UInt8(255) {
        let (r, g, b) = ColorMapping.rgb(ofPalette: n)
        #expect(ColorMapping.nearestXterm256(r, g, b) == n)
    }
}

@Test func paletteRGB() {
    #expect(ColorMapping.rgb(ofPalette: 16) == (0, 0, 0))
    #expect(ColorMapping.rgb(ofPalette: 208) == (255, 135, 0))
    #expect(ColorMapping.rgb(ofPalette: 232) == (8, 8, 8))
    #expect(ColorMapping.rgb(ofPalette: 255) == (238, 238, 238))
    #expect(ColorMapping.rgb(ofPalette: 1) == (205, 0, 0))
}

@Test func basic8() {
    #expect(ColorMapping.basic8(palette: 1) == 1)
    #expect(ColorMapping.basic8(palette: 9) == 1) // bright red → red
    #expect(ColorMapping.basic8(palette: 15) == 7)
    #expect(ColorMapping.basic8(palette: 46) == 2) // cube green
    #expect(ColorMapping.basic8(palette: 21) == 4) // cube blue
    #expect(ColorMapping.basic8(palette: 232) == 0) // near-black grey
    #expect(ColorMapping.basic8(palette: 250) == 7)
    #expect(ColorMapping.basic8(255, 136, 0) == 3) // orange → yellow
    #expect(ColorMapping.basic8(100, 0, 0) == 1) // dark red stays red
    #expect(ColorMapping.basic8(0, 128, 128) == 6)
    #expect(ColorMapping.basic8(200, 0, 200) == 5)
    #expect(ColorMapping.basic8(20, 20, 30) == 0)
    #expect(ColorMapping.cursesColor(.rgb(0, 255, 0), support: .basic8) == 2)
    #expect(ColorMapping.cursesColor(.palette(12), support: .basic8) == 4)
}

@Test func truecolor() {
    #expect(ColorMapping.cursesColor(.rgb(0xff, 0x88, 0x00), support: .truecolor) == 0xff8800)
    #expect(ColorMapping.cursesColor(.palette(208), support: .truecolor) == 0xff8700)
    #expect(ColorMapping.cursesColor(.palette(2), support: .truecolor) == 2) // ANSI colours stay themed
    #expect(ColorMapping.cursesColor(.rgb(0, 0, 5), support: .truecolor) == 0) // not ANSI magenta
}

@Test func characterKeys() {
    #expect(Key.fromCharacter(13) == .enter)
    #expect(Key.fromCharacter(10) == .enter)
    #expect(Key.fromCharacter(27) == .escape)
    #expect(Key.fromCharacter(127) == .backspace)
    #expect(Key.fromCharacter(8) == .backspace)
    #expect(Key.fromCharacter(9) == .tab)
    #expect(Key.fromCharacter(12) == .character("\u{0C}"))
    #expect(Key.fromCharacter(UInt32(UInt8(ascii: "q"))) == .character("q"))
    #expect(Key.fromCharacter(32) == .character(" "))
    #expect(Key.fromCharacter(0xE9) == .character("é"))
    #expect(Key.fromCharacter(0xD800) == nil) // not a scalar
}

@Test func functionKeys() {
    // ncurses' KEY_* codes (octal, as in ncurses.h).
    #expect(Key.fromKeyCode(0o403) == .up)
    #expect(Key.fromKeyCode(0o402) == .down)
    #expect(Key.fromKeyCode(0o404) == .left)
    #expect(Key.fromKeyCode(0o405) == .right)
    #expect(Key.fromKeyCode(0o523) == .pageUp)
    #expect(Key.fromKeyCode(0o522) == .pageDown)
    #expect(Key.fromKeyCode(0o406) == .home)
    #expect(Key.fromKeyCode(0o550) == .end)
    #expect(Key.fromKeyCode(0o527) == .enter)
    #expect(Key.fromKeyCode(0o407) == .backspace)
    #expect(Key.fromKeyCode(0o632) == .resize)
    #expect(Key.fromKeyCode(0o631) == nil) // KEY_MOUSE
    #expect(Key.fromKeyCode(0o411) == nil) // KEY_F(1)
}

@Test func paddingIsRemovedFromTerminfoStrings() {
    #expect(CursesTerminal.withoutPadding(Array("\u{1b}[?1049l$<5>x$<2*/>".utf8)) == Array("\u{1b}[?1049lx".utf8))
    #expect(CursesTerminal.withoutPadding(Array("a$b$<".utf8)) == Array("a$b$<".utf8))
}

@Test func terminalErrorDescribesItself() {
    #expect(TerminalError("TERM is not set").description == "TERM is not set")
}

@Suite struct HyperlinkTests {
    @Test func aLinkRewritesTheSameCellsInsideOSC8BetweenCursorSaveAndRestore() {
        var frame = CellBuffer(width: 20, height: 2)
        frame.put("RUNBOOK Lag", x: 0, y: 1, style: CellStyle(bold: true))
        let bytes = CursesTerminal.hyperlinkBytes(Hyperlink(x: 8, y: 1, length: 3, url: "https://runbooks.example/lag"), frame: frame, columns: 20)
        #expect(String(decoding: bytes, as: UTF8.self)
            == "\u{1b}7\u{1b}[2;9H\u{1b}[1m\u{1b}]8;;https://runbooks.example/lag\u{1b}\\Lag\u{1b}]8;;\u{1b}\\\u{1b}8")
    }

    @Test func aURLWithControlCharactersOrSpacesIsNotLinked() {
        let frame = CellBuffer(width: 10, height: 1)
        #expect(CursesTerminal.hyperlinkBytes(Hyperlink(x: 0, y: 0, length: 3, url: "http://x/\u{1b}]52;"), frame: frame, columns: 10).isEmpty)
        #expect(CursesTerminal.hyperlinkBytes(Hyperlink(x: 0, y: 0, length: 3, url: "http://x/a b"), frame: frame, columns: 10).isEmpty)
        // Only web links: a script or a local file is never made clickable.
        for url in ["javascript://%0aalert(1)", "file:///etc/passwd", "http://x/a\"b", "http://x/<d>"] {
            #expect(CursesTerminal.hyperlinkBytes(Hyperlink(x: 0, y: 0, length: 3, url: url), frame: frame, columns: 10).isEmpty, "\(url)")
        }
    }
}
