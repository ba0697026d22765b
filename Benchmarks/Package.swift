// swift-tools-version: 6.1
// Performance benchmarks for the embedded log (StreamLog), run with package-benchmark:
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
        .executableTarget(
            name: "StreamLogBenchmarks",
            dependencies: [
                .product(name: "StreamLog", package: "StrmScope"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/StreamLogBenchmarks",
            plugins: [
                .plugin(name: "BenchmarkPlugin", package: "benchmark")
            ]
        )
    ]
)
