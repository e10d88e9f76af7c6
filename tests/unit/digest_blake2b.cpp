// libcommon/digest_blake2b: each kernel of our BLAKE2b-512 (scalar, AVX2) and the one it
// picks itself give OpenSSL's digest for every length around the 128-byte block, long
// inputs, and streams split anywhere (a full buffered block must wait for the next byte,
// as only the last block gets the final flag).
#include "tools/hashfile/digest_blake2b.hpp"

#include <openssl/evp.h>
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "test_support.hpp"

using namespace ptool;

namespace {

std::string openssl_blake2b(std::string_view data) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    REQUIRE(EVP_Digest(data.data(), data.size(), out, &n, EVP_blake2b512(), nullptr) == 1);
    return std::string(reinterpret_cast<char*>(out), n);
}

// `data` through `b` in pieces of step(i) bytes.
template <typename Step>
std::string ours(Blake2b& b, std::string_view data, Step step) {
    for (size_t pos = 0, i = 0; pos < data.size(); ++i) {
        size_t n = std::min<size_t>(step(i), data.size() - pos);
        b.update(data.data() + pos, n);
        pos += n;
    }
    unsigned char out[Blake2b::kDigestSize];
    b.finish(out);
    return std::string(reinterpret_cast<char*>(out), sizeof out);
}

// A hasher for each kernel this CPU runs, then one that picks its own.
std::vector<Blake2b> hashers() {
    std::vector<Blake2b> all;
    for (auto kernel : {Blake2b::Kernel::scalar, Blake2b::Kernel::avx2})
        if (Blake2b::supported(kernel)) all.emplace_back(kernel);
    all.emplace_back();
    return all;
}

const char* name(size_t i, size_t count) {
    if (i + 1 == count) return "picked by the CPU";
    return i == 0 ? "scalar" : "AVX2";
}

}  // namespace

TEST_CASE("our BLAKE2b runs on x86-64 with a kernel this CPU supports") {
#if defined(__x86_64__)
    CHECK(Blake2b::available());
    CHECK(Blake2b::supported(Blake2b::Kernel::scalar));
    CHECK(Blake2b::supported(Blake2b::Kernel::avx2) == (__builtin_cpu_supports("avx2") != 0));
    CHECK(Blake2b::supported(Blake2b::fastest()));
    // AVX2 without AVX-512 keeps the AVX2 kernel, untimed.
    if (__builtin_cpu_supports("avx2") && !__builtin_cpu_supports("avx512f"))
        CHECK(Blake2b::fastest() == Blake2b::Kernel::avx2);
    if (!__builtin_cpu_supports("avx2")) CHECK(Blake2b::fastest() == Blake2b::Kernel::scalar);
#else
    CHECK_FALSE(Blake2b::available());
#endif
}

TEST_CASE("BLAKE2b equals OpenSSL for each length from 0 to 1100 in one piece and byte by byte") {
    if (!Blake2b::available()) return;
    std::string data = test::random_bytes(1100, 31);
    auto all = hashers();
    for (size_t len = 0; len <= data.size(); ++len) {
        INFO("length " << len);
        std::string_view in(data.data(), len);
        std::string want = openssl_blake2b(in);
        for (size_t i = 0; i < all.size(); ++i) {
            INFO(name(i, all.size()));
            REQUIRE(ours(all[i], in, [&](size_t) { return len; }) == want);
            if (len % 7 == 0 || len % 128 <= 1 || len % 128 == 127)
                REQUIRE(ours(all[i], in, [](size_t) { return 1; }) == want);
        }
    }
}

TEST_CASE("BLAKE2b equals OpenSSL past 1 MiB in one piece and in odd pieces") {
    if (!Blake2b::available()) return;
    std::string data = test::random_bytes((2 << 20) + 129, 32);
    auto all = hashers();
    for (size_t len : {size_t{1} << 20, (size_t{1} << 20) + 1, data.size()}) {
        INFO("length " << len);
        std::string_view in(data.data(), len);
        std::string want = openssl_blake2b(in);
        for (size_t k = 0; k < all.size(); ++k) {
            INFO(name(k, all.size()));
            Blake2b& b = all[k];
            CHECK(ours(b, in, [&](size_t) { return len; }) == want);
            CHECK(ours(b, in, [](size_t) { return 128; }) == want);
            CHECK(ours(b, in, [](size_t i) { return size_t{127} + i % 3; }) == want);
            CHECK(ours(b, in, [](size_t i) { return i % 2 ? size_t{65536} : size_t{255}; }) ==
                  want);
            CHECK(ours(b, in, [](size_t i) { return (i * 7919) % 5000; }) == want);
        }
    }
}

TEST_CASE("BLAKE2b starts a new message after finish and after reset") {
    if (!Blake2b::available()) return;
    for (Blake2b& b : hashers()) {
        b.update("junk", 4);
        unsigned char out[Blake2b::kDigestSize];
        b.finish(out);
        CHECK(ours(b, "abc", [](size_t) { return 3; }) == openssl_blake2b("abc"));
        std::string junk = test::random_bytes(100000, 33);
        b.update(junk.data(), junk.size());
        b.reset();
        CHECK(ours(b, "", [](size_t) { return 0; }) == openssl_blake2b(""));
    }
}

TEST_CASE("a BLAKE2b that picks its kernel keeps the digest when it changes kernel mid-stream") {
    if (!Blake2b::available()) return;
    // Small pieces first (the kernel by CPU features), then a large one (fastest()).
    std::string data = test::random_bytes(300000, 34);
    Blake2b b;
    std::string want = openssl_blake2b(data);
    CHECK(ours(b, data, [](size_t i) { return i < 20 ? size_t{300} : size_t{100000}; }) == want);
}
