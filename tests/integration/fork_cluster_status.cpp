// fork-cluster's status: per-worker rss_kb, cpu_ms, started_at, restarts, last_exit and
// the master's figures, and `fork-cluster --status --control PATH` as JSON when piped
// and as a table on a terminal (pm2 jlist / list).
#include <regex>

#include "cluster_harness.hpp"

using namespace cluster_test;

namespace {

const std::regex kRfc3339Ms(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)");

}  // namespace

TEST_CASE("fork-cluster status gives each worker's figures and its last exit") {
    Master m({"-w", "2", "--ready", "exec", "--restart", "always", "--restart-delay", "10ms",
              "--control", "CTL", "--", "sleep", "60"});
    REQUIRE(m.wait_events("online", 2));
    // "online" comes at the exec: the kernel's resident count of a program that has not
    // yet run its loader can still read 0 (it is folded from per-CPU counters), so wait
    // for both workers to show memory rather than read the first reply.
    json s;
    REQUIRE(wait_until([&] {
        s = status_of(m);
        if (s["workers"].size() != 2) return false;
        for (auto& w : s["workers"])
            if (!w["rss_kb"].is_number() || w["rss_kb"].get<long long>() <= 0) return false;
        return true;
    }));
    for (auto& w : s["workers"]) {
        CHECK(w["rss_kb"].get<long long>() > 0);
        CHECK(w["cpu_ms"].get<long long>() >= 0);
        CHECK(std::regex_match(w["started_at"].get<std::string>(), kRfc3339Ms));
        CHECK(w["restarts"] == 0);
        CHECK(w["last_exit"].is_null());
    }
    CHECK(s["master"]["pid"] == m.pid());
    CHECK(s["master"]["rss_kb"].get<long long>() > 0);
    CHECK(std::regex_match(s["master"]["started_at"].get<std::string>(), kRfc3339Ms));
    CHECK(s["master"]["reloads"] == 0);

    int victim = s["workers"][0]["pid"];
    kill(victim, SIGKILL);
    REQUIRE(m.wait_events("online", 3));
    s = status_of(m);
    auto w = s["workers"][0];
    CHECK(w["id"] == 1);
    CHECK(w["pid"] != victim);
    CHECK(w["restarts"] == 1);
    CHECK(w["last_exit"]["signal"] == "SIGKILL");
    CHECK(w["last_exit"]["code"].is_null());
    CHECK(s["master"]["restarts"] == 1);
    CHECK(m.stop() == 0);
}

TEST_CASE("fork-cluster --status prints the master's status as JSON when piped") {
    Master m({"-w", "1", "--ready", "exec", "--control", "CTL", "--", "sleep", "60"});
    REQUIRE(m.wait_events("online", 1));
    auto r = run_ptool({"fork-cluster", "--status", "--control", m.ctl()});
    REQUIRE(r.status == 0);
    auto s = json::parse(r.out);
    CHECK(s["workers"].size() == 1);
    CHECK(s["master"]["pid"] == m.pid());
    CHECK(m.stop() == 0);
}

TEST_CASE("fork-cluster --status prints a table on a terminal") {
    Master m({"-w", "2", "--ready", "exec", "--control", "CTL", "--", "sleep", "60"});
    REQUIRE(m.wait_events("online", 2));
    // script(1) gives the command a terminal.
    auto r =
        run({"script", "-qec",
             shell_quote(ptool_bin()) + " fork-cluster --status --control " + shell_quote(m.ctl()),
             "/dev/null"});
    REQUIRE(r.status == 0);
    CHECK(r.out.find("ID") != std::string::npos);
    CHECK(r.out.find("RESTARTS") != std::string::npos);
    CHECK(r.out.find("master") != std::string::npos);
    CHECK(r.out.find("online") != std::string::npos);
    CHECK(m.stop() == 0);
}

TEST_CASE("fork-cluster --status without a master says so and exits 1") {
    TempDir dir;
    auto r = run_ptool({"fork-cluster", "--status", "--control", dir / "none"});
    CHECK(r.status == 1);
    CHECK(r.err.find("--control") != std::string::npos);
    auto u = run_ptool({"fork-cluster", "--status"});
    CHECK(u.status == 2);
}
