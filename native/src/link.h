// The HA side of one m0_ha_link (motr-ha-wire.md §7, ha-link-socket.md §4):
// two tag queues, stop-and-wait sending, piggy-backed delivery tags.
// Pure state machine: it never touches sockets. IoLoop feeds it frames and
// asks it for the next LINK_MSG to put on the wire; events it produces are
// appended to an output vector in the order they happen.
#pragma once
#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <set>
#include <vector>

#include "event.h"
#include "wire_types.h"

namespace hax {

class Link {
public:
    using Clock = std::chrono::steady_clock;
    static constexpr std::chrono::milliseconds kResendInterval{1000};  // ha/ha.c: 1 s

    // `params` is the HA side's view (local = hax). Out tags are hax's odd
    // tags, in tags the peer's even ones (or continued tags on reconnect).
    Link(uint32_t id, const LinkParams &params, const Fid &process_fid);

    uint32_t id() const { return id_; }
    const LinkParams &params() const { return params_; }
    const Fid &process_fid() const { return process_fid_; }
    uint64_t out_assign() const { return out_.assign; }

    // The connection the peer last used for this link; 0 = none open.
    uint64_t conn_id() const { return conn_id_; }
    void bind(uint64_t conn_id) { conn_id_ = conn_id; orphaned_at_.reset(); }
    // Since when no connection of the peer is open for this link (none while bound).
    std::optional<Clock::time_point> orphaned_at() const { return orphaned_at_; }
    // What hax sent on it that the peer has not confirmed: messages and bytes.
    size_t unconfirmed() const { return out_q_.size(); }
    size_t unconfirmed_bytes() const { return out_bytes_; }
    // The bound connection closed: an unanswered LINK_MSG will be sent again
    // once the peer comes back on another connection.
    void connection_lost(Clock::time_point now = Clock::now());

    // A LINK_MSG addressed to this link (ids and connection id already
    // checked). Returns the reply (rc 0) to send with the request's xid.
    LinkMsgRep on_link_msg(const LinkMsgFop &fop, std::vector<Event> &out);
    // The reply to our in-flight LINK_MSG, if `xid` matches it.
    bool on_reply(uint64_t xid, const LinkMsgRep &rep, Clock::time_point now, std::vector<Event> &out);

    // JS queued a message; `tag` was assigned by send() and equals out.assign.
    void enqueue(uint64_t tag, std::vector<uint8_t> msg);
    // JS consumed an incoming message.
    void mark_delivered(uint64_t tag);

    // Stop-and-wait: the next LINK_MSG to send now, if any (message, pure
    // acknowledgement, or a re-send of an unanswered one after 1 s).
    std::optional<LinkMsgFop> poll(Clock::time_point now);
    // Records that the fop returned by poll() went out with `xid`.
    void sent(uint64_t xid, Clock::time_point now);
    // When poll() may next have something to do because of time alone.
    std::optional<Clock::time_point> deadline() const;

    // disconnect(): nothing new is sent from now on, but the link stays until
    // the peer has been told that everything it sent was delivered — a
    // process that stops cleanly waits for that (m0_ha_flush) — or until
    // `until`. IoLoop then stops it.
    void begin_drain(Clock::time_point until);
    bool draining() const { return drain_until_.has_value(); }
    // Draining and nothing left to tell the peer: every received message was
    // delivered by JS and a LINK_MSG carrying that was answered; or the time
    // is up, or the peer's connection is gone (nobody left to tell).
    bool drained(Clock::time_point now) const;

    // The link stops (disconnect or shim stop): every unconfirmed message is
    // reported not-delivered, in send order. Idempotent.
    void stop(std::vector<Event> &out);
    bool stopped() const { return stopped_; }

private:
    void tags_update(uint64_t in_delivered, std::vector<Event> &out);
    void unsend();

    struct OutMsg {
        uint64_t tag;
        std::vector<uint8_t> bytes;
    };
    struct Inflight {
        bool active = false;
        uint64_t xid = 0;
        uint64_t tag = 0;             // 0: pure acknowledgement
        uint64_t in_delivered = 0;    // what this fop told the peer
        Clock::time_point sent_at;
    };

    uint32_t id_;
    LinkParams params_;
    Fid process_fid_;
    uint64_t conn_id_ = 0;
    LinkTags out_, in_;
    std::deque<OutMsg> out_q_;        // tags out_.confirmed .. out_.assign-2
    std::set<uint64_t> in_marked_;    // delivered() out of order, above in_.delivered
    uint64_t in_confirmed_ = 0;       // in.delivered value the peer has acknowledged
    Inflight inflight_;
    std::optional<Clock::time_point> retry_at_;  // after a failed reply
    uint64_t seq_ = 0;
    bool stopped_ = false;
    std::optional<Clock::time_point> drain_until_;
    std::optional<Clock::time_point> orphaned_at_;
    size_t out_bytes_ = 0;
};

} // namespace hax
