#include "shim.h"

#include <cmath>

#include "cookie.h"
#include "fop_codec.h"
#include "ha_msg_size.h"
#include "js_values.h"
#include "listener.h"
#include "util/errno_text.h"
#include "util/le_bytes.h"

namespace hax {

void throw_coded(Napi::Env env, const std::string &code, const std::string &message, int err) {
    auto e = Napi::Error::New(env, message);
    e.Set("code", Napi::String::New(env, code));
    if (err != 0) e.Set("errno", Napi::Number::New(env, err));
    throw e;
}

namespace {

// The link send() may use: it exists and is not disconnecting. The caller
// holds registry.mu (both backends check here, before any work is queued).
Registry::LinkEntry &sendable_link(Napi::Env env, Registry &registry, uint32_t link_id) {
    auto it = registry.links.find(link_id);
    if (it == registry.links.end()) throw_coded(env, "HAX_ERR_UNKNOWN_LINK", "no link " + std::to_string(link_id));
    if (it->second.closing)
        throw_coded(env, "HAX_ERR_LINK_DISCONNECTING", "link " + std::to_string(link_id) + " is disconnecting");
    return it->second;
}

} // namespace

Napi::Function Shim::Define(Napi::Env env) {
    return DefineClass(env, "Shim",
                       {
                           InstanceMethod("entrypointReply", &Shim::EntrypointReply),
                           InstanceMethod("send", &Shim::Send),
                           InstanceMethod("delivered", &Shim::Delivered),
                           InstanceMethod("disconnect", &Shim::Disconnect),
                           InstanceMethod("stats", &Shim::GetStats),
                           InstanceMethod("stop", &Shim::Stop),
                           InstanceMethod("ref", &Shim::Ref),
                           InstanceMethod("unref", &Shim::Unref),
                       });
}

namespace {

size_t parse_queue_limit(Napi::Env env, Napi::Object opts) {
    size_t limit = 1024;
    auto ql = opts.Get("queueLimit");
    if (!ql.IsUndefined()) {
        double d = ql.IsNumber() ? ql.As<Napi::Number>().DoubleValue() : -1;
        if (!(d >= 1 && d <= 1e7 && std::floor(d) == d))
            throw_coded(env, "HAX_ERR_BAD_OPTIONS", "options.queueLimit must be an integer >= 1");
        limit = size_t(d);
    }
    return limit;
}

// options.limits (socket backend): every field optional, integers in range.
LinkLimits parse_limits(Napi::Env env, Napi::Object opts) {
    LinkLimits l;
    auto v = opts.Get("limits");
    if (v.IsUndefined()) return l;
    if (!v.IsObject()) throw_coded(env, "HAX_ERR_BAD_OPTIONS", "options.limits must be an object");
    auto o = v.As<Napi::Object>();
    auto num = [&](const char *name, double lo, double hi, auto set) {
        auto x = o.Get(name);
        if (x.IsUndefined()) return;
        double d = x.IsNumber() ? x.As<Napi::Number>().DoubleValue() : -1;
        if (!(d >= lo && d <= hi && std::floor(d) == d))
            throw_coded(env, "HAX_ERR_BAD_OPTIONS", std::string("options.limits.") + name + " must be an integer in [" +
                                                        std::to_string(uint64_t(lo)) + ", " + std::to_string(uint64_t(hi)) + "]");
        set(d);
    };
    num("maxLinks", 1, 1e6, [&](double d) { l.max_links = size_t(d); });
    num("maxUnconfirmed", 1, 1e6, [&](double d) { l.max_unconfirmed = size_t(d); });
    num("maxUnconfirmedBytes", 65536, 1e12, [&](double d) { l.max_unconfirmed_bytes = size_t(d); });
    num("maxUnconfirmedBytesTotal", 65536, 1e13, [&](double d) { l.max_unconfirmed_bytes_total = size_t(d); });
    num("orphanGraceMs", 100, 864e5, [&](double d) { l.orphan_grace = std::chrono::milliseconds(int64_t(d)); });
    num("partialFrameMs", 100, 36e5, [&](double d) { l.partial_frame = std::chrono::milliseconds(int64_t(d)); });
    num("maxOutputBytes", 65536, 1e12, [&](double d) { l.max_output_bytes = size_t(d); });
    return l;
}

} // namespace

Shim::Shim(const Napi::CallbackInfo &info) : Napi::ObjectWrap<Shim>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 2 || !info[0].IsObject() || !info[1].IsFunction())
        throw_coded(env, "HAX_ERR_BAD_OPTIONS", "Shim(options, onEvents) expects an object and a function");
    auto opts = info[0].As<Napi::Object>();
    size_t limit = parse_queue_limit(env, opts);
    LinkLimits link_limits = parse_limits(env, opts);
    std::string backend = "socket";
    auto b = opts.Get("backend");
    if (!b.IsUndefined()) {
        if (!b.IsString()) throw_coded(env, "HAX_ERR_BAD_OPTIONS", "options.backend must be 'socket' or 'motr'");
        backend = b.As<Napi::String>().Utf8Value();
        if (backend != "socket" && backend != "motr")
            throw_coded(env, "HAX_ERR_BAD_OPTIONS", "options.backend must be 'socket' or 'motr'");
    }
    if (backend == "motr" && !kHaveMotr)
        throw_coded(env, "HAX_ERR_NO_MOTR",
                    "this shim was built without libmotr (HAX_WITH_MOTR off): backend 'motr' is unavailable");

    std::vector<Listener> listeners;
    if (backend == "socket") {
        auto listen = opts.Get("listen");
        if (!listen.IsArray() || listen.As<Napi::Array>().Length() == 0)
            throw_coded(env, "HAX_ERR_BAD_OPTIONS", "options.listen must be a non-empty array of addresses");
        try {
            auto arr = listen.As<Napi::Array>();
            for (uint32_t i = 0; i < arr.Length(); ++i) {
                auto v = arr.Get(i);
                if (!v.IsString()) throw CodedError("HAX_ERR_BAD_OPTIONS", "options.listen entries must be strings");
                listeners.push_back(Listener::open(v.As<Napi::String>().Utf8Value()));
            }
        } catch (const CodedError &e) {
            throw_coded(env, e.code(), e.what(), e.err());  // Listener dtor closes/unlinks
        }
    }
    try {
        core_ = std::make_shared<ShimCore>(limit);
    } catch (const CodedError &e) {
        throw_coded(env, e.code(), e.what(), e.err());
    }
#ifdef HAX_WITH_MOTR
    if (backend == "motr") {
        auto m = opts.Get("motr");
        if (!m.IsObject()) throw_coded(env, "HAX_ERR_BAD_OPTIONS", "options.motr must be an object");
        auto mo = m.As<Napi::Object>();
        MotrBackend::Options o;
        o.endpoint = js_string(env, mo.Get("endpoint"), "motr.endpoint");
        o.process = js_fid(env, mo.Get("processFid"), "motr.processFid");
        o.ha_service = js_fid(env, mo.Get("haServiceFid"), "motr.haServiceFid");
        o.rm_service = js_fid(env, mo.Get("rmServiceFid"), "motr.rmServiceFid");
        if (mo.Has("nodeUuid")) o.node_uuid = js_string(env, mo.Get("nodeUuid"), "motr.nodeUuid");
        core_->motr = std::make_unique<MotrBackend>(std::move(o), core_->sink, core_->registry, core_->commands,
                                                   core_->stats);
    }
#endif

    ShimCore *core = core_.get();
    auto keep = core_;  // the finalizer owns a reference: core outlives the thread
    core->sink.on_finalize = [keep](Napi::Env env) {
        // Runs on the JS thread once the I/O thread released the TSFN and
        // every queued batch ran (or at env teardown).
        if (!keep->thread_done.load()) {
            // Env teardown while running (e.g. unref'd and Node exiting):
            // unblock and stop the thread before joining it.
            keep->sink.abort();
            Command c;
            c.kind = Command::Kind::Stop;
            keep->commands.push(std::move(c));
        }
        if (keep->thread.joinable()) keep->thread.join();
        keep->finalized = true;
        for (auto &d : keep->stop_waiters) {
            try { d.Resolve(env.Undefined()); } catch (...) {}
        }
        keep->stop_waiters.clear();
    };
    core->sink.attach(EventTsfn::New(env, info[1].As<Napi::Function>(), "hax-shim-events", 0, 1, &core->sink,
                                     [](Napi::Env env, void *, EventSink *sink) {
                                         auto fn = std::move(sink->on_finalize);
                                         if (fn) fn(env);
                                     }));
    if (backend == "socket")
        core->loop = std::make_unique<IoLoop>(std::move(listeners), core->sink, core->registry, core->commands,
                                              core->stats, make_cookie(), link_limits);
    core->thread = std::thread([core] {
        // The I/O thread (socket) or the main Motr thread (motr).
#ifdef HAX_WITH_MOTR
        if (core->motr) core->motr->run(); else
#endif
        core->loop->run();
        core->thread_done = true;
        core->sink.release();
    });
}

namespace {

void check_running(Napi::Env env, ShimCore &core) {
    if (core.stop_requested) throw_coded(env, "HAX_ERR_STOPPED", "the shim is stopped");
}

// The core's link plan (src/core/core-host.ts LinkPlan): {control, mode,
// linkId, generation, processFid, params[14], note}.
LinkPlan js_link_plan(Napi::Env env, Napi::Value v) {
    if (!v.IsObject()) throw_coded(env, "HAX_ERR_BAD_ARGUMENT", "link must be the core's link plan object");
    auto o = v.As<Napi::Object>();
    LinkPlan p;
    std::string control = js_string(env, o.Get("control"), "link.control");
    if (control == "consume") p.control = kControlConsume;
    else if (control == "query") p.control = kControlQuery;
    else throw_coded(env, "HAX_ERR_BAD_ARGUMENT", "link.control must be 'consume' or 'query', not '" + control + "'");
    static const char *const modes[] = {"none", "new", "reconnect", "reuse", "absent", "reject"};
    std::string mode = js_string(env, o.Get("mode"), "link.mode");
    bool known = false;
    for (int i = 0; i < 6; ++i)
        if (mode == modes[i]) { p.mode = LinkPlan::Mode(i); known = true; }
    if (!known) throw_coded(env, "HAX_ERR_BAD_ARGUMENT", "link.mode '" + mode + "' is none of none, new, reconnect, reuse, absent, reject");
    p.link_id = js_u32(env, o.Get("linkId"), "link.linkId");
    p.generation = js_u64(env, o.Get("generation"), "link.generation");
    p.process_fid = js_fid(env, o.Get("processFid"), "link.processFid");
    Napi::Value pv = o.Get("params");
    if (!pv.IsArray() || pv.As<Napi::Array>().Length() != 14)
        throw_coded(env, "HAX_ERR_BAD_ARGUMENT", "link.params must be the request's 14 link-param words");
    auto a = pv.As<Napi::Array>();
    uint64_t w[14];
    for (uint32_t i = 0; i < 14; ++i) w[i] = js_u64(env, a.Get(i), "link.params[]");
    p.peer.id_local = {w[0], w[1]};
    p.peer.id_remote = {w[2], w[3]};
    p.peer.id_connection = {w[4], w[5]};
    p.peer.tags_local = {w[6], w[7], w[8], w[9]};
    p.peer.tags_remote = {w[10], w[11], w[12], w[13]};
    p.note = js_string(env, o.Get("note"), "link.note");
    return p;
}

} // namespace

// entrypointReply(reqId, rc, confds[{fid, endpoint}], quorum, rmFid, rmEndpoint, link)
Napi::Value Shim::EntrypointReply(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    check_running(env, *core_);
    if (info.Length() < 7) throw_coded(env, "HAX_ERR_BAD_ARGUMENT", "entrypointReply needs 7 arguments (the last is the core's link plan)");
    Command cmd;
    cmd.kind = Command::Kind::EntrypointReply;
    cmd.req_id = js_u32(env, info[0], "reqId");
    cmd.rc = js_i32(env, info[1], "rc");
    if (!info[2].IsArray()) throw_coded(env, "HAX_ERR_BAD_ARGUMENT", "confds must be an array");
    auto confds = info[2].As<Napi::Array>();
    for (uint32_t i = 0; i < confds.Length(); ++i) {
        auto v = confds.Get(i);
        if (!v.IsObject()) throw_coded(env, "HAX_ERR_BAD_ARGUMENT", "confds[] entries must be objects");
        auto o = v.As<Napi::Object>();
        cmd.rep.confds.push_back(Confd{js_fid(env, o.Get("fid"), "confd.fid"), js_string(env, o.Get("endpoint"), "confd.endpoint")});
    }
    cmd.rep.quorum = js_u32(env, info[3], "quorum");
    cmd.rep.rm_fid = js_fid(env, info[4], "rmFid");
    cmd.rep.rm_endpoint = js_string(env, info[5], "rmEndpoint");
    cmd.plan = js_link_plan(env, info[6]);

    std::lock_guard<std::mutex> lk(core_->registry.mu);
    if (core_->registry.pending_requests.erase(cmd.req_id) == 0)
        throw_coded(env, "HAX_ERR_UNKNOWN_REQUEST", "no pending entrypoint request " + std::to_string(cmd.req_id));
    core_->commands.push(std::move(cmd));
    return env.Undefined();
}

// send(linkId, msg) -> tag
Napi::Value Shim::Send(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    check_running(env, *core_);
    uint32_t link_id = js_u32(env, info[0], "linkId");
    if (info.Length() < 2 || !info[1].IsTypedArray())
        throw_coded(env, "HAX_ERR_BAD_ARGUMENT", "msg must be a Uint8Array");
    auto ta = info[1].As<Napi::Uint8Array>();
    const uint8_t *p = ta.Data();
    size_t n = ta.ByteLength();
    // The bytes are opaque except for their length, which must be exactly
    // what hed_type implies: a bad message would desynchronise the peer.
    if (n < kHaMsgEmpty) throw_coded(env, "HAX_ERR_BAD_MESSAGE", "m0_ha_msg shorter than 80 bytes");
    uint64_t type = load_u64(p + kHaMsgTypeOffset);
    auto size = ha_msg_wire_size(type);
    if (!size) throw_coded(env, "HAX_ERR_UNKNOWN_MSG_TYPE", "unknown m0_ha_msg hed_type " + std::to_string(type));
    if (*size != n)
        throw_coded(env, "HAX_ERR_BAD_MESSAGE", "m0_ha_msg of hed_type " + std::to_string(type) + " must be " +
                                                    std::to_string(*size) + " bytes, got " + std::to_string(n));
#ifdef HAX_WITH_MOTR
    if (core_->motr) {
        {
            std::lock_guard<std::mutex> lk(core_->registry.mu);
            sendable_link(env, core_->registry, link_id);
        }
        // libmotr assigns the tag: wait (briefly, never for the network) for
        // the call thread to hand it back.
        int64_t tag = core_->motr->send(link_id, std::vector<uint8_t>(p, p + n));
        if (tag < 0) throw_coded(env, "HAX_ERR_BAD_MESSAGE", "libmotr could not decode the m0_ha_msg", int(-tag));
        return Napi::Number::New(env, double(tag));
    }
#endif
    Command cmd;
    cmd.kind = Command::Kind::Send;
    cmd.link_id = link_id;
    cmd.msg.assign(p, p + n);

    std::lock_guard<std::mutex> lk(core_->registry.mu);
    Registry::LinkEntry &link = sendable_link(env, core_->registry, link_id);
    uint64_t tag = link.out_assign;
    link.out_assign += 2;
    cmd.tag = tag;
    ha_msg_set_tag(cmd.msg, tag);
    core_->commands.push(std::move(cmd));  // under the registry lock: tag order == queue order
    return Napi::Number::New(env, double(tag));
}

Napi::Value Shim::Delivered(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    check_running(env, *core_);
    Command cmd;
    cmd.kind = Command::Kind::Delivered;
    cmd.link_id = js_u32(env, info[0], "linkId");
    cmd.tag = js_u64(env, info[1], "tag");
    // A link that went away meanwhile makes this a no-op, not an error: JS
    // may still be finishing messages of a link that just disconnected.
    core_->commands.push(std::move(cmd));
    return env.Undefined();
}

Napi::Value Shim::Disconnect(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    check_running(env, *core_);
    Command cmd;
    cmd.kind = Command::Kind::Disconnect;
    cmd.link_id = js_u32(env, info[0], "linkId");
    // "hax wants this link gone": asked once per link, whatever the backend
    // reported before. The backend passes it on when the transport allows
    // (libmotr: after link_is_disconnecting, which JS brings about with NVEC
    // {process, FAILED} on the self link, §1.7) and once the peer has been
    // told about every message hax delivered, so a process that stops
    // cleanly is never left waiting for its last confirmation.
    std::lock_guard<std::mutex> lk(core_->registry.mu);
    auto it = core_->registry.links.find(cmd.link_id);
    if (it == core_->registry.links.end())
        throw_coded(env, "HAX_ERR_UNKNOWN_LINK", "no link " + std::to_string(cmd.link_id));
    if (it->second.disconnect_requested) return env.Undefined();  // already on its way out
    it->second.disconnect_requested = true;
    it->second.closing = true;  // send() refuses from now on
    core_->commands.push(std::move(cmd));
    return env.Undefined();
}

Napi::Value Shim::GetStats(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    auto o = Napi::Object::New(env);
    o.Set("connections", double(core_->stats.connections.load()));
    o.Set("links", double(core_->stats.links.load()));
    o.Set("queuedEvents", double(core_->sink.queued()));
    o.Set("protocolErrors", double(core_->stats.protocol_errors.load()));
    o.Set("acceptPauses", double(core_->stats.accept_pauses.load()));
    return o;
}

Napi::Value Shim::Stop(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    auto d = Napi::Promise::Deferred::New(env);
    if (core_->finalized) {
        d.Resolve(env.Undefined());
        return d.Promise();
    }
    core_->stop_waiters.push_back(d);
    if (!core_->stop_requested) {
        core_->stop_requested = true;
        {
            std::lock_guard<std::mutex> lk(core_->registry.mu);
            core_->registry.stopped = true;
        }
        Command c;
        c.kind = Command::Kind::Stop;
        core_->commands.push(std::move(c));
    }
    return d.Promise();
}

// While listening the TSFN is ref'd (keeps Node alive); unref() lets the
// process exit while the shim is idle; ref() undoes it.
Napi::Value Shim::Ref(const Napi::CallbackInfo &info) {
    if (!core_->finalized) core_->sink.tsfn().Ref(info.Env());
    return info.Env().Undefined();
}

Napi::Value Shim::Unref(const Napi::CallbackInfo &info) {
    if (!core_->finalized) core_->sink.tsfn().Unref(info.Env());
    return info.Env().Undefined();
}

} // namespace hax
