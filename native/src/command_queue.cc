#include "command_queue.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>

#include "util/errno_text.h"

namespace hax {

CommandQueue::CommandQueue() : efd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
    if (!efd_.valid()) throw CodedError("HAX_ERR_IO", "eventfd: " + errno_text(errno), errno);
}

void CommandQueue::push(Command c) {
    {
        std::lock_guard<std::mutex> lk(mu_);
        q_.push_back(std::move(c));
    }
    wake();
}

void CommandQueue::wake() {
    uint64_t one = 1;
    // A full eventfd counter (EAGAIN) still means "readable": nothing lost.
    (void)!::write(efd_.get(), &one, sizeof one);
}

std::deque<Command> CommandQueue::take() {
    uint64_t v;
    (void)!::read(efd_.get(), &v, sizeof v);
    std::lock_guard<std::mutex> lk(mu_);
    std::deque<Command> out;
    out.swap(q_);
    return out;
}

} // namespace hax
