// daemonize beside start-stop-daemon (dpkg's): --oknodo, a --retry stop schedule and
// their exit statuses compared with the real one; --json for start, stop and status;
// --env; --restart; --start --oknodo of a running daemon.
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "processes.hpp"
#include "test_support.hpp"

using namespace ptool::test;
using nlohmann::json;

namespace {

const std::string kSsd = "/usr/sbin/start-stop-daemon";

// A daemon (started by ptool) that ignores SIGTERM; returns its pid.
int start_stubborn(ProcessReaper& reaper, const std::string& pidfile) {
    auto r = run_ptool(
        {"daemonize", "--pidfile", pidfile, "--", "sh", "-c", "trap '' TERM; exec sleep 60"});
    REQUIRE(r.status == 0);
    return reaper.add(parse_pid_line(r.out));
}

}  // namespace

TEST_CASE("daemonize --stop of a stopped daemon: 1, or 0 with --oknodo, as start-stop-daemon") {
    TempDir dir;
    std::string pidfile = dir / "none.pid";
    for (bool oknodo : {false, true}) {
        std::vector<std::string> ours = {"daemonize", "--stop", "--pidfile", pidfile};
        std::vector<std::string> theirs = {kSsd, "--stop", "--quiet", "--pidfile", pidfile};
        if (oknodo) ours.push_back("--oknodo"), theirs.push_back("--oknodo");
        int expected = run(theirs).status;
        CHECK(expected == (oknodo ? 0 : 1));
        CHECK(run_ptool(ours).status == expected);
    }
}

TEST_CASE("daemonize --retry: 2 when the daemon outlives the schedule, 0 once KILL ends it") {
    ProcessReaper reaper;
    TempDir dir;
    std::string ours = dir / "ours.pid", theirs = dir / "theirs.pid";
    int mine = start_stubborn(reaper, ours);
    int other = start_stubborn(reaper, theirs);
    int expected =
        run({kSsd, "--stop", "--quiet", "--pidfile", theirs, "--retry", "TERM/1"}).status;
    CHECK(expected == 2);
    auto r = run_ptool({"daemonize", "--stop", "--pidfile", ours, "--retry", "TERM/1"});
    CHECK(r.status == expected);
    CHECK(r.err.find("still runs after --retry TERM/1") != std::string::npos);
    CHECK(process_alive(mine));
    CHECK(
        run({kSsd, "--stop", "--quiet", "--pidfile", theirs, "--retry", "TERM/1/KILL/5"}).status ==
        0);
    CHECK(run_ptool({"daemonize", "--stop", "--pidfile", ours, "--retry=-TERM/200ms/KILL/5"})
              .status == 0);
    CHECK(wait_until([&] { return !process_alive(mine) && !process_alive(other); }));
    CHECK_FALSE(std::filesystem::exists(ours));
}

TEST_CASE("daemonize --retry rejects a malformed schedule as a usage error") {
    for (const char* bad : {"TERM", "TERM//5", "NOSUCH/5", "TERM/forever/forever/5", "5x"}) {
        auto r = run_ptool({"daemonize", "--stop", "--pidfile", "/nonexistent", "--retry", bad});
        CHECK(r.status == 2);
        CHECK(r.err.find("--retry") != std::string::npos);
    }
}

TEST_CASE("daemonize --json prints pid and running for start, status and stop") {
    ProcessReaper reaper;
    TempDir dir;
    std::string pidfile = dir / "d.pid";
    auto start = run_ptool({"daemonize", "--json", "--pidfile", pidfile, "--", "sleep", "60"});
    REQUIRE(start.status == 0);
    json s = json::parse(start.out);
    int pid = reaper.add(s["pid"].get<int>());
    CHECK(s["running"] == true);
    json st = json::parse(run_ptool({"daemonize", "--status", "--json", "--pidfile", pidfile}).out);
    CHECK(st["pid"] == pid);
    CHECK(st["running"] == true);
    auto stop = run_ptool({"daemonize", "--stop", "--json", "--pidfile", pidfile});
    CHECK(stop.status == 0);
    json sp = json::parse(stop.out);
    CHECK(sp["pid"] == pid);
    CHECK(sp["running"] == false);
    auto gone = run_ptool({"daemonize", "--status", "--json", "--pidfile", pidfile});
    CHECK(gone.status == 3);
    json g = json::parse(gone.out);
    CHECK(g["pid"].is_null());
    CHECK(g["running"] == false);
}

TEST_CASE("daemonize --env sets the daemon's environment") {
    ProcessReaper reaper;
    TempDir dir;
    std::string out = dir / "env";
    auto r = run_ptool({"daemonize", "--env", "GREETING=hello world", "--", "sh", "-c",
                        "echo \"$GREETING\" > " + out + ".tmp; mv " + out + ".tmp " + out});
    REQUIRE(r.status == 0);
    reaper.add(parse_pid_line(r.out));
    REQUIRE(wait_until([&] { return std::filesystem::exists(out); }));
    CHECK(read_file(out) == "hello world\n");
}

TEST_CASE("daemonize --restart stops the running daemon and starts a new one") {
    ProcessReaper reaper;
    TempDir dir;
    std::string pidfile = dir / "d.pid";
    auto first = run_ptool({"daemonize", "--pidfile", pidfile, "--", "sleep", "60"});
    REQUIRE(first.status == 0);
    int old_pid = reaper.add(parse_pid_line(first.out));
    auto again = run_ptool({"daemonize", "--oknodo", "--pidfile", pidfile, "--", "sleep", "60"});
    CHECK(again.status == 0);  // start-stop-daemon --start --oknodo: running already
    CHECK(parse_pid_line(again.out) == old_pid);
    CHECK(run_ptool({"daemonize", "--pidfile", pidfile, "--", "sleep", "60"}).status == 1);
    auto second = run_ptool({"daemonize", "--restart", "--pidfile", pidfile, "--", "sleep", "60"});
    REQUIRE(second.status == 0);
    int new_pid = reaper.add(parse_pid_line(second.out));
    CHECK(new_pid != old_pid);
    CHECK(wait_until([&] { return !process_alive(old_pid); }));
    CHECK(read_file(pidfile) == std::to_string(new_pid) + "\n");
    // Nothing running: --restart only starts.
    CHECK(run_ptool({"daemonize", "--stop", "--pidfile", pidfile}).status == 0);
    auto third = run_ptool({"daemonize", "--restart", "--pidfile", pidfile, "--", "sleep", "60"});
    CHECK(third.status == 0);
    reaper.add(parse_pid_line(third.out));
}
