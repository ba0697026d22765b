import ScopeCore

/// A kafka_exporter-shaped exposition (Prometheus text 0.0.4, what kafka_exporter serves): its
/// per-partition families with HELP and TYPE, for `groups` consumer groups each reading its own
/// topic of `partitions` partitions —
///   kafka_consumergroup_lag{consumergroup="group-17",partition="3",topic="topic-17"} 1234
/// — plus the per-topic and per-group families. 500 × 50 gives 10,501,694 bytes and 126,001 samples.
enum KafkaExposition {
    struct Family: Sendable {
        let name: String
        let help: String
        let perPartition: Bool
        let perGroup: Bool
        let value: @Sendable (_ group: Int, _ partition: Int) -> Int
    }

    static let families: [Family] = [
        Family(name: "kafka_brokers", help: "Number of Brokers in the Kafka Cluster.", perPartition: false, perGroup: false) { _, _ in 3 },
        Family(name: "kafka_topic_partitions", help: "Number of partitions for this Topic", perPartition: false, perGroup: true) { _, _ in 50 },
        Family(name: "kafka_topic_partition_current_offset", help: "Current Offset of a Broker at Topic/Partition", perPartition: true, perGroup: true) {
            g, p in 1_000_000 + g * 10_007 + p * 7_919 + 1_234
        },
        Family(name: "kafka_topic_partition_oldest_offset", help: "Oldest Offset of a Broker at Topic/Partition", perPartition: true, perGroup: true) {
            g, p in g * 101 + p
        },
        Family(name: "kafka_topic_partition_in_sync_replica", help: "Number of In-Sync Replicas for this Topic/Partition", perPartition: true, perGroup: true) {
            _, _ in 3
        },
        Family(name: "kafka_consumergroup_current_offset", help: "Current Offset of a ConsumerGroup at Topic/Partition", perPartition: true, perGroup: true) {
            g, p in 1_000_000 + g * 10_007 + p * 7_919
        },
        Family(name: "kafka_consumergroup_lag", help: "Current Approximate Lag of a ConsumerGroup at Topic/Partition", perPartition: true, perGroup: true) {
            g, p in (g * 31 + p * 17) % 5_000
        },
        Family(name: "kafka_consumergroup_members", help: "Amount of members in a consumer group", perPartition: false, perGroup: true) { g, _ in 1 + g % 4 },
    ]

    static func generate(groups: Int = 500, partitions: Int = 50) -> [UInt8] {
        var out = ""
        out.reserveCapacity(groups * partitions * 440)
        for family in families {
            out += "# HELP \(family.name) \(family.help)\n# TYPE \(family.name) gauge\n"
            guard family.perGroup else {
                out += "\(family.name) \(family.value(0, 0))\n"
                continue
            }
            let isGroupFamily = family.name.hasPrefix("kafka_consumergroup")
            for g in 0..<groups {
                for p in 0..<(family.perPartition ? partitions : 1) {
                    out += family.name
                    out += "{"
                    if isGroupFamily { out += "consumergroup=\"group-\(g)\"" }
                    if family.perPartition { out += (isGroupFamily ? "," : "") + "partition=\"\(p)\"" }
                    if family.name != "kafka_consumergroup_members" {
                        out += (isGroupFamily || family.perPartition ? "," : "") + "topic=\"topic-\(g)\""
                    }
                    out += "} \(family.value(g, p))\n"
                }
            }
        }
        return Array(out.utf8)
    }

    /// The same samples as OpenMetrics (what kafka_exporter would send with OpenMetrics negotiated).
    static func openMetrics(_ text: [UInt8]) -> [UInt8] {
        text + Array("# EOF\n".utf8)
    }
}
