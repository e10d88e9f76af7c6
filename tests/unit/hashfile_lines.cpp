// hashfile's newer line rules: which untagged lengths are ambiguous, b2sum's
// "BLAKE2b-BITS" tags, cksum's "CRC SIZE NAME" lines, and the run's progress line.
#include <catch2/catch.hpp>

#include "tools/hashfile/checksum.hpp"
#include "tools/hashfile/progress.hpp"

using namespace ptool;

TEST_CASE("untagged lines are ambiguous unless the algorithm is its length's default") {
    CHECK_FALSE(ambiguous_untagged(DigestAlgo::sha256, 64));
    CHECK(ambiguous_untagged(DigestAlgo::blake3, 64));
    CHECK(ambiguous_untagged(DigestAlgo::sha3_256, 64));
    CHECK(ambiguous_untagged(DigestAlgo::blake2b, 128));
    CHECK(ambiguous_untagged(DigestAlgo::blake2b, 64));  // -l 256
    CHECK_FALSE(ambiguous_untagged(DigestAlgo::md5, 32));
    CHECK(ambiguous_untagged(DigestAlgo::xxh128, 32));
    CHECK(ambiguous_untagged(DigestAlgo::crc32, 8));
    CHECK_FALSE(ambiguous_untagged(DigestAlgo::xxh32, 8));
    CHECK_FALSE(ambiguous_untagged(DigestAlgo::cksum, 8));
    auto of64 = algos_of_hex_length(64);
    CHECK(of64 == std::vector<DigestAlgo>{DigestAlgo::sha256, DigestAlgo::sha3_256,
                                          DigestAlgo::blake2s, DigestAlgo::blake3,
                                          DigestAlgo::sha512_256});
}

TEST_CASE("the parser reads b2sum's BLAKE2b-BITS tags with their length") {
    CheckLineParser p;
    auto e = p.parse("BLAKE2b-256 (f) = " + std::string(64, 'a'));
    REQUIRE(e);
    CHECK(e->algo == DigestAlgo::blake2b);
    CHECK(e->length == 32);
    CHECK(e->tagged);
    auto full = p.parse("BLAKE2b-512 (f) = " + std::string(128, 'a'));
    REQUIRE(full);
    CHECK(full->length == 0);
    CHECK_FALSE(p.parse("BLAKE2b-12 (f) = " + std::string(3, 'a')));
    CHECK_FALSE(p.parse("BLAKE2b-256 (f) = " + std::string(128, 'a')));
    auto sha = p.parse("SHA512-256 (f) = " + std::string(64, 'b'));
    REQUIRE(sha);
    CHECK(sha->algo == DigestAlgo::sha512_256);
}

TEST_CASE("the parser reads cksum lines as cksum with the CRC in hex") {
    CheckLineParser p;
    auto e = p.parse("1219131554 3 a b");
    REQUIRE(e);
    CHECK(e->algo == DigestAlgo::cksum);
    CHECK(e->hex == "48aa78a2");
    CHECK(e->file == "a b");
    CHECK_FALSE(p.parse("99999999999 3 a"));  // more than 32 bits
    CHECK_FALSE(p.parse("12 3"));             // standard input: no name
    std::string line;
    std::string_view name = "a b";
    append_cksum_line(line, "48aa78a2", 3, &name, '\n');
    CHECK(line == "1219131554 3 a b\n");
}

TEST_CASE("the parser takes any length for a forced blake3 or blake2b") {
    CheckLineParser b3(DigestAlgo::blake3);
    auto e = b3.parse(std::string(200, 'c') + "  f");
    REQUIRE(e);
    CHECK(e->length == 100);
    CheckLineParser b2(DigestAlgo::blake2b);
    auto e2 = b2.parse(std::string(40, 'c') + "  f");
    REQUIRE(e2);
    CHECK(e2->length == 20);
}

TEST_CASE("the run's progress line has percentage, bytes, files, rate and ETA within width") {
    std::string line = ProgressMeter::render(256ull << 20, 1ull << 30, 3, 10, 2.0, 100);
    CHECK(line.rfind(" 25% [", 0) == 0);
    CHECK(line.find("256.0 MiB/1.0 GiB") != std::string::npos);
    CHECK(line.find("3/10 files") != std::string::npos);
    CHECK(line.find("128.0 MiB/s") != std::string::npos);
    CHECK(line.find("ETA 0:06") != std::string::npos);
    CHECK(line.size() <= 100);
    CHECK(ProgressMeter::render(1, 2, 0, 1, 1, 20).size() <= 20);
}
