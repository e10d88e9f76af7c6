// hashfile as a user meets it, byte for byte against the real peers: coreutils
// sha*sum/md5sum/b2sum 9.1, b3sum 1.2, xxhsum 0.8.1 and openssl.
#include <sys/stat.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <filesystem>

#include "named_files.hpp"
#include "test_support.hpp"

using namespace ptool::test;

namespace {

// Names that exercise coreutils' escaping: backslash, newline, CR, blanks, a quote.
const std::vector<std::string> kNames = {"plain", "sp ace", "b\\s", "n\nl",
                                         "c\rr",  "it's",   "-dash"};

struct Tree : NamedFiles {
    Tree() : NamedFiles(kNames, 1000, 3, 0) {}
};

// Peer stderr with its program name replaced by ours.
std::string as_ours(std::string err, const std::string& peer) {
    std::string from = peer + ":", to = "ptool hashfile:";
    for (size_t pos = 0; (pos = err.find(from, pos)) != std::string::npos; pos += to.size())
        err.replace(pos, from.size(), to);
    return err;
}

}  // namespace

TEST_CASE("hashfile output equals the coreutils sum tool for each algorithm") {
    Tree t;
    const std::pair<const char*, const char*> peers[] = {
        {"md5", "md5sum"},       {"sha1", "sha1sum"},     {"sha224", "sha224sum"},
        {"sha256", "sha256sum"}, {"sha384", "sha384sum"}, {"sha512", "sha512sum"},
        {"blake2b", "b2sum"}};
    for (const auto& [algo, peer] : peers) {
        INFO(algo);
        auto ours = run_ptool(with({"hashfile", "-a", algo, "--"}, kNames), t.in_dir());
        auto theirs = run(with({peer, "--"}, kNames), t.in_dir());
        REQUIRE(theirs.status == 0);
        CHECK(ours.status == 0);
        CHECK(ours.out == theirs.out);
    }
}

TEST_CASE("hashfile defaults to sha256") {
    Tree t;
    auto ours = run_ptool({"hashfile", "plain"}, t.in_dir());
    CHECK(ours.out == run({"sha256sum", "plain"}, t.in_dir()).out);
}

TEST_CASE("hashfile -a blake3 output equals b3sum") {
    Tree t;
    auto ours = run_ptool(with({"hashfile", "-a", "blake3", "--"}, kNames), t.in_dir());
    auto theirs = run(with({"b3sum", "--"}, kNames), t.in_dir());
    REQUIRE(theirs.status == 0);
    CHECK(ours.out == theirs.out);
}

TEST_CASE("hashfile -a xxh64 xxh128 and xxh3 output equals xxhsum -H1 -H2 and -H3") {
    Tree t;
    // xxhsum cannot write a name with a newline readably; every other name is compared.
    std::vector<std::string> names = {"plain", "sp ace", "b\\s", "c\rr", "it's"};
    for (auto [algo, flag] : {std::pair{"xxh64", "-H1"}, {"xxh128", "-H2"}, {"xxh3", "-H3"}}) {
        INFO(algo);
        auto ours = run_ptool(with({"hashfile", "-a", algo}, names), t.in_dir());
        auto theirs = run(with({"xxhsum", flag}, names), t.in_dir());
        REQUIRE(theirs.status == 0);
        CHECK(ours.out == theirs.out);
    }
}

TEST_CASE("hashfile equals xxhsum b2sum and b3sum on sizes around blocks and past one read") {
    // Block edges of BLAKE2b (128), XXH3 (240-byte short path, 1 KiB stripes) and BLAKE3
    // (1 KiB chunks), and files spanning several 256 KiB reads, where the AVX2 code runs.
    TempDir dir;
    std::vector<std::string> names;
    for (size_t size : {0, 1, 127, 128, 129, 240, 241, 1024, 1025, 262144, 262145, 3 << 20}) {
        names.push_back("f" + std::to_string(size));
        write_file(dir / names.back(), random_bytes(size + (size > 100000 ? 17 : 0), size));
    }
    RunOptions in_dir;
    in_dir.cwd = dir.path().string();
    const std::pair<const char*, std::vector<std::string>> peers[] = {{"xxh64", {"xxhsum", "-H1"}},
                                                                      {"xxh128", {"xxhsum", "-H2"}},
                                                                      {"xxh3", {"xxhsum", "-H3"}},
                                                                      {"blake2b", {"b2sum", "--"}},
                                                                      {"blake3", {"b3sum", "--"}}};
    for (const auto& [algo, peer] : peers) {
        INFO(algo);
        auto theirs = run(with(peer, names), in_dir);
        REQUIRE(theirs.status == 0);
        CHECK(run_ptool(with({"hashfile", "-a", algo, "--"}, names), in_dir).out == theirs.out);
    }
}

TEST_CASE("hashfile --tag equals sha256sum --tag and b2sum --tag") {
    Tree t;
    CHECK(run_ptool(with({"hashfile", "--tag", "--"}, kNames), t.in_dir()).out ==
          run(with({"sha256sum", "--tag", "--"}, kNames), t.in_dir()).out);
    CHECK(run_ptool(with({"hashfile", "--tag", "-a", "blake2b", "--"}, kNames), t.in_dir()).out ==
          run(with({"b2sum", "--tag", "--"}, kNames), t.in_dir()).out);
}

TEST_CASE("hashfile -z equals sha256sum -z") {
    Tree t;
    auto ours = run_ptool(with({"hashfile", "-z", "--"}, kNames), t.in_dir());
    CHECK(ours.out == run(with({"sha256sum", "-z", "--"}, kNames), t.in_dir()).out);
    CHECK(ours.out.find('\0') != std::string::npos);
}

TEST_CASE("hashfile reads standard input when given no file or a dash") {
    std::string data = random_bytes(100000, 5);
    RunOptions with_input;
    with_input.input = data;
    auto expected = run({"sha256sum"}, with_input);
    CHECK(run_ptool({"hashfile"}, data).out == expected.out);
    CHECK(run_ptool({"hashfile", "-"}, data).out == expected.out);
}

TEST_CASE("several -a give one line per algorithm per file in the order given") {
    Tree t;
    auto r = run_ptool({"hashfile", "-a", "md5", "-a", "sha1", "plain", "sp ace"}, t.in_dir());
    auto md5 = run({"md5sum", "plain", "sp ace"}, t.in_dir()).out;
    auto sha1 = run({"sha1sum", "plain", "sp ace"}, t.in_dir()).out;
    auto first = [](const std::string& s) { return s.substr(0, s.find('\n') + 1); };
    auto second = [](const std::string& s) { return s.substr(s.find('\n') + 1); };
    CHECK(r.out == first(md5) + first(sha1) + second(md5) + second(sha1));
    CHECK(run_ptool({"hashfile", "-a", "md5,sha1", "plain", "sp ace"}, t.in_dir()).out == r.out);
}

TEST_CASE("sha256sum -c accepts hashfile output and hashfile -c accepts sha256sum output") {
    Tree t;
    for (const char* tag : {"--tag", "-a"}) {
        std::vector<std::string> opts = tag == std::string("--tag")
                                            ? std::vector<std::string>{"--tag"}
                                            : std::vector<std::string>{};
        auto ours = run_ptool(with(with({"hashfile"}, opts), with({"--"}, kNames)), t.in_dir());
        write_file(t.dir / "ours.sum", ours.out);
        auto peer_check = run({"sha256sum", "-c", "ours.sum"}, t.in_dir());
        CHECK(peer_check.status == 0);
        auto theirs = run(with(with({"sha256sum"}, opts), with({"--"}, kNames)), t.in_dir());
        write_file(t.dir / "theirs.sum", theirs.out);
        auto our_check = run_ptool({"hashfile", "-c", "theirs.sum"}, t.in_dir());
        CHECK(our_check.status == 0);
        CHECK(our_check.out == peer_check.out);
    }
}

TEST_CASE("b2sum b3sum and xxhsum -c accept hashfile output and hashfile -c accepts theirs") {
    Tree t;
    std::vector<std::string> names = {"plain", "sp ace", "b\\s", "it's"};
    struct Peer {
        const char* algo;
        std::vector<std::string> make, check;
    };
    const Peer peers[] = {{"blake2b", {"b2sum"}, {"b2sum", "-c"}},
                          {"blake3", {"b3sum"}, {"b3sum", "-c"}},
                          {"xxh64", {"xxhsum", "-H1"}, {"xxhsum", "-c"}},
                          {"xxh128", {"xxhsum", "-H2"}, {"xxhsum", "-c"}},
                          {"xxh3", {"xxhsum", "-H3"}, {"xxhsum", "-c"}}};
    for (const auto& p : peers) {
        INFO(p.algo);
        write_file(t.dir / "ours.sum",
                   run_ptool(with({"hashfile", "-a", p.algo}, names), t.in_dir()).out);
        CHECK(run(with(p.check, {"ours.sum"}), t.in_dir()).status == 0);
        write_file(t.dir / "theirs.sum", run(with(p.make, names), t.in_dir()).out);
        auto r = run_ptool({"hashfile", "-a", p.algo, "-c", "theirs.sum"}, t.in_dir());
        CHECK(r.status == 0);
        CHECK(r.out == "plain: OK\nsp ace: OK\nb\\s: OK\nit's: OK\n");
    }
}

TEST_CASE("hashfile -c messages summaries and exit status equal sha256sum -c") {
    Tree t;
    std::string good = run(with({"sha256sum", "--"}, kNames), t.in_dir()).out;
    std::string zeros(64, '0');
    write_file(t.dir / "good.sum", good);
    write_file(t.dir / "bad.sum", "garbage\nmore garbage\n");
    write_file(t.dir / "mix.sum", good + "junk line\n" + zeros + "  missing\n" + zeros +
                                      "  plain\n# comment\n\n" + zeros + "  b\\s\n" + "\\" + zeros +
                                      "  n\\nl\n");
    write_file(t.dir / "miss.sum", zeros + "  missing\n" + zeros + "  'other one'\n");
    write_file(t.dir / "two.sum", zeros + "  plain\n" + zeros + "  sp ace\njunk\njunk\n");
    std::filesystem::create_directory(t.dir / "adir");
    write_file(t.dir / "dir.sum", zeros + "  adir\n");
    const std::vector<std::vector<std::string>> cases = {
        {"good.sum"},
        {"bad.sum"},
        {"mix.sum"},
        {"--warn", "mix.sum"},
        {"--quiet", "mix.sum"},
        {"--status", "mix.sum"},
        {"--strict", "good.sum", "two.sum"},
        {"--warn", "--strict", "two.sum"},
        {"--ignore-missing", "mix.sum"},
        {"--ignore-missing", "miss.sum"},
        {"nonexistent.sum", "good.sum"},
        {"dir.sum"},
        {"adir"},
    };
    for (const auto& args : cases) {
        INFO(args.back());
        auto ours = run_ptool(with({"hashfile", "-c"}, args), t.in_dir());
        auto theirs = run(with({"sha256sum", "-c"}, args), t.in_dir());
        CHECK(ours.out == theirs.out);
        CHECK(ours.err == as_ours(theirs.err, "sha256sum"));
        CHECK(ours.status == theirs.status);
    }
}

TEST_CASE("hashfile -c reads the list from standard input") {
    Tree t;
    std::string sums = run({"sha256sum", "plain", "sp ace"}, t.in_dir()).out;
    auto ours = run_ptool({"hashfile", "-c"}, t.in_dir(sums + "junk\n"));
    auto theirs = run({"sha256sum", "-c", "--warn"}, t.in_dir(sums + "junk\n"));
    CHECK(ours.out == theirs.out);
    CHECK(run_ptool({"hashfile", "-c", "--warn", "-"}, t.in_dir(sums + "junk\n")).err ==
          as_ours(theirs.err, "sha256sum"));
}

TEST_CASE("hashfile -c reports a mismatch and exits 1") {
    Tree t;
    write_file(t.dir / "s", std::string(64, 'f') + "  plain\n");
    auto r = run_ptool({"hashfile", "-c", "s"}, t.in_dir());
    CHECK(r.status == 1);
    CHECK(r.out == "plain: FAILED\n");
    CHECK(r.err == "ptool hashfile: WARNING: 1 computed checksum did NOT match\n");
}

TEST_CASE("hashfile -c finds each line's algorithm from its tag or length") {
    Tree t;
    std::string sums = run({"md5sum", "plain"}, t.in_dir()).out +
                       run({"sha1sum", "plain"}, t.in_dir()).out +
                       run({"sha512sum", "--tag", "plain"}, t.in_dir()).out +
                       run({"xxhsum", "-H3", "plain"}, t.in_dir()).out;
    auto r = run_ptool({"hashfile", "-c"}, t.in_dir(sums));
    CHECK(r.status == 0);
    CHECK(r.out == "plain: OK\nplain: OK\nplain: OK\nplain: OK\n");
}

TEST_CASE("hashfile -r hashes a tree depth first with entries in byte order") {
    TempDir d;
    std::filesystem::create_directories(d / "top/B/inner");
    std::filesystem::create_directories(d / "top/a");
    for (const char* f : {"top/z", "top/B/inner/x", "top/B/y", "top/a/1", "top/C", "top/_"})
        write_file(d / f, f);
    RunOptions o;
    o.cwd = d.path().string();
    auto r = run_ptool({"hashfile", "-r", "-a", "md5", "top"}, o);
    CHECK(r.status == 0);
    auto expected =
        run({"md5sum", "top/B/inner/x", "top/B/y", "top/C", "top/_", "top/a/1", "top/z"}, o);
    CHECK(r.out == expected.out);
    CHECK(run_ptool({"hashfile", "-r", "-a", "md5", "top/"}, o).out == expected.out);
}

TEST_CASE("hashfile reports a directory without -r and goes on") {
    Tree t;
    std::filesystem::create_directory(t.dir / "adir");
    auto r = run_ptool({"hashfile", "adir", "plain"}, t.in_dir());
    CHECK(r.status == 1);
    CHECK(r.err == "ptool hashfile: adir: Is a directory\n");
    CHECK(r.out == run({"sha256sum", "plain"}, t.in_dir()).out);
}

TEST_CASE("hashfile reports a missing file as sha256sum does and exits 1") {
    Tree t;
    auto ours = run_ptool({"hashfile", "no such", "plain", "gone"}, t.in_dir());
    auto theirs = run({"sha256sum", "no such", "plain", "gone"}, t.in_dir());
    CHECK(ours.status == 1);
    CHECK(ours.out == theirs.out);
    CHECK(ours.err == as_ours(theirs.err, "sha256sum"));
}

TEST_CASE("hashfile reports a file it may not read and exits 1") {
    TempDir d;
    ::chmod(d.path().c_str(), 0755);
    write_file(d / "secret", "x");
    write_file(d / "open", "y");
    ::chmod((d / "secret").c_str(), 0);
    ::chmod((d / "open").c_str(), 0644);
    // Tests run as root, who may read anything: drop to nobody for this run.
    auto r = run({"setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", ptool_bin(),
                  "hashfile", d / "secret", d / "open"});
    CHECK(r.status == 1);
    CHECK(r.err == "ptool hashfile: " + (d / "secret") + ": Permission denied\n");
    CHECK(r.out == run({"sha256sum", d / "open"}).out);
}

TEST_CASE("hashfile -j keeps the output in input order") {
    TempDir d;
    std::vector<std::string> names;
    for (int i = 0; i < 300; ++i) {
        names.push_back(d / ("f" + std::to_string(i)));
        write_file(names.back(), random_bytes(static_cast<size_t>((i * 7919) % 20000), i));
    }
    names.push_back(d / "missing");
    auto expected = run(with({"sha256sum"}, names));
    for (const char* jobs : {"1", "2", "4"}) {
        auto r = run_ptool(with({"hashfile", "-j", jobs}, names));
        CHECK(r.out == expected.out);
        CHECK(r.status == 1);
    }
}

TEST_CASE("hashfile --hmac-key equals openssl dgst -hmac") {
    Tree t;
    for (auto [algo, flag] : {std::pair{"md5", "-md5"},
                              {"sha1", "-sha1"},
                              {"sha256", "-sha256"},
                              {"sha512", "-sha512"},
                              {"sha3-256", "-sha3-256"},
                              {"blake2b", "-blake2b512"},
                              {"blake2s", "-blake2s256"}}) {
        INFO(algo);
        auto ours =
            run_ptool({"hashfile", "-a", algo, "--hmac-key", "s3cret key", "plain"}, t.in_dir());
        auto theirs =
            run({"openssl", "dgst", flag, "-hmac", "s3cret key", "-r", "plain"}, t.in_dir());
        REQUIRE(theirs.status == 0);
        CHECK(ours.out.substr(0, ours.out.find(' ')) == theirs.out.substr(0, theirs.out.find(' ')));
    }
}

TEST_CASE("hashfile --hmac-key-file uses the file's exact bytes as openssl mac does") {
    Tree t;
    std::string key = "key with newline\n\x01\xff";
    write_file(t.dir / "key", key);
    std::string hexkey;
    for (unsigned char c : key) {
        const char* digits = "0123456789abcdef";
        hexkey += digits[c >> 4];
        hexkey += digits[c & 15];
    }
    auto ours = run_ptool({"hashfile", "--hmac-key-file", "key", "plain"}, t.in_dir());
    auto theirs = run({"openssl", "mac", "-digest", "SHA256", "-macopt", "hexkey:" + hexkey, "-in",
                       "plain", "HMAC"},
                      t.in_dir());
    REQUIRE(theirs.status == 0);
    std::string mac = theirs.out.substr(0, 64);
    for (char& c : mac) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    CHECK(ours.out == mac + "  plain\n");
}

TEST_CASE("hashfile --json writes one object per file and algorithm") {
    Tree t;
    auto r = run_ptool({"hashfile", "--json", "-a", "md5", "-a", "xxh3", "plain"}, t.in_dir());
    std::string md5 = run({"md5sum", "plain"}, t.in_dir()).out.substr(0, 32);
    CHECK(r.out ==
          "{\"file\":\"plain\",\"algo\":\"md5\",\"digest\":\"" + md5 +
              "\",\"size\":3}\n{\"file\":\"plain\",\"algo\":\"xxh3\",\"digest\":\"" +
              run_ptool({"hashfile", "-a", "xxh3", "plain"}, t.in_dir()).out.substr(15, 16) +
              "\",\"size\":3}\n");
}

TEST_CASE("hashfile rejects an unknown algorithm listing the valid ones with exit 2") {
    auto r = run_ptool({"hashfile", "-a", "sha999", "/dev/null"});
    CHECK(r.status == 2);
    CHECK(r.err.find("unknown algorithm 'sha999'") != std::string::npos);
    CHECK(r.err.find("blake3, xxh64, xxh3, xxh128") != std::string::npos);
}

TEST_CASE("hashfile rejects check-only options without -c") {
    CHECK(run_ptool({"hashfile", "--strict", "/dev/null"}).status == 2);
    CHECK(run_ptool({"hashfile", "-c", "--tag", "/dev/null"}).status == 2);
}

TEST_CASE("hashfile reports a write error on a full disk and exits 1") {
    auto r = run_shell("\"$PTOOL\" hashfile /dev/null >/dev/full");
    CHECK(r.status == 1);
    CHECK(r.err == "ptool hashfile: write error: No space left on device\n");
}

TEST_CASE("hashfile man page renders cleanly") {
    auto r = run({"groff", "-man", "-ww", "-z", "-Tutf8", source_dir() + "/man/ptool-hashfile.1"});
    CHECK(r.status == 0);
    CHECK(r.err.empty());
}
