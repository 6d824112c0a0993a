// The one thing the shim must know about m0_ha_msg: where it ends.
// Layout (motr-ha-wire.md §2.5): 72-byte fixed part with hed_type (u64) at
// offset 64, then the branch of that type, then u64 hm_tag (last 8 bytes).
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>

namespace hax {

constexpr size_t kHaMsgFixed = 72;
constexpr size_t kHaMsgTypeOffset = 64;
constexpr size_t kHaMsgEmpty = 80;  // hed_type 0: no branch, just the tag

// Total wire size for a hed_type, or nullopt for a type we cannot skip
// (an unknown union branch desynchronises the stream: §6.1 R5).
std::optional<size_t> ha_msg_wire_size(uint64_t hed_type);

} // namespace hax
