/// Where and how the scope triggers, as on a bench scope's trigger panel.
public struct TriggerSettings: Sendable, Equatable {
    public enum Edge: String, Sendable, CaseIterable { case rising, falling }
    public enum Mode: String, Sendable, CaseIterable {
        /// Holds each capture, and rolls live when nothing triggered for a whole window.
        case auto
        /// Holds the last capture until the next trigger; shows nothing before the first.
        case normal
        /// Captures once, then stops.
        case single
    }

    /// 0-based channel index; the channel's first trace is the trigger source.
    public var channel: Int
    public var edge: Edge
    public var level: Double
    public var mode: Mode

    public init(channel: Int, edge: Edge = .rising, level: Double, mode: Mode = .auto) {
        self.channel = channel
        self.edge = edge
        self.level = level
        self.mode = mode
    }

    /// Share of the window shown before the trigger point.
    public static let preTrigger = 0.2
}

/// What the trigger makes the screen show.
public enum TriggerStatus: String, Sendable, Equatable {
    /// No capture held: the display rolls with the newest data.
    case live = "LIVE"
    /// Waiting for the first crossing (normal mode, or single mode before it fires).
    case waiting = "WAIT"
    /// Showing a capture: the trigger point 20% from the left.
    case triggered = "TRIG'D"
}

/// The trigger's state machine: armed → capturing (post-trigger data still arriving) →
/// held (capture complete, re-armed for the next crossing; single mode stops instead).
/// A value type driven by explicit times, so every transition is tested with a manual clock.
public struct TriggerState: Sendable, Equatable {
    /// Crossings at or before this time are not looked at (they were seen, or predate arming).
    public private(set) var armedAfterMs: Int64
    /// The newest trigger point, and whether its capture has all its post-trigger data.
    public private(set) var triggerMs: Int64?
    public private(set) var captureComplete = false
    /// When the held capture completed (auto mode rolls live one window after that).
    private var completedAtMs: Int64?

    public init(armedAfterMs: Int64) { self.armedAfterMs = armedAfterMs }

    /// The result of one update: the window end to show (nil: nothing to show yet), the status,
    /// and, in single mode, whether the scope should stop now.
    public struct Display: Sendable, Equatable {
        public var endMs: Int64?
        public var status: TriggerStatus
        public var stop: Bool
    }

    /// Looks for crossings in `source` up to `nowMs` and says what to show, for a window of
    /// `windowMs` whose live end is `liveEndMs` (the newest data).
    public mutating func update(_ settings: TriggerSettings, source: TraceHistory, nowMs: Int64, windowMs: Int64,
                                liveEndMs: Int64) -> Display {
        let post = Int64(Double(windowMs) * (1 - TriggerSettings.preTrigger))
        if let trigger = triggerMs, !captureComplete, nowMs >= trigger + post {
            captureComplete = true
            completedAtMs = trigger + post
            armedAfterMs = trigger + post
            if settings.mode == .single { return Display(endMs: trigger + post, status: .triggered, stop: true) }
        }
        let armed = triggerMs == nil || (captureComplete && settings.mode != .single)
        if armed, let crossing = Self.firstCrossing(in: source, after: armedAfterMs, through: nowMs, settings: settings) {
            triggerMs = crossing
            captureComplete = nowMs >= crossing + post
            armedAfterMs = crossing
            if captureComplete {
                completedAtMs = crossing + post
                armedAfterMs = crossing + post
                if settings.mode == .single { return Display(endMs: crossing + post, status: .triggered, stop: true) }
            }
        }
        guard let trigger = triggerMs else {
            return settings.mode == .auto ? Display(endMs: liveEndMs, status: .live, stop: false)
                : Display(endMs: nil, status: .waiting, stop: false)
        }
        if settings.mode == .auto, captureComplete, let completed = completedAtMs, nowMs - completed > windowMs {
            return Display(endMs: liveEndMs, status: .live, stop: false)
        }
        return Display(endMs: trigger + post, status: .triggered, stop: false)
    }

    /// Forgets any capture and looks for crossings after `afterMs` (settings changed, or resumed).
    public mutating func rearm(afterMs: Int64) {
        self = TriggerState(armedAfterMs: afterMs)
    }

    /// The time of the first crossing of the level after `afterMs`, interpolated between the two
    /// points that straddle it. A gap (NaN) between points is not a crossing.
    public static func firstCrossing(in source: TraceHistory, after afterMs: Int64, through throughMs: Int64,
                                     settings: TriggerSettings) -> Int64? {
        var index = max(1, source.firstIndex(atOrAfter: afterMs + 1))
        while index < source.count {
            let previous = source[index - 1], point = source[index]
            if point.timeMs > throughMs { return nil }
            index += 1
            guard previous.value.isFinite, point.value.isFinite else { continue }
            let crossed = settings.edge == .rising
                ? previous.value < settings.level && point.value >= settings.level
                : previous.value > settings.level && point.value <= settings.level
            guard crossed else { continue }
            let share = (settings.level - previous.value) / (point.value - previous.value)
            let time = previous.timeMs + Int64((Double(point.timeMs - previous.timeMs) * share).rounded())
            if time > afterMs { return time }
        }
        return nil
    }
}
