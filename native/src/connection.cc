#include "connection.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace hax {

bool Connection::send(uint32_t opcode, uint64_t xid, const std::vector<uint8_t> &body) {
    auto frame = encode_frame(opcode, xid, body);
    out_.insert(out_.end(), frame.begin(), frame.end());
    return flush();
}

bool Connection::flush() {
    while (out_off_ < out_.size()) {
        // MSG_NOSIGNAL: a peer that vanished must give EPIPE, not SIGPIPE
        // (which would kill the whole Node process).
        ssize_t n = ::send(fd_.get(), out_.data() + out_off_, out_.size() - out_off_, MSG_NOSIGNAL);
        if (n > 0) { out_off_ += size_t(n); continue; }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        errno_ = n < 0 ? errno : EPIPE;
        return false;
    }
    if (out_off_ == out_.size()) { out_.clear(); out_off_ = 0; }
    else if (out_off_ > (1u << 20)) { out_.erase(out_.begin(), out_.begin() + long(out_off_)); out_off_ = 0; }
    return true;
}

long Connection::read_some() {
    uint8_t buf[65536];
    for (;;) {
        ssize_t n = ::read(fd_.get(), buf, sizeof buf);
        if (n > 0) { decoder_.feed(buf, size_t(n)); return long(n); }
        if (n == 0) return 0;
        if (errno == EINTR) continue;
        errno_ = errno;
        return -1;
    }
}

} // namespace hax
