// daemonize against daemonize(1) and start-stop-daemon: the daemon's session, fds,
// pidfile and lock, --user, --respawn, --stop/--status, as a user runs them.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "processes.hpp"
#include "test_support.hpp"

using namespace ptool::test;
using namespace std::chrono_literals;

namespace {

// A --respawn log with each line's leading "YYYY-MM-DDTHH:MM:SS.mmmZ " taken off; a
// line without one is kept whole, so that it fails the comparison.
std::string without_timestamps(const std::string& log) {
    static const std::regex stamp(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z )");
    std::string out;
    std::istringstream lines(log);
    for (std::string line; std::getline(lines, line);)
        out += std::regex_replace(line, stamp, "", std::regex_constants::format_first_only) + "\n";
    return out;
}

struct ProcStat {
    long ppid, pgrp, session, tty_nr;
};

// Throws when `pid` is gone (as reading its stat file did), so no CHECK passes by it.
ProcStat proc_stat(int pid) {
    ProcStat st{stat_field(pid, 4), stat_field(pid, 5), stat_field(pid, 6), stat_field(pid, 7)};
    if (std::min({st.ppid, st.pgrp, st.session, st.tty_nr}) < 0)
        throw std::runtime_error("no process " + std::to_string(pid));
    return st;
}

// fd number -> what it points to, for a running process.
std::map<std::string, std::string> open_fds(int pid) {
    std::map<std::string, std::string> fds;
    std::error_code ec;  // an fd may close while we list them
    for (const auto& e :
         std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec)) {
        auto target = std::filesystem::read_symlink(e.path(), ec);
        if (!ec) fds[e.path().filename()] = target;
    }
    return fds;
}

// The daemon's fds once it has settled: just after exec the dynamic loader and
// setlocale hold files open for a moment, so a single look can catch one extra.
std::map<std::string, std::string> settled_fds(int pid,
                                               const std::map<std::string, std::string>& expected) {
    std::map<std::string, std::string> fds;
    wait_until([&] { return (fds = open_fds(pid)) == expected; }, std::chrono::seconds(2));
    return fds;
}

// Waits until `pid` has exec'd `argv` (so a shell's traps before the exec are set).
bool wait_for_cmdline(int pid, std::initializer_list<std::string_view> argv) {
    std::string expected;
    for (auto a : argv) (expected += a) += '\0';
    return wait_until([&] {
        std::ifstream f("/proc/" + std::to_string(pid) + "/cmdline");
        std::stringstream ss;
        ss << f.rdbuf();
        return ss.str() == expected;
    });
}

std::string lines_of(const std::string& path) {
    return std::filesystem::exists(path) ? read_file(path) : "";
}

}  // namespace

TEST_CASE("daemonize runs the program in a new session it does not lead with no tty") {
    ProcessReaper reaper;
    auto r = run_ptool({"daemonize", "--", "sleep", "30"});
    REQUIRE(r.status == 0);
    int pid = reaper.add(parse_pid_line(r.out));
    CHECK(r.err.empty());
    REQUIRE(wait_for_cmdline(pid, {"sleep", "30"}));
    ProcStat st = proc_stat(pid);
    CHECK(st.session != pid);  // not a session leader: cannot get a tty
    CHECK(st.session != proc_stat(getpid()).session);
    CHECK(st.pgrp == st.session);
    CHECK(st.tty_nr == 0);
    CHECK(st.ppid != getpid());
    CHECK(zombie_children(getpid()).empty());
}

TEST_CASE("daemonize matches start-stop-daemon on session but Debian daemonize leads its session") {
    ProcessReaper reaper;
    TempDir dir;
    auto ssd = run({"start-stop-daemon", "--start", "--background", "--make-pidfile", "--pidfile",
                    dir / "ssd.pid", "--exec", "/bin/sleep", "--", "30"});
    REQUIRE(ssd.status == 0);
    int ssd_pid = reaper.add_from_file(dir / "ssd.pid");
    auto deb = run({"daemonize", "-p", dir / "deb.pid", "/bin/sleep", "30"});
    REQUIRE(deb.status == 0);
    REQUIRE(wait_until([&] { return !lines_of(dir / "deb.pid").empty(); }));
    int deb_pid = reaper.add_from_file(dir / "deb.pid");
    auto ours = run_ptool({"daemonize", "--", "/bin/sleep", "30"});
    REQUIRE(ours.status == 0);
    int our_pid = reaper.add(parse_pid_line(ours.out));

    CHECK(proc_stat(ssd_pid).session != ssd_pid);
    CHECK(proc_stat(our_pid).session != our_pid);
    CHECK(proc_stat(deb_pid).session == deb_pid);  // daemon(3): a leader, could get a tty
    for (int pid : {ssd_pid, deb_pid, our_pid}) CHECK(proc_stat(pid).tty_nr == 0);
}

TEST_CASE("daemonize runs in / with umask 022 by default whatever the caller has") {
    ProcessReaper reaper;
    TempDir dir;
    std::string out = dir / "out";
    auto r = run_shell("umask 077; cd " + shell_quote(dir.path().string()) +
                       " && exec $PTOOL daemonize --stdout " + shell_quote(out) +
                       " -- sh -c 'pwd; umask; exec sleep 30'");
    REQUIRE(r.status == 0);
    reaper.add(parse_pid_line(r.out));
    CHECK(wait_for_lines(out, 2) == "/\n0022\n");
}

TEST_CASE("daemonize --cwd and --umask agree with start-stop-daemon --chdir and --umask") {
    ProcessReaper reaper;
    TempDir dir;
    std::string ours = dir / "ours", theirs = dir / "theirs";
    auto r = run_ptool({"daemonize", "--cwd", dir.path().string(), "--umask", "027", "--", "sh",
                        "-c", "pwd > ours; umask >> ours; exec sleep 30"});
    REQUIRE(r.status == 0);
    reaper.add(parse_pid_line(r.out));
    auto ssd = run({"start-stop-daemon", "--start", "--background", "--make-pidfile", "--pidfile",
                    dir / "ssd.pid", "--chdir", dir.path().string(), "--umask", "027", "--exec",
                    "/bin/sh", "--", "-c", "pwd > theirs; umask >> theirs; exec sleep 30"});
    REQUIRE(ssd.status == 0);
    reaper.add_from_file(dir / "ssd.pid");
    CHECK(wait_for_lines(ours, 2) == dir.path().string() + "\n0027\n");
    CHECK(wait_for_lines(theirs, 2) == wait_for_lines(ours, 2));
}

TEST_CASE("daemonize leaves the daemon only stdio and the pidfile lock, stdin from /dev/null") {
    ProcessReaper reaper;
    TempDir dir;
    std::string log = dir / "log", pidfile = dir / "d.pid";
    // fd 7 is open in the caller: the daemon must not inherit it.
    auto r = run_shell("exec 7</dev/null; exec $PTOOL daemonize --log " + shell_quote(log) +
                       " --pidfile " + shell_quote(pidfile) + " -- sleep 30");
    REQUIRE(r.status == 0);
    int pid = reaper.add(parse_pid_line(r.out));
    std::map<std::string, std::string> expected{
        {"0", "/dev/null"}, {"1", log}, {"2", log}, {"3", pidfile}};
    CHECK(settled_fds(pid, expected) == expected);
}

TEST_CASE("daemonize without a pidfile leaves the daemon only fds 0-2") {
    ProcessReaper reaper;
    auto r = run_shell("exec 7</dev/null; exec $PTOOL daemonize -- sleep 30");
    REQUIRE(r.status == 0);
    int pid = reaper.add(parse_pid_line(r.out));
    std::map<std::string, std::string> expected{
        {"0", "/dev/null"}, {"1", "/dev/null"}, {"2", "/dev/null"}};
    CHECK(settled_fds(pid, expected) == expected);
}

TEST_CASE("daemonize --stdout and --stderr append to separate files") {
    ProcessReaper reaper;
    TempDir dir;
    write_file(dir / "out", "old out\n");
    write_file(dir / "err", "old err\n");
    auto r = run_ptool({"daemonize", "--stdout", dir / "out", "--stderr", dir / "err", "--", "sh",
                        "-c", "echo to-out; echo to-err >&2; exec sleep 30"});
    REQUIRE(r.status == 0);
    reaper.add(parse_pid_line(r.out));
    CHECK(wait_for_lines(dir / "out", 2) == "old out\nto-out\n");
    CHECK(wait_for_lines(dir / "err", 2) == "old err\nto-err\n");
}

TEST_CASE("daemonize --log with --stdout is a usage error") {
    auto r = run_ptool({"daemonize", "--log", "/tmp/x", "--stdout", "/tmp/y", "--", "true"});
    CHECK(r.status == 2);
    CHECK(r.out.empty());
}

TEST_CASE("daemonize writes the pidfile as Debian daemonize and start-stop-daemon do") {
    ProcessReaper reaper;
    TempDir dir;
    auto ours = run_ptool({"daemonize", "--pidfile", dir / "ours.pid", "--", "sleep", "30"});
    REQUIRE(ours.status == 0);
    int pid = reaper.add(parse_pid_line(ours.out));
    REQUIRE(run({"daemonize", "-p", dir / "deb.pid", "/bin/sleep", "30"}).status == 0);
    REQUIRE(wait_until([&] { return !lines_of(dir / "deb.pid").empty(); }));
    int deb_pid = reaper.add_from_file(dir / "deb.pid");
    REQUIRE(run({"start-stop-daemon", "--start", "--background", "--make-pidfile", "--pidfile",
                 dir / "ssd.pid", "--exec", "/bin/sleep", "--", "30"})
                .status == 0);
    int ssd_pid = reaper.add_from_file(dir / "ssd.pid");
    // The same format: the decimal pid and a newline; ours names the printed pid.
    CHECK(read_file(dir / "ours.pid") == ours.out);
    CHECK(read_file(dir / "ours.pid") == std::to_string(pid) + "\n");
    CHECK(read_file(dir / "deb.pid") == std::to_string(deb_pid) + "\n");
    CHECK(read_file(dir / "ssd.pid") == std::to_string(ssd_pid) + "\n");
    CHECK((std::filesystem::status(dir / "ours.pid").permissions() & std::filesystem::perms::all) ==
          (std::filesystem::status(dir / "ssd.pid").permissions() & std::filesystem::perms::all));
}

TEST_CASE("daemonize keeps the pidfile locked for the daemon's life") {
    ProcessReaper reaper;
    TempDir dir;
    std::string pidfile = dir / "d.pid";
    auto r = run_ptool({"daemonize", "--pidfile", pidfile, "--", "sleep", "30"});
    REQUIRE(r.status == 0);
    int pid = reaper.add(parse_pid_line(r.out));
    CHECK(pidfile_locked(pidfile));
    kill(pid, SIGKILL);
    REQUIRE(wait_until([&] { return !process_alive(pid); }));
    CHECK(wait_until([&] { return !pidfile_locked(pidfile); }));
}

TEST_CASE("daemonize refuses a second start while the daemon runs") {
    ProcessReaper reaper;
    TempDir dir;
    std::string pidfile = dir / "d.pid";
    auto first = run_ptool({"daemonize", "--pidfile", pidfile, "--", "sleep", "30"});
    REQUIRE(first.status == 0);
    int pid = reaper.add(parse_pid_line(first.out));
    auto second =
        run_ptool({"daemonize", "--pidfile", pidfile, "--", "sh", "-c", "touch " + dir / "second"});
    CHECK(second.status == 1);
    CHECK(second.out.empty());
    CHECK(second.err == "ptool daemonize: already running (pid " + std::to_string(pid) + ")\n");
    CHECK(read_file(pidfile) == first.out);
    CHECK_FALSE(std::filesystem::exists(dir / "second"));
}

TEST_CASE("daemonize replaces a stale unlocked pidfile") {
    ProcessReaper reaper;
    TempDir dir;
    std::string pidfile = dir / "d.pid";
    write_file(pidfile, "999999\n");
    auto r = run_ptool({"daemonize", "--pidfile", pidfile, "--", "sleep", "30"});
    REQUIRE(r.status == 0);
    reaper.add(parse_pid_line(r.out));
    CHECK(read_file(pidfile) == r.out);
    CHECK(std::distance(std::filesystem::directory_iterator(dir.path()),
                        std::filesystem::directory_iterator()) == 1);
}

TEST_CASE("daemonize reports a missing program with 127 and leaves no pidfile") {
    TempDir dir;
    auto r = run_ptool({"daemonize", "--pidfile", dir / "d.pid", "--", "nosuch-program"});
    CHECK(r.status == 127);
    CHECK(r.out.empty());
    CHECK(r.err == "ptool daemonize: nosuch-program: No such file or directory\n");
    CHECK(std::filesystem::is_empty(dir.path()));
}

TEST_CASE("daemonize reports a non-executable file or a directory with 126") {
    TempDir dir;
    write_file(dir / "script", "echo hi\n");
    auto r = run_ptool({"daemonize", "--pidfile", dir / "d.pid", "--", dir / "script"});
    CHECK(r.status == 126);
    CHECK(r.err == "ptool daemonize: " + dir / "script" + ": Permission denied\n");
    auto d = run_ptool({"daemonize", "--pidfile", dir / "d.pid", "--", dir.path().string()});
    CHECK(d.status == 126);
    CHECK(std::filesystem::directory_iterator(dir.path())->path().filename() == "script");
    CHECK(std::distance(std::filesystem::directory_iterator(dir.path()),
                        std::filesystem::directory_iterator()) == 1);
}

TEST_CASE("daemonize resolves a relative program against the caller's directory") {
    ProcessReaper reaper;
    TempDir dir;
    write_file(dir / "server", "#!/bin/sh\necho \"$0\"; pwd; exec sleep 30\n");
    std::filesystem::permissions(dir / "server", std::filesystem::perms::owner_all);
    RunOptions options;
    options.cwd = dir.path().string();
    auto r = run_ptool({"daemonize", "--log", "log", "--", "./server"}, options);
    REQUIRE(r.status == 0);
    reaper.add(parse_pid_line(r.out));
    CHECK(wait_for_lines(dir / "log", 2) == dir / "server" + "\n/\n");
}

TEST_CASE(
    "daemonize fails with 127 for a script whose interpreter is missing where peers succeed") {
    ProcessReaper reaper;
    TempDir dir;
    std::string script = dir / "bad.sh";
    write_file(script, "#!/nonexistent/interpreter\necho hi\n");
    std::filesystem::permissions(script, std::filesystem::perms::owner_all);
    auto r = run_ptool({"daemonize", "--pidfile", dir / "ours.pid", "--", script});
    CHECK(r.status == 127);
    CHECK(r.out.empty());
    CHECK(r.err == "ptool daemonize: " + script +
                       ": No such file or directory (its #! interpreter /nonexistent/interpreter "
                       "is missing)\n");
    CHECK_FALSE(std::filesystem::exists(dir / "ours.pid"));
    // Debian's daemonize 1.7.8 and start-stop-daemon report success for the same script.
    CHECK(run({"daemonize", "-p", dir / "deb.pid", script}).status == 0);
    CHECK(run({"start-stop-daemon", "--start", "--background", "--make-pidfile", "--pidfile",
               dir / "ssd.pid", "--exec", script})
              .status == 0);
}

TEST_CASE("daemonize --cwd to a missing directory fails with 125 naming it") {
    TempDir dir;
    auto r = run_ptool(
        {"daemonize", "--cwd", dir / "missing", "--pidfile", dir / "d.pid", "--", "sleep", "30"});
    CHECK(r.status == 125);
    CHECK(r.err == "ptool daemonize: --cwd " + dir / "missing" + ": No such file or directory\n");
    CHECK(std::filesystem::is_empty(dir.path()));
}

TEST_CASE("daemonize --wait-ready returns once the daemon sends READY=1") {
    ProcessReaper reaper;
    TempDir dir;
    std::string marker = dir / "marker";
    auto r =
        run_ptool({"daemonize", "--wait-ready", "10s", "--pidfile", dir / "d.pid", "--", "sh", "-c",
                   "sleep 0.3; touch " + marker + "; systemd-notify --ready; exec sleep 30"});
    REQUIRE(r.status == 0);
    reaper.add(parse_pid_line(r.out));
    CHECK(r.err.empty());
    CHECK(std::filesystem::exists(marker));  // the caller waited for it
    CHECK(read_file(dir / "d.pid") == r.out);
}

TEST_CASE("daemonize --wait-ready fails after the duration and kills the daemon") {
    ProcessReaper reaper;
    TempDir dir;
    std::string pids = dir / "pids";
    auto r = run_ptool({"daemonize", "--wait-ready", "300ms", "--pidfile", dir / "d.pid", "--",
                        "sh", "-c", "echo $$ > " + pids + "; exec sleep 30"});
    CHECK(r.status == 1);
    CHECK(r.out.empty());
    CHECK(r.err == "ptool daemonize: sh: not ready after 300ms (no READY=1)\n");
    int pid = reaper.add_from_file(pids);
    CHECK(wait_until([&] { return !process_alive(pid); }));
    CHECK_FALSE(std::filesystem::exists(dir / "d.pid"));
}

TEST_CASE("daemonize --wait-ready fails at once when the daemon exits before READY=1") {
    TempDir dir;
    auto r = run_ptool({"daemonize", "--wait-ready", "20s", "--pidfile", dir / "d.pid", "--", "sh",
                        "-c", "exit 3"});
    CHECK(r.status == 1);
    CHECK(r.err == "ptool daemonize: sh: exited before it reported READY=1\n");
    CHECK(std::filesystem::is_empty(dir.path()));
}

TEST_CASE("daemonize --user nobody drops to its uid, gid and groups") {
    ProcessReaper reaper;
    TempDir dir;
    std::string log = dir / "log";
    auto r = run_ptool({"daemonize", "--user", "nobody", "--log", log, "--wait-ready", "10s", "--",
                        "sh", "-c",
                        "id -u; id -g; id -G; echo $HOME; systemd-notify --ready; "
                        "exec sleep 30"});
    REQUIRE(r.status == 0);
    reaper.add(parse_pid_line(r.out));
    CHECK(wait_for_lines(log, 4) == "65534\n65534\n65534\n/nonexistent\n");
}

TEST_CASE("daemonize --user with an unknown user is a usage error") {
    auto r = run_ptool({"daemonize", "--user", "nosuchuser", "--", "true"});
    CHECK(r.status == 2);
    CHECK(r.err == "ptool daemonize: unknown user 'nosuchuser'\n");
}

TEST_CASE("daemonize --respawn restarts a killed program under one supervisor") {
    ProcessReaper reaper;
    TempDir dir;
    std::string starts = dir / "starts", pidfile = dir / "d.pid";
    auto r = run_ptool({"daemonize", "--respawn", "--pidfile", pidfile, "--log", dir / "log", "--",
                        "sh", "-c", "echo $$ >> " + starts + "; exec sleep 30"});
    REQUIRE(r.status == 0);
    int supervisor = reaper.add(parse_pid_line(r.out));
    CHECK(read_file(pidfile) == r.out);
    int first = std::stoi(wait_for_lines(starts, 1));
    reaper.add(first);
    CHECK(proc_stat(first).ppid == supervisor);
    kill(first, SIGKILL);
    std::string both = wait_for_lines(starts, 2);
    int second = reaper.add(std::stoi(both.substr(both.find('\n') + 1)));
    CHECK(second != first);
    CHECK(proc_stat(second).ppid == supervisor);
    CHECK(without_timestamps(read_file(dir / "log")) ==
          "ptool daemonize: sh: was killed by SIGKILL; restarting in 100ms\n");

    auto stop = run_ptool({"daemonize", "--stop", "--pidfile", pidfile});
    CHECK(stop.status == 0);
    CHECK_FALSE(process_alive(supervisor));
    CHECK(wait_until([&] { return !process_alive(second); }));
    CHECK_FALSE(std::filesystem::exists(pidfile));
}

TEST_CASE("daemonize --respawn program dies with a SIGKILLed supervisor") {
    ProcessReaper reaper;
    TempDir dir;
    std::string starts = dir / "starts";
    auto r = run_ptool(
        {"daemonize", "--respawn", "--", "sh", "-c", "echo $$ >> " + starts + "; exec sleep 30"});
    REQUIRE(r.status == 0);
    int supervisor = reaper.add(parse_pid_line(r.out));
    int program = reaper.add(std::stoi(wait_for_lines(starts)));
    REQUIRE(wait_for_cmdline(program, {"sleep", "30"}));
    kill(supervisor, SIGKILL);
    CHECK(wait_until([&] { return !process_alive(program); }));
}

TEST_CASE("daemonize --respawn gives up after --max-restarts and removes the pidfile") {
    ProcessReaper reaper;
    TempDir dir;
    std::string runs = dir / "runs", pidfile = dir / "d.pid";
    auto r = run_ptool({"daemonize", "--respawn", "--max-restarts", "2", "--pidfile", pidfile,
                        "--log", dir / "log", "--", "sh", "-c", "echo x >> " + runs + "; exit 1"});
    REQUIRE(r.status == 0);
    int supervisor = reaper.add(parse_pid_line(r.out));
    REQUIRE(wait_until([&] { return !process_alive(supervisor); }));
    CHECK(read_file(runs) == "x\nx\nx\n");
    CHECK(without_timestamps(read_file(dir / "log")) ==
          "ptool daemonize: sh: exited with status 1; restarting in 100ms\n"
          "ptool daemonize: sh: exited with status 1; restarting in 200ms\n"
          "ptool daemonize: sh: exited with status 1; giving up after 2 restarts\n");
    CHECK_FALSE(std::filesystem::exists(pidfile));
}

TEST_CASE("daemonize --respawn ends with the program's clean exit and removes the pidfile") {
    ProcessReaper reaper;
    TempDir dir;
    std::string pidfile = dir / "d.pid";
    auto r = run_ptool(
        {"daemonize", "--respawn", "--pidfile", pidfile, "--", "sh", "-c", "sleep 0.2; exit 0"});
    REQUIRE(r.status == 0);
    int supervisor = reaper.add(parse_pid_line(r.out));
    REQUIRE(wait_until([&] { return !process_alive(supervisor); }));
    CHECK_FALSE(std::filesystem::exists(pidfile));
}

TEST_CASE("daemonize --respawn leaves no pidfile when the program exits at once") {
    ProcessReaper reaper;
    TempDir dir;
    std::string pidfile = dir / "d.pid";
    auto r = run_ptool({"daemonize", "--respawn", "--pidfile", pidfile, "--", "true"});
    REQUIRE(r.status == 0);
    int supervisor = reaper.add(parse_pid_line(r.out));
    REQUIRE(wait_until([&] { return !process_alive(supervisor); }));
    CHECK(wait_until([&] { return !std::filesystem::exists(pidfile); }));
}

TEST_CASE("daemonize --stop signals the daemon, waits and removes the pidfile") {
    ProcessReaper reaper;
    TempDir dir;
    std::string pidfile = dir / "d.pid";
    auto r = run_ptool({"daemonize", "--pidfile", pidfile, "--log", dir / "log", "--", "sh", "-c",
                        "trap 'echo got INT; exit 0' INT; echo trapping; "
                        "while :; do sleep 0.05; done"});
    REQUIRE(r.status == 0);
    int pid = reaper.add(parse_pid_line(r.out));
    REQUIRE(wait_for_lines(dir / "log") == "trapping\n");
    auto stop = run_ptool({"daemonize", "--stop", "--pidfile", pidfile, "--signal", "INT"});
    CHECK(stop.status == 0);
    CHECK(stop.err.empty());
    CHECK_FALSE(process_alive(pid));
    CHECK(read_file(dir / "log") == "trapping\ngot INT\n");
    CHECK_FALSE(std::filesystem::exists(pidfile));
}

TEST_CASE("daemonize --stop sends SIGKILL after --timeout to a daemon that ignores TERM") {
    ProcessReaper reaper;
    TempDir dir;
    std::string pidfile = dir / "d.pid";
    auto r = run_ptool(
        {"daemonize", "--pidfile", pidfile, "--", "sh", "-c", "trap '' TERM; exec sleep 30"});
    REQUIRE(r.status == 0);
    int pid = reaper.add(parse_pid_line(r.out));
    REQUIRE(wait_for_cmdline(pid, {"sleep", "30"}));
    auto start = std::chrono::steady_clock::now();
    auto stop = run_ptool({"daemonize", "--stop", "--pidfile", pidfile, "--timeout", "300ms"});
    CHECK(stop.status == 0);
    CHECK(std::chrono::steady_clock::now() - start >= 300ms);
    CHECK_FALSE(process_alive(pid));
    CHECK_FALSE(std::filesystem::exists(pidfile));
}

TEST_CASE("daemonize --stop with no pidfile or a stale one exits 1 as start-stop-daemon does") {
    TempDir dir;
    std::string pidfile = dir / "d.pid";
    auto none = run_ptool({"daemonize", "--stop", "--pidfile", pidfile});
    CHECK(none.status == 1);
    CHECK(none.err == "ptool daemonize: " + pidfile + ": not running (no pidfile)\n");
    CHECK(run({"start-stop-daemon", "--stop", "--pidfile", pidfile}).status == 1);

    write_file(pidfile, "999999\n");
    CHECK(run({"start-stop-daemon", "--stop", "--pidfile", pidfile}).status == 1);
    auto stale = run_ptool({"daemonize", "--stop", "--pidfile", pidfile});
    CHECK(stale.status == 1);
    CHECK(stale.err ==
          "ptool daemonize: " + pidfile + ": not running (removed stale pidfile of pid 999999)\n");
    CHECK_FALSE(std::filesystem::exists(pidfile));
}

TEST_CASE("daemonize --status exits 0 running 1 stale 3 missing like start-stop-daemon") {
    ProcessReaper reaper;
    TempDir dir;
    std::string pidfile = dir / "d.pid";
    auto ssd_status = [&] {
        return run({"start-stop-daemon", "--status", "--pidfile", pidfile}).status;
    };

    auto missing = run_ptool({"daemonize", "--status", "--pidfile", pidfile});
    CHECK(missing.status == 3);
    CHECK(missing.out == "not running\n");
    CHECK(ssd_status() == 3);

    auto r = run_ptool({"daemonize", "--pidfile", pidfile, "--", "sleep", "30"});
    REQUIRE(r.status == 0);
    int pid = reaper.add(parse_pid_line(r.out));
    auto running = run_ptool({"daemonize", "--status", "--pidfile", pidfile});
    CHECK(running.status == 0);
    CHECK(running.out == "running (pid " + std::to_string(pid) + ")\n");
    CHECK(ssd_status() == 0);

    kill(pid, SIGKILL);
    // Gone from /proc, not just a zombie: start-stop-daemon counts zombies as running.
    REQUIRE(wait_until([&] { return !std::filesystem::exists("/proc/" + std::to_string(pid)); }));
    auto stale = run_ptool({"daemonize", "--status", "--pidfile", pidfile});
    CHECK(stale.status == 1);
    CHECK(stale.out == "not running (stale pidfile, pid " + std::to_string(pid) + ")\n");
    CHECK(ssd_status() == 1);
}

TEST_CASE("daemonize --pidfile in an unwritable directory fails with 125 and starts nothing") {
    TempDir dir;
    std::filesystem::permissions(
        dir.path(), std::filesystem::perms::owner_all | std::filesystem::perms::others_exec);
    auto r = run({"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", ptool_bin(),
                  "daemonize", "--pidfile", dir / "d.pid", "--", "sh", "-c", "touch /tmp/x"});
    CHECK(r.status == 125);
    CHECK(r.err == "ptool daemonize: " + dir / "d.pid" + ": Permission denied\n");
    CHECK(std::filesystem::is_empty(dir.path()));
}

TEST_CASE("daemonize rejects bad durations signals and missing arguments with 2") {
    TempDir dir;
    std::string pidfile = dir / "d.pid";
    struct Case {
        std::vector<std::string> args;
        std::string err;
    };
    std::vector<Case> cases = {
        {{"--wait-ready", "5x", "--", "true"},
         "ptool daemonize: --wait-ready: invalid duration '5x' (use e.g. 250ms, 5s, 2m, 1h, "
         "1.5)\n"},
        {{"--stop", "--pidfile", pidfile, "--timeout", "soon"},
         "ptool daemonize: --timeout: invalid duration 'soon' (use e.g. 250ms, 5s, 2m, 1h, 1.5)\n"},
        {{"--stop", "--pidfile", pidfile, "--signal", "NOPE"},
         "ptool daemonize: --signal: invalid signal 'NOPE' (use e.g. TERM, SIGKILL or 9)\n"},
        {{"--umask", "999", "--", "true"},
         "ptool daemonize: --umask: invalid mode '999' (octal, e.g. 022)\n"},
        {{"--stop"}, "ptool daemonize: --stop needs --pidfile\n"},
        {{"--status"}, "ptool daemonize: --status needs --pidfile\n"},
        {{}, "ptool daemonize: no PROGRAM given (see --help)\n"},
        {{"--max-restarts", "3", "--", "true"},
         "ptool daemonize: --max-restarts needs --respawn\n"},
    };
    for (const auto& c : cases) {
        std::vector<std::string> args{"daemonize"};
        args.insert(args.end(), c.args.begin(), c.args.end());
        auto r = run_ptool(args);
        INFO(c.err);
        CHECK(r.status == 2);
        CHECK(r.err == c.err);
    }
    CHECK(std::filesystem::is_empty(dir.path()));
}
