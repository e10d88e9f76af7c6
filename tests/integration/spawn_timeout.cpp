// spawn's timeout and the whole tree (man/ptool-spawn.1): --kill-tree, with ptool as
// a child subreaper, kills every descendant when the program exits, times out or is
// ended by a signal, including a setsid() grandchild that timeout(1) leaves behind;
// --preserve-status, -v, --foreground and a --kill-signal of 0 as the real timeout.
#include <signal.h>
#include <catch2/catch.hpp>

#include <string>

#include "kill_tree.hpp"
#include "processes.hpp"
#include "test_support.hpp"

using namespace ptool::test;

namespace {

// Field 5 of /proc/PID/stat is the process group (comm "sh" and "ptool" hold no space).
const std::string kSameGroup =
    "[ $(cut -d' ' -f5 /proc/$$/stat) = $(cut -d' ' -f5 /proc/$PPID/stat) ] && echo same || "
    "echo apart";

}  // namespace

TEST_CASE("spawn --kill-tree kills a setsid grandchild left behind when the program exits") {
    TempDir dir;
    std::string pidfile = dir / "grandchild";
    auto r = run_ptool(
        {"spawn", "--kill-tree", "--", "sh", "-c", escaping_grandchild(pidfile, "exit 3")},
        bounded());
    CHECK(r.status == 3);
    ProcessReaper reaper;
    check_killed(reaper, pidfile);
}

TEST_CASE("timeout(1) misses a setsid grandchild, spawn --kill-tree --timeout kills it: 124") {
    TempDir dir;
    std::string peer_pidfile = dir / "peer";
    auto peer =
        run({"timeout", "1", "sh", "-c", escaping_grandchild(peer_pidfile, "wait")}, bounded());
    ProcessReaper peer_reaper;
    wait_for_lines(peer_pidfile);
    int peer_left = peer_reaper.add_from_file(peer_pidfile);
    CHECK(peer.status == 124);
    CHECK(process_alive(peer_left));  // the gap --kill-tree closes

    std::string pidfile = dir / "ours";
    auto r = run_ptool({"spawn", "--kill-tree", "--timeout", "1s", "--", "sh", "-c",
                        escaping_grandchild(pidfile, "wait")},
                       bounded());
    CHECK(r.status == 124);
    ProcessReaper reaper;
    check_killed(reaper, pidfile);
}

TEST_CASE("spawn --kill-tree kills an orphaned grandchild once a signal ended the program") {
    TempDir dir;
    std::string pidfile = dir / "grandchild";
    // The subshell exits at once: the grandchild is reparented to ptool (the subreaper).
    std::string program = "(" + escaping_grandchild(pidfile, "exit 0") + ") ; exec sleep 60";
    auto r = run_shell("\"$PTOOL\" spawn --kill-tree -- sh -c " + shell_quote(program) +
                           " & p=$!\n"
                           "until [ -s " +
                           pidfile +
                           " ]; do sleep 0.01; done\n"
                           "kill -TERM $p; wait $p; echo status=$?",
                       bounded());
    CHECK(r.out == "status=143\n");
    ProcessReaper reaper;
    check_killed(reaper, pidfile);
}

TEST_CASE("spawn --kill-tree SIGKILLs a leftover that ignores the kill signal after --kill-after") {
    TempDir dir;
    std::string pidfile = dir / "grandchild";
    std::string program =
        "setsid sh -c 'trap \"\" TERM; echo $$ > " + pidfile +
        "; while :; do sleep 0.05; done' </dev/null >/dev/null 2>&1 & until [ -s " + pidfile +
        " ]; do sleep 0.01; done";
    auto r = run_ptool({"spawn", "--kill-tree", "--kill-after", "100ms", "--", "sh", "-c", program},
                       bounded());
    CHECK(r.status == 0);
    ProcessReaper reaper;
    check_killed(reaper, pidfile);
}

TEST_CASE("spawn --kill-tree cannot be combined with --detached") {
    auto r = run_ptool({"spawn", "--kill-tree", "--detached", "--", "true"});
    CHECK(r.status == 2);
    CHECK(r.err.find("--kill-tree") != std::string::npos);
}

TEST_CASE("spawn --preserve-status -v exits and reports as timeout --preserve-status -v") {
    auto peer = run({"timeout", "--preserve-status", "-v", "0.2", "sleep", "30"}, c_locale());
    auto r =
        run_ptool({"spawn", "--preserve-status", "-v", "--timeout", "200ms", "--", "sleep", "30"},
                  c_locale());
    CHECK(peer.status == 128 + SIGTERM);
    CHECK(peer.err == "timeout: sending signal TERM to command 'sleep'\n");
    CHECK(r.status == peer.status);
    CHECK(r.err == "ptool spawn: sending signal TERM to command 'sleep'\n");
}

TEST_CASE("spawn takes --kill-signal 0 and still SIGKILLs after --kill-after") {
    auto r = run_ptool({"spawn", "-v", "--kill-signal", "0", "--timeout", "100ms", "--kill-after",
                        "100ms", "--", "sleep", "30"},
                       c_locale());
    CHECK(r.status == 124);
    CHECK(r.err ==
          "ptool spawn: sending signal EXIT to command 'sleep'\n"
          "ptool spawn: sending signal KILL to command 'sleep'\n");
}

TEST_CASE("spawn --foreground keeps the program in ptool's process group") {
    auto r = run_ptool({"spawn", "--foreground", "--timeout", "5s", "--", "sh", "-c", kSameGroup},
                       c_locale());
    CHECK(r.status == 0);
    CHECK(r.out == "same\n");  // ptool and the program share a process group
    r = run_ptool({"spawn", "--timeout", "5s", "--", "sh", "-c", kSameGroup}, c_locale());
    CHECK(r.out == "apart\n");
}
