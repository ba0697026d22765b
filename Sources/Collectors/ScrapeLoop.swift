import Foundation
import ScopeCore
import Synchronization

/// When each target is scraped next: every `intervalMs`, at a stable phase within the interval
/// derived from the target's URL (as Prometheus spreads its targets, so they do not all fire at
/// once), skipping intervals that were missed rather than bunching scrapes to catch up.
public struct ScrapeSchedule: Sendable, Equatable {
    public let target: ScrapeTarget
    public private(set) var nextMs: Int64

    public init(target: ScrapeTarget, startMs: Int64) {
        self.target = target
        let interval = max(1, target.intervalMs)
        let phase = Int64(Self.fnv1a(target.url + "\u{0}" + target.job) % UInt64(interval))
        // The first scrape time at or after the start that has the target's phase.
        let base = startMs - ((startMs % interval) + interval) % interval
        nextMs = base + phase < startMs ? base + phase + interval : base + phase
    }

    /// True when the target is due at `nowMs`; then the next time moves past `nowMs`.
    public mutating func takeIfDue(atMs nowMs: Int64) -> Bool {
        guard nowMs >= nextMs else { return false }
        let interval = max(1, target.intervalMs)
        let missed = (nowMs - nextMs) / interval
        nextMs += (missed + 1) * interval
        return true
    }

    /// FNV-1a: stable across processes (Swift's own hashing is seeded per process).
    static func fnv1a(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        return hash
    }
}

/// Scrapes every target on its own schedule, each on its own thread, so a slow or hanging target
/// (bounded by its timeout) never delays the others. `stop()` ends the loops; a target removed
/// this way gets its series ended with staleness markers.
public final class ScrapeLoop: @unchecked Sendable {
    public let scraper: Scraper
    public let targets: [ScrapeTarget]
    private let clock: any Clock
    private let stopped = Atomic<Bool>(false)
    private let finished = DispatchGroup()

    public init(scraper: Scraper, targets: [ScrapeTarget], clock: any Clock = SystemClock()) {
        self.scraper = scraper
        self.targets = targets
        self.clock = clock
    }

    public func start() {
        let start = clock.nowMs()
        for target in targets {
            finished.enter()
            Thread { [self] in
                var schedule = ScrapeSchedule(target: target, startMs: start)
                while !stopped.load(ordering: .relaxed) {
                    let now = clock.nowMs()
                    if schedule.takeIfDue(atMs: now) {
                        scraper.scrape(target, atMs: now)
                        continue
                    }
                    // Short naps keep stop() prompt.
                    usleep(UInt32(min(max(schedule.nextMs - now, 1), 100) * 1000))
                }
                finished.leave()
            }.start()
        }
    }

    /// Stops every target's loop and waits for scrapes in flight (each bounded by its timeout).
    public func stop() {
        stopped.store(true, ordering: .relaxed)
        finished.wait()
        let now = clock.nowMs()
        for target in targets { scraper.remove(target, atMs: now) }
    }
}
