#include "util/errno_text.h"

#include <string.h>

namespace hax {

std::string errno_text(int err) {
    char buf[256];
    // GNU strerror_r returns a pointer that may or may not be buf.
    const char *s = strerror_r(err, buf, sizeof buf);
    return s ? std::string(s) : std::string("errno ") + std::to_string(err);
}

IoError io_error(const std::string &code, int err, const std::string &what) {
    std::string msg = what;
    if (err != 0) msg += ": " + errno_text(err);
    return IoError{code, err, msg};
}

} // namespace hax
