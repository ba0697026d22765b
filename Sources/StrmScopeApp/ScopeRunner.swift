#if canImport(Glibc)
import Glibc
#endif
import Alerting
import Collectors
import Foundation
import KafkaDirect
import Markdown
import ScopeCore
import ScopeUI
import SeriesStore
import StreamLog
import Synchronization
import Terminal

/// What `strmscope scope` shows and from where.
public struct ScopeOptions: Sendable {
    public enum Source: Sendable {
        /// The embedded demo workload in this process (the default).
        case demo(DemoOptions, faults: FaultSchedule)
        case log(directory: String)
        case scrape([String])
        case prometheus(String)
        case kafka(KafkaOptions)
    }

    public var source: Source
    public var dashboard: Dashboard
    /// Rule groups evaluated on the scope's data: the alert panel and alert markers.
    public var ruleGroups: [RuleGroup] = []
    /// After SCOPE in the header: the preset in use, when it is not simply the default.
    public var badge: String?
    /// Most frames per second (keys are read at this rate; frames are drawn only on change).
    public var framesPerSecond = 10
    public var ascii = false
    public var color = true
    /// Repaint every cell every frame: only to measure what drawing changes alone saves.
    public var fullRepaint = false
    /// An OTLP receiver feeding the scope's store (dashboards plot what instrumented services push).
    public var otlp: OTLPListen?
    /// The longest one trace's or rule's evaluation may run.
    public var queryTimeoutMs: Int64 = 2_000
    /// Per scrape target (`--scrape-*-limit`).
    public var scrapeLimits = ScrapeLimits()
    /// The store's memory budget (`--max-memory`).
    public var maxMemoryBytes = StoreOptions().maxMemoryBytes
    /// The folders runbooks are read from; a `runbook_url` leading anywhere else is not opened.
    public var runbookFolders = ["Runbooks"]

    public init(source: Source, dashboard: Dashboard) {
        self.source = source
        self.dashboard = dashboard
    }
}

/// The demo's fault keys, as the key line and the help list them.
let demoFaultKeys: [(key: Character, label: String, fault: DemoFault)] = [
    ("k", "kill", .killMember), ("s", "slow", .slowConsumer), ("p", "poison", .poisonBurst), ("b", "burst", .producerBurst),
]

extension ScopeConfig {
    /// The scope's view of a dashboard: colours resolved, units per trace.
    public init(_ dashboard: Dashboard, demoKeys: Bool) {
        let channels = dashboard.channels.map { channel in
            let color = CellColor(dashboardColor: channel.color)
            let secondary: [CellColor] = [.palette(252), .palette(245), .palette(242)]
            return ChannelSpec(
                name: channel.name, unit: channel.unit, color: color, perDivision: channel.perDivision,
                offsetDivisions: channel.offsetDivisions, threshold: channel.threshold,
                traces: channel.traces.enumerated().map { index, trace in
                    TraceSpec(label: trace.label, unit: trace.unit ?? channel.unit,
                              color: index == 0 ? color : secondary[min(index - 1, secondary.count - 1)])
                })
        }
        self.init(title: dashboard.title, channels: channels,
                  extraKeys: demoKeys ? demoFaultKeys.map { ($0.key, $0.label, $0.fault.title) } : [], markerKinds: dashboard.markers)
    }
}

extension CellColor {
    /// A dashboard colour: a name, a 256-colour index or `#rrggbb` (Dashboard checked it).
    init(dashboardColor text: String) {
        let names: [String: UInt8] = ["red": 9, "green": 10, "yellow": 11, "blue": 12, "magenta": 13, "cyan": 14, "white": 15, "orange": 208]
        if let index = names[text] {
            self = .palette(index)
        } else if let index = UInt8(text) {
            self = .palette(index)
        } else if text.hasPrefix("#"), let rgb = UInt32(text.dropFirst(), radix: 16) {
            self = .rgb(UInt8(rgb >> 16 & 0xFF), UInt8(rgb >> 8 & 0xFF), UInt8(rgb & 0xFF))
        } else {
            self = .default
        }
    }
}

extension TriggerSettings {
    init(_ trigger: Dashboard.Trigger) {
        self.init(channel: trigger.channel - 1, edge: trigger.edge == .rising ? .rising : .falling, level: trigger.level,
                  mode: TriggerSettings.Mode(rawValue: trigger.mode.rawValue) ?? .auto)
    }
}

/// `strmscope scope`: the curses oscilloscope. An acquisition thread collects the sources every
/// dashboard refresh; this thread reads keys and draws a frame only when the data or the view
/// changed, so an idle scope writes almost nothing to the terminal.
public enum ScopeRunner {
    public static func run(_ options: ScopeOptions) throws {
        installStopHandlers()
        // The terminal first: without one there is nothing to show, and nothing should start.
        let terminal: CursesTerminal
        do { terminal = try CursesTerminal(colors: options.color) } catch {
            throw CommandError("\(error) (for a headless run use `strmscope demo`, `strmscope query` or `strmscope eval`)")
        }
        defer { terminal.close() }

        let workload: DemoWorkload?
        let sourceKind: ScopeSourceKind
        switch options.source {
        case .demo(let demo, _):
            let demoWorkload = try DemoWorkload(options: demo)
            workload = demoWorkload
            sourceKind = .log(demoWorkload.log)
        case .log(let directory):
            workload = nil
            sourceKind = .log(try StreamLog.open(directory: directory, readOnly: true))
        case .scrape(let urls):
            workload = nil
            sourceKind = .scrape(urls)
        case .prometheus(let url):
            workload = nil
            sourceKind = .prometheus(url)
        case .kafka(let kafka):
            workload = nil
            sourceKind = .kafka(kafka)
        }
        let acquisition = try ScopeAcquisition(dashboard: options.dashboard, source: sourceKind, ruleGroups: options.ruleGroups,
                                               queryTimeoutMs: options.queryTimeoutMs, scrapeLimits: options.scrapeLimits,
                                               maxMemoryBytes: options.maxMemoryBytes)
        // Messages would draw over the screen: dropped points are counted, not printed.
        let receiver = try options.otlp?.start(into: acquisition.store, report: { [acquisition] in acquisition.report("OTLP: \($0)") })
        defer { receiver?.stop() }
        var config = ScopeConfig(options.dashboard, demoKeys: workload != nil)
        config.badge = options.badge
        let clock = SystemClock()
        var state = ScopeState(config: config, timePerDivisionMs: options.dashboard.timePerDivisionMs,
                               trigger: options.dashboard.trigger.map(TriggerSettings.init), nowMs: clock.nowMs())
        let glyphs: TraceGlyphs = options.ascii || !terminal.unicode ? .ascii : .braille

        workload?.start()
        let faults = Mutex<FaultSchedule>({ if case .demo(_, let f) = options.source { return f } else { return .none } }())
        let started = clock.nowMs()
        acquisition.backfill(nowMs: started, windowMs: state.windowMs)
        let collector = AcquisitionThread(acquisition: acquisition, intervalMs: options.dashboard.refreshMs) { nowMs in
            // Scheduled faults fire from the acquisition thread so they keep time while keys wait.
            guard let workload else { return }
            for fault in faults.withLock({ $0.due(atSeconds: (nowMs - started) / 1000) }) { workload.inject(fault) }
        }
        collector.start()
        defer {
            collector.stop()
            try? workload?.stop()
        }
        // Declared last, so it runs first: on q, Ctrl-C or SIGTERM the terminal is restored at
        // once, before the acquisition and the demo wind down (which can take a moment).
        defer { terminal.close() }

        let frameMs = max(10, 1000 / max(1, options.framesPerSecond))
        var drawnVersion = -1
        var needsFrame = true
        while !isStopRequested {
            if let key = terminal.nextKey(timeoutMs: frameMs) {
                let now = clock.nowMs()
                if key == .resize {
                    needsFrame = true
                } else if let scopeKey = ScopeKey(key) {
                    let alerts = acquisition.snapshot().alerts
                    switch state.handle(scopeKey, config: config, nowMs: now, alerts: alerts.count) {
                    case .openRunbook(let index):
                        state.runbook = runbookView(for: alerts[index], folders: options.runbookFolders)
                        needsFrame = true
                    case .quit: return
                    case .none: break
                    case .redraw: needsFrame = true
                    case .repaint:
                        terminal.invalidate()
                        needsFrame = true
                    case .extraKey(let c):
                        if let fault = demoFaultKeys.first(where: { $0.key == c })?.fault, let workload {
                            workload.inject(fault)
                            state.note("fault injected: \(fault.title)", nowMs: now)
                            needsFrame = true
                        }
                    }
                }
            }
            let snapshot = acquisition.snapshot()
            let now = clock.nowMs()
            if state.advance(histories: snapshot.histories, nowMs: now, liveEndMs: snapshot.newestMs ?? now) { needsFrame = true }
            if snapshot.version != drawnVersion { needsFrame = true }
            if options.fullRepaint {
                terminal.invalidate()
                needsFrame = true
            }
            guard needsFrame else { continue }
            let monochrome = terminal.colorSupport == .none
            ScopeScreen.measureRunbook(&state, width: terminal.width, height: terminal.height, monochrome: monochrome)
            let frame = ScopeFrame(config: config, state: state, histories: snapshot.histories, events: snapshot.events, nowMs: now,
                                   glyphs: glyphs, sourceProblem: snapshot.problem, alerts: snapshot.alerts, monochrome: monochrome)
            let (buffer, perDivision) = ScopeScreen.render(frame, width: terminal.width, height: terminal.height)
            state.shownPerDivision = perDivision
            let links = ScopeScreen.runbookLinks(state, width: terminal.width, height: terminal.height, monochrome: monochrome).map {
                Hyperlink(x: $0.x, y: $0.y, length: $0.length, url: $0.url)
            }
            terminal.draw(buffer, hyperlinks: links)
            drawnVersion = snapshot.version
            needsFrame = false
        }
    }
}

/// The runbook of an alert: a relative `runbook_url` is read only from the runbook folders
/// (`RunbookLocation`); a web link is shown as what to open (and is the title's hyperlink); a URL
/// that is refused says why. The pages written here carry data (the alert's summary, the URL, both
/// from labels a scrape target controls) as literal text, never as Markdown: no link in a summary
/// becomes a hyperlink.
func runbookView(for alert: ScopeAlert, folders: [String]) -> RunbookView {
    let heading = "# " + markdownLiteral(alert.name)
    let summary = markdownLiteral(alert.summary)
    guard let url = alert.runbookURL, !url.isEmpty else {
        return RunbookView(title: alert.name, text: "\(heading)\n\nThis alert has no runbook\\_url annotation.\n\n\(summary)")
    }
    let note: String
    switch RunbookLocation.locate(url, folders: folders, workingDirectory: FileManager.default.currentDirectoryPath) {
    case .file(let path):
        if let data = FileManager.default.contents(atPath: path) {
            return RunbookView(title: "\(alert.name) — \(url.components(separatedBy: "#")[0])", text: String(decoding: data, as: UTF8.self))
        }
        note = "It could not be read."
    case .web(let link):
        // Percent-encoded (no blank, no line break): safe as a code block, and copyable from it.
        return RunbookView(title: alert.name, text: """
            \(heading)

            The runbook is at:

                \(link)

            Open it in a browser.

            \(summary)
            """, url: link)
    case .refused(let reason):
        note = "It was not opened: \(reason)."
    }
    return RunbookView(title: alert.name, text: """
        \(heading)

        The runbook\\_url is:

        \(markdownLiteral(url))

        \(markdownLiteral(note))

        \(summary)
        """)
}

extension ScopeKey {
    init?(_ key: Key) {
        switch key {
        case .character(let c): self = .character(c)
        case .up: self = .up
        case .down: self = .down
        case .left: self = .left
        case .right: self = .right
        case .pageUp: self = .pageUp
        case .pageDown: self = .pageDown
        case .home: self = .home
        case .end: self = .end
        case .enter: self = .enter
        case .escape: self = .escape
        case .tab: self = .tab
        case .backspace, .resize: return nil
        }
    }
}

/// Calls `acquisition.tick` every `intervalMs` on its own thread, at a stable phase.
final class AcquisitionThread: @unchecked Sendable {
    private let acquisition: ScopeAcquisition
    private let intervalMs: Int64
    private let beforeTick: @Sendable (Int64) -> Void
    private let stopping = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)

    init(acquisition: ScopeAcquisition, intervalMs: Int64, beforeTick: @escaping @Sendable (Int64) -> Void) {
        self.acquisition = acquisition
        self.intervalMs = intervalMs
        self.beforeTick = beforeTick
    }

    func start() {
        let thread = Thread { [self] in
            let clock = SystemClock()
            var next = clock.nowMs()
            while true {
                let now = clock.nowMs()
                beforeTick(now)
                acquisition.tick(nowMs: now)
                next += intervalMs
                if next < clock.nowMs() { next = clock.nowMs() + intervalMs }  // fell behind: skip, never burst
                if stopping.wait(timeout: .now() + .milliseconds(Int(next - clock.nowMs()))) == .success { break }
            }
            finished.signal()
        }
        thread.start()
    }

    /// Waits for the tick under way, but not past 400 ms: a collection blocked on a cluster that
    /// stopped answering must not hold up quitting (the process exits around it).
    func stop() {
        stopping.signal()
        _ = finished.wait(timeout: .now() + .milliseconds(400))
    }
}
