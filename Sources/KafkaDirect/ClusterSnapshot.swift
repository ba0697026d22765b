/// What one collection read from a Kafka cluster, as plain values: the client fills it, the
/// series and events are computed from it without I/O (so they are tested on recorded answers).
public struct ClusterSnapshot: Sendable, Equatable {
    public struct Broker: Sendable, Equatable {
        public var id: Int32
        public var host: String
        public var port: Int32
        public init(id: Int32, host: String, port: Int32) {
            self.id = id
            self.host = host
            self.port = port
        }
    }

    public struct Partition: Sendable, Equatable {
        public var id: Int32
        /// The leader's broker id; -1 when the partition has none.
        public var leader: Int32
        /// Log start and end (high watermark); nil when the broker did not answer for it.
        public var oldestOffset: Int64?
        public var endOffset: Int64?
        public init(id: Int32, leader: Int32, oldestOffset: Int64? = nil, endOffset: Int64? = nil) {
            self.id = id
            self.leader = leader
            self.oldestOffset = oldestOffset
            self.endOffset = endOffset
        }
    }

    public struct Topic: Sendable, Equatable {
        public var name: String
        public var partitions: [Partition]
        public init(name: String, partitions: [Partition]) {
            self.name = name
            self.partitions = partitions
        }
    }

    public var brokers: [Broker]
    /// In name order, each topic's partitions in id order.
    public var topics: [Topic]
    /// In name order.
    public var groups: [Group]
    /// Problems that did not stop the collection (a group whose offsets timed out), for the
    /// status line.
    public var warnings: [String]

    public init(brokers: [Broker] = [], topics: [Topic] = [], groups: [Group] = [], warnings: [String] = []) {
        self.brokers = brokers
        self.topics = topics
        self.groups = groups
        self.warnings = warnings
    }
}

/// The states of a classic consumer group, with the names Kafka's tools print.
public enum GroupState: String, Sendable, Equatable, CaseIterable {
    case unknown = "Unknown"
    case preparingRebalance = "PreparingRebalance"
    case completingRebalance = "CompletingRebalance"
    case stable = "Stable"
    case dead = "Dead"
    case empty = "Empty"

    /// A rebalance is under way.
    public var isRebalancing: Bool { self == .preparingRebalance || self == .completingRebalance }
}

public struct TopicPartition: Sendable, Hashable, Comparable {
    public var topic: String
    public var partition: Int32
    public init(_ topic: String, _ partition: Int32) {
        self.topic = topic
        self.partition = partition
    }
    public static func < (a: TopicPartition, b: TopicPartition) -> Bool { (a.topic, a.partition) < (b.topic, b.partition) }
}

public struct GroupMember: Sendable, Equatable {
    public var memberID: String
    public var clientID: String
    public var host: String
    /// The partitions assigned to it, sorted.
    public var assignment: [TopicPartition]
    public init(memberID: String, clientID: String, host: String, assignment: [TopicPartition]) {
        self.memberID = memberID
        self.clientID = clientID
        self.host = host
        self.assignment = assignment.sorted()
    }
}

public struct Group: Sendable, Equatable {
    public var name: String
    /// nil when the cluster could not describe groups.
    public var state: GroupState?
    /// nil when the cluster could not describe groups; sorted by member id.
    public var members: [GroupMember]?
    /// The committed offset of every partition the group has one for.
    public var committed: [TopicPartition: Int64]
    /// Why the committed offsets are missing, when they are.
    public var offsetsError: String?
    /// The timestamp (ms) of the first record the group has not consumed, per lagging partition
    /// whose record could be read (`--kafka-lag-time exact`).
    public var firstUnconsumedTimeMs: [TopicPartition: Int64] = [:]

    public init(name: String, state: GroupState? = nil, members: [GroupMember]? = nil, committed: [TopicPartition: Int64] = [:], offsetsError: String? = nil) {
        self.name = name
        self.state = state
        self.members = members?.sorted { $0.memberID < $1.memberID }
        self.committed = committed
        self.offsetsError = offsetsError
    }
}
