import ArgumentParser
import StrmScopeApp

@main
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
            """,
        version: "0.1.0",
        subcommands: [ScopeCommand.self, DemoCommand.self, LogCommand.self, QueryCommand.self, EvalCommand.self, ExportCommand.self, CheckCommand.self, SLOCommand.self, TestCommand.self],
        defaultSubcommand: ScopeCommand.self
    )
}
