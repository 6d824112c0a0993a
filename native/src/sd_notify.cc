#include "sd_notify.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>

#include "shim.h"
#include "util/errno_text.h"
#include "util/unique_fd.h"

namespace hax {

bool SdNotifier::send(const std::string &socket_path, const std::string &state) {
    if (socket_path.empty()) return false;
    sockaddr_un sun{};
    sun.sun_family = AF_UNIX;
    if (socket_path.size() >= sizeof sun.sun_path || (socket_path[0] != '/' && socket_path[0] != '@'))
        throw CodedError("HAX_ERR_NOTIFY", "NOTIFY_SOCKET must be an absolute path or @abstract name: '" +
                                               socket_path + "'");
    std::memcpy(sun.sun_path, socket_path.data(), socket_path.size());
    socklen_t len = socklen_t(offsetof(sockaddr_un, sun_path) + socket_path.size());
    if (socket_path[0] == '@') sun.sun_path[0] = '\0';  // abstract: no trailing NUL counted
    else len += 1;

    UniqueFd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!fd.valid()) throw CodedError("HAX_ERR_NOTIFY", "socket(AF_UNIX, SOCK_DGRAM): " + errno_text(errno), errno);
    ssize_t n;
    do {
        n = ::sendto(fd.get(), state.data(), state.size(), MSG_NOSIGNAL, reinterpret_cast<sockaddr *>(&sun), len);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        int err = errno;
        throw CodedError("HAX_ERR_NOTIFY", "sendto " + socket_path + ": " + errno_text(err), err);
    }
    return true;
}

void SdNotifier::Export(Napi::Env env, Napi::Object exports) {
    exports.Set("notify", Napi::Function::New(env, [](const Napi::CallbackInfo &info) -> Napi::Value {
        Napi::Env env = info.Env();
        if (info.Length() < 1 || !info[0].IsString())
            throw_coded(env, "HAX_ERR_BAD_ARGUMENT", "notify(state, socketPath?) needs a string state");
        std::string path;
        if (info.Length() >= 2 && info[1].IsString()) {
            path = info[1].As<Napi::String>().Utf8Value();
        } else if (const char *e = std::getenv("NOTIFY_SOCKET")) {
            path = e;
        }
        try {
            return Napi::Boolean::New(env, send(path, info[0].As<Napi::String>().Utf8Value()));
        } catch (const CodedError &e) {
            throw_coded(env, e.code(), e.what(), e.err());
        }
    }, "notify"));
}

} // namespace hax
