#if canImport(Glibc)
import Glibc
#endif
import Foundation
import ScopeCore
import Synchronization

/// A group's membership as a member sees it after joining or a rebalance.
public struct GroupMembership: Sendable, Equatable {
    public var group: String
    public var memberId: String
    public var generation: Int32
    public var partitions: [TopicPartition]
}

/// A group as listed by `log groups`: live members (in this process) and durable commits.
public struct GroupStatus: Sendable, Equatable {
    public struct PartitionLag: Sendable, Equatable {
        public var topicPartition: TopicPartition
        /// nil when the group never committed this partition (of a topic it commits to).
        public var committed: Int64?
        public var endOffset: Int64
        /// High watermark minus committed, clamped at 0; nil without a commit.
        public var lag: Int64?
    }

    public var group: String
    public var generation: Int32
    public var members: [String]
    public var partitions: [PartitionLag]
}

/// The embedded durable log: topics of partitions of segments, consumer groups with durable
/// committed offsets, and a timeline of rebalance events — Kafka's consumer-facing semantics in
/// one process. One process writes a log directory at a time; any number may read it.
///
/// Thread safety: `lock` guards the catalog, the partition map, groups, commits and counters;
/// each partition has its own lock, always taken after (never before) `lock`.
public final class StreamLog: @unchecked Sendable {
    public static let offsetsTopic = "__consumer_offsets"
    public static let eventsTopic = "__strm_events"
    public static let dlqSuffix = ".dlq"
    static let cleanShutdownMarker = ".clean-shutdown"
    /// Producer ids are reserved durably in blocks, so no id is handed out twice, even across a crash.
    static let producerIdBlock: Int64 = 1000

    public let directory: String
    public let isReadOnly: Bool
    public let clock: any Clock
    /// What recovery found when the log was opened (torn tails cut, corruption, rebuilt indexes).
    public private(set) var recoveryNotes: [RecoveryNote]

    let lock = NSLock()
    var catalog: LogCatalog
    let partitions: PartitionTable
    private let fsyncs: FsyncCounter
    private let directoryLock: DirectoryLock?
    private var groups: [String: ConsumerGroupState] = [:]
    private var committed: [String: [TopicPartition: Int64]] = [:]
    private var nextProducerId: Int64 = 0
    private var reservedProducerIds: Int64 = 0
    private var counters = LogCounters()
    private let closedFlag = Atomic<Bool>(false)
    var closed: Bool { closedFlag.load(ordering: .acquiring) }

    private init(
        directory: String, readOnly: Bool, clock: any Clock, catalog: LogCatalog, partitions: [TopicPartition: PartitionLog],
        fsyncs: FsyncCounter, directoryLock: DirectoryLock?, notes: [RecoveryNote]
    ) {
        self.directory = directory
        self.isReadOnly = readOnly
        self.clock = clock
        self.catalog = catalog
        self.partitions = PartitionTable(partitions)
        self.fsyncs = fsyncs
        self.directoryLock = directoryLock
        self.recoveryNotes = notes
    }

    // MARK: Opening and closing

    /// Opens the log in `directory`. A writer takes the directory's lock, creates the log when the
    /// directory is missing or empty (with `create`), and recovers from an unclean shutdown.
    /// A reader (`readOnly`) changes nothing on disk and may run beside a writer.
    public static func open(directory: String, readOnly: Bool = false, create: Bool = false, clock: any Clock = SystemClock()) throws(LogError) -> StreamLog {
        let catalogPath = LogCatalog.path(in: directory)
        if !FileSystem.exists(directory) {
            guard create && !readOnly else { throw .noSuchDirectory(path: directory) }
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw .io(path: directory, operation: "create directory", errno: errno == 0 ? EACCES : errno)
            }
        }
        guard FileSystem.isDirectory(directory) else { throw .invalidArgument("\(directory) is not a directory") }
        if !readOnly {
            // Someone else's directory (a predictable /tmp name taken first) is never written into.
            var info = stat()
            if lstat(directory, &info) == 0, info.st_uid != geteuid() {
                throw .notOwner(path: directory, owner: info.st_uid, user: geteuid())
            }
        }
        guard access(directory, readOnly ? R_OK : R_OK | W_OK) == 0 else {
            throw .io(path: directory, operation: readOnly ? "read" : "write to", errno: errno)
        }
        if !FileSystem.exists(catalogPath) {
            // Only an empty directory becomes a new log: never scatter files into something else.
            let entries = try FileSystem.list(directory).filter { $0 != DirectoryLock.fileName }
            guard create && !readOnly && entries.isEmpty else { throw .notALogDirectory(path: directory) }
        }
        let directoryLock = readOnly ? nil : try DirectoryLock(directory: directory)
        var catalog = FileSystem.exists(catalogPath) ? try LogCatalog.load(from: directory) : LogCatalog()
        if !readOnly && !FileSystem.exists(catalogPath) { try catalog.save(to: directory) }

        // Topics whose directories this open creates (a new log's internal topics); any other
        // missing partition directory is damage, never silently recreated empty.
        var createdNow: Set<String> = []
        let markerPath = FileSystem.join(directory, cleanShutdownMarker)
        let clean = FileSystem.exists(markerPath)
        if !readOnly {
            if clean {
                // From here on the log is "open"; a crash before the next clean close means recovery.
                try FileSystem.remove(markerPath)
                try FileSystem.syncDirectory(directory)
            }
            for (name, config) in [
                (offsetsTopic, TopicConfig(partitions: 1, segmentBytes: 8 << 20, retentionMs: -1)),
                (eventsTopic, TopicConfig(partitions: 1, segmentBytes: 8 << 20, retentionMs: 7 * 86_400_000)),
            ] where catalog.topics[name] == nil {
                catalog.topics[name] = config
                createdNow.insert(name)
            }
            if !createdNow.isEmpty { try catalog.save(to: directory) }
        }

        let fsyncs = FsyncCounter()
        var notes: [RecoveryNote] = []
        var partitions: [TopicPartition: PartitionLog] = [:]
        for (topic, config) in catalog.topics.sorted(by: { $0.key < $1.key }) {
            for p in 0..<config.partitions {
                let tp = TopicPartition(topic, p)
                partitions[tp] = try PartitionLog.open(
                    tp, directory: FileSystem.join(directory, tp.description), config: config, clean: clean, readOnly: readOnly,
                    create: createdNow.contains(topic), fsyncs: fsyncs, clock: clock, notes: &notes)
            }
        }
        let log = StreamLog(
            directory: directory, readOnly: readOnly, clock: clock, catalog: catalog, partitions: partitions, fsyncs: fsyncs,
            directoryLock: directoryLock, notes: notes)
        // Compaction rewrites what the replay found: only after a complete replay.
        if log.replayInternalTopics() && !readOnly { try log.compactOffsetsIfLarge() }
        return log
    }

    /// Flushes everything, leaves a clean-shutdown marker (so the next open needs no scan) and
    /// releases the writer lock. Further calls fail with `closed`.
    public func close() throws(LogError) {
        lock.lock()
        defer { lock.unlock() }
        guard !closed else { return }
        closedFlag.store(true, ordering: .releasing)
        guard !isReadOnly else { return }
        var healthy = true
        for (_, partition) in partitions.all.sorted(by: { $0.key < $1.key }) {
            healthy = healthy && partition.isHealthy
            try partition.close()
        }
        // Known damage must be found again by the next open's checks: no clean marker then.
        guard healthy else {
            directoryLock?.release()
            return
        }
        let marker = try FileHandleRef(path: FileSystem.join(directory, Self.cleanShutdownMarker), flags: O_WRONLY | O_CREAT | O_TRUNC)
        try marker.syncData()
        try FileSystem.syncDirectory(directory)
        directoryLock?.release()
    }

    deinit {
        if !closed && !isReadOnly { try? close() }
    }

    // MARK: Topics

    /// Creates `name` with `config`; creating an existing topic with the same partition count is a no-op.
    @discardableResult
    public func createTopic(_ name: String, config: TopicConfig) throws(LogError) -> Bool {
        try validateTopicName(name)
        try config.validate()
        lock.lock()
        defer { lock.unlock() }
        return try createTopicLocked(name, config: config)
    }

    private func createTopicLocked(_ name: String, config: TopicConfig) throws(LogError) -> Bool {
        try checkWritable()
        if let existing = catalog.topics[name] {
            guard existing.partitions == config.partitions else {
                throw .partitionCountMismatch(topic: name, existing: existing.partitions, requested: config.partitions)
            }
            return false
        }
        var notes: [RecoveryNote] = []
        var created: [TopicPartition: PartitionLog] = [:]
        for p in 0..<config.partitions {
            let tp = TopicPartition(name, p)
            created[tp] = try PartitionLog.open(
                tp, directory: FileSystem.join(directory, tp.description), config: config, clean: true, readOnly: false, create: true,
                fsyncs: fsyncs, clock: clock, notes: &notes)
        }
        try FileSystem.syncDirectory(directory)
        // The catalog is written last: until it names the topic, its directories are ignored.
        var updated = catalog
        updated.topics[name] = config
        try updated.save(to: directory)
        catalog = updated
        partitions.add(created)
        // The topic exists now; a group that cannot record its rebalance keeps its old generation
        // (and assignment) until its next membership change, rather than failing the creation.
        let counts = partitionCounts()
        let now = clock.nowMs()
        for id in groups.keys.sorted() {
            _ = try? changeGroup(id) { $0.topicsChanged(partitionCounts: counts, now: now) }
        }
        return true
    }

    /// The topic's settings, nil when it does not exist.
    public func topicConfig(_ name: String) -> TopicConfig? {
        lock.lock()
        defer { lock.unlock() }
        return catalog.topics[name]
    }

    /// Topic names, internal ones (`__…`) included only when asked.
    public func topicNames(includeInternal: Bool = false) -> [String] {
        lock.lock()
        defer { lock.unlock() }
        return catalog.topics.keys.filter { includeInternal || !$0.hasPrefix("__") }.sorted()
    }

    public func partitionStatus(_ tp: TopicPartition) throws(LogError) -> PartitionStatus {
        try partition(tp).status()
    }

    func partition(_ tp: TopicPartition) throws(LogError) -> PartitionLog {
        guard !closed else { throw .closed }
        if let p = partitions[tp] { return p }
        lock.lock()
        defer { lock.unlock() }
        return try partitionLocked(tp)
    }

    private func partitionLocked(_ tp: TopicPartition) throws(LogError) -> PartitionLog {
        guard !closed else { throw .closed }
        if let p = partitions[tp] { return p }
        guard catalog.topics[tp.topic] != nil else { throw .unknownTopic(tp.topic) }
        throw .unknownPartition(topic: tp.topic, partition: tp.partition)
    }

    private func partitionCounts() -> [String: Int] {
        catalog.topics.filter { !$0.key.hasPrefix("__") }.mapValues(\.partitions)
    }

    private func checkWritable() throws(LogError) {
        guard !closed else { throw .closed }
        guard !isReadOnly else { throw .readOnly }
    }

    // MARK: Producing

    /// Appends `records` to one partition as one batch; returns when acknowledged per `acks`.
    /// With `producer`, a batch already in the log (a retry) is not written again: the result
    /// carries the original offsets and `duplicate`.
    @discardableResult
    public func append(
        _ tp: TopicPartition, _ records: [ProducerRecord], acks: Acks = .leader, producer: ProducerBatchIdentity? = nil
    ) throws(LogError) -> AppendResult {
        try checkWritable()
        let result = try partition(tp).append(records, producer: producer, acks: acks)
        return result
    }

    func write(_ tp: TopicPartition, _ records: [ProducerRecord], acks: Acks, producer: ProducerBatchIdentity?) throws(LogError) -> (PartitionLog, PartitionLog.PendingAppend) {
        try checkWritable()
        let p = try partition(tp)
        return (p, try p.write(records, producer: producer, acks: acks))
    }

    /// A new idempotent producer identity (epoch 0). Ids come from durably reserved blocks.
    public func initProducerId() throws(LogError) -> (producerId: Int64, epoch: Int16) {
        lock.lock()
        defer { lock.unlock() }
        try checkWritable()
        if nextProducerId >= reservedProducerIds {
            let limit = nextProducerId + Self.producerIdBlock
            try appendInternal(.producerIds(next: limit), acks: .all)
            reservedProducerIds = limit
        }
        defer { nextProducerId += 1 }
        return (nextProducerId, 0)
    }

    // MARK: Reading

    /// Whole batches from `offset` on (at least one when any is readable), about `maxBytes` in all,
    /// only acknowledged records.
    public func fetch(_ tp: TopicPartition, from offset: Int64, maxBytes: Int = 1 << 20) throws(LogError) -> FetchResult {
        try partition(tp).fetch(from: offset, maxBytes: maxBytes)
    }

    /// A consumer's report of how processing one record went, for the RED metrics
    /// `strm_processing_duration_seconds` (histogram) and `strm_processing_errors_total`: the log
    /// sees deliveries and commits, only the application sees the work in between.
    public func recordProcessing(group: String, topic: String, seconds: Double, failed: Bool) {
        let key = CounterKey(group: group, topic: topic)
        lock.lock()
        counters.processing[key, default: Histogram(upperBounds: Histogram.latencySeconds)].observe(seconds)
        if failed { counters.processingErrors[key, default: 0] += 1 }
        lock.unlock()
    }

    /// Puts a marker on the event timeline (a fault injected, a deploy): the scope draws it on
    /// the time axis like a rebalance.
    public func recordMarker(_ title: String, labels: [String: String] = [:]) throws(LogError) {
        try checkWritable()
        let event = Event(kind: .marker, timeMs: clock.nowMs(), labels: labels, title: title)
        let value = (try? JSONEncoder.sorted.encode(event)).map { Array($0) } ?? []
        _ = try partition(TopicPartition(Self.eventsTopic, 0)).append([ProducerRecord(key: nil, value: value)], producer: nil, acks: .leader)
    }

    /// Counts delivered records for `strm_records_consumed_total`.
    func noteConsumed(group: String?, topic: String, count: Int) {
        lock.lock()
        counters.consumed[CounterKey(group: group ?? "", topic: topic), default: 0] += UInt64(count)
        lock.unlock()
    }

    // MARK: Consumer groups

    /// Joins `memberId` to `group`, subscribed to `topics`; returns its generation and partitions.
    public func joinGroup(
        _ group: String, memberId: String, topics: [String], sessionTimeoutMs: Int64 = 10_000,
        strategy: AssignmentStrategy = .range
    ) throws(LogError) -> GroupMembership {
        try validateGroupName(group)
        guard !memberId.isEmpty else { throw .invalidArgument("a member id must not be empty") }
        lock.lock()
        defer { lock.unlock() }
        try checkWritable()
        for topic in topics where catalog.topics[topic] == nil { throw .unknownTopic(topic) }
        try expireSessionsLocked(group)
        let counts = partitionCounts()
        let now = clock.nowMs()
        let state = try changeGroup(group, strategy: strategy) {
            $0.join(memberId: memberId, topics: Set(topics), sessionTimeoutMs: sessionTimeoutMs, partitionCounts: counts, now: now)
        }
        return GroupMembership(group: group, memberId: memberId, generation: state.generation, partitions: state.assignment[memberId] ?? [])
    }

    /// Keeps `memberId`'s session alive and tells it about a new generation.
    public func heartbeat(_ group: String, memberId: String, generation: Int32) throws(LogError) -> ConsumerGroupState.HeartbeatResult {
        lock.lock()
        defer { lock.unlock() }
        try checkWritable()
        try expireSessionsLocked(group)
        guard var state = groups[group] else { return .unknownMember }
        let result = state.heartbeat(memberId: memberId, generation: generation, now: clock.nowMs())
        groups[group] = state
        return result
    }

    public func leaveGroup(_ group: String, memberId: String) throws(LogError) {
        lock.lock()
        defer { lock.unlock() }
        try checkWritable()
        guard groups[group] != nil else { return }
        let counts = partitionCounts()
        let now = clock.nowMs()
        _ = try changeGroup(group) { $0.leave(memberId: memberId, partitionCounts: counts, now: now) }
    }

    /// Checks every group for members whose session ran out (the demo and long runs call this on
    /// a timer; group operations, listings and metrics also check).
    public func expireSessions() throws(LogError) {
        lock.lock()
        defer { lock.unlock() }
        try checkWritable()
        for group in groups.keys.sorted() { try expireSessionsLocked(group) }
    }

    private func expireSessionsLocked(_ group: String) throws(LogError) {
        guard groups[group] != nil else { return }
        let counts = partitionCounts()
        let now = clock.nowMs()
        _ = try changeGroup(group) { $0.expireSessions(partitionCounts: counts, now: now) }
    }

    /// Applies a membership change to a copy of the group. The copy replaces the group only once
    /// the rebalance it caused (if any) is recorded, so a failed write leaves no new generation
    /// behind without its event.
    private func changeGroup(
        _ group: String, strategy: AssignmentStrategy? = nil, _ change: (inout ConsumerGroupState) -> RebalanceRecord?
    ) throws(LogError) -> ConsumerGroupState {
        var state = groups[group] ?? ConsumerGroupState(group: group, generation: lastGeneration[group] ?? 0, strategy: strategy ?? .range)
        if let strategy, state.isEmpty { state.strategy = strategy }
        if let record = change(&state) { try recordRebalance(record) }
        groups[group] = state
        return state
    }

    /// Generation of each group as last persisted (members do not survive a restart; generations do).
    private var lastGeneration: [String: Int32] = [:]

    /// Writes the new generation (fsynced: a generation is never handed out twice, even after a
    /// power cut) and the rebalance event; only then counts it.
    private func recordRebalance(_ record: RebalanceRecord) throws(LogError) {
        try appendInternal(.groupGeneration(group: record.group, generation: record.generation), acks: .all)
        let event = Event(
            kind: .rebalance, timeMs: record.timeMs, labels: ["consumergroup": record.group],
            title: "rebalance \(record.group) gen \(record.previousGeneration)→\(record.generation): \(record.reason)",
            fields: [
                "generation": String(record.generation), "previous_generation": String(record.previousGeneration),
                "reason": record.reason, "members_before": record.membersBefore.joined(separator: ","),
                "members_after": record.membersAfter.joined(separator: ","),
            ])
        let value = (try? JSONEncoder.sorted.encode(event)).map { Array($0) } ?? []
        _ = try partitionLocked(TopicPartition(Self.eventsTopic, 0)).append(
            [ProducerRecord(key: Array(record.group.utf8), value: value)], producer: nil, acks: .leader)
        lastGeneration[record.group] = record.generation
        counters.rebalances[record.group, default: 0] += 1
    }

    /// Commits `offsets` (the next offset to read, per partition) for `group`. A member commits
    /// with the generation it got its partitions in; a commit from an older generation or from a
    /// member that is gone is rejected (fencing). Without a member the group must be empty
    /// (a standalone consumer). Durable (fsynced) and atomic (one batch) before it returns.
    public func commitOffsets(
        _ group: String, memberId: String?, generation: Int32?, offsets: [TopicPartition: Int64]
    ) throws(LogError) {
        try validateGroupName(group)
        lock.lock()
        let pending: (PartitionLog, PartitionLog.PendingAppend)?
        do throws(LogError) {
            pending = try commitLocked(group, memberId: memberId, generation: generation, offsets: offsets)
        } catch {
            lock.unlock()
            throw error
        }
        lock.unlock()
        guard let (partition, write) = pending else { return }
        try partition.acknowledge(write)
        // Only a durable commit moves the offsets others see; concurrent commits apply in the
        // order they were written, whatever order their acknowledgements came back in.
        lock.lock()
        for (tp, offset) in offsets { applyCommit(group, tp, offset, writtenAt: write.result.baseOffset) }
        lock.unlock()
    }

    private func applyCommit(_ group: String, _ tp: TopicPartition, _ offset: Int64, writtenAt logOffset: Int64) {
        guard logOffset >= commitWrittenAt[group]?[tp] ?? -1 else { return }
        committed[group, default: [:]][tp] = offset
        commitWrittenAt[group, default: [:]][tp] = logOffset
    }

    /// For each commit in `committed`, where in `__consumer_offsets` it was written.
    private var commitWrittenAt: [String: [TopicPartition: Int64]] = [:]

    private func commitLocked(
        _ group: String, memberId: String?, generation: Int32?, offsets: [TopicPartition: Int64]
    ) throws(LogError) -> (PartitionLog, PartitionLog.PendingAppend)? {
        try checkWritable()
        try expireSessionsLocked(group)
        let state = groups[group] ?? ConsumerGroupState(group: group, generation: lastGeneration[group] ?? 0)
        if let memberId {
            switch state.checkCommit(memberId: memberId, generation: generation ?? -1) {
            case .accepted: break
            case .unknownMember: throw .unknownMember(group: group, memberId: memberId)
            case .staleGeneration(let current):
                throw .illegalGeneration(group: group, memberId: memberId, generation: generation ?? -1, current: current)
            }
        } else if !state.isEmpty {
            throw .invalidArgument("group \"\(group)\" has active members; only they may commit its offsets")
        }
        // Only acknowledged records can have been read, so a commit never passes the high watermark.
        for (tp, offset) in offsets {
            let status = try partitionLocked(tp).status()
            guard offset >= 0 && offset <= status.highWatermark else {
                throw .invalidArgument(
                    "cannot commit offset \(offset) for \(tp): it is past the last acknowledged record (high watermark \(status.highWatermark))")
            }
        }
        guard !offsets.isEmpty else { return nil }
        let now = clock.nowMs()
        let records = offsets.sorted(by: { $0.key < $1.key }).map { tp, offset in
            InternalRecord.offsetCommit(group: group, topic: tp.topic, partition: tp.partition, offset: offset, timeMs: now).encoded()
        }
        let offsetsPartition = try partitionLocked(TopicPartition(Self.offsetsTopic, 0))
        return (offsetsPartition, try offsetsPartition.write(records, producer: nil, acks: .all))
    }

    /// Durable committed offsets of `group` (the next offset each partition will be read from).
    public func committedOffsets(_ group: String) -> [TopicPartition: Int64] {
        lock.lock()
        defer { lock.unlock() }
        return committed[group] ?? [:]
    }

    public func groupNames() -> [String] {
        lock.lock()
        defer { lock.unlock() }
        return Set(committed.keys).union(groups.keys).union(lastGeneration.keys).sorted()
    }

    public func groupStatus(_ group: String) -> GroupStatus {
        lock.lock()
        // Members whose session ran out are gone, whether or not anyone touched the group since.
        if !isReadOnly && !closed { try? expireSessionsLocked(group) }
        let commits = committed[group] ?? [:]
        let members = groups[group]?.memberIds ?? []
        let generation = groups[group]?.generation ?? lastGeneration[group] ?? 0
        let parts = partitions.all
        lock.unlock()
        // Every partition of every topic the group commits to, so an unread partition shows up too.
        let topics = Set(commits.keys.map(\.topic))
        let lags = parts.keys.filter { topics.contains($0.topic) }.sorted().map { tp -> GroupStatus.PartitionLag in
            let end = parts[tp]!.status().reportedEndOffset
            let offset = commits[tp]
            return GroupStatus.PartitionLag(topicPartition: tp, committed: offset, endOffset: end, lag: offset.map { max(0, end - $0) })
        }
        return GroupStatus(group: group, generation: generation, members: members, partitions: lags)
    }

    /// Generation changes of `group` the log remembers (as `strm_rebalances_total`).
    public func rebalanceCount(_ group: String) -> Int {
        lock.lock()
        defer { lock.unlock() }
        return Int(counters.rebalances[group] ?? 0)
    }

    /// A snapshot of a group's coordinator state (for tests and the scope).
    public func groupState(_ group: String) -> ConsumerGroupState? {
        lock.lock()
        defer { lock.unlock() }
        return groups[group]
    }

    private func validateGroupName(_ group: String) throws(LogError) {
        guard !group.isEmpty, group.utf8.count <= 255, !group.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) else {
            throw .invalidArgument("invalid group id \"\(group)\": 1–255 characters, no control characters")
        }
    }

    // MARK: Dead-letter queue

    /// Writes `record` (read from `source`) to `<topic>.dlq`, same partition number, with headers
    /// naming where it came from, why it failed and on which attempt. Durable before it returns.
    @discardableResult
    public func deadLetter(
        _ record: Record, from source: TopicPartition, group: String?, error: String, attempt: Int
    ) throws(LogError) -> AppendResult {
        let dlqTopic = source.topic + Self.dlqSuffix
        lock.lock()
        do throws(LogError) {
            if catalog.topics[dlqTopic] == nil, let sourceConfig = catalog.topics[source.topic] {
                var config = TopicConfig(partitions: sourceConfig.partitions)
                config.retentionMs = sourceConfig.retentionMs
                _ = try createTopicLocked(dlqTopic, config: config)
            }
        } catch {
            lock.unlock()
            throw error
        }
        lock.unlock()
        var headers = record.headers
        headers.append(RecordHeader("strm.dlq.original.topic", source.topic))
        headers.append(RecordHeader("strm.dlq.original.partition", String(source.partition)))
        headers.append(RecordHeader("strm.dlq.original.offset", String(record.offset)))
        headers.append(RecordHeader("strm.dlq.original.timestamp", String(record.timestampMs)))
        headers.append(RecordHeader("strm.dlq.error", error))
        headers.append(RecordHeader("strm.dlq.attempt", String(attempt)))
        if let group { headers.append(RecordHeader("strm.dlq.consumergroup", group)) }
        let result = try append(
            TopicPartition(dlqTopic, source.partition), [ProducerRecord(key: record.key, value: record.value, headers: headers)],
            acks: .all)
        lock.lock()
        counters.deadLettered[CounterKey(group: group ?? "", topic: source.topic), default: 0] += 1
        lock.unlock()
        return result
    }

    // MARK: Retention and internal topics

    /// Applies every topic's size and age retention now (it also runs at each segment roll).
    @discardableResult
    public func enforceRetention() throws(LogError) -> Int {
        try checkWritable()
        let all = partitions.all.values
        var deleted = 0
        for partition in all { deleted += try partition.enforceRetention() }
        return deleted
    }

    /// Rebalance events on the timeline between two times (inclusive), oldest first.
    public func events(fromMs: Int64 = .min, toMs: Int64 = .max) throws(LogError) -> [Event] {
        var events: [Event] = []
        forEachInternalRecord(Self.eventsTopic) { _, value in
            if let event = try? JSONDecoder().decode(Event.self, from: Data(value)), event.timeMs >= fromMs, event.timeMs <= toMs {
                events.append(event)
            }
        }
        return events
    }

    private func appendInternal(_ record: InternalRecord, acks: Acks) throws(LogError) {
        _ = try partitionLocked(TopicPartition(Self.offsetsTopic, 0)).append([record.encoded()], producer: nil, acks: acks)
    }

    /// Visits every record value of an internal topic with its offset. Damage ends the replay
    /// where it is (reported as a recovery note): one bad batch in `__strm_events` must not make
    /// the whole log impossible to open. Returns false when the replay did not reach the end.
    @discardableResult
    func forEachInternalRecord(_ topic: String, _ body: (Int64, [UInt8]) -> Void) -> Bool {
        forEachInternalRecord(topic, from: nil, body).complete
    }

    /// Reads an internal topic from `from` (its start when nil, or when retention or compaction
    /// removed that offset) to its end; also returns the offset after the last record read.
    private func forEachInternalRecord(_ topic: String, from: Int64?, _ body: (Int64, [UInt8]) -> Void) -> (complete: Bool, next: Int64) {
        let tp = TopicPartition(topic, 0)
        guard let partition = partitions[tp] else { return (true, from ?? 0) }
        var offset = max(from ?? .min, partition.status().logStartOffset)
        while true {
            do throws(LogError) {
                let result = try partition.fetch(from: offset, maxBytes: 4 << 20)
                if result.isEmpty { return (true, offset) }
                try? result.forEachRecord { view in
                    if let value = view.value { body(view.offset, Array(value)) }
                }
                offset = result.nextOffset
            } catch {
                let note = RecoveryNote.corruption(
                    file: "\(directory)/\(tp)", position: 0,
                    reason: "\(error); \(topic) was read only up to offset \(offset)")
                if !recoveryNotes.contains(note) { recoveryNotes.append(note) }
                return (false, offset)
            }
        }
    }

    /// Where the replay of each internal topic stopped (the next offset to read).
    private var internalReplayedThrough: [String: Int64] = [:]
    /// Per group, how many members its last rebalance left: what a read-only view reports as
    /// `kafka_consumergroup_members` while the writer runs (membership lives in its memory, and
    /// every change of it is a rebalance event in the log).
    private var membersAfterLastRebalance: [String: Int] = [:]

    /// Rebuilds committed offsets, group generations, the producer-id reservation and the
    /// rebalance counts from the internal topics. True when both were read to their end.
    private func replayInternalTopics() -> Bool {
        let offsets = replayOffsets()
        let written = partitions.all.values.map(\.largestProducerId).max() ?? -1
        nextProducerId = max(reservedProducerIds, written + 1)
        reservedProducerIds = nextProducerId
        return offsets && replayEvents()
    }

    private func replayOffsets() -> Bool {
        let (complete, next) = forEachInternalRecord(Self.offsetsTopic, from: internalReplayedThrough[Self.offsetsTopic]) { logOffset, value in
            switch InternalRecord.decode(value) {
            case let .offsetCommit(group, topic, partition, offset, _)?:
                applyCommit(group, TopicPartition(topic, partition), offset, writtenAt: logOffset)
            case let .groupGeneration(group, generation)?:
                lastGeneration[group] = max(lastGeneration[group] ?? 0, generation)
            case let .producerIds(next)?:
                reservedProducerIds = max(reservedProducerIds, next)
            case nil:
                break
            }
        }
        internalReplayedThrough[Self.offsetsTopic] = next
        return complete
    }

    private func replayEvents() -> Bool {
        let (complete, next) = forEachInternalRecord(Self.eventsTopic, from: internalReplayedThrough[Self.eventsTopic]) { _, value in
            if let event = try? JSONDecoder().decode(Event.self, from: Data(value)), event.kind == .rebalance,
                let group = event.labels["consumergroup"]
            {
                counters.rebalances[group, default: 0] += 1
                membersAfterLastRebalance[group] = (event.fields["members_after"] ?? "").split(separator: ",").count
            }
        }
        internalReplayedThrough[Self.eventsTopic] = next
        return complete
    }

    /// A read-only view opened beside a writer catches up with what the writer committed since
    /// (offsets, generations, rebalances), so a watcher's lag and rates stay live. Writers keep
    /// their state in memory and have nothing to catch up on.
    public func refreshFromWriter() {
        guard isReadOnly else { return }
        lock.lock()
        defer { lock.unlock() }
        // Topics the writer created since (a DLQ appears with the first dead letter). The writer
        // saves the catalog only after the topic's directories exist, so what it names is there.
        if let current = try? LogCatalog.load(from: directory) {
            for (name, config) in current.topics.sorted(by: { $0.key < $1.key }) where catalog.topics[name] == nil {
                var notes: [RecoveryNote] = []
                var opened: [TopicPartition: PartitionLog] = [:]
                for p in 0..<config.partitions {
                    let tp = TopicPartition(name, p)
                    guard let partition = try? PartitionLog.open(
                        tp, directory: FileSystem.join(directory, tp.description), config: config, clean: true, readOnly: true, create: false,
                        fsyncs: fsyncs, clock: clock, notes: &notes)
                    else { break }
                    opened[tp] = partition
                }
                // All of a topic or nothing: the next refresh tries again.
                guard opened.count == config.partitions else { continue }
                partitions.add(opened)
                catalog.topics[name] = config
            }
        }
        _ = replayOffsets()
        _ = replayEvents()
    }

    /// Rewrites the latest commits into a fresh segment and drops the older ones once the offsets
    /// topic has grown past a few segments — the effect of Kafka's log compaction.
    private func compactOffsetsIfLarge() throws(LogError) {
        let tp = TopicPartition(Self.offsetsTopic, 0)
        guard let partition = partitions[tp], partition.status().segments > 4 else { return }
        try partition.forceRoll()
        let now = clock.nowMs()
        var records: [ProducerRecord] = []
        for (group, offsets) in committed.sorted(by: { $0.key < $1.key }) {
            for (tp, offset) in offsets.sorted(by: { $0.key < $1.key }) {
                records.append(InternalRecord.offsetCommit(group: group, topic: tp.topic, partition: tp.partition, offset: offset, timeMs: now).encoded())
            }
        }
        for (group, generation) in lastGeneration.sorted(by: { $0.key < $1.key }) {
            records.append(InternalRecord.groupGeneration(group: group, generation: generation).encoded())
        }
        records.append(InternalRecord.producerIds(next: reservedProducerIds).encoded())
        let start = partition.status().logEndOffset
        // Batches of at most 1000 records keep each well under the frame size limit.
        for chunk in stride(from: 0, to: records.count, by: 1000) {
            _ = try partition.append(Array(records[chunk..<min(chunk + 1000, records.count)]), producer: nil, acks: .all)
        }
        try partition.deleteSegments(below: start)
    }

    // MARK: Metrics

    /// The log's metrics with kafka_exporter's names and labels, plus strmscope's own.
    public func metricFamilies() -> [MetricFamily] {
        lock.lock()
        if !isReadOnly && !closed {
            for group in groups.keys.sorted() { try? expireSessionsLocked(group) }
        }
        let parts = partitions.all
        let commits = committed
        // A reader sees the writer's members through the rebalance events; with no writer
        // running, no member is left (members live in the writer's process).
        let memberCounts = isReadOnly
            ? (DirectoryLock.holder(of: directory).map(processIsAlive) == true ? membersAfterLastRebalance : membersAfterLastRebalance.mapValues { _ in 0 })
            : groups.mapValues { $0.members.count }
        let knownGroups = Set(commits.keys).union(groups.keys).union(lastGeneration.keys)
        let counters = self.counters
        let topicConfigs = catalog.topics
        lock.unlock()
        let statuses = Dictionary(uniqueKeysWithValues: parts.map { ($0.key, $0.value.status()) })
        let lagSeconds = timeLag(commits: commits, statuses: statuses, now: clock.nowMs()) { parts[$0]?.timestamp(at: $1) }
        return LogMetrics.families(
            statuses: statuses, topics: topicConfigs, committed: commits, lagSeconds: lagSeconds, groups: knownGroups, members: memberCounts,
            counters: counters, durations: parts.filter { !$0.key.topic.hasPrefix("__") }.mapValues(\.durationHistogram),
            bytesAppended: parts.filter { !$0.key.topic.hasPrefix("__") }.mapValues(\.bytesAppended),
            includeProcessCounters: !isReadOnly, fsyncs: fsyncs.count.load(ordering: .relaxed))
    }
}

extension StreamLog {
    /// Lag in seconds, exactly: how old the oldest record a group has not yet consumed is
    /// (now − its timestamp), per partition; 0 when the group is caught up. No interpolation is
    /// needed, unlike exporters that only see offsets: the log has every record's timestamp.
    /// `timestamp` gives the timestamp of the record at an offset of a partition (nil when it
    /// cannot be read); lag is measured at `now`.
    func timeLag(
        commits: [String: [TopicPartition: Int64]], statuses: [TopicPartition: PartitionStatus], now: Int64,
        timestamp: (TopicPartition, Int64) -> Int64?
    ) -> [String: [TopicPartition: Double]] {
        var out: [String: [TopicPartition: Double]] = [:]
        for (group, offsets) in commits {
            for (tp, committed) in offsets where !tp.topic.hasPrefix("__") {
                guard let status = statuses[tp] else { continue }
                // Records stuck behind corruption are lag too; their age is unknown (unreadable).
                if committed >= status.reportedEndOffset {
                    out[group, default: [:]][tp] = 0
                } else if let oldest = timestamp(tp, max(committed, status.logStartOffset)) {
                    out[group, default: [:]][tp] = Double(max(0, now - oldest)) / 1000
                }
            }
        }
        return out
    }
}

extension JSONEncoder {
    static var sorted: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }
}

struct CounterKey: Hashable, Sendable {
    var group: String
    var topic: String
}

/// Counters that live as long as the writing process (Prometheus counters reset on restart).
struct LogCounters: Sendable {
    var consumed: [CounterKey: UInt64] = [:]
    /// Processing reported by consumers (`recordProcessing`): time per record, and failures.
    var processing: [CounterKey: Histogram] = [:]
    var processingErrors: [CounterKey: UInt64] = [:]
    var deadLettered: [CounterKey: UInt64] = [:]
    /// Seeded from the events topic at open, so it counts every rebalance the log remembers.
    var rebalances: [String: UInt64] = [:]
}

/// Records of the `__consumer_offsets` topic, JSON-encoded values.
enum InternalRecord: Equatable {
    case offsetCommit(group: String, topic: String, partition: Int, offset: Int64, timeMs: Int64)
    case groupGeneration(group: String, generation: Int32)
    case producerIds(next: Int64)

    private struct Wire: Codable {
        var kind: String
        var group: String?
        var topic: String?
        var partition: Int?
        var offset: Int64?
        var generation: Int32?
        var next: Int64?
        var time: Int64?
    }

    func encoded() -> ProducerRecord {
        let wire: Wire
        switch self {
        case let .offsetCommit(group, topic, partition, offset, time):
            wire = Wire(kind: "offset", group: group, topic: topic, partition: partition, offset: offset, time: time)
        case let .groupGeneration(group, generation):
            wire = Wire(kind: "generation", group: group, generation: generation)
        case let .producerIds(next):
            wire = Wire(kind: "producer-ids", next: next)
        }
        let value = (try? JSONEncoder.sorted.encode(wire)).map { Array($0) } ?? []
        return ProducerRecord(key: nil, value: value)
    }

    static func decode(_ bytes: [UInt8]) -> InternalRecord? {
        guard let wire = try? JSONDecoder().decode(Wire.self, from: Data(bytes)) else { return nil }
        switch wire.kind {
        case "offset":
            guard let g = wire.group, let t = wire.topic, let p = wire.partition, let o = wire.offset else { return nil }
            return .offsetCommit(group: g, topic: t, partition: p, offset: o, timeMs: wire.time ?? 0)
        case "generation":
            guard let g = wire.group, let gen = wire.generation else { return nil }
            return .groupGeneration(group: g, generation: gen)
        case "producer-ids":
            return wire.next.map { .producerIds(next: $0) }
        default:
            return nil
        }
    }
}
