// Bounds of the socket backend (docs/operations.md, "Limits"): what one peer,
// or all of them together, may make hax hold. A peer that crosses one is cut
// off, never the daemon: its link is dropped (JS gets `disconnecting` with the
// reason, then `disconnected`; the peer's next LINK_MSG gets -ENOLINK and its
// next entrypoint `disconnected_previously`, as for a process declared dead)
// or its connection is closed (a `protocol-error` event).
#pragma once
#include <chrono>
#include <cstddef>
#include <cstdint>

namespace hax {

struct LinkLimits {
    // Links held at once; a request that would create one more is answered
    // QUERY without a link (the peer asks again later).
    size_t max_links = 4096;
    // Messages hax sent on one link that the peer has not confirmed yet, and
    // their bytes. A real m0d confirms within milliseconds.
    size_t max_unconfirmed = 1024;
    size_t max_unconfirmed_bytes = size_t(8) << 20;
    // Unconfirmed bytes over all links: beyond it the link holding most is dropped.
    size_t max_unconfirmed_bytes_total = size_t(128) << 20;
    // A link whose peer has no connection open is kept this long for the peer
    // to come back (a reconnect on a new connection keeps it), then dropped.
    std::chrono::milliseconds orphan_grace{60000};
    // A connection that started a frame and did not finish it in this time is
    // closed (a half-sent frame would hold its buffer and descriptor for ever).
    std::chrono::milliseconds partial_frame{10000};
    // Reply bytes waiting for a peer that does not read: beyond it the
    // connection is closed.
    size_t max_output_bytes = size_t(4) << 20;
};

} // namespace hax
