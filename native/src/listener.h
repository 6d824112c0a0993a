// One listening socket (ha-link-socket.md §1): tcp:HOST:PORT or unix:PATH.
// Opened on the JS thread inside start() so that a bad address or a busy
// port throws synchronously; afterwards only the I/O thread touches it.
#pragma once
#include <string>

#include "util/unique_fd.h"

namespace hax {

class Listener {
public:
    // Throws CodedError(HAX_ERR_BAD_OPTIONS | HAX_ERR_LISTEN).
    static Listener open(const std::string &spec);

    Listener(Listener &&) = default;
    Listener &operator=(Listener &&) = default;
    ~Listener();

    int fd() const { return fd_.get(); }
    // The real address, e.g. 'tcp:127.0.0.1:41234' after binding port 0.
    const std::string &address() const { return address_; }
    // Accepts one connection (non-blocking, close-on-exec). Returns -1 with
    // errno set when there is nothing to accept or on error.
    int accept_one(std::string &remote) const;
    // Closes the socket; a unix listener also removes its file.
    void close();

private:
    friend struct ListenerBuilder;
    Listener() = default;
    UniqueFd fd_;
    std::string address_;
    std::string unix_path_;  // non-empty for unix listeners we created
};

} // namespace hax
