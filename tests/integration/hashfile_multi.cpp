// hashfile's own multi-algorithm output verifies with its own -c and no options (lines
// that -c would take for another algorithm are BSD lines), a failing untagged line names
// the algorithm it does match, and -c speaks JSON and runs on -j threads in list order.
#include <sys/stat.h>
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <sstream>

#include "test_support.hpp"

using namespace ptool::test;

namespace {

struct Files {
    TempDir dir;
    std::vector<std::string> names = {"a", "sp ace", "b\\s", "n\nl"};
    Files() {
        for (size_t i = 0; i < names.size(); ++i)
            write_file(dir / names[i], random_bytes(777 * i + 5, i + 40));
    }
    RunOptions here() const {
        RunOptions o;
        o.cwd = dir.path().string();
        return o;
    }
};

std::vector<nlohmann::json> json_lines(const std::string& out) {
    std::vector<nlohmann::json> v;
    std::istringstream in(out);
    for (std::string line; std::getline(in, line);) v.push_back(nlohmann::json::parse(line));
    return v;
}

}  // namespace

TEST_CASE("hashfile output of many algorithms verifies with its own -c and no options") {
    Files f;
    std::vector<std::string> args = {"hashfile"};
    for (const char* a :
         {"md5", "sha1", "sha256", "sha3-256", "blake2s", "blake3", "sha512-256", "sha512",
          "sha3-512", "blake2b", "xxh64", "xxh3", "xxh128", "crc32", "xxh32", "cksum"})
        args.insert(args.end(), {"-a", a});
    args.push_back("--");
    args.insert(args.end(), f.names.begin(), f.names.end());
    auto sums = run_ptool(args, f.here());
    REQUIRE(sums.status == 0);
    write_file(f.dir / "SUMS", sums.out);
    auto check = run_ptool({"hashfile", "-c", "SUMS"}, f.here());
    CHECK(check.status == 0);
    CHECK(check.err.empty());
    CHECK(check.out.find("FAILED") == std::string::npos);
    // 16 lines for each of the four files.
    CHECK(std::count(check.out.begin(), check.out.end(), '\n') == 64);
}

TEST_CASE("hashfile multi-algorithm output tags only the lines whose length is ambiguous") {
    Files f;
    auto out =
        run_ptool({"hashfile", "-a", "md5", "-a", "sha256", "-a", "blake3", "a"}, f.here()).out;
    std::string want = run({"md5sum", "a"}, f.here()).out + run({"sha256sum", "a"}, f.here()).out;
    std::string b3 = run({"b3sum", "a"}, f.here()).out;
    want += "BLAKE3 (a) = " + b3.substr(0, 64) + "\n";
    CHECK(out == want);
}

TEST_CASE("hashfile single-algorithm blake3 output stays b3sum's") {
    Files f;
    CHECK(run_ptool({"hashfile", "-a", "blake3", "a"}, f.here()).out ==
          run({"b3sum", "a"}, f.here()).out);
}

TEST_CASE("hashfile -c on a b3sum line names blake3 as the algorithm that matches") {
    Files f;
    write_file(f.dir / "SUMS", run({"b3sum", "a"}, f.here()).out);
    auto r = run_ptool({"hashfile", "-c", "SUMS"}, f.here());
    CHECK(r.status == 1);
    CHECK(r.out == "a: FAILED (matches blake3; use -a blake3 or --tag lines)\n");
    CHECK(r.err == "ptool hashfile: WARNING: 1 computed checksum did NOT match\n");
    CHECK(run_ptool({"hashfile", "-a", "blake3", "-c", "SUMS"}, f.here()).status == 0);
}

TEST_CASE("hashfile -c on a corrupted line names no other algorithm") {
    Files f;
    std::string line = run({"sha256sum", "a"}, f.here()).out;
    line[0] = line[0] == '0' ? '1' : '0';
    write_file(f.dir / "SUMS", line);
    auto r = run_ptool({"hashfile", "-c", "SUMS"}, f.here());
    CHECK(r.status == 1);
    CHECK(r.out == "a: FAILED\n");
}

TEST_CASE("hashfile -c --json gives a record per line: ok failed missing unreadable") {
    Files f;
    std::string ok = run({"sha256sum", "a"}, f.here()).out;
    std::string bad = run({"sha256sum", "sp ace"}, f.here()).out;
    bad[0] = bad[0] == 'f' ? 'e' : 'f';
    std::string gone = ok.substr(0, 66) + "gone\n";
    ::mkdir((f.dir / "dir").c_str(), 0755);
    std::string dir = ok.substr(0, 66) + "dir\n";
    write_file(f.dir / "SUMS", ok + bad + gone + dir);
    auto r = run_ptool({"hashfile", "-c", "--json", "SUMS"}, f.here());
    CHECK(r.status == 1);
    auto records = json_lines(r.out);
    REQUIRE(records.size() == 4);
    const char* want[][2] = {
        {"a", "ok"}, {"sp ace", "failed"}, {"gone", "missing"}, {"dir", "unreadable"}};
    for (size_t i = 0; i < 4; ++i) {
        INFO(i);
        CHECK(records[i]["file"] == want[i][0]);
        CHECK(records[i]["status"] == want[i][1]);
        CHECK(records[i]["algo"] == "sha256");
        CHECK(records[i]["expected"].is_string());
    }
    CHECK(records[0]["actual"] == records[0]["expected"]);
    CHECK(records[1]["actual"] != records[1]["expected"]);
    CHECK(records[2]["actual"].is_null());
    CHECK(r.err.find("gone: No such file or directory") != std::string::npos);
}

TEST_CASE("hashfile -c --json names the matching algorithm of a failed untagged line") {
    Files f;
    write_file(f.dir / "SUMS", run({"b3sum", "a"}, f.here()).out);
    auto records = json_lines(run_ptool({"hashfile", "-c", "--json", "SUMS"}, f.here()).out);
    REQUIRE(records.size() == 1);
    CHECK(records[0]["status"] == "failed");
    CHECK(records[0]["matches"] == "blake3");
}

TEST_CASE("hashfile -c -j 4 prints what -j 1 prints, in list order") {
    TempDir dir;
    std::string sums;
    for (int i = 0; i < 200; ++i) {
        std::string name = "f" + std::to_string(i);
        write_file(dir / name, random_bytes(static_cast<size_t>(i) * 53, static_cast<uint64_t>(i)));
    }
    RunOptions here;
    here.cwd = dir.path().string();
    std::vector<std::string> args = {"sha256sum"};
    for (int i = 0; i < 200; ++i) args.push_back("f" + std::to_string(i));
    sums = run(args, here).out;
    sums.replace(0, 1, sums[0] == '0' ? "1" : "0");  // f0 fails
    write_file(dir / "SUMS", sums);
    auto serial = run_ptool({"hashfile", "-c", "-j", "1", "SUMS"}, here);
    auto parallel = run_ptool({"hashfile", "-c", "-j", "4", "SUMS"}, here);
    auto peer = run({"sha256sum", "-c", "SUMS"}, here);
    CHECK(serial.status == 1);
    CHECK(parallel.status == 1);
    CHECK(parallel.out == serial.out);
    CHECK(parallel.out == peer.out);
}
