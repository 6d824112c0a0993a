#include "fop_codec.h"

#include "ha_msg_size.h"
#include "util/le_bytes.h"

namespace hax {
namespace {

U128 read_u128(ByteReader &r) { U128 v; v.hi = r.u64(); v.lo = r.u64(); return v; }
void write_u128(ByteWriter &w, const U128 &v) { w.u64(v.hi); w.u64(v.lo); }

void write_fid(ByteWriter &w, const Fid &f) { w.u64(f.container); w.u64(f.key); }

void write_tags(ByteWriter &w, const LinkTags &t) {
    w.u64(t.confirmed); w.u64(t.delivered); w.u64(t.next); w.u64(t.assign);
}

void write_params(ByteWriter &w, const LinkParams &p) {
    write_u128(w, p.id_local);
    write_u128(w, p.id_remote);
    write_u128(w, p.id_connection);
    write_tags(w, p.tags_local);
    write_tags(w, p.tags_remote);
}

void write_cookie(ByteWriter &w, const HaCookie &c) {
    w.u64(c.pid); w.u64(c.time_start); w.u64(c.uptime); write_u128(w, c.uuid);
}

std::optional<DecodeError> finish(const ByteReader &r, const char *what) {
    if (!r.ok()) return DecodeError{"HAX_ERR_BAD_FOP", std::string(what) + ": truncated body"};
    if (r.remaining() != 0)
        return DecodeError{"HAX_ERR_BAD_FOP", std::string(what) + ": " +
                                                  std::to_string(r.remaining()) + " trailing bytes"};
    return std::nullopt;
}

} // namespace

std::vector<uint8_t> encode_entrypoint_req(const EntrypointReq &q) {
    std::vector<uint8_t> out;
    ByteWriter w(out);
    w.u32(q.first_request);
    w.u64(q.generation);
    write_fid(w, q.process_fid);
    write_params(w, q.link_params);
    w.buf(q.git_rev);
    w.u64(q.pid);
    write_cookie(w, q.cookie_expected);
    return out;
}

std::vector<uint8_t> encode_entrypoint_rep(const EntrypointRep &rep) {
    std::vector<uint8_t> out;
    ByteWriter w(out);
    w.u32(rep.quorum);
    // Motr forces the eps count to the fid count; we keep them as pairs.
    w.u32(uint32_t(rep.confds.size()));
    for (const auto &c : rep.confds) write_fid(w, c.fid);
    w.u32(uint32_t(rep.confds.size()));
    for (const auto &c : rep.confds) w.buf(c.endpoint);
    write_fid(w, rep.rm_fid);
    w.buf(rep.rm_endpoint);
    w.u32(rep.control);
    write_params(w, rep.link_params);
    w.u64(rep.do_reconnect);
    w.u32(rep.disconnected_previously);
    write_cookie(w, rep.cookie);
    return out;
}

std::optional<DecodeError> decode_link_msg(const uint8_t *p, size_t n, LinkMsgFop &out) {
    ByteReader r(p, n);
    out.msg_nr = r.u64();
    if (r.ok() && out.msg_nr > 1)
        return DecodeError{"HAX_ERR_BAD_FOP", "link msg: lmf_msg_nr is " + std::to_string(out.msg_nr)};
    // Peek hed_type to learn how long the embedded m0_ha_msg is.
    if (!r.need(kHaMsgFixed)) return DecodeError{"HAX_ERR_BAD_FOP", "link msg: truncated body"};
    uint64_t hed_type = load_u64(r.here() + kHaMsgTypeOffset);
    auto size = ha_msg_wire_size(hed_type);
    if (!size)
        return DecodeError{"HAX_ERR_UNKNOWN_MSG_TYPE",
                           "link msg: unknown m0_ha_msg hed_type " + std::to_string(hed_type)};
    if (!r.need(*size)) return DecodeError{"HAX_ERR_BAD_FOP", "link msg: truncated m0_ha_msg"};
    out.msg.assign(r.here(), r.here() + *size);
    r.skip(*size);
    out.id_local = read_u128(r);
    out.id_remote = read_u128(r);
    out.id_connection = read_u128(r);
    out.out_next = r.u64();
    out.in_delivered = r.u64();
    out.seq = r.u64();
    return finish(r, "link msg");
}

std::vector<uint8_t> encode_link_msg(const LinkMsgFop &f) {
    std::vector<uint8_t> out;
    out.reserve(8 + f.msg.size() + 72);
    ByteWriter w(out);
    w.u64(f.msg_nr);
    if (f.msg.empty()) {
        // msg_nr 0: the record is still encoded, all zero (hed_type 0).
        std::vector<uint8_t> zero(kHaMsgEmpty, 0);
        w.bytes(zero.data(), zero.size());
    } else {
        w.bytes(f.msg.data(), f.msg.size());
    }
    write_u128(w, f.id_local);
    write_u128(w, f.id_remote);
    write_u128(w, f.id_connection);
    w.u64(f.out_next);
    w.u64(f.in_delivered);
    w.u64(f.seq);
    return out;
}

std::optional<DecodeError> decode_link_msg_rep(const uint8_t *p, size_t n, LinkMsgRep &out) {
    ByteReader r(p, n);
    out.rc = int32_t(r.u32());
    out.out_next = r.u64();
    out.in_delivered = r.u64();
    return finish(r, "link msg reply");
}

std::vector<uint8_t> encode_link_msg_rep(const LinkMsgRep &rep) {
    std::vector<uint8_t> out;
    ByteWriter w(out);
    w.u32(uint32_t(rep.rc));
    w.u64(rep.out_next);
    w.u64(rep.in_delivered);
    return out;
}

uint64_t ha_msg_tag(const std::vector<uint8_t> &msg) {
    return msg.size() >= 8 ? load_u64(msg.data() + msg.size() - 8) : 0;
}

void ha_msg_set_tag(std::vector<uint8_t> &msg, uint64_t tag) {
    if (msg.size() >= 8) store_u64(msg.data() + msg.size() - 8, tag);
}

} // namespace hax
