// The I/O thread: one epoll loop that owns every socket, every link and all
// wire bytes. It never runs on the JS thread and never throws toward JS:
// failures become 'io-error' / 'protocol-error' events. It takes no
// decision: it passes entrypoint requests on undecoded, and performs the
// core's link plan (new, reconnect, reuse, absent, reject) when JS answers;
// a plan it cannot perform (no room for a link, the link is gone) is answered
// QUERY and reported, so the peer asks again.
#pragma once
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <memory>
#include <string>
#include <vector>

#include "command_queue.h"
#include "connection.h"
#include "event_sink.h"
#include "link.h"
#include "link_limits.h"
#include "listener.h"
#include "registry.h"
#include "stats.h"
#include "util/unique_fd.h"
#include "wire_types.h"

namespace hax {

class IoLoop {
public:
    IoLoop(std::vector<Listener> listeners, EventSink &sink, Registry &registry, CommandQueue &commands,
           Stats &stats, const HaCookie &cookie, const LinkLimits &limits = LinkLimits{});
    // Thread body. Returns after a Stop command, once every link has been
    // reported disconnected and every socket is closed.
    void run();

private:
    using Clock = std::chrono::steady_clock;
    struct PendingRequest {
        uint64_t conn_id;
        uint64_t xid;
    };

    void on_accept(size_t index);
    void pause_listener(size_t index, Clock::time_point now);
    void resume_listeners(Clock::time_point now);
    void on_readable(Connection &c);
    void handle_frame(Connection &c, Frame &f);
    void handle_entrypoint_req(Connection &c, Frame &f);
    void handle_link_msg(Connection &c, Frame &f);
    void handle_link_msg_rep(Connection &c, Frame &f);
    void run_commands();
    void entrypoint_reply(Command &cmd);
    void disconnect_link(uint32_t link_id);
    void stop_drained_links(Clock::time_point now);
    // Drops a link at once (no drain: its peer is not keeping up or is
    // gone), telling JS why in the `disconnecting` event.
    void drop_link(uint32_t link_id, const std::string &code, const std::string &message);
    // LinkLimits: orphaned links, unconfirmed bytes over all links,
    // half-sent frames, peers that do not read. Once per loop iteration.
    void enforce_limits(Clock::time_point now);
    // Reports a plan the loop could not perform (the reply then says QUERY).
    void plan_refused(uint64_t conn_id, const std::string &code, const std::string &message);
    Link &add_link(const LinkParams &ha_params, const Fid &process_fid);
    void pump_links();
    int next_timeout_ms() const;

    void send_on(Connection &c, uint32_t opcode, uint64_t xid, const std::vector<uint8_t> &body);
    void update_interest(Connection &c);
    void protocol_error(Connection &c, const std::string &code, const std::string &message);
    void io_error(const std::string &code, int err, const std::string &message);
    void close_conn(uint64_t id);
    void sweep_broken();
    void shutdown();
    void emit(std::vector<Event> &events) { sink_.push_all(events); }

    std::vector<Listener> listeners_;
    // A listener whose accept() failed (EMFILE, ENFILE, ENOBUFS …) is taken
    // out of the level-triggered epoll set until this time, so the loop does
    // not spin on a connection it cannot accept (kAcceptPause).
    std::vector<std::optional<Clock::time_point>> listener_paused_;
    EventSink &sink_;
    Registry &registry_;
    CommandQueue &commands_;
    Stats &stats_;
    HaCookie cookie_;
    LinkLimits limits_;
    UniqueFd epoll_;
    bool stopping_ = false;

    std::map<uint64_t, std::unique_ptr<Connection>> conns_;
    std::vector<uint64_t> broken_;          // connections to close at a safe point
    std::map<uint32_t, std::unique_ptr<Link>> links_;
    std::map<uint32_t, PendingRequest> pending_;
    uint64_t next_conn_id_ = 1;
    uint32_t next_req_id_ = 1;
    uint32_t next_link_js_id_ = 1;
    uint64_t next_motr_link_id_ = 1;         // ha_link_id_next: {0, n}, n from 1
    uint64_t next_generation_ = 1;           // ha_generation_next
};

} // namespace hax
