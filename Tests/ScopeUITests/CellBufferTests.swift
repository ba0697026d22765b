import Testing

@testable import ScopeUI

@Suite struct CellBufferTests {
    @Test func writesAreClippedAtEverySizeDownToNothing() {
        for (w, h) in [(0, 0), (1, 1), (3, 2)] {
            var buffer = CellBuffer(width: w, height: h)
            buffer.put("hello", x: -2, y: 0)
            buffer.put("x", x: 5, y: 5)
            buffer.fill(Rect(x: -1, y: -1, width: 10, height: 10), with: Cell("#"))
            #expect(buffer.cells.count == w * h)
            #expect(buffer.cells.allSatisfy { $0.character == "#" })
        }
    }

    @Test func controlCharactersAreShownEscapedNeverWritten() {
        var buffer = CellBuffer(width: 20, height: 1)
        buffer.put("a\u{1b}[2Jb", x: 0, y: 0)
        #expect(buffer.text == "a\\x1b[2Jb           ")
    }

    @Test func wideCharactersTakeTwoColumnsAndNeverSplit() {
        var buffer = CellBuffer(width: 5, height: 1)
        let end = buffer.put("日本x", x: 0, y: 0)
        #expect(end == 5)
        #expect(buffer[1, 0].isContinuation && buffer[3, 0].isContinuation)
        #expect(buffer.text == "日本x")
        var narrow = CellBuffer(width: 3, height: 1)
        narrow.put("日本", x: 0, y: 0)
        #expect(narrow.text == "日 ", "the second wide character does not fit and is not half-drawn")
    }
}
