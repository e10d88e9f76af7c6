// BLAKE2b-512 (RFC 7693, unkeyed, as b2sum computes it) with compression functions of
// our own. Two kernels (speeds: user time of hashfile on 512 MiB in page cache):
// - scalar: the reference G fully unrolled, the message schedule constant. On an AMD
//   EPYC with AVX-512 it runs ~1100 MB/s, b2sum ~1030, OpenSSL 3.0 (portable C) ~1010.
// - AVX2: one row of the 4x4 matrix per register. On a Zen 3 at 2.9 GHz it ran 905
//   MB/s, b2sum 790; on the EPYC 590: the rounds are one long dependency chain and its
//   vector ops are slower there (vprorq from AVX-512VL for the rotations gained <3%).
// So a CPU with AVX2 and no AVX-512 (Zen 3 and older, Intel client cores) runs AVX2, one
// without AVX2 scalar, and one with AVX-512 times both on 4 KiB the first time a large
// input comes (once per process) and keeps the faster.
// Unit-tested against OpenSSL for every length and split on each kernel.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ptool {

class Blake2b {
public:
    static constexpr size_t kBlockSize = 128;
    static constexpr size_t kDigestSize = 64;

    enum class Kernel { scalar, avx2 };

    // Whether this build has our code (x86-64: little-endian words); Digest uses
    // OpenSSL's where not, and nothing here may be called then.
    static bool available();
    // Whether this CPU (and OS) runs `kernel`.
    static bool supported(Kernel kernel);
    // The kernel for large inputs here, by the rules above (calibrated on first call).
    static Kernel fastest();

    // Picks the kernel itself: the rule's choice for small inputs, fastest() from the
    // first update of 8 KiB or more.
    Blake2b();
    explicit Blake2b(Kernel kernel);

    void reset();
    // Output bytes, 1..kDigestSize (b2sum -l BITS / 8); resets. kDigestSize by default.
    void set_digest_size(size_t n);
    void update(const void* data, size_t len);
    // Writes kDigestSize bytes and resets.
    void finish(unsigned char* out);

    using CompressFn = void (*)(uint64_t h[8], uint64_t t[2], const unsigned char* blocks, size_t n,
                                uint64_t count, uint64_t last);

private:
    CompressFn compress_;
    bool settled_;  // compress_ is the kernel asked for, or fastest()
    uint64_t h_[8];
    uint64_t t_[2];  // bytes compressed so far, 128 bits
    // BLAKE2 compresses the last block apart (with the final flag), so a full block
    // stays here until more input proves it is not the last.
    unsigned char buffer_[kBlockSize];
    size_t buffered_;
    size_t digest_size_ = kDigestSize;
};

}  // namespace ptool
