import ArgumentParser
import Testing

@testable import strmscope

@Suite struct HelpTests {
    static let commands: [(String, ParsableCommand.Type)] = [
        ("strmscope", StrmScope.self), ("log", LogCommand.self), ("produce", LogCommand.Produce.self),
        ("consume", LogCommand.Consume.self), ("topics", LogCommand.Topics.self), ("groups", LogCommand.Groups.self),
        ("metrics", LogCommand.Metrics.self), ("verify", LogCommand.Verify.self), ("demo", DemoCommand.self),
        ("query", QueryCommand.self), ("test promql", TestCommand.PromQLTests.self), ("scope", ScopeCommand.self),
        ("eval", EvalCommand.self), ("export", ExportCommand.self), ("check", CheckCommand.self), ("presets", PresetsCommand.self), ("slo generate", SLOCommand.Generate.self), ("test rules", TestCommand.RuleTests.self),
    ]

    @Test(arguments: commands.map(\.0))
    func everyCommandTeachesWithAnExample(_ name: String) {
        let command = Self.commands.first { $0.0 == name }!.1
        let help = StrmScope.helpMessage(for: command, columns: 100)
        #expect(help.contains("Example") || help.contains("Try"), "\(name) --help has no example")
        #expect(help.contains("  strmscope "), "\(name) --help example does not show a command line")
        // Example lines, continuations included, fit an 80-column terminal, so they can be
        // copied as shown (the help is wrapped at the terminal's width, which would split them).
        let lines = help.split(separator: "\n", omittingEmptySubsequences: false)
        let examples = lines.drop { !($0.hasPrefix("Example") || $0.hasPrefix("Try")) }.prefix { !$0.hasPrefix("USAGE:") }
        let wide = examples.filter { $0.hasPrefix("  ") && $0.count > 80 }
        #expect(wide.isEmpty, "\(name): example lines wider than 80 columns: \(wide)")
    }

    @Test func scopeHelpListsTheKeys() {
        let help = StrmScope.helpMessage(for: ScopeCommand.self, columns: 100)
        for key in ["space stop/run", "TIME/DIV", "V/DIV", "trigger", "quit", "--scrape", "--prometheus", "--log", "--kafka", "--ascii"] {
            #expect(help.contains(key), "scope --help does not mention \(key)")
        }
        #expect(!help.contains("full-repaint"), "the measurement flag stays hidden")
    }

    @Test func produceHelpNamesTheAckChoices() {
        let help = StrmScope.helpMessage(for: LogCommand.Produce.self, columns: 100)
        #expect(help.contains("none, leader, all"))
        #expect(help.contains("PARTITION OFFSET"))
    }
}

@Suite struct ValidationTests {
    private func parseError(_ arguments: [String]) -> String? {
        do {
            _ = try StrmScope.parseAsRoot(arguments)
            return nil
        } catch {
            return StrmScope.message(for: error)
        }
    }

    @Test func scopeArgumentsAreChecked() {
        #expect(parseError(["scope", "--log", "d", "--prometheus", "http://p:9090"])?.contains("choose one source") == true)
        #expect(parseError(["scope", "--refresh", "0"])?.contains("--refresh") == true)
        #expect(parseError(["scope", "--scrape", "localhost:9308/metrics"])?.contains("not an http:// or https:// URL") == true)
        #expect(parseError(["scope", "--faults", "many"])?.contains("standard or none") == true)
        #expect(parseError(["--log", "d", "--demo-dir", "x"])?.contains("--demo-dir is for the demo") == true,
                "options without a subcommand go to scope")
        #expect(parseError([]) == nil, "no arguments is the scope on the demo")
    }

    @Test func evalArgumentsAreChecked() {
        #expect(parseError(["eval", "--log", "d"]) == nil, "without --rules: the preset's pack")
        #expect(parseError(["eval", "--preset", "redpand", "--log", "d"])?.contains("the presets are kafka, kminion, redpanda, pulsar, flink") == true)
        #expect(parseError(["scope", "--preset", "debezium"])?.contains("no preset \"debezium\"") == true)
        #expect(parseError(["check", "--preset", "pulsar", "Dashboards"])?.contains("not both") == true)
        #expect(parseError(["presets", "--detect", "localhost:9644/public_metrics"])?.contains("not an http://") == true)
        #expect(parseError(["eval", "--rules", "r.yml"])?.contains("name a source") == true)
        #expect(parseError(["eval", "--rules", "r.yml", "--log", "d", "--interval", "10"])?.contains("--interval") == true)
        #expect(parseError(["eval", "--rules", "r.yml", "--log", "d", "--alertmanager", "localhost:9093"])?.contains("not an http://") == true)
        #expect(parseError(["eval", "--rules", "r.yml", "--file", "x.prom", "--once"]) == nil)
    }

    @Test func exportArgumentsAreChecked() {
        #expect(parseError(["export", "--otlp-endpoint", "http://c:4318"])?.contains("name a source") == true)
        #expect(parseError(["export", "--log", "d", "--otlp-endpoint", "c:4318"])?.contains("not an http://") == true)
        #expect(parseError(["export", "--log", "d", "--listen", "9464"])?.contains("--listen") == true)
        #expect(parseError(["export", "--otlp-listen", "localhost"])?.contains("is not host:port") == true)
        #expect(parseError(["export", "--log", "d", "--otlp-token-file", "t"])?.contains("--otlp-token-file needs --otlp-listen") == true)
        #expect(parseError(["export", "--log", "d", "--queue-size", "0"])?.contains("--queue-size") == true)
        #expect(parseError(["export", "--log", "d", "--resource", "env"])?.contains("KEY=VALUE") == true)
        #expect(parseError(["export", "--log", "d", "--interval", "50ms"])?.contains("at least 100ms") == true)
        #expect(parseError(["export", "--otlp-listen", ":4318", "--otlp-endpoint", "http://c:4318", "--header", "Authorization=Bearer x"]) == nil)
        #expect(parseError(["scope", "--otlp-listen", "127.0.0.1:4318", "--prometheus", "http://p:9090"])?.contains("--otlp-listen") == true)
        #expect(parseError(["eval", "--rules", "r.yml", "--otlp-listen", "127.0.0.1:4318"]) == nil, "OTLP alone is a source for eval")
    }

    @Test func exportHelpTeachesTheSidecar() {
        let help = StrmScope.helpMessage(for: ExportCommand.self, columns: 100)
        for text in ["--otlp-endpoint", "--queue-size", "Retry-After", "/metrics", "/healthz", "/readyz", "--otlp-listen", "--otlp-token-file"] {
            #expect(help.contains(text), "export --help does not mention \(text)")
        }
    }

    @Test func keyAndKeySeparatorExcludeEachOther() {
        let message = parseError(["log", "produce", "--dir", "d", "--topic", "t", "--key", "k", "--key-sep", ":"])
        #expect(message?.contains("--key and --key-sep cannot be combined") == true)
    }

    @Test func badDurationsAreNamed() {
        #expect(parseError(["log", "consume", "--dir", "d", "--topic", "t", "--idle-exit", "soon"])?.contains("\"soon\" is not a duration") == true)
        #expect(parseError(["demo", "--duration", "1h30"])?.contains("is not a duration") == true)
        #expect(parseError(["demo", "--fault", "explode@3s"])?.contains("expected NAME@TIME") == true)
        #expect(parseError(["demo", "--faults", "some"])?.contains("standard or none") == true)
    }

    @Test func unknownAcksValueIsRejectedWithTheChoices() {
        let message = parseError(["log", "produce", "--dir", "d", "--topic", "t", "--acks", "most"])
        #expect(message?.contains("most") == true)
    }

    @Test func rangesAreChecked() {
        #expect(parseError(["log", "produce", "--dir", "d", "--topic", "t", "--batch", "0"])?.contains("--batch") == true)
        #expect(parseError(["log", "produce", "--dir", "d", "--topic", "t", "--partitions", "0"])?.contains("--partitions") == true)
        #expect(parseError(["log", "consume", "--dir", "d", "--topic", "t", "--max", "0"])?.contains("--max") == true)
    }

    @Test func queryNeedsASourceAndAWholeRange() {
        #expect(parseError(["query", "up"])?.contains("name at least one source") == true)
        #expect(parseError(["query", "--log", "d", "--start", "now-1h", "up"])?.contains("needs all of --start, --end and --step") == true)
        #expect(parseError(["query", "--log", "d", "--time", "soon", "up"])?.contains("\"soon\" is not a time") == true)
        #expect(parseError(["query", "--log", "d", "--start", "now-1h", "--end", "now", "--step", "-5", "up"])?.contains("--step") == true)
    }

    @Test func kafkaArgumentsAreChecked() {
        #expect(parseError(["query", "--kafka", "broker", "up"])?.contains("\"broker\" is not HOST:PORT") == true)
        #expect(parseError(["query", "--kafka", "b:9092,c:99999", "up"])?.contains("\"c:99999\" is not HOST:PORT") == true)
        #expect(parseError(["query", "--log", "d", "--kafka-group", "g", "up"])?.contains("need --kafka HOST:PORT") == true)
        #expect(parseError(["query", "--kafka", "b:9092", "--kafka-config", "acks", "up"])?.contains("\"acks\" is not key=value") == true)
        #expect(parseError(["query", "--kafka", "b:9092", "--kafka-topics", "(", "up"])?.contains("--kafka-topics: error parsing regexp") == true)
        #expect(parseError(["query", "--kafka", "b:9092", "--kafka-lag-time", "sometimes", "up"])?.contains("exact, estimate or off") == true)
        #expect(parseError(["query", "--kafka", "b:9092", "--kafka-config-file", "/nonexistent/client.properties", "up"])?
            .contains("cannot read /nonexistent/client.properties") == true)
        #expect(parseError(["scope", "--kafka", "b:9092", "--log", "d"])?.contains("choose one source: --log, --scrape, --kafka or --prometheus") == true)
        #expect(parseError(["eval", "--rules", "r.yml", "--kafka", "b:9092", "--once"]) == nil, "a cluster alone is a source for eval")
        #expect(parseError(["export", "--kafka", "[::1]:9092,10.0.0.5:9092", "--kafka-group", "billing", "--kafka-groups", "orders-.*"]) == nil)
        let help = StrmScope.helpMessage(for: QueryCommand.self, columns: 100)
        for text in ["--kafka <host:port", "--kafka-config <key=value>", "--kafka-config-file", "--kafka-group <name>", "--kafka-groups", "--kafka-topics",
                     "--kafka-lag-time"] {
            #expect(help.contains(text), "query --help does not mention \(text)")
        }
    }

    @Test func validCommandLinesParse() {
        #expect(parseError(["log", "produce", "--dir", "d", "--topic", "t", "--key-sep", ":", "--acks", "leader", "--batch", "5"]) == nil)
        #expect(parseError(["log", "consume", "--dir", "d", "--topic", "t", "--group", "g", "--from", "latest", "--idle-exit", "1s"]) == nil)
    }
}
