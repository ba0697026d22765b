#if canImport(Glibc)
import Glibc
#endif
import Foundation
import ScopeCore

/// Where a command writes its results. Tests collect into memory; the CLI writes to stdout and
/// flushes whenever a result must be visible at once (an acknowledgement, a consumed record).
public protocol OutputSink: AnyObject {
    func write(_ text: String)
    func flush()
}

/// Buffered writes to a file descriptor (stdout by default). When the reader goes away (EPIPE,
/// `| head`), it stops the command instead of losing output silently.
public final class StandardOutput: OutputSink {
    private let fd: Int32
    private var buffer: [UInt8] = []
    public private(set) var failed = false

    public init(fd: Int32 = STDOUT_FILENO) {
        self.fd = fd
        buffer.reserveCapacity(1 << 16)
    }

    deinit { flush() }

    public func write(_ text: String) {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= 1 << 16 { flush() }
    }

    public func flush() {
        var done = 0
        while done < buffer.count && !failed {
            let n = buffer.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + done, $0.count - done) }
            if n < 0 {
                if errno == EINTR { continue }
                failed = true
                stopRequested.store(true, ordering: .relaxed)
            } else {
                done += n
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }
}

/// One line on stderr (warnings and errors), unbuffered. Messages quote data (metric names,
/// topics, URLs, input lines): control and bidi characters are escaped, line breaks kept.
public func writeError(_ line: String) {
    let text = sanitizeLinesForTerminal(line.hasSuffix("\n") ? String(line.dropLast()) : line)
    let bytes = Array((text + "\n").utf8)
    _ = bytes.withUnsafeBytes { Glibc.write(STDERR_FILENO, $0.baseAddress!, $0.count) }
}

public final class CollectingOutput: OutputSink {
    public private(set) var text = ""
    public private(set) var flushes = 0

    public init() {}

    public func write(_ text: String) { self.text += text }
    public func flush() { flushes += 1 }

    public var lines: [String] { text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init) }
}

/// An error a command reports as one line on stderr before exiting non-zero.
public struct CommandError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Aligns columns for listings (`log topics`, `log groups`); cells are data, escaped.
func formatTable(_ header: [String], _ rows: [[String]]) -> String {
    let all = [header] + rows.map { $0.map(sanitizeForTerminal) }
    let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
    return all.map { row in
        row.enumerated().map { column, cell in
            column == row.count - 1 ? cell : cell.padding(toLength: widths[column])
        }.joined(separator: "  ")
    }.joined(separator: "\n") + "\n"
}

extension String {
    func padding(toLength length: Int) -> String {
        count >= length ? self : self + String(repeating: " ", count: length - count)
    }

    func leftPadding(toLength length: Int) -> String {
        count >= length ? self : String(repeating: " ", count: length - count) + self
    }
}

/// A new directory only this user can enter (mode 0700), with an unpredictable name made by
/// `mkdtemp` under `$TMPDIR` (or /tmp): nobody can create it first, or plant a link in it.
public func makePrivateTemporaryDirectory(prefix: String) throws -> String {
    let base = (ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp")
    var template = Array((base.hasSuffix("/") ? base : base + "/").utf8CString.dropLast()) + Array("\(prefix)-XXXXXX".utf8CString)
    guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
        throw CommandError("cannot create a temporary directory in \(base): \(String(cString: strerror(errno)))")
    }
    return String(cString: made)
}
