import Foundation
import PromQL
import ScopeCore
import YAMLConfig

/// A scope dashboard, from YAML (`Dashboards/streaming.yml` is the default):
///
/// ```yaml
/// title: Streaming pipeline
/// time_per_div: 5s           # 1-2-5 sequence; the screen shows 10 divisions
/// refresh: 1s                # how often channels are evaluated
/// channels:
///   - name: EVENTS/s
///     unit: /s
///     color: green           # a name, a 256-colour index, or #rrggbb
///     per_div: auto          # units per vertical division, or auto
///     offset: 0              # divisions the trace is moved up
///     threshold: 30          # optional dashed line (an SLO)
///     traces:
///       - label: produced
///         expr: sum(rate(kafka_topic_partition_current_offset[30s]))
/// trigger: {channel: 2, edge: rising, level: 30, mode: auto}
/// markers: [rebalance, alert, marker]
/// ```
///
/// Expressions are checked when the dashboard loads; every error names `file:line:column`.
public struct Dashboard: Sendable, Equatable {
    public struct Trace: Sendable, Equatable {
        public var label: String
        public var expression: String
        /// Overrides the channel's unit for this trace's readouts.
        public var unit: String?
    }

    public struct Channel: Sendable, Equatable {
        public var name: String
        public var unit: String
        public var color: String
        /// Units per division; nil: chosen from the data (1-2-5).
        public var perDivision: Double?
        public var offsetDivisions: Double
        public var threshold: Double?
        public var traces: [Trace]
    }

    public struct Trigger: Sendable, Equatable {
        public enum Edge: String, Sendable, CaseIterable { case rising, falling }
        public enum Mode: String, Sendable, CaseIterable { case auto, normal, single }
        /// 1-based, as on the screen (CH1…).
        public var channel: Int
        public var edge: Edge
        public var level: Double
        public var mode: Mode
    }

    public var title: String
    public var timePerDivisionMs: Int64
    public var refreshMs: Int64
    public var channels: [Channel]
    public var trigger: Trigger?
    public var markers: Set<EventKind>

    public static let maxChannels = 4
    public static let colorNames = ["green", "yellow", "cyan", "magenta", "red", "blue", "white", "orange"]

    /// Loads and checks a dashboard file.
    public static func load(file: String) throws -> Dashboard {
        guard let data = FileManager.default.contents(atPath: file) else { throw CommandError("\(file): cannot read the dashboard") }
        return try parse(String(decoding: data, as: UTF8.self), file: file)
    }

    public static func parse(_ text: String, file: String) throws(ParseError) -> Dashboard {
        let root = try YAMLNode.load(text, file: file)
        let fields = try root.mapping(allowed: ["title", "time_per_div", "refresh", "channels", "trigger", "markers"], what: "the dashboard")
        guard let channelsNode = fields["channels"] else { throw root.error("a dashboard needs \"channels\"") }
        let channelNodes = try channelsNode.sequence(what: "channels")
        guard (1...maxChannels).contains(channelNodes.count) else {
            throw channelsNode.error("a dashboard has 1 to \(maxChannels) channels, not \(channelNodes.count)")
        }
        var dashboard = Dashboard(
            title: try fields["title"]?.string(what: "title") ?? "strmscope",
            timePerDivisionMs: try fields["time_per_div"]?.duration(what: "time_per_div") ?? 5_000,
            refreshMs: try fields["refresh"]?.duration(what: "refresh") ?? 1_000,
            channels: [], trigger: nil, markers: [.rebalance, .alert, .marker])
        guard dashboard.refreshMs >= 100 else { throw fields["refresh"]!.error("refresh must be at least 100ms") }
        guard dashboard.timePerDivisionMs >= 100 else { throw fields["time_per_div"]!.error("time_per_div must be at least 100ms") }
        for node in channelNodes { dashboard.channels.append(try channel(node)) }
        if let trigger = fields["trigger"] {
            dashboard.trigger = try self.trigger(trigger, channels: dashboard.channels.count)
        }
        if let markers = fields["markers"] {
            dashboard.markers = []
            for node in try markers.sequence(what: "markers") {
                let name = try node.choice(EventKind.allCases.map(\.rawValue), what: "a marker kind")
                dashboard.markers.insert(EventKind(rawValue: name)!)
            }
        }
        return dashboard
    }

    private static func channel(_ node: YAMLNode) throws(ParseError) -> Channel {
        let f = try node.mapping(allowed: ["name", "unit", "color", "per_div", "offset", "threshold", "traces"], what: "a channel")
        guard let name = f["name"] else { throw node.error("a channel needs a \"name\"") }
        guard let tracesNode = f["traces"] else { throw node.error("a channel needs \"traces\" (one or more expressions)") }
        var perDivision: Double?
        if let per = f["per_div"], try per.string(what: "per_div") != "auto" {
            perDivision = try per.double(what: "per_div")
            guard perDivision! > 0 else { throw per.error("per_div must be positive, or auto") }
        }
        let color = try f["color"]?.string(what: "color") ?? "green"
        if let colorNode = f["color"], !isColor(color) {
            throw colorNode.error("color must be a name (\(colorNames.joined(separator: ", "))), a 256-colour index or #rrggbb, not \"\(color)\"")
        }
        var traces: [Trace] = []
        for traceNode in try tracesNode.sequence(what: "traces") {
            let t = try traceNode.mapping(allowed: ["label", "expr", "unit"], what: "a trace")
            guard let exprNode = t["expr"] else { throw traceNode.error("a trace needs an \"expr\" (PromQL)") }
            let expression = try exprNode.string(what: "expr")
            do throws(ParseError) {
                let parsed = try PromQL.parse(expression)
                guard parsed.type == .instantVector || parsed.type == .scalar else {
                    throw exprNode.error("expr must give an instant vector or a scalar, not a \(parsed.type)")
                }
            } catch where error.file == nil {
                // A PromQL error: point into the YAML, at the place in the expression.
                throw exprNode.error("invalid PromQL: \(error.message)", at: exprNode.filePosition(ofValuePosition: error.position))
            }
            traces.append(Trace(label: try t["label"]?.string(what: "label") ?? "trace \(traces.count + 1)", expression: expression,
                                unit: try t["unit"]?.string(what: "unit")))
        }
        guard !traces.isEmpty else { throw tracesNode.error("a channel needs at least one trace") }
        return Channel(
            name: try name.string(what: "name"), unit: try f["unit"]?.string(what: "unit") ?? "", color: color, perDivision: perDivision,
            offsetDivisions: try f["offset"]?.double(what: "offset") ?? 0, threshold: try f["threshold"]?.double(what: "threshold"),
            traces: traces)
    }

    private static func trigger(_ node: YAMLNode, channels: Int) throws(ParseError) -> Trigger {
        let f = try node.mapping(allowed: ["channel", "edge", "level", "mode"], what: "the trigger")
        return Trigger(
            channel: try f["channel"]?.int(what: "trigger channel", in: 1...channels) ?? 1,
            edge: Trigger.Edge(rawValue: try f["edge"]?.choice(Trigger.Edge.allCases.map(\.rawValue), what: "trigger edge") ?? "rising")!,
            level: try f["level"]?.double(what: "trigger level") ?? 0,
            mode: Trigger.Mode(rawValue: try f["mode"]?.choice(Trigger.Mode.allCases.map(\.rawValue), what: "trigger mode") ?? "auto")!)
    }

    static func isColor(_ text: String) -> Bool {
        if colorNames.contains(text) { return true }
        if let index = Int(text), (0...255).contains(index) { return true }
        return text.count == 7 && text.hasPrefix("#") && UInt32(text.dropFirst(), radix: 16) != nil
    }
}
