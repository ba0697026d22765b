import CNCurses
import ScopeUI

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why the terminal could not be opened, as one line the user can act on.
public struct TerminalError: Error, CustomStringConvertible {
    public let message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}

/// The tty, through ncursesw: shows `CellBuffer` frames, reads keys, and puts the terminal back
/// as it was on `close()`, on deinit, and (through `installCrashRestoreHandlers`) on a crash.
/// One at a time per process; not thread-safe (use it from one thread).
/// Cells to turn into a hyperlink (OSC 8) after they are drawn.
public struct Hyperlink: Sendable, Equatable {
    public var x: Int
    public var y: Int
    public var length: Int
    public var url: String

    public init(x: Int, y: Int, length: Int, url: String) {
        self.x = x
        self.y = y
        self.length = length
        self.url = url
    }
}

public final class CursesTerminal {
    public private(set) var width: Int
    public private(set) var height: Int
    public let colorSupport: ColorSupport
    /// The locale's codeset is UTF-8; otherwise braille and box characters cannot be shown and
    /// the application should draw ASCII.
    public let unicode: Bool
    /// Bytes `draw` has written to the terminal (read from the kernel's per-thread write count
    /// around each update; stays 0 where /proc/thread-self/io is missing).
    public private(set) var bytesWritten: Int = 0

    private var screen: OpaquePointer?
    private let window: UnsafeMutablePointer<WINDOW>
    private var previous: CellBuffer?
    private var previousSize: (width: Int, height: Int) = (0, 0)
    private var repaintAll = true
    private var clearScreen = false
    private var styleCache: [CellStyle: (attributes: attr_t, pair: Int32)] = [:]
    private var pairCache: [PairKey: Int32] = [:]
    private let pairLimit: Int
    private let defaultColorsWork: Bool

    private struct PairKey: Hashable {
        var foreground: Int32
        var background: Int32
    }

    /// Opens the terminal on stdin/stdout. `colors: false` or a non-empty `NO_COLOR` gives
    /// `ColorSupport.none` (bold, dim, reverse and underline are still used).
    public init(colors: Bool = true) throws {
        guard isatty(STDIN_FILENO) == 1 else {
            throw TerminalError("standard input is not a terminal: the scope needs an interactive terminal (do not redirect stdin)")
        }
        guard isatty(STDOUT_FILENO) == 1 else {
            throw TerminalError("standard output is not a terminal: the scope needs an interactive terminal (do not redirect or pipe stdout)")
        }
        guard let term = getenv("TERM").map({ String(cString: $0) }), !term.isEmpty else {
            throw TerminalError("TERM is not set: set it to your terminal's type, e.g. TERM=xterm-256color")
        }
        setlocale(LC_ALL, "")
        let codeset = String(cString: strm_codeset()).uppercased().filter { $0 != "-" }
        unicode = codeset == "UTF8"

        // Before newterm: these are the tty modes a crash has to put back.
        installCrashRestoreHandlers()
        // newterm rather than initscr, which prints an error and exits the process when TERM is unknown.
        guard let screen = newterm(nil, strm_stdout(), strm_stdin()), let window = strm_stdscr() else {
            throw TerminalError("terminal type '\(term)' is not known to terminfo: set TERM to a known type, e.g. TERM=xterm-256color")
        }
        guard strm_tigetstr("cup") != nil else {
            endwin()
            delscreen(screen)
            throw TerminalError("terminal type '\(term)' cannot move the cursor: run the scope in a full-screen terminal (TERM=xterm-256color or similar)")
        }
        self.screen = screen
        self.window = window

        // cbreak, not raw: Ctrl-C must still raise the application's SIGINT handler.
        cbreak()
        noecho()
        nonl()
        keypad(window, true)
        scrollok(window, false)
        leaveok(window, true)
        curs_set(0)
        set_escdelay(25)
        // Finish every frame even while keys are arriving: a half-drawn frame would stay on
        // screen until the next draw.
        typeahead(-1)

        let noColorEnv = getenv("NO_COLOR").map { $0.pointee != 0 } ?? false
        if colors && !noColorEnv && has_colors() {
            start_color()
            defaultColorsWork = use_default_colors() == OK
            let count = strm_colors()
            colorSupport = count >= 0x100_0000 ? .truecolor : count >= 256 ? .palette256 : count >= 8 ? .basic8 : .none
        } else {
            defaultColorsWork = true
            colorSupport = .none
        }
        pairLimit = Int(strm_color_pairs())

        width = Int(strm_getmaxx(window))
        height = Int(strm_getmaxy(window))
        CrashRestore.arm(sequence: Self.restoreSequence())
    }

    deinit { close() }

    /// Leaves curses mode: the shell gets its screen, modes and cursor back. Safe to call twice.
    public func close() {
        guard let screen else { return }
        self.screen = nil
        CrashRestore.disarm()
        endwin()
        delscreen(screen)
        CrashRestore.restoreTermios()
    }

    /// The next `draw` rewrites every cell and the terminal repaints from scratch (Ctrl-L).
    public func invalidate() {
        repaintAll = true
        clearScreen = true
    }

    /// Shows `frame`, clipped to the terminal, writing only what changed since the last frame.
    public func draw(_ frame: CellBuffer, hyperlinks: [Hyperlink] = []) {
        guard screen != nil else { return }
        defer { if !hyperlinks.isEmpty { writeHyperlinks(hyperlinks, frame: frame) } }
        // Only a frame of the same size, drawn on a terminal of the same size, tells what is on
        // screen; otherwise start from a blank screen (cells outside a smaller frame included).
        var old = previous
        if repaintAll || previousSize != (width, height) || old?.width != frame.width || old?.height != frame.height {
            old = nil
            werase(window)
        }
        let columns = min(frame.width, width)
        let rows = min(frame.height, height)
        for run in Self.changedRuns(old: old, new: frame) where run.y < rows {
            var x = run.x
            let end = min(run.x + run.count, columns)
            while x < end { x += put(frame, x: x, y: run.y, columns: columns) }
        }
        if clearScreen { clearok(window, true) }
        wnoutrefresh(window)
        let before = Self.threadBytesWritten()
        doupdate()
        if let before, let after = Self.threadBytesWritten() { bytesWritten += max(0, after - before) }
        previous = frame
        previousSize = (width, height)
        repaintAll = false
        clearScreen = false
    }

    /// Makes cells already on screen an OSC 8 hyperlink: ncurses has no notion of links, so the
    /// same characters are written again, wrapped in the link, between a cursor save and restore
    /// (DECSC/DECRC, which also restore the attributes) — the screen and ncurses' idea of the
    /// cursor stay as they were. Terminals without OSC 8 ignore the sequence.
    private func writeHyperlinks(_ links: [Hyperlink], frame: CellBuffer) {
        var bytes: [UInt8] = []
        for link in links where link.y < min(height, frame.height) && link.x < min(width, frame.width) {
            bytes += Self.hyperlinkBytes(link, frame: frame, columns: min(width, frame.width))
        }
        guard !bytes.isEmpty else { return }
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(STDOUT_FILENO, $0.baseAddress! + done, $0.count - done) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return }
            done += n
        }
    }

    /// The bytes for one link: save cursor, move, open the link, the cells' characters, close it,
    /// restore. A URL with anything but printable ASCII is not linked (OSC 8 takes a URI).
    static func hyperlinkBytes(_ link: Hyperlink, frame: CellBuffer, columns: Int) -> [UInt8] {
        // Only web links, and only printable ASCII (OSC 8 takes a URI; anything else could end
        // the sequence early or start another one).
        let lower = link.url.lowercased()
        guard lower.hasPrefix("http://") || lower.hasPrefix("https://"),
            link.url.unicodeScalars.allSatisfy({ (0x21...0x7E).contains($0.value) && !"\"'<>\\`".unicodeScalars.contains($0) })
        else { return [] }
        var text = ""
        for x in link.x..<min(link.x + link.length, columns) where !frame[x, link.y].isContinuation {
            text.append(frame[x, link.y].character)
        }
        let bold = frame[link.x, link.y].style.bold ? "\u{1b}[1m" : ""
        let sequence = "\u{1b}7\u{1b}[\(link.y + 1);\(link.x + 1)H\(bold)\u{1b}]8;;\(link.url)\u{1b}\\\(text)\u{1b}]8;;\u{1b}\\\u{1b}8"
        return Array(sequence.utf8)
    }

    /// Waits up to `timeoutMs` (negative: forever) for a key; nil on timeout, on a signal, and
    /// for keys the scope has no use for.
    public func nextKey(timeoutMs: Int) -> Key? {
        guard screen != nil else { return nil }
        wtimeout(window, Int32(clamping: timeoutMs))
        var code: wint_t = 0
        switch wget_wch(window, &code) {
        case OK:
            return Key.fromCharacter(UInt32(code))
        case KEY_CODE_YES:
            let key = Key.fromKeyCode(Int32(bitPattern: UInt32(code)))
            if key == .resize {
                width = Int(strm_getmaxx(window))
                height = Int(strm_getmaxy(window))
                repaintAll = true
            }
            return key
        default:
            return nil
        }
    }

    // MARK: - Cells

    /// Writes the cell at (x, y); returns how many columns it took.
    private func put(_ frame: CellBuffer, x: Int, y: Int, columns: Int) -> Int {
        let cell = frame[x, y]
        if cell.isContinuation {
            // Normally skipped by its wide lead; reached only when the lead came out narrow.
            if x > 0 && !frame[x - 1, y].isContinuation && glyph(frame, x: x - 1, y: y, columns: columns).wide {
                return 1
            }
            write(" ", style: cell.style, x: x, y: y)
            return 1
        }
        let (character, wide) = glyph(frame, x: x, y: y, columns: columns)
        write(character, style: cell.style, x: x, y: y)
        return wide ? 2 : 1
    }

    /// What the terminal is given for the cell at (x, y): its character when curses agrees on
    /// the character's width, otherwise a stand-in, so a disagreement (or a control character
    /// written straight into the buffer) can never shift or corrupt the rest of the row.
    private func glyph(_ frame: CellBuffer, x: Int, y: Int, columns: Int) -> (character: Character, wide: Bool) {
        let character = frame[x, y].character
        let wideInFrame = frame[x + 1, y].isContinuation
        if wideInFrame && x + 1 >= columns { return (" ", false) } // cut by the terminal's edge
        guard let first = character.unicodeScalars.first, first.value >= 0x20, !(0x7F...0x9F).contains(first.value) else {
            return ("?", false)
        }
        let cursesWidth = Int(strm_wcwidth(wchar_t(bitPattern: first.value)))
        switch (cursesWidth, wideInFrame) {
        case (2, true): return (character, true)
        case (1, _): return (character, false)
        default: return ("?", false)
        }
    }

    private func write(_ character: Character, style: CellStyle, x: Int, y: Int) {
        let (attributes, pair) = attributesAndPair(for: style)
        // setcchar takes one spacing character and up to four combining ones, NUL-terminated.
        var text = [wchar_t](repeating: 0, count: 6)
        for (i, scalar) in character.unicodeScalars.prefix(5).enumerated() { text[i] = wchar_t(bitPattern: scalar.value) }
        var cell = cchar_t()
        var extendedPair = pair
        // Passing the pair through `opts` allows pair numbers above 32767 (ncurses extension).
        setcchar(&cell, text, attributes, 0, &extendedPair)
        // Fails at the bottom-right corner because the cursor cannot advance; the cell is written.
        _ = mvwadd_wch(window, Int32(y), Int32(x), &cell)
    }

    private func attributesAndPair(for style: CellStyle) -> (attributes: attr_t, pair: Int32) {
        if let cached = styleCache[style] { return cached }
        var attributes = strm_a_normal()
        if style.bold { attributes |= strm_a_bold() }
        if style.dim { attributes |= strm_a_dim() }
        if style.reverse { attributes |= strm_a_reverse() }
        if style.underline { attributes |= strm_a_underline() }
        let result = (attributes, pair(style.foreground, style.background))
        styleCache[style] = result
        return result
    }

    private func pair(_ foreground: CellColor, _ background: CellColor) -> Int32 {
        guard colorSupport != .none else { return 0 }
        var key = PairKey(
            foreground: ColorMapping.cursesColor(foreground, support: colorSupport),
            background: ColorMapping.cursesColor(background, support: colorSupport))
        if !defaultColorsWork {
            if key.foreground < 0 { key.foreground = 7 }
            if key.background < 0 { key.background = 0 }
        }
        if key.foreground == -1 && key.background == -1 { return 0 }
        if let cached = pairCache[key] { return cached }
        // alloc_pair recycles the oldest pair once all are taken, which would make cached
        // numbers lie: start over before that can happen.
        if pairCache.count >= pairLimit - 2 {
            pairCache.removeAll()
            styleCache.removeAll()
        }
        let number = alloc_pair(key.foreground, key.background)
        guard number > 0 else { return 0 }
        pairCache[key] = number
        return number
    }

    // MARK: - Helpers

    /// sgr0, cnorm, rmkx and rmcup from terminfo (padding removed), for the crash handler,
    /// which cannot call tputs.
    private static func restoreSequence() -> [UInt8] {
        var bytes: [UInt8] = []
        for cap in ["sgr0", "cnorm", "rmkx", "rmcup"] {
            guard let value = strm_tigetstr(cap) else { continue }
            bytes += withoutPadding(Array(String(cString: value).utf8))
        }
        return bytes.isEmpty ? Array("\u{1b}[0m\u{1b}[?25h\u{1b}[?1049l".utf8) : bytes
    }

    /// Removes terminfo delays (`$<5>`, `$<2*/>`), which tputs would turn into waits.
    static func withoutPadding(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "$"), i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "<"),
               let close = bytes[(i + 2)...].firstIndex(of: UInt8(ascii: ">")) {
                i = close + 1
                continue
            }
            out.append(bytes[i])
            i += 1
        }
        return out
    }

    /// The kernel's count of bytes this thread has passed to write(2): curses writes from the
    /// calling thread, so the difference around doupdate() is exactly the frame's output.
    private static func threadBytesWritten() -> Int? {
        let fd = open("/proc/thread-self/io", O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { closeDescriptor(fd) }
        var buffer = [UInt8](repeating: 0, count: 512)
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard count > 0 else { return nil }
        let text = String(decoding: buffer[..<count], as: UTF8.self)
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("wchar:") }) else { return nil }
        return Int(line.dropFirst(6).drop(while: { $0 == " " }))
    }
}

// At file scope `close` is the C function, not CursesTerminal.close().
private func closeDescriptor(_ fd: Int32) { _ = close(fd) }
