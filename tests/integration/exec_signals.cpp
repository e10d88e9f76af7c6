// exec and signals (man/ptool-exec.1, ROBUSTNESS): forwarded signals reach the command's
// whole process group, a timeout reaches a stopped command, a command that ignores the
// kill signal is SIGKILLed after --kill-after (default 5s), and a caller's closed fds
// or ignored SIGCHLD do not break it.
#include <signal.h>
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "test_support.hpp"

using namespace ptool::test;

namespace {

const std::string kPython = "/usr/bin/python3";

std::string fixture(const std::string& name) {
    return source_dir() + "/tests/fixtures/signals/" + name;
}

RunOptions bounded() {
    RunOptions options;
    options.timeout = std::chrono::seconds(30);
    return options;
}

void kill_if_alive(int pid) {
    if (pid > 0 && process_alive(pid)) ::kill(pid, SIGKILL);
}

}  // namespace

TEST_CASE("exec forwards every catchable signal it has no use for and outlives none of them") {
    std::vector<int> signals = {SIGHUP,    SIGINT,  SIGQUIT,   SIGUSR1, SIGUSR2,
                                SIGALRM,   SIGTERM, SIGSTKFLT, SIGCONT, SIGURG,
                                SIGVTALRM, SIGPROF, SIGWINCH,  SIGIO,   SIGPWR};
    for (int sig = SIGRTMIN; sig <= SIGRTMAX; ++sig) signals.push_back(sig);
    TempDir dir;
    std::string numbers;
    for (int sig : signals) numbers += " " + std::to_string(sig);
    auto r =
        run_shell("cd " + shell_quote(dir.path().string()) + "; \"$PTOOL\" exec --file " + kPython +
                      " " + shell_quote(fixture("await_signals.py")) + " ack" + numbers +
                      " & p=$!\n"
                      "until grep -qx ready ack 2>/dev/null; do sleep 0.01; done\n"
                      "kill -XCPU $p; kill -XFSZ $p\n"
                      "for s in" +
                      numbers +
                      "; do kill -$s $p; until grep -qx \"got $s\" ack; do sleep 0.01; "
                      "done; done\n"
                      "wait $p; echo status=$?\n",
                  bounded());
    CHECK_FALSE(r.timed_out);
    CHECK(r.out == "status=0\n");
    CHECK(r.err == "");
}

TEST_CASE("exec forwards SIGTERM to the shell's children and does not wait on an orphan") {
    // Before: only sh got the SIGTERM; ptool then waited for the orphaned `sleep 300`
    // to close the output pipe.
    TempDir dir;
    auto r = run_shell("cd " + shell_quote(dir.path().string()) +
                           "; \"$PTOOL\" exec 'sleep 300 & echo $! > grandchild; wait' & p=$!\n"
                           "until [ -s grandchild ]; do sleep 0.01; done\n"
                           "kill -TERM $p; wait $p; echo status=$?",
                       bounded());
    int grandchild = std::stoi(read_file(dir / "grandchild"));
    CHECK_FALSE(r.timed_out);
    CHECK(r.out == "status=143\n");
    CHECK(wait_until([&] { return !process_alive(grandchild); }));
    kill_if_alive(grandchild);
}

TEST_CASE("exec --timeout fires on a stopped command as timeout(1) does") {
    auto peer = run({"timeout", "0.2", "sh", "-c", "kill -STOP $$"}, bounded());
    REQUIRE(peer.status == 124);
    auto r = run_ptool({"exec", "--json", "--timeout", "200ms", "kill -STOP $$"}, bounded());
    CHECK_FALSE(r.timed_out);
    CHECK(r.status == 124);
    auto j = nlohmann::json::parse(r.out);
    CHECK(j["timed_out"] == true);
    CHECK(j["signal"] == "SIGTERM");
}

TEST_CASE("exec --kill-after SIGKILLs a command that ignores the kill signal") {
    // Before: no --kill-after, and ptool waited as long as the command did.
    auto r = run_ptool({"exec", "--json", "--timeout", "100ms", "--kill-after", "100ms",
                        "trap '' TERM; sleep 300"},
                       bounded());
    CHECK_FALSE(r.timed_out);
    CHECK(r.status == 124);
    auto j = nlohmann::json::parse(r.out);
    CHECK(j["signal"] == "SIGKILL");
    CHECK(j["timed_out"] == true);
}

TEST_CASE("exec past --max-buffer SIGKILLs a command that ignores the kill signal by default") {
    auto r = run_ptool(
        {"exec", "--json", "--max-buffer", "4", "trap '' TERM; echo 0123456789; sleep 300"},
        bounded());
    CHECK_FALSE(r.timed_out);
    CHECK(r.status == 1);
    auto j = nlohmann::json::parse(r.out);
    CHECK(j["signal"] == "SIGKILL");
    CHECK(j["max_buffer_exceeded"] == true);
    CHECK(j["stdout"] == "0123");
    CHECK(j["duration_ms"].get<long long>() >= 5000);  // the default --kill-after
}

TEST_CASE("exec stops waiting for pipes an escaped process holds once it SIGKILLed the command") {
    TempDir dir;
    auto r = run_shell("cd " + shell_quote(dir.path().string()) +
                           "; \"$PTOOL\" exec --timeout 100ms --kill-after 100ms "
                           "'setsid sh -c \"echo \\$\\$ > escaped; exec sleep 300\" & wait'; "
                           "echo status=$?",
                       bounded());
    int escaped = 0;
    if (wait_until([&] { return !read_file(dir / "escaped").empty(); }))
        escaped = std::stoi(read_file(dir / "escaped"));
    kill_if_alive(escaped);
    CHECK_FALSE(r.timed_out);
    CHECK(r.out == "status=124\n");
}

TEST_CASE("exec rejects an empty or zero --kill-after") {
    for (const char* value : {"", "0", "0s"}) {
        auto r = run_ptool({"exec", "--kill-after", value, "true"});
        CHECK(r.status == 2);
        CHECK(r.err.find("--kill-after") != std::string::npos);
    }
}

TEST_CASE("exec waits for its command when the caller ignores SIGCHLD") {
    auto r = run({kPython, fixture("ignore_sigchld.py"), ptool_bin(), "exec", "echo hi; exit 4"});
    CHECK(r.status == 4);
    CHECK(r.out == "hi\n");
    CHECK(r.err == "");
}

TEST_CASE("exec started with stdout or stderr closed runs and reports no write error") {
    // Before: the epoll fd landed on fd 1: "ptool exec: write error: Invalid argument".
    auto r = run_shell("\"$PTOOL\" exec 'echo hi' >&-; echo status=$?");
    CHECK(r.out == "status=0\n");
    CHECK(r.err == "");
    r = run_shell("\"$PTOOL\" exec 'echo out; echo err >&2' 2>&-; echo status=$?");
    CHECK(r.out == "out\nstatus=0\n");
    r = run_shell("\"$PTOOL\" exec --file cat <&-; echo status=$?");
    CHECK(r.out == "status=0\n");
}

TEST_CASE("exec --file names an empty program name as ''") {
    auto r = run_ptool({"exec", "--file", ""});
    CHECK(r.status == 127);
    CHECK(r.err == "ptool exec: '': No such file or directory\n");
}
