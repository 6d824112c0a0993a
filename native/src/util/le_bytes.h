// Little-endian byte cursor for xcode (motr-ha-wire.md §6.1: atoms are raw
// little-endian copies, no padding, no alignment).
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace hax {

inline uint32_t load_u32(const uint8_t *p) {
    return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}
inline uint64_t load_u64(const uint8_t *p) {
    return uint64_t(load_u32(p)) | uint64_t(load_u32(p + 4)) << 32;
}
inline void store_u32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; ++i) p[i] = uint8_t(v >> (8 * i));
}
inline void store_u64(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 8; ++i) p[i] = uint8_t(v >> (8 * i));
}

class ByteWriter {
public:
    explicit ByteWriter(std::vector<uint8_t> &out) : out_(out) {}
    void u32(uint32_t v) { uint8_t b[4]; store_u32(b, v); out_.insert(out_.end(), b, b + 4); }
    void u64(uint64_t v) { uint8_t b[8]; store_u64(b, v); out_.insert(out_.end(), b, b + 8); }
    void bytes(const uint8_t *p, size_t n) { out_.insert(out_.end(), p, p + n); }
    // m0_buf: u64 length, raw bytes, no NUL (R9).
    void buf(const std::string &s) {
        u64(s.size());
        bytes(reinterpret_cast<const uint8_t *>(s.data()), s.size());
    }

private:
    std::vector<uint8_t> &out_;
};

// Reader that records the first overrun instead of throwing: decoders check
// ok() once at the end, and also that every byte was consumed.
class ByteReader {
public:
    ByteReader(const uint8_t *p, size_t n) : p_(p), n_(n) {}
    bool ok() const { return ok_; }
    size_t pos() const { return pos_; }
    size_t remaining() const { return n_ - pos_; }
    const uint8_t *here() const { return p_ + pos_; }
    bool need(size_t k) {
        if (!ok_ || remaining() < k) { ok_ = false; return false; }
        return true;
    }
    uint32_t u32() { if (!need(4)) return 0; uint32_t v = load_u32(p_ + pos_); pos_ += 4; return v; }
    uint64_t u64() { if (!need(8)) return 0; uint64_t v = load_u64(p_ + pos_); pos_ += 8; return v; }
    bool skip(size_t k) { if (!need(k)) return false; pos_ += k; return true; }
    std::string str(size_t k) {
        if (!need(k)) return {};
        std::string s(reinterpret_cast<const char *>(p_ + pos_), k);
        pos_ += k;
        return s;
    }

private:
    const uint8_t *p_;
    size_t n_;
    size_t pos_ = 0;
    bool ok_ = true;
};

} // namespace hax
