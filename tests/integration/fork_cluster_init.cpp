// fork-cluster as a container's init (--init) and with one worker never restarted:
// tini's exit status (the child's code, 128+N for signal N), every signal passed on,
// orphans reaped; and what workers run as (--cwd, --env, --unset, --user).
#include <filesystem>

#include "cluster_harness.hpp"

using namespace cluster_test;

TEST_CASE("one worker never restarted: the master exits with its exact status, as tini") {
    // tini -- sh -c 'exit 3' exits 3; killed by SIGKILL, 137.
    CHECK(run_ptool({"fork-cluster", "-w", "1", "--restart", "never", "--", "sh", "-c", "exit 3"})
              .status == 3);
    CHECK(run_ptool({"fork-cluster", "--init", "--", "sh", "-c", "exit 3"}).status == 3);
    CHECK(run_ptool({"fork-cluster", "--init", "--", "sh", "-c", "exit 0"}).status == 0);
    CHECK(run_ptool({"fork-cluster", "--init", "--", "sh", "-c", "kill -KILL $$"}).status ==
          128 + SIGKILL);
    // More than one worker: 1 when the last one failed, as before.
    CHECK(run_ptool({"fork-cluster", "-w", "2", "--restart", "never", "--", "sh", "-c", "exit 3"})
              .status == 1);
}

TEST_CASE("fork-cluster --init refuses more than one worker and an agent") {
    auto r = run_ptool({"fork-cluster", "--init", "-w", "2", "--", "true"});
    CHECK(r.status == 2);
    CHECK(r.err.find("--init runs exactly one worker") != std::string::npos);
    CHECK(run_ptool({"fork-cluster", "--init", "--agent", "sleep 1", "--", "true"}).status == 2);
}

TEST_CASE(
    "fork-cluster --init passes the stop signal it got on and exits with the worker's status") {
    TempDir dir;
    std::string script = "trap 'exit 7' INT; trap 'echo hup >> " + dir / "hups" + "' HUP; touch " +
                         dir / "up" + "; while :; do sleep 0.05; done";
    Master m({"--init", "--", "sh", "-c", script});
    REQUIRE(wait_until([&] { return std::filesystem::exists(dir / "up"); }, 20s));
    kill(m.pid(), SIGHUP);  // forwarded, not a reload
    REQUIRE(wait_until([&] { return std::filesystem::exists(dir / "hups"); }, 20s));
    CHECK(m.events_named("reload").empty());
    kill(m.pid(), SIGINT);
    CHECK(m.wait_exit() == 7);
}

TEST_CASE("fork-cluster --init killed by TERM without a trap exits 128+15, as tini") {
    TempDir dir;
    Master m({"--init", "--", "sh", "-c", "touch " + dir / "up" + "; exec sleep 100"});
    REQUIRE(wait_until([&] { return std::filesystem::exists(dir / "up"); }, 20s));
    REQUIRE(m.wait_events("fork", 1));
    CHECK(m.stop() == 128 + SIGTERM);
}

TEST_CASE("fork-cluster --init reaps the orphans its worker leaves") {
    TempDir dir;
    // The inner sh starts a short sleep and exits: the sleep is re-parented to the master.
    std::string script = "sh -c 'sleep 0.2 & echo $! > " + dir / "orphan" + "'; exec sleep 100";
    Master m({"--init", "--", "sh", "-c", script});
    REQUIRE(wait_until([&] { return std::filesystem::exists(dir / "orphan"); }, 20s));
    std::string orphan = read_file(dir / "orphan");
    orphan = orphan.substr(0, orphan.find('\n'));
    // Reaped, not left a zombie: its /proc entry goes away.
    CHECK(wait_until([&] { return !std::filesystem::exists("/proc/" + orphan); }, 20s));
    CHECK(zombie_children(m.pid()).empty());
    CHECK(m.stop() == 128 + SIGTERM);
}

TEST_CASE("workers run in --cwd with --env set and --unset removed") {
    TempDir dir;
    std::string out = dir / "out";
    Master m({"--ready", "exec", "--cwd", dir.path().string(), "--env", "GREETING=hi there",
              "--env", "EMPTY_OK=x", "--unset", "HOME", "--", "sh", "-c",
              "printf '%s|%s|%s\\n' \"$(pwd)\" \"$GREETING\" \"${HOME-unset}\" > out.tmp; mv "
              "out.tmp out; exec sleep 100"});
    REQUIRE(wait_until([&] { return std::filesystem::exists(out); }, 20s));
    CHECK(read_file(out) == dir.path().string() + "|hi there|unset\n");
    CHECK(m.stop() == 0);
}

TEST_CASE("fork-cluster --user runs the workers as that user with no supplementary groups") {
    REQUIRE(geteuid() == 0);  // as daemonize_security: the suite runs as root
    TempDir dir;
    std::filesystem::permissions(dir.path(), std::filesystem::perms::all);
    std::string out = dir / "out";
    Master m({"--ready", "exec", "--user", "nobody", "--", "sh", "-c",
              "echo $(id -u) $(id -G) $USER > " + out + ".tmp; mv " + out + ".tmp " + out +
                  "; exec sleep 100"});
    REQUIRE(wait_until([&] { return std::filesystem::exists(out); }, 20s));
    auto r = run({"id", "-g", "nobody"});
    std::string gid = r.out.substr(0, r.out.find('\n'));
    CHECK(read_file(out) == "65534 " + gid + " nobody\n");
    CHECK(m.stop() == 0);
    auto bad = run_ptool({"fork-cluster", "--user", "no-such-user-x", "--", "true"});
    CHECK(bad.status == 2);
}
