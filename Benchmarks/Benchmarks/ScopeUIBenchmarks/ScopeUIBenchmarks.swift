import BenchSupport
import Benchmark
import Foundation
import ScopeCore
import ScopeUI

// Time to build one scope frame (layout, scales, min/max downsampling, braille, readouts with
// p99) at 200×60 with 4 channels × 10,000 points, every point inside the visible window (the
// worst case: 10 ms apart over TIME/DIV 10 s). Goal ≤ 2 ms. The frame is built from scratch each
// iteration exactly as the scope does on every data change.

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .mallocCountTotal],
        timeUnits: .microseconds,
        warmupIterations: 5,
        maxDuration: .seconds(10),
        maxIterations: 500
    )
    for (width, height) in [(200, 60), (120, 40)] {
        let name = "scope frame \(width)x\(height) 4ch x 10k points"
        Benchmark(name, configuration: .init(teardown: { Results.shared.flush(name) })) { benchmark in
            let frame = Input.frame
            benchmark.startMeasurement()
            let start = now()
            let rendered = ScopeScreen.render(frame, width: width, height: height)
            let seconds = now() - start
            benchmark.stopMeasurement()
            blackHole(rendered.buffer.cells.count)
            Results.shared.add("scope.frame_ms_\(width)x\(height)", seconds * 1000)
        }
    }
}

enum Input {
    static let endMs: Int64 = 1_700_000_100_000
    static let frame: ScopeFrame = {
        let colors: [CellColor] = [.palette(10), .palette(11), .palette(13), .palette(9)]
        let channels = (0..<4).map { c in
            ChannelSpec(name: "CH\(c + 1)", unit: "/s", color: colors[c], threshold: c == 1 ? 30 : nil,
                        traces: [TraceSpec(label: "trace", unit: "/s", color: colors[c])])
        }
        let config = ScopeConfig(title: "bench", channels: channels)
        let histories = (0..<4).map { c in
            [TraceHistory(points: (0..<10_000).map { i in
                let t = Double(i) / 100
                return (endMs - 100_000 + Int64(i) * 10, 100 + 50 * sin(t / Double(c + 1)) + Double((i * 7919) % 13))
            })]
        }
        var state = ScopeState(config: config, timePerDivisionMs: 10_000, trigger: nil, nowMs: endMs)
        state.advance(histories: histories, nowMs: endMs, liveEndMs: endMs)
        let events = (0..<20).map { i in
            Event(kind: i % 2 == 0 ? .rebalance : .marker, timeMs: endMs - Int64(i) * 4_000, labels: [:], title: "event \(i)")
        }
        return ScopeFrame(config: config, state: state, histories: histories, events: events, nowMs: endMs)
    }()
}
