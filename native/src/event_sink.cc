#include "event_sink.h"

#include <memory>

namespace hax {
namespace {

// Events become JS objects through the C API with every status checked, not
// through node-addon-api's wrappers: while a worker's environment is being
// torn down, a wrapper's failed call throws a Napi::Error whose own
// construction fails too, and node-addon-api then aborts the whole process
// ("Error::Error napi_define_properties", seen in test/native/worker under
// load). A failed call here just marks the batch undeliverable.
class JsBuilder {
public:
    explicit JsBuilder(napi_env env) : env_(env) {}
    bool ok() const { return ok_; }

    napi_value object() { napi_value v = nullptr; check(napi_create_object(env_, &v)); return v; }
    napi_value array(size_t n) { napi_value v = nullptr; check(napi_create_array_with_length(env_, n, &v)); return v; }
    napi_value number(double d) { napi_value v = nullptr; if (ok_) check(napi_create_double(env_, d, &v)); return v; }
    napi_value boolean(bool b) { napi_value v = nullptr; if (ok_) check(napi_get_boolean(env_, b, &v)); return v; }
    napi_value bigint(uint64_t u) { napi_value v = nullptr; if (ok_) check(napi_create_bigint_uint64(env_, u, &v)); return v; }
    napi_value string(const std::string &str) {
        napi_value v = nullptr;
        if (ok_) check(napi_create_string_utf8(env_, str.data(), str.size(), &v));
        return v;
    }
    napi_value string(const char *str) { napi_value v = nullptr; if (ok_) check(napi_create_string_utf8(env_, str, NAPI_AUTO_LENGTH, &v)); return v; }
    napi_value buffer(const std::vector<uint8_t> &bytes) {
        napi_value v = nullptr;
        void *data = nullptr;
        if (ok_) check(napi_create_buffer_copy(env_, bytes.size(), bytes.data(), &data, &v));
        return v;
    }
    void set(napi_value obj, const char *key, napi_value v) {
        if (ok_ && obj != nullptr && v != nullptr) check(napi_set_named_property(env_, obj, key, v));
        else ok_ = false;
    }
    void set(napi_value arr, uint32_t i, napi_value v) {
        if (ok_ && arr != nullptr && v != nullptr) check(napi_set_element(env_, arr, i, v));
        else ok_ = false;
    }

private:
    void check(napi_status st) { if (st != napi_ok) ok_ = false; }
    napi_env env_;
    bool ok_ = true;
};

napi_value fid_to_js(JsBuilder &b, const Fid &f) {
    napi_value o = b.object();
    b.set(o, "container", b.bigint(f.container));
    b.set(o, "key", b.bigint(f.key));
    return o;
}

napi_value u128_to_js(JsBuilder &b, const U128 &v) {
    napi_value o = b.object();
    b.set(o, "hi", b.bigint(v.hi));
    b.set(o, "lo", b.bigint(v.lo));
    return o;
}

napi_value ids_to_js(JsBuilder &b, const U128 &local, const U128 &remote) {
    napi_value o = b.object();
    b.set(o, "local", u128_to_js(b, local));
    b.set(o, "remote", u128_to_js(b, remote));
    return o;
}

const char *type_name(EventType t) {
    switch (t) {
    case EventType::Listening: return "listening";
    case EventType::Entrypoint: return "entrypoint";
    case EventType::LinkConnected: return "link-connected";
    case EventType::LinkReused: return "link-reused";
    case EventType::LinkAbsent: return "link-absent";
    case EventType::Received: return "received";
    case EventType::Delivered: return "delivered";
    case EventType::NotDelivered: return "not-delivered";
    case EventType::Disconnecting: return "disconnecting";
    case EventType::Disconnected: return "disconnected";
    case EventType::ProtocolError: return "protocol-error";
    case EventType::IoError: return "io-error";
    }
    return "unknown";
}

napi_value event_to_js(JsBuilder &b, const Event &e) {
    napi_value o = b.object();
    b.set(o, "type", b.string(type_name(e.type)));
    switch (e.type) {
    case EventType::Listening:
        b.set(o, "address", b.string(e.text1));
        b.set(o, "cookie", b.buffer(e.bytes));
        break;
    case EventType::Entrypoint:
        b.set(o, "reqId", b.number(double(e.req_id)));
        b.set(o, "remote", b.string(e.text1));
        b.set(o, "fop", b.buffer(e.bytes));
        break;
    case EventType::LinkConnected:
    case EventType::LinkReused:
        b.set(o, "reqId", b.number(double(e.req_id)));
        b.set(o, "linkId", b.number(double(e.link_id)));
        b.set(o, "processFid", fid_to_js(b, e.fid));
        b.set(o, "ids", ids_to_js(b, e.id_local, e.id_remote));
        break;
    case EventType::LinkAbsent:
        b.set(o, "reqId", b.number(double(e.req_id)));
        break;
    case EventType::Received:
        b.set(o, "linkId", b.number(double(e.link_id)));
        b.set(o, "tag", b.number(double(e.tag)));
        b.set(o, "msg", b.buffer(e.bytes));
        break;
    case EventType::Delivered:
    case EventType::NotDelivered:
        b.set(o, "linkId", b.number(double(e.link_id)));
        b.set(o, "tag", b.number(double(e.tag)));
        break;
    case EventType::Disconnecting:
    case EventType::Disconnected:
        b.set(o, "linkId", b.number(double(e.link_id)));
        if (!e.code.empty()) {  // dropped by a limit (link_limits.h): why
            b.set(o, "code", b.string(e.code));
            b.set(o, "message", b.string(e.message));
        }
        break;
    case EventType::ProtocolError:
        b.set(o, "remote", b.string(e.text1));
        b.set(o, "code", b.string(e.code));
        b.set(o, "message", b.string(e.message));
        break;
    case EventType::IoError:
        b.set(o, "code", b.string(e.code));
        b.set(o, "errno", b.number(double(e.err)));
        b.set(o, "message", b.string(e.message));
        break;
    }
    return o;
}

} // namespace

void deliver_batch(Napi::Env env, Napi::Function cb, EventSink *sink, EventBatch *raw) {
    std::unique_ptr<EventBatch> batch(raw);  // freed on every path, env or not
    size_t n = batch->size();
    struct Consumed {
        EventSink *s; size_t n;
        ~Consumed() { s->consumed(n); }
    } consumed{sink, n};
    if (env == nullptr || cb.IsEmpty()) return;
    // Node opens a handle scope around every TSFN call_js.
    JsBuilder b(env);
    napi_value arr = b.array(n);
    for (size_t i = 0; i < n && b.ok(); ++i) b.set(arr, uint32_t(i), event_to_js(b, (*batch)[i]));
    // Building JS values fails only while the environment is being torn down
    // (no JS can run any more): the batch is dropped.
    if (!b.ok()) return;
    napi_value recv = nullptr, result = nullptr;
    if (napi_get_undefined(env, &recv) != napi_ok) return;
    if (napi_call_function(env, recv, cb, 1, &arr, &result) == napi_pending_exception) {
        // A throwing handler must not vanish: make it an uncaught exception
        // (unless the environment is going away and the "exception" is its termination).
        napi_value err = nullptr;
        if (napi_get_and_clear_last_exception(env, &err) != napi_ok || err == nullptr) return;
        napi_valuetype t = napi_undefined;
        if (napi_typeof(env, err, &t) == napi_ok && t != napi_undefined) napi_fatal_exception(env, err);
    }
}

void EventSink::push(Event e) {
    pending_.push_back(std::move(e));
    if (pending_.size() >= limit_) flush();
}

void EventSink::push_all(std::vector<Event> &events) {
    for (auto &e : events) push(std::move(e));
    events.clear();
}

void EventSink::flush() {
    if (pending_.empty()) return;
    size_t n = pending_.size();
    {
        // Queue full: block here (TCP back-pressure, see header).
        std::unique_lock<std::mutex> lk(mu_);
        cv_.wait(lk, [&] { return aborted_ || queued_.load() == 0 || queued_.load() + n <= limit_; });
        if (aborted_) { pending_.clear(); return; }
        queued_ += n;
    }
    auto *batch = new EventBatch(std::move(pending_));
    pending_.clear();
    if (tsfn_.BlockingCall(batch) != napi_ok) {
        // TSFN closing: the callback will never run, so undo the accounting.
        delete batch;
        consumed(n);
    }
}

void EventSink::post_now(std::vector<Event> events) {
    if (events.empty()) return;
    size_t n = events.size();
    {
        std::lock_guard<std::mutex> lk(mu_);
        if (aborted_) return;
        queued_ += n;
    }
    auto *batch = new EventBatch(std::move(events));
    // The TSFN's own queue is unbounded (max_queue_size 0): never blocks.
    if (tsfn_.BlockingCall(batch) != napi_ok) {
        delete batch;
        consumed(n);
    }
}

void EventSink::release() { tsfn_.Release(); }

void EventSink::abort() {
    std::lock_guard<std::mutex> lk(mu_);
    aborted_ = true;
    cv_.notify_all();
}

void EventSink::consumed(size_t n) {
    std::lock_guard<std::mutex> lk(mu_);
    queued_ -= n;
    cv_.notify_all();
}

} // namespace hax
