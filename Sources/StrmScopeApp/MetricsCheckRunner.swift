#if canImport(Glibc)
import Glibc
#endif
import Exposition
import Foundation
import ScopeCore

/// `strmscope check metrics`: promtool's `check metrics` (see `MetricsCheck`, `MetricsLint`).
public enum MetricsCheckRunner {
    /// What the input may weigh: it is read whole, as promtool does.
    public static let maxInputBytes = 1 << 30

    public enum Verdict: Equatable {
        case clean, problems(Int)
        case parseError(MetricsCheck.ParseError)
    }

    /// Checks `path` (nil or `-`: standard input). Problems go to `output` as promtool prints
    /// them (`METRIC TEXT`), then `--extended`'s table when there are none; a parse error and the
    /// summary go to stderr.
    public static func run(path: String?, extended: Bool, output: OutputSink) throws -> Verdict {
        let name = path == nil || path == "-" ? "stdin" : path!
        let result = try withInput(path, MetricsCheck.check)
        if let error = result.error {
            // One line: a raw byte Go's message would print (`invalid escape sequence '\<LF>'`) is escaped.
            writeError("strmscope: error: \(name):\(error.line): \(sanitizeForTerminal(error.message)) "
                       + "(the Prometheus text format 0.0.4 as promtool check metrics reads it)")
            return .parseError(error)
        }
        let problems = MetricsLint.problems(result.families)
        for problem in problems { output.write("\(problem)\n") }
        if problems.isEmpty && extended { output.write(cardinalityTable(result.families)) }
        output.flush()
        let families = result.families.count
        writeError("strmscope: \(name): \(families) metric \(families == 1 ? "family" : "families"), \(result.samples) "
                   + "\(result.samples == 1 ? "sample" : "samples"), \(problems.count) lint \(problems.count == 1 ? "problem" : "problems")")
        return problems.isEmpty ? .clean : .problems(problems.count)
    }

    /// promtool's `--extended` table, laid out as Go's tabwriter (padding 4) lays it out.
    static func cardinalityTable(_ families: [MetricsCheck.Family]) -> String {
        let (rows, total) = MetricsLint.cardinality(families)
        func percent(_ n: Int) -> String { String(format: "%.2f%%", total == 0 ? 0 : Double(n) / Double(total) * 100) }
        let cells = [["Metric", "Cardinality", "Percentage"]] + rows.map { [$0.name, String($0.series), percent($0.series)] }
            + [["Total", String(total), "100%"]]
        let widths = (0..<3).map { column in cells.map { $0[column].count }.max()! + 4 }
        return cells.map { row in
            row.enumerated().map { column, cell in cell + String(repeating: " ", count: widths[column] - cell.count) }.joined() + "\n"
        }.joined()
    }

    /// Calls `body` with the whole input: a regular file mapped in place, anything else (a pipe,
    /// standard input) read into memory; refused past `maxInputBytes`.
    static func withInput<R>(_ path: String?, _ body: (UnsafeBufferPointer<UInt8>) -> R) throws -> R {
        if let path, path != "-" {
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw CommandError("\(path): cannot open: \(String(cString: strerror(errno)))") }
            defer { close(fd) }
            var info = stat()
            if fstat(fd, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG && info.st_size > 0 {
                let size = Int(info.st_size)
                guard size <= maxInputBytes else {
                    throw CommandError("\(path): \(size) bytes is more than \(maxInputBytes); promtool and strmscope read the exposition whole")
                }
                if let mapped = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), mapped != MAP_FAILED {
                    defer { munmap(mapped, size) }
                    return body(UnsafeBufferPointer(start: mapped.assumingMemoryBound(to: UInt8.self), count: size))
                }
            }
        }
        return try readInput(path).withUnsafeBufferPointer(body)
    }

    /// The whole input, refused past `maxInputBytes`.
    static func readInput(_ path: String?) throws -> [UInt8] {
        let fd: Int32
        if let path, path != "-" {
            fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw CommandError("\(path): cannot open: \(String(cString: strerror(errno)))") }
            var info = stat()
            if fstat(fd, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR {
                close(fd)
                throw CommandError("\(path): is a directory; name an exposition file or - for standard input")
            }
        } else {
            fd = STDIN_FILENO
        }
        defer { if fd != STDIN_FILENO { close(fd) } }
        // Read in place into one buffer, sized from the file when it has a size (no copies).
        var info = stat()
        var capacity = fstat(fd, &info) == 0 && info.st_size > 0 ? min(Int(info.st_size) + 1, maxInputBytes + 1) : 1 << 20
        var bytes = [UInt8](repeating: 0, count: capacity)
        var count = 0
        while true {
            if count == capacity {
                guard capacity <= maxInputBytes else {
                    throw CommandError("\(path ?? "stdin"): more than \(maxInputBytes) bytes; promtool and strmscope read the exposition whole")
                }
                capacity = min(capacity * 2, maxInputBytes + 1)
                bytes += [UInt8](repeating: 0, count: capacity - bytes.count)
            }
            let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + count, capacity - count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw CommandError("\(path ?? "stdin"): cannot read: \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            count += n
        }
        guard count <= maxInputBytes else {
            throw CommandError("\(path ?? "stdin"): more than \(maxInputBytes) bytes; promtool and strmscope read the exposition whole")
        }
        bytes.removeLast(bytes.count - count)
        return bytes
    }
}
