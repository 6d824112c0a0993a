// The `motr` backend (ha-link-socket.md §6): the same events and calls as the
// socket backend, on libmotr's m0_halon_interface instead of our own sockets.
// Compiled only with HAX_WITH_MOTR (CMake finds libmotr). docs/native.md,
// "The motr backend", explains the threads; in short:
//
// * main Motr thread (ShimCore::thread): init, start, stop and fini, all on
//   this one thread as libmotr requires (§1.6). start() blocks until the
//   self entrypoint is answered and stop() until every link is disconnected
//   and the self link flushed (§1.5), so nothing else runs on it.
// * call thread (ours, adopted with m0_halon_interface_thread_adopt): drains
//   the CommandQueue and makes every non-blocking libmotr call
//   (entrypoint_reply, send, delivered, disconnect). The JS thread never
//   calls libmotr. The call thread never waits for JS, because JS waits for
//   it in send(): events it produces (link connected/reused/absent run
//   inside entrypoint_reply) go out with EventSink::post_now, outside the
//   bound.
// * Motr locality threads: run the callbacks, which become Events under
//   sink_mu_ (EventSink's bounded path is single-producer) and may block on
//   a full queue (back-pressure on Motr's FOMs: a slow JS consumer slows
//   Motr down). They hold no other lock while blocked.
#pragma once
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "command_queue.h"
#include "event_sink.h"
#include "registry.h"
#include "stats.h"
#include "wire_types.h"

namespace hax {

class MotrBackend {
public:
    struct Options {
        std::string endpoint;    // local RPC endpoint, e.g. inet:tcp:127.0.0.1@22001
        Fid process, ha_service, rm_service;
        std::string node_uuid;   // may be empty
    };
    MotrBackend(Options options, EventSink &sink, Registry &registry, CommandQueue &commands, Stats &stats);

    // Main Motr thread (the ShimCore thread body). Returns after Stop, once
    // stop() and fini() returned; failures become io-error events.
    void run();

    // JS thread. Hands the message to the call thread and waits for the tag
    // libmotr assigned (the call never waits for the network). Returns the
    // tag, or a negative errno when the bytes did not decode.
    int64_t send(uint32_t link_id, std::vector<uint8_t> msg);

    // How long a link libmotr reported disconnecting and hax wants gone may
    // wait to become quiet (hax_halon_link_quiet) before disconnect() is
    // passed to libmotr anyway: a peer that died never answers.
    static constexpr std::chrono::milliseconds kQuietLimit{5000};
    static constexpr std::chrono::milliseconds kQuietPoll{50};

    // Locality threads / call thread (via halon_glue's C callbacks).
    void on_entrypoint(uint64_t req, const char *remote, Fid process, const uint8_t *fop, size_t len, bool first);
    void on_received(void *link, const void *msg, uint64_t tag, const uint8_t *bytes, size_t len);
    void on_tag(EventType type, void *link, uint64_t tag);
    void on_link(EventType type, uint64_t req, void *link);
    void on_absent(uint64_t req);
    void on_disconnecting(void *link);
    void on_disconnected(void *link);

private:
    void call_loop();                        // call thread
    void execute(Command &cmd);              // call thread
    void deliver_all_outstanding();          // call thread, at Stop
    void disconnect_quiet_links();           // call thread, every wake-up
    int poll_timeout_ms();                   // call thread
    void emit(Event e);                      // any producer thread; never blocks the call thread
    uint32_t id_of(void *link);              // under mu_

    Options options_;
    EventSink &sink_;
    Registry &registry_;
    CommandQueue &commands_;
    Stats &stats_;
    std::thread call_thread_;
    std::atomic<std::thread::id> call_thread_id_{};

    std::mutex sink_mu_;                     // serialises producers on sink_'s bounded path
    std::mutex mu_;                          // everything below; never held while waiting
    std::condition_variable cv_;
    bool stop_requested_ = false;            // main thread waits on it
    bool stopping_ = false;                  // callbacks auto-deliver / auto-disconnect
    bool call_thread_exit_ = false;
    uint32_t next_link_id_ = 1;
    std::unordered_map<void *, uint32_t> ids_;
    std::unordered_map<uint32_t, void *> links_;
    // libmotr wants exactly one disconnect() per link, after
    // link_is_disconnecting (reported) and hax asked for it (wanted), once
    // the peer has been told about everything hax received (or due passed).
    struct Closing {
        bool reported = false, wanted = false, issued = false;
        std::chrono::steady_clock::time_point due{};
    };
    std::unordered_map<uint32_t, Closing> closing_;
    std::unordered_map<uint64_t, Fid> request_fids_;
    std::map<std::pair<uint32_t, uint64_t>, const void *> undelivered_;  // (link, tag) -> m0_ha_msg*
    uint64_t next_ticket_ = 1;
    std::unordered_map<uint64_t, std::promise<int64_t>> send_waits_;
};

} // namespace hax
