#if canImport(Glibc)
import Glibc
#endif
import BenchSupport
import Benchmark
import Foundation
import StreamLog

// Throughput benchmarks of the embedded log. Every iteration does a large amount of real I/O
// (seconds, not microseconds), so each benchmark runs a handful of iterations with no warm-up;
// the measured region is bracketed with startMeasurement()/stopMeasurement() and the rates that
// matter (records/s, MB/s, appends/s, MiB/s) are custom metrics, one value per iteration.
// scripts/bench runs them beside dd's figures for the same disk.

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal],
        timeUnits: .milliseconds,
        warmupIterations: 0,
        maxDuration: .seconds(600),
        maxIterations: 3
    )
    appendBenchmark()
    acksAllBenchmarks()
    readBenchmarks()
    recoveryBenchmarks()
}

/// State a benchmark's setup creates and its teardown removes.
final class Fixture: @unchecked Sendable {
    var directory = ""
    var log: StreamLog?
    var records = 0
    var bytes = 0
    var endOffset: Int64 = 0

    func tearDown() {
        try? log?.close()
        log = nil
        if !directory.isEmpty { Scratch.remove(directory) }
        directory = ""
    }
}

// MARK: 1. Append, acks=leader

/// 12M records (≈1.3 GB of log) per iteration, batches of 100 × 100-byte values on one partition.
/// Segment rolls (each one fsyncs the 64 MiB it seals) happen inside the measured region, as they
/// would in production; the final close (the fsync of the tail) does not.
func appendBenchmark() {
    let records = 12_000_000
    Benchmark(
        "append acks=leader 100x100B batches",
        configuration: .init(
            metrics: [.wallClock, .cpuTotal, .mallocCountTotal, Rate.recordsPerSecond, Rate.megabytesPerSecond],
            maxIterations: 5,
            teardown: { Results.shared.flush("append") }
        )
    ) { benchmark in
        let directory = Scratch.freshDirectory("append")
        defer { Scratch.remove(directory) }
        let log = try StreamLog.open(directory: directory, create: true)
        try log.createTopic("bench", config: TopicConfig(partitions: 1))
        let tp = TopicPartition("bench", 0)
        let batch = Workload.batch()
        let appends = records / batch.count

        benchmark.startMeasurement()
        let start = now()
        for _ in 0..<appends {
            try log.append(tp, batch, acks: .leader)
        }
        let seconds = now() - start
        benchmark.stopMeasurement()

        let bytes = try log.partitionStatus(tp).bytes
        try log.close()
        let recordsPerSecond = Double(appends * batch.count) / seconds
        let logMBps = Double(bytes) / seconds / 1e6
        benchmark.measurement(Rate.recordsPerSecond, Int(recordsPerSecond))
        benchmark.measurement(Rate.megabytesPerSecond, Int(logMBps))
        Results.shared.add("append.records_per_s", recordsPerSecond)
        Results.shared.add("append.log_mb_per_s", logMBps)
        Results.shared.add("append.payload_mb_per_s", Double(appends * batch.count * Workload.valueSize) / seconds / 1e6)
        Results.shared.add("append.bytes_per_record", Double(bytes) / Double(appends * batch.count))
    }
}

// MARK: 2. acks=all: group commit with 1 vs 8 producer threads

/// Each producer thread appends one 100-byte record per call with acks=all for 2 s, so the fsync
/// rate dominates. With 8 threads the DurabilityCoordinator should share each fsync among them.
func acksAllBenchmarks() {
    acksAllBenchmark(name: "acks=all 1 producer", key: "acks_all.p1", threads: 1, ownPartitions: false)
    acksAllBenchmark(name: "acks=all 8 producers same partition", key: "acks_all.p8_same", threads: 8, ownPartitions: false)
    acksAllBenchmark(name: "acks=all 8 producers own partitions", key: "acks_all.p8_own", threads: 8, ownPartitions: true)
}

func acksAllBenchmark(name: String, key: String, threads: Int, ownPartitions: Bool) {
    let fixture = Fixture()
    let seconds = 2.0
    Benchmark(
        name,
        configuration: .init(
            metrics: [.wallClock, .cpuTotal, Rate.appendsPerSecond, Rate.fsyncsPerSecond],
            maxIterations: 3
        )
    ) { benchmark in
        guard let log = fixture.log else { throw BenchFailure("no log") }
        let partitions = (0..<threads).map { TopicPartition("bench", ownPartitions ? $0 : 0) }
        let fsyncsBefore = Workload.fsyncs(log)
        let run = ProducerRun(log: log, partitions: partitions)
        benchmark.startMeasurement()
        let (appends, elapsed) = try run.go(seconds: seconds)
        benchmark.stopMeasurement()
        let fsyncs = Workload.fsyncs(log) - fsyncsBefore
        let appendsPerSecond = Double(appends) / elapsed
        benchmark.measurement(Rate.appendsPerSecond, Int(appendsPerSecond))
        benchmark.measurement(Rate.fsyncsPerSecond, Int(fsyncs / elapsed))
        Results.shared.add("\(key).appends_per_s", appendsPerSecond)
        Results.shared.add("\(key).fsyncs_per_s", fsyncs / elapsed)
        Results.shared.add("\(key).appends_per_fsync", fsyncs > 0 ? Double(appends) / fsyncs : 0)
    } setup: {
        fixture.directory = Scratch.freshDirectory("acks-all")
        let log = try StreamLog.open(directory: fixture.directory, create: true)
        try log.createTopic("bench", config: TopicConfig(partitions: ownPartitions ? threads : 1))
        fixture.log = log
    } teardown: {
        fixture.tearDown()
        Results.shared.flush(name)
    }
}

/// Producer threads (real threads: they block in fsync, so a pool sized to the 2 cores would not
/// do) that start together and append until a deadline.
final class ProducerRun: @unchecked Sendable {
    private let log: StreamLog
    private let partitions: [TopicPartition]
    private let lock = NSLock()
    private var total = 0
    private var failure: (any Error)?
    private var deadline = 0.0

    init(log: StreamLog, partitions: [TopicPartition]) {
        self.log = log
        self.partitions = partitions
    }

    /// Runs every producer for `seconds`; returns the appends acknowledged and the elapsed time.
    func go(seconds: Double) throws -> (Int, Double) {
        let start = DispatchSemaphore(value: 0)
        let done = DispatchGroup()
        let record = Workload.batch(count: 1)
        for tp in partitions {
            done.enter()
            let thread = Thread { [self] in
                start.wait()
                var count = 0
                do {
                    while now() < deadline {
                        try log.append(tp, record, acks: .all)
                        count += 1
                    }
                } catch {
                    lock.lock()
                    failure = failure ?? error
                    lock.unlock()
                }
                lock.lock()
                total += count
                lock.unlock()
                done.leave()
            }
            thread.start()
        }
        let began = now()
        deadline = began + seconds
        for _ in partitions { start.signal() }
        done.wait()
        let elapsed = now() - began
        if let failure { throw failure }
        return (total, elapsed)
    }
}

// MARK: 3. Sequential read

/// A partition of 10M records (≈1.1 GB: 16 sealed 64 MiB segments and the active one) read from
/// offset 0 to the end with 1 MiB fetches; every record's key and value are touched.
/// "warm": the data is in the page cache (just written). "cold": evicted before each iteration.
func readBenchmarks() {
    readBenchmark(name: "sequential read warm cache", key: "read.warm", cold: false)
    readBenchmark(name: "sequential read cold cache", key: "read.cold", cold: true)
}

func readBenchmark(name: String, key: String, cold: Bool) {
    let fixture = Fixture()
    let tp = TopicPartition("bench", 0)
    Benchmark(
        name,
        configuration: .init(
            metrics: [.wallClock, .cpuTotal, .mallocCountTotal, Rate.recordsPerSecond, Rate.megabytesPerSecond],
            maxIterations: 7
        )
    ) { benchmark in
        guard let log = fixture.log else { throw BenchFailure("no log") }
        if cold { Scratch.dropPageCache(fixture.directory) }
        benchmark.startMeasurement()
        let start = now()
        var offset: Int64 = 0
        var records = 0
        var keyBytes = 0
        var valueBytes = 0
        var logBytes = 0
        while offset < fixture.endOffset {
            let result = try log.fetch(tp, from: offset, maxBytes: 1 << 20)
            if result.isEmpty { break }
            try result.forEachRecord { record in
                records += 1
                keyBytes &+= record.key?.count ?? 0
                valueBytes &+= record.value?.count ?? 0
            }
            logBytes += result.bytes
            offset = result.nextOffset
        }
        let seconds = now() - start
        benchmark.stopMeasurement()
        blackHole(keyBytes &+ valueBytes)
        guard records == fixture.records, valueBytes == records * Workload.valueSize else {
            throw BenchFailure("read \(records) records (\(valueBytes) value bytes), expected \(fixture.records)")
        }
        let recordsPerSecond = Double(records) / seconds
        let logMBps = Double(logBytes) / seconds / 1e6
        benchmark.measurement(Rate.recordsPerSecond, Int(recordsPerSecond))
        benchmark.measurement(Rate.megabytesPerSecond, Int(logMBps))
        Results.shared.add("\(key).records_per_s", recordsPerSecond)
        Results.shared.add("\(key).log_mb_per_s", logMBps)
    } setup: {
        fixture.directory = Scratch.freshDirectory("read")
        var log = try StreamLog.open(directory: fixture.directory, create: true)
        try log.createTopic("bench", config: TopicConfig(partitions: 1))
        fixture.records = try Workload.fill(log, tp, records: 10_000_000)
        try log.close()
        // Reopen cleanly: everything is fsynced, so the cold variant can evict it.
        log = try StreamLog.open(directory: fixture.directory)
        let status = try log.partitionStatus(tp)
        fixture.endOffset = status.logEndOffset
        fixture.bytes = status.bytes
        fixture.log = log
    } teardown: {
        fixture.tearDown()
        Results.shared.flush(name)
    }
}

// MARK: 4. Recovery after an unclean shutdown

/// A 1 GiB partition (1023 MiB: whole batches up to 1 GiB − 1 MiB, so the single-segment case stays
/// one segment and the 64 MiB case ends with an almost full active segment) written with
/// acks=leader and closed; each iteration deletes `.clean-shutdown` and times `StreamLog.open`,
/// which then CRC-scans the active segment. "warm": the files are in the page cache (a process
/// crash); "cold": evicted first (closer to a power cut).
func recoveryBenchmarks() {
    recoveryBenchmark(name: "recovery 1GiB 64MiB segments warm cache", key: "recovery.seg64m.warm", segmentBytes: TopicConfig.defaultSegmentBytes, cold: false)
    recoveryBenchmark(name: "recovery 1GiB 64MiB segments cold cache", key: "recovery.seg64m.cold", segmentBytes: TopicConfig.defaultSegmentBytes, cold: true)
    recoveryBenchmark(name: "recovery 1GiB single segment warm cache", key: "recovery.seg1g.warm", segmentBytes: 1 << 30, cold: false)
    recoveryBenchmark(name: "recovery 1GiB single segment cold cache", key: "recovery.seg1g.cold", segmentBytes: 1 << 30, cold: true)
}

func recoveryBenchmark(name: String, key: String, segmentBytes: Int, cold: Bool) {
    let fixture = Fixture()
    let tp = TopicPartition("bench", 0)
    Benchmark(
        name,
        configuration: .init(
            metrics: [.wallClock, .cpuTotal, Rate.mebibytesPerSecond],
            maxIterations: 10
        )
    ) { benchmark in
        let marker = "\(fixture.directory)/.clean-shutdown"
        guard unlink(marker) == 0 else { throw BenchFailure("no clean-shutdown marker to delete at \(marker)") }
        if cold { Scratch.dropPageCache(fixture.directory) }

        benchmark.startMeasurement()
        let start = now()
        let log = try StreamLog.open(directory: fixture.directory)
        let seconds = now() - start
        benchmark.stopMeasurement()

        let status = try log.partitionStatus(tp)
        let notes = log.recoveryNotes
        try log.close()
        guard notes.isEmpty, status.logEndOffset == fixture.endOffset, status.bytes == fixture.bytes else {
            throw BenchFailure("recovery changed the log: \(notes), end \(status.logEndOffset) (expected \(fixture.endOffset))")
        }
        let gib = Double(fixture.bytes) / Double(1 << 30)
        benchmark.measurement(Rate.mebibytesPerSecond, Int(gib * 1024 / seconds))
        Results.shared.add("\(key).gib_per_s", gib / seconds)
        Results.shared.add("\(key).seconds", seconds)
    } setup: {
        fixture.directory = Scratch.freshDirectory("recovery")
        let log = try StreamLog.open(directory: fixture.directory, create: true)
        try log.createTopic("bench", config: TopicConfig(partitions: 1, segmentBytes: segmentBytes))
        fixture.records = try Workload.fill(log, tp, bytes: (1 << 30) - (1 << 20))
        let status = try log.partitionStatus(tp)
        fixture.endOffset = status.logEndOffset
        fixture.bytes = status.bytes
        try log.close()
        let partitionDirectory = "\(fixture.directory)/\(tp)"
        let active = try FileManager.default.contentsOfDirectory(atPath: partitionDirectory).filter { $0.hasSuffix(".log") }.max()!
        let activeBytes = try FileManager.default.attributesOfItem(atPath: "\(partitionDirectory)/\(active)")[.size] as! Int
        Results.shared.add("\(key).partition_gib", Double(status.bytes) / Double(1 << 30))
        Results.shared.add("\(key).segments", Double(status.segments))
        Results.shared.add("\(key).active_segment_mib", Double(activeBytes) / Double(1 << 20))
    } teardown: {
        fixture.tearDown()
        Results.shared.flush(name)
    }
}
