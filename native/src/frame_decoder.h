// Splits a byte stream into frames (ha-link-socket.md §2): 16-byte header
// {u32 length <= 131072, u32 opcode in {117,118,207,208}, u64 xid}, all
// little-endian, then `length` body bytes. The header is validated as soon
// as it is complete, so an oversized length is refused before its body is
// buffered.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace hax {

struct Frame {
    uint32_t opcode = 0;
    uint64_t xid = 0;
    std::vector<uint8_t> body;
};

std::vector<uint8_t> encode_frame(uint32_t opcode, uint64_t xid, const std::vector<uint8_t> &body);

class FrameDecoder {
public:
    enum class Status { NeedMore, Ready, Error };

    void feed(const uint8_t *p, size_t n);
    // Ready: `out` holds the next frame. Error: `code`/`reason` say why; the
    // stream is unusable afterwards (the connection must be closed).
    Status next(Frame &out, std::string &code, std::string &reason);
    size_t buffered() const { return buf_.size() - start_; }

private:
    std::vector<uint8_t> buf_;
    size_t start_ = 0;
};

} // namespace hax
