// The two CRC-32s users reach for: zlib's (gzip, PNG, SFV; `rhash --crc32`,
// `cksum -a crc32b`) and POSIX cksum's (`cksum`, which also folds in the length).
// Table-driven, eight bytes a step; the digests Digest (digest.hpp) wraps.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ptool {

// zlib's crc32 (reflected polynomial 0xEDB88320, initial and final ~0).
class Crc32 {
public:
    void update(const void* data, size_t len);
    uint32_t value() const { return ~crc_; }
    void reset() { crc_ = ~uint32_t{0}; }

private:
    uint32_t crc_ = ~uint32_t{0};
};

// POSIX cksum: polynomial 0x04C11DB7 MSB first, over the data then its length in the
// fewest bytes (least significant first), complemented.
class PosixCksum {
public:
    void update(const void* data, size_t len);
    uint32_t value() const;
    void reset() { crc_ = 0, length_ = 0; }

private:
    uint32_t crc_ = 0;
    uint64_t length_ = 0;
};

}  // namespace ptool
