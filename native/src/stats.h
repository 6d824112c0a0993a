// Counters the JS thread reads through stats(); written by the I/O thread.
#pragma once
#include <atomic>
#include <cstdint>

namespace hax {

struct Stats {
    std::atomic<uint32_t> connections{0};
    std::atomic<uint32_t> links{0};
    std::atomic<uint64_t> protocol_errors{0};
    std::atomic<uint64_t> accept_pauses{0};  // accept() failed; listener paused (io_loop.cc)
};

} // namespace hax
