// sig_thief.node — TEST ONLY (test/native/signal-guard.test.ts). Never
// loaded by production code.
//
// It does what libinfinipath.so.4 (libmotr → libfabric → libinfinipath)
// does when dlopen() runs its ELF constructor: it replaces the SIGTERM,
// SIGINT and SIGSEGV handlers with one that ends the process with exit
// status 1. Loaded unguarded, it turns Node's orderly SIGTERM handling and
// V8's WebAssembly trap handling into a silent exit 1; loaded through
// loadGuarded() (src/native/signal-guard.ts) it must change nothing.
//
// Harmless otherwise: nothing happens until something dlopen()s it, and its
// module init exports nothing (it exists only so process.dlopen succeeds).
// Plain C N-API: no node-addon-api needed for an empty module.
#include <node_api.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

namespace {

void die(int) { _exit(1); }  // what libinfinipath does on SIGTERM: exit(1)

__attribute__((constructor)) void steal_signal_handlers() {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = die;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGSEGV, &sa, nullptr);
}

napi_value init(napi_env, napi_value exports) { return exports; }

} // namespace

NAPI_MODULE(sig_thief, init)
