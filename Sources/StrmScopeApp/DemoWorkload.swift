#if canImport(Glibc)
import Glibc
#endif
import Foundation
import ScopeCore
import StreamLog
import Synchronization

public struct DemoOptions: Sendable {
    public var directory: String
    public var topic = "orders"
    public var group = "billing"
    public var partitions = 6
    public var members = 3
    /// Average records per second; the actual rate follows a slow wave with bursts.
    public var rate = 400
    /// Share of records whose processing fails and that go to `<topic>.dlq`.
    public var errorRate = 0.01

    public init(directory: String) { self.directory = directory }
}

/// What the demo has done so far.
public struct DemoStats: Sendable, Equatable {
    public var produced: Int64 = 0
    public var consumed: Int64 = 0
    public var deadLettered: Int64 = 0
    public var lag: Int64 = 0
    public var rebalances: Int = 0
    public var generation: Int32 = 0
    public var members: Int = 0
}

/// The embedded demo workload: a producer with a varying rate (slow wave plus bursts) writing
/// keyed orders to `orders`, a consumer group `billing` whose members take a realistic, skewed
/// time per record, and processing failures dead-lettered to `orders.dlq`. Threads, real time.
public final class DemoWorkload: @unchecked Sendable {
    public let options: DemoOptions
    public let log: StreamLog
    private let running = Atomic<Bool>(false)
    private let produced = Atomic<Int64>(0)
    private let consumed = Atomic<Int64>(0)
    private let deadLettered = Atomic<Int64>(0)
    private var threads: [Thread] = []
    private let finished = DispatchGroup()

    public init(options: DemoOptions) throws {
        self.options = options
        log = try StreamLog.open(directory: options.directory, create: true)
        for note in log.recoveryNotes { writeError("strmscope: warning: \(note)") }
        try log.createTopic(options.topic, config: TopicConfig(partitions: options.partitions))
    }

    public func start() {
        running.store(true, ordering: .relaxed)
        spawn { [self] in produceLoop() }
        for i in 0..<options.members {
            spawn { [self] in consumeLoop(memberId: "\(options.group)-\(i + 1)", seed: UInt64(i + 1)) }
        }
    }

    private func spawn(_ body: @escaping @Sendable () -> Void) {
        finished.enter()
        let thread = Thread { [finished] in
            body()
            finished.leave()
        }
        threads.append(thread)
        thread.start()
    }

    /// Stops every thread (members leave the group) and closes the log.
    public func stop() throws {
        running.store(false, ordering: .relaxed)
        finished.wait()
        try log.close()
    }

    public func stats() -> DemoStats {
        let status = log.groupStatus(options.group)
        return DemoStats(
            produced: produced.load(ordering: .relaxed), consumed: consumed.load(ordering: .relaxed),
            deadLettered: deadLettered.load(ordering: .relaxed), lag: status.partitions.reduce(0) { $0 + ($1.lag ?? $1.endOffset) },
            rebalances: log.rebalanceCount(options.group),
            generation: status.generation, members: status.members.count)
    }

    /// Records per second at `seconds` into the run: a 60 s wave between 40% and 160% of the
    /// rate, and a 5 s burst at 3× every 45 s.
    static func rate(at seconds: Double, base: Int) -> Double {
        let wave = 1 + 0.6 * sin(2 * Double.pi * seconds / 60)
        let burst = seconds.truncatingRemainder(dividingBy: 45) >= 40 ? 3.0 : 1.0
        return Double(base) * wave * burst
    }

    private func produceLoop() {
        guard let producer = try? Producer(log: log, acks: .leader) else { return }
        let started = monotonicNanos()
        var owed = 0.0
        var order: Int64 = 0
        var rng = SplitMix(seed: 42)
        while running.load(ordering: .relaxed) {
            usleep(10_000)
            let seconds = Double(monotonicNanos() - started) / 1e9
            owed += Self.rate(at: seconds, base: options.rate) / 100
            let count = Int(owed)
            owed -= Double(count)
            guard count > 0 else { continue }
            var records: [ProducerRecord] = []
            for _ in 0..<count {
                order += 1
                let customer = rng.next() % 500
                let cents = 100 + rng.next() % 50_000
                records.append(ProducerRecord(key: "customer-\(customer)", value: "{\"order\":\(order),\"customer\":\(customer),\"cents\":\(cents)}"))
            }
            if (try? producer.send(topic: options.topic, records)) != nil {
                produced.add(Int64(count), ordering: .relaxed)
            }
        }
    }

    private func consumeLoop(memberId: String, seed: UInt64) {
        guard let consumer = try? Consumer(log: log, topics: [options.topic], group: options.group, memberId: memberId, sessionTimeoutMs: 6_000) else {
            return
        }
        var rng = SplitMix(seed: seed)
        while running.load(ordering: .relaxed) {
            let records: [ConsumedRecord]
            do { records = try consumer.poll(maxRecords: 50) } catch {
                usleep(100_000)
                continue
            }
            if records.isEmpty {
                usleep(20_000)
                continue
            }
            for record in records {
                // Processing time: mostly ~1 ms, with a long tail (lognormal-ish via two uniforms).
                let u = Double(rng.next() % 10_000) / 10_000
                usleep(UInt32(500 + 1_500 * u * u * u * 4))
                if Double(rng.next() % 10_000) / 10_000 < options.errorRate {
                    if (try? consumer.deadLetter(record, error: "validation failed: amount exceeds credit limit", attempt: 1)) != nil {
                        deadLettered.add(1, ordering: .relaxed)
                    }
                }
            }
            consumed.add(Int64(records.count), ordering: .relaxed)
            // A commit rejected after a rebalance (fenced) is expected: the new owner re-reads.
            try? consumer.commit()
            try? log.expireSessions()
        }
        try? consumer.commit()
        try? consumer.close()
    }
}

/// A small deterministic generator (SplitMix64), so demo runs are reproducible.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// `strmscope log demo`: runs the workload and prints a line of live counts every second.
public enum DemoRunner {
    public static func run(_ options: DemoOptions, durationMs: Int64?, output: OutputSink) throws {
        let workload = try DemoWorkload(options: options)
        output.write("strmscope demo: topic \(options.topic) (\(options.partitions) partitions), group \(options.group) (\(options.members) members), log in \(options.directory)\n")
        output.write("Ctrl-C stops it. Watch it from another terminal: strmscope log groups --dir \(options.directory)\n\n")
        let widths = [5, 10, 10, 7, 5, 10, 10, 7]
        func row(_ cells: [String]) -> String { zip(cells, widths).map { $0.leftPadding(toLength: $1) }.joined(separator: "  ") + "\n" }
        output.write(row(["TIME", "PRODUCED/s", "CONSUMED/s", "LAG", "DLQ", "REBALANCES", "GENERATION", "MEMBERS"]))
        output.flush()
        workload.start()
        let started = monotonicNanos()
        var previous = DemoStats()
        var second = 0
        while !isStopRequested {
            sleepUnlessStopped(ms: 1000)
            second += 1
            let now = workload.stats()
            let cells = [
                "\(second)s", String(now.produced - previous.produced), String(now.consumed - previous.consumed), String(now.lag),
                String(now.deadLettered), String(now.rebalances), String(now.generation), String(now.members),
            ]
            output.write(row(cells))
            output.flush()
            previous = now
            if let durationMs, Int64((monotonicNanos() - started) / 1_000_000) >= durationMs { break }
        }
        try workload.stop()
        let total = workload.stats()
        output.write("\nstopped: \(total.produced) produced, \(total.consumed) consumed, \(total.deadLettered) dead-lettered, lag \(total.lag)\n")
        output.flush()
    }
}
