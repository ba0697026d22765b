import CRdKafka
#if canImport(Glibc)
import Glibc
#endif
import ScopeCore
import Synchronization

/// How to reach a cluster and what to read from it (`--kafka` and its options).
public struct KafkaOptions: Sendable {
    /// `HOST:PORT[,HOST:PORT…]`.
    public var bootstrap: String
    /// librdkafka properties (`--kafka-config`, `--kafka-config-file`): SASL, SSL, timeouts.
    public var config: [(key: String, value: String)] = []
    /// Groups read even when the cluster cannot list groups (`--kafka-group`).
    public var groups: [String] = []
    /// Only listed groups whose whole name matches (`--kafka-groups`).
    public var groupsRegex: GoRegex?
    /// Only topics whose whole name matches (`--kafka-topics`).
    public var topicsRegex: GoRegex?
    /// The most one collection may take; each call gets what remains of it.
    public var timeoutMs: Int = 5_000
    /// How lag in seconds is found (`--kafka-lag-time`).
    public var lagTime: LagTime = .exact
    /// Offset requests for this many groups are in flight at once (bounds the memory of a
    /// collection over hundreds of groups).
    public var groupsInFlight = 32

    public init(bootstrap: String) { self.bootstrap = bootstrap }
}

/// `--kafka-lag-time`: how lag in seconds is found.
public enum LagTime: String, Sendable, CaseIterable {
    /// The timestamp of the first record a group has not consumed, read from the cluster (one
    /// small bounded fetch per lagging partition); the estimate where it could not be read.
    case exact
    /// Only the estimate from how the end offsets moved (no record is read).
    case estimate
    /// No lag in seconds.
    case off
}

/// Why a collection failed: the cluster did not answer, or the client could not be made.
public struct KafkaError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, stable from one attempt to the next ("kafka B: Local: Broker transport
    /// failure"), without the detail that varies (which broker, how many attempts).
    public var summary: String
    public var detail: String?
    public var description: String { detail.map { "\(summary) (\($0))" } ?? summary }
    public init(_ summary: String, detail: String? = nil) {
        self.summary = summary
        self.detail = detail
    }
}

/// The client's last complaint (connection refused, SASL failure), from librdkafka's log and
/// error callbacks: its own threads call them, so the text is guarded.
final class ClientLog: Sendable {
    /// `--kafka-config debug=…`: the user asked for librdkafka's debug log; it goes to stderr
    /// (escaped), everything else stays quiet.
    let forward: Bool
    init(forward: Bool) { self.forward = forward }
    let lastError = Mutex<String?>(nil)
    /// librdkafka said every broker is down: a collection gives up at once instead of waiting
    /// out its timeout (cleared when the cluster answers again).
    let allBrokersDown = Atomic<Bool>(false)
    func note(_ text: String) { lastError.withLock { $0 = String(text.prefix(300)) } }
}

/// A read-only observer of a Kafka cluster through librdkafka, the way kminion and
/// kafka_exporter watch one: metadata, the earliest and end offset of every partition, the
/// consumer groups (listed and described), and every group's committed offsets. Offsets are
/// asked per partition leader; librdkafka 2.0.2's admin API describes and fetches one group per
/// request (each after a FindCoordinator), so the requests grow with brokers and groups, not with
/// partitions. Every call is bounded by what remains of `timeoutMs`. Not thread-safe: one
/// collection at a time.
///
/// librdkafka 2.0.2 pitfalls this works around (see the reference's kafka-direct notes): a
/// DescribeGroups that fails as unsupported leaves its handle unable to complete later admin
/// calls, so groups are listed and described on a handle of their own, and only after
/// ListGroups said the cluster supports them; OffsetFetch for "all partitions" returns nothing
/// on clusters that cannot list groups (the mock), so the partitions are named there.
public final class KafkaClient: @unchecked Sendable {
    public let options: KafkaOptions
    private let handle: OpaquePointer
    private let groupHandle: OpaquePointer
    private let log: ClientLog
    /// Reads the first unconsumed record of lagging partitions (made at the first need).
    private var reader: OpaquePointer?
    /// Timestamps of records read, by partition and offset, with the partition's end then.
    private var recordTimeCache: [TopicPartition: (end: Int64, times: [Int64: Int64?])] = [:]
    /// The reader's group id: it only assigns partitions, so the group never exists on the
    /// cluster; listed groups by this name are not shown.
    static let readerGroup = "strmscope-lag-reader"
    /// Whether the cluster answers ListGroups; nil until asked.
    private var canListGroups: Bool?

    public init(_ options: KafkaOptions) throws {
        self.options = options
        let log = ClientLog(forward: options.config.contains { $0.key == "debug" })
        self.log = log
        handle = try Self.makeHandle(options, log: log)
        do { groupHandle = try Self.makeHandle(options, log: log) } catch {
            rd_kafka_destroy(handle)
            throw error
        }
    }

    deinit {
        if let reader { rd_kafka_destroy_flags(reader, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE) }
        rd_kafka_destroy(groupHandle)
        rd_kafka_destroy(handle)
    }

    private static func makeHandle(_ options: KafkaOptions, log: ClientLog, type: rd_kafka_type_t = RD_KAFKA_PRODUCER,
                                   extra: [(key: String, value: String)] = []) throws -> OpaquePointer {
        guard let conf = rd_kafka_conf_new() else { throw KafkaError("librdkafka: cannot allocate a configuration") }
        var settings: [(key: String, value: String)] = [
            ("bootstrap.servers", options.bootstrap), ("client.id", "strmscope"),
            // A cluster that is down is retried quietly; its state is in the collection's result.
            ("log.connection.close", "false"), ("reconnect.backoff.max.ms", "2000"),
            ("socket.timeout.ms", String(max(1_000, options.timeoutMs))),
        ]
        settings += options.config + extra
        var errstr = [CChar](repeating: 0, count: 512)
        for (key, value) in settings where rd_kafka_conf_set(conf, key, value, &errstr, errstr.count) != RD_KAFKA_CONF_OK {
            rd_kafka_conf_destroy(conf)
            throw KafkaError("--kafka-config \(key): \(String(cString: errstr))")
        }
        // librdkafka logs to stderr by default, which would write over the scope's screen.
        rd_kafka_conf_set_opaque(conf, Unmanaged.passUnretained(log).toOpaque())
        rd_kafka_conf_set_log_cb(conf) { rk, level, facility, buf in
            guard let rk, let buf, let opaque = rd_kafka_opaque(rk) else { return }
            let log = Unmanaged<ClientLog>.fromOpaque(opaque).takeUnretainedValue()
            if log.forward {
                let line = "librdkafka: \(facility.map { String(cString: $0) } ?? ""): \(sanitizeForTerminal(String(cString: buf)))\n"
                _ = line.withCString { write(2, $0, strlen($0)) }
            }
            if level <= 4 { log.note(String(cString: buf)) }
        }
        rd_kafka_conf_set_error_cb(conf) { _, err, reason, opaque in
            guard let opaque else { return }
            let text = reason.map { String(cString: $0) } ?? String(cString: rd_kafka_err2str(rd_kafka_resp_err_t(err)))
            let log = Unmanaged<ClientLog>.fromOpaque(opaque).takeUnretainedValue()
            if err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN.rawValue {
                // The connection error logged before it says more ("Connection refused").
                log.allBrokersDown.store(true, ordering: .relaxed)
                if log.lastError.withLock({ $0 }) != nil { return }
            }
            log.note(text)
        }
        guard let rk = rd_kafka_new(type, conf, &errstr, errstr.count) else {
            // On failure the configuration is still ours.
            rd_kafka_conf_destroy(conf)
            throw KafkaError("librdkafka: \(String(cString: errstr))")
        }
        return rk
    }

    /// One collection. Throws when the cluster does not answer metadata (down, unreachable,
    /// authentication refused): the message says why, in librdkafka's words.
    public func collect() throws -> ClusterSnapshot {
        let deadline = ContinuousClock.now + .milliseconds(options.timeoutMs)
        func remainingMs() -> Int32 {
            let left = deadline - ContinuousClock.now
            return Int32(max(1, min(Int64(Int32.max), left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000)))
        }
        // Callbacks run only inside rd_kafka_poll: serve what the handles queued since the last
        // collection (errors, logs), so nothing piles up.
        rd_kafka_poll(handle, 0)
        rd_kafka_poll(groupHandle, 0)
        var snapshot = try metadata(timeoutMs: remainingMs)
        offsets(&snapshot, timeoutMs: remainingMs)
        groups(&snapshot, timeoutMs: remainingMs)
        if options.lagTime == .exact { recordTimes(&snapshot, timeoutMs: remainingMs) }
        return snapshot
    }

    private func failure(_ err: rd_kafka_resp_err_t) -> KafkaError {
        let reason = String(cString: rd_kafka_err2str(err))
        let last = log.lastError.withLock { $0 }
        return KafkaError("kafka \(options.bootstrap): \(reason)", detail: last)
    }

    /// Metadata, asked in short slices so that a cluster librdkafka knows to be down fails the
    /// collection at once rather than after its whole timeout.
    private func metadata(timeoutMs: () -> Int32) throws -> ClusterSnapshot {
        var raw: UnsafePointer<rd_kafka_metadata>?
        var err = RD_KAFKA_RESP_ERR__TIMED_OUT
        // Slices that double: a cluster whose whole answer takes long (many topics, a WAN) still
        // gets the time it needs.
        var slice: Int32 = 500
        while true {
            err = rd_kafka_metadata(handle, 1, nil, &raw, min(slice, timeoutMs()))
            slice = slice < Int32.max / 2 ? slice * 2 : slice
            if err == RD_KAFKA_RESP_ERR_NO_ERROR {
                log.allBrokersDown.store(false, ordering: .relaxed)
                log.lastError.withLock { $0 = nil }
                break
            }
            // The error callback runs only inside rd_kafka_poll.
            rd_kafka_poll(handle, 0)
            if log.allBrokersDown.load(ordering: .relaxed) || timeoutMs() <= 1 { throw failure(err) }
        }
        guard let md = raw?.pointee else { throw failure(err) }
        defer { rd_kafka_metadata_destroy(raw) }
        var snapshot = ClusterSnapshot()
        for i in 0..<Int(md.broker_cnt) {
            let b = md.brokers[i]
            snapshot.brokers.append(.init(id: b.id, host: b.host.map { String(cString: $0) } ?? "", port: b.port))
        }
        for i in 0..<Int(md.topic_cnt) {
            let t = md.topics[i]
            guard t.err == RD_KAFKA_RESP_ERR_NO_ERROR, let namePointer = t.topic else { continue }
            let name = String(cString: namePointer)
            if let regex = options.topicsRegex, !regex.matchesWhole(name) { continue }
            var partitions: [ClusterSnapshot.Partition] = []
            for p in 0..<Int(t.partition_cnt) { partitions.append(.init(id: t.partitions[p].id, leader: t.partitions[p].leader)) }
            snapshot.topics.append(.init(name: name, partitions: partitions.sorted { $0.id < $1.id }))
        }
        snapshot.brokers.sort { $0.id < $1.id }
        snapshot.topics.sort { $0.name < $1.name }
        return snapshot
    }

    /// Every topic's partitions as a librdkafka list, each with `offset` set to `value`.
    private func partitionList(_ topics: [ClusterSnapshot.Topic], offset value: Int64) -> UnsafeMutablePointer<rd_kafka_topic_partition_list_t> {
        let list = rd_kafka_topic_partition_list_new(Int32(topics.reduce(0) { $0 + $1.partitions.count }))!
        for topic in topics {
            for partition in topic.partitions { rd_kafka_topic_partition_list_add(list, topic.name, partition.id).pointee.offset = value }
        }
        return list
    }

    /// End and earliest offsets: ListOffsets for "latest" and "earliest" (offsets_for_times with
    /// the logical offsets), one call per partition leader, so that a broker that is down or a
    /// partition without a leader costs only its own partitions' offsets (they get none this
    /// collection, and a warning says why) instead of failing the whole list. Each call gets an
    /// equal share of the time left.
    private func offsets(_ snapshot: inout ClusterSnapshot, timeoutMs: () -> Int32) {
        var byLeader: [Int32: [(topic: String, partition: Int32)]] = [:]
        var index: [TopicPartition: (Int, Int)] = [:]
        var leaderless = 0
        for (t, topic) in snapshot.topics.enumerated() {
            for (p, partition) in topic.partitions.enumerated() {
                index[TopicPartition(topic.name, partition.id)] = (t, p)
                if partition.leader < 0 { leaderless += 1 } else { byLeader[partition.leader, default: []].append((topic.name, partition.id)) }
            }
        }
        if leaderless > 0 { snapshot.warnings.append("\(leaderless) partition(s) have no leader: no offsets for them") }
        let calls = byLeader.sorted { $0.key < $1.key }.flatMap { leader, partitions in
            [(leader, partitions, Int64(RD_KAFKA_OFFSET_END)), (leader, partitions, Int64(RD_KAFKA_OFFSET_BEGINNING))]
        }
        for (n, (leader, partitions, logical)) in calls.enumerated() {
            let list = rd_kafka_topic_partition_list_new(Int32(partitions.count))!
            defer { rd_kafka_topic_partition_list_destroy(list) }
            for (topic, partition) in partitions { rd_kafka_topic_partition_list_add(list, topic, partition).pointee.offset = logical }
            let err = rd_kafka_offsets_for_times(handle, list, max(1, timeoutMs() / Int32(calls.count - n)))
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
                let which = logical == Int64(RD_KAFKA_OFFSET_END) ? "end" : "earliest"
                snapshot.warnings.append("\(which) offsets from broker \(leader): \(String(cString: rd_kafka_err2str(err)))")
                continue
            }
            for i in 0..<Int(list.pointee.cnt) {
                let element = list.pointee.elems[i]
                guard element.err == RD_KAFKA_RESP_ERR_NO_ERROR, element.offset >= 0,
                    let (t, p) = index[TopicPartition(String(cString: element.topic), element.partition)]
                else { continue }
                if logical == Int64(RD_KAFKA_OFFSET_END) {
                    snapshot.topics[t].partitions[p].endOffset = element.offset
                } else {
                    snapshot.topics[t].partitions[p].oldestOffset = element.offset
                }
            }
        }
    }

    private func adminOptions(_ rk: OpaquePointer, timeoutMs: Int32) -> OpaquePointer {
        let options = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_ANY)!
        var errstr = [CChar](repeating: 0, count: 256)
        _ = rd_kafka_AdminOptions_set_request_timeout(options, timeoutMs, &errstr, errstr.count)
        return options
    }

    /// A queue of this collection's own for admin answers: a late answer to an earlier collection
    /// is never taken for this one's.
    private func withQueue<R>(_ rk: OpaquePointer, _ body: (OpaquePointer) -> R) -> R {
        let queue = rd_kafka_queue_new(rk)!
        // Answers still in flight keep the queue alive inside librdkafka; they are dropped with it.
        defer { rd_kafka_queue_destroy(queue) }
        return body(queue)
    }

    /// The next event on `queue` of `type`, or nil when the time is up.
    private func poll(_ queue: OpaquePointer, type: Int32, timeoutMs: () -> Int32) -> OpaquePointer? {
        while true {
            let wait = timeoutMs()
            guard wait > 1, let event = rd_kafka_queue_poll(queue, Int32(wait)) else { return nil }
            if rd_kafka_event_type(event) == type { return event }
            rd_kafka_event_destroy(event)
        }
    }

    private func groups(_ snapshot: inout ClusterSnapshot, timeoutMs: () -> Int32) {
        var names = Set(options.groups)
        var described: [String: Group] = [:]
        if canListGroups != false {
            switch withQueue(groupHandle, { listGroups(on: $0, timeoutMs: timeoutMs) }) {
            case .success(let listed):
                canListGroups = true
                for name in listed where name != Self.readerGroup && options.groupsRegex?.matchesWhole(name) ?? true { names.insert(name) }
                described = withQueue(groupHandle) { describeGroups(names.sorted(), on: $0, timeoutMs: timeoutMs, warnings: &snapshot.warnings) }
            case .failure(let error):
                if error.code == RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE {
                    canListGroups = false
                } else {
                    snapshot.warnings.append("list groups: \(error.text)")
                }
            }
        }
        if canListGroups == false && options.groups.isEmpty {
            snapshot.warnings.append("the cluster does not list consumer groups (ListGroups unsupported or not allowed): name them with --kafka-group")
        }
        var result: [Group] = names.sorted().map { described[$0] ?? Group(name: $0) }
        withQueue(handle) { fetchCommitted(&result, topics: snapshot.topics, namePartitions: canListGroups != true, on: $0, timeoutMs: timeoutMs) }
        for group in result { if let error = group.offsetsError { snapshot.warnings.append("group \(group.name): \(error)") } }
        snapshot.groups = result
    }

    struct CallError: Error {
        var code: rd_kafka_resp_err_t
        var text: String
    }

    private func listGroups(on groupQueue: OpaquePointer, timeoutMs: () -> Int32) -> Result<[String], CallError> {
        let admin = adminOptions(groupHandle, timeoutMs: timeoutMs())
        defer { rd_kafka_AdminOptions_destroy(admin) }
        rd_kafka_ListConsumerGroups(groupHandle, admin, groupQueue)
        guard let event = poll(groupQueue, type: RD_KAFKA_EVENT_LISTCONSUMERGROUPS_RESULT, timeoutMs: timeoutMs) else {
            return .failure(CallError(code: RD_KAFKA_RESP_ERR__TIMED_OUT, text: "timed out"))
        }
        defer { rd_kafka_event_destroy(event) }
        let err = rd_kafka_event_error(event)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { return .failure(CallError(code: err, text: String(cString: rd_kafka_event_error_string(event)))) }
        let result = rd_kafka_event_ListConsumerGroups_result(event)
        var count = 0
        var names: [String] = []
        if let valid = rd_kafka_ListConsumerGroups_result_valid(result, &count) {
            for i in 0..<count { if let listing = valid[i] { names.append(String(cString: rd_kafka_ConsumerGroupListing_group_id(listing))) } }
        }
        var errorCount = 0
        if let errors = rd_kafka_ListConsumerGroups_result_errors(result, &errorCount), errorCount > 0, names.isEmpty, let first = errors[0] {
            return .failure(CallError(code: rd_kafka_error_code(first), text: String(cString: rd_kafka_error_string(first))))
        }
        return .success(names)
    }

    private func describeGroups(_ names: [String], on groupQueue: OpaquePointer, timeoutMs: () -> Int32, warnings: inout [String]) -> [String: Group] {
        guard !names.isEmpty else { return [:] }
        let admin = adminOptions(groupHandle, timeoutMs: timeoutMs())
        defer { rd_kafka_AdminOptions_destroy(admin) }
        withCStrings(names) { pointers in
            var mutable = pointers
            rd_kafka_DescribeConsumerGroups(groupHandle, &mutable, pointers.count, admin, groupQueue)
        }
        guard let event = poll(groupQueue, type: RD_KAFKA_EVENT_DESCRIBECONSUMERGROUPS_RESULT, timeoutMs: timeoutMs) else {
            warnings.append("describe groups: timed out")
            return [:]
        }
        defer { rd_kafka_event_destroy(event) }
        var out: [String: Group] = [:]
        var count = 0
        guard let descriptions = rd_kafka_DescribeConsumerGroups_result_groups(rd_kafka_event_DescribeConsumerGroups_result(event), &count) else { return [:] }
        for i in 0..<count {
            guard let description = descriptions[i] else { continue }
            let name = String(cString: rd_kafka_ConsumerGroupDescription_group_id(description))
            if let error = rd_kafka_ConsumerGroupDescription_error(description) {
                warnings.append("describe group \(name): \(String(cString: rd_kafka_error_string(error)))")
                continue
            }
            var members: [GroupMember] = []
            for m in 0..<rd_kafka_ConsumerGroupDescription_member_count(description) {
                guard let member = rd_kafka_ConsumerGroupDescription_member(description, m) else { continue }
                var assignment: [TopicPartition] = []
                if let assigned = rd_kafka_MemberDescription_assignment(member), let list = rd_kafka_MemberAssignment_partitions(assigned) {
                    for p in 0..<Int(list.pointee.cnt) {
                        assignment.append(TopicPartition(String(cString: list.pointee.elems[p].topic), list.pointee.elems[p].partition))
                    }
                }
                members.append(GroupMember(memberID: String(cString: rd_kafka_MemberDescription_consumer_id(member)),
                                           clientID: String(cString: rd_kafka_MemberDescription_client_id(member)),
                                           host: String(cString: rd_kafka_MemberDescription_host(member)), assignment: assignment))
            }
            out[name] = Group(name: name, state: Self.state(rd_kafka_ConsumerGroupDescription_state(description)), members: members)
        }
        return out
    }

    static func state(_ raw: rd_kafka_consumer_group_state_t) -> GroupState {
        switch raw {
        case RD_KAFKA_CONSUMER_GROUP_STATE_PREPARING_REBALANCE: .preparingRebalance
        case RD_KAFKA_CONSUMER_GROUP_STATE_COMPLETING_REBALANCE: .completingRebalance
        case RD_KAFKA_CONSUMER_GROUP_STATE_STABLE: .stable
        case RD_KAFKA_CONSUMER_GROUP_STATE_DEAD: .dead
        case RD_KAFKA_CONSUMER_GROUP_STATE_EMPTY: .empty
        default: .unknown
        }
    }

    /// Committed offsets, one OffsetFetch per group (librdkafka 2.0.2 takes one group per call),
    /// at most `groupsInFlight` at a time. `namePartitions`: ask for every partition by name
    /// (clusters that cannot list groups answer nothing for "all partitions").
    private func fetchCommitted(_ groups: inout [Group], topics: [ClusterSnapshot.Topic], namePartitions: Bool, on queue: OpaquePointer,
                                timeoutMs: () -> Int32) {
        guard !groups.isEmpty else { return }
        let index = Dictionary(uniqueKeysWithValues: groups.enumerated().map { ($1.name, $0) })
        var next = 0, pending = 0
        let admin = adminOptions(handle, timeoutMs: timeoutMs())
        defer { rd_kafka_AdminOptions_destroy(admin) }
        let named = namePartitions ? partitionList(topics, offset: Int64(RD_KAFKA_OFFSET_INVALID)) : nil
        defer { if let named { rd_kafka_topic_partition_list_destroy(named) } }
        var answered = Set<String>()
        while next < groups.count || pending > 0 {
            while next < groups.count && pending < max(1, options.groupsInFlight) {
                var request: OpaquePointer? = rd_kafka_ListConsumerGroupOffsets_new(groups[next].name, named)
                rd_kafka_ListConsumerGroupOffsets(handle, &request, 1, admin, queue)
                rd_kafka_ListConsumerGroupOffsets_destroy(request)
                next += 1
                pending += 1
            }
            guard let event = poll(queue, type: RD_KAFKA_EVENT_LISTCONSUMERGROUPOFFSETS_RESULT, timeoutMs: timeoutMs) else { break }
            pending -= 1
            defer { rd_kafka_event_destroy(event) }
            var count = 0
            let eventError = rd_kafka_event_error(event) == RD_KAFKA_RESP_ERR_NO_ERROR ? nil : String(cString: rd_kafka_event_error_string(event))
            guard let results = rd_kafka_ListConsumerGroupOffsets_result_groups(rd_kafka_event_ListConsumerGroupOffsets_result(event), &count) else { continue }
            for i in 0..<count {
                guard let result = results[i], let g = index[String(cString: rd_kafka_group_result_name(result))] else { continue }
                answered.insert(groups[g].name)
                if let error = rd_kafka_group_result_error(result) {
                    groups[g].offsetsError = String(cString: rd_kafka_error_string(error))
                    continue
                }
                if let eventError { groups[g].offsetsError = eventError }
                guard let list = rd_kafka_group_result_partitions(result) else { continue }
                for p in 0..<Int(list.pointee.cnt) {
                    let element = list.pointee.elems[p]
                    guard element.err == RD_KAFKA_RESP_ERR_NO_ERROR, element.offset >= 0 else { continue }
                    let topic = String(cString: element.topic)
                    if let regex = options.topicsRegex, !regex.matchesWhole(topic) { continue }
                    groups[g].committed[TopicPartition(topic, element.partition)] = element.offset
                }
            }
        }
        for g in groups.indices where !answered.contains(groups[g].name) && groups[g].offsetsError == nil {
            groups[g].offsetsError = "committed offsets: timed out"
        }
    }
}

extension KafkaClient {
    /// How many lagging partitions one collection reads a record of, at most (the rest get the
    /// estimate): bounds the time and memory a cluster with thousands of stuck partitions costs.
    static let maxRecordReads = 5_000

    /// The timestamp of the first record each group has not consumed on each lagging partition it
    /// has committed on (where a group that never committed starts depends on its reset policy):
    /// the partitions are assigned at those offsets on the reader handle (fetches batched per
    /// leader, at most 64 KiB per partition) and the first record at or after each offset is
    /// kept. Groups that want different offsets of one partition are read in further rounds.
    /// A record does not change, so what was read is kept while some group still waits at that
    /// offset (a stopped group costs one read, not one per collection); a partition whose end
    /// went backwards (the topic was recreated) is read again, and one found with nothing
    /// readable is read again once its end moves.
    func recordTimes(_ snapshot: inout ClusterSnapshot, timeoutMs: () -> Int32) {
        var wanted: [TopicPartition: Set<Int64>] = [:]
        var ends: [TopicPartition: (oldest: Int64, end: Int64)] = [:]
        for topic in snapshot.topics {
            for p in topic.partitions {
                if let end = p.endOffset { ends[TopicPartition(topic.name, p.id)] = (p.oldestOffset ?? 0, end) }
            }
        }
        // nil: nothing readable there up to the end (a transaction marker, aborted records).
        var found: [TopicPartition: [Int64: Int64?]] = [:]
        var reads = 0
        for group in snapshot.groups {
            for (tp, offset) in group.committed.sorted(by: { $0.key < $1.key }) where offset >= 0 {
                guard let bounds = ends[tp], offset < bounds.end else { continue }
                let first = max(offset, bounds.oldest)
                if let kept = recordTimeCache[tp], let time = kept.times[first], time != nil ? bounds.end >= kept.end : bounds.end == kept.end {
                    found[tp, default: [:]][first] = time
                } else if reads < Self.maxRecordReads, wanted[tp, default: []].insert(first).inserted {
                    reads += 1
                }
            }
        }
        defer {
            // Only what some group waits at now is kept: the cache is never larger than one collection's reads.
            recordTimeCache = found.reduce(into: [:]) { cache, entry in
                if let end = ends[entry.key]?.end { cache[entry.key] = (end, entry.value) }
            }
            for g in snapshot.groups.indices {
                for (tp, offset) in snapshot.groups[g].committed where offset >= 0 {
                    guard let bounds = ends[tp], let known = found[tp]?[max(offset, bounds.oldest)], let time = known else { continue }
                    snapshot.groups[g].firstUnconsumedTimeMs[tp] = time
                }
            }
        }
        guard !wanted.isEmpty else { return }
        if reader == nil {
            reader = try? Self.makeHandle(options, log: log, type: RD_KAFKA_CONSUMER, extra: [
                ("group.id", Self.readerGroup), ("enable.auto.commit", "false"), ("enable.auto.offset.store", "false"),
                // EOF ends the wait for a partition with nothing readable past the offset; records
                // of open transactions count too (their age is what a read_committed group waits on).
                ("enable.partition.eof", "true"), ("isolation.level", "read_uncommitted"), ("fetch.wait.max.ms", "50"), ("max.partition.fetch.bytes", "65536"),
                ("fetch.max.bytes", "4194304"), ("queued.max.messages.kbytes", "4096"), ("queued.min.messages", "1"),
            ])
        }
        guard let reader else { return }
        var rounds = wanted.mapValues { $0.sorted() }
        while !rounds.isEmpty, timeoutMs() > 1 {
            let round = rounds.compactMapValues(\.first)
            rounds = rounds.compactMapValues { $0.count > 1 ? Array($0.dropFirst()) : nil }
            let list = rd_kafka_topic_partition_list_new(Int32(round.count))!
            defer { rd_kafka_topic_partition_list_destroy(list) }
            for (tp, offset) in round { rd_kafka_topic_partition_list_add(list, tp.topic, tp.partition).pointee.offset = offset }
            guard rd_kafka_assign(reader, list) == RD_KAFKA_RESP_ERR_NO_ERROR else { break }
            var missing = Set(round.keys)
            while !missing.isEmpty {
                let wait = timeoutMs()
                guard wait > 1 else { break }
                guard let message = rd_kafka_consumer_poll(reader, min(wait, 100)) else { continue }
                defer { rd_kafka_message_destroy(message) }
                let m = message.pointee
                guard let rkt = m.rkt else { continue }
                let tp = TopicPartition(String(cString: rd_kafka_topic_name(rkt)), m.partition)
                guard missing.contains(tp), let offset = round[tp] else { continue }
                guard m.err == RD_KAFKA_RESP_ERR_NO_ERROR else {
                    // The end, or an error for this partition: nothing to read there now.
                    if m.err == RD_KAFKA_RESP_ERR__PARTITION_EOF { found[tp, default: [:]][offset] = .some(nil) }
                    missing.remove(tp)
                    continue
                }
                guard m.offset >= offset else { continue }
                var type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
                let timestamp = rd_kafka_message_timestamp(message, &type)
                if type != RD_KAFKA_TIMESTAMP_NOT_AVAILABLE, timestamp >= 0 { found[tp, default: [:]][offset] = timestamp }
                missing.remove(tp)
            }
            _ = rd_kafka_assign(reader, nil)
        }
    }
}

/// `body` with C strings for `strings`, valid for the call only.
private func withCStrings<R>(_ strings: [String], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
    let copies = strings.map { strdup($0) }
    defer { copies.forEach { free($0) } }
    return body(copies.map { UnsafePointer($0) })
}
