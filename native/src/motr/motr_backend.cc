#include "motr/motr_backend.h"

#include <poll.h>

#include <cerrno>

#include "motr/halon_glue.h"
#include "util/errno_text.h"

namespace hax {
namespace {

MotrBackend *self(void *ctx) { return static_cast<MotrBackend *>(ctx); }
Fid fid_of(const hax_fid *f) { return Fid{f->container, f->key}; }
hax_fid glue_fid(const Fid &f) { return hax_fid{f.container, f.key}; }

// C trampolines: libmotr's callbacks (locality threads; connected / reused /
// absent on the call thread) into the backend.
const hax_halon_callbacks kCallbacks = {
    nullptr,
    [](void *c, uint64_t req, const char *remote, const hax_fid *p, const uint8_t *fop, size_t n, int first) {
        self(c)->on_entrypoint(req, remote, fid_of(p), fop, n, first != 0);
    },
    [](void *c, void *l, const void *m, uint64_t tag, const uint8_t *b, size_t n) { self(c)->on_received(l, m, tag, b, n); },
    [](void *c, void *l, uint64_t tag) { self(c)->on_tag(EventType::Delivered, l, tag); },
    [](void *c, void *l, uint64_t tag) { self(c)->on_tag(EventType::NotDelivered, l, tag); },
    [](void *c, uint64_t req, void *l) { self(c)->on_link(EventType::LinkConnected, req, l); },
    [](void *c, uint64_t req, void *l) { self(c)->on_link(EventType::LinkReused, req, l); },
    [](void *c, uint64_t req) { self(c)->on_absent(req); },
    [](void *c, void *l) { self(c)->on_disconnecting(l); },
    [](void *c, void *l) { self(c)->on_disconnected(l); },
};

Event io_event(const std::string &what, int rc) {
    IoError r = io_error("HAX_ERR_MOTR", rc < 0 ? -rc : rc, what);
    Event e{EventType::IoError};
    e.code = r.code;
    e.err = r.err;
    e.message = r.message;
    return e;
}

} // namespace

MotrBackend::MotrBackend(Options options, EventSink &sink, Registry &registry, CommandQueue &commands, Stats &stats)
    : options_(std::move(options)), sink_(sink), registry_(registry), commands_(commands), stats_(stats) {}

// Main Motr thread.
void MotrBackend::run() {
    int rc = hax_halon_init(options_.node_uuid.empty() ? nullptr : options_.node_uuid.c_str());
    if (rc != 0) {
        emit(io_event("m0_halon_interface_init", rc));
        sink_.flush();
        return;
    }
    // The call thread must exist before start(): start() blocks until JS's
    // answer to the self entrypoint has been passed to libmotr by it.
    call_thread_ = std::thread([this] { call_loop(); });
    hax_halon_callbacks cbs = kCallbacks;
    cbs.ctx = this;
    hax_fid p = glue_fid(options_.process), h = glue_fid(options_.ha_service), r = glue_fid(options_.rm_service);
    rc = hax_halon_start(options_.endpoint.c_str(), &p, &h, &r, &cbs);
    if (rc != 0) {
        emit(io_event("m0_halon_interface_start on " + options_.endpoint, rc));
    } else {
        Event l{EventType::Listening};
        l.text1 = "motr:" + options_.endpoint;
        emit(std::move(l));
        std::unique_lock<std::mutex> lk(mu_);
        cv_.wait(lk, [&] { return stop_requested_; });
    }
    // stop(): the callbacks now deliver and disconnect by themselves
    // (stopping_), since JS may no longer call in. It returns once every
    // link is disconnected and the self link flushed (§1.5).
    if (rc == 0) hax_halon_stop();
    {
        std::lock_guard<std::mutex> lk(mu_);
        call_thread_exit_ = true;
    }
    Command wake;  // Stop again: wakes the call thread's poll
    commands_.push(std::move(wake));
    call_thread_.join();
    hax_halon_fini();
    {
        std::lock_guard<std::mutex> lk(registry_.mu);
        registry_.stopped = true;
        registry_.links.clear();
        registry_.pending_requests.clear();
    }
    stats_.links = 0;
    sink_.flush();
}

// Call thread.
void MotrBackend::call_loop() {
    call_thread_id_.store(std::this_thread::get_id());
    int rc = hax_halon_adopt();
    if (rc != 0) emit(io_event("m0_halon_interface_thread_adopt", rc));
    for (;;) {
        pollfd pfd{commands_.wake_fd(), POLLIN, 0};
        ::poll(&pfd, 1, poll_timeout_ms());
        for (auto &cmd : commands_.take()) execute(cmd);
        disconnect_quiet_links();
        std::lock_guard<std::mutex> lk(mu_);
        if (call_thread_exit_) break;
    }
    hax_halon_shun();
}

// Call thread.
void MotrBackend::execute(Command &cmd) {
    switch (cmd.kind) {
    case Command::Kind::EntrypointReply: {
        std::vector<hax_fid> fids;
        std::vector<const char *> eps;
        for (auto &c : cmd.rep.confds) {
            fids.push_back(glue_fid(c.fid));
            eps.push_back(c.endpoint.c_str());
        }
        hax_fid rm = glue_fid(cmd.rep.rm_fid);
        // libmotr makes the link decision itself here (m0_halon_interface):
        // cmd.plan, the core's plan for the socket backend, is not used; a
        // reject plan still answers, with the core's rc (-EINVAL).
        // link_connected / reused / absent run inside, on this thread.
        hax_halon_entrypoint_reply(cmd.req_id, cmd.rc, uint32_t(fids.size()), fids.data(), eps.data(), cmd.rep.quorum,
                                   &rm, cmd.rep.rm_endpoint.c_str());
        break;
    }
    case Command::Kind::Send: {
        void *link = nullptr;
        {
            std::lock_guard<std::mutex> lk(mu_);
            auto it = links_.find(cmd.link_id);
            if (it != links_.end()) link = it->second;
        }
        uint64_t tag = 0;
        int rc = link ? hax_halon_send(link, cmd.msg.data(), cmd.msg.size(), &tag) : -ENOENT;
        std::lock_guard<std::mutex> lk(mu_);
        auto w = send_waits_.find(cmd.tag);  // cmd.tag carries the ticket
        if (w != send_waits_.end()) {
            w->second.set_value(rc == 0 ? int64_t(tag) : int64_t(rc));
            send_waits_.erase(w);
        }
        break;
    }
    case Command::Kind::Delivered: {
        void *link = nullptr;
        const void *msg = nullptr;
        {
            std::lock_guard<std::mutex> lk(mu_);
            auto it = undelivered_.find({cmd.link_id, cmd.tag});
            if (it == undelivered_.end()) break;  // link gone meanwhile: a no-op, as with sockets
            msg = it->second;
            undelivered_.erase(it);
            link = links_[cmd.link_id];
        }
        hax_halon_delivered(link, msg);
        break;
    }
    case Command::Kind::Disconnect: {
        // Remembered; disconnect_quiet_links() passes it on when libmotr has
        // reported the link disconnecting and the link is quiet.
        std::lock_guard<std::mutex> lk(mu_);
        auto it = closing_.find(cmd.link_id);
        if (it == closing_.end() || it->second.wanted) break;  // link gone, or asked already
        it->second.wanted = true;
        if (it->second.reported) it->second.due = std::chrono::steady_clock::now() + kQuietLimit;
        break;
    }
    case Command::Kind::Stop: {
        std::lock_guard<std::mutex> lk(mu_);
        if (stop_requested_) break;
        stop_requested_ = true;
        stopping_ = true;
        cv_.notify_all();
        break;
    }
    }
    if (cmd.kind == Command::Kind::Stop) deliver_all_outstanding();
}

// Call thread: JS can no longer deliver, but stop() waits for the self
// link's messages to be acknowledged (§1.5 step 7).
void MotrBackend::deliver_all_outstanding() {
    std::vector<std::pair<void *, const void *>> todo;
    {
        std::lock_guard<std::mutex> lk(mu_);
        for (auto &kv : undelivered_) todo.emplace_back(links_[kv.first.first], kv.second);
        undelivered_.clear();
    }
    for (auto &t : todo) hax_halon_delivered(t.first, t.second);
}

// JS thread.
int64_t MotrBackend::send(uint32_t link_id, std::vector<uint8_t> msg) {
    std::future<int64_t> done;
    Command cmd;
    cmd.kind = Command::Kind::Send;
    cmd.link_id = link_id;
    cmd.msg = std::move(msg);
    {
        std::lock_guard<std::mutex> lk(mu_);
        cmd.tag = next_ticket_++;
        done = send_waits_[cmd.tag].get_future();
    }
    commands_.push(std::move(cmd));
    return done.get();
}

// Call thread. A process that stops cleanly waits in m0_ha_flush() until
// hax's delivery confirmation of its last message reaches it; libmotr drops
// that confirmation if the link is disconnected first. So disconnect() waits
// until JS delivered everything received on the link and libmotr's outgoing
// FOM sent the confirmation and got its answer, or until `due`.
void MotrBackend::disconnect_quiet_links() {
    std::vector<void *> ready;
    {
        std::lock_guard<std::mutex> lk(mu_);
        auto now = std::chrono::steady_clock::now();
        for (auto &kv : closing_) {
            Closing &c = kv.second;
            if (!c.reported || !c.wanted || c.issued) continue;
            bool held = false;  // a received message JS has not delivered yet
            for (auto &u : undelivered_)
                if (u.first.first == kv.first) { held = true; break; }
            void *link = links_[kv.first];
            if ((!held && hax_halon_link_quiet(link)) || now >= c.due) {
                c.issued = true;
                ready.push_back(link);
            }
        }
    }
    for (void *link : ready) hax_halon_disconnect(link);
}

int MotrBackend::poll_timeout_ms() {
    std::lock_guard<std::mutex> lk(mu_);
    for (auto &kv : closing_)
        if (kv.second.reported && kv.second.wanted && !kv.second.issued) return int(kQuietPoll.count());
    return -1;
}

// Producer threads. The call thread must never wait for JS (JS may be
// waiting for it in send()), so its events go out without the bound.
void MotrBackend::emit(Event e) {
    if (std::this_thread::get_id() == call_thread_id_.load()) {
        std::vector<Event> one;
        one.push_back(std::move(e));
        sink_.post_now(std::move(one));
        return;
    }
    std::lock_guard<std::mutex> lk(sink_mu_);
    sink_.push(std::move(e));
    sink_.flush();
}

uint32_t MotrBackend::id_of(void *link) {
    auto it = ids_.find(link);
    return it == ids_.end() ? 0 : it->second;
}

void MotrBackend::on_entrypoint(uint64_t req, const char *remote, Fid process, const uint8_t *fop, size_t len, bool first) {
    {
        std::lock_guard<std::mutex> lk(registry_.mu);
        registry_.pending_requests.insert(uint32_t(req));
    }
    Event e{EventType::Entrypoint};
    e.req_id = uint32_t(req);
    e.text1 = remote ? remote : "";
    (void)first;   // the core reads it from the fop, as for the socket backend
    e.fid = process;
    e.bytes.assign(fop, fop + len);
    {
        std::lock_guard<std::mutex> lk(mu_);
        request_fids_[req] = process;
    }
    emit(std::move(e));
}

void MotrBackend::on_received(void *link, const void *msg, uint64_t tag, const uint8_t *bytes, size_t len) {
    Event e{EventType::Received};
    bool auto_deliver;
    {
        std::lock_guard<std::mutex> lk(mu_);
        e.link_id = id_of(link);
        auto_deliver = stopping_;
        if (!auto_deliver) undelivered_[{e.link_id, tag}] = msg;
    }
    e.tag = tag;
    e.bytes.assign(bytes, bytes + len);
    emit(std::move(e));
    if (auto_deliver) hax_halon_delivered(link, msg);  // allowed inside a callback (§1.6)
}

void MotrBackend::on_tag(EventType type, void *link, uint64_t tag) {
    Event e{type};
    {
        std::lock_guard<std::mutex> lk(mu_);
        e.link_id = id_of(link);
    }
    e.tag = tag;
    emit(std::move(e));
}

void MotrBackend::on_link(EventType type, uint64_t req, void *link) {
    Event e{type};
    e.req_id = uint32_t(req);
    {
        std::lock_guard<std::mutex> lk(mu_);
        uint32_t id = id_of(link);
        if (id == 0) {
            id = next_link_id_++;
            ids_[link] = id;
            links_[id] = link;
            closing_[id] = Closing{};
        }
        e.link_id = id;
        e.fid = request_fids_[req];
        request_fids_.erase(req);
    }
    {
        std::lock_guard<std::mutex> lk(registry_.mu);
        registry_.links.emplace(e.link_id, Registry::LinkEntry{});
        stats_.links = uint32_t(registry_.links.size());
    }
    emit(std::move(e));
}

void MotrBackend::on_absent(uint64_t req) {
    Event e{EventType::LinkAbsent};
    e.req_id = uint32_t(req);
    {
        std::lock_guard<std::mutex> lk(mu_);
        request_fids_.erase(req);
    }
    emit(std::move(e));
}

void MotrBackend::on_disconnecting(void *link) {
    Event e{EventType::Disconnecting};
    bool now;
    {
        std::lock_guard<std::mutex> lk(mu_);
        e.link_id = id_of(link);
        Closing &c = closing_[e.link_id];
        c.reported = true;
        c.due = std::chrono::steady_clock::now() + kQuietLimit;
        now = stopping_ && !c.issued;
        if (now) c.issued = true;  // stop(): JS can no longer answer
    }
    {
        std::lock_guard<std::mutex> lk(registry_.mu);
        auto it = registry_.links.find(e.link_id);
        if (it != registry_.links.end()) it->second.closing = true;  // send() now refuses
    }
    emit(std::move(e));
    if (now) hax_halon_disconnect(link);  // stop() waits for it (§1.5 step 8)
    commands_.wake();                     // the call thread starts watching for quiet
}

void MotrBackend::on_disconnected(void *link) {
    Event e{EventType::Disconnected};
    {
        std::lock_guard<std::mutex> lk(mu_);
        e.link_id = id_of(link);
        ids_.erase(link);
        links_.erase(e.link_id);
        closing_.erase(e.link_id);
        for (auto it = undelivered_.begin(); it != undelivered_.end();)
            it = it->first.first == e.link_id ? undelivered_.erase(it) : std::next(it);
    }
    {
        std::lock_guard<std::mutex> lk(registry_.mu);
        registry_.links.erase(e.link_id);
        stats_.links = uint32_t(registry_.links.size());
    }
    emit(std::move(e));
}

} // namespace hax
