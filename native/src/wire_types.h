// Motr HA wire structs as plain values (motr-ha-wire.md §4.1, §4.2, §4.4,
// §6.3). Only what the link layer needs; m0_ha_msg stays opaque bytes.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

// Opcodes, frame limits, control values and the link's error codes
// (kOp*, kMaxFrameBody, kFrameHeader, kMaxGitRev, kControl*, kErr*) are
// generated from protocol/constants.yaml (scripts/gen-protocol.mjs).
#include "generated/protocol.h"

namespace hax {

struct U128 {
    uint64_t hi = 0, lo = 0;
    bool operator==(const U128 &o) const { return hi == o.hi && lo == o.lo; }
    bool operator!=(const U128 &o) const { return !(*this == o); }
    bool is_zero() const { return hi == 0 && lo == 0; }
};

struct Fid {
    uint64_t container = 0, key = 0;
};

// m0_ha_link_tags: confirmed <= delivered <= next <= assign (§7.1).
struct LinkTags {
    uint64_t confirmed = 0, delivered = 0, next = 0, assign = 0;
    static LinkTags initial(bool even) {
        uint64_t t = even ? 2 : 1;
        return {t, t, t, t};
    }
};

struct LinkParams {
    U128 id_local, id_remote, id_connection;
    LinkTags tags_local, tags_remote;
    // m0_ha_link_params_invert: the peer's view of the same link.
    LinkParams inverted() const {
        return {id_remote, id_local, id_connection, tags_remote, tags_local};
    }
};

struct HaCookie {
    uint64_t pid = 0, time_start = 0, uptime = 0;
    U128 uuid;
    bool operator==(const HaCookie &o) const {
        return pid == o.pid && time_start == o.time_start && uptime == o.uptime && uuid == o.uuid;
    }
};

struct EntrypointReq {
    uint32_t first_request = 0;
    uint64_t generation = 0;
    Fid process_fid;
    LinkParams link_params;
    std::string git_rev;
    uint64_t pid = 0;
    HaCookie cookie_expected;
};

struct Confd {
    Fid fid;
    std::string endpoint;
};

struct EntrypointRep {
    uint32_t quorum = 0;
    std::vector<Confd> confds;
    Fid rm_fid;
    std::string rm_endpoint;
    uint32_t control = kControlConsume;
    LinkParams link_params;
    uint64_t do_reconnect = 0;
    uint32_t disconnected_previously = 0;
    HaCookie cookie;
};

struct LinkMsgFop {
    uint64_t msg_nr = 0;
    std::vector<uint8_t> msg;  // one whole m0_ha_msg (80 zero bytes when msg_nr == 0)
    U128 id_local, id_remote, id_connection;
    uint64_t out_next = 0, in_delivered = 0, seq = 0;
};

struct LinkMsgRep {
    int32_t rc = 0;
    uint64_t out_next = 0, in_delivered = 0;
};

} // namespace hax
