import CNCurses

// Every call into the shim's crash-restore functions lives in this file: their state is
// `static` in the header, so each Swift file calling them would get its own copy.

/// Installs handlers for SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT and SIGTRAP (Swift's traps on
/// arm64) that, while a `CursesTerminal` is open, restore the tty with async-signal-safe calls
/// only: `tcsetattr` with the modes saved here, before curses changed them, and `write(2)` of
/// the terminal's sgr0, cnorm, rmkx and rmcup strings. The signal then goes on to the handler
/// that was there before (the Swift runtime's backtracer, or the default action).
/// Called by `CursesTerminal.init`; calling it again only saves the tty modes again.
public func installCrashRestoreHandlers() {
    strm_crash_install(STDOUT_FILENO)
}

enum CrashRestore {
    static func arm(sequence: [UInt8]) {
        sequence.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { strm_crash_arm($0.baseAddress, $0.count) }
        }
    }

    static func disarm() { strm_crash_disarm() }

    static func restoreTermios() { strm_crash_restore_termios() }
}
