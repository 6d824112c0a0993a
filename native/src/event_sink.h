// Carries events from the I/O thread to JavaScript.
//
// * Batches: the I/O thread collects the events of one loop iteration and
//   hands them over in ONE thread-safe-function call (an array), so a burst
//   of frames costs one JS callback, not one per frame. Order is the order
//   of push(), hence in order per link.
// * Bounded: at most `limit` events may be queued toward JS. When the queue
//   is full, flush() BLOCKS the I/O thread until JS has consumed enough.
//   While blocked the I/O thread reads no socket, so the kernel buffers fill
//   and TCP flow control pushes back on the peers. That is the intended
//   back-pressure: a slow JS consumer slows Motr down instead of growing
//   memory without bound. (Calls from JS still queue; they run when space
//   frees.) abort() unblocks it at teardown.
// * Payloads are owned by the batch and freed in the JS-side callback even
//   when env is null (TSFN being torn down with calls still queued).
#pragma once
#include <napi.h>

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <vector>

#include "event.h"

namespace hax {

class EventSink;
using EventBatch = std::vector<Event>;
void deliver_batch(Napi::Env env, Napi::Function cb, EventSink *sink, EventBatch *batch);
using EventTsfn = Napi::TypedThreadSafeFunction<EventSink, EventBatch, deliver_batch>;

class EventSink {
public:
    explicit EventSink(size_t limit) : limit_(limit ? limit : 1) {}

    // JS thread, once, before the I/O thread starts.
    void attach(EventTsfn tsfn) { tsfn_ = std::move(tsfn); }
    EventTsfn &tsfn() { return tsfn_; }

    // I/O thread.
    void push(Event e);
    void push_all(std::vector<Event> &events);
    void flush();
    void release();  // after the last flush; lets the TSFN finalize

    // Any thread: hands `events` to JS at once, outside the bound, never
    // waiting. For a producer that must not wait for JS because JS may be
    // waiting for it (the motr backend's call thread, motr_backend.h).
    void post_now(std::vector<Event> events);

    // Any thread.
    size_t queued() const { return queued_.load(); }
    void abort();

    // JS thread (deliver_batch): `n` events left the queue.
    void consumed(size_t n);

    // Runs on the JS thread when the TSFN finalizes (joins the I/O thread,
    // resolves stop() promises).
    std::function<void(Napi::Env)> on_finalize;

private:
    const size_t limit_;
    EventTsfn tsfn_;
    EventBatch pending_;
    std::atomic<size_t> queued_{0};
    std::mutex mu_;
    std::condition_variable cv_;
    bool aborted_ = false;
};

} // namespace hax
