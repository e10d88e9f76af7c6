// ptool pstree --json --fields: the ops fields of each process (pgid, sid, uid,
// user, tty, start_time, rss_kb, cpu_ms, namespaces) checked against ps(1) and
// /proc on a live subtree the test owns, one of them on a pseudo-terminal of
// script(1); and --fields choosing keys, rejecting unknown ones.
#include <unistd.h>
#include <catch2/catch.hpp>

#include <chrono>
#include <ctime>
#include <nlohmann/json.hpp>
#include <sstream>

#include "../fixtures/pstree_tree.hpp"
#include "pstree_session.hpp"
#include "test_support.hpp"

using namespace ptool::test;
using json = nlohmann::ordered_json;

namespace {

void collect(const json& node, std::vector<json>& out) {
    out.push_back(node);
    for (const auto& child : node["children"]) collect(child, out);
}

// Seconds since the epoch of an RFC 3339 UTC time with milliseconds.
double epoch_seconds(const std::string& text) {
    REQUIRE(text.size() == 24);
    CHECK(text[10] == 'T');
    CHECK(text[19] == '.');
    CHECK(text.back() == 'Z');
    std::tm tm{};
    std::istringstream in(text.substr(0, 19));
    in >> std::get_time(&tm, "%Y-%m-%dT%H:%M:%S");
    REQUIRE_FALSE(in.fail());
    return double(::timegm(&tm)) + std::stoi(text.substr(20, 3)) / 1000.0;
}

}  // namespace

TEST_CASE("pstree --fields all gives each process the values ps shows") {
    // the first sleeper runs on a pseudo-terminal that script(1) opens
    Session tree(
        "script -qec 'exec sleep 57' /dev/null </dev/null >/dev/null & "
        "sleep 60 & sleep 60 & exec sleep 59");
    std::string root = std::to_string(tree.pid());
    json doc;
    std::vector<json> procs;
    REQUIRE(wait_until([&] {
        auto r = run_ptool({"pstree", "--json", "--fields", "all", root});
        if (r.status != 0 || r.out.empty()) return false;
        doc = json::parse(r.out);
        procs.clear();
        collect(doc, procs);
        // the root, script, the sleep on its terminal, two sleeps: all exec'd
        return procs.size() == 5 &&
               std::all_of(
                   procs.begin(), procs.end(),
                   [](const json& p) { return p["name"] == "sleep" || p["name"] == "script"; }) &&
               doc["name"] == "sleep";
    }));
    double now = double(std::time(nullptr));
    bool saw_tty = false;
    for (const json& p : procs) {
        int pid = p["pid"];
        INFO("pid " << pid << ": " << p.dump());
        for (const char* key :
             {"pid", "ppid", "name", "cmdline", "user", "state", "threads", "pgid", "sid", "uid",
              "tty", "start_time", "rss_kb", "cpu_ms", "namespaces", "children"})
            CHECK(p.contains(key));
        auto ps = run({"ps", "-o", "pgid=,sid=,uid=,user:64=,tty=,rss=,etimes=,times=", "-p",
                       std::to_string(pid)});
        REQUIRE(ps.status == 0);
        std::istringstream in(ps.out);
        long pgid, sid, uid, rss, etimes, times;
        std::string user, tty;
        in >> pgid >> sid >> uid >> user >> tty >> rss >> etimes >> times;
        REQUIRE_FALSE(in.fail());
        CHECK(p["pgid"] == pgid);
        CHECK(p["sid"] == sid);
        CHECK(p["uid"] == uid);
        CHECK(p["user"] == user);
        if (tty == "?") {
            CHECK(p["tty"].is_null());
        } else {
            CHECK(p["tty"] == tty);
            saw_tty = true;
        }
        CHECK(p["rss_kb"] == rss);
        CHECK(p["cpu_ms"].get<long>() / 1000 == times);
        double started = epoch_seconds(p["start_time"]);
        CHECK(std::abs((now - started) - double(etimes)) <= 2.0);
        for (const auto& [type, inode] : p["namespaces"].items()) {
            auto link =
                std::filesystem::read_symlink("/proc/" + std::to_string(pid) + "/ns/" + type)
                    .string();
            CHECK(link == type + ":[" + std::to_string(inode.get<uint64_t>()) + "]");
        }
        CHECK(p["namespaces"].size() == 8);
    }
    CHECK(saw_tty);
    CHECK(doc["sid"] == tree.pid());
}

TEST_CASE("pstree --fields chooses the keys of each process") {
    TempDir dir;
    build_fake_procfs(dir.path().string(), pstree_fixture());
    auto r = run_ptool({"pstree", "--proc", dir.path().string(), "--fields", "pid,sid,tty", "11"});
    REQUIRE(r.status == 0);
    auto doc = json::parse(r.out);
    std::vector<std::string> keys;
    for (const auto& [key, value] : doc.items()) keys.push_back(key);
    CHECK(keys == std::vector<std::string>{"pid", "sid", "tty", "children"});
    CHECK(doc["pid"] == 11);
    CHECK(doc["sid"] == 11);
    CHECK(doc["tty"].is_null());
    REQUIRE(doc["children"].size() == 4);
    CHECK(doc["children"][0].size() == 4);
}

TEST_CASE("pstree --json without --fields keeps its keys") {
    TempDir dir;
    build_fake_procfs(dir.path().string(), pstree_fixture());
    auto r = run_ptool({"pstree", "--proc", dir.path().string(), "--json", "11"});
    REQUIRE(r.status == 0);
    auto doc = json::parse(r.out);
    std::vector<std::string> keys;
    for (const auto& [key, value] : doc.items()) keys.push_back(key);
    CHECK(keys == std::vector<std::string>{"pid", "ppid", "name", "cmdline", "user", "state",
                                           "threads", "children"});
}

TEST_CASE("pstree --fields with an unknown field is a usage error") {
    auto r = run_ptool({"pstree", "--fields", "pid,colour"});
    CHECK(r.status == 2);
    CHECK(r.out == "");
    CHECK(r.err.rfind("ptool pstree: --fields: unknown field 'colour' (pid, ppid,", 0) == 0);
}
