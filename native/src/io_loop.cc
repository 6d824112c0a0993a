#include "io_loop.h"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <algorithm>
#include <cerrno>

#include "fop_codec.h"
#include "util/errno_text.h"

namespace hax {
namespace {

// epoll_event.data.u64 keys: connections use their id (< 2^62).
constexpr uint64_t kKeyWake = uint64_t(2) << 62;
constexpr uint64_t kKeyListener = uint64_t(1) << 62;
// How long a listener sleeps after accept() failed for lack of resources.
constexpr std::chrono::milliseconds kAcceptPause{100};
// How long a disconnected link may drain (wait for the peer to hear that its
// messages were delivered) before it stops anyway; Motr's HA side gives a
// link about as long before it declares the peer unreachable.
constexpr std::chrono::milliseconds kDrainLimit{5000};

// m0_ha_link_reconnect_params (ha/link.c): hax restarted, the peer is alive.
// The peer keeps its tags but re-sends from its delivered tag; the new HA
// side continues from the peer's view.
void reconnect_params(const LinkParams &alive, LinkParams &alive_new, LinkParams &dead_new,
                      const U128 &id_alive, const U128 &id_dead, const U128 &id_connection) {
    const LinkTags &l = alive.tags_local;
    const LinkTags &r = alive.tags_remote;
    alive_new.id_local = id_alive;
    alive_new.id_remote = id_dead;
    alive_new.id_connection = id_connection;
    alive_new.tags_local = {l.confirmed, l.delivered, l.delivered, l.assign};
    alive_new.tags_remote = {r.confirmed, r.delivered, r.next, r.assign};
    dead_new.id_local = id_dead;
    dead_new.id_remote = id_alive;
    dead_new.id_connection = id_connection;
    dead_new.tags_local = {r.delivered, r.delivered, r.next, r.next};
    dead_new.tags_remote = {l.delivered, l.delivered, l.delivered, l.delivered};
}

// The cookie as 5 little-endian u64 words: pid, time_start, uptime, uuid hi, uuid lo.
std::vector<uint8_t> cookie_bytes(const HaCookie &c) {
    const uint64_t w[5] = {c.pid, c.time_start, c.uptime, c.uuid.hi, c.uuid.lo};
    std::vector<uint8_t> out(40);
    for (int i = 0; i < 5; ++i)
        for (int b = 0; b < 8; ++b) out[size_t(i * 8 + b)] = uint8_t(w[i] >> (8 * b));
    return out;
}

} // namespace

IoLoop::IoLoop(std::vector<Listener> listeners, EventSink &sink, Registry &registry, CommandQueue &commands,
               Stats &stats, const HaCookie &cookie, const LinkLimits &limits)
    : listeners_(std::move(listeners)), listener_paused_(listeners_.size()), sink_(sink), registry_(registry),
      commands_(commands), stats_(stats), cookie_(cookie), limits_(limits) {}

void IoLoop::run() {
    epoll_.reset(::epoll_create1(EPOLL_CLOEXEC));
    if (!epoll_.valid()) {
        io_error("HAX_ERR_IO", errno, "epoll_create1");
        stopping_ = true;
    } else {
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u64 = kKeyWake;
        ::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, commands_.wake_fd(), &ev);
        for (size_t i = 0; i < listeners_.size(); ++i) {
            ev.data.u64 = kKeyListener | i;
            ::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, listeners_[i].fd(), &ev);
            Event e{EventType::Listening};
            e.text1 = listeners_[i].address();
            e.bytes = cookie_bytes(cookie_);   // a peer quotes it back when hax dropped its link: the core compares
            sink_.push(std::move(e));
        }
    }
    sink_.flush();

    epoll_event evs[64];
    while (!stopping_) {
        int n = ::epoll_wait(epoll_.get(), evs, 64, next_timeout_ms());
        if (n < 0) {
            if (errno != EINTR) io_error("HAX_ERR_IO", errno, "epoll_wait");
            n = 0;
        }
        for (int i = 0; i < n && !stopping_; ++i) {
            uint64_t key = evs[i].data.u64;
            if (key == kKeyWake) {
                run_commands();
            } else if (key & kKeyListener) {
                on_accept(size_t(key & ~kKeyListener));
            } else {
                auto it = conns_.find(key);
                if (it == conns_.end()) continue;  // closed earlier in this batch
                Connection &c = *it->second;
                if (evs[i].events & EPOLLOUT) {
                    if (!c.flush()) broken_.push_back(c.id());
                    else update_interest(c);
                }
                if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) on_readable(c);
            }
            sweep_broken();
        }
        if (!stopping_) {
            resume_listeners(Clock::now());
            pump_links();
            stop_drained_links(Clock::now());
            enforce_limits(Clock::now());
        }
        sweep_broken();
        // One batch per iteration; blocks here when JS is behind (see
        // event_sink.h: this is the back-pressure point).
        sink_.flush();
    }
    shutdown();
}

// I/O thread. Accepts every pending connection of listener `index`.
void IoLoop::on_accept(size_t index) {
    if (index >= listeners_.size() || listener_paused_[index]) return;
    for (;;) {
        std::string remote;
        int fd = listeners_[index].accept_one(remote);
        if (fd < 0) {
            int err = errno;
            if (err == EAGAIN || err == EWOULDBLOCK) return;
            if (err == EINTR || err == ECONNABORTED || err == EPROTO) continue;
            // EMFILE, ENFILE, ENOBUFS, ENOMEM …: the connection stays in the
            // backlog and the level-triggered listener would wake us again at
            // once. Stop listening for a while instead of spinning; one
            // io-error per pause.
            pause_listener(index, Clock::now());
            io_error("HAX_ERR_ACCEPT", err, "accept on " + listeners_[index].address() +
                                                " (not accepting for " + std::to_string(kAcceptPause.count()) + " ms)");
            return;
        }
        // Stop-and-wait sends small frames and waits for the answer: with
        // Nagle's algorithm a frame can sit behind the peer's delayed ACK
        // for ~40 ms. Unix sockets reject the option; that is fine.
        int one = 1;
        (void)::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        uint64_t id = next_conn_id_++;
        auto conn = std::make_unique<Connection>(id, UniqueFd(fd), remote);
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u64 = id;
        if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) {
            io_error("HAX_ERR_IO", errno, "epoll_ctl add " + remote);
            continue;
        }
        conns_.emplace(id, std::move(conn));
        stats_.connections = uint32_t(conns_.size());
    }
}

// I/O thread.
void IoLoop::pause_listener(size_t index, Clock::time_point now) {
    epoll_event ev{};
    ev.events = 0;  // stays registered, reports nothing
    ev.data.u64 = kKeyListener | index;
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, listeners_[index].fd(), &ev);
    listener_paused_[index] = now + kAcceptPause;
    stats_.accept_pauses++;
}

// I/O thread, once per loop iteration.
void IoLoop::resume_listeners(Clock::time_point now) {
    for (size_t i = 0; i < listeners_.size(); ++i) {
        if (!listener_paused_[i] || *listener_paused_[i] > now) continue;
        listener_paused_[i].reset();
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u64 = kKeyListener | i;
        ::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, listeners_[i].fd(), &ev);
    }
}

void IoLoop::on_readable(Connection &c) {
    long n = c.read_some();
    if (n == 0) { broken_.push_back(c.id()); return; }  // orderly EOF
    if (n < 0) {
        int err = c.last_errno();
        if (err != EAGAIN && err != EWOULDBLOCK) broken_.push_back(c.id());  // reset etc.: just close
        return;
    }
    uint64_t id = c.id();
    for (;;) {
        if (std::find(broken_.begin(), broken_.end(), id) != broken_.end()) return;
        Frame f;
        std::string code, reason;
        auto st = c.decoder().next(f, code, reason);
        if (st == FrameDecoder::Status::NeedMore) return;
        if (st == FrameDecoder::Status::Error) { protocol_error(c, code, reason); return; }
        handle_frame(c, f);
    }
}

void IoLoop::handle_frame(Connection &c, Frame &f) {
    switch (f.opcode) {
    case kOpEntrypointReq: handle_entrypoint_req(c, f); break;
    case kOpLinkMsg: handle_link_msg(c, f); break;
    case kOpLinkMsgRep: handle_link_msg_rep(c, f); break;
    default:
        // ENTRYPOINT_REP only ever flows hax -> peer.
        protocol_error(c, "HAX_ERR_UNEXPECTED_OPCODE",
                       "opcode " + std::to_string(f.opcode) + " is never sent to hax");
    }
}

// The request goes to JS as it came: the core decodes it (once) and decides.
void IoLoop::handle_entrypoint_req(Connection &c, Frame &f) {
    uint32_t req_id = next_req_id_++;
    {
        std::lock_guard<std::mutex> lk(registry_.mu);
        registry_.pending_requests.insert(req_id);
    }
    Event e{EventType::Entrypoint};
    e.req_id = req_id;
    e.text1 = c.remote();
    e.bytes = std::move(f.body);
    pending_.emplace(req_id, PendingRequest{c.id(), f.xid});
    sink_.push(std::move(e));
}

void IoLoop::handle_link_msg(Connection &c, Frame &f) {
    LinkMsgFop fop;
    if (auto err = decode_link_msg(f.body.data(), f.body.size(), fop)) {
        protocol_error(c, err->code, err->message);
        return;
    }
    Link *link = nullptr;
    for (auto &kv : links_)
        if (!kv.second->stopped() && kv.second->params().id_local == fop.id_remote) { link = kv.second.get(); break; }
    LinkMsgRep rep;
    if (link == nullptr) {
        rep.rc = kErrNoLink;
    } else if (link->params().id_connection != fop.id_connection) {
        rep.rc = kErrBadSlot;
    } else {
        // The link follows the peer to whatever connection it uses now.
        if (link->conn_id() != c.id()) { link->connection_lost(); link->bind(c.id()); }
        std::vector<Event> events;
        rep = link->on_link_msg(fop, events);
        emit(events);
    }
    send_on(c, kOpLinkMsgRep, f.xid, encode_link_msg_rep(rep));
}

void IoLoop::handle_link_msg_rep(Connection &c, Frame &f) {
    LinkMsgRep rep;
    if (auto err = decode_link_msg_rep(f.body.data(), f.body.size(), rep)) {
        protocol_error(c, err->code, err->message);
        return;
    }
    std::vector<Event> events;
    for (auto &kv : links_) {
        Link &l = *kv.second;
        if (l.conn_id() == c.id() && l.on_reply(f.xid, rep, Clock::now(), events)) break;
    }
    emit(events);  // a reply matching nothing answered an earlier send: ignore
}

void IoLoop::run_commands() {
    for (auto &cmd : commands_.take()) {
        switch (cmd.kind) {
        case Command::Kind::EntrypointReply: entrypoint_reply(cmd); break;
        case Command::Kind::Send: {
            auto it = links_.find(cmd.link_id);
            if (it == links_.end()) break;
            Link &l = *it->second;
            l.enqueue(cmd.tag, std::move(cmd.msg));
            if (l.unconfirmed() > limits_.max_unconfirmed || l.unconfirmed_bytes() > limits_.max_unconfirmed_bytes)
                drop_link(cmd.link_id, "HAX_ERR_LINK_BACKLOG",
                          "link " + std::to_string(cmd.link_id) + ": the peer has not confirmed " +
                              std::to_string(l.unconfirmed()) + " message(s), " + std::to_string(l.unconfirmed_bytes()) +
                              " bytes (limits " + std::to_string(limits_.max_unconfirmed) + ", " +
                              std::to_string(limits_.max_unconfirmed_bytes) + "); link dropped");
            break;
        }
        case Command::Kind::Delivered: {
            auto it = links_.find(cmd.link_id);
            if (it != links_.end()) it->second->mark_delivered(cmd.tag);
            break;
        }
        case Command::Kind::Disconnect: disconnect_link(cmd.link_id); break;
        case Command::Kind::Stop: stopping_ = true; break;
        }
    }
}

Link &IoLoop::add_link(const LinkParams &ha_params, const Fid &process_fid) {
    uint32_t id = next_link_js_id_++;
    auto link = std::make_unique<Link>(id, ha_params, process_fid);
    Link &ref = *link;
    links_.emplace(id, std::move(link));
    {
        std::lock_guard<std::mutex> lk(registry_.mu);
        registry_.links[id] = Registry::LinkEntry{ref.out_assign(), false};
    }
    stats_.links = uint32_t(links_.size());
    return ref;
}

void IoLoop::plan_refused(uint64_t conn_id, const std::string &code, const std::string &message) {
    Event w{EventType::ProtocolError};
    auto cc = conns_.find(conn_id);
    w.text1 = cc != conns_.end() ? cc->second->remote() : "";
    w.code = code;
    w.message = message;
    sink_.push(std::move(w));
}

// Performs the core's link plan (motr-ha-wire.md §4.5 / ha-link-socket.md §3
// say what each mode means on the wire) and sends the reply.
void IoLoop::entrypoint_reply(Command &cmd) {
    auto it = pending_.find(cmd.req_id);
    if (it == pending_.end()) return;
    PendingRequest pr = it->second;
    pending_.erase(it);
    const LinkPlan &plan = cmd.plan;
    using Mode = LinkPlan::Mode;

    if (plan.mode == Mode::Reject) {   // no reply: the bytes were no entrypoint request
        auto c = conns_.find(pr.conn_id);
        if (c != conns_.end()) protocol_error(*c->second, "HAX_ERR_BAD_FOP", plan.note);
        return;
    }
    EntrypointRep rep = std::move(cmd.rep);
    rep.control = plan.control;
    rep.link_params = LinkParams{};
    rep.do_reconnect = 0;
    rep.disconnected_previously = 0;
    rep.cookie = cookie_;

    Event e{EventType::LinkAbsent};
    e.req_id = cmd.req_id;
    e.fid = plan.process_fid;
    bool report = true;
    if ((plan.mode == Mode::New || plan.mode == Mode::Reconnect) && links_.size() >= limits_.max_links) {
        rep.control = kControlQuery;   // no room: the peer asks again
        plan_refused(pr.conn_id, "HAX_ERR_LINK_LIMIT", std::to_string(links_.size()) + " links held (limit " +
                                                           std::to_string(limits_.max_links) + "): entrypoint answered QUERY without a link");
        report = false;
    } else if (plan.mode == Mode::New || plan.mode == Mode::Reconnect) {
        uint64_t gen = next_generation_++;
        U128 id_connection{plan.generation, gen};
        U128 id_local{0, next_motr_link_id_++};
        U128 id_remote{0, next_motr_link_id_++};
        LinkParams ha;
        if (plan.mode == Mode::New) {
            ha = LinkParams{id_local, id_remote, id_connection, LinkTags::initial(false), LinkTags::initial(true)};
            rep.link_params = ha.inverted();
        } else {
            reconnect_params(plan.peer, rep.link_params, ha, id_remote, id_local, id_connection);
            rep.do_reconnect = 1;
        }
        Link &l = add_link(ha, plan.process_fid);
        l.bind(pr.conn_id);
        e.type = EventType::LinkConnected;
        e.link_id = l.id();
        e.id_local = ha.id_local;
        e.id_remote = ha.id_remote;
    } else if (plan.mode == Mode::Reuse) {
        auto found = links_.find(plan.link_id);
        if (found == links_.end() || found->second->stopped() || found->second->draining()) {
            rep.control = kControlQuery;   // gone since the core looked: the peer asks again and the core decides anew
            plan_refused(pr.conn_id, "HAX_ERR_LINK_GONE", "link " + std::to_string(plan.link_id) +
                                                              " to reuse is gone or draining: entrypoint answered QUERY without a link");
            report = false;
        } else {
            // Everyone is alive (e.g. rconfc re-query or a new connection): the reply's link params stay zero.
            Link &l = *found->second;
            if (l.conn_id() != pr.conn_id) { l.connection_lost(); l.bind(pr.conn_id); }
            e.type = EventType::LinkReused;
            e.link_id = l.id();
            e.id_local = l.params().id_local;
            e.id_remote = l.params().id_remote;
        }
    } else if (plan.mode == Mode::Absent) {
        rep.disconnected_previously = 1;   // hax knew this link and tore it down: the peer must die
    } else {
        report = false;                    // Mode::None: a reply without a link
    }
    if (report) sink_.push(std::move(e));

    auto c = conns_.find(pr.conn_id);
    if (c != conns_.end()) send_on(*c->second, kOpEntrypointRep, pr.xid, encode_entrypoint_rep(rep));
}

// "disconnecting" at once (send() already refuses), then the link drains:
// it stays until the peer has heard that everything it sent was delivered
// (stop_drained_links), so a process that stops cleanly is not left waiting
// in m0_ha_flush for a confirmation that never comes.
void IoLoop::disconnect_link(uint32_t link_id) {
    auto it = links_.find(link_id);
    if (it == links_.end() || it->second->draining()) return;
    std::vector<Event> events;
    Event d{EventType::Disconnecting};
    d.link_id = link_id;
    events.push_back(std::move(d));
    it->second->begin_drain(Clock::now() + kDrainLimit);
    emit(events);
}

void IoLoop::drop_link(uint32_t link_id, const std::string &code, const std::string &message) {
    auto it = links_.find(link_id);
    if (it == links_.end()) return;
    std::vector<Event> events;
    Event d{EventType::Disconnecting};
    d.link_id = link_id;
    d.code = code;
    d.message = message;
    events.push_back(std::move(d));
    it->second->stop(events);  // not-delivered..., disconnected
    {
        std::lock_guard<std::mutex> lk(registry_.mu);
        registry_.links.erase(link_id);
    }
    links_.erase(it);
    stats_.links = uint32_t(links_.size());
    emit(events);
}

void IoLoop::enforce_limits(Clock::time_point now) {
    std::vector<uint32_t> orphans;
    size_t total = 0;
    for (auto &kv : links_) {
        auto since = kv.second->orphaned_at();
        if (since && now - *since >= limits_.orphan_grace) orphans.push_back(kv.first);
        else total += kv.second->unconfirmed_bytes();
    }
    for (uint32_t id : orphans)
        drop_link(id, "HAX_ERR_LINK_ORPHANED",
                  "link " + std::to_string(id) + ": no connection from its peer for " +
                      std::to_string(limits_.orphan_grace.count()) + " ms; link dropped");
    while (total > limits_.max_unconfirmed_bytes_total) {
        auto worst = links_.end();
        for (auto it = links_.begin(); it != links_.end(); ++it)
            if (worst == links_.end() || it->second->unconfirmed_bytes() > worst->second->unconfirmed_bytes()) worst = it;
        if (worst == links_.end() || worst->second->unconfirmed_bytes() == 0) break;
        size_t bytes = worst->second->unconfirmed_bytes();
        total -= bytes;
        drop_link(worst->first, "HAX_ERR_LINK_BACKLOG",
                  "link " + std::to_string(worst->first) + ": " + std::to_string(bytes) +
                      " unconfirmed bytes, the most of any link, while all links hold more than " +
                      std::to_string(limits_.max_unconfirmed_bytes_total) + "; link dropped");
    }
    for (auto &kv : conns_) {
        Connection &c = *kv.second;
        if (std::find(broken_.begin(), broken_.end(), c.id()) != broken_.end()) continue;
        c.note_partial(now);
        if (c.partial_since() && now - *c.partial_since() >= limits_.partial_frame)
            protocol_error(c, "HAX_ERR_FRAME_TIMEOUT",
                           std::to_string(c.decoder().buffered()) + " byte(s) of a frame and no more for " +
                               std::to_string(limits_.partial_frame.count()) + " ms");
        else if (c.pending_output() > limits_.max_output_bytes)
            protocol_error(c, "HAX_ERR_PEER_NOT_READING",
                           std::to_string(c.pending_output()) + " reply bytes the peer does not read (limit " +
                               std::to_string(limits_.max_output_bytes) + ")");
    }
}

void IoLoop::stop_drained_links(Clock::time_point now) {
    std::vector<Event> events;
    for (auto it = links_.begin(); it != links_.end();) {
        if (!it->second->drained(now)) { ++it; continue; }
        it->second->stop(events);  // not-delivered..., disconnected
        {
            std::lock_guard<std::mutex> lk(registry_.mu);
            registry_.links.erase(it->first);
        }
        it = links_.erase(it);     // later LINK_MSGs for its ids get -ENOLINK
    }
    stats_.links = uint32_t(links_.size());
    if (!events.empty()) emit(events);
}

void IoLoop::pump_links() {
    auto now = Clock::now();
    for (auto &kv : links_) {
        Link &l = *kv.second;
        if (l.conn_id() == 0) continue;
        auto c = conns_.find(l.conn_id());
        if (c == conns_.end()) { l.connection_lost(); continue; }
        if (std::find(broken_.begin(), broken_.end(), l.conn_id()) != broken_.end()) continue;
        if (auto fop = l.poll(now)) {
            uint64_t xid = c->second->next_xid();
            l.sent(xid, now);
            send_on(*c->second, kOpLinkMsg, xid, encode_link_msg(*fop));
        }
    }
}

int IoLoop::next_timeout_ms() const {
    std::optional<Clock::time_point> first;
    for (auto &kv : links_) {
        auto d = kv.second->deadline();
        if (d && (!first || *d < *first)) first = d;
    }
    for (auto &d : listener_paused_)
        if (d && (!first || *d < *first)) first = d;
    for (auto &kv : links_) {
        auto since = kv.second->orphaned_at();
        if (since && (!first || *since + limits_.orphan_grace < *first)) first = *since + limits_.orphan_grace;
    }
    for (auto &kv : conns_) {
        auto since = kv.second->partial_since();
        if (since && (!first || *since + limits_.partial_frame < *first)) first = *since + limits_.partial_frame;
    }
    if (!first) return -1;
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(*first - Clock::now()).count() + 1;
    return ms < 0 ? 0 : int(std::min<long long>(ms, 60000));
}

void IoLoop::send_on(Connection &c, uint32_t opcode, uint64_t xid, const std::vector<uint8_t> &body) {
    if (!c.send(opcode, xid, body)) { broken_.push_back(c.id()); return; }
    update_interest(c);
}

void IoLoop::update_interest(Connection &c) {
    epoll_event ev{};
    ev.events = EPOLLIN | (c.wants_write() ? uint32_t(EPOLLOUT) : 0u);
    ev.data.u64 = c.id();
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, c.fd(), &ev);
}

void IoLoop::protocol_error(Connection &c, const std::string &code, const std::string &message) {
    stats_.protocol_errors++;
    Event e{EventType::ProtocolError};
    e.text1 = c.remote();
    e.code = code;
    e.message = message;
    sink_.push(std::move(e));
    broken_.push_back(c.id());  // close only this connection
}

void IoLoop::io_error(const std::string &code, int err, const std::string &message) {
    IoError r = hax::io_error(code, err, message);
    Event e{EventType::IoError};
    e.code = r.code;
    e.err = r.err;
    e.message = r.message;
    sink_.push(std::move(e));
}

void IoLoop::close_conn(uint64_t id) {
    auto it = conns_.find(id);
    if (it == conns_.end()) return;
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, it->second->fd(), nullptr);
    conns_.erase(it);  // UniqueFd closes the socket
    for (auto &kv : links_)
        if (kv.second->conn_id() == id) kv.second->connection_lost();
    stats_.connections = uint32_t(conns_.size());
}

void IoLoop::sweep_broken() {
    while (!broken_.empty()) {
        uint64_t id = broken_.back();
        broken_.pop_back();
        close_conn(id);
    }
}

void IoLoop::shutdown() {
    std::vector<Event> events;
    for (auto &kv : links_) {
        Event d{EventType::Disconnecting};
        d.link_id = kv.first;
        events.push_back(std::move(d));
        kv.second->stop(events);
    }
    links_.clear();
    {
        std::lock_guard<std::mutex> lk(registry_.mu);
        registry_.stopped = true;
        registry_.links.clear();
        registry_.pending_requests.clear();
    }
    pending_.clear();
    while (!conns_.empty()) close_conn(conns_.begin()->first);
    for (auto &l : listeners_) l.close();
    stats_.links = 0;
    stats_.connections = 0;
    emit(events);
    sink_.flush();
}

} // namespace hax
