// fork-cluster's restart budget, backoff and routing targets, without processes.
#include "tools/fork_cluster/cluster.hpp"

#include <catch2/catch.hpp>

using namespace std::chrono_literals;
using ptool::RouteTarget;

TEST_CASE("restart backoff doubles from the base delay up to the cap") {
    CHECK(ptool::restart_backoff(100ms, 30s, 0) == 100ms);
    CHECK(ptool::restart_backoff(100ms, 30s, 1) == 200ms);
    CHECK(ptool::restart_backoff(100ms, 30s, 4) == 1600ms);
    CHECK(ptool::restart_backoff(100ms, 30s, 9) == 30s);
    CHECK(ptool::restart_backoff(100ms, 30s, 1000) == 30s);
}

TEST_CASE("restart budget counts restarts within a sliding window") {
    ptool::RestartBudget budget(2, 1s);
    auto t0 = std::chrono::steady_clock::time_point{} + 100s;
    CHECK(budget.spend(t0));
    CHECK(budget.spend(t0 + 100ms));
    CHECK_FALSE(budget.spend(t0 + 200ms));
    // Past the window the old ones no longer count.
    CHECK(budget.spend(t0 + 2s));
}

TEST_CASE("restart budget of zero never runs out") {
    ptool::RestartBudget budget(0, 1s);
    auto t0 = std::chrono::steady_clock::time_point{};
    for (int i = 0; i < 100; ++i) CHECK(budget.spend(t0));
}

TEST_CASE("route targets parse every documented form") {
    CHECK(ptool::parse_route_target("master")->kind == RouteTarget::Kind::master);
    CHECK(ptool::parse_route_target("all")->kind == RouteTarget::Kind::all);
    CHECK(ptool::parse_route_target("workers")->kind == RouteTarget::Kind::workers);
    CHECK(ptool::parse_route_target("agent")->kind == RouteTarget::Kind::agent);
    CHECK(ptool::parse_route_target("random")->kind == RouteTarget::Kind::random);
    auto w = ptool::parse_route_target("worker:3");
    REQUIRE(w);
    CHECK(w->kind == RouteTarget::Kind::worker_id);
    CHECK(w->number == 3);
    auto p = ptool::parse_route_target("pid:1234");
    REQUIRE(p);
    CHECK(p->kind == RouteTarget::Kind::pid);
    CHECK(p->number == 1234);
    for (const char* bad : {"", "Master", "worker:", "worker:0", "pid:x", "worker:-1", "everyone"})
        CHECK_FALSE(ptool::parse_route_target(bad));
}
