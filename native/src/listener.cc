#include "listener.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>

#include "util/errno_text.h"

namespace hax {
namespace {

std::string sockaddr_text(const sockaddr *sa) {
    char host[INET6_ADDRSTRLEN] = "?";
    if (sa->sa_family == AF_INET) {
        auto *in = reinterpret_cast<const sockaddr_in *>(sa);
        inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
        return std::string("tcp:") + host + ":" + std::to_string(ntohs(in->sin_port));
    }
    if (sa->sa_family == AF_INET6) {
        auto *in6 = reinterpret_cast<const sockaddr_in6 *>(sa);
        inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
        return std::string("tcp:[") + host + "]:" + std::to_string(ntohs(in6->sin6_port));
    }
    return "unknown";
}

[[noreturn]] void listen_fail(const std::string &spec, const char *what, int err) {
    throw CodedError("HAX_ERR_LISTEN", "cannot listen on " + spec + ": " + what + ": " + errno_text(err), err);
}

Listener open_tcp(const std::string &spec, const std::string &rest);
Listener open_unix(const std::string &spec, const std::string &path);

} // namespace

Listener Listener::open(const std::string &spec) {
    if (spec.rfind("tcp:", 0) == 0) return open_tcp(spec, spec.substr(4));
    if (spec.rfind("unix:", 0) == 0) return open_unix(spec, spec.substr(5));
    throw CodedError("HAX_ERR_BAD_OPTIONS", "listen address must be tcp:HOST:PORT or unix:PATH: '" + spec + "'");
}

namespace {

struct AddrInfoDeleter { void operator()(addrinfo *a) const { freeaddrinfo(a); } };

} // namespace

// Friend-free construction helpers live in Listener's own TU: they build the
// object through this small back door.
struct ListenerBuilder {
    static Listener make(UniqueFd fd, std::string address, std::string unix_path) {
        Listener l;
        l.fd_ = std::move(fd);
        l.address_ = std::move(address);
        l.unix_path_ = std::move(unix_path);
        return l;
    }
};

namespace {

Listener open_tcp(const std::string &spec, const std::string &rest) {
    auto colon = rest.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == rest.size())
        throw CodedError("HAX_ERR_BAD_OPTIONS", "tcp address needs HOST:PORT: '" + spec + "'");
    std::string host = rest.substr(0, colon);
    std::string port = rest.substr(colon + 1);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    char *end = nullptr;
    long pnum = std::strtol(port.c_str(), &end, 10);
    if (*end != '\0' || pnum < 0 || pnum > 65535)
        throw CodedError("HAX_ERR_BAD_OPTIONS", "bad tcp port in '" + spec + "'");

    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    addrinfo *res = nullptr;
    int gai = getaddrinfo(host.c_str(), port.c_str(), &hints, &res);
    if (gai != 0)
        throw CodedError("HAX_ERR_LISTEN", "cannot resolve '" + host + "' in " + spec + ": " + gai_strerror(gai));
    std::unique_ptr<addrinfo, AddrInfoDeleter> guard(res);

    int last_err = EADDRNOTAVAIL;
    for (addrinfo *ai = res; ai; ai = ai->ai_next) {
        UniqueFd fd(::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
        if (!fd.valid()) { last_err = errno; continue; }
        int one = 1;
        // SO_REUSEADDR: a restarted hax must rebind the port while old
        // connections sit in TIME_WAIT (trace d: the HA restarts on the same
        // endpoint).
        ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (::bind(fd.get(), ai->ai_addr, ai->ai_addrlen) != 0) { last_err = errno; continue; }
        if (::listen(fd.get(), SOMAXCONN) != 0) { last_err = errno; continue; }
        sockaddr_storage ss{};
        socklen_t len = sizeof ss;
        ::getsockname(fd.get(), reinterpret_cast<sockaddr *>(&ss), &len);
        return ListenerBuilder::make(std::move(fd), sockaddr_text(reinterpret_cast<sockaddr *>(&ss)), "");
    }
    listen_fail(spec, "bind", last_err);
}

Listener open_unix(const std::string &spec, const std::string &path) {
    sockaddr_un sun{};
    if (path.empty() || path.size() >= sizeof sun.sun_path)
        throw CodedError("HAX_ERR_BAD_OPTIONS", "bad unix socket path in '" + spec + "'");
    sun.sun_family = AF_UNIX;
    std::memcpy(sun.sun_path, path.c_str(), path.size() + 1);

    struct stat st{};
    if (::lstat(path.c_str(), &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) listen_fail(spec, "path exists and is not a socket", EEXIST);
        // A socket file nobody accepts on is stale (a previous hax died):
        // remove it. One that accepts belongs to a live process: refuse.
        UniqueFd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
        if (probe.valid() && ::connect(probe.get(), reinterpret_cast<sockaddr *>(&sun), sizeof sun) == 0)
            listen_fail(spec, "another process is listening", EADDRINUSE);
        ::unlink(path.c_str());
    }
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd.valid()) listen_fail(spec, "socket", errno);
    if (::bind(fd.get(), reinterpret_cast<sockaddr *>(&sun), sizeof sun) != 0) listen_fail(spec, "bind", errno);
    if (::chmod(path.c_str(), 0660) != 0) {
        int err = errno;
        ::unlink(path.c_str());
        listen_fail(spec, "chmod 0660", err);
    }
    if (::listen(fd.get(), SOMAXCONN) != 0) {
        int err = errno;
        ::unlink(path.c_str());
        listen_fail(spec, "listen", err);
    }
    return ListenerBuilder::make(std::move(fd), "unix:" + path, path);
}

} // namespace

Listener::~Listener() { close(); }

int Listener::accept_one(std::string &remote) const {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    int fd = ::accept4(fd_.get(), reinterpret_cast<sockaddr *>(&ss), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return -1;
    if (ss.ss_family != AF_UNIX) {
        remote = sockaddr_text(reinterpret_cast<sockaddr *>(&ss));
        return fd;
    }
    // Unix peers are unnamed: the listener's path plus the peer process's pid
    // (SO_PEERCRED, taken at connect time) tells two connections apart and
    // names the Motr process behind each in logs and the links view.
    ucred cred{};
    socklen_t clen = sizeof cred;
    remote = address_;
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) == 0 && cred.pid > 0) remote += "#pid" + std::to_string(cred.pid);
    return fd;
}

void Listener::close() {
    if (!fd_.valid()) return;
    fd_.reset();
    if (!unix_path_.empty()) ::unlink(unix_path_.c_str());
}

} // namespace hax
