// libcommon/digest: every algorithm against known vectors, incremental updates,
// HMAC (EVP and the generic construction) and digest_fd.
#include "tools/hashfile/digest.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include "libcommon/core/fd.hpp"
#include "test_support.hpp"

using namespace ptool;

TEST_CASE("every digest of abc matches its published vector") {
    struct Vector {
        DigestAlgo algo;
        const char* hex;
    };
    const Vector vectors[] = {
        {DigestAlgo::md5, "900150983cd24fb0d6963f7d28e17f72"},
        {DigestAlgo::sha1, "a9993e364706816aba3e25717850c26c9cd0d89d"},
        {DigestAlgo::sha224, "23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7"},
        {DigestAlgo::sha256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
        {DigestAlgo::sha384,
         "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca13"
         "4c825a7"},
        {DigestAlgo::sha512,
         "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a"
         "3feebbd"
         "454d4423643ce80e2a9ac94fa54ca49f"},
        {DigestAlgo::sha3_256, "3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532"},
        {DigestAlgo::sha3_512,
         "b751850b1a57168a5693cd924b6b096e08f621827444f70d884f5d0240d2712e10e116e9192af3c91a7ec5764"
         "7e39340"
         "57340b4cf408d5a56592f8274eec53f0"},
        {DigestAlgo::blake2b,
         "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d17d87c5392aab792dc252d5de4"
         "533cc95"
         "18d38aa8dbf1925ab92386edd4009923"},
        {DigestAlgo::blake2s, "508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982"},
        {DigestAlgo::blake3, "6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85"},
        {DigestAlgo::xxh64, "44bc2cf5ad770999"},
        {DigestAlgo::xxh3, "78af5f94892f3950"},
        {DigestAlgo::xxh128, "06b05ab6733a618578af5f94892f3950"},
        {DigestAlgo::sha512_256,
         "53048e2681941ef99b2e29b76b4c7dabe4c2d0c634fc6d46e0e2f13107e7af23"},
        {DigestAlgo::crc32, "352441c2"},
        {DigestAlgo::cksum, "48aa78a2"},  // printf abc | cksum: 1219131554 3
        {DigestAlgo::xxh32, "32d153ff"},
    };
    REQUIRE(std::size(vectors) == digest_algos().size());
    for (const auto& v : vectors) {
        INFO(digest_info(v.algo).name);
        CHECK(digest_hex(v.algo, "abc") == v.hex);
    }
}

TEST_CASE("digests of the empty input match their published vectors") {
    CHECK(digest_hex(DigestAlgo::sha256, "") ==
          "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(digest_hex(DigestAlgo::blake3, "") ==
          "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262");
    CHECK(digest_hex(DigestAlgo::xxh64, "") == "ef46db3751d8e999");
    CHECK(digest_hex(DigestAlgo::xxh3, "") == "2d06800538d394c2");
    CHECK(digest_hex(DigestAlgo::xxh128, "") == "99aa06d3014798d86001c324468d497f");
    CHECK(digest_hex(DigestAlgo::cksum, "") == "ffffffff");  // cksum: 4294967295 0
    CHECK(digest_hex(DigestAlgo::crc32, "") == "00000000");
    CHECK(digest_hex(DigestAlgo::xxh32, "") == "02cc5d05");
}

TEST_CASE("incremental updates in odd pieces equal one update") {
    std::string data = test::random_bytes(300000, 7);
    for (const auto& info : digest_algos()) {
        INFO(info.name);
        Digest d(info.algo);
        for (size_t pos = 0, step = 1; pos < data.size(); pos += step, step = step * 3 + 1)
            d.update(std::string_view(data).substr(pos, step));
        CHECK(d.finish_hex() == digest_hex(info.algo, data));
    }
}

TEST_CASE("finish resets the digest for the next message") {
    for (const auto& info : digest_algos()) {
        Digest d(info.algo, info.algo == DigestAlgo::md5 ? std::optional<std::string_view>("k")
                                                         : std::nullopt);
        d.update("first");
        d.finish_hex();
        d.update("abc");
        std::string again = d.finish_hex();
        d.update("junk");
        d.reset();
        d.update("abc");
        CHECK(d.finish_hex() == again);
    }
}

TEST_CASE("HMAC-SHA256 matches RFC 4231 test case 2") {
    CHECK(digest_hex(DigestAlgo::sha256, "what do ya want for nothing?", "Jefe") ==
          "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST_CASE("the generic HMAC construction equals OpenSSL's HMAC for short and long keys") {
    std::string data = test::random_bytes(5000, 3);
    for (size_t key_len : {0, 1, 32, 63, 64, 65, 200}) {
        std::string key = test::random_bytes(key_len, key_len + 1);
        for (DigestAlgo algo : {DigestAlgo::sha256, DigestAlgo::sha512, DigestAlgo::md5}) {
            Digest generic = Digest::generic_hmac(algo, key);
            generic.update(data);
            CHECK(generic.finish_hex() == digest_hex(algo, data, key));
        }
    }
}

TEST_CASE("HMAC over xxh and blake3 depends on the key and is stable") {
    for (DigestAlgo algo :
         {DigestAlgo::blake3, DigestAlgo::xxh64, DigestAlgo::xxh3, DigestAlgo::xxh128}) {
        std::string a = digest_hex(algo, "data", "key1");
        CHECK(a == digest_hex(algo, "data", "key1"));
        CHECK(a != digest_hex(algo, "data", "key2"));
        CHECK(a != digest_hex(algo, "data"));
        Digest generic = Digest::generic_hmac(algo, "key1");
        generic.update("data");
        CHECK(generic.finish_hex() == a);
    }
}

TEST_CASE("parse_digest_algo knows every name and rejects others") {
    for (const auto& info : digest_algos()) CHECK(parse_digest_algo(info.name) == info.algo);
    CHECK(parse_digest_algo("SHA256") == DigestAlgo::sha256);
    CHECK_FALSE(parse_digest_algo("sha2"));
    CHECK_FALSE(parse_digest_algo(""));
    CHECK(digest_algo_list().find("xxh128") != std::string::npos);
}

TEST_CASE("digest_fd feeds every digest and reports the size") {
    test::TempDir dir;
    std::string data = test::random_bytes(1 << 20, 11);
    test::write_file(dir / "f", data);
    UniqueFd fd = open_file(dir / "f", O_RDONLY);
    std::vector<Digest> digests;
    digests.emplace_back(DigestAlgo::sha256);
    digests.emplace_back(DigestAlgo::xxh3);
    std::vector<unsigned char> buffer(64 * 1024);
    uint64_t last_progress = 0;
    int64_t n = digest_fd(fd.get(), digests, buffer, [&](uint64_t done) { last_progress = done; });
    CHECK(n == static_cast<int64_t>(data.size()));
    CHECK(last_progress == data.size());
    CHECK(digests[0].finish_hex() == digest_hex(DigestAlgo::sha256, data));
    CHECK(digests[1].finish_hex() == digest_hex(DigestAlgo::xxh3, data));
}

TEST_CASE("digest_fd on a directory fails with EISDIR") {
    test::TempDir dir;
    UniqueFd fd = open_file(dir.path().string(), O_RDONLY);
    std::vector<Digest> digests;
    digests.emplace_back(DigestAlgo::md5);
    std::vector<unsigned char> buffer(4096);
    CHECK(digest_fd(fd.get(), digests, buffer) == -1);
    CHECK(errno == EISDIR);
}
