// ptool pstree --json writes its text directly, without a JSON object per
// process: these check that the text is still exactly nlohmann's compact dump
// (odd names, escapes, invalid UTF-8, every field, the USER array), that rss_kb
// is statm's resident pages, and that processes which exit mid-scan are left out
// whole rather than reported with empty fields.
#include <pwd.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "../fixtures/pstree_tree.hpp"
#include "pstree_session.hpp"
#include "test_support.hpp"

using namespace ptool::test;
using json = nlohmann::ordered_json;

namespace {

// The fixture with a statm per process (rss_kb reads it) and an ns/ link.
void build_fixture(const std::filesystem::path& dir) {
    build_fake_procfs(dir.string(), pstree_fixture());
    for (const FakeProcess& p : pstree_fixture()) {
        auto pid = dir / std::to_string(p.pid);
        write_file(pid / "statm", std::to_string(1000 + p.pid) + " " + std::to_string(p.pid) +
                                      " 100 10 0 200 0\n");
        std::filesystem::create_directories(pid / "ns");
        std::filesystem::create_symlink("net:[4026531840]", pid / "ns/net");
    }
}

// What nlohmann writes for the same document: compact, invalid UTF-8 replaced.
std::string redumped(const std::string& out) {
    return json::parse(out).dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

void collect(const json& node, std::vector<json>& out) {
    out.push_back(node);
    for (const auto& child : node["children"]) collect(child, out);
}

}  // namespace

TEST_CASE("pstree --fields all writes what nlohmann's dump of it writes") {
    TempDir dir;
    build_fixture(dir.path());
    for (std::vector<std::string> args : {std::vector<std::string>{"--fields", "all"},
                                          {"--json"},
                                          {"--fields", "all", "20"},
                                          {"--fields", "name,cmdline,namespaces", "1"}}) {
        args.insert(args.begin(), {"pstree", "--proc", dir.path().string()});
        auto r = run_ptool(args);
        INFO(r.out);
        REQUIRE(r.status == 0);
        CHECK(r.err == "");
        CHECK(r.out == redumped(r.out));
    }
}

TEST_CASE("pstree --fields all with USER writes an array of trees as nlohmann does") {
    TempDir dir;
    build_fixture(dir.path());
    // entries not chowned belong to whoever made them: this test's user
    const struct passwd* me = ::getpwuid(::geteuid());
    REQUIRE(me);
    auto r = run_ptool({"pstree", "--proc", dir.path().string(), "--fields", "all", me->pw_name});
    REQUIRE(r.status == 0);
    CHECK(r.out == redumped(r.out));
    auto doc = json::parse(r.out);
    REQUIRE(doc.is_array());
    REQUIRE_FALSE(doc.empty());
}

TEST_CASE("pstree --fields keeps the escapes and replacements of odd names") {
    TempDir dir;
    build_fixture(dir.path());
    auto r = run_ptool({"pstree", "--proc", dir.path().string(), "--fields", "name,cmdline", "1"});
    REQUIRE(r.status == 0);
    CHECK(r.out.find(R"({"name":"we ird) name","cmdline":["weird","a b","tab\there",)"
                     R"("back\\slash"],"children":[]})") != std::string::npos);
    CHECK(r.out.find(R"({"name":"esc\u001bname)"
                     "\x7f"
                     R"(","cmdline":["x)"
                     "\xef\xbf\xbd"
                     R"(y"],"children":[]})") != std::string::npos);
    CHECK(r.out.find("{\"name\":\"caf\xc3\xa9\",") != std::string::npos);
}

TEST_CASE("pstree --fields rss_kb is statm's resident pages in KiB") {
    TempDir dir;
    build_fixture(dir.path());
    auto r = run_ptool({"pstree", "--proc", dir.path().string(), "--fields", "pid,rss_kb", "11"});
    REQUIRE(r.status == 0);
    std::vector<json> procs;
    collect(json::parse(r.out), procs);
    REQUIRE(procs.size() == 5);
    const long page_kb = ::sysconf(_SC_PAGESIZE) / 1024;
    for (const json& p : procs) CHECK(p["rss_kb"] == p["pid"].get<long>() * page_kb);
}

TEST_CASE("pstree --fields all over processes that come and go reports each whole or not at all") {
    // a shell whose children live from a little less to a little more than one
    // scan of /proc takes, so that some exit while ptool reads them
    Session churn("while :; do sleep 0.1 & sleep 0.3 & sleep 1 & wait; done");
    std::string root = std::to_string(churn.pid());
    int with_children = 0;
    for (int attempt = 0; attempt < 6 || with_children == 0; ++attempt) {
        REQUIRE(attempt < 100);
        auto r = run_ptool({"pstree", "--fields", "all", root});
        REQUIRE(r.status == 0);
        REQUIRE(r.err == "");
        REQUIRE_FALSE(r.out.empty());  // the root outlives the loop
        std::vector<json> procs;
        collect(json::parse(r.out), procs);
        if (procs.size() > 1) ++with_children;
        for (const json& p : procs) {
            INFO(p.dump());
            // a zombie keeps only its pid and user namespaces; any other process has
            // all of them (one that exited after its stat was read is not listed)
            if (p["state"] == "Z") continue;
            for (const auto& [type, inode] : p["namespaces"].items()) CHECK(inode.is_number());
        }
    }
}
