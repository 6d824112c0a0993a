#include "frame_decoder.h"

#include "util/le_bytes.h"
#include "wire_types.h"

namespace hax {

std::vector<uint8_t> encode_frame(uint32_t opcode, uint64_t xid, const std::vector<uint8_t> &body) {
    std::vector<uint8_t> out(kFrameHeader + body.size());
    store_u32(out.data(), uint32_t(body.size()));
    store_u32(out.data() + 4, opcode);
    store_u64(out.data() + 8, xid);
    if (!body.empty()) std::copy(body.begin(), body.end(), out.begin() + kFrameHeader);
    return out;
}

void FrameDecoder::feed(const uint8_t *p, size_t n) {
    // Compact lazily: only when the consumed prefix dominates the buffer.
    if (start_ > 0 && start_ >= buf_.size() / 2) {
        buf_.erase(buf_.begin(), buf_.begin() + long(start_));
        start_ = 0;
    }
    buf_.insert(buf_.end(), p, p + n);
}

FrameDecoder::Status FrameDecoder::next(Frame &out, std::string &code, std::string &reason) {
    if (buffered() < kFrameHeader) return Status::NeedMore;
    const uint8_t *h = buf_.data() + start_;
    uint32_t length = load_u32(h);
    uint32_t opcode = load_u32(h + 4);
    if (length > kMaxFrameBody) {
        code = "HAX_ERR_FRAME_TOO_LONG";
        reason = "frame length " + std::to_string(length) + " exceeds " + std::to_string(kMaxFrameBody);
        return Status::Error;
    }
    if (opcode != kOpEntrypointReq && opcode != kOpEntrypointRep && opcode != kOpLinkMsg &&
        opcode != kOpLinkMsgRep) {
        code = "HAX_ERR_UNKNOWN_OPCODE";
        reason = "unknown opcode " + std::to_string(opcode);
        return Status::Error;
    }
    if (buffered() < kFrameHeader + length) return Status::NeedMore;
    out.opcode = opcode;
    out.xid = load_u64(h + 8);
    out.body.assign(h + kFrameHeader, h + kFrameHeader + length);
    start_ += kFrameHeader + length;
    if (start_ == buf_.size()) { buf_.clear(); start_ = 0; }
    return Status::Ready;
}

} // namespace hax
