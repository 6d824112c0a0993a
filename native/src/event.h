// One event for JavaScript. Plain data built on the I/O thread and turned
// into a JS object on the JS thread (event_sink.cc).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "wire_types.h"

namespace hax {

enum class EventType {
    Listening, Entrypoint, LinkConnected, LinkReused, LinkAbsent, Received,
    Delivered, NotDelivered, Disconnecting, Disconnected, ProtocolError, IoError,
};

struct Event {
    explicit Event(EventType t) : type(t) {}
    EventType type;
    uint32_t req_id = 0;
    uint32_t link_id = 0;
    uint64_t tag = 0;
    Fid fid;
    U128 id_local, id_remote;   // link-connected / link-reused: hax's side of the link's ids
    int err = 0;
    std::string text1;  // address / remote
    std::string code;   // protocol-error, io-error
    std::string message;
    std::vector<uint8_t> bytes;  // fop or m0_ha_msg; listening: the cookie (40 bytes, socket backend)
};

} // namespace hax
