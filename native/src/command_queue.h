// Calls from JS reach the I/O thread as commands: a mutex-protected FIFO plus
// an eventfd that wakes epoll_wait. The JS thread never touches sockets.
#pragma once
#include <cstdint>
#include <deque>
#include <mutex>
#include <vector>

#include "util/unique_fd.h"
#include "wire_types.h"

namespace hax {

// The core's link decision for one entrypoint reply (assembly/machine/links.ts):
// the shim performs it and decides nothing. The request's words come with it
// because the shim does not decode entrypoint requests (the core does).
struct LinkPlan {
    enum class Mode { None, New, Reconnect, Reuse, Absent, Reject };
    uint32_t control = kControlQuery;
    Mode mode = Mode::None;
    uint32_t link_id = 0;       // Reuse
    uint64_t generation = 0;    // New, Reconnect
    Fid process_fid;            // New, Reconnect
    LinkParams peer;            // Reconnect: the peer's link params as it sent them
    std::string note;           // Reject: why (the protocol error's message)
};

struct Command {
    enum class Kind { EntrypointReply, Send, Delivered, Disconnect, Stop };
    Kind kind = Kind::Stop;
    uint32_t req_id = 0;
    uint32_t link_id = 0;
    uint64_t tag = 0;
    int32_t rc = 0;
    EntrypointRep rep;            // quorum, confds, RM (the shim fills the rest)
    LinkPlan plan;                // EntrypointReply: what to do about the link
    std::vector<uint8_t> msg;     // Send: the m0_ha_msg, hm_tag already written
};

class CommandQueue {
public:
    CommandQueue();  // throws CodedError(HAX_ERR_IO) if eventfd fails
    int wake_fd() const { return efd_.get(); }
    void push(Command c);
    // Wakes the consuming thread without a command (it re-checks its state).
    void wake();
    // I/O thread: drains the eventfd and takes every queued command.
    std::deque<Command> take();

private:
    UniqueFd efd_;
    std::mutex mu_;
    std::deque<Command> q_;
};

} // namespace hax
