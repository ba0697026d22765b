// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "StrmScope",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "strmscope", targets: ["strmscope"]),
        .library(name: "StreamLog", targets: ["StreamLog"]),
        .library(name: "SeriesStore", targets: ["SeriesStore"]),
        .library(name: "Exposition", targets: ["Exposition"]),
        .library(name: "PromQL", targets: ["PromQL"]),
        .library(name: "ScopeUI", targets: ["ScopeUI"]),
        .library(name: "StrmScopeApp", targets: ["StrmScopeApp"]),
        .library(name: "OTLP", targets: ["OTLP"]),
        .library(name: "Exporter", targets: ["Exporter"]),
        .library(name: "Gzip", targets: ["Gzip"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
    ],
    targets: [
        // Pure values shared by every module: labels, samples, metric families, events, clocks.
        .target(name: "ScopeCore"),
        // Hardware CRC32C (SSE4.2) with a table fallback; the log's integrity check sits on it.
        .target(name: "CCRC32C"),
        // Prometheus text 0.0.4 and OpenMetrics 1.0: streaming parser over bytes, both encoders.
        .target(name: "Exposition", dependencies: ["ScopeCore"]),
        // The embedded durable log with Kafka's consumer-facing semantics.
        .target(
            name: "StreamLog",
            dependencies: ["ScopeCore", "CCRC32C"]
        ),
        // In-memory TSDB: interned label sets, postings, Gorilla-compressed chunks, retention, events.
        .target(name: "SeriesStore", dependencies: ["ScopeCore"]),
        // PromQL: lexer, parser, AST that prints back to source, evaluator over a Queryable.
        .target(name: "PromQL", dependencies: ["ScopeCore"]),
        // Positioned YAML (dashboards, rule files): every configuration error names file:line:col.
        .target(name: "YAMLConfig", dependencies: ["ScopeCore", .product(name: "Yams", package: "Yams")]),
        // Prometheus rule files, annotation templates, the alert state machine, rule evaluation,
        // promtool-format rule unit tests, lag SLO → multiwindow burn-rate rules.
        .target(name: "Alerting", dependencies: ["ScopeCore", "PromQL", "SeriesStore", "YAMLConfig"]),
        // cmark, the CommonMark reference implementation, through a shim header.
        .systemLibrary(name: "CCMark", pkgConfig: "libcmark", providers: [.apt(["libcmark-dev"])]),
        // Runbook Markdown parsed by cmark into a small block/inline tree (pure: no I/O).
        .target(name: "Markdown", dependencies: ["ScopeCore", "CCMark"]),
        // The scope's pure widgets: everything is drawn into a CellBuffer (no terminal, no I/O).
        .target(name: "ScopeUI", dependencies: ["ScopeCore", "Markdown"]),
        // ncursesw through a shim header (wide-character API switched on, macros and globals wrapped as functions).
        .systemLibrary(name: "CNCurses", pkgConfig: "ncursesw", providers: [.apt(["libncursesw5-dev"])]),
        // The only code that touches the tty: shows CellBuffers through ncursesw, reads keys, restores the terminal.
        .target(name: "Terminal", dependencies: ["ScopeUI", "CNCurses"]),
        // libcurl through typed wrappers (its setopt/getinfo are variadic, which Swift cannot call).
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        // Sources: HTTP client, scrapes, the Prometheus HTTP API, the embedded log.
        .target(name: "Collectors", dependencies: ["ScopeCore", "CCurl", "SeriesStore", "StreamLog", "Exposition", "PromQL"]),
        // librdkafka, the Kafka client behind `--kafka` (no Kafka protocol code of our own).
        .systemLibrary(name: "CRdKafka", pkgConfig: "rdkafka", providers: [.apt(["librdkafka-dev"])]),
        // The direct Kafka source: a read-only observer of a cluster (metadata, offsets, groups),
        // its answers mapped to kafka_exporter's series and to rebalance events.
        .target(name: "KafkaDirect", dependencies: ["ScopeCore", "SeriesStore", "CRdKafka"]),
        // zlib, for gzip bodies: OTLP requests in (bounded inflate) and out (deflate).
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .target(name: "Gzip", dependencies: ["CZlib"]),
        // OTLP metrics: protoc-generated types (Generated/, see scripts/generate-otlp) and the
        // OTLP <-> Prometheus mapping of OpenTelemetry's compatibility specification.
        .target(name: "OTLP", dependencies: ["ScopeCore", .product(name: "SwiftProtobuf", package: "swift-protobuf")]),
        // The OTLP/HTTP receiver and the /metrics, /healthz, /readyz endpoints as pure request
        // handlers, the OTLP push queue, and the Hummingbird server that carries the handlers.
        .target(
            name: "Exporter",
            dependencies: ["ScopeCore", "OTLP", "Gzip", "Exposition", "SeriesStore", "Collectors",
                           .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                           .product(name: "Hummingbird", package: "hummingbird"),
                           .product(name: "Logging", package: "swift-log"),
                           .product(name: "NIOCore", package: "swift-nio"),
                           .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                           .product(name: "HTTPTypes", package: "swift-http-types")]
        ),
        // Composition root: the run loops behind the CLI commands (produce, consume, demo, listings).
        .target(
            name: "StrmScopeApp",
            dependencies: ["ScopeCore", "StreamLog", "Exposition", "SeriesStore", "PromQL", "Collectors", "YAMLConfig", "ScopeUI", "Markdown", "Terminal", "Alerting",
                           "OTLP", "Exporter", "KafkaDirect",
                           .product(name: "Yams", package: "Yams")]
        ),
        .executableTarget(
            name: "strmscope",
            dependencies: [
                "StrmScopeApp", "StreamLog", "ScopeCore", "Alerting", "Exporter", "Collectors", "KafkaDirect",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "ScopeCoreTests", dependencies: ["ScopeCore"]),
        .testTarget(name: "ExpositionTests", dependencies: ["Exposition", "ScopeCore"]),
        .testTarget(name: "StreamLogTests", dependencies: ["StreamLog", "ScopeCore"]),
        .testTarget(name: "SeriesStoreTests", dependencies: ["SeriesStore", "ScopeCore"]),
        // Scripts/ holds the engine's promqltest scripts (read by the tests); Differential/ the tools
        // that checked their expectations against a real Prometheus 2.42.
        .testTarget(name: "PromQLTests", dependencies: ["PromQL", "ScopeCore"], exclude: ["Scripts", "Differential"]),
        .testTarget(name: "ScopeUITests", dependencies: ["ScopeUI", "ScopeCore", "Markdown"], exclude: ["Golden"]),
        // RuleTests/ holds promtool-format unit-test files run by both promtool and strmscope.
        .testTarget(name: "AlertingTests", dependencies: ["Alerting", "ScopeCore", "PromQL", "SeriesStore"], exclude: ["RuleTests"]),
        .testTarget(name: "OTLPTests", dependencies: ["OTLP", "ScopeCore", .product(name: "SwiftProtobuf", package: "swift-protobuf")]),
        .testTarget(name: "ExporterTests", dependencies: ["Exporter", "OTLP", "Gzip", "ScopeCore", "SeriesStore",
                                                          .product(name: "SwiftProtobuf", package: "swift-protobuf")]),
        .testTarget(name: "TerminalTests", dependencies: ["Terminal", "ScopeUI"]),
        .testTarget(name: "KafkaDirectTests", dependencies: ["KafkaDirect", "ScopeCore", "SeriesStore"]),
        .testTarget(name: "CollectorsTests", dependencies: ["Collectors", "ScopeCore", "SeriesStore", "StreamLog", "PromQL"]),
        .testTarget(name: "StrmScopeAppTests", dependencies: ["StrmScopeApp", "StreamLog", "ScopeCore", "PromQL", "SeriesStore", "YAMLConfig", "ScopeUI", "Markdown"],
                    exclude: ["Captures"]),
        // Help text and argument validation of the executable's commands, without spawning it.
        .testTarget(
            name: "CLITests",
            dependencies: ["strmscope", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
    ]
)
