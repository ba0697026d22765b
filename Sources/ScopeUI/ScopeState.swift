import Markdown
import ScopeCore

/// One trace as the scope draws it.
public struct TraceSpec: Sendable, Equatable {
    public var label: String
    /// The unit of its readouts; traces of one channel with the same unit share a scale.
    public var unit: String
    public var color: CellColor

    public init(label: String, unit: String, color: CellColor) {
        self.label = label
        self.unit = unit
        self.color = color
    }
}

/// One channel: a band of the graticule with its own scale, holding one or more traces.
public struct ChannelSpec: Sendable, Equatable {
    public var name: String
    public var unit: String
    public var color: CellColor
    /// Units per division of the first trace's scale; nil: chosen from the data (1-2-5).
    public var perDivision: Double?
    /// Divisions the traces are moved up.
    public var offsetDivisions: Double
    /// A dashed line (an SLO) on the first trace's scale.
    public var threshold: Double?
    public var traces: [TraceSpec]

    public init(name: String, unit: String, color: CellColor, perDivision: Double? = nil, offsetDivisions: Double = 0,
                threshold: Double? = nil, traces: [TraceSpec]) {
        self.name = name
        self.unit = unit
        self.color = color
        self.perDivision = perDivision
        self.offsetDivisions = offsetDivisions
        self.threshold = threshold
        self.traces = traces
    }
}

/// What does not change while the scope runs.
public struct ScopeConfig: Sendable, Equatable {
    public var title: String
    public var channels: [ChannelSpec]
    /// Extra keys (the demo's fault keys): a short label for the key line, a line for the help.
    public var extraKeys: [(key: Character, label: String, help: String)]
    /// Which event kinds are drawn as markers.
    public var markerKinds: Set<EventKind>
    /// Shown after SCOPE in the header: which preset the channels come from (`preset redpanda`).
    public var badge: String?

    public init(title: String, channels: [ChannelSpec], extraKeys: [(key: Character, label: String, help: String)] = [],
                markerKinds: Set<EventKind> = Set(EventKind.allCases)) {
        self.title = title
        self.channels = channels
        self.extraKeys = extraKeys
        self.markerKinds = markerKinds
    }

    public static func == (a: ScopeConfig, b: ScopeConfig) -> Bool {
        a.title == b.title && a.channels == b.channels && a.markerKinds == b.markerKinds && a.badge == b.badge
            && a.extraKeys.map { "\($0.key) \($0.label) \($0.help)" } == b.extraKeys.map { "\($0.key) \($0.label) \($0.help)" }
    }
}

/// A key as the scope understands it (the terminal's keys, mapped by the app).
public enum ScopeKey: Sendable, Equatable {
    case character(Character)
    case up, down, left, right, pageUp, pageDown, home, end, enter, escape, tab
}

/// A firing or pending alert as the alert panel lists it.
public struct ScopeAlert: Sendable, Equatable {
    public var name: String
    public var firing: Bool
    public var severity: String
    /// What it is about, from its labels (`billing/orders`).
    public var subject: String
    public var activeAtMs: Int64
    public var value: Double
    public var summary: String
    public var runbookURL: String?

    public init(name: String, firing: Bool, severity: String, subject: String, activeAtMs: Int64, value: Double, summary: String,
                runbookURL: String?) {
        self.name = name
        self.firing = firing
        self.severity = severity
        self.subject = subject
        self.activeAtMs = activeAtMs
        self.value = value
        self.summary = summary
        self.runbookURL = runbookURL
    }
}

/// A runbook open in the viewer: its Markdown parsed once (cmark), laid out at each frame's width.
public struct RunbookView: Sendable, Equatable {
    public var title: String
    public var document: MarkdownDocument
    /// Where the runbook lives (a URL, or an absolute file:// URL): the title links to it.
    public var url: String?
    /// First line shown.
    public var scroll = 0
    /// The last scroll position that still fills the page, as the last frame laid it out
    /// (`ScopeScreen.measureRunbook`); scrolling stops there.
    public var maxScroll: Int
    /// The last layout made (`ScopeScreen.measureRunbook`, once per size: a long runbook takes a
    /// while to lay out), and what it was made for.
    var cached: CachedLayout?

    struct CachedLayout: Sendable, Equatable {
        var width: Int
        var monochrome: Bool
        var layout: RunbookLayout
    }

    /// The document laid out at `width`, from the cache when it was made for the same.
    func layout(width: Int, monochrome: Bool) -> RunbookLayout {
        if let cached, cached.width == width, cached.monochrome == monochrome { return cached.layout }
        return RunbookLayout(document, width: width, monochrome: monochrome)
    }

    /// The cache is not part of what the view is.
    public static func == (a: RunbookView, b: RunbookView) -> Bool {
        a.title == b.title && a.document == b.document && a.url == b.url && a.scroll == b.scroll && a.maxScroll == b.maxScroll
    }

    public init(title: String, text: String, url: String? = nil) {
        self.title = title
        self.url = url
        document = MarkdownDocument(markdown: text)
        // Until a frame measures it: as many lines as the source has.
        maxScroll = max(0, text.split(separator: "\n", omittingEmptySubsequences: false).count - 1)
    }
}

/// What the app must do after a key.
public enum ScopeCommand: Sendable, Equatable {
    case none
    /// The view changed: draw a new frame.
    case redraw
    /// Repaint every cell (Ctrl-L).
    case repaint
    case quit
    /// One of `ScopeConfig.extraKeys` was pressed.
    case extraKey(Character)
    /// Open the runbook of the alert at this index of the panel.
    case openRunbook(Int)
}

/// Everything the user can change: run/stop, time base, channel selection and scales, trigger,
/// overlays. A value type: every key is a tested transition, and time comes in explicitly.
public struct ScopeState: Sendable, Equatable {
    public var running = true
    /// The window's end while stopped (scrolling moves it).
    public var frozenEndMs: Int64?
    public var timePerDivisionMs: Int64
    public var selectedChannel = 0
    /// Per channel: units per division set with ↑/↓ (nil: the dashboard's, or auto).
    public var perDivision: [Double?]
    public var trigger: TriggerSettings?
    public var triggerState: TriggerState
    public var showHelp = false
    public var showEvents = true
    /// The alert the panel highlights (Tab moves it, Enter opens its runbook).
    public var selectedAlert = 0
    /// The runbook viewer, when open: it takes the keys until closed.
    public var runbook: RunbookView?
    /// The window end and status the last `advance` chose (what is on screen).
    public private(set) var displayedEndMs: Int64?
    public private(set) var status: TriggerStatus = .live
    /// Per channel: the first trace's units per division in the last frame (↑/↓ start from it).
    public var shownPerDivision: [Double]
    /// A line for the key row, with the time it goes away.
    public var notice: (text: String, untilMs: Int64)?

    public static let divisions: Int64 = 10
    public static let timePerDivisionRange: ClosedRange<Int64> = 100...3_600_000

    public init(config: ScopeConfig, timePerDivisionMs: Int64, trigger: TriggerSettings?, nowMs: Int64) {
        self.timePerDivisionMs = min(max(timePerDivisionMs, Self.timePerDivisionRange.lowerBound), Self.timePerDivisionRange.upperBound)
        perDivision = config.channels.map(\.perDivision)
        shownPerDivision = config.channels.map { $0.perDivision ?? 1 }
        self.trigger = trigger
        triggerState = TriggerState(armedAfterMs: nowMs)
    }

    public var windowMs: Int64 { timePerDivisionMs * Self.divisions }

    /// Moves the view to `nowMs`: a running scope follows the newest data (`liveEndMs`) or
    /// the trigger's capture. Returns true when what is shown changed.
    @discardableResult
    public mutating func advance(histories: [[TraceHistory]], nowMs: Int64, liveEndMs: Int64) -> Bool {
        let before = (displayedEndMs, status, running)
        if let until = notice?.untilMs, nowMs >= until { notice = nil }
        if running {
            if let trigger, trigger.channel < histories.count, let source = histories[trigger.channel].first {
                let display = triggerState.update(trigger, source: source, nowMs: nowMs, windowMs: windowMs, liveEndMs: liveEndMs)
                displayedEndMs = display.endMs
                status = display.status
                if display.stop {
                    running = false
                    frozenEndMs = display.endMs
                }
            } else {
                displayedEndMs = liveEndMs
                status = .live
            }
        } else {
            displayedEndMs = frozenEndMs
        }
        return before != (displayedEndMs, status, running)
    }

    /// Applies one key at `nowMs`.
    public mutating func handle(_ key: ScopeKey, config: ScopeConfig, nowMs: Int64, alerts: Int = 0) -> ScopeCommand {
        if var view = runbook {
            switch key {
            case .escape, .enter, .character("q"), .character("Q"), .left:
                runbook = nil
                return .redraw
            case .up: view.scroll -= 1
            case .down: view.scroll += 1
            case .pageUp: view.scroll -= 10
            case .pageDown, .character(" "): view.scroll += 10
            case .home: view.scroll = 0
            case .end: view.scroll = view.maxScroll
            default: return .none
            }
            view.scroll = max(0, min(view.scroll, view.maxScroll))
            runbook = view
            return .redraw
        }
        if showHelp {
            // Any key closes the help; q still quits.
            showHelp = false
            if key == .character("q") || key == .character("Q") { return .quit }
            return .redraw
        }
        switch key {
        case .character("q"), .character("Q"):
            return .quit
        case .character(" "):
            if running { stop(nowMs: nowMs) } else { resume(nowMs: nowMs) }
        case .left, .right, .pageUp, .pageDown:
            if running { stop(nowMs: nowMs) }
            let step = key == .left || key == .right ? timePerDivisionMs : windowMs
            let direction: Int64 = key == .left || key == .pageUp ? -1 : 1
            frozenEndMs = (frozenEndMs ?? nowMs) + direction * step
            displayedEndMs = frozenEndMs
        case .end:
            if !running { resume(nowMs: nowMs) }
        case .character("+"), .character("="):
            setTimePerDivision(Int64(OneTwoFive.step(Double(timePerDivisionMs), by: 1)))
        case .character("-"), .character("_"):
            setTimePerDivision(Int64(OneTwoFive.step(Double(timePerDivisionMs), by: -1)))
        case .character(let c) where c.wholeNumberValue.map({ (1...config.channels.count).contains($0) }) == true:
            selectedChannel = c.wholeNumberValue! - 1
        case .up, .down:
            let current = perDivision[selectedChannel] ?? shownPerDivision[selectedChannel]
            perDivision[selectedChannel] = OneTwoFive.step(current, by: key == .up ? 1 : -1)
        case .character("0"):
            perDivision[selectedChannel] = nil
            note("CH\(selectedChannel + 1) V/DIV auto", nowMs: nowMs)
        case .character("t"):
            if var trigger, trigger.channel == selectedChannel {
                trigger.edge = trigger.edge == .rising ? .falling : .rising
                setTrigger(trigger, nowMs: nowMs)
            } else {
                let level = trigger?.level ?? shownPerDivision[selectedChannel]
                setTrigger(TriggerSettings(channel: selectedChannel, edge: trigger?.edge ?? .rising, level: level,
                                           mode: trigger?.mode ?? .auto), nowMs: nowMs)
            }
        case .character("T"):
            var settings = trigger ?? TriggerSettings(channel: selectedChannel, level: shownPerDivision[selectedChannel])
            let modes = TriggerSettings.Mode.allCases
            settings.mode = modes[(modes.firstIndex(of: settings.mode)! + 1) % modes.count]
            setTrigger(settings, nowMs: nowMs)
        case .character("["), .character("]"):
            guard var settings = trigger else {
                note("no trigger: press t to set one on CH\(selectedChannel + 1)", nowMs: nowMs)
                return .redraw
            }
            // A fifth of a division per press, on the trigger channel's scale.
            let tick = shownPerDivision[settings.channel] / 5
            settings.level += key == .character("]") ? tick : -tick
            if abs(settings.level) < tick / 1e6 { settings.level = 0 }
            setTrigger(settings, nowMs: nowMs)
        case .character("a"), .character("A"):
            showEvents.toggle()
        case .character("?"), .character("h"):
            showHelp = true
        case .character("\u{0C}"):
            return .repaint
        case .tab:
            guard alerts > 0 else { return .none }
            selectedAlert = (selectedAlert + 1) % alerts
            showEvents = true
        case .enter:
            guard alerts > 0 else {
                note("no alert to open: the panel lists firing and pending alerts", nowMs: nowMs)
                return .redraw
            }
            return .openRunbook(min(selectedAlert, alerts - 1))
        case .escape:
            return .none
        case .character(let c) where config.extraKeys.contains { $0.key == c }:
            return .extraKey(c)
        default:
            return .none
        }
        return .redraw
    }

    public mutating func note(_ text: String, nowMs: Int64, forMs: Int64 = 3_000) {
        notice = (text, nowMs + forMs)
    }

    mutating func stop(nowMs: Int64) {
        running = false
        frozenEndMs = displayedEndMs ?? nowMs
        displayedEndMs = frozenEndMs
    }

    mutating func resume(nowMs: Int64) {
        running = true
        frozenEndMs = nil
        // A resumed scope looks only at crossings from now on, like a freshly armed one.
        triggerState.rearm(afterMs: nowMs)
    }

    mutating func setTimePerDivision(_ ms: Int64) {
        let clamped = min(max(ms, Self.timePerDivisionRange.lowerBound), Self.timePerDivisionRange.upperBound)
        guard clamped != timePerDivisionMs else { return }
        // A capture keeps its trigger point at the same place; a frozen view keeps its end.
        timePerDivisionMs = clamped
    }

    mutating func setTrigger(_ settings: TriggerSettings, nowMs: Int64) {
        trigger = settings
        // Crossings already on screen count, so a new level finds them at once.
        triggerState.rearm(afterMs: nowMs - windowMs)
        if !running { resume(nowMs: nowMs); triggerState.rearm(afterMs: nowMs - windowMs) }
    }

    public static func == (a: ScopeState, b: ScopeState) -> Bool {
        a.running == b.running && a.frozenEndMs == b.frozenEndMs && a.timePerDivisionMs == b.timePerDivisionMs
            && a.selectedChannel == b.selectedChannel && a.perDivision == b.perDivision && a.trigger == b.trigger
            && a.triggerState == b.triggerState && a.showHelp == b.showHelp && a.showEvents == b.showEvents
            && a.displayedEndMs == b.displayedEndMs && a.status == b.status && a.shownPerDivision == b.shownPerDivision
            && a.notice?.text == b.notice?.text && a.notice?.untilMs == b.notice?.untilMs && a.selectedAlert == b.selectedAlert
            && a.runbook == b.runbook
    }
}
