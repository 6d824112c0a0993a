// The JS-facing object (native class `Shim`). It owns nothing but a handle
// on ShimCore; all socket work happens on the I/O thread (io_loop.h). Every
// method here runs on the JS thread and only touches the Registry and the
// CommandQueue, so none of them blocks on the network.
#pragma once
#include <napi.h>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "command_queue.h"
#include "event_sink.h"
#include "io_loop.h"
#include "registry.h"
#include "stats.h"
#ifdef HAX_WITH_MOTR
#include "motr/motr_backend.h"
#endif

namespace hax {

struct ShimCore {
    explicit ShimCore(size_t queue_limit) : sink(queue_limit) {}
    Registry registry;
    CommandQueue commands;
    Stats stats;
    EventSink sink;
    std::unique_ptr<IoLoop> loop;                  // backend 'socket'
#ifdef HAX_WITH_MOTR
    std::unique_ptr<MotrBackend> motr;             // backend 'motr' (libmotr's halon interface)
#endif
    std::thread thread;
    std::atomic<bool> thread_done{false};
    bool stop_requested = false;                    // JS thread only
    bool finalized = false;                         // JS thread only
    std::vector<Napi::Promise::Deferred> stop_waiters;  // JS thread only
};

// Whether this build has the motr backend (CMake found libmotr).
constexpr bool kHaveMotr =
#ifdef HAX_WITH_MOTR
    true;
#else
    false;
#endif

class Shim : public Napi::ObjectWrap<Shim> {
public:
    static Napi::Function Define(Napi::Env env);
    explicit Shim(const Napi::CallbackInfo &info);  // (options, onEvents)

private:
    Napi::Value EntrypointReply(const Napi::CallbackInfo &info);
    Napi::Value Send(const Napi::CallbackInfo &info);
    Napi::Value Delivered(const Napi::CallbackInfo &info);
    Napi::Value Disconnect(const Napi::CallbackInfo &info);
    Napi::Value GetStats(const Napi::CallbackInfo &info);
    Napi::Value Stop(const Napi::CallbackInfo &info);
    Napi::Value Ref(const Napi::CallbackInfo &info);
    Napi::Value Unref(const Napi::CallbackInfo &info);

    std::shared_ptr<ShimCore> core_;
};

// Throws a JS Error whose .code is `code` (HAX_ERR_*).
[[noreturn]] void throw_coded(Napi::Env env, const std::string &code, const std::string &message, int err = 0);

} // namespace hax
