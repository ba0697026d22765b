import Foundation
import ScopeCore

@testable import ScopeUI

/// A deterministic scope: the default dashboard's four channels over ten minutes of 1 s points
/// shaped like the demo (a rate wave, a lag spike after a rebalance, a DLQ step, errors).
enum ScopeFixtures {
    static let endMs: Int64 = 1_700_000_600_000

    static let config = ScopeConfig(
        title: "Streaming pipeline",
        channels: [
            ChannelSpec(name: "EVENTS/s", unit: "/s", color: .palette(10), traces: [
                TraceSpec(label: "produced", unit: "/s", color: .palette(10)),
                TraceSpec(label: "consumed", unit: "/s", color: .palette(252)),
            ]),
            ChannelSpec(name: "LAG", unit: "s", color: .palette(11), threshold: 30, traces: [
                TraceSpec(label: "seconds", unit: "s", color: .palette(11)),
                TraceSpec(label: "records", unit: "rec", color: .palette(252)),
            ]),
            ChannelSpec(name: "DLQ", unit: "rec", color: .palette(13), traces: [TraceSpec(label: "depth", unit: "rec", color: .palette(13))]),
            ChannelSpec(name: "ERRORS", unit: "/s", color: .palette(9), traces: [
                TraceSpec(label: "errors/s", unit: "/s", color: .palette(9)),
                TraceSpec(label: "p99 latency", unit: "s", color: .palette(252)),
            ]),
        ],
        extraKeys: [("k", "kill", "kill a member"), ("s", "slow", "slow consumer"), ("p", "poison", "poison burst"),
                    ("b", "burst", "producer burst")])

    /// Value of channel c, trace t, at second s (0…600).
    static func value(_ c: Int, _ t: Int, _ s: Int) -> Double {
        let x = Double(s)
        switch (c, t) {
        case (0, 0): return 400 * (1 + 0.6 * sin(2 * .pi * x / 60))
        case (0, 1): return 400 * (1 + 0.6 * sin(2 * .pi * (x - 2) / 60)) * (s >= 570 && s < 585 ? 0.3 : 1)
        case (1, 0): return s >= 570 ? min(42, Double(s - 570) * 3) * (s >= 585 ? max(0, 1 - Double(s - 585) / 10) : 1) : 0.4
        case (1, 1): return value(1, 0, s) * 400
        case (2, 0): return Double(s / 10) + (s >= 575 ? 30 : 0)
        case (3, 0): return s >= 575 && s < 585 ? 12 : 0.5
        case (3, 1): return 0.004 + (s % 7 == 0 ? 0.002 : 0)
        default: return .nan
        }
    }

    static func histories() -> [[TraceHistory]] {
        config.channels.enumerated().map { c, channel in
            channel.traces.indices.map { t in
                TraceHistory(points: (0...600).map { s in (endMs - 600_000 + Int64(s) * 1000, value(c, t, s)) })
            }
        }
    }

    static let events = [
        Event(kind: .marker, timeMs: endMs - 32_000, labels: ["fault": "kill-member"], title: "fault: kill a member"),
        Event(kind: .rebalance, timeMs: endMs - 25_000, labels: ["consumergroup": "billing"],
              title: "rebalance billing gen 3→4: member billing-3 timed out"),
    ]

    static func state(timePerDivisionMs: Int64 = 5_000) -> ScopeState {
        var state = ScopeState(config: config, timePerDivisionMs: timePerDivisionMs,
                               trigger: TriggerSettings(channel: 1, edge: .rising, level: 5, mode: .auto), nowMs: endMs)
        state.advance(histories: [], nowMs: endMs, liveEndMs: endMs)
        return state
    }

    static func frame(state: ScopeState? = nil, glyphs: TraceGlyphs = .braille) -> ScopeFrame {
        ScopeFrame(config: config, state: state ?? self.state(), histories: histories(), events: events, nowMs: endMs, glyphs: glyphs)
    }
}
