#include "ha_msg_size.h"

namespace hax {

std::optional<size_t> ha_msg_wire_size(uint64_t hed_type) {
    // Branch bytes per type, from motr-ha-wire.md §2.5 (checked against the
    // golden vectors: NVEC 20592, FVEC_REP 20596, BE_IO_ERR 86, SNS_ERR 85).
    static constexpr size_t kBranch[] = {
        0,      // 0 INVALID
        92,     // 1 STOB_IOQ
        20512,  // 2 NVEC
        32,     // 3 FAILURE_VEC_REQ
        20516,  // 4 FAILURE_VEC_REP
        16,     // 5 KEEPALIVE_REQ
        24,     // 6 KEEPALIVE_REP
        24,     // 7 EVENT_PROCESS
        24,     // 8 EVENT_SERVICE
        16,     // 9 EVENT_RPC
        6,      // 10 BE_IO_ERR
        5,      // 11 SNS_ERR
    };
    if (hed_type >= sizeof kBranch / sizeof kBranch[0]) return std::nullopt;
    return kHaMsgFixed + kBranch[hed_type] + 8;
}

} // namespace hax
