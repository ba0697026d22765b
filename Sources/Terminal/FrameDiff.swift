import ScopeUI

/// A horizontal stretch of cells to rewrite.
struct CellRun: Hashable, Sendable {
    var y: Int
    var x: Int
    var count: Int
}

extension CursesTerminal {
    /// The cells of `new` that differ from `old`, as runs per row. Without a comparable old
    /// frame (none, or another size) every row is one run. A wide character and its
    /// continuation are always rewritten together: writing either half alone makes the
    /// terminal blank the other one.
    static func changedRuns(old: CellBuffer?, new: CellBuffer) -> [CellRun] {
        let width = new.width
        guard let old, old.width == width, old.height == new.height else {
            return width == 0 ? [] : (0..<new.height).map { CellRun(y: $0, x: 0, count: width) }
        }
        var runs: [CellRun] = []
        var marked = [Bool](repeating: false, count: width)
        for y in 0..<new.height {
            let row = y * width
            var any = false
            for x in 0..<width where old.cells[row + x] != new.cells[row + x] {
                any = true
                marked[x] = true
                if x > 0 && (old.cells[row + x].isContinuation || new.cells[row + x].isContinuation) {
                    marked[x - 1] = true
                }
                if x + 1 < width && (old.cells[row + x + 1].isContinuation || new.cells[row + x + 1].isContinuation) {
                    marked[x + 1] = true
                }
            }
            guard any else { continue }
            var x = 0
            while x < width {
                guard marked[x] else { x += 1; continue }
                let start = x
                while x < width && marked[x] { marked[x] = false; x += 1 }
                runs.append(CellRun(y: y, x: start, count: x - start))
            }
        }
        return runs
    }
}
