import ArgumentParser
import Exporter
import Foundation
import ScopeCore
import StrmScopeApp

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the demo workload headless and print counts every second.",
        discussion: """
            A producer with a varying rate writes orders to `orders` (6 partitions); consumer group \
            `billing` (3 members) processes them and dead-letters failures to `orders.dlq`. Faults \
            follow a schedule (slow consumer at 25 s, kill a member at 65 s, poison burst at 110 s, \
            producer burst at 130 s, every 150 s) unless --faults none; --fault adds one at a time. \
            Without --dir it uses a temporary directory, removed at exit. Point `strmscope query \
            --log DIR` (or eval, export) at the directory to watch it.

            Examples:
              strmscope demo
              strmscope demo --dir /tmp/demo --duration 5m \\
                --faults none --fault kill-member@30s
            """)

    @Option(help: ArgumentHelp("Log directory to use and keep (default: a temporary one).", valueName: "dir"))
    var dir: String?

    @Option(help: ArgumentHelp("Stop after this long (default: until Ctrl-C).", valueName: "duration"))
    var duration: String?

    @Option(help: "Average records per second produced.")
    var rate: Int = 400

    @Option(name: .customLong("error-rate"), help: ArgumentHelp("Share of records whose processing fails outside faults (0 to 1).", valueName: "ratio"))
    var errorRate: Double = 0.01

    @Option(help: "The fault schedule: standard or none.")
    var faults: String = "standard"

    @Option(help: ArgumentHelp(
        "Serve the demo's metrics on /metrics at this address (the log's, and the consumers' processing metrics).",
        valueName: "host:port"))
    var listen: String?

    @Option(name: .customLong("fault"), help: ArgumentHelp(
        "A fault at a time, e.g. kill-member@30s (slow-consumer, kill-member, poison-burst, producer-burst; repeatable).",
        valueName: "name@time"))
    var extraFaults: [String] = []

    func validate() throws {
        if let duration, parseDurationMs(duration) == nil {
            throw ValidationError("--duration: \"\(duration)\" is not a duration (examples: 30s, 5m)")
        }
        if rate < 1 || rate > 1_000_000 { throw ValidationError("--rate must be between 1 and 1000000") }
        if !(0...1).contains(errorRate) { throw ValidationError("--error-rate is a share from 0 to 1, not \(errorRate)") }
        if faults != "standard" && faults != "none" { throw ValidationError("--faults is standard or none, not \"\(faults)\"") }
        if let listen, ListenAddress(listen) == nil { throw ValidationError("--listen: \"\(listen)\" is not host:port (example: 127.0.0.1:9465)") }
        for entry in extraFaults where FaultSchedule.entry(entry) == nil {
            let names = DemoFault.allCases.map(\.rawValue).joined(separator: ", ")
            throw ValidationError("--fault \"\(entry)\": expected NAME@TIME with NAME one of \(names) (e.g. kill-member@30s)")
        }
    }

    func run() throws {
        installStopHandlers()
        let temporary = dir == nil
        let directory: String
        do {
            directory = try dir ?? makePrivateTemporaryDirectory(prefix: "strmscope-demo")
        } catch {
            writeError("strmscope: error: \(error)")
            throw ExitStatus.error
        }
        defer { if temporary { try? FileManager.default.removeItem(atPath: directory) } }
        var options = DemoOptions(directory: directory)
        options.rate = rate
        options.errorRate = errorRate
        var schedule = faults == "none" ? FaultSchedule.none : FaultSchedule.standard
        schedule = FaultSchedule(entries: schedule.entries + extraFaults.compactMap(FaultSchedule.entry), repeatEverySeconds: schedule.repeatEverySeconds)
        try runReportingErrors {
            try DemoRunner.run(options, durationMs: duration.flatMap(parseDurationMs), faults: schedule, listen: listen.flatMap(ListenAddress.init),
                               output: StandardOutput())
        }
    }
}
