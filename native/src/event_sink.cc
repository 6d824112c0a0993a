#include "event_sink.h"

#include <memory>

namespace hax {
namespace {

Napi::Object fid_to_js(Napi::Env env, const Fid &f) {
    auto o = Napi::Object::New(env);
    o.Set("container", Napi::BigInt::New(env, f.container));
    o.Set("key", Napi::BigInt::New(env, f.key));
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

Napi::Object event_to_js(Napi::Env env, const Event &e) {
    auto o = Napi::Object::New(env);
    o.Set("type", type_name(e.type));
    auto bytes = [&] { return Napi::Buffer<uint8_t>::Copy(env, e.bytes.data(), e.bytes.size()); };
    switch (e.type) {
    case EventType::Listening:
        o.Set("address", e.text1);
        break;
    case EventType::Entrypoint:
        o.Set("reqId", double(e.req_id));
        o.Set("remote", e.text1);
        o.Set("first", e.first);
        o.Set("fop", bytes());
        break;
    case EventType::LinkConnected:
    case EventType::LinkReused:
        o.Set("reqId", double(e.req_id));
        o.Set("linkId", double(e.link_id));
        o.Set("processFid", fid_to_js(env, e.fid));
        break;
    case EventType::LinkAbsent:
        o.Set("reqId", double(e.req_id));
        break;
    case EventType::Received:
        o.Set("linkId", double(e.link_id));
        o.Set("tag", double(e.tag));
        o.Set("msg", bytes());
        break;
    case EventType::Delivered:
    case EventType::NotDelivered:
        o.Set("linkId", double(e.link_id));
        o.Set("tag", double(e.tag));
        break;
    case EventType::Disconnecting:
    case EventType::Disconnected:
        o.Set("linkId", double(e.link_id));
        break;
    case EventType::ProtocolError:
        o.Set("remote", e.text1);
        o.Set("code", e.code);
        o.Set("message", e.message);
        break;
    case EventType::IoError:
        o.Set("code", e.code);
        o.Set("errno", double(e.err));
        o.Set("message", e.message);
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
    Napi::Array arr;
    try {
        // Node opens a handle scope around every TSFN call_js.
        arr = Napi::Array::New(env, n);
        for (size_t i = 0; i < n; ++i) arr.Set(uint32_t(i), event_to_js(env, (*batch)[i]));
    } catch (const Napi::Error &) {
        // Building JS values fails only while the environment is being torn
        // down (no JS can run any more): drop the batch. Letting the error
        // escape would std::terminate the process.
        return;
    }
    try {
        cb.Call({arr});
    } catch (const Napi::Error &err) {
        // A throwing handler must not vanish: make it an uncaught exception.
        napi_fatal_exception(env, err.Value());
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
