// systemd readiness notification (sd_notify(3) without libsystemd): one
// datagram to $NOTIFY_SOCKET. Pure mechanism: what to say and when is the
// daemon's policy (TS). No state, no threads.
#pragma once
#include <napi.h>

#include <string>

namespace hax {

class SdNotifier {
public:
    // Any thread. Sends `state` (e.g. "READY=1") to the socket named by
    // `socket_path` (a path, or "@name" for the abstract namespace).
    // Returns false when `socket_path` is empty (not run by systemd);
    // throws CodedError(HAX_ERR_NOTIFY) when the name is malformed or the
    // send fails.
    static bool send(const std::string &socket_path, const std::string &state);

    // JS thread: exports.notify(state, socketPath?) -> boolean. Without
    // socketPath it reads NOTIFY_SOCKET from the process environment.
    static void Export(Napi::Env env, Napi::Object exports);
};

} // namespace hax
