// The little state the JS thread must read synchronously: which links exist
// (send() throws on an unknown or disconnecting link and returns the tag at
// once) and which entrypoint requests await a reply. Everything else about a
// link belongs to the I/O thread.
//
// Lock order: Registry::mu before CommandQueue's lock. send() assigns the tag
// and queues the command under one lock so tags reach the I/O thread in
// assignment order.
#pragma once
#include <cstdint>
#include <mutex>
#include <unordered_map>
#include <unordered_set>

namespace hax {

struct Registry {
    struct LinkEntry {
        uint64_t out_assign = 1;  // the tag the next send() gets; steps by 2
        bool closing = false;     // no more send(): disconnect() called, or the backend reported disconnecting
        bool disconnect_requested = false;  // disconnect() called (at most one command per link)
    };
    std::mutex mu;
    bool stopped = false;
    std::unordered_map<uint32_t, LinkEntry> links;
    std::unordered_set<uint32_t> pending_requests;
};

} // namespace hax
