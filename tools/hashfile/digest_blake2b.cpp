// BLAKE2b-512's compression function, scalar and AVX2 kernels (digest_blake2b.hpp).
#include "tools/hashfile/digest_blake2b.hpp"

#include <algorithm>
#include <bit>
#include <chrono>
#include <cstring>
#include <utility>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "libcommon/core/cpu.hpp"

namespace ptool {

namespace {

constexpr uint64_t kIv[8] = {0x6a09e667f3bcc908, 0xbb67ae8584caa73b, 0x3c6ef372fe94f82b,
                             0xa54ff53a5f1d36f1, 0x510e527fade682d1, 0x9b05688c2b3e6c1f,
                             0x1f83d9abfb41bd6b, 0x5be0cd19137e2179};

constexpr uint8_t kSigma[12][16] = {
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
    {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
    {11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4},
    {7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8},
    {9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13},
    {2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9},
    {12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11},
    {13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10},
    {6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5},
    {10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0},
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
    {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
};

// The scalar kernel: RFC 7693's G on 16 words, every index a constant once unrolled.

template <size_t A, size_t B, size_t C, size_t D>
[[gnu::always_inline]] inline void g(uint64_t* v, uint64_t x, uint64_t y) {
    v[A] = v[A] + v[B] + x;
    v[D] = std::rotr(v[D] ^ v[A], 32);
    v[C] = v[C] + v[D];
    v[B] = std::rotr(v[B] ^ v[C], 24);
    v[A] = v[A] + v[B] + y;
    v[D] = std::rotr(v[D] ^ v[A], 16);
    v[C] = v[C] + v[D];
    v[B] = std::rotr(v[B] ^ v[C], 63);
}

template <size_t R>
[[gnu::always_inline]] inline void round_scalar(uint64_t* v, const uint64_t* m) {
    constexpr const uint8_t* s = kSigma[R];
    g<0, 4, 8, 12>(v, m[s[0]], m[s[1]]);
    g<1, 5, 9, 13>(v, m[s[2]], m[s[3]]);
    g<2, 6, 10, 14>(v, m[s[4]], m[s[5]]);
    g<3, 7, 11, 15>(v, m[s[6]], m[s[7]]);
    g<0, 5, 10, 15>(v, m[s[8]], m[s[9]]);
    g<1, 6, 11, 12>(v, m[s[10]], m[s[11]]);
    g<2, 7, 8, 13>(v, m[s[12]], m[s[13]]);
    g<3, 4, 9, 14>(v, m[s[14]], m[s[15]]);
}

template <size_t... R>
[[gnu::always_inline]] inline void rounds_scalar(uint64_t* v, const uint64_t* m,
                                                 std::index_sequence<R...>) {
    (round_scalar<R>(v, m), ...);
}

void compress_scalar(uint64_t h[8], uint64_t t[2], const unsigned char* blocks, size_t n,
                     uint64_t count, uint64_t last) {
    for (; n > 0; --n, blocks += Blake2b::kBlockSize) {
        uint64_t m[16];
        std::memcpy(m, blocks, sizeof m);  // little-endian words: x86-64 only
        t[0] += count;
        t[1] += t[0] < count;
        uint64_t v[16];
        std::memcpy(v, h, 8 * sizeof(uint64_t));
        std::memcpy(v + 8, kIv, sizeof kIv);
        v[12] ^= t[0];
        v[13] ^= t[1];
        v[14] ^= last;
        rounds_scalar(v, m, std::make_index_sequence<12>());
        for (size_t i = 0; i < 8; ++i) h[i] ^= v[i] ^ v[i + 8];
    }
}

#if defined(__x86_64__)

// The 4x4 work matrix, one row of four 64-bit words per register.
struct Rows {
    __m256i a, b, c, d;
};

// The first half of G on four columns (or diagonals) at once: rotations by 32 and 24.
[[gnu::target("avx2"), gnu::always_inline]] inline void mix_first(Rows& v, __m256i m,
                                                                  __m256i rot24) {
    v.a = _mm256_add_epi64(_mm256_add_epi64(v.a, m), v.b);  // a + m first: off b's path
    v.d = _mm256_shuffle_epi32(_mm256_xor_si256(v.d, v.a), _MM_SHUFFLE(2, 3, 0, 1));
    v.c = _mm256_add_epi64(v.c, v.d);
    v.b = _mm256_shuffle_epi8(_mm256_xor_si256(v.b, v.c), rot24);
}

// The second half: rotations by 16 and 63 (x >>> 63 is x << 1 | x >> 63).
[[gnu::target("avx2"), gnu::always_inline]] inline void mix_second(Rows& v, __m256i m,
                                                                   __m256i rot16) {
    v.a = _mm256_add_epi64(_mm256_add_epi64(v.a, m), v.b);
    v.d = _mm256_shuffle_epi8(_mm256_xor_si256(v.d, v.a), rot16);
    v.c = _mm256_add_epi64(v.c, v.d);
    v.b = _mm256_xor_si256(v.b, v.c);
    v.b = _mm256_xor_si256(_mm256_srli_epi64(v.b, 63), _mm256_add_epi64(v.b, v.b));
}

template <size_t R>
[[gnu::target("avx2"), gnu::always_inline]] inline void round(Rows& v, const uint64_t* m,
                                                              __m256i rot16, __m256i rot24) {
    constexpr const uint8_t* s = kSigma[R];
    mix_first(v, _mm256_set_epi64x(m[s[6]], m[s[4]], m[s[2]], m[s[0]]), rot24);
    mix_second(v, _mm256_set_epi64x(m[s[7]], m[s[5]], m[s[3]], m[s[1]]), rot16);
    // To the diagonals. b stays and a, c, d turn: their last results come before b's, so
    // the permutes overlap b's work instead of lengthening the chain to the next step.
    // Lane i then holds the diagonal whose b is v[4 + i]: G7, G4, G5, G6.
    v.a = _mm256_permute4x64_epi64(v.a, _MM_SHUFFLE(2, 1, 0, 3));
    v.c = _mm256_permute4x64_epi64(v.c, _MM_SHUFFLE(0, 3, 2, 1));
    v.d = _mm256_permute4x64_epi64(v.d, _MM_SHUFFLE(1, 0, 3, 2));
    mix_first(v, _mm256_set_epi64x(m[s[12]], m[s[10]], m[s[8]], m[s[14]]), rot24);
    mix_second(v, _mm256_set_epi64x(m[s[13]], m[s[11]], m[s[9]], m[s[15]]), rot16);
    v.a = _mm256_permute4x64_epi64(v.a, _MM_SHUFFLE(0, 3, 2, 1));
    v.c = _mm256_permute4x64_epi64(v.c, _MM_SHUFFLE(2, 1, 0, 3));
    v.d = _mm256_permute4x64_epi64(v.d, _MM_SHUFFLE(1, 0, 3, 2));
}

template <size_t... R>
[[gnu::target("avx2"), gnu::always_inline]] inline void rounds(Rows& v, const uint64_t* m,
                                                               __m256i rot16, __m256i rot24,
                                                               std::index_sequence<R...>) {
    (round<R>(v, m, rot16, rot24), ...);
}

[[gnu::target("avx2")]] void compress_avx2(uint64_t h[8], uint64_t t[2],
                                           const unsigned char* blocks, size_t n, uint64_t count,
                                           uint64_t last) {
    const __m256i rot16 = _mm256_setr_epi8(2, 3, 4, 5, 6, 7, 0, 1, 10, 11, 12, 13, 14, 15, 8, 9, 2,
                                           3, 4, 5, 6, 7, 0, 1, 10, 11, 12, 13, 14, 15, 8, 9);
    const __m256i rot24 = _mm256_setr_epi8(3, 4, 5, 6, 7, 0, 1, 2, 11, 12, 13, 14, 15, 8, 9, 10, 3,
                                           4, 5, 6, 7, 0, 1, 2, 11, 12, 13, 14, 15, 8, 9, 10);
    const __m256i iv_low = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(kIv));
    const __m256i iv_high = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(kIv + 4));
    __m256i h_low = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(h));
    __m256i h_high = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(h + 4));
    for (; n > 0; --n, blocks += Blake2b::kBlockSize) {
        uint64_t m[16];
        std::memcpy(m, blocks, sizeof m);
        t[0] += count;
        t[1] += t[0] < count;
        auto t0 = static_cast<long long>(t[0]), t1 = static_cast<long long>(t[1]);
        Rows v{
            h_low, h_high, iv_low,
            _mm256_xor_si256(iv_high, _mm256_set_epi64x(0, static_cast<long long>(last), t1, t0))};
        rounds(v, m, rot16, rot24, std::make_index_sequence<12>());
        h_low = _mm256_xor_si256(h_low, _mm256_xor_si256(v.a, v.c));
        h_high = _mm256_xor_si256(h_high, _mm256_xor_si256(v.b, v.d));
    }
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(h), h_low);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(h + 4), h_high);
}

#endif

Blake2b::CompressFn compress_fn(Blake2b::Kernel kernel) {
#if defined(__x86_64__)
    if (kernel == Blake2b::Kernel::avx2) return compress_avx2;
#endif
    return compress_scalar;
}

// The kernel to use before (or without) timing: AVX2 where it is the only SIMD
// extension, scalar otherwise.
Blake2b::Kernel by_features() {
#if defined(__x86_64__)
    if (cpu_features().avx2 && !cpu_features().avx512f) return Blake2b::Kernel::avx2;
#endif
    return Blake2b::Kernel::scalar;
}

#if defined(__x86_64__)

// Nanoseconds `fn` takes on 4 KiB.
int64_t time_4k(Blake2b::CompressFn fn) {
    static const unsigned char data[4096] = {};  // contents do not change the timing
    uint64_t h[8] = {}, t[2] = {};
    auto start = std::chrono::steady_clock::now();
    fn(h, t, data, sizeof data / Blake2b::kBlockSize, Blake2b::kBlockSize, 0);
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() -
                                                                start)
        .count();
}

// ~50 us, once per process: the best of 5 runs each, taken in turns so that a busy
// moment or a clock change hits both, after one run each to warm caches.
Blake2b::Kernel calibrate() {
    if (!cpu_features().avx2 || !cpu_features().avx512f) return by_features();
    int64_t scalar = INT64_MAX, avx2 = INT64_MAX;
    for (int run = 0; run < 6; ++run) {
        int64_t s = time_4k(compress_scalar), a = time_4k(compress_avx2);
        if (run == 0) continue;
        scalar = std::min(scalar, s);
        avx2 = std::min(avx2, a);
    }
    return avx2 < scalar ? Blake2b::Kernel::avx2 : Blake2b::Kernel::scalar;
}

#else

Blake2b::Kernel calibrate() {
    return Blake2b::Kernel::scalar;
}

#endif

}  // namespace

bool Blake2b::available() {
#if defined(__x86_64__)
    return true;
#else
    return false;
#endif
}

bool Blake2b::supported(Kernel kernel) {
#if defined(__x86_64__)
    if (kernel == Kernel::avx2) return cpu_features().avx2;
    return true;
#else
    return kernel == Kernel::scalar;
#endif
}

Blake2b::Kernel Blake2b::fastest() {
    static const Kernel kernel = calibrate();
    return kernel;
}

Blake2b::Blake2b() : compress_(compress_fn(by_features())), settled_(false) {
    reset();
}

Blake2b::Blake2b(Kernel kernel) : compress_(compress_fn(kernel)), settled_(true) {
    reset();
}

void Blake2b::reset() {
    std::memcpy(h_, kIv, sizeof h_);
    h_[0] ^= 0x01010000 ^ digest_size_;  // parameter block: fanout 1, depth 1, no key
    t_[0] = t_[1] = 0;
    buffered_ = 0;
}

void Blake2b::update(const void* data, size_t len) {
    if (len == 0) return;
    const auto* in = static_cast<const unsigned char*>(data);
    if (len > kBlockSize - buffered_) {
        // More input than the buffer holds: the buffered block is not the last one.
        size_t fill = kBlockSize - buffered_;
        std::memcpy(buffer_ + buffered_, in, fill);
        compress_(h_, t_, buffer_, 1, kBlockSize, 0);
        buffered_ = 0;
        in += fill;
        len -= fill;
        // Whole blocks straight from the input, keeping at least one byte back.
        size_t blocks = (len - 1) / kBlockSize;
        if (!settled_ && blocks >= 8192 / kBlockSize) {
            compress_ = compress_fn(fastest());
            settled_ = true;
        }
        compress_(h_, t_, in, blocks, kBlockSize, 0);
        in += blocks * kBlockSize;
        len -= blocks * kBlockSize;
    }
    std::memcpy(buffer_ + buffered_, in, len);
    buffered_ += len;
}

void Blake2b::finish(unsigned char* out) {
    std::memset(buffer_ + buffered_, 0, kBlockSize - buffered_);
    compress_(h_, t_, buffer_, 1, buffered_, ~uint64_t{0});
    std::memcpy(out, h_, digest_size_);  // little-endian words: x86-64 only
    reset();
}

void Blake2b::set_digest_size(size_t n) {
    digest_size_ = n;
    reset();
}

}  // namespace ptool
