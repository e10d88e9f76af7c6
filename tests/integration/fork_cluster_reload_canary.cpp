// fork-cluster's reload with a canary: a replacement that crashes before it is ready,
// or whose probe never answers, stops the reload; the old workers keep serving, an
// event and the status say why, and the next reload starts afresh.
#include "cluster_harness.hpp"

using namespace cluster_test;

TEST_CASE("fork-cluster stops a reload whose first replacement crashes and keeps the old workers") {
    TempDir dir;
    std::string broken = dir / "broken";
    Master m({"-w", "2", "--control", "CTL", "--", "sh", "-c",
              "[ -e " + broken +
                  " ] && exit 3; \"$PTOOL\" ipc-send '{\"cmd\":\"online\"}'; "
                  "exec sleep 60"});
    REQUIRE(m.wait_events("online", 2));
    auto old_pids = worker_pids(m);
    write_file(broken, "");
    kill(m.pid(), SIGHUP);
    REQUIRE(m.wait_events("reload_failed", 1));
    auto failed = m.events_named("reload_failed")[0];
    CHECK(failed["worker_id"] == 1);
    CHECK(failed["code"] == 3);
    CHECK(failed["reason"] == "exited");
    CHECK(failed["skipped"] == 1);
    auto s = status_of(m);
    CHECK(s["reload_failed"].get<std::string>().find("exited with code 3") != std::string::npos);
    CHECK(worker_pids(m) == old_pids);
    for (int pid : old_pids) CHECK(process_alive(pid));
    CHECK(m.events_named("give_up").empty());

    // Fixed, the next reload replaces both.
    std::filesystem::remove(broken);
    kill(m.pid(), SIGHUP);
    REQUIRE(m.wait_events("online", 4));
    REQUIRE(m.wait_events("exit", 3));  // the canary and the two old workers
    CHECK(!status_of(m).contains("reload_failed"));
    CHECK(m.stop() == 0);
}

TEST_CASE("fork-cluster stops a reload whose replacement's probe never answers") {
    TempDir dir;
    std::string gen = dir / "gen";
    // The first generation creates its ready file; the next one never does.
    Master m({"-w", "2", "--ready",
              "exec:test -e " + std::string(dir / "ready-") + "$PTOOL_WORKER_PID",
              "--ready-timeout", "300ms", "--control", "CTL", "--", "sh", "-c",
              "[ -e " + gen + " ] || touch " + std::string(dir / "ready-") + "$$; exec sleep 60"});
    REQUIRE(m.wait_events("online", 2));
    auto old_pids = worker_pids(m);
    write_file(gen, "");
    kill(m.pid(), SIGHUP);
    REQUIRE(m.wait_events("reload_failed", 1));
    CHECK(m.events_named("reload_failed")[0]["reason"] == "not_ready");
    CHECK(m.events_named("ready_timeout").size() == 1);
    CHECK(worker_pids(m) == old_pids);
    CHECK(m.stop() == 0);
}
