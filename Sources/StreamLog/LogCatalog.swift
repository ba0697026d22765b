import Foundation

/// `strmscope-log.json`: the file that makes a directory a log. It names the format version and
/// every topic with its settings; it is replaced atomically whenever a topic is created.
struct LogCatalog: Codable, Equatable {
    static let fileName = "strmscope-log.json"
    static let formatVersion = 1

    var format: Int
    var topics: [String: TopicConfig]

    init() {
        format = Self.formatVersion
        topics = [:]
    }

    static func path(in directory: String) -> String { FileSystem.join(directory, fileName) }

    static func load(from directory: String) throws(LogError) -> LogCatalog {
        let path = path(in: directory)
        guard FileSystem.exists(path) else { throw .notALogDirectory(path: directory) }
        let bytes = try FileSystem.readFile(path)
        let catalog: LogCatalog
        do {
            catalog = try JSONDecoder().decode(LogCatalog.self, from: Data(bytes))
        } catch {
            throw .invalidCatalog(path: path, reason: "not a valid catalog: \(describeDecodingError(error))")
        }
        guard catalog.format == formatVersion else { throw .unsupportedFormat(path: path, version: catalog.format) }
        for (name, config) in catalog.topics {
            do throws(LogError) {
                try validateTopicName(name)
                try config.validate()
            } catch {
                throw .invalidCatalog(path: path, reason: "topic \"\(name)\": \(error)")
            }
        }
        return catalog
    }

    func save(to directory: String) throws(LogError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data: Data
        do { data = try encoder.encode(self) } catch { throw .invalidArgument("cannot encode catalog: \(error)") }
        try FileSystem.writeFileAtomically(Self.path(in: directory), Array(data) + [0x0A])
    }
}

/// Kafka's rules: 1–249 characters of `[a-zA-Z0-9._-]`, and not `.` or `..`.
public func validateTopicName(_ name: String) throws(LogError) {
    guard !name.isEmpty else { throw .invalidTopicName(name, reason: "it is empty") }
    guard name.utf8.count <= 249 else { throw .invalidTopicName(name, reason: "it is longer than 249 characters") }
    guard name != "." && name != ".." else { throw .invalidTopicName(name, reason: "\".\" and \"..\" are reserved") }
    let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-".utf8)
    if let bad = name.utf8.first(where: { !allowed.contains($0) }) {
        throw .invalidTopicName(name, reason: "byte 0x\(String(bad, radix: 16)) is not one of [a-zA-Z0-9._-]")
    }
}

func describeDecodingError(_ error: Error) -> String {
    switch error {
    case DecodingError.dataCorrupted(let context): context.debugDescription
    case DecodingError.keyNotFound(let key, _): "missing field \"\(key.stringValue)\""
    case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
        "field \"\(context.codingPath.map(\.stringValue).joined(separator: "."))\": \(context.debugDescription)"
    default: "\(error)"
    }
}
