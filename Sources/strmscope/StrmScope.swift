import ArgumentParser
import Foundation
import StrmScopeApp

/// The process's exit codes, one contract for every command (README "Exit codes", `--help`):
/// 0 success; 1 the command answered "no" (an alert firing, problems found, a test failed, a
/// corrupt log); 2 it could not answer (a bad flag or argument, an unreadable file, a source that
/// does not answer); 3 only `eval --once`: nothing firing, but an alert is pending whose `for`
/// the source has no history to cover.
enum ExitStatus {
    static let answeredNo = ExitCode(1)
    static let error = ExitCode(2)
    static let undetermined = ExitCode(3)
}

@main
enum StrmScopeMain {
    static func main() {
        do {
            var command = try StrmScope.parseAsRoot()
            try command.run()
        } catch let code as ExitCode {
            // The command reported what went wrong already.
            exit(code.rawValue)
        } catch {
            let code = StrmScope.exitCode(for: error)
            // Help and --version print to stdout and exit 0.
            guard code != .success else { StrmScope.exit(withError: error) }
            // Anything else is one message on stderr, escaped (it may quote an argument), and
            // exit 2: the argument parser's usage errors would exit 64 (EX_USAGE), but a CI script
            // tests one contract.
            writeError(StrmScope.fullMessage(for: error))
            exit(ExitStatus.error.rawValue)
        }
    }
}

struct StrmScope: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "strmscope",
        abstract: "A terminal oscilloscope for streaming systems.",
        discussion: """
            strmscope watches event rates, consumer lag, rebalances and dead-letter queues. Its \
            embedded durable log (Kafka semantics) is the data source it ships with. With no \
            subcommand it runs `strmscope scope` on the built-in demo workload.

            Try the scope, the embedded log, and PromQL on it:
              strmscope                                the scope on the live demo (q quits)
              strmscope demo                           the demo headless, counts per second
              seq 5 | strmscope log produce --dir /tmp/l --topic orders
              strmscope log consume --dir /tmp/l --topic orders --idle-exit 1s
              strmscope query --log /tmp/l 'kafka_topic_partition_current_offset'

            Exit codes (every command): 0 success; 1 the answer is "no" (eval --once: an \
            alert firing; check: problems found; test: a test failed; log verify: corruption); \
            2 an error (a bad flag, an unreadable file, a source that does not answer); 3 eval \
            --once only: nothing firing, but an alert pending whose `for` the source cannot cover.
            """,
        version: "0.1.0",
        subcommands: [ScopeCommand.self, DemoCommand.self, LogCommand.self, QueryCommand.self, EvalCommand.self, ExportCommand.self, CheckCommand.self, PresetsCommand.self, SLOCommand.self, TestCommand.self],
        defaultSubcommand: ScopeCommand.self
    )
}
