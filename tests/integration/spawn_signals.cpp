// spawn and signals (man/ptool-spawn.1, ROBUSTNESS): every catchable signal ptool gives
// no meaning of its own is forwarded and none ends ptool while its child lives; a
// timeout reaches a stopped child; and the state a caller leaves (SIGCHLD ignored,
// fds 0-2 closed) does not break it.
#include <signal.h>
#include <catch2/catch.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "test_support.hpp"

using namespace ptool::test;

namespace {

const std::string kPython = "/usr/bin/python3";

std::string fixture(const std::string& name) {
    return source_dir() + "/tests/fixtures/signals/" + name;
}

// The signals the man page lists as forwarded.
std::vector<int> documented_forwarded_signals() {
    std::vector<int> list = {SIGHUP,    SIGINT,  SIGQUIT,   SIGUSR1, SIGUSR2,
                             SIGALRM,   SIGTERM, SIGSTKFLT, SIGCONT, SIGURG,
                             SIGVTALRM, SIGPROF, SIGWINCH,  SIGIO,   SIGPWR};
    for (int sig = SIGRTMIN; sig <= SIGRTMAX; ++sig) list.push_back(sig);
    return list;
}

// Runs `ptool ARGS /usr/bin/python3 await_signals.py ack SIGS...` in the background,
// sends ptool SIGXCPU and SIGXFSZ (not forwarded), then each signal of `signals` in
// turn, each once the child has reported the one before; prints ptool's status.
RunResult send_each_signal(const std::string& ptool_args, const std::vector<int>& signals) {
    TempDir dir;
    std::string numbers;
    for (int sig : signals) numbers += " " + std::to_string(sig);
    std::string script = "cd " + shell_quote(dir.path().string()) + "; \"$PTOOL\" " + ptool_args +
                         " " + kPython + " " + shell_quote(fixture("await_signals.py")) + " ack" +
                         numbers +
                         " & p=$!\n"
                         "until grep -qx ready ack 2>/dev/null; do sleep 0.01; done\n"
                         "kill -XCPU $p; kill -XFSZ $p\n"
                         "for s in" +
                         numbers +
                         "; do kill -$s $p; until grep -qx \"got $s\" ack; do sleep 0.01; done; "
                         "done\n"
                         "wait $p; echo status=$?\n";
    RunOptions options;
    options.timeout = std::chrono::seconds(30);
    return run_shell(script, options);
}

}  // namespace

TEST_CASE("spawn forwards every catchable signal it has no use for and outlives none of them") {
    // Before: SIGALRM (and the others past INT TERM HUP QUIT USR1 USR2) killed ptool
    // (exit 142) and left the child running.
    auto r = send_each_signal("spawn --", documented_forwarded_signals());
    CHECK_FALSE(r.timed_out);
    CHECK(r.out == "status=0\n");
    CHECK(r.err == "");
}

TEST_CASE("spawn --timeout forwards every signal to the child's own process group") {
    auto r = send_each_signal("spawn --timeout 60s --", documented_forwarded_signals());
    CHECK_FALSE(r.timed_out);
    CHECK(r.out == "status=0\n");
}

TEST_CASE("spawn forwards a signal to the whole group of a child that leads one") {
    TempDir dir;
    RunOptions options;
    options.timeout = std::chrono::seconds(30);
    auto r = run_shell("cd " + shell_quote(dir.path().string()) +
                           "; \"$PTOOL\" spawn --timeout 60s -- sh -c "
                           "'sleep 300 & echo $! > grandchild; wait' & p=$!\n"
                           "until [ -s grandchild ]; do sleep 0.01; done\n"
                           "kill -TERM $p; wait $p; echo status=$?",
                       options);
    int grandchild = std::stoi(read_file(dir / "grandchild"));
    CHECK(wait_until([&] { return !process_alive(grandchild); }));
    if (process_alive(grandchild)) ::kill(grandchild, SIGKILL);
    CHECK(r.out == "status=143\n");
}

TEST_CASE("spawn --timeout fires on a stopped child as timeout(1) does") {
    // Before: the SIGTERM stayed pending in the stopped child and ptool hung.
    RunOptions options;
    options.timeout = std::chrono::seconds(20);
    auto peer = run({"timeout", "0.2", "sh", "-c", "kill -STOP $$"}, options);
    REQUIRE(peer.status == 124);
    auto r = run_ptool({"spawn", "--timeout", "200ms", "--", "sh", "-c", "kill -STOP $$"}, options);
    CHECK_FALSE(r.timed_out);
    CHECK(r.status == 124);
    // With --kill-signal INT too (SIGCONT follows any signal but KILL and CONT).
    r = run_ptool(
        {"spawn", "--timeout", "200ms", "--kill-signal", "INT", "--", "sh", "-c", "kill -STOP $$"},
        options);
    CHECK_FALSE(r.timed_out);
    CHECK(r.status == 124);
}

TEST_CASE("spawn waits for its child when the caller ignores SIGCHLD") {
    // Before: "ptool spawn: wait4: No child processes", exit 1, the status lost.
    auto r = run({kPython, fixture("ignore_sigchld.py"), ptool_bin(), "spawn", "--", "sh", "-c",
                  "echo out; exit 3"});
    CHECK(r.status == 3);
    CHECK(r.out == "out\n");
    CHECK(r.err == "");
    r = run({kPython, fixture("ignore_sigchld.py"), ptool_bin(), "spawn", "--timeout", "30s", "--",
             "true"});
    CHECK(r.status == 0);
    CHECK(r.err == "");
}

TEST_CASE("spawn started with fds 0-2 closed gives the child /dev/null there") {
    TempDir dir;
    std::string d = shell_quote(dir.path().string());
    // The child writes what its fds 0-2 are to the file "fds" (Python: a shell's own
    // redirections would reuse a closed fd themselves).
    std::string child = kPython +
                        " -c 'import os; open(\"fds\", \"w\").write(\" \".join(os.readlink("
                        "\"/proc/self/fd/%d\" % i) for i in range(3)))'";
    // Before: ptool's epoll fd took the free slot and the child inherited it.
    auto r = run_shell("cd " + d + "; \"$PTOOL\" spawn -- " + child + " <&- >&-; echo status=$?");
    CHECK(r.out == "status=0\n");
    CHECK(r.err == "");
    std::string fds = read_file(dir / "fds");
    CHECK(fds.starts_with("/dev/null /dev/null "));
    r = run_shell("cd " + d + "; \"$PTOOL\" spawn -- " + child + " 2>&-; echo status=$?");
    CHECK(r.out == "status=0\n");
    fds = read_file(dir / "fds");
    CHECK(fds.ends_with(" /dev/null"));
    CHECK_FALSE(fds.starts_with("/dev/null"));
}

TEST_CASE("spawn names an empty program name as ''") {
    auto r = run_ptool({"spawn", "--", ""});
    CHECK(r.status == 127);
    CHECK(r.err == "ptool spawn: '': No such file or directory\n");
}

TEST_CASE("daemonize --respawn's supervisor forwards the same signals and outlives them") {
    // Before: its own list (TERM INT QUIT HUP USR1 USR2); SIGALRM killed the supervisor.
    TempDir dir;
    std::string ack = dir / "ack";
    std::vector<int> signals;
    for (int sig : documented_forwarded_signals())
        if (sig != SIGTERM && sig != SIGINT && sig != SIGQUIT) signals.push_back(sig);
    std::vector<std::string> args = {
        "daemonize", "--respawn", "--", kPython, fixture("await_signals.py"), ack};
    for (int sig : signals) args.push_back(std::to_string(sig));
    auto r = run_ptool(args);
    REQUIRE(r.status == 0);
    int supervisor = std::stoi(r.out);
    auto has_line = [&](const std::string& line) {
        return wait_until([&] {
            std::string text = std::filesystem::exists(ack) ? read_file(ack) : "";
            return text.find(line + "\n") != std::string::npos;
        });
    };
    REQUIRE(has_line("ready"));
    ::kill(supervisor, SIGXCPU);
    ::kill(supervisor, SIGXFSZ);
    for (int sig : signals) {
        // Alive after every earlier signal (after the last one the program exits, and the
        // supervisor with it, so that one cannot be checked this way).
        CHECK(process_alive(supervisor));
        ::kill(supervisor, sig);
        CHECK(has_line("got " + std::to_string(sig)));
    }
    // The program has had every signal and exited 0: the supervisor ends with it.
    CHECK(wait_until([&] { return !process_alive(supervisor); }));
    if (process_alive(supervisor)) ::kill(supervisor, SIGKILL);
}
