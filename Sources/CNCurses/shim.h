#ifndef STRMSCOPE_CNCURSES_SHIM_H
#define STRMSCOPE_CNCURSES_SHIM_H
// SwiftPM drops pkg-config's -D flags: the wide-character API needs this before ncurses.h.
#define NCURSES_WIDECHAR 1
#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <wchar.h>
#include <ncurses.h>

// Swift 6 rejects C mutable globals (stdscr, COLORS, stdout, ...) and does not import
// function-like macros (A_BOLD, getmaxx, ...): each one gets a function here.

static inline WINDOW *strm_stdscr(void) { return stdscr; }
static inline FILE *strm_stdout(void) { return stdout; }
static inline FILE *strm_stdin(void) { return stdin; }
static inline int strm_colors(void) { return COLORS; }
static inline int strm_color_pairs(void) { return COLOR_PAIRS; }
static inline int strm_getmaxx(WINDOW *win) { return getmaxx(win); }
static inline int strm_getmaxy(WINDOW *win) { return getmaxy(win); }

static inline attr_t strm_a_normal(void) { return A_NORMAL; }
static inline attr_t strm_a_bold(void) { return A_BOLD; }
static inline attr_t strm_a_dim(void) { return A_DIM; }
static inline attr_t strm_a_reverse(void) { return A_REVERSE; }
static inline attr_t strm_a_underline(void) { return A_UNDERLINE; }

static inline int strm_wcwidth(wchar_t c) { return wcwidth(c); }
static inline const char *strm_codeset(void) { return nl_langinfo(CODESET); }

// tigetstr signals "not a string capability" with (char *)-1, which Swift would dereference.
static inline const char *strm_tigetstr(const char *cap) {
    char *s = tigetstr(cap);
    return s == (char *)-1 ? NULL : s;
}

// ---- Crash restore -------------------------------------------------------------------------
// A crash inside curses mode would leave the shell in the alternate screen, without echo and
// with an invisible cursor. The handler below puts the tty back with async-signal-safe calls
// only, then lets the crash go on: to the handler that was there before (the Swift runtime's
// backtracer, so its report appears on a usable terminal) or to the default action.
//
// The state is a static inside an inline function, so every object file that calls these
// functions gets its own copy: call them from a single Swift file (Terminal/CrashRestore.swift).

#define STRM_CRASH_SIGNAL_COUNT 6

struct strm_crash_state {
    struct sigaction previous[STRM_CRASH_SIGNAL_COUNT];
    struct termios termios;
    volatile sig_atomic_t have_termios;
    volatile sig_atomic_t armed;
    int installed;
    int fd;
    char sequence[512];
    volatile size_t sequence_length;
};

// A function-local static: Swift's importer emits the inline functions it calls but not
// file-scope static variables of a header (they end up as undefined symbols at link time).
static inline struct strm_crash_state *strm_crash_state(void) {
    static struct strm_crash_state state;
    return &state;
}

static inline int strm_crash_signal(int i) {
    static const int signals[STRM_CRASH_SIGNAL_COUNT] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP};
    return signals[i];
}

static inline void strm_crash_handler(int sig, siginfo_t *info, void *context) {
    (void)context;
    struct strm_crash_state *s = strm_crash_state();
    int saved_errno = errno;
    if (s->armed) {
        s->armed = 0; // a fault while restoring must not come back here
        if (s->have_termios) tcsetattr(s->fd, TCSANOW, &s->termios);
        size_t done = 0;
        while (done < s->sequence_length) {
            ssize_t n = write(s->fd, s->sequence + done, s->sequence_length - done);
            if (n <= 0 && errno != EINTR) break;
            if (n > 0) done += (size_t)n;
        }
    }
    // A real fault re-executes the faulting instruction on return and so reaches the previous
    // handler (the Swift backtracer) with its true context. abort() ends the process itself
    // once the handlers return. Any other sent signal gets the default action: the Swift
    // backtracer would report it and let the process run on, with curses already torn down.
    int fault = info != NULL && info->si_code > 0;
    int own_abort = sig == SIGABRT && info != NULL && info->si_pid == getpid();
    struct sigaction default_action;
    memset(&default_action, 0, sizeof default_action);
    default_action.sa_handler = SIG_DFL;
    sigemptyset(&default_action.sa_mask);
    for (int i = 0; i < STRM_CRASH_SIGNAL_COUNT; i++) {
        if (strm_crash_signal(i) != sig) continue;
        sigaction(sig, fault || own_abort ? &s->previous[i] : &default_action, NULL);
    }
    if (!fault) raise(sig);
    errno = saved_errno;
}

/// Saves the tty modes of `fd` (before curses changes them) and installs the handlers, once.
static inline void strm_crash_install(int fd) {
    struct strm_crash_state *s = strm_crash_state();
    s->fd = fd;
    if (tcgetattr(fd, &s->termios) == 0) s->have_termios = 1;
    if (s->installed) return;
    s->installed = 1;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = strm_crash_handler;
    // SA_ONSTACK: a stack overflow can still run the handler on the runtime's alternate stack.
    action.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&action.sa_mask);
    for (int i = 0; i < STRM_CRASH_SIGNAL_COUNT; i++) {
        sigaction(strm_crash_signal(i), &action, &s->previous[i]);
    }
}

/// Sets what the handler writes to leave curses mode and starts restoring on a crash.
static inline void strm_crash_arm(const char *sequence, size_t length) {
    struct strm_crash_state *s = strm_crash_state();
    s->armed = 0;
    if (length > sizeof s->sequence) length = sizeof s->sequence;
    memcpy(s->sequence, sequence, length);
    s->sequence_length = length;
    s->armed = 1;
}

/// After a clean exit from curses: a later crash must not write to a shell's screen.
static inline void strm_crash_disarm(void) { strm_crash_state()->armed = 0; }

/// Puts back the modes saved by strm_crash_install (endwin's own restore comes first).
static inline void strm_crash_restore_termios(void) {
    struct strm_crash_state *s = strm_crash_state();
    if (s->have_termios) tcsetattr(s->fd, TCSADRAIN, &s->termios);
}

#endif
