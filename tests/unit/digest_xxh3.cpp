// libcommon/digest_xxh3: every XXH3 kernel this CPU runs (AVX2 and libxxhash's SSE2 build)
// gives libxxhash's one-shot digests, for short inputs of every length, long ones, and
// streams fed in odd pieces.
#include "tools/hashfile/digest_xxh3.hpp"

#include <xxhash.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>

#include "test_support.hpp"

using namespace ptool;

namespace {

struct StateFree {
    void operator()(XXH3_state_t* s) const { XXH3_freeState(s); }
};
using State = std::unique_ptr<XXH3_state_t, StateFree>;

// libxxhash's one-shot digest, in the canonical bytes the kernels write.
std::string reference(std::string_view data, bool bits128) {
    unsigned char out[16];
    if (bits128) {
        XXH128_canonicalFromHash(reinterpret_cast<XXH128_canonical_t*>(out),
                                 XXH3_128bits(data.data(), data.size()));
    } else {
        XXH64_canonicalFromHash(reinterpret_cast<XXH64_canonical_t*>(out),
                                XXH3_64bits(data.data(), data.size()));
    }
    return std::string(reinterpret_cast<char*>(out), bits128 ? 16 : 8);
}

// `data` through `kernel`, in pieces of `step(i)` bytes.
template <typename Step>
std::string streamed(const Xxh3Kernel& kernel, XXH3_state_t* state, std::string_view data,
                     bool bits128, Step step) {
    kernel.reset(state);
    for (size_t pos = 0, i = 0; pos < data.size(); ++i) {
        size_t n = std::min<size_t>(step(i), data.size() - pos);
        kernel.update(state, data.data() + pos, n);
        pos += n;
    }
    unsigned char out[16];
    kernel.digest(state, out);
    return std::string(reinterpret_cast<char*>(out), bits128 ? 16 : 8);
}

}  // namespace

TEST_CASE("an AVX2 CPU gets the AVX2 XXH3 kernel and every CPU has libxxhash last") {
    for (bool bits128 : {false, true}) {
        auto kernels = xxh3_kernels(bits128);
        REQUIRE(!kernels.empty());
        CHECK(std::strcmp(kernels.back().name, "libxxhash") == 0);
#if defined(__x86_64__)
        if (__builtin_cpu_supports("avx2")) CHECK(std::strcmp(kernels.front().name, "avx2") == 0);
#endif
    }
}

TEST_CASE("every XXH3 kernel equals libxxhash for each length from 0 to 4096") {
    std::string data = test::random_bytes(4096, 21);
    State state(XXH3_createState());
    for (bool bits128 : {false, true}) {
        for (const Xxh3Kernel& kernel : xxh3_kernels(bits128)) {
            INFO(kernel.name << (bits128 ? " 128" : " 64"));
            for (size_t len = 0; len <= data.size(); len += len < 300 ? 1 : 37) {
                std::string_view in(data.data(), len);
                INFO("length " << len);
                REQUIRE(streamed(kernel, state.get(), in, bits128, [&](size_t) { return len; }) ==
                        reference(in, bits128));
            }
        }
    }
}

TEST_CASE(
    "every XXH3 kernel equals libxxhash on inputs past 1 MiB in one piece and in odd pieces") {
    std::string data = test::random_bytes((3 << 20) + 777, 22);
    State state(XXH3_createState());
    for (bool bits128 : {false, true}) {
        for (const Xxh3Kernel& kernel : xxh3_kernels(bits128)) {
            INFO(kernel.name << (bits128 ? " 128" : " 64"));
            for (size_t len : {size_t{1} << 20, (size_t{1} << 20) + 1, data.size()}) {
                std::string_view in(data.data(), len);
                INFO("length " << len);
                std::string want = reference(in, bits128);
                CHECK(streamed(kernel, state.get(), in, bits128, [&](size_t) { return len; }) ==
                      want);
                // Pieces of 1, 4, 13, ... bytes, then odd sizes around the 256-byte internal
                // buffer and the 1 KiB stripe block, then large odd reads.
                CHECK(streamed(kernel, state.get(), in, bits128, [](size_t i) {
                          return i < 12 ? (size_t{1} << i) * 3 / 2 + 1 : 4093 + i % 700;
                      }) == want);
                CHECK(streamed(kernel, state.get(), in, bits128,
                               [](size_t i) { return size_t{255} + 2 * (i % 3); }) == want);
                CHECK(streamed(kernel, state.get(), in, bits128, [](size_t i) {
                          return i % 2 ? size_t{65537} : size_t{1023};
                      }) == want);
            }
        }
    }
}

TEST_CASE("an XXH3 kernel reset after a digest starts a new message") {
    State state(XXH3_createState());
    for (bool bits128 : {false, true}) {
        for (const Xxh3Kernel& kernel : xxh3_kernels(bits128)) {
            INFO(kernel.name);
            kernel.reset(state.get());
            std::string junk = test::random_bytes(5000, 23);
            kernel.update(state.get(), junk.data(), junk.size());
            CHECK(streamed(kernel, state.get(), "abc", bits128, [](size_t) { return 3; }) ==
                  reference("abc", bits128));
        }
    }
}
