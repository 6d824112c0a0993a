#include "cookie.h"

#include <fcntl.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <random>

#include "util/unique_fd.h"

namespace hax {
namespace {

void random_bytes(uint8_t *p, size_t n) {
    size_t got = 0;
    while (got < n) {
        ssize_t r = getrandom(p + got, n - got, 0);
        if (r > 0) { got += size_t(r); continue; }
        if (r < 0 && errno == EINTR) continue;
        break;
    }
    if (got == n) return;
    UniqueFd fd(::open("/dev/urandom", O_RDONLY | O_CLOEXEC));
    while (fd.valid() && got < n) {
        ssize_t r = ::read(fd.get(), p + got, n - got);
        if (r <= 0) break;
        got += size_t(r);
    }
    // Last resort (no getrandom, no /dev/urandom): still unique enough
    // together with pid and start time.
    std::random_device rd;
    while (got < n) p[got++] = uint8_t(rd());
}

} // namespace

HaCookie make_cookie() {
    HaCookie c;
    c.pid = uint64_t(::getpid());
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    c.time_start = uint64_t(ts.tv_sec) * 1000000000ull + uint64_t(ts.tv_nsec);
    c.uptime = UINT64_MAX;
    uint8_t b[16];
    random_bytes(b, sizeof b);
    std::memcpy(&c.uuid.hi, b, 8);
    std::memcpy(&c.uuid.lo, b + 8, 8);
    return c;
}

} // namespace hax
