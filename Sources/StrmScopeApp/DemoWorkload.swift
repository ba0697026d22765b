#if canImport(Glibc)
import Glibc
#endif
import Exporter
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

/// A fault the demo can inject while it runs (from the schedule, a flag, or a key in the scope).
public enum DemoFault: String, Sendable, CaseIterable, Equatable {
    /// One member processes 20× slower for 30 s: its partitions' lag climbs, then recovers.
    case slowConsumer = "slow-consumer"
    /// One member stops without leaving: after its session times out the group rebalances and the
    /// others take over its partitions (a lag spike, then recovery); a replacement joins 20 s later.
    case killMember = "kill-member"
    /// For 10 s, 30% of records fail processing and go to the dead-letter queue.
    case poisonBurst = "poison-burst"
    /// For 10 s, producers send 4× their rate.
    case producerBurst = "producer-burst"

    /// What the scope's key line and the markers call it.
    public var title: String {
        switch self {
        case .slowConsumer: "slow consumer"
        case .killMember: "kill a member"
        case .poisonBurst: "poison burst"
        case .producerBurst: "producer burst"
        }
    }
}

/// When faults fire, seconds after the start: the default cycle shows every fault within the
/// first two minutes and repeats every 150 s.
public struct FaultSchedule: Sendable, Equatable {
    public var entries: [(seconds: Int64, fault: DemoFault)]
    public var repeatEverySeconds: Int64?
    private var nextIndex = 0
    private var cycle: Int64 = 0

    public init(entries: [(seconds: Int64, fault: DemoFault)], repeatEverySeconds: Int64? = nil) {
        self.entries = entries.sorted { $0.seconds < $1.seconds }
        self.repeatEverySeconds = repeatEverySeconds
    }

    public static let standard = FaultSchedule(
        entries: [(25, .slowConsumer), (65, .killMember), (110, .poisonBurst), (130, .producerBurst)], repeatEverySeconds: 150)
    public static let none = FaultSchedule(entries: [])

    /// Parses `NAME@DURATION` (`kill-member@30s`), as the `--fault` flag takes it.
    public static func entry(_ text: String) -> (seconds: Int64, fault: DemoFault)? {
        let parts = text.split(separator: "@", maxSplits: 1).map(String.init)
        guard parts.count == 2, let fault = DemoFault(rawValue: parts[0]), let ms = parseDurationMs(parts[1]) else { return nil }
        return (ms / 1000, fault)
    }

    /// The faults due at `elapsed` seconds that have not fired yet, in order.
    public mutating func due(atSeconds elapsed: Int64) -> [DemoFault] {
        var fired: [DemoFault] = []
        guard !entries.isEmpty else { return fired }
        while true {
            if nextIndex == entries.count {
                guard let period = repeatEverySeconds, period > 0 else { break }
                cycle += 1
                nextIndex = 0
            }
            guard entries[nextIndex].seconds + cycle * (repeatEverySeconds ?? 0) <= elapsed else { break }
            fired.append(entries[nextIndex].fault)
            nextIndex += 1
        }
        return fired
    }

    public static func == (a: FaultSchedule, b: FaultSchedule) -> Bool {
        a.entries.map(\.seconds) == b.entries.map(\.seconds) && a.entries.map(\.fault) == b.entries.map(\.fault)
            && a.repeatEverySeconds == b.repeatEverySeconds
    }
}

/// The embedded demo workload: a producer with a varying rate (slow wave plus bursts) writing
/// keyed orders to `orders`, a consumer group `billing` whose members take a realistic, skewed
/// time per record, and processing failures dead-lettered to `orders.dlq`. Faults can be
/// injected at any time (`inject`). Threads, real time.
public final class DemoWorkload: @unchecked Sendable {
    public let options: DemoOptions
    public let log: StreamLog
    private let running = Atomic<Bool>(false)
    private let produced = Atomic<Int64>(0)
    private let consumed = Atomic<Int64>(0)
    private let deadLettered = Atomic<Int64>(0)
    private let finished = DispatchGroup()
    private let started = monotonicNanos()
    /// Monotonic deadlines (ns) of the timed faults.
    private let poisonUntil = Atomic<UInt64>(0)
    private let burstUntil = Atomic<UInt64>(0)
    private let slowUntil = Atomic<UInt64>(0)
    private let members = Mutex<[MemberSlot]>([])
    private let nextMember = Atomic<Int>(0)

    /// One consumer thread; `alive` false ends it without leaving the group (a crash).
    final class MemberSlot: Sendable {
        let id: String
        let alive = Atomic<Bool>(true)
        init(id: String) { self.id = id }
    }

    public init(options: DemoOptions) throws {
        self.options = options
        log = try StreamLog.open(directory: options.directory, create: true)
        for note in log.recoveryNotes { writeError("strmscope: warning: \(note)") }
        try log.createTopic(options.topic, config: TopicConfig(partitions: options.partitions))
    }

    public func start() {
        running.store(true, ordering: .relaxed)
        spawn { [self] in produceLoop() }
        for _ in 0..<options.members { startMember() }
    }

    private func startMember() {
        let number = nextMember.add(1, ordering: .relaxed).newValue
        let slot = MemberSlot(id: "\(options.group)-\(number)")
        members.withLock { $0.append(slot) }
        spawn { [self] in consumeLoop(slot, seed: UInt64(number)) }
    }

    private func spawn(_ body: @escaping @Sendable () -> Void) {
        finished.enter()
        let thread = Thread { [finished] in
            body()
            finished.leave()
        }
        thread.start()
    }

    /// Injects `fault` now and puts a marker on the timeline.
    public func inject(_ fault: DemoFault) {
        let now = monotonicNanos()
        switch fault {
        case .slowConsumer:
            slowUntil.store(now + 30_000_000_000, ordering: .relaxed)
        case .poisonBurst:
            poisonUntil.store(now + 10_000_000_000, ordering: .relaxed)
        case .producerBurst:
            burstUntil.store(now + 10_000_000_000, ordering: .relaxed)
        case .killMember:
            let victim = members.withLock { slots -> MemberSlot? in
                guard let index = slots.lastIndex(where: { $0.alive.load(ordering: .relaxed) }) else { return nil }
                return slots.remove(at: index)
            }
            victim?.alive.store(false, ordering: .relaxed)
            // The replacement arrives later, as a restarted pod would.
            spawn { [self] in
                var waited = 0
                while waited < 20_000 && running.load(ordering: .relaxed) {
                    usleep(100_000)
                    waited += 100
                }
                if running.load(ordering: .relaxed) { startMember() }
            }
        }
        try? log.recordMarker("fault: \(fault.title)", labels: ["fault": fault.rawValue, "consumergroup": options.group])
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
            rebalances: log.rebalanceCount(options.group), generation: status.generation, members: status.members.count)
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
        var owed = 0.0
        var order: Int64 = 0
        var rng = SplitMix(seed: 42)
        while running.load(ordering: .relaxed) {
            usleep(10_000)
            let now = monotonicNanos()
            let seconds = Double(now - started) / 1e9
            let boost = now < burstUntil.load(ordering: .relaxed) ? 4.0 : 1.0
            owed += Self.rate(at: seconds, base: options.rate) * boost / 100
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

    private func consumeLoop(_ slot: MemberSlot, seed: UInt64) {
        guard let consumer = try? Consumer(log: log, topics: [options.topic], group: options.group, memberId: slot.id, sessionTimeoutMs: 6_000) else {
            return
        }
        var rng = SplitMix(seed: seed)
        // The first member is the one a slow-consumer fault slows down.
        let slowable = slot.id.hasSuffix("-1")
        while running.load(ordering: .relaxed) {
            guard slot.alive.load(ordering: .relaxed) else { return }  // killed: no leave, no commit
            let records: [ConsumedRecord]
            do { records = try consumer.poll(maxRecords: 50) } catch {
                usleep(100_000)
                continue
            }
            if records.isEmpty {
                usleep(20_000)
                continue
            }
            var stopIndex: Int?
            for (index, record) in records.enumerated() {
                // Stopping does not wait for the rest of a batch (seconds while a member is
                // slowed): the unprocessed records go back and stay uncommitted (at least once).
                guard running.load(ordering: .relaxed) else {
                    stopIndex = index
                    break
                }
                let now = monotonicNanos()
                let slow = slowable && now < slowUntil.load(ordering: .relaxed) ? 20.0 : 1.0
                let poison = now < poisonUntil.load(ordering: .relaxed) ? 0.3 : options.errorRate
                // Processing time: mostly ~1 ms, with a long tail.
                let u = Double(rng.next() % 10_000) / 10_000
                let micros = (500 + 1_500 * u * u * u * 4) * slow
                usleep(UInt32(micros))
                let failed = Double(rng.next() % 10_000) / 10_000 < poison
                log.recordProcessing(group: options.group, topic: options.topic, seconds: micros / 1e6, failed: failed)
                if failed, (try? consumer.deadLetter(record, error: "validation failed: amount exceeds credit limit", attempt: 1)) != nil {
                    deadLettered.add(1, ordering: .relaxed)
                }
            }
            if let stopIndex {
                var rewound = Set<TopicPartition>()
                for record in records[stopIndex...] where rewound.insert(record.topicPartition).inserted {
                    consumer.seek(record.topicPartition, to: record.offset)
                }
                consumed.add(Int64(stopIndex), ordering: .relaxed)
                break
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

/// `strmscope demo`: runs the workload and prints a line of live counts every second.
public enum DemoRunner {
    /// `listen`: serve the demo's metrics on /metrics there (the log's, with kafka_exporter's
    /// names, and the consumers' processing metrics, which live only in this process), so the
    /// demo stands in for a real consumer service wherever a scrape is expected.
    public static func run(_ options: DemoOptions, durationMs: Int64?, faults: FaultSchedule = .standard, listen: ListenAddress? = nil,
                           output: OutputSink) throws {
        var faults = faults
        let workload = try DemoWorkload(options: options)
        let log = workload.log
        let endpoint = MetricsEndpoint(families: { log.metricFamilies() }, notReadyReason: { nil })
        let server = try listen.map { try HTTPServer.start($0, routes: endpoint.routes) }
        defer { server?.stop() }
        output.write("strmscope demo: topic \(options.topic) (\(options.partitions) partitions), group \(options.group) (\(options.members) members), log in \(options.directory)\n")
        output.write("Ctrl-C stops it. Watch it from another terminal: strmscope log groups --dir \(options.directory)\n")
        if let server { output.write("Metrics (the log's and the consumers' processing): http://\(server.address)/metrics\n") }
        output.write("\n")
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
            for fault in faults.due(atSeconds: Int64(second)) {
                workload.inject(fault)
                output.write("  fault: \(fault.title)\n")
            }
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
