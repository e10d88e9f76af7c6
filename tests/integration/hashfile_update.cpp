// hashfile --update SUMS (re-hash only what changed, by the SUMS.state sidecar; add new
// files, drop deleted ones) and -c --new (files under the listed tree that SUMS lacks).
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include "test_support.hpp"

using namespace ptool::test;

namespace {

struct Tree {
    TempDir dir;
    RunOptions here;
    Tree() {
        here.cwd = dir.path().string();
        ::mkdir((dir / "src").c_str(), 0755);
        for (const char* n : {"a", "b", "c"}) write_file(dir / (std::string("src/") + n), n);
        for (const char* n : {"a", "b", "c"}) set_old_mtime(std::string("src/") + n);
    }
    // An mtime well before any sidecar this test writes.
    void set_old_mtime(const std::string& name) {
        timeval times[2] = {{1600000000, 0}, {1600000000, 0}};
        REQUIRE(::utimes((dir / name).c_str(), times) == 0);
    }
    RunResult ptool(std::vector<std::string> args) { return run_ptool(args, here); }
};

}  // namespace

TEST_CASE("hashfile --update writes SUMS that -c verifies, and a sidecar") {
    Tree t;
    auto r = t.ptool({"hashfile", "--update", "SUMS", "-r", "src"});
    CHECK(r.status == 0);
    CHECK(r.out.empty());
    CHECK(read_file(t.dir / "SUMS") == run({"sha256sum", "src/a", "src/b", "src/c"}, t.here).out);
    CHECK(read_file(t.dir / "SUMS.state").find(" src/b\n") != std::string::npos);
    CHECK(t.ptool({"hashfile", "-c", "SUMS"}).status == 0);
}

TEST_CASE("hashfile --update re-hashes changed files only, adds new ones, drops deleted ones") {
    Tree t;
    REQUIRE(t.ptool({"hashfile", "-a", "blake3", "--update", "SUMS", "-r", "src"}).status == 0);
    // Same size and mtime, other bytes: trusted (not read again) by design.
    write_file(t.dir / "src/a", "A");
    t.set_old_mtime("src/a");
    write_file(t.dir / "src/b", "bigger");
    ::unlink((t.dir / "src/c").c_str());
    write_file(t.dir / "src/d", "d");
    REQUIRE(t.ptool({"hashfile", "--update", "SUMS", "-r", "src"}).status == 0);
    std::string sums = read_file(t.dir / "SUMS");
    write_file(t.dir / "a-orig", "a");
    std::string a_line = run({"b3sum", "a-orig"}, t.here).out.substr(0, 64) + "  src/a\n";
    CHECK(sums == a_line + run({"b3sum", "src/b", "src/d"}, t.here).out);
    CHECK(read_file(t.dir / "SUMS.state").find("src/c") == std::string::npos);
}

TEST_CASE("hashfile --update keeps unchanged lines byte for byte, BSD ones too") {
    Tree t;
    REQUIRE(
        t.ptool({"hashfile", "--tag", "-a", "sha1", "--update", "SUMS", "src/a", "src/b"}).status ==
        0);
    std::string first = read_file(t.dir / "SUMS");
    CHECK(first == run({"sha1sum", "--tag", "src/a", "src/b"}, t.here).out);
    write_file(t.dir / "src/b", "changed");
    REQUIRE(t.ptool({"hashfile", "--update", "SUMS"}).status == 0);
    CHECK(read_file(t.dir / "SUMS") == run({"sha1sum", "--tag", "src/a", "src/b"}, t.here).out);
}

TEST_CASE("hashfile -c --new reports files under the listed tree that SUMS lacks") {
    Tree t;
    write_file(t.dir / "SUMS", run({"sha256sum", "src/a", "src/b"}, t.here).out);
    auto r = t.ptool({"hashfile", "-c", "--new", "SUMS"});
    CHECK(r.status == 1);
    CHECK(r.out == "src/a: OK\nsrc/b: OK\nsrc/c: NEW\n");
    CHECK(r.err == "ptool hashfile: WARNING: 1 file on disk is not listed\n");
    CHECK(t.ptool({"hashfile", "-c", "--new", "--exclude", "c", "SUMS"}).status == 0);
    CHECK(t.ptool({"hashfile", "-c", "SUMS"}).status == 0);
}

TEST_CASE("hashfile -c --new does not report the check file itself") {
    Tree t;
    write_file(t.dir / "src/SUMS", "");
    RunOptions in_src = t.here;
    in_src.cwd = t.dir / "src";
    write_file(t.dir / "src/SUMS", run({"sha256sum", "a", "b", "c"}, in_src).out);
    auto r = run_ptool({"hashfile", "-c", "--new", "--quiet", "SUMS"}, in_src);
    CHECK(r.status == 0);
    CHECK(r.out.empty());
}
