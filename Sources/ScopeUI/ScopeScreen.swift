import Foundation
import ScopeCore

/// Everything one frame shows: the pure input of `ScopeScreen.render`.
public struct ScopeFrame: Sendable {
    public var config: ScopeConfig
    public var state: ScopeState
    /// Per channel, per trace.
    public var histories: [[TraceHistory]]
    /// Events near the window (any order); those inside it become markers.
    public var events: [Event]
    public var nowMs: Int64
    public var glyphs: TraceGlyphs
    /// What the sources say when something is wrong (a target down), shown above the key line.
    public var sourceProblem: String?
    /// Firing first, then pending: the alert panel's rows.
    public var alerts: [ScopeAlert]
    /// No colours will be shown (NO_COLOR, `--no-color`, a terminal without them): what colour
    /// alone would set apart gets a mark (inline code in runbooks keeps its backticks).
    public var monochrome: Bool

    public init(config: ScopeConfig, state: ScopeState, histories: [[TraceHistory]], events: [Event] = [], nowMs: Int64,
                glyphs: TraceGlyphs = .braille, sourceProblem: String? = nil, alerts: [ScopeAlert] = [], monochrome: Bool = false) {
        self.alerts = alerts
        self.monochrome = monochrome
        self.config = config
        self.state = state
        self.histories = histories
        self.events = events
        self.nowMs = nowMs
        self.glyphs = glyphs
        self.sourceProblem = sourceProblem
    }
}

/// The scope's screen, drawn into a CellBuffer: header, graticule with one band per channel,
/// traces, readouts, marker axis, events panel, key line, help overlay. Pure: the same frame
/// gives the same cells, which golden-frame tests compare.
public enum ScopeScreen {
    public static let minimumSize = (width: 40, height: 12)

    /// Draws `frame` at `width`×`height`. Also returns the units per division each channel's
    /// first trace was drawn at (↑/↓ step from there).
    public static func render(_ frame: ScopeFrame, width: Int, height: Int) -> (buffer: CellBuffer, perDivision: [Double]) {
        var buffer = CellBuffer(width: width, height: height)
        guard width >= minimumSize.width, height >= minimumSize.height else {
            tooSmall(&buffer)
            return (buffer, frame.state.shownPerDivision)
        }
        let layout = Layout(frame: frame, width: width, height: height)
        let window = frame.state.displayedEndMs.map { (startMs: $0 - frame.state.windowMs, endMs: $0) }
        var perDivision: [Double] = []
        var allScales: [[Scale]] = []
        for (index, channel) in frame.config.channels.enumerated() {
            let histories = index < frame.histories.count ? frame.histories[index] : []
            // One pass over each trace's visible points serves the scale and the readouts.
            let stats: [WindowStats?] = channel.traces.indices.map { t in
                guard let window, t < histories.count else { return nil }
                return WindowStats(histories[t].values(fromMs: window.startMs, toMs: window.endMs))
            }
            let scales = channelScales(channel, stats: stats, divisions: layout.divisionsPerBand,
                                       override: frame.state.perDivision[safe: index] ?? nil)
            allScales.append(scales)
            perDivision.append(scales.first?.perDivision ?? 1)
            let band = layout.bands[index]
            drawBandFrame(&buffer, layout: layout, band: band, index: index)
            if let threshold = channel.threshold, let scale = scales.first {
                drawThreshold(&buffer, band: band, value: threshold, scale: scale, divisions: layout.divisionsPerBand,
                              color: channel.color)
            }
            if let window {
                var canvas = DotCanvas(rect: band, glyphs: frame.glyphs)
                for (t, trace) in channel.traces.enumerated() where t < histories.count {
                    drawTrace(&canvas, history: histories[t], window: window, scale: scales[t], divisions: layout.divisionsPerBand,
                              style: CellStyle(foreground: trace.color))
                }
                canvas.render(into: &buffer)
            }
            drawReadouts(&buffer, frame: frame, layout: layout, index: index, stats: stats, scales: scales)
        }
        drawBottomBorder(&buffer, layout: layout)
        drawHeader(&buffer, frame: frame, width: width)
        let markers = window.map { markerEvents(frame, window: $0) } ?? []
        drawMarkers(&buffer, frame: frame, layout: layout, window: window, markers: markers)
        drawTriggerPoint(&buffer, frame: frame, layout: layout, window: window, scales: allScales)
        if window == nil {
            let text = "waiting for trigger: CH\((frame.state.trigger?.channel ?? 0) + 1) to cross the level"
            buffer.put(text, x: layout.plot.x + max(0, (layout.plot.width - text.count) / 2), y: layout.plot.y + layout.plot.height / 2,
                       style: CellStyle(bold: true), clip: layout.plot)
        }
        if layout.eventRows > 0 { drawEvents(&buffer, frame: frame, layout: layout) }
        drawKeyLine(&buffer, frame: frame, width: width, y: height - 1)
        if frame.state.showHelp { drawHelp(&buffer, frame: frame) }
        if let runbook = frame.state.runbook { drawRunbook(&buffer, runbook, monochrome: frame.monochrome) }
        if frame.glyphs == .ascii { asciiOnly(&buffer) }
        return (buffer, perDivision)
    }

    // MARK: layout

    struct Layout {
        /// The inside of the graticule (all bands and separators).
        var plot: Rect
        /// One rectangle per channel, inside the graticule.
        var bands: [Rect]
        var cellsPerDivision: Int
        var divisionsPerBand: Int
        var readouts: Rect
        var axisY: Int
        var eventRows: Int
        var eventsY: Int

        init(frame: ScopeFrame, width: Int, height: Int) {
            let channels = max(1, frame.config.channels.count)
            eventRows = !frame.state.showEvents ? 0 : height >= 36 ? 4 : height >= 22 ? 2 : 0
            let problemRows = frame.sourceProblem == nil ? 0 : 1
            // Readouts want ~18 columns; the graticule takes the rest in whole divisions.
            let readoutWidth = width >= 100 ? 22 : width >= 60 ? 17 : 0
            cellsPerDivision = max(1, (width - 1 - readoutWidth) / 10)
            let plotWidth = cellsPerDivision * 10 - 1
            // Rows: header, top border, bands and separators, bottom border, axis, events, problem, keys.
            let plotHeight = max(channels * 1 + channels - 1, height - 5 - eventRows - problemRows)
            plot = Rect(x: 1, y: 2, width: plotWidth, height: plotHeight)
            let bandRows = plotHeight - (channels - 1)
            divisionsPerBand = max(2, 8 / channels)
            var y = plot.y
            bands = []
            for index in 0..<channels {
                let rows = bandRows / channels + (index < bandRows % channels ? 1 : 0)
                bands.append(Rect(x: plot.x, y: y, width: plotWidth, height: rows))
                y += rows + 1
            }
            readouts = Rect(x: plot.maxX + 2, y: 1, width: max(0, width - plot.maxX - 2), height: plotHeight + 2)
            axisY = plot.maxY + 1
            eventsY = axisY + 1
        }

        /// Column (in the graticule) of a time in the window.
        func column(ofMs timeMs: Int64, window: (startMs: Int64, endMs: Int64)) -> Int? {
            guard timeMs >= window.startMs, timeMs <= window.endMs else { return nil }
            let share = Double(timeMs - window.startMs) / Double(window.endMs - window.startMs)
            return plot.x + min(plot.width - 1, Int(share * Double(plot.width)))
        }
    }

    // MARK: scales

    struct Scale: Equatable {
        var perDivision: Double
        /// The value at the band's bottom edge.
        var bottom: Double
    }

    /// One scale per trace: traces with the same unit share one, chosen in 1-2-5 steps so the
    /// window's data (and the threshold) fits; the first trace's unit takes the override.
    static func channelScales(_ channel: ChannelSpec, stats: [WindowStats?], divisions: Int, override: Double?) -> [Scale] {
        var byUnit: [String: Scale] = [:]
        var scales: [Scale] = []
        for (index, trace) in channel.traces.enumerated() {
            if let shared = byUnit[trace.unit] {
                scales.append(shared)
                continue
            }
            var low = 0.0, high = 0.0
            for (other, otherTrace) in channel.traces.enumerated() where otherTrace.unit == trace.unit {
                if let s = stats[safe: other] ?? nil {
                    low = min(low, s.min)
                    high = max(high, s.max)
                }
            }
            if index == 0, let threshold = channel.threshold { high = max(high, threshold * 1.25) }
            let auto = OneTwoFive.ceiling((high - low) / Double(divisions))
            let perDivision = index == 0 ? (override ?? auto) : auto
            let bottom = (low < 0 ? (low / perDivision).rounded(.down) * perDivision : 0) - channel.offsetDivisions * perDivision
            let scale = Scale(perDivision: perDivision, bottom: bottom)
            byUnit[trace.unit] = scale
            scales.append(scale)
        }
        return scales
    }

    // MARK: graticule

    static let gridStyle = CellStyle(foreground: .palette(240))

    static func drawBandFrame(_ buffer: inout CellBuffer, layout: Layout, band: Rect, index: Int) {
        let plot = layout.plot
        let top = band.y - 1
        let (left, right, line, cross): (Character, Character, Character, Character) = index == 0 ? ("┌", "┐", "─", "┬") : ("├", "┤", "─", "┼")
        buffer[plot.x - 1, top] = Cell(left, style: gridStyle)
        buffer[plot.maxX, top] = Cell(right, style: gridStyle)
        for x in plot.x..<plot.maxX {
            let division = (x - plot.x + 1) % layout.cellsPerDivision == 0
            buffer[x, top] = Cell(division ? cross : line, style: gridStyle)
        }
        for y in band.y..<band.maxY {
            // Ticks on the borders mark the band's vertical divisions.
            let rowInBand = y - band.y
            let tick = (1..<layout.divisionsPerBand).contains { d in rowInBand == (band.height * d) / layout.divisionsPerBand }
            buffer[plot.x - 1, y] = Cell(tick ? "├" : "│", style: gridStyle)
            buffer[plot.maxX, y] = Cell(tick ? "┤" : "│", style: gridStyle)
            for x in plot.x..<plot.maxX where (x - plot.x + 1) % layout.cellsPerDivision == 0 {
                buffer[x, y] = Cell(tick ? "┼" : "│", style: gridStyle)
            }
            if tick {
                for x in plot.x..<plot.maxX where (x - plot.x + 1) % layout.cellsPerDivision != 0 && (x - plot.x) % 2 == 1 {
                    buffer[x, y] = Cell("·", style: gridStyle)
                }
            }
        }
    }

    static func drawBottomBorder(_ buffer: inout CellBuffer, layout: Layout) {
        let plot = layout.plot
        buffer[plot.x - 1, plot.maxY] = Cell("└", style: gridStyle)
        buffer[plot.maxX, plot.maxY] = Cell("┘", style: gridStyle)
        for x in plot.x..<plot.maxX {
            buffer[x, plot.maxY] = Cell((x - plot.x + 1) % layout.cellsPerDivision == 0 ? "┴" : "─", style: gridStyle)
        }
    }

    /// Dot row of a value in a band (0 at the top), unclamped.
    static func dotRow(_ value: Double, scale: Scale, divisions: Int, dotsHigh: Int) -> Double {
        let share = (value - scale.bottom) / (scale.perDivision * Double(divisions))
        return Double(dotsHigh) * (1 - share)
    }

    static func drawThreshold(_ buffer: inout CellBuffer, band: Rect, value: Double, scale: Scale, divisions: Int, color: CellColor) {
        let row = dotRow(value, scale: scale, divisions: divisions, dotsHigh: band.height)
        guard row >= 0, row < Double(band.height) else { return }
        let y = band.y + Int(row)
        for x in stride(from: band.x, to: band.maxX, by: 2) where buffer[x, y].character == " " || buffer[x, y].character == "·" {
            buffer[x, y] = Cell("-", style: CellStyle(foreground: color, dim: true))
        }
    }

    static func drawTrace(_ canvas: inout DotCanvas, history: TraceHistory, window: (startMs: Int64, endMs: Int64), scale: Scale,
                          divisions: Int, style: CellStyle) {
        let spans = downsample(history, startMs: window.startMs, endMs: window.endMs, columns: canvas.dotsWide)
        let high = canvas.dotsHigh
        for (x, span) in spans.enumerated() {
            guard let span else { continue }
            // Higher values are higher on screen: the span's high end is the smaller row.
            let top = dotRow(span.high, scale: scale, divisions: divisions, dotsHigh: high)
            let bottom = dotRow(span.low, scale: scale, divisions: divisions, dotsHigh: high)
            guard bottom >= 0, top < Double(high) else { continue }  // entirely off the band
            let fromY = max(0, min(high - 1, Int(top.rounded(.down))))
            let toY = max(0, min(high - 1, Int((bottom - 1e-9).rounded(.down))))
            canvas.setColumn(x, fromY: fromY, toY: max(fromY, toY), style: style)
        }
    }

    // MARK: text

    static func drawHeader(_ buffer: inout CellBuffer, frame: ScopeFrame, width: Int) {
        let state = frame.state
        var right = ["TIME/DIV \(formatSpan(ms: state.timePerDivisionMs))"]
        if let trigger = state.trigger, trigger.channel < frame.config.channels.count {
            let unit = frame.config.channels[trigger.channel].traces.first?.unit ?? ""
            right.append("TRIG CH\(trigger.channel + 1) \(trigger.edge == .rising ? "↑" : "↓") \(formatReadout(trigger.level, unit: unit)) \(trigger.mode.rawValue.uppercased())")
        }
        right.append(state.running ? state.status.rawValue : "STOP")
        let rightText = right.joined(separator: " · ")
        func channelText(_ index: Int, named: Bool) -> String {
            let channel = frame.config.channels[index]
            let value = frame.histories[safe: index]?.first.flatMap { history in
                state.displayedEndMs.flatMap { history.value(atOrBefore: $0) }
            }
            let reading = value.map { formatReadout($0, unit: channel.traces.first?.unit ?? channel.unit) } ?? "—"
            return named ? "CH\(index + 1) \(channel.name) \(reading)" : "CH\(index + 1) \(reading)"
        }
        // Channel readings shrink to fit: all with names, all without, then fewer from the right.
        let count = frame.config.channels.count
        let candidates = [(count, true)] + stride(from: count, through: 0, by: -1).map { ($0, false) }
        let lead: [String] = frame.config.badge.map { ["SCOPE", $0] } ?? ["SCOPE"]
        let left = candidates.lazy.map { shown, named -> String in
            let channels: [String] = (0..<shown).map { channelText($0, named: named) }
            return (lead + channels).joined(separator: " · ")
        }.first { $0.count + 3 + rightText.count <= width } ?? "SCOPE"
        buffer.fill(Rect(x: 0, y: 0, width: width, height: 1), with: Cell(" ", style: CellStyle(reverse: true)))
        buffer.put(left, x: 0, y: 0, style: CellStyle(bold: true, reverse: true), clip: Rect(x: 0, y: 0, width: max(0, width - rightText.count - 3), height: 1))
        buffer.put(rightText, x: max(0, width - rightText.count), y: 0, style: CellStyle(bold: true, reverse: true))
        // Each channel's name in its colour, so the header doubles as the legend.
        var x = 0
        for part in left.components(separatedBy: " · ") {
            if part.hasPrefix("CH"), let digit = part.dropFirst(2).first?.wholeNumberValue, let channel = frame.config.channels[safe: digit - 1] {
                for dx in 0..<3 where x + dx < width - rightText.count - 3 {
                    buffer[x + dx, 0] = Cell(buffer[x + dx, 0].character, style: CellStyle(foreground: channel.color, bold: true, reverse: true))
                }
            }
            x += part.count + 3
        }
    }

    static func drawReadouts(_ buffer: inout CellBuffer, frame: ScopeFrame, layout: Layout, index: Int, stats traceStats: [WindowStats?],
                             scales: [Scale]) {
        guard layout.readouts.width >= 8 else { return }
        let channel = frame.config.channels[index]
        let band = layout.bands[index]
        let area = Rect(x: layout.readouts.x, y: band.y - 1, width: layout.readouts.width, height: band.height + 1)
        let selected = frame.state.selectedChannel == index
        var lines: [(String, CellStyle)] = []
        let perDiv = formatReadout(scales.first?.perDivision ?? 1, unit: channel.traces.first?.unit ?? channel.unit)
        let auto = (frame.state.perDivision[safe: index] ?? nil) == nil
        lines.append(("\(selected ? "▸" : " ")CH\(index + 1) \(channel.name)", CellStyle(foreground: channel.color, bold: true, reverse: selected)))
        var stats: WindowStats?
        for (t, trace) in channel.traces.enumerated() {
            let s = traceStats[safe: t] ?? nil
            if t == 0 { stats = s }
            let reading = s.map { formatReadout($0.last, unit: trace.unit) } ?? "—"
            lines.append((" \u{25A0} \(trace.label) \(reading)", CellStyle(foreground: trace.color)))
        }
        if let stats, let unit = channel.traces.first?.unit {
            let (min, max) = (formatReadout(stats.min, unit: unit), formatReadout(stats.max, unit: unit))
            let (mean, p99) = (formatReadout(stats.mean, unit: unit), formatReadout(stats.p99, unit: unit))
            let pairs = ["   min \(min)  max \(max)", "   mean \(mean)  p99 \(p99)"]
            if pairs.allSatisfy({ $0.count <= area.width }) {
                lines += pairs.map { ($0, .plain) }
            } else {
                // Narrow: one figure a line, the ones an on-call engineer reads first.
                lines += ["   max \(max)", "   p99 \(p99)", "   mean \(mean)", "   min \(min)"].map { ($0, .plain) }
            }
        }
        lines.append(("   \(perDiv)/div\(auto ? " auto" : "")", CellStyle(dim: true)))
        if let threshold = channel.threshold {
            lines.append(("   slo \(formatReadout(threshold, unit: channel.traces.first?.unit ?? channel.unit)) ┄", CellStyle(foreground: channel.color, dim: true)))
        }
        for (row, line) in lines.prefix(area.height).enumerated() {
            buffer.put(line.0, x: area.x, y: area.y + row, style: line.1, clip: area)
        }
    }

    /// The events inside the window that the dashboard draws as markers, oldest first.
    static func markerEvents(_ frame: ScopeFrame, window: (startMs: Int64, endMs: Int64)) -> [Event] {
        frame.events.filter { frame.config.markerKinds.contains($0.kind) && $0.timeMs >= window.startMs && $0.timeMs <= window.endMs }
            .sorted { $0.timeMs < $1.timeMs }
    }

    static func markerLetter(_ event: Event) -> Character {
        switch event.kind {
        case .rebalance: "R"
        case .alert: "A"
        case .marker: event.labels["fault"] != nil ? "F" : event.labels["corruption"] != nil ? "C" : "M"
        }
    }

    static func markerStyle(_ event: Event) -> CellStyle {
        switch event.kind {
        case .rebalance: CellStyle(foreground: .palette(14), bold: true)
        case .alert: CellStyle(foreground: .palette(9), bold: true)
        case .marker: CellStyle(foreground: .palette(13), bold: true)
        }
    }

    static func drawMarkers(_ buffer: inout CellBuffer, frame: ScopeFrame, layout: Layout, window: (startMs: Int64, endMs: Int64)?,
                            markers: [Event]) {
        let width = buffer.width
        var x = 0
        if let window {
            for event in markers {
                if let column = layout.column(ofMs: event.timeMs, window: window) {
                    buffer[column, layout.plot.maxY] = Cell(markerLetter(event), style: markerStyle(event))
                }
            }
            let label = "-" + formatSpan(ms: frame.state.windowMs)
            x = buffer.put(label, x: 0, y: layout.axisY, style: CellStyle(dim: true)) + 2
            let endLabel = frame.state.running && frame.state.status == .live ? "now" : clockTime(window.endMs)
            buffer.put(endLabel, x: layout.plot.maxX + 1 - endLabel.count, y: layout.axisY, style: CellStyle(dim: true))
        }
        // The newest markers, explained along the axis (newest first, as many as fit).
        let limit = layout.plot.maxX - 8
        for event in markers.reversed() {
            let text = "▲ \(markerLetter(event)) \(event.title)"
            guard x + text.count <= limit else { break }
            x = buffer.put(text, x: x, y: layout.axisY, style: markerStyle(event), clip: Rect(x: 0, y: layout.axisY, width: min(width, limit), height: 1)) + 3
        }
    }

    static func drawTriggerPoint(_ buffer: inout CellBuffer, frame: ScopeFrame, layout: Layout, window: (startMs: Int64, endMs: Int64)?,
                                 scales: [[Scale]]) {
        guard let window, let trigger = frame.state.trigger, trigger.channel < layout.bands.count else { return }
        if frame.state.status == .triggered || !frame.state.running, let at = frame.state.triggerState.triggerMs,
           let column = layout.column(ofMs: at, window: window) {
            buffer[column, layout.plot.y - 1] = Cell("▼", style: CellStyle(foreground: .palette(11), bold: true))
        }
        // The level, as a small arrow on the right border of the trigger channel's band.
        let band = layout.bands[trigger.channel]
        if let scale = scales[safe: trigger.channel]?.first {
            let row = dotRow(trigger.level, scale: scale, divisions: layout.divisionsPerBand, dotsHigh: band.height)
            if row >= 0, row < Double(band.height) {
                buffer[layout.plot.maxX, band.y + Int(row)] = Cell("◀", style: CellStyle(foreground: .palette(11), bold: true))
            }
        }
    }

    static func drawEvents(_ buffer: inout CellBuffer, frame: ScopeFrame, layout: Layout) {
        let y = layout.eventsY
        var row = 0
        if !frame.alerts.isEmpty {
            buffer.put("ALERTS", x: 1, y: y, style: CellStyle(foreground: .palette(9), bold: true))
            for (index, alert) in frame.alerts.prefix(layout.eventRows).enumerated() {
                let selected = index == min(frame.state.selectedAlert, frame.alerts.count - 1)
                var x = buffer.put(alert.firing ? "● FIRING " : "○ pending", x: 9, y: y + row,
                                   style: CellStyle(foreground: .palette(alert.firing ? 9 : 11), bold: alert.firing))
                x = buffer.put(" \(alert.name)", x: x, y: y + row, style: CellStyle(bold: true, reverse: selected))
                x = buffer.put("  \(alert.subject)  \(alert.severity)  \(formatReadout(alert.value))  \(formatSpan(ms: max(0, frame.nowMs - alert.activeAtMs) / 1000 * 1000))",
                               x: x, y: y + row)
                if selected { buffer.put("  ⏎ runbook  ⇥ next", x: x, y: y + row, style: CellStyle(dim: true)) }
                row += 1
            }
        }
        let recent = frame.events.filter { frame.config.markerKinds.contains($0.kind) }.sorted { $0.timeMs > $1.timeMs }
        if row == 0 {
            buffer.put("EVENTS", x: 1, y: y, style: CellStyle(bold: true))
            if recent.isEmpty {
                buffer.put("none yet (rebalances, alerts and markers appear here)", x: 9, y: y, style: CellStyle(dim: true))
            }
        }
        for event in recent.prefix(max(0, layout.eventRows - row)) {
            let x = buffer.put("\(clockTime(event.timeMs))  ", x: 9, y: y + row, style: CellStyle(dim: true))
            let after = buffer.put("\(markerLetter(event)) ", x: x, y: y + row, style: markerStyle(event))
            buffer.put(event.title, x: after, y: y + row)
            row += 1
        }
    }

    /// The runbook viewer's box and the text area inside it, for a screen of `width`×`height`.
    static func runbookGeometry(width: Int, height: Int) -> (box: Rect, inner: Rect)? {
        let box = Rect(x: 0, y: 1, width: width, height: height - 2)
        guard width >= minimumSize.width, height >= minimumSize.height, box.width >= 10, box.height >= 4 else { return nil }
        return (box, Rect(x: box.x + 2, y: box.y + 1, width: box.width - 4, height: box.height - 2))
    }

    /// The lines on screen and the first of them (the scroll, kept where the page is full).
    static func visibleRunbook(_ view: RunbookView, inner: Rect, monochrome: Bool) -> (layout: RunbookLayout, first: Int) {
        let layout = view.layout(width: inner.width, monochrome: monochrome)
        return (layout, max(0, min(view.scroll, layout.lines.count - inner.height)))
    }

    /// Lays the open runbook out for this screen size (kept until the size changes) and records
    /// how far it can scroll (the state handles keys without knowing the size).
    public static func measureRunbook(_ state: inout ScopeState, width: Int, height: Int, monochrome: Bool) {
        guard var view = state.runbook, let (_, inner) = runbookGeometry(width: width, height: height) else { return }
        let layout = view.layout(width: inner.width, monochrome: monochrome)
        view.cached = RunbookView.CachedLayout(width: inner.width, monochrome: monochrome, layout: layout)
        view.maxScroll = max(0, layout.lines.count - inner.height)
        view.scroll = min(view.scroll, view.maxScroll)
        state.runbook = view
    }

    /// Where the open runbook has links on screen, for the terminal to make them OSC 8
    /// hyperlinks: the title (to the runbook itself) and every web link in the visible text.
    public static func runbookLinks(_ state: ScopeState, width: Int, height: Int, monochrome: Bool) -> [(x: Int, y: Int, length: Int, url: String)] {
        guard let view = state.runbook, let (box, inner) = runbookGeometry(width: width, height: height) else { return [] }
        var links: [(x: Int, y: Int, length: Int, url: String)] = []
        if let url = view.url {
            let x = 2 + " RUNBOOK ".count
            links.append((x, box.y, max(0, min(view.title.count, box.maxX - x - 2)), url))
        }
        let (layout, first) = visibleRunbook(view, inner: inner, monochrome: monochrome)
        for (row, line) in layout.lines.dropFirst(first).prefix(inner.height).enumerated() {
            var x = inner.x
            for segment in line.segments {
                let length = segment.text.reduce(0) { $0 + displayWidth(of: $1) }
                if let url = segment.link, x < inner.maxX {
                    links.append((x, inner.y + row, min(length, inner.maxX - x), url))
                }
                x += length
            }
        }
        return links
    }

    /// The runbook viewer: the Markdown rendered (`RunbookLayout`) to the box's width, scrolled
    /// to `view.scroll`. Its text goes through the same escaping as any label.
    static func drawRunbook(_ buffer: inout CellBuffer, _ view: RunbookView, monochrome: Bool) {
        guard let (box, inner) = runbookGeometry(width: buffer.width, height: buffer.height) else { return }
        buffer.fill(box)
        drawBox(&buffer, box)
        buffer.put(" RUNBOOK \(view.title) ", x: 2, y: box.y, style: CellStyle(bold: true), clip: box)
        let (layout, first) = visibleRunbook(view, inner: inner, monochrome: monochrome)
        let hint = " ↑↓ PgUp PgDn scroll · Esc close · line \(first + 1)/\(layout.lines.count) "
        buffer.put(hint, x: max(1, box.maxX - hint.count - 2), y: box.maxY - 1, style: CellStyle(dim: true), clip: box)
        for (row, line) in layout.lines.dropFirst(first).prefix(inner.height).enumerated() {
            var x = inner.x
            for segment in line.segments {
                x = buffer.put(segment.text, x: x, y: inner.y + row, style: segment.style, clip: inner)
            }
        }
    }

    static func drawBox(_ buffer: inout CellBuffer, _ box: Rect) {
        for x in box.x..<box.maxX {
            buffer[x, box.y] = Cell("─")
            buffer[x, box.maxY - 1] = Cell("─")
        }
        for y in box.y..<box.maxY {
            buffer[box.x, y] = Cell("│")
            buffer[box.maxX - 1, y] = Cell("│")
        }
        buffer[box.x, box.y] = Cell("┌")
        buffer[box.maxX - 1, box.y] = Cell("┐")
        buffer[box.x, box.maxY - 1] = Cell("└")
        buffer[box.maxX - 1, box.maxY - 1] = Cell("┘")
    }

    static func drawKeyLine(_ buffer: inout CellBuffer, frame: ScopeFrame, width: Int, y: Int) {
        if let problem = frame.sourceProblem {
            buffer.put("⚠ " + problem, x: 1, y: y - 1, style: CellStyle(foreground: .palette(9), bold: true))
        }
        if let notice = frame.state.notice {
            buffer.put(" " + notice.text, x: 0, y: y, style: CellStyle(bold: true))
            return
        }
        // Every key in display order with a rank: when the line is too narrow the highest
        // ranks go first (they are all in the help).
        var items: [(key: String, action: String, rank: Int, demo: Bool)] = [
            ("space", frame.state.running ? "stop" : "run", 0, false),
        ]
        if !frame.state.running { items.append(("←→", "scroll", 1, false)) }
        items += [("+/-", "time", 1, false), ("1-\(frame.config.channels.count)", "channel", 3, false), ("↑↓", "V/DIV", 3, false),
                  ("t/T", "trigger", 2, false), ("[ ]", "level", 4, false), ("a", "alerts", 4, false), ("?", "help", 0, false),
                  ("q", "quit", 0, false)]
        if !frame.alerts.isEmpty { items.insert(("⏎", "runbook", 1, false), at: items.count - 2) }
        items += frame.config.extraKeys.map { (String($0.key), $0.label, 1, true) }
        func length(_ list: [(key: String, action: String, rank: Int, demo: Bool)]) -> Int {
            list.reduce(1) { $0 + $1.key.count + $1.action.count + ($1.demo ? 2 : 3) } + (list.contains { $0.demo } ? 6 : 0)
        }
        var rank = 4
        while length(items) > width - 1 && rank > 0 {
            items.removeAll { $0.rank == rank }
            rank -= 1
        }
        var x = 1
        var inDemo = false
        for item in items {
            if item.demo && !inDemo {
                x = buffer.put("demo:", x: x, y: y, style: CellStyle(foreground: .palette(13)))
                inDemo = true
            }
            x = buffer.put((item.demo ? " " : "") + item.key, x: x, y: y, style: CellStyle(bold: true))
            x = buffer.put(" \(item.action)" + (item.demo ? "" : "  "), x: x, y: y, style: CellStyle(dim: true))
        }
    }

    static func drawHelp(_ buffer: inout CellBuffer, frame: ScopeFrame) {
        var lines = [
            "strmscope — keys",
            "",
            "space     stop / run (stop freezes the screen)",
            "← →       scroll back / forward one division (stops)",
            "PgUp PgDn scroll a whole screen;  End  back to live",
            "+ -       TIME/DIV up / down (1-2-5)",
            "1-\(frame.config.channels.count)       select a channel",
            "↑ ↓       V/DIV of the selected channel;  0  auto",
            "t         trigger on the selected channel / flip edge",
            "T         trigger mode: auto → normal → single",
            "[ ]       trigger level down / up (1/5 division)",
            "a         alerts and events panel on / off",
            "Tab Enter select an alert / open its runbook (Esc closes)",
            "Ctrl-L    repaint;  q  quit",
        ]
        for extra in frame.config.extraKeys { lines.append("\(extra.key)         demo: \(extra.help)") }
        lines += ["", "Markers: R rebalance  A alert  F fault  M marker", "any key closes this help"]
        let width = min(buffer.width - 2, (lines.map(\.count).max() ?? 0) + 4)
        let height = min(buffer.height - 2, lines.count + 2)
        let box = Rect(x: (buffer.width - width) / 2, y: (buffer.height - height) / 2, width: width, height: height)
        buffer.fill(box)
        drawBox(&buffer, box)
        let inner = box.inset(by: 1)
        for (row, line) in lines.prefix(inner.height).enumerated() {
            buffer.put(line, x: inner.x + 1, y: inner.y + row, style: row == 0 ? CellStyle(bold: true) : .plain, clip: inner)
        }
    }

    /// Replaces every non-ASCII character the screen uses by an ASCII one, for terminals and
    /// locales without UTF-8 (data in labels keeps its characters only if it is ASCII too).
    static func asciiOnly(_ buffer: inout CellBuffer) {
        let map: [Character: Character] = [
            "┌": "+", "┐": "+", "└": "+", "┘": "+", "├": "+", "┤": "+", "┬": "+", "┴": "+", "┼": "+", "─": "-", "│": "|",
            "·": ".", "▲": "^", "▼": "v", "◀": "<", "■": "#", "▸": ">", "↑": "^", "↓": "v", "←": "<", "→": ">", "—": "-",
            "┄": "-", "⚠": "!", "×": "x", "µ": "u", "●": "*", "○": "o", "⏎": "<", "⇥": ">", "•": "*", "◦": "o",
        ]
        for y in 0..<buffer.height {
            for x in 0..<buffer.width {
                let cell = buffer[x, y]
                guard !cell.isContinuation else { continue }
                if let replacement = map[cell.character] {
                    buffer[x, y] = Cell(replacement, style: cell.style)
                } else if !cell.character.isASCII {
                    buffer[x, y] = Cell("?", style: cell.style)
                }
            }
        }
    }

    static func tooSmall(_ buffer: inout CellBuffer) {
        let lines = ["strmscope needs \(minimumSize.width)×\(minimumSize.height)", "now \(buffer.width)×\(buffer.height)", "q quits"]
        for (row, line) in lines.enumerated() {
            let y = buffer.height / 2 - 1 + row
            buffer.put(line, x: max(0, (buffer.width - line.count) / 2), y: y)
        }
    }

    /// `HH:MM:SS` in UTC, as the event timeline is stored.
    static func clockTime(_ ms: Int64) -> String {
        let seconds = Int((ms / 1000) % 86_400 + 86_400) % 86_400
        return String(format: "%02d:%02d:%02d", seconds / 3600, seconds / 60 % 60, seconds % 60)
    }
}

extension Array {
    subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}
