// The algorithms and modes users reach for beyond sha*sum, byte for byte against their
// peers: crc32 (rhash), cksum, xxh32 (xxhsum -H0), sha512-256 (openssl), b3sum's
// --length/--keyed/--derive-key, b2sum's -l, coreutils' --binary/--text, and algorithm
// names in any case and in OpenSSL's and Node's spellings.
#include <catch2/catch.hpp>

#include "test_support.hpp"

using namespace ptool::test;

namespace {

// No name with a newline: cksum, rhash and xxhsum write those raw, unreadably.
const std::vector<std::string> kNames = {"plain", "sp ace", "b\\s", "it's", "-dash"};

struct Files {
    TempDir dir;
    Files() {
        for (size_t i = 0; i < kNames.size(); ++i)
            write_file(dir / kNames[i], random_bytes(1500 * i + 1, i + 9));
    }
    RunOptions here(std::string input = "") const {
        RunOptions o;
        o.cwd = dir.path().string();
        o.input = std::move(input);
        return o;
    }
};

std::vector<std::string> with(std::vector<std::string> head, const std::vector<std::string>& tail) {
    head.insert(head.end(), tail.begin(), tail.end());
    return head;
}

}  // namespace

TEST_CASE("hashfile -a crc32 equals rhash --crc32 --simple, and --bsd with --tag") {
    Files f;
    // rhash 1.4 takes no "--" and reads a backslash as a directory separator.
    std::vector<std::string> names = {"plain", "sp ace", "it's"};
    auto ours = run_ptool(with({"hashfile", "-a", "crc32"}, names), f.here());
    auto theirs = run(with({"rhash", "--crc32", "--simple"}, names), f.here());
    REQUIRE(theirs.status == 0);
    CHECK(ours.out == theirs.out);
    CHECK(run_ptool(with({"hashfile", "-a", "crc32", "--tag"}, names), f.here()).out ==
          run(with({"rhash", "--crc32", "--bsd"}, names), f.here()).out);
}

TEST_CASE("hashfile -a cksum equals cksum, for files and for standard input") {
    Files f;
    auto ours = run_ptool(with({"hashfile", "-a", "cksum", "--"}, kNames), f.here());
    auto theirs = run(with({"cksum", "--"}, kNames), f.here());
    REQUIRE(theirs.status == 0);
    CHECK(ours.out == theirs.out);
    RunOptions in;
    in.input = random_bytes(70000, 3);
    CHECK(run_ptool({"hashfile", "-a", "cksum"}, in).out == run({"cksum"}, in).out);
    CHECK(run_ptool({"hashfile", "-a", "cksum", "-"}, in).out == run({"cksum", "-"}, in).out);
}

TEST_CASE("hashfile -c reads cksum's lines") {
    Files f;
    write_file(f.dir / "SUMS", run(with({"cksum", "--"}, kNames), f.here()).out);
    auto r = run_ptool({"hashfile", "-c", "SUMS"}, f.here());
    CHECK(r.status == 0);
    CHECK(r.out == "plain: OK\nsp ace: OK\nb\\s: OK\nit's: OK\n-dash: OK\n");
}

TEST_CASE("hashfile -a xxh32 equals xxhsum -H0 and -c reads xxhsum -H0 lines") {
    Files f;
    auto theirs = run(with({"xxhsum", "-H0", "--"}, kNames), f.here());
    REQUIRE(theirs.status == 0);
    CHECK(run_ptool(with({"hashfile", "-a", "xxh32", "--"}, kNames), f.here()).out == theirs.out);
    write_file(f.dir / "SUMS", theirs.out);
    CHECK(run_ptool({"hashfile", "-c", "--quiet", "SUMS"}, f.here()).status == 0);
}

TEST_CASE("hashfile -a sha512-256 equals openssl dgst -sha512-256") {
    Files f;
    auto theirs = run({"openssl", "dgst", "-sha512-256", "-r", "plain"}, f.here());
    REQUIRE(theirs.status == 0);
    auto ours = run_ptool({"hashfile", "-a", "sha512-256", "plain"}, f.here());
    CHECK(ours.out == theirs.out.substr(0, 64) + "  plain\n");
}

TEST_CASE("hashfile -a blake3 --length equals b3sum --length") {
    Files f;
    for (const char* n : {"1", "16", "32", "100", "1000"}) {
        INFO(n);
        auto theirs = run(with({"b3sum", "--length", n, "--"}, kNames), f.here());
        REQUIRE(theirs.status == 0);
        CHECK(run_ptool(with({"hashfile", "-a", "blake3", "--length", n, "--"}, kNames), f.here())
                  .out == theirs.out);
    }
}

TEST_CASE("hashfile --keyed and --derive-key equal b3sum's") {
    Files f;
    std::string key = random_bytes(32, 77);
    auto theirs = run(with({"b3sum", "--keyed", "--"}, kNames), f.here(key));
    REQUIRE(theirs.status == 0);
    CHECK(run_ptool(with({"hashfile", "-a", "blake3", "--keyed", "--"}, kNames), f.here(key)).out ==
          theirs.out);
    auto derived = run(with({"b3sum", "--derive-key", "ptool 2026 test", "--"}, kNames), f.here());
    CHECK(run_ptool(
              with({"hashfile", "-a", "blake3", "--derive-key", "ptool 2026 test", "--"}, kNames),
              f.here())
              .out == derived.out);
    auto short_key = run_ptool({"hashfile", "-a", "blake3", "--keyed", "plain"}, f.here("short"));
    CHECK(short_key.status == 1);
    CHECK(short_key.err.find("exactly 32 bytes") != std::string::npos);
}

TEST_CASE("hashfile -a blake2b -l equals b2sum -l, and -c reads b2sum -l lines") {
    Files f;
    for (const char* bits : {"8", "160", "256", "512"}) {
        INFO(bits);
        auto theirs = run(with({"b2sum", "-l", bits, "--"}, kNames), f.here());
        REQUIRE(theirs.status == 0);
        CHECK(run_ptool(with({"hashfile", "-a", "blake2b", "-l", bits, "--"}, kNames), f.here())
                  .out == theirs.out);
        auto tagged = run(with({"b2sum", "-l", bits, "--tag", "--"}, kNames), f.here());
        CHECK(run_ptool(with({"hashfile", "-a", "blake2b", "-l", bits, "--tag", "--"}, kNames),
                        f.here())
                  .out == tagged.out);
        write_file(f.dir / "SUMS", tagged.out);
        CHECK(run_ptool({"hashfile", "-c", "--quiet", "SUMS"}, f.here()).status == 0);
        write_file(f.dir / "SUMS", theirs.out);
        CHECK(run_ptool({"hashfile", "-a", "blake2b", "-c", "--quiet", "SUMS"}, f.here()).status ==
              0);
    }
    CHECK(run_ptool({"hashfile", "-a", "blake2b", "-l", "12", "plain"}, f.here()).status == 2);
    CHECK(run_ptool({"hashfile", "-a", "sha256", "-l", "16", "plain"}, f.here()).status == 2);
}

TEST_CASE("hashfile --binary and --text mark GNU lines as coreutils does") {
    Files f;
    CHECK(run_ptool(with({"hashfile", "-b", "--"}, kNames), f.here()).out ==
          run(with({"sha256sum", "-b", "--"}, kNames), f.here()).out);
    CHECK(run_ptool(with({"hashfile", "-a", "md5", "--text", "--"}, kNames), f.here()).out ==
          run(with({"md5sum", "--text", "--"}, kNames), f.here()).out);
    CHECK(run_ptool({"hashfile", "--tag", "--text", "plain"}, f.here()).status == 2);
    CHECK(run_ptool({"hashfile", "-c", "--binary", "plain"}, f.here()).status == 2);
    // Binary-marked lines verify.
    write_file(f.dir / "SUMS", run_ptool({"hashfile", "-b", "plain"}, f.here()).out);
    CHECK(run_ptool({"hashfile", "-c", "SUMS"}, f.here()).out == "plain: OK\n");
}

TEST_CASE("hashfile takes algorithm names in any case and in OpenSSL's and Node's spellings") {
    Files f;
    std::string want = run({"sha256sum", "plain"}, f.here()).out;
    for (const char* name : {"SHA256", "Sha-256", "sha2-256", "SHA-256"}) {
        INFO(name);
        CHECK(run_ptool({"hashfile", "-a", name, "plain"}, f.here()).out == want);
    }
    CHECK(run_ptool({"hashfile", "-a", "SHA-512/256", "plain"}, f.here()).out ==
          run_ptool({"hashfile", "-a", "sha512-256", "plain"}, f.here()).out);
    CHECK(run_ptool({"hashfile", "-a", "CRC32B", "plain"}, f.here()).out ==
          run(with({"rhash", "--crc32", "--simple"}, {"plain"}), f.here()).out);
}
