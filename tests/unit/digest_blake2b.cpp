// libcommon/digest_blake2b: our AVX2 BLAKE2b-512 gives OpenSSL's digest for every length
// around the 128-byte block, long inputs, and streams split anywhere (a full buffered
// block must wait for the next byte, as only the last block gets the final flag).
#include "libcommon/digest_blake2b.hpp"

#include <openssl/evp.h>
#include <catch2/catch.hpp>

#include <string>

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

}  // namespace

TEST_CASE("an AVX2 CPU runs our BLAKE2b") {
#if defined(__x86_64__)
    CHECK(Blake2b::available() == (__builtin_cpu_supports("avx2") != 0));
#else
    CHECK_FALSE(Blake2b::available());
#endif
}

TEST_CASE("BLAKE2b equals OpenSSL for each length from 0 to 1100 in one piece and byte by byte") {
    if (!Blake2b::available()) return;
    std::string data = test::random_bytes(1100, 31);
    Blake2b b;
    for (size_t len = 0; len <= data.size(); ++len) {
        INFO("length " << len);
        std::string_view in(data.data(), len);
        std::string want = openssl_blake2b(in);
        REQUIRE(ours(b, in, [&](size_t) { return len; }) == want);
        if (len % 7 == 0 || len % 128 <= 1 || len % 128 == 127)
            REQUIRE(ours(b, in, [](size_t) { return 1; }) == want);
    }
}

TEST_CASE("BLAKE2b equals OpenSSL past 1 MiB in one piece and in odd pieces") {
    if (!Blake2b::available()) return;
    std::string data = test::random_bytes((2 << 20) + 129, 32);
    Blake2b b;
    for (size_t len : {size_t{1} << 20, (size_t{1} << 20) + 1, data.size()}) {
        INFO("length " << len);
        std::string_view in(data.data(), len);
        std::string want = openssl_blake2b(in);
        CHECK(ours(b, in, [&](size_t) { return len; }) == want);
        CHECK(ours(b, in, [](size_t) { return 128; }) == want);
        CHECK(ours(b, in, [](size_t i) { return size_t{127} + i % 3; }) == want);
        CHECK(ours(b, in, [](size_t i) { return i % 2 ? size_t{65536} : size_t{255}; }) == want);
        CHECK(ours(b, in, [](size_t i) { return (i * 7919) % 5000; }) == want);
    }
}

TEST_CASE("BLAKE2b starts a new message after finish and after reset") {
    if (!Blake2b::available()) return;
    Blake2b b;
    b.update("junk", 4);
    unsigned char out[Blake2b::kDigestSize];
    b.finish(out);
    CHECK(ours(b, "abc", [](size_t) { return 3; }) == openssl_blake2b("abc"));
    std::string junk = test::random_bytes(1000, 33);
    b.update(junk.data(), junk.size());
    b.reset();
    CHECK(ours(b, "", [](size_t) { return 0; }) == openssl_blake2b(""));
}
