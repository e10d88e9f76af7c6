// XXH3 (64 and 128 bits) on the widest vector unit the CPU has. Debian's libxxhash is
// built for SSE2 alone, while xxhsum picks AVX2 at run time; so xxHash's own header is
// compiled once more, inline and with -mavx2 (digest_xxh3_avx2.cpp), and chosen at run
// time. libxxhash stays the kernel for every other CPU. All kernels give the same digests
// (unit-tested) and share one state layout, the header's XXH3_state_t.
#pragma once

#include <cstddef>
#include <span>

namespace ptool {

// The streaming XXH3 functions of one build, over a state from libxxhash's XXH3_createState.
struct Xxh3Kernel {
    const char* name;  // "avx2", "libxxhash"
    void (*reset)(void* state);
    void (*update)(void* state, const void* data, size_t len);
    // Writes the digest in canonical (big-endian) form, 8 or 16 bytes, as xxhsum prints it.
    void (*digest)(const void* state, unsigned char* out);
};

// The kernels this CPU can run for 64-bit (`bits128` false) or 128-bit XXH3, fastest
// first; the last is libxxhash's, which runs anywhere.
std::span<const Xxh3Kernel> xxh3_kernels(bool bits128);

// Defined by digest_xxh3_avx2.cpp (x86-64 only): {64-bit, 128-bit}, for AVX2 CPUs only.
extern const Xxh3Kernel kXxh3Avx2[2];

}  // namespace ptool
