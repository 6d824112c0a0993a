// errno helpers. The I/O thread never throws toward JS: failures become
// IoError records that travel as 'io-error' events. Only code running on the
// JS thread (start()) throws CodedError, which the binding turns into an
// Error with .code.
#pragma once
#include <stdexcept>
#include <string>

namespace hax {

// strerror is not thread-safe; this wraps the GNU strerror_r.
std::string errno_text(int err);

struct IoError {
    std::string code;     // HAX_ERR_*
    int err = 0;          // errno, 0 when not from a system call
    std::string message;
};

IoError io_error(const std::string &code, int err, const std::string &what);

class CodedError : public std::runtime_error {
public:
    CodedError(std::string code, const std::string &message, int err = 0)
        : std::runtime_error(message), code_(std::move(code)), err_(err) {}
    const std::string &code() const { return code_; }
    int err() const { return err_; }

private:
    std::string code_;
    int err_;
};

} // namespace hax
