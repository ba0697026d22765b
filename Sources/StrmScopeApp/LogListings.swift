import Exposition
import Foundation
import ScopeCore
import StreamLog

/// The read-only listings of `strmscope log topics|groups|metrics|verify`.
public enum LogListings {
    public static func topics(directory: String, includeInternal: Bool = false) throws -> String {
        let log = try StreamLog.open(directory: directory, readOnly: true)
        var rows: [[String]] = []
        for topic in log.topicNames(includeInternal: includeInternal) {
            guard let config = log.topicConfig(topic) else { continue }
            for p in 0..<config.partitions {
                let status = try log.partitionStatus(TopicPartition(topic, p))
                rows.append([
                    topic, String(p), String(status.logStartOffset), String(status.reportedEndOffset), String(status.segments),
                    humanBytes(status.bytes), statusText(status),
                ])
            }
        }
        if rows.isEmpty { return "no topics in \(directory)\n" }
        return formatTable(["TOPIC", "PARTITION", "START", "END", "SEGMENTS", "SIZE", "STATUS"], rows)
    }

    /// `ok`, or what is unreadable and where: the offsets, how many batches, the file and byte.
    static func statusText(_ status: PartitionStatus) -> String {
        guard let corruption = status.corruption else { return status.writeFailure.map { "WRITE FAILED: \($0)" } ?? "ok" }
        let from = status.corruptFromOffset ?? status.highWatermark
        let end = status.reportedEndOffset
        let range = end > from ? "offsets \(from)-\(end - 1) unreadable" : "unreadable from offset \(from)"
        let batches = status.corruptBatches == 1 ? "1 corrupt batch" : "\(status.corruptBatches) corrupt batches"
        return "CORRUPT: \(range), \(batches): \(corruption)"
    }

    public static func groups(directory: String) throws -> String {
        let log = try StreamLog.open(directory: directory, readOnly: true)
        var rows: [[String]] = []
        for group in log.groupNames() {
            let status = log.groupStatus(group)
            if status.partitions.isEmpty {
                rows.append([group, String(status.generation), "-", "-", "-", "-", "-"])
            }
            for lag in status.partitions {
                rows.append([
                    group, String(status.generation), lag.topicPartition.topic, String(lag.topicPartition.partition),
                    lag.committed.map(String.init) ?? "-", String(lag.endOffset), lag.lag.map(String.init) ?? "-",
                ])
            }
        }
        if rows.isEmpty { return "no consumer groups in \(directory)\n" }
        var out = formatTable(["GROUP", "GENERATION", "TOPIC", "PARTITION", "COMMITTED", "END", "LAG"], rows)
        let recent = try log.events().filter { $0.kind == .rebalance }.suffix(5)
        if !recent.isEmpty {
            out += "\nrecent rebalances:\n"
            for event in recent { out += "  \(formatTimestamp(event.timeMs))  \(sanitizeForTerminal(event.title))\n" }
        }
        return out
    }

    public static func metrics(directory: String) throws -> String {
        let log = try StreamLog.open(directory: directory, readOnly: true)
        return PrometheusTextEncoder.encode(log.metricFamilies())
    }

    /// The verify report as text, and whether the log is intact.
    public static func verify(directory: String) throws -> (text: String, intact: Bool) {
        let report = try LogVerifier.verify(directory: directory)
        var out = ""
        for problem in report.problems { out += "\(problem)\n" }
        let summary = "\(report.partitions) partitions, \(report.segments) segments, \(report.batches) batches, \(report.records) records, \(humanBytes(report.bytes))"
        if report.isIntact {
            out += "OK: \(summary) verified (CRC32C, record structure, offsets, indexes)\n"
        } else {
            out += "CORRUPT: \(report.corruptions.count) problem(s) in \(summary)\n"
        }
        return (out, report.isIntact)
    }

    static func humanBytes(_ bytes: Int) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(bytes) B" : String(format: "%.1f", value) + " " + units[unit]
    }

    /// RFC 3339 in UTC, to the second. One formatter for all calls: a range query's table prints
    /// one timestamp per sample. (Formatting with a shared ISO8601DateFormatter is thread-safe.)
    nonisolated(unsafe) private static let timestampFormatter: ISO8601DateFormatter = {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter
    }()

    static func formatTimestamp(_ ms: Int64) -> String {
        timestampFormatter.string(from: Date(timeIntervalSince1970: Double(ms) / 1000))
    }
}
