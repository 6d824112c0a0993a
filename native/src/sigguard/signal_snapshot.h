// What sigguard watches and how: record the watched signals' sigactions,
// compare them later, put back the ones that changed and say who changed
// them. No N-API here (sigguard_addon.cc is the JavaScript face).
//
// Why: a shared library's ELF constructor runs inside dlopen(), before any
// of our code, and some (libinfinipath, pulled in by libmotr → libfabric)
// install their own handlers for fatal and termination signals, replacing
// Node's: libuv's handler for signals JS listens to, Node's SignalExit for
// SIGINT/SIGTERM, and the SIGSEGV handler V8 needs to turn a WebAssembly
// out-of-bounds access into a catchable trap. docs/native.md, "Signal
// handlers of loaded libraries".
#pragma once
#include <signal.h>

#include <array>
#include <string>
#include <vector>

namespace hax::sigguard {

struct WatchedSignal {
    int number;
    const char *name;
};

// Everything Node, libuv or V8 may own, plus the usual targets of
// "install a crash handler" constructors. SIGKILL/SIGSTOP cannot be caught.
inline constexpr std::array<WatchedSignal, 12> kWatched{{
    {SIGINT, "SIGINT"},   {SIGTERM, "SIGTERM"}, {SIGHUP, "SIGHUP"},   {SIGQUIT, "SIGQUIT"},
    {SIGSEGV, "SIGSEGV"}, {SIGBUS, "SIGBUS"},   {SIGILL, "SIGILL"},   {SIGFPE, "SIGFPE"},
    {SIGABRT, "SIGABRT"}, {SIGPIPE, "SIGPIPE"}, {SIGUSR1, "SIGUSR1"}, {SIGUSR2, "SIGUSR2"},
}};

using Snapshot = std::array<struct sigaction, kWatched.size()>;

// The current sigaction of every watched signal. Throws CodedError
// (HAX_ERR_SIGGUARD) if the kernel refuses to say.
Snapshot take_snapshot();

struct Restored {
    const char *signal;       // "SIGTERM"
    std::string replaced_by;  // object file of the foreign handler, "SIG_DFL", "SIG_IGN" or "unknown"
};

// Puts back every watched signal whose handler, flags or mask differ from
// `before`, and returns what it replaced, in kWatched order. Throws
// CodedError (HAX_ERR_SIGGUARD) if a sigaction() call fails.
std::vector<Restored> restore_changed(const Snapshot &before);

// Who owns this action: "SIG_DFL", "SIG_IGN", the path of the shared object
// containing the handler (dladdr), or "unknown".
std::string handler_owner(const struct sigaction &sa);

} // namespace hax::sigguard
