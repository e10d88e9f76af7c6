// fork-cluster --reload-batch N: after the canary is ready, a rolling reload replaces
// the rest N at a time (the next batch once the whole batch is ready, each old worker
// stopped once its replacement is); a replacement of a batch that crashes stops the
// reload and the old workers serve on. Observed through the order of the events.
#include "cluster_harness.hpp"

using namespace cluster_test;

namespace {

const std::string kOnline = "\"$PTOOL\" ipc-send '{\"cmd\":\"online\"}'; exec sleep 60";

// Where the event for `pid` named `name` is in `events`, or -1.
long event_index(const std::vector<json>& events, const std::string& name, int pid) {
    return index_of(events, [&](const json& e) {
        return e.value("event", "") == name && e.value("pid", 0) == pid;
    });
}

}  // namespace

TEST_CASE("fork-cluster reload with --reload-batch 2 replaces the canary, then two at a time") {
    Master m({"-w", "4", "--reload-batch", "2", "--control", "CTL", "--", "sh", "-c", kOnline});
    REQUIRE(m.wait_events("online", 4));
    auto old_pids = worker_pids(m);
    REQUIRE(old_pids.size() == 4);
    kill(m.pid(), SIGHUP);
    REQUIRE(m.wait_events("online", 8));
    REQUIRE(wait_until([&] {
        auto pids = worker_pids(m);
        return pids.size() == 4 && std::none_of(pids.begin(), pids.end(), [&](int pid) {
                   return std::count(old_pids.begin(), old_pids.end(), pid) > 0;
               });
    }));
    for (int pid : old_pids) CHECK(wait_until([&] { return !process_alive(pid); }));

    auto events = m.events();
    auto reload = std::find_if(events.begin(), events.end(),
                               [](const json& e) { return e.value("event", "") == "reload"; });
    REQUIRE(reload != events.end());
    CHECK((*reload)["batch"] == 2);
    std::vector<json> forks;
    for (auto it = reload; it != events.end(); ++it)
        if (it->value("event", "") == "fork") forks.push_back(*it);
    REQUIRE(forks.size() == 4);  // one replacement per worker, no more
    std::vector<int> pid;
    std::vector<long> fork_at, online_at;
    for (auto& f : forks) {
        pid.push_back(f["pid"]);
        fork_at.push_back(event_index(events, "fork", pid.back()));
        online_at.push_back(event_index(events, "online", pid.back()));
        CHECK(online_at.back() > fork_at.back());
    }
    auto new_pids = worker_pids(m);
    std::sort(new_pids.begin(), new_pids.end());
    auto sorted = pid;
    std::sort(sorted.begin(), sorted.end());
    CHECK(new_pids == sorted);
    // The canary alone, then the batch of two started together, then the last one
    // once both of the batch were ready.
    CHECK(online_at[0] < fork_at[1]);
    CHECK(fork_at[2] < online_at[1]);
    CHECK(fork_at[2] < online_at[2]);
    CHECK(fork_at[3] > online_at[1]);
    CHECK(fork_at[3] > online_at[2]);
    // Each old worker exits only after the replacement of its slot is ready.
    for (size_t i = 0; i < forks.size(); ++i) {
        int slot = forks[i]["worker_id"];
        long old_exit = -1;
        for (int old : old_pids) {
            long at = event_index(events, "exit", old);
            if (at >= 0 && events[at]["worker_id"] == slot) old_exit = at;
        }
        CHECK(old_exit > online_at[i]);
    }
    CHECK(m.stop() == 0);
}

TEST_CASE(
    "fork-cluster reload stops when a replacement in a batch crashes and the old workers serve "
    "on") {
    TempDir dir;
    std::string broken = shell_quote(dir / "broken");
    // With DIR/broken, worker 3's replacement exits 3 and worker 2's never says online;
    // the canary (worker 1) is fine.
    Master m({"-w", "4", "--reload-batch", "2", "--ready-timeout", "60s", "--control", "CTL", "--",
              "sh", "-c",
              "if [ -e " + broken +
                  " ]; then [ \"$PTOOL_WORKER_ID\" = 3 ] && exit 3; "
                  "[ \"$PTOOL_WORKER_ID\" = 2 ] && exec sleep 60; fi; " +
                  kOnline});
    REQUIRE(m.wait_events("online", 4));
    auto old_pids = worker_pids(m);
    REQUIRE(old_pids.size() == 4);
    write_file(dir / "broken", "");
    kill(m.pid(), SIGHUP);
    REQUIRE(m.wait_events("reload_failed", 1));
    auto failed = m.events_named("reload_failed")[0];
    CHECK(failed["worker_id"] == 3);
    CHECK(failed["code"] == 3);
    CHECK(failed["skipped"] == 2);  // worker 4, not reached, and worker 2, still starting
    auto s = status_of(m);
    CHECK(s["reload_failed"].get<std::string>().find("worker 3") != std::string::npos);
    // Worker 1 is the canary's; 2, 3 and 4 are the old ones, still serving.
    REQUIRE(wait_until([&] { return worker_pids(m).size() == 4; }));
    auto pids = worker_pids(m);
    CHECK(pids[0] != old_pids[0]);
    CHECK(!process_alive(old_pids[0]));
    for (size_t i = 1; i < 4; ++i) {
        CHECK(pids[i] == old_pids[i]);
        CHECK(process_alive(old_pids[i]));
    }
    auto after = status_of(m);  // kept: a loop over a temporary's member would dangle
    for (auto& w : after["workers"]) CHECK(w["state"] == "online");
    CHECK(m.events_named("fork").size() == 7);  // 4 old, the canary, the batch of two
    CHECK(m.events_named("give_up").empty());
    CHECK(m.stop() == 0);
}

TEST_CASE("fork-cluster --reload-batch takes 1 or more, with one error line otherwise") {
    for (std::string bad : {"0", "-1", "", "two"}) {
        auto r = run_ptool({"fork-cluster", "--reload-batch", bad, "--", "true"});
        INFO(bad << ": " << r.err);
        CHECK(r.status == 2);
        CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
        CHECK(r.err.find("--reload-batch") != std::string::npos);
    }
}

TEST_CASE("fork-cluster status shows a batched reload's progress") {
    TempDir dir;
    std::string gen = shell_quote(dir / "gen"), go = shell_quote(dir / "go");
    // The new generation's workers but the canary wait for DIR/go before they are ready.
    Master m({"-w", "4", "--reload-batch", "2", "--ready-timeout", "60s", "--control", "CTL", "--",
              "sh", "-c",
              "if [ -e " + gen + " ] && [ \"$PTOOL_WORKER_ID\" != 1 ]; then until [ -e " + go +
                  " ]; do sleep 0.02; done; fi; " + kOnline});
    REQUIRE(m.wait_events("online", 4));
    CHECK(!status_of(m).contains("reloading"));
    write_file(dir / "gen", "");
    kill(m.pid(), SIGHUP);
    REQUIRE(m.wait_events("fork", 7));  // the canary, then the batch of workers 2 and 3
    auto reloading = status_of(m)["reloading"];
    CHECK(reloading["replaced"] == 1);
    CHECK(reloading["workers"] == 4);
    CHECK(reloading["batch"] == 2);
    CHECK(reloading["text"] == "reloading 1/4, 2 at a time");
    write_file(dir / "go", "");
    REQUIRE(m.wait_events("online", 8));
    REQUIRE(wait_until([&] { return !status_of(m).contains("reloading"); }));
    CHECK(m.stop() == 0);
}
