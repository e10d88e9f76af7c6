// hashfile -j: never more threads than files (nor than a cap), so a huge -j
// neither aborts nor costs memory; bad values are one line, exit 2.
#include <catch2/catch.hpp>

#include <string>

#include "processes.hpp"
#include "test_support.hpp"

using namespace ptool::test;

TEST_CASE("hashfile -j 40000 with two files hashes both, in order, on at most two threads") {
    TempDir dir;
    write_file(dir / "a", random_bytes(100000, 1));
    write_file(dir / "b", "b\n");
    auto want = run({"sha256sum", dir / "a", dir / "b"});
    for (const char* jobs : {"40000", "20000", "2", "1"}) {
        INFO("-j " << jobs);
        RunResult r;
        long kib = peak_rss_kib({"hashfile", "-j", jobs, dir / "a", dir / "b"}, r);
        CHECK(r.status == 0);
        CHECK(r.out == want.out);
        CHECK(kib < 96 * 1024);  // -j 20000 held 250 MB of thread stacks and buffers
    }
}

TEST_CASE("hashfile -j with many files keeps output in input order") {
    TempDir dir;
    std::vector<std::string> args = {"hashfile", "-a", "xxh64", "-j", "1000"};
    std::vector<std::string> peer = {"xxhsum", "-H1"};
    for (int i = 0; i < 300; ++i) {
        std::string f = dir / ("f" + std::to_string(i));
        write_file(f, random_bytes(static_cast<size_t>(i) * 37, static_cast<uint64_t>(i)));
        args.push_back(f);
        peer.push_back(f);
    }
    auto want = run(peer);
    auto got = run_ptool(args);
    CHECK(got.status == 0);
    CHECK(got.out == want.out);
}

TEST_CASE("hashfile -j rejects negative, junk and huge values in one line with exit 2") {
    for (std::string jobs : {"-1", "x", "", "99999999999", "0x10"}) {
        INFO("-j '" << jobs << "'");
        auto r = run_ptool({"hashfile", "-j", jobs, "/dev/null"});
        CHECK(r.status == 2);
        CHECK(r.out.empty());
        // Every bad value, an empty one too, is named by the option's long name.
        CHECK(r.err.rfind(
                  jobs.empty() ? "ptool hashfile: --jobs: empty value" : "ptool hashfile: --jobs: ",
                  0) == 0);
        CHECK(r.err.find('\n') == r.err.size() - 1);
    }
}
