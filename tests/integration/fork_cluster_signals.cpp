// fork-cluster and signals (issue 9, section 3): signals the master gives no meaning
// are forwarded and end nothing, a stop signal delivered twice by one sender is one
// request, a HUP during a reload queues a full reload, a subreaper stops the orphans it
// adopted, and a SIGKILLed master takes its agent's process with it.
#include <filesystem>
#include <set>

#include "cluster_harness.hpp"

using namespace cluster_test;

namespace {

// A sh worker that appends the name of each signal it gets to DIR/sig.ID (DIR/sig.agent
// for the agent) and marks DIR/up.ID once its traps are set.
std::string signal_logger(const TempDir& dir, const std::string& id) {
    std::string log = shell_quote(dir / "sig.") + id;
    std::string traps;
    for (const char* s : {"USR1", "PWR", "ALRM", "WINCH"})
        traps += std::string("trap 'echo ") + s + " >> " + log + "' " + s + "; ";
    return traps + "trap 'exit 0' TERM; : > " + shell_quote(dir / "up.") + id +
           "; while :; do sleep 0.05; done";
}

std::string file_text(const std::string& path) {
    return std::filesystem::exists(path) ? read_file(path) : "";
}

}  // namespace

// USR2 is the master's own (upgrade, fork_cluster_upgrade.cpp): PWR stands in for it.
TEST_CASE("fork-cluster forwards USR1 PWR ALRM and WINCH to every worker and the agent") {
    TempDir dir;
    Master m({"-w", "2", "--ready", "exec", "--agent", signal_logger(dir, "agent"), "--", "sh",
              "-c", signal_logger(dir, "$PTOOL_WORKER_ID")});
    REQUIRE(m.wait_events("online", 3));
    for (const char* id : {"1", "2", "agent"})
        REQUIRE(wait_until([&] { return std::filesystem::exists(dir / ("up." + std::string(id))); },
                           10s));
    for (int sig : {SIGUSR1, SIGPWR, SIGALRM, SIGWINCH}) {
        kill(m.pid(), sig);
        // One at a time: a signal sent twice before it is handled is delivered once.
        REQUIRE(wait_until(
            [&] {
                for (const char* id : {"1", "2", "agent"}) {
                    std::string text = file_text(dir / ("sig." + std::string(id)));
                    if (std::count(text.begin(), text.end(), '\n') < (sig == SIGUSR1   ? 1
                                                                      : sig == SIGPWR  ? 2
                                                                      : sig == SIGALRM ? 3
                                                                                       : 4))
                        return false;
                }
                return true;
            },
            10s));
    }
    for (const char* id : {"1", "2", "agent"})
        CHECK(file_text(dir / ("sig." + std::string(id))) == "USR1\nPWR\nALRM\nWINCH\n");
    auto forwarded = m.events_named("signal");
    REQUIRE(forwarded.size() == 4);
    for (auto& e : forwarded) CHECK(e["forwarded"] == 3);
    CHECK(m.events_named("exit").empty());
    CHECK(process_alive(m.pid()));
    kill(m.pid(), SIGTERM);
    CHECK(m.wait_exit() == 0);
}

TEST_CASE("fork-cluster master outlives USR1 sent to workers that die of it") {
    Master m({"-w", "1", "--ready", "exec", "--", "sleep", "30"});
    REQUIRE(m.wait_events("online", 1));
    kill(m.pid(), SIGUSR1);
    REQUIRE(m.wait_events("exit", 1));
    CHECK(m.events_named("exit")[0]["signal"] == "SIGUSR1");
    REQUIRE(m.wait_events("online", 2));  // restarted: a worker's death, not the master's
    kill(m.pid(), SIGTERM);
    CHECK(m.wait_exit() == 0);
}

TEST_CASE("fork-cluster takes a stop signal repeated by the same sender at once as one request") {
    // As timeout(1) does: SIGTERM to ptool, then to its process group, one sender.
    TempDir dir;
    std::string go = shell_quote(dir / "go");
    Master m({"-w", "2", "--ready", "exec", "--grace", "20s", "--", "sh", "-c",
              "trap 'while [ ! -e " + go + " ]; do sleep 0.02; done; exit 0' TERM; : > " +
                  shell_quote(dir / "up.") + "$PTOOL_WORKER_ID; while :; do sleep 0.05; done"});
    REQUIRE(m.wait_events("online", 2));
    REQUIRE(wait_until([&] {
        return std::filesystem::exists(dir / "up.1") && std::filesystem::exists(dir / "up.2");
    }));
    kill(m.pid(), SIGTERM);
    REQUIRE(m.wait_events("shutdown", 1));
    kill(m.pid(), SIGTERM);
    REQUIRE(m.wait_events("signal", 2));
    write_file(dir / "go", "");
    CHECK(m.wait_exit() == 0);
    auto exits = m.events_named("exit");
    REQUIRE(exits.size() == 2);
    for (auto& e : exits) CHECK(e["code"] == 0);  // drained, not SIGKILLed
    CHECK(m.events_named("force_stop").empty());
}

TEST_CASE("fork-cluster forces the stop when another sender repeats the stop signal") {
    // The worker says "online" only once it ignores TERM (with --ready exec the first
    // TERM could come before the trap, and the worker die of it).
    Master m({"-w", "1", "--grace", "30s", "--", "sh", "-c",
              "trap '' TERM; \"$PTOOL\" ipc-send '{\"cmd\":\"online\"}'; "
              "while :; do sleep 0.05; done"});
    REQUIRE(m.wait_events("online", 1));
    kill(m.pid(), SIGTERM);
    REQUIRE(m.wait_events("shutdown", 1));
    auto r = run({"kill", "-TERM", std::to_string(m.pid())});  // another process: another sender
    CHECK(r.status == 0);
    CHECK(m.wait_exit() == 0);
    CHECK(m.events_named("force_stop").size() == 1);
    CHECK(m.events_named("exit")[0]["signal"] == "SIGKILL");
}

TEST_CASE("fork-cluster under timeout(1) drains its workers instead of killing them") {
    TempDir dir;
    std::string script =
        "timeout 2 \"$PTOOL\" fork-cluster --json -w 2 --ready exec --grace 20s "
        "-- sh -c 'trap \"sleep 0.2; exit 0\" TERM; while :; do sleep 0.05; "
        "done' 2> " +
        shell_quote(dir / "events");
    auto r = run_shell(script);
    CHECK(r.status == 124);
    std::string events = read_file(dir / "events");
    INFO(events);
    CHECK(events.find("\"force_stop\"") == std::string::npos);
    CHECK(events.find("SIGKILL") == std::string::npos);
}

TEST_CASE("fork-cluster SIGHUP during a rolling reload replaces every worker older than it") {
    // Replacements wait for DIR/go before they say "online": the first reload stays
    // in progress while the second HUP comes.
    TempDir dir;
    std::string go = shell_quote(dir / "go");
    write_file(dir / "go", "");
    Master m({"-w", "2", "--control", "CTL", "--ready-timeout", "60s", "--", "sh", "-c",
              "while [ ! -e " + go +
                  " ]; do sleep 0.02; done; \"$PTOOL\" ipc-send '{\"cmd\":\"online\"}'; exec sleep "
                  "60"});
    REQUIRE(m.wait_events("online", 2));
    std::filesystem::remove(dir / "go");
    kill(m.pid(), SIGHUP);
    REQUIRE(m.wait_events("fork", 3));  // worker 1's replacement waits
    kill(m.pid(), SIGHUP);
    REQUIRE(m.wait_events("reload", 2));
    std::set<int> before_second_hup;
    for (auto& e : m.events_named("fork")) before_second_hup.insert(e["pid"].get<int>());
    write_file(dir / "go", "");
    // Slot 1: replaced, and its replacement (older than the 2nd HUP) replaced again;
    // slot 2: replaced once. 2 + 3 forks, 5 online.
    REQUIRE(m.wait_events("online", 5, 20s));
    REQUIRE(wait_until([&] {
        auto pids = worker_pids(m);
        return pids.size() == 2 && !before_second_hup.count(pids[0]) &&
               !before_second_hup.count(pids[1]);
    }));
    CHECK(m.events_named("fork").size() == 5);
    kill(m.pid(), SIGTERM);
    CHECK(m.wait_exit() == 0);
}

TEST_CASE("fork-cluster --subreaper stops an orphan it adopted in its own session at shutdown") {
    TempDir dir;
    std::string pidfile = dir / "orphan";
    // The subshell starts a daemon in a session of its own and exits: the daemon is orphaned.
    Master m({"-w", "1", "--ready", "exec", "--subreaper", "--", "sh", "-c",
              "(setsid sleep 300 & echo $! > " + shell_quote(pidfile + ".tmp") + "; mv " +
                  shell_quote(pidfile + ".tmp") + " " + shell_quote(pidfile) + "); exec sleep 30"});
    REQUIRE(m.wait_events("online", 1));
    REQUIRE(wait_until([&] { return std::filesystem::exists(pidfile); }));
    int orphan = std::stoi(read_file(pidfile));
    // Reparented to the master, not to init: --subreaper is in effect.
    REQUIRE(wait_until([&] { return stat_field(orphan, 4) == m.pid(); }));
    // Its own session (setsid(1) may not have run yet when the subshell is gone).
    CHECK(wait_until([&] { return stat_field(orphan, 6) == orphan; }));
    kill(m.pid(), SIGTERM);
    int status = m.wait_exit();
    bool gone = !process_alive(orphan);
    if (!gone) kill(orphan, SIGKILL);
    CHECK(status == 0);
    CHECK(gone);
    CHECK(m.events_named("stop_orphans").size() == 1);
}

TEST_CASE("fork-cluster as a subreaper reaps orphans as they end, without zombies") {
    TempDir dir;
    Master m({"-w", "1", "--ready", "exec", "--subreaper", "--", "sh", "-c",
              "for i in 1 2 3 4 5; do (sleep 0.1 &); done; : > " + shell_quote(dir / "forked") +
                  "; exec sleep 30"});
    REQUIRE(m.wait_events("online", 1));
    REQUIRE(wait_until([&] { return std::filesystem::exists(dir / "forked"); }));
    // The five sleeps end and are reaped: the worker is the master's only child left.
    int worker = m.events_named("fork")[0]["pid"];
    CHECK(wait_until([&] {
        std::vector<int> children;
        for (const auto& e : std::filesystem::directory_iterator("/proc")) {
            std::string name = e.path().filename();
            if (name.find_first_not_of("0123456789") != std::string::npos) continue;
            if (stat_field(std::stoi(name), 4) == m.pid()) children.push_back(std::stoi(name));
        }
        return children == std::vector<int>{worker};
    }));
    kill(m.pid(), SIGTERM);
    CHECK(m.wait_exit() == 0);
}

TEST_CASE("fork-cluster SIGKILLed leaves no process of a plain --agent command behind") {
    Master m({"-w", "1", "--ready", "exec", "--agent", "sleep 300", "--", "sleep", "300"});
    REQUIRE(m.wait_events("online", 2));
    int agent = -1;
    for (auto& e : m.events_named("fork"))
        if (e["worker_id"] == 0) agent = e["pid"];
    REQUIRE(agent > 0);
    CHECK(read_file("/proc/" + std::to_string(agent) + "/comm") == "sleep\n");  // no sh between
    kill(m.pid(), SIGKILL);
    CHECK(m.wait_exit() == 128 + SIGKILL);
    bool gone = wait_until([&] { return group_members(agent).empty(); }, 3000ms);
    if (!gone) kill(-agent, SIGKILL);
    CHECK(gone);
}
