import ArgumentParser
import Foundation
import ScopeCore
import StreamLog
import StrmScopeApp

/// Options every `log` subcommand shares.
struct LogDirectoryOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The log directory (created by `log produce` when missing or empty).", valueName: "dir"))
    var dir: String
}

struct LogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log",
        abstract: "Produce to, consume from, inspect and verify the embedded durable log.",
        discussion: """
            The embedded log keeps topics of partitions in segment files under one directory, with \
            CRC32C-checked batches, idempotent producers, consumer groups with durable committed \
            offsets, and kafka_exporter-compatible metrics. One process writes a directory at a \
            time; the listings and `consume` without `--group` only read and may run beside it.

            Example:
              printf 'alice:1\\nbob:2\\n' |
                strmscope log produce --dir /tmp/l --topic orders --key-sep :
              strmscope log consume --dir /tmp/l --topic orders --group billing \\
                --idle-exit 1s
              strmscope log groups --dir /tmp/l
            """,
        subcommands: [Produce.self, Consume.self, Topics.self, Groups.self, Metrics.self, Verify.self]
    )
}

/// Runs a command body, turning failures into one line on stderr and exit 2 (an error: see
/// `ExitStatus`).
func runReportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as ExitCode {
        throw error
    } catch {
        writeError("strmscope: error: \(error)")
        throw ExitStatus.error
    }
}

extension Acks: ExpressibleByArgument {}
extension OffsetReset: ExpressibleByArgument {}
extension RecordFormat: ExpressibleByArgument {}

extension LogCommand {
    struct Produce: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Append stdin lines as records; print `PARTITION OFFSET` for each acknowledged one.",
            discussion: """
                Each line of stdin is one record value (or `KEY<SEP>VALUE` with --key-sep). Lines are \
                sent in batches of up to --batch as they arrive; every acknowledged record is printed \
                at once as `PARTITION OFFSET`, so what was printed is in the log. Exits 0 at end of \
                input once everything is acknowledged. The topic is created when missing.

                Examples:
                  seq 1000 | strmscope log produce --dir /tmp/l --topic orders --partitions 6
                  printf 'alice:1\\n' |
                    strmscope log produce --dir /tmp/l --topic orders --key-sep : --acks all
                """
        )

        @OptionGroup var log: LogDirectoryOptions

        @Option(help: ArgumentHelp("Topic to append to.", valueName: "topic"))
        var topic: String

        @Option(help: "Partitions when the topic is created (default 1); must match an existing topic.")
        var partitions: Int?

        @Option(help: "Use this key for every record (all go to one partition).")
        var key: String?

        @Option(name: .customLong("key-sep"), help: ArgumentHelp("Split each line at the first SEP into key and value.", valueName: "sep"))
        var keySeparator: String?

        @Option(help: "When a record counts as acknowledged: none, leader (written), all (fsynced; concurrent producers share fsyncs).")
        var acks: Acks = .all

        @Option(help: "Records per batch at most.")
        var batch: Int = 100

        func validate() throws {
            if key != nil && keySeparator != nil { throw ValidationError("--key and --key-sep cannot be combined") }
            if keySeparator == "" { throw ValidationError("--key-sep must not be empty") }
            if batch < 1 || batch > 100_000 { throw ValidationError("--batch must be between 1 and 100000") }
            if let partitions, partitions < 1 || partitions > 10_000 { throw ValidationError("--partitions must be between 1 and 10000") }
        }

        func run() throws {
            installStopHandlers()
            let mode: KeyMode = key.map { .fixed($0) } ?? keySeparator.map { .separator($0) } ?? .none
            let options = ProduceOptions(directory: log.dir, topic: topic, partitions: partitions, key: mode, acks: acks, batchSize: batch)
            try runReportingErrors {
                _ = try ProduceRunner.run(options, input: 0, output: StandardOutput())
            }
        }
    }

    struct Consume: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print records as they arrive: `PARTITION OFFSET KEY VALUE`, or JSON lines.",
            discussion: """
                Without --group the log is opened read-only (it may run beside a producer) and every \
                partition is read from --from. With --group this process is the group's member: it \
                starts at the group's committed offsets and commits exactly what it printed, after \
                printing it. Runs until --max records, --idle-exit without new records, or Ctrl-C.

                In text output a null key or value is `null`, and control characters are shown as \
                \\xNN. JSON output keeps exact bytes (base64 for non-UTF-8).

                Examples:
                  strmscope log consume --dir /tmp/l --topic orders --idle-exit 2s
                  strmscope log consume --dir /tmp/l --topic orders --group billing \\
                    --format json --max 100
                """
        )

        @OptionGroup var log: LogDirectoryOptions

        @Option(help: ArgumentHelp("Topic to read.", valueName: "topic"))
        var topic: String

        @Option(help: "Consumer group: read from its committed offsets and commit what is printed.")
        var group: String?

        @Option(help: "Where to start without a committed offset: earliest or latest.")
        var from: OffsetReset = .earliest

        @Option(help: "Exit after this many records.")
        var max: Int?

        @Option(name: .customLong("idle-exit"), help: ArgumentHelp("Exit after this long without a new record (e.g. 500ms, 2s, 1m).", valueName: "duration"))
        var idleExit: String?

        @Option(help: "Output format: text or json.")
        var format: RecordFormat = .text

        func validate() throws {
            if let max, max < 1 { throw ValidationError("--max must be at least 1") }
            if let idleExit, parseDurationMs(idleExit) == nil {
                throw ValidationError("--idle-exit: \"\(idleExit)\" is not a duration (examples: 500ms, 2s, 1m30s)")
            }
        }

        func run() throws {
            installStopHandlers()
            let options = ConsumeOptions(
                directory: log.dir, topic: topic, group: group, from: from, maxRecords: max, idleExitMs: idleExit.flatMap(parseDurationMs),
                format: format)
            try runReportingErrors {
                _ = try ConsumeRunner.run(options, output: StandardOutput())
            }
        }
    }

    struct Topics: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List topics and partitions: start and end offsets, segments, size, status.",
            discussion: "Read-only. Example:\n  strmscope log topics --dir /tmp/l")

        @OptionGroup var log: LogDirectoryOptions

        @Flag(help: "Include internal topics (__consumer_offsets, __strm_events).")
        var `internal` = false

        func run() throws {
            try runReportingErrors {
                StandardOutput().write(try LogListings.topics(directory: log.dir, includeInternal: `internal`))
            }
        }
    }

    struct Groups: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List consumer groups: committed offset, end offset and lag per partition.",
            discussion: "Read-only. Lag is end offset minus committed offset. Example:\n  strmscope log groups --dir /tmp/l")

        @OptionGroup var log: LogDirectoryOptions

        func run() throws {
            try runReportingErrors {
                StandardOutput().write(try LogListings.groups(directory: log.dir))
            }
        }
    }

    struct Metrics: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the log's metrics in the Prometheus text format.",
            discussion: """
                Names and labels follow kafka_exporter (kafka_topic_partition_current_offset, \
                kafka_consumergroup_lag, …), plus strm_* metrics. Read-only: it shows what the files \
                hold (offsets, lag, records produced and dead-lettered, rebalances). The counters of \
                a running writer (records consumed, bytes produced, append latency histogram) live \
                in that process and are served by it. Example:
                  strmscope log metrics --dir /tmp/l | grep kafka_consumergroup_lag
                """)

        @OptionGroup var log: LogDirectoryOptions

        func run() throws {
            try runReportingErrors {
                StandardOutput().write(try LogListings.metrics(directory: log.dir))
            }
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check every batch (CRC32C, structure, offsets) and index; exit 1 on corruption.",
            discussion: """
                Read-only, safe beside a writer. Prints each problem as FILE:BYTE: message. Damage \
                below a partition's recovery checkpoint (data that was flushed and acknowledged) is \
                corruption; only a torn tail past it (a write cut short by a crash) is a warning, \
                which the next writer truncates. Exits 0 when the log is intact, 1 on corruption, 2 \
                when the directory cannot be read.

                Example:
                  strmscope log verify --dir /tmp/l
                """)

        @OptionGroup var log: LogDirectoryOptions

        func run() throws {
            try runReportingErrors {
                let (text, intact) = try LogListings.verify(directory: log.dir)
                let out = StandardOutput()
                out.write(text)
                out.flush()
                if !intact { throw ExitStatus.answeredNo }
            }
        }
    }
}
