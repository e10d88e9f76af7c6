// The algorithms and modes users reach for beyond sha*sum, byte for byte against their
// peers: crc32 (rhash), cksum, xxh32 (xxhsum -H0), sha512-256 (openssl), b3sum's
// --length/--keyed/--derive-key, b2sum's -l, coreutils' --binary/--text, and algorithm
// names in any case and in OpenSSL's and Node's spellings.
#include <catch2/catch.hpp>

#include "named_files.hpp"
#include "test_support.hpp"

using namespace ptool::test;

namespace {

// No name with a newline: cksum, rhash and xxhsum write those raw, unreadably.
const std::vector<std::string> kNames = {"plain", "sp ace", "b\\s", "it's", "-dash"};

struct Files : NamedFiles {
    Files() : NamedFiles(kNames, 1500, 1, 9) {}
};

}  // namespace

TEST_CASE("hashfile -a crc32 equals rhash --crc32 --simple, and --bsd with --tag") {
    Files f;
    // rhash 1.4 takes no "--" and reads a backslash as a directory separator.
    std::vector<std::string> names = {"plain", "sp ace", "it's"};
    auto ours = run_ptool(with({"hashfile", "-a", "crc32"}, names), f.in_dir());
    auto theirs = run(with({"rhash", "--crc32", "--simple"}, names), f.in_dir());
    REQUIRE(theirs.status == 0);
    CHECK(ours.out == theirs.out);
    CHECK(run_ptool(with({"hashfile", "-a", "crc32", "--tag"}, names), f.in_dir()).out ==
          run(with({"rhash", "--crc32", "--bsd"}, names), f.in_dir()).out);
}

TEST_CASE("hashfile -a cksum equals cksum, for files and for standard input") {
    Files f;
    auto ours = run_ptool(with({"hashfile", "-a", "cksum", "--"}, kNames), f.in_dir());
    auto theirs = run(with({"cksum", "--"}, kNames), f.in_dir());
    REQUIRE(theirs.status == 0);
    CHECK(ours.out == theirs.out);
    RunOptions in;
    in.input = random_bytes(70000, 3);
    CHECK(run_ptool({"hashfile", "-a", "cksum"}, in).out == run({"cksum"}, in).out);
    CHECK(run_ptool({"hashfile", "-a", "cksum", "-"}, in).out == run({"cksum", "-"}, in).out);
}

TEST_CASE("hashfile -c reads cksum's lines") {
    Files f;
    write_file(f.dir / "SUMS", run(with({"cksum", "--"}, kNames), f.in_dir()).out);
    auto r = run_ptool({"hashfile", "-c", "SUMS"}, f.in_dir());
    CHECK(r.status == 0);
    CHECK(r.out == "plain: OK\nsp ace: OK\nb\\s: OK\nit's: OK\n-dash: OK\n");
}

TEST_CASE("hashfile -a xxh32 equals xxhsum -H0 and -c reads xxhsum -H0 lines") {
    Files f;
    auto theirs = run(with({"xxhsum", "-H0", "--"}, kNames), f.in_dir());
    REQUIRE(theirs.status == 0);
    CHECK(run_ptool(with({"hashfile", "-a", "xxh32", "--"}, kNames), f.in_dir()).out == theirs.out);
    write_file(f.dir / "SUMS", theirs.out);
    CHECK(run_ptool({"hashfile", "-c", "--quiet", "SUMS"}, f.in_dir()).status == 0);
}

TEST_CASE("hashfile -a sha512-256 equals openssl dgst -sha512-256") {
    Files f;
    auto theirs = run({"openssl", "dgst", "-sha512-256", "-r", "plain"}, f.in_dir());
    REQUIRE(theirs.status == 0);
    auto ours = run_ptool({"hashfile", "-a", "sha512-256", "plain"}, f.in_dir());
    CHECK(ours.out == theirs.out.substr(0, 64) + "  plain\n");
}

TEST_CASE("hashfile -a blake3 --length equals b3sum --length") {
    Files f;
    for (const char* n : {"1", "16", "32", "100", "1000"}) {
        INFO(n);
        auto theirs = run(with({"b3sum", "--length", n, "--"}, kNames), f.in_dir());
        REQUIRE(theirs.status == 0);
        CHECK(run_ptool(with({"hashfile", "-a", "blake3", "--length", n, "--"}, kNames), f.in_dir())
                  .out == theirs.out);
    }
}

TEST_CASE("hashfile --keyed and --derive-key equal b3sum's") {
    Files f;
    std::string key = random_bytes(32, 77);
    auto theirs = run(with({"b3sum", "--keyed", "--"}, kNames), f.in_dir(key));
    REQUIRE(theirs.status == 0);
    CHECK(
        run_ptool(with({"hashfile", "-a", "blake3", "--keyed", "--"}, kNames), f.in_dir(key)).out ==
        theirs.out);
    auto derived =
        run(with({"b3sum", "--derive-key", "ptool 2026 test", "--"}, kNames), f.in_dir());
    CHECK(run_ptool(
              with({"hashfile", "-a", "blake3", "--derive-key", "ptool 2026 test", "--"}, kNames),
              f.in_dir())
              .out == derived.out);
    auto short_key = run_ptool({"hashfile", "-a", "blake3", "--keyed", "plain"}, f.in_dir("short"));
    CHECK(short_key.status == 1);
    CHECK(short_key.err.find("exactly 32 bytes") != std::string::npos);
}

TEST_CASE("hashfile -a blake2b -l equals b2sum -l, and -c reads b2sum -l lines") {
    Files f;
    for (const char* bits : {"8", "160", "256", "512"}) {
        INFO(bits);
        auto theirs = run(with({"b2sum", "-l", bits, "--"}, kNames), f.in_dir());
        REQUIRE(theirs.status == 0);
        CHECK(run_ptool(with({"hashfile", "-a", "blake2b", "-l", bits, "--"}, kNames), f.in_dir())
                  .out == theirs.out);
        auto tagged = run(with({"b2sum", "-l", bits, "--tag", "--"}, kNames), f.in_dir());
        CHECK(run_ptool(with({"hashfile", "-a", "blake2b", "-l", bits, "--tag", "--"}, kNames),
                        f.in_dir())
                  .out == tagged.out);
        write_file(f.dir / "SUMS", tagged.out);
        CHECK(run_ptool({"hashfile", "-c", "--quiet", "SUMS"}, f.in_dir()).status == 0);
        write_file(f.dir / "SUMS", theirs.out);
        CHECK(
            run_ptool({"hashfile", "-a", "blake2b", "-c", "--quiet", "SUMS"}, f.in_dir()).status ==
            0);
    }
    CHECK(run_ptool({"hashfile", "-a", "blake2b", "-l", "12", "plain"}, f.in_dir()).status == 2);
    CHECK(run_ptool({"hashfile", "-a", "sha256", "-l", "16", "plain"}, f.in_dir()).status == 2);
}

TEST_CASE("hashfile --binary and --text mark GNU lines as coreutils does") {
    Files f;
    CHECK(run_ptool(with({"hashfile", "-b", "--"}, kNames), f.in_dir()).out ==
          run(with({"sha256sum", "-b", "--"}, kNames), f.in_dir()).out);
    CHECK(run_ptool(with({"hashfile", "-a", "md5", "--text", "--"}, kNames), f.in_dir()).out ==
          run(with({"md5sum", "--text", "--"}, kNames), f.in_dir()).out);
    CHECK(run_ptool({"hashfile", "--tag", "--text", "plain"}, f.in_dir()).status == 2);
    CHECK(run_ptool({"hashfile", "-c", "--binary", "plain"}, f.in_dir()).status == 2);
    // Binary-marked lines verify.
    write_file(f.dir / "SUMS", run_ptool({"hashfile", "-b", "plain"}, f.in_dir()).out);
    CHECK(run_ptool({"hashfile", "-c", "SUMS"}, f.in_dir()).out == "plain: OK\n");
}

TEST_CASE("hashfile takes algorithm names in any case and in OpenSSL's and Node's spellings") {
    Files f;
    std::string want = run({"sha256sum", "plain"}, f.in_dir()).out;
    for (const char* name : {"SHA256", "Sha-256", "sha2-256", "SHA-256"}) {
        INFO(name);
        CHECK(run_ptool({"hashfile", "-a", name, "plain"}, f.in_dir()).out == want);
    }
    CHECK(run_ptool({"hashfile", "-a", "SHA-512/256", "plain"}, f.in_dir()).out ==
          run_ptool({"hashfile", "-a", "sha512-256", "plain"}, f.in_dir()).out);
    CHECK(run_ptool({"hashfile", "-a", "CRC32B", "plain"}, f.in_dir()).out ==
          run(with({"rhash", "--crc32", "--simple"}, {"plain"}), f.in_dir()).out);
}
