#if canImport(Glibc)
import Glibc
#endif

/// Everything the log can refuse or fail at. Each message names the thing (path, topic,
/// partition, byte position) so a person can act on it without reading code.
public enum LogError: Error, Equatable, CustomStringConvertible {
    case io(path: String, operation: String, errno: Int32)
    case symbolicLink(path: String)
    case notOwner(path: String, owner: UInt32, user: UInt32)
    case notALogDirectory(path: String)
    case noSuchDirectory(path: String)
    case locked(path: String, holderPid: Int32?)
    case unsupportedFormat(path: String, version: Int)
    case invalidCatalog(path: String, reason: String)
    case invalidTopicName(String, reason: String)
    case unknownTopic(String)
    case unknownPartition(topic: String, partition: Int)
    case partitionCountMismatch(topic: String, existing: Int, requested: Int)
    case invalidArgument(String)
    case recordTooLarge(bytes: Int, limit: Int)
    case corruptBatch(file: String, position: Int, reason: String)
    case readOnly
    case closed
    case offsetOutOfRange(topic: String, partition: Int, offset: Int64, start: Int64, end: Int64)
    // Idempotent producer
    case producerFenced(producerId: Int64, epoch: Int16, currentEpoch: Int16)
    case outOfOrderSequence(producerId: Int64, topic: String, partition: Int, expected: Int32, got: Int32)
    // Consumer groups
    case unknownMember(group: String, memberId: String)
    case illegalGeneration(group: String, memberId: String, generation: Int32, current: Int32)

    public var description: String {
        switch self {
        case let .io(path, operation, code):
            return "\(operation) \(path): \(String(cString: strerror(code)))"
        case let .symbolicLink(path):
            return "\(path) is a symbolic link: a log writes its own files only, never through a link (remove it)"
        case let .notOwner(path, owner, user):
            return "\(path) belongs to uid \(owner), not to you (uid \(user)): a log is written only into a directory its writer owns"
        case let .notALogDirectory(path):
            return "\(path) is not a strmscope log directory (no \(LogCatalog.fileName) in it)"
        case let .noSuchDirectory(path):
            return "log directory \(path) does not exist"
        case let .locked(path, pid):
            let holder = pid.map { "process \($0)" } ?? "another process"
            return "log directory \(path) is locked by \(holder) (strmscope allows one writer at a time; read-only commands such as `log topics` may run beside it)"
        case let .unsupportedFormat(path, version):
            return "\(path): log format version \(version) is not supported by this strmscope (supports \(LogCatalog.formatVersion))"
        case let .invalidCatalog(path, reason):
            return "\(path): \(reason)"
        case let .invalidTopicName(name, reason):
            return "invalid topic name \"\(name)\": \(reason)"
        case let .unknownTopic(name):
            return "unknown topic \"\(name)\""
        case let .unknownPartition(topic, partition):
            return "topic \"\(topic)\" has no partition \(partition)"
        case let .partitionCountMismatch(topic, existing, requested):
            return "topic \"\(topic)\" exists with \(existing) partitions, not \(requested)"
        case let .invalidArgument(text):
            return text
        case let .recordTooLarge(bytes, limit):
            return "batch of \(bytes) bytes exceeds the limit of \(limit) bytes"
        case let .corruptBatch(file, position, reason):
            return "\(file):\(position): corrupt batch: \(reason)"
        case .readOnly:
            return "the log is open read-only"
        case .closed:
            return "the log is closed"
        case let .offsetOutOfRange(topic, partition, offset, start, end):
            return "offset \(offset) is out of range for \(topic)-\(partition) (valid \(start)..<\(end))"
        case let .producerFenced(id, epoch, current):
            return "producer \(id) epoch \(epoch) is fenced by epoch \(current)"
        case let .outOfOrderSequence(id, topic, partition, expected, got):
            return "producer \(id): out-of-order sequence \(got) on \(topic)-\(partition), expected \(expected)"
        case let .unknownMember(group, member):
            return "group \"\(group)\" has no member \"\(member)\" (it left or its session timed out)"
        case let .illegalGeneration(group, member, generation, current):
            return "group \"\(group)\": member \"\(member)\" is at generation \(generation), the group is at \(current); rejoin before committing"
        }
    }
}
