// GrowBuffer: growth without copies.
#include "libcommon/launch/memory.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <cstring>
#include <new>
#include <string>

#include "test_support.hpp"

using ptool::GrowBuffer;

TEST_CASE("GrowBuffer starts empty and gives room on request") {
    GrowBuffer buf;
    CHECK(buf.size() == 0);
    CHECK(buf.view().empty());
    char* tail = buf.reserve_tail(10);
    REQUIRE(tail != nullptr);
    CHECK(buf.capacity() >= 10);
    std::memcpy(tail, "0123456789", 10);
    buf.commit(10);
    CHECK(buf.view() == "0123456789");
}

TEST_CASE("GrowBuffer keeps its bytes across many growths") {
    GrowBuffer buf;
    std::string expected = ptool::test::random_bytes(40 << 20, 7);
    size_t chunk = 65537;  // odd, so growth points fall mid-chunk
    for (size_t at = 0; at < expected.size(); at += chunk) {
        size_t n = std::min(chunk, expected.size() - at);
        std::memcpy(buf.reserve_tail(n), expected.data() + at, n);
        buf.commit(n);
    }
    REQUIRE(buf.size() == expected.size());
    CHECK(buf.view() == expected);
    CHECK(buf.capacity() >= expected.size());
}

TEST_CASE("GrowBuffer does not grow while the asked room is there") {
    GrowBuffer buf;
    buf.reserve_tail(100);
    size_t capacity = buf.capacity();
    const char* first = buf.data();
    buf.commit(50);
    CHECK(buf.reserve_tail(capacity - 50) == first + 50);
    CHECK(buf.capacity() == capacity);
}

TEST_CASE("GrowBuffer truncate keeps the first bytes only") {
    GrowBuffer buf;
    std::memcpy(buf.reserve_tail(6), "abcdef", 6);
    buf.commit(6);
    buf.truncate(3);
    CHECK(buf.view() == "abc");
    buf.truncate(10);  // never grows
    CHECK(buf.view() == "abc");
}

TEST_CASE("GrowBuffer moves its memory to the new owner") {
    GrowBuffer a;
    std::memcpy(a.reserve_tail(3), "xyz", 3);
    a.commit(3);
    GrowBuffer b(std::move(a));
    CHECK(b.view() == "xyz");
    CHECK(a.size() == 0);  // NOLINT(bugprone-use-after-move): moved-from is empty by contract
    GrowBuffer c;
    c = std::move(b);
    CHECK(c.view() == "xyz");
}

TEST_CASE("GrowBuffer refuses an impossible size with bad_alloc") {
    GrowBuffer buf;
    CHECK_THROWS_AS(buf.reserve_tail(SIZE_MAX - 10), std::bad_alloc);
    CHECK(buf.size() == 0);
}
