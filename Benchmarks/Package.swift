// swift-tools-version: 6.1
// Performance benchmarks (the embedded log, the series store, the exposition parser), run with
// package-benchmark:
//   cd Benchmarks && swift package benchmark        (or: make bench / scripts/bench from the root)
// A package of its own so the root package does not depend on package-benchmark.
import PackageDescription

let package = Package(
    name: "StrmScopeBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "StrmScope", path: ".."),
        // Only the malloc interposer trait: the default traits would also pull in the ARC runtime
        // interposer, which is not needed here (and not in the package mirror).
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        // Timing, scratch space, the results file scripts/bench reads: shared by every benchmark.
        .target(name: "BenchSupport", path: "Benchmarks/BenchSupport"),
        .executableTarget(
            name: "StreamLogBenchmarks",
            dependencies: [
                .product(name: "StreamLog", package: "StrmScope"),
                "BenchSupport",
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/StreamLogBenchmarks",
            plugins: [
                .plugin(name: "BenchmarkPlugin", package: "benchmark")
            ]
        ),
        // The series store: ingest and select.
        .executableTarget(
            name: "SeriesStoreBenchmarks",
            dependencies: [
                .product(name: "SeriesStore", package: "StrmScope"),
                "BenchSupport",
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/SeriesStoreBenchmarks",
            plugins: [
                .plugin(name: "BenchmarkPlugin", package: "benchmark")
            ]
        ),
        // The exposition parser (Prometheus text 0.0.4 / OpenMetrics) on a kafka_exporter-shaped
        // input, beside Python prometheus_client's parser (scripts/bench-exposition-python).
        .executableTarget(
            name: "ExpositionBenchmarks",
            dependencies: [
                .product(name: "Exposition", package: "StrmScope"),
                "BenchSupport",
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/ExpositionBenchmarks",
            plugins: [
                .plugin(name: "BenchmarkPlugin", package: "benchmark")
            ]
        ),
        // The PromQL engine: sum by (group) (rate(x_total[5m])) over 10k series × 1 h at 15 s,
        // beside Debian's Prometheus on the same data (scripts/bench-promql runs both).
        .executableTarget(
            name: "PromQLBenchmarks",
            dependencies: [
                .product(name: "PromQL", package: "StrmScope"),
                .product(name: "SeriesStore", package: "StrmScope"),
                .product(name: "Exposition", package: "StrmScope"),
                .product(name: "StrmScopeApp", package: "StrmScope"),
                "BenchSupport",
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/PromQLBenchmarks",
            plugins: [
                .plugin(name: "BenchmarkPlugin", package: "benchmark")
            ]
        ),
        // The OTLP receiver (decode, map, ingest) and exporter, beside the Python SDK's encoder
        // (scripts/bench-otlp-python makes the input and measures the anchor).
        .executableTarget(
            name: "OTLPBenchmarks",
            dependencies: [
                .product(name: "OTLP", package: "StrmScope"),
                .product(name: "Exporter", package: "StrmScope"),
                .product(name: "Gzip", package: "StrmScope"),
                .product(name: "SeriesStore", package: "StrmScope"),
                "BenchSupport",
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/OTLPBenchmarks",
            plugins: [
                .plugin(name: "BenchmarkPlugin", package: "benchmark")
            ]
        ),
        // One scope frame (layout, downsampling, braille, readouts) at 200×60 and 120×40.
        .executableTarget(
            name: "ScopeUIBenchmarks",
            dependencies: [
                .product(name: "ScopeUI", package: "StrmScope"),
                "BenchSupport",
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/ScopeUIBenchmarks",
            plugins: [
                .plugin(name: "BenchmarkPlugin", package: "benchmark")
            ]
        )
    ]
)
