// sigguard.node: the JavaScript face of signal_snapshot. Loaded before an
// addon whose dependencies may install signal handlers from their ELF
// constructors (src/native/signal-guard.ts):
//   const id = snapshot();   // record the watched signals' handlers
//   process.dlopen(...);     // foreign constructors run here
//   restore(id);             // → [{signal, replacedBy}] for each one put back
//
// This addon must never run foreign constructors itself, so it links
// nothing beyond what node-addon-api needs (libc, libstdc++: Node has them
// loaded already). Snapshots live here, in static storage keyed by id, so
// JavaScript never holds (or forges) raw sigaction bytes; the mutex is for
// worker threads, which share this copy of the addon.
#include <napi.h>

#include <cstdint>
#include <map>
#include <mutex>

#include "sigguard/signal_snapshot.h"
#include "util/errno_text.h"

namespace {

using hax::CodedError;
namespace sg = hax::sigguard;

std::mutex g_mu;
std::map<uint32_t, sg::Snapshot> g_snapshots;  // taken but not yet restored
uint32_t g_next_id = 1;

Napi::Error coded(Napi::Env env, const CodedError &e) {
    Napi::Error err = Napi::Error::New(env, e.what());
    err.Set("code", Napi::String::New(env, e.code()));
    if (e.err() != 0) err.Set("errno", Napi::Number::New(env, e.err()));
    return err;
}

// snapshot() → id
Napi::Value Snapshot(const Napi::CallbackInfo &info) {
    try {
        sg::Snapshot snap = sg::take_snapshot();
        std::lock_guard<std::mutex> lock(g_mu);
        const uint32_t id = g_next_id++;
        g_snapshots.emplace(id, snap);
        return Napi::Number::New(info.Env(), id);
    } catch (const CodedError &e) {
        throw coded(info.Env(), e);
    }
}

// restore(id) → [{signal, replacedBy}]; each id restores once.
Napi::Value Restore(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    try {
        if (info.Length() < 1 || !info[0].IsNumber())
            throw CodedError("HAX_ERR_SIGGUARD", "restore(id): id must be the number snapshot() returned");
        const uint32_t id = info[0].As<Napi::Number>().Uint32Value();
        sg::Snapshot snap;
        {
            std::lock_guard<std::mutex> lock(g_mu);
            auto it = g_snapshots.find(id);
            if (it == g_snapshots.end())
                throw CodedError("HAX_ERR_SIGGUARD", "restore(" + std::to_string(id) + "): no such snapshot (never taken, or already restored)");
            snap = it->second;
            g_snapshots.erase(it);
        }
        const std::vector<sg::Restored> restored = sg::restore_changed(snap);
        Napi::Array out = Napi::Array::New(env, restored.size());
        for (std::size_t i = 0; i < restored.size(); ++i) {
            Napi::Object o = Napi::Object::New(env);
            o.Set("signal", Napi::String::New(env, restored[i].signal));
            o.Set("replacedBy", Napi::String::New(env, restored[i].replaced_by));
            out.Set(uint32_t(i), o);
        }
        return out;
    } catch (const CodedError &e) {
        throw coded(env, e);
    }
}

// current() → [{signal, owner}]: who handles each watched signal now. For
// tests and diagnostics; restores nothing.
Napi::Value Current(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    try {
        const sg::Snapshot now = sg::take_snapshot();
        Napi::Array out = Napi::Array::New(env, now.size());
        for (std::size_t i = 0; i < now.size(); ++i) {
            Napi::Object o = Napi::Object::New(env);
            o.Set("signal", Napi::String::New(env, sg::kWatched[i].name));
            o.Set("owner", Napi::String::New(env, sg::handler_owner(now[i])));
            out.Set(uint32_t(i), o);
        }
        return out;
    } catch (const CodedError &e) {
        throw coded(env, e);
    }
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
    exports.Set("snapshot", Napi::Function::New(env, Snapshot, "snapshot"));
    exports.Set("restore", Napi::Function::New(env, Restore, "restore"));
    exports.Set("current", Napi::Function::New(env, Current, "current"));
    return exports;
}

} // namespace

NODE_API_MODULE(sigguard, Init)
