import ArgumentParser
import Foundation
import KafkaDirect
import ScopeCore

/// `--kafka` and its options, shared by every command that reads data: a Kafka (or Redpanda)
/// cluster read directly through librdkafka, as kafka_exporter's series.
struct KafkaSourceOptions: ParsableArguments {
    @Option(name: .customLong("kafka"), help: ArgumentHelp(
        "Read a Kafka or Redpanda cluster directly: offsets, consumer groups, lag, rebalances (series named as kafka_exporter's).",
        valueName: "host:port[,host:port…]"))
    var bootstrap: String?

    @Option(name: .customLong("kafka-config"), help: ArgumentHelp(
        "A librdkafka property for --kafka, e.g. security.protocol=SASL_SSL (repeatable).", valueName: "key=value"))
    var config: [String] = []

    @Option(name: .customLong("kafka-config-file"), help: ArgumentHelp(
        "librdkafka properties for --kafka, one key=value per line (# comments); --kafka-config overrides.", valueName: "file"))
    var configFile: String?

    @Option(name: .customLong("kafka-group"), help: ArgumentHelp(
        "A consumer group to read even when the cluster cannot list groups (repeatable).", valueName: "name"))
    var groups: [String] = []

    @Option(name: .customLong("kafka-groups"), help: ArgumentHelp(
        "Only listed groups whose whole name matches this RE2 regex.", valueName: "regex"))
    var groupsRegex: String?

    @Option(name: .customLong("kafka-topics"), help: ArgumentHelp(
        "Only topics whose whole name matches this RE2 regex.", valueName: "regex"))
    var topicsRegex: String?

    @Option(name: .customLong("kafka-lag-time"), help: ArgumentHelp(
        "Lag in seconds: exact (the age of each group's first unconsumed record, read from the cluster; estimated where unreadable), estimate (from how end offsets moved), or off.",
        valueName: "exact|estimate|off"))
    var lagTime = "exact"

    func validate() throws {
        guard LagTime(rawValue: lagTime) != nil else { throw ValidationError("--kafka-lag-time is exact, estimate or off, not \"\(lagTime)\"") }
        guard bootstrap != nil else {
            if !config.isEmpty || configFile != nil || !groups.isEmpty || groupsRegex != nil || topicsRegex != nil || lagTime != "exact" {
                throw ValidationError("--kafka-config, --kafka-config-file, --kafka-group, --kafka-groups, --kafka-topics and --kafka-lag-time need --kafka HOST:PORT")
            }
            return
        }
        _ = try options(timeoutMs: 5_000)
    }

    /// The client's options, or nil without `--kafka`; throws a ValidationError on bad input.
    func options(timeoutMs: Int) throws -> KafkaOptions? {
        guard let bootstrap else { return nil }
        for server in bootstrap.split(separator: ",", omittingEmptySubsequences: false) {
            let parts = server.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count >= 2, !parts.dropLast().joined(separator: ":").isEmpty, let port = Int(parts.last!), (1...65535).contains(port) else {
                throw ValidationError("--kafka: \"\(server)\" is not HOST:PORT (example: --kafka 10.0.0.5:9092,10.0.0.6:9092)")
            }
        }
        var options = KafkaOptions(bootstrap: bootstrap)
        options.timeoutMs = timeoutMs
        if let configFile {
            guard let text = try? String(contentsOfFile: configFile, encoding: .utf8) else {
                throw ValidationError("--kafka-config-file: cannot read \(configFile)")
            }
            for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                if trimmed.isEmpty || trimmed.hasPrefix("#") || trimmed.hasPrefix("!") { continue }
                guard let pair = Self.pair(trimmed) else {
                    throw ValidationError("--kafka-config-file: \(configFile):\(n + 1): expected key=value, got \"\(sanitizeForTerminal(String(trimmed.prefix(80))))\"")
                }
                options.config.append(pair)
            }
        }
        for item in config {
            guard let pair = Self.pair(item) else { throw ValidationError("--kafka-config: \"\(item)\" is not key=value") }
            options.config.append(pair)
        }
        options.groups = groups
        options.lagTime = LagTime(rawValue: lagTime) ?? .exact
        do {
            options.groupsRegex = try groupsRegex.map { try GoRegex.anchored($0) }
        } catch { throw ValidationError("--kafka-groups: \(error)") }
        do {
            options.topicsRegex = try topicsRegex.map { try GoRegex.anchored($0) }
        } catch { throw ValidationError("--kafka-topics: \(error)") }
        return options
    }

    private static func pair(_ text: String) -> (key: String, value: String)? {
        guard let eq = text.firstIndex(of: "=") else { return nil }
        let key = text[..<eq].trimmingCharacters(in: .whitespaces)
        guard !key.isEmpty else { return nil }
        return (key, text[text.index(after: eq)...].trimmingCharacters(in: .whitespaces))
    }
}
