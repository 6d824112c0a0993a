#include "sigguard/signal_snapshot.h"

#include <dlfcn.h>

#include <cerrno>
#include <cstring>

#include "util/errno_text.h"

namespace hax::sigguard {
namespace {

// sa_handler and sa_sigaction share a union; SA_SIGINFO says which is meant.
void *handler_address(const struct sigaction &sa) {
    return (sa.sa_flags & SA_SIGINFO) ? reinterpret_cast<void *>(sa.sa_sigaction)
                                      : reinterpret_cast<void *>(sa.sa_handler);
}

// Handler, flags and the blocked-while-running mask. The restorer is left
// out: glibc always fills in its own, whoever called sigaction().
bool same_action(const struct sigaction &a, const struct sigaction &b) {
    if (handler_address(a) != handler_address(b) || a.sa_flags != b.sa_flags) return false;
    for (int sig = 1; sig < NSIG; ++sig)
        if (sigismember(&a.sa_mask, sig) != sigismember(&b.sa_mask, sig)) return false;
    return true;
}

struct sigaction current_action(const WatchedSignal &w) {
    struct sigaction sa;
    std::memset(&sa, 0, sizeof sa);  // glibc copies only the kernel's part of sa_mask
    if (sigaction(w.number, nullptr, &sa) != 0)
        throw CodedError("HAX_ERR_SIGGUARD", std::string("sigaction(") + w.name + ") query failed: " + errno_text(errno), errno);
    return sa;
}

} // namespace

Snapshot take_snapshot() {
    Snapshot snap;
    for (std::size_t i = 0; i < kWatched.size(); ++i) snap[i] = current_action(kWatched[i]);
    return snap;
}

std::vector<Restored> restore_changed(const Snapshot &before) {
    std::vector<Restored> out;
    for (std::size_t i = 0; i < kWatched.size(); ++i) {
        const WatchedSignal &w = kWatched[i];
        const struct sigaction now = current_action(w);
        if (same_action(now, before[i])) continue;
        if (sigaction(w.number, &before[i], nullptr) != 0)
            throw CodedError("HAX_ERR_SIGGUARD", std::string("sigaction(") + w.name + ") restore failed: " + errno_text(errno), errno);
        out.push_back(Restored{w.name, handler_owner(now)});
    }
    return out;
}

std::string handler_owner(const struct sigaction &sa) {
    if (!(sa.sa_flags & SA_SIGINFO) && sa.sa_handler == SIG_DFL) return "SIG_DFL";
    if (!(sa.sa_flags & SA_SIGINFO) && sa.sa_handler == SIG_IGN) return "SIG_IGN";
    Dl_info info;
    if (dladdr(handler_address(sa), &info) != 0 && info.dli_fname && info.dli_fname[0] != '\0') return info.dli_fname;
    return "unknown";
}

} // namespace hax::sigguard
