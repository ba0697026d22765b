#if canImport(Glibc)
import Glibc
#endif
import ScopeCore
import StreamLog

public struct ConsumeOptions: Sendable {
    public var directory: String
    public var topic: String
    public var group: String?
    public var from: OffsetReset
    public var maxRecords: Int?
    /// Exit after this long without a new record (nil: keep following the log until stopped).
    public var idleExitMs: Int64?
    public var format: RecordFormat

    public init(
        directory: String, topic: String, group: String? = nil, from: OffsetReset = .earliest, maxRecords: Int? = nil,
        idleExitMs: Int64? = nil, format: RecordFormat = .text
    ) {
        self.directory = directory
        self.topic = topic
        self.group = group
        self.from = from
        self.maxRecords = maxRecords
        self.idleExitMs = idleExitMs
        self.format = format
    }
}

/// `strmscope log consume`: prints records as they become readable. With a group it is the
/// group's member (it takes the writer lock) and commits exactly what it printed, after printing
/// it; without one it opens the log read-only and may run beside a producer.
public enum ConsumeRunner {
    /// A member fenced by a rebalance (its session lapsed while output was blocked, say) cannot
    /// commit; it rejoins on the next poll and re-reads from the last commit, so some records are
    /// printed twice rather than skipped. Anything else is an error.
    static func commitFollowingRebalances(_ consumer: Consumer) throws {
        do {
            try consumer.commit()
        } catch LogError.illegalGeneration, LogError.unknownMember {
            writeError("strmscope: warning: the group rebalanced before this commit; records since the last commit will be printed again")
        }
    }

    /// How long to wait between polls when caught up.
    static let idlePollMs = 20

    public static func run(_ options: ConsumeOptions, output: OutputSink, clock: any Clock = SystemClock()) throws -> Int {
        let log = try StreamLog.open(directory: options.directory, readOnly: options.group == nil, clock: clock)
        for note in log.recoveryNotes { writeError("strmscope: warning: \(note)") }
        defer { try? log.close() }
        let memberId = "strmscope-consume-\(getpid())"
        let consumer = try Consumer(log: log, topics: [options.topic], group: options.group, memberId: memberId, reset: options.from)
        var printed = 0
        var lastRecordMs = clock.nowMs()
        while !isStopRequested {
            let limit = min(500, (options.maxRecords ?? Int.max) - printed)
            if limit <= 0 { break }
            let records = try consumer.poll(maxRecords: limit)
            for record in records {
                output.write(RecordFormatter.format(record, as: options.format))
                output.write("\n")
            }
            if !records.isEmpty {
                // Printed first, committed second: a crash in between re-prints, never skips.
                output.flush()
                try commitFollowingRebalances(consumer)
                printed += records.count
                lastRecordMs = clock.nowMs()
                continue
            }
            if let idle = options.idleExitMs, clock.nowMs() - lastRecordMs >= idle { break }
            sleepUnlessStopped(ms: idlePollMs)
        }
        output.flush()
        try commitFollowingRebalances(consumer)
        try consumer.close()
        try log.close()
        return printed
    }
}
