// exec's timeout and the whole tree (man/ptool-exec.1): --kill-tree kills every
// descendant when the command exits or times out, so a setsid() grandchild neither
// survives nor keeps ptool waiting on the pipe it holds; --preserve-status,
// --foreground, -v (timeout's words under ptool's name) and a --kill-signal of 0
// against the real timeout(1).
#include <signal.h>
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <string>

#include "kill_tree.hpp"
#include "processes.hpp"
#include "test_support.hpp"

using namespace ptool::test;

namespace {

// timeout's stderr with "timeout: " as "ptool exec: ".
std::string as_ptool(std::string text, const std::string& tool) {
    std::string from = "timeout: ";
    for (size_t at; (at = text.find(from)) != std::string::npos;)
        text.replace(at, from.size(), "ptool " + tool + ": ");
    return text;
}

}  // namespace

TEST_CASE(
    "exec --kill-tree ends a setsid grandchild that holds its stdout when the command exits") {
    // Without --kill-tree exec would wait the grandchild's 60 s for its stdout to close.
    TempDir dir;
    std::string pidfile = dir / "grandchild";
    auto r = run_ptool({"exec", "--kill-tree", escaping_grandchild(pidfile, "echo done", true)},
                       bounded());
    CHECK_FALSE(r.timed_out);
    CHECK(r.status == 0);
    CHECK(r.out == "done\n");
    ProcessReaper reaper;
    check_killed(reaper, pidfile);
}

TEST_CASE("exec --kill-tree --timeout kills the setsid grandchild and exits 124") {
    TempDir dir;
    std::string pidfile = dir / "grandchild";
    auto r = run_ptool({"exec", "--json", "--kill-tree", "--timeout", "1s",
                        escaping_grandchild(pidfile, "wait", true)},
                       bounded());
    CHECK(r.status == 124);
    auto j = nlohmann::json::parse(r.out);
    CHECK(j["timed_out"] == true);
    ProcessReaper reaper;
    check_killed(reaper, pidfile);
}

TEST_CASE("exec --preserve-status exits with the command's status after a timeout, as timeout") {
    const std::string trapping = "trap 'exit 3' TERM; sleep 30 & wait";
    auto peer = run({"timeout", "--preserve-status", "0.2", "sh", "-c", trapping}, c_locale());
    auto r = run_ptool({"exec", "--preserve-status", "--timeout", "200ms", trapping}, c_locale());
    CHECK(peer.status == 3);
    CHECK(r.status == peer.status);

    peer = run({"timeout", "--preserve-status", "0.2", "sleep", "30"}, c_locale());
    r = run_ptool({"exec", "--preserve-status", "--timeout", "200ms", "--file", "sleep", "30"},
                  c_locale());
    CHECK(peer.status == 128 + SIGTERM);
    CHECK(r.status == peer.status);
}

TEST_CASE("exec -v reports each signal the timeout sends in timeout's words") {
    auto peer = run({"timeout", "-v", "0.2", "sleep", "30"}, c_locale());
    auto r = run_ptool({"exec", "-v", "--timeout", "200ms", "--file", "sleep", "30"}, c_locale());
    CHECK(peer.err == "timeout: sending signal TERM to command 'sleep'\n");
    CHECK(r.err == as_ptool(peer.err, "exec"));
    CHECK(r.status == peer.status);
}

TEST_CASE("exec --foreground -v: TERM ignored, then KILL after --kill-after, status 137") {
    // --foreground: timeout signals the command alone and reports the SIGKILL as 137.
    const std::string ignoring = "trap '' TERM; exec sleep 30";
    auto peer = run({"timeout", "--foreground", "-v", "-k", "0.1", "0.1", "sh", "-c", ignoring},
                    c_locale());
    auto r = run_ptool({"exec", "--foreground", "-v", "--timeout", "100ms", "--kill-after", "100ms",
                        "--file", "sh", "-c", ignoring},
                       c_locale());
    CHECK(peer.status == 128 + SIGKILL);
    CHECK(peer.err ==
          "timeout: sending signal TERM to command 'sh'\n"
          "timeout: sending signal KILL to command 'sh'\n");
    CHECK(r.status == peer.status);
    CHECK(r.err == as_ptool(peer.err, "exec"));
}

TEST_CASE("exec --kill-signal 0 sends nothing at the timeout, then the --kill-after SIGKILL") {
    auto peer = run({"timeout", "--foreground", "-v", "-s", "0", "-k", "0.1", "0.1", "sleep", "30"},
                    c_locale());
    auto r = run_ptool({"exec", "--foreground", "-v", "--kill-signal", "0", "--timeout", "100ms",
                        "--kill-after", "100ms", "--file", "sleep", "30"},
                       c_locale());
    CHECK(peer.status == 128 + SIGKILL);
    CHECK(peer.err ==
          "timeout: sending signal EXIT to command 'sleep'\n"
          "timeout: sending signal KILL to command 'sleep'\n");
    CHECK(r.status == peer.status);
    CHECK(r.err == as_ptool(peer.err, "exec"));
    // Without --foreground a timeout is 124, as before.
    r = run_ptool({"exec", "--kill-signal", "0", "--timeout", "100ms", "--kill-after", "100ms",
                   "--file", "sleep", "30"},
                  c_locale());
    CHECK(r.status == 124);
}

TEST_CASE("exec --foreground signals the command alone: its children are not timed out") {
    TempDir dir;
    std::string pidfile = dir / "child";
    const std::string script =
        "sleep 30 </dev/null >/dev/null 2>&1 & echo $! > " + pidfile + "; wait";
    auto peer = run({"timeout", "--foreground", "0.5", "sh", "-c", script}, c_locale());
    int peer_child = std::stoi(read_file(pidfile));
    bool peer_left = process_alive(peer_child);
    ::kill(peer_child, SIGKILL);
    auto r = run_ptool({"exec", "--foreground", "--timeout", "500ms", script}, c_locale());
    int child = std::stoi(read_file(pidfile));
    bool left = process_alive(child);
    ::kill(child, SIGKILL);
    CHECK(peer.status == 124);
    CHECK(r.status == peer.status);
    CHECK(peer_left);
    CHECK(left);
}
