// Strict xcode encoders/decoders for the fops of the socket transport (an
// entrypoint request is only encoded here, for tests: the core decodes it).
// "Strict" means: the body must decode to exactly its length (no trailing
// bytes), sequences are bounded, and an unknown hed_type is rejected. That is
// stricter than libmotr on purpose (motr-ha-wire.md §9).
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "wire_types.h"

namespace hax {

struct DecodeError {
    std::string code;     // HAX_ERR_BAD_FOP or HAX_ERR_UNKNOWN_MSG_TYPE
    std::string message;
};

std::vector<uint8_t> encode_entrypoint_req(const EntrypointReq &req);
std::vector<uint8_t> encode_entrypoint_rep(const EntrypointRep &rep);

std::optional<DecodeError> decode_link_msg(const uint8_t *p, size_t n, LinkMsgFop &out);
std::vector<uint8_t> encode_link_msg(const LinkMsgFop &fop);

std::optional<DecodeError> decode_link_msg_rep(const uint8_t *p, size_t n, LinkMsgRep &out);
std::vector<uint8_t> encode_link_msg_rep(const LinkMsgRep &rep);

// hm_tag lives in the last 8 bytes of an m0_ha_msg.
uint64_t ha_msg_tag(const std::vector<uint8_t> &msg);
void ha_msg_set_tag(std::vector<uint8_t> &msg, uint64_t tag);

} // namespace hax
