#include "link.h"

#include "fop_codec.h"

namespace hax {

Link::Link(uint32_t id, const LinkParams &params, const Fid &process_fid)
    : id_(id), params_(params), process_fid_(process_fid), out_(params.tags_local),
      in_(params.tags_remote), in_confirmed_(params.tags_remote.delivered) {}

void Link::connection_lost(Clock::time_point now) {
    if (conn_id_ != 0 || !orphaned_at_) orphaned_at_ = now;
    conn_id_ = 0;
    unsend();
}

// m0_ha_lq_try_unnext: the in-flight message goes back to "not sent yet".
void Link::unsend() {
    if (inflight_.active && inflight_.tag != 0 && inflight_.tag >= out_.delivered && inflight_.tag < out_.next)
        out_.next = inflight_.tag;
    inflight_ = Inflight{};
}

LinkMsgRep Link::on_link_msg(const LinkMsgFop &fop, std::vector<Event> &out) {
    if (fop.msg_nr == 1 && !stopped_) {
        uint64_t tag = ha_msg_tag(fop.msg);
        // Accept only the tag the in-queue expects next (or 0 = "assign
        // one"); anything else is a duplicate re-send or out of order: drop
        // it, but still answer (ha_link_msg_received).
        if (tag == 0 || tag == in_.assign) {
            Event e{EventType::Received};
            e.link_id = id_;
            e.tag = in_.assign;
            e.bytes = fop.msg;
            ha_msg_set_tag(e.bytes, in_.assign);
            in_.assign += 2;
            in_.next = in_.assign;  // handed to JS at once
            out.push_back(std::move(e));
        }
    }
    if (!stopped_) tags_update(fop.in_delivered, out);
    return LinkMsgRep{0, out_.next, in_.delivered};
}

// ha_link_tags_update: the peer has consumed every tag below in_delivered.
void Link::tags_update(uint64_t in_delivered, std::vector<Event> &out) {
    if (in_delivered > out_.assign) in_delivered = out_.assign;  // never beyond what we sent
    if (out_.next < in_delivered) out_.next = in_delivered;
    while (!out_q_.empty() && out_q_.front().tag < in_delivered) {
        Event e{EventType::Delivered};
        e.link_id = id_;
        e.tag = out_q_.front().tag;
        out.push_back(std::move(e));
        out_bytes_ -= out_q_.front().bytes.size();
        out_q_.pop_front();
    }
    if (in_delivered > out_.delivered) out_.delivered = out_.confirmed = in_delivered;
}

bool Link::on_reply(uint64_t xid, const LinkMsgRep &rep, Clock::time_point now, std::vector<Event> &out) {
    if (!inflight_.active || inflight_.xid != xid) return false;  // stale: answered a re-send already
    if (rep.rc != 0) {
        // -ENOLINK / -EBADSLT: the peer does not know this link (any more).
        // Motr's HA side keeps retrying every second until disconnected.
        unsend();
        retry_at_ = now + kResendInterval;
        return true;
    }
    if (inflight_.in_delivered > in_confirmed_) in_confirmed_ = inflight_.in_delivered;
    inflight_ = Inflight{};
    retry_at_.reset();
    if (!stopped_) tags_update(rep.in_delivered, out);
    return true;
}

void Link::enqueue(uint64_t tag, std::vector<uint8_t> msg) {
    if (stopped_) return;
    // send() on the JS thread assigned `tag` from the registry, which mirrors
    // out_.assign; commands arrive in assignment order.
    out_.assign = tag + 2;
    out_bytes_ += msg.size();
    out_q_.push_back(OutMsg{tag, std::move(msg)});
}

void Link::mark_delivered(uint64_t tag) {
    if (stopped_ || tag < in_.delivered || tag >= in_.assign || (tag - in_.delivered) % 2 != 0) return;
    in_marked_.insert(tag);
    // m0_ha_lq_mark_delivered: advance over the contiguous run only.
    while (!in_marked_.empty() && *in_marked_.begin() == in_.delivered) {
        in_marked_.erase(in_marked_.begin());
        in_.delivered += 2;
    }
}

std::optional<LinkMsgFop> Link::poll(Clock::time_point now) {
    if (stopped_ || conn_id_ == 0) return std::nullopt;
    if (inflight_.active) {
        if (now - inflight_.sent_at < kResendInterval) return std::nullopt;
        unsend();  // unanswered for 1 s: send again as a new request
    }
    if (retry_at_ && now < *retry_at_) return std::nullopt;
    bool has_msg = out_.next < out_.assign && !draining();  // draining: acknowledgements only
    bool need_ack = in_.delivered > in_confirmed_;
    if (!has_msg && !need_ack) return std::nullopt;

    LinkMsgFop fop;
    if (has_msg) {
        const OutMsg &m = out_q_.at(size_t((out_.next - out_q_.front().tag) / 2));
        fop.msg_nr = 1;
        fop.msg = m.bytes;
        inflight_.tag = m.tag;
        out_.next += 2;
    } else {
        inflight_.tag = 0;  // pure acknowledgement (msg_nr 0)
    }
    fop.id_local = params_.id_local;
    fop.id_remote = params_.id_remote;
    fop.id_connection = params_.id_connection;
    fop.out_next = out_.next;
    fop.in_delivered = in_.delivered;
    fop.seq = ++seq_;
    inflight_.in_delivered = in_.delivered;
    return fop;
}

void Link::sent(uint64_t xid, Clock::time_point now) {
    inflight_.active = true;
    inflight_.xid = xid;
    inflight_.sent_at = now;
}

std::optional<Link::Clock::time_point> Link::deadline() const {
    if (stopped_) return std::nullopt;
    std::optional<Clock::time_point> d;
    if (conn_id_ != 0) {
        if (inflight_.active) d = inflight_.sent_at + kResendInterval;
        else if (retry_at_) d = *retry_at_;
    }
    if (drain_until_ && (!d || *drain_until_ < *d)) d = drain_until_;
    return d;
}

void Link::begin_drain(Clock::time_point until) {
    if (!stopped_ && !drain_until_) drain_until_ = until;
}

bool Link::drained(Clock::time_point now) const {
    if (!drain_until_) return false;
    if (now >= *drain_until_ || conn_id_ == 0) return true;
    return !inflight_.active && in_.delivered == in_.assign && in_confirmed_ >= in_.delivered;
}

void Link::stop(std::vector<Event> &out) {
    if (stopped_) return;
    stopped_ = true;
    // Like hln_no_new_delivered: from now on nothing is "delivered"; what is
    // still queued may or may not have arrived.
    for (const auto &m : out_q_) {
        Event e{EventType::NotDelivered};
        e.link_id = id_;
        e.tag = m.tag;
        out.push_back(std::move(e));
    }
    out_q_.clear();
    out_bytes_ = 0;
    inflight_ = Inflight{};
    Event d{EventType::Disconnected};
    d.link_id = id_;
    out.push_back(std::move(d));
}

} // namespace hax
