// One accepted stream connection: non-blocking fd, frame decoder on the
// input side, a byte queue on the output side, and this side's xid counter
// (xids count 1, 2, 3 ... per direction per connection, §2).
#pragma once
#include <chrono>
#include <optional>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "frame_decoder.h"
#include "util/unique_fd.h"

namespace hax {

class Connection {
public:
    Connection(uint64_t id, UniqueFd fd, std::string remote)
        : id_(id), fd_(std::move(fd)), remote_(std::move(remote)) {}

    uint64_t id() const { return id_; }
    int fd() const { return fd_.get(); }
    const std::string &remote() const { return remote_; }
    FrameDecoder &decoder() { return decoder_; }

    uint64_t next_xid() { return xid_++; }
    // Appends one frame to the output queue and tries to write at once.
    // Returns false when the socket failed (errno in last_errno()).
    bool send(uint32_t opcode, uint64_t xid, const std::vector<uint8_t> &body);
    // Writes as much queued output as the socket takes.
    bool flush();
    bool wants_write() const { return out_off_ < out_.size(); }
    // Reads once into the decoder. Returns bytes read; 0 means EOF; -1 an
    // error or EAGAIN (check last_errno()).
    long read_some();
    int last_errno() const { return errno_; }
    // Reply bytes the peer has not read yet.
    size_t pending_output() const { return out_.size() - out_off_; }
    // Since when a frame is half received (bytes buffered, no whole frame);
    // none while the decoder is empty. Updated by note_partial().
    std::optional<std::chrono::steady_clock::time_point> partial_since() const { return partial_since_; }
    void note_partial(std::chrono::steady_clock::time_point now) {
        if (decoder_.buffered() == 0) partial_since_.reset();
        else if (!partial_since_) partial_since_ = now;
    }

private:
    uint64_t id_;
    UniqueFd fd_;
    std::string remote_;
    FrameDecoder decoder_;
    std::vector<uint8_t> out_;
    size_t out_off_ = 0;
    uint64_t xid_ = 1;
    int errno_ = 0;
    std::optional<std::chrono::steady_clock::time_point> partial_since_;
};

} // namespace hax
