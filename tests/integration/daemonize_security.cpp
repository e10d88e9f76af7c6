// Issue 9 §4 and friends: pidfiles and logs in directories others can write, whom
// --stop may signal, the groups a uid change leaves, exit status that matches the
// state, and no notify socket left on disk. Run as root; "the other user" is nobody.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "processes.hpp"
#include "test_support.hpp"

using namespace ptool::test;
using namespace std::chrono_literals;

namespace {

void make_shared(const TempDir& dir) {
    REQUIRE(chmod(dir.path().c_str(), 01777) == 0);
}

std::vector<std::string> as_nobody(std::vector<std::string> argv) {
    argv.insert(argv.begin(), {"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"});
    return argv;
}

// Starts (as a daemon, so it outlives the call) `user`'s process that writes the line
// `text` into `path`, locks it and execs sleep holding the lock: a planted pidfile.
int plant_locked_pidfile(ProcessReaper& reaper, const std::string& user, const std::string& path,
                         const std::string& text) {
    std::string script =
        "import fcntl, os\n"
        "f = open('" +
        path +
        "', 'w')\n"
        "f.write('" +
        text +
        "\\n')\n"
        "f.flush()\n"
        "fcntl.flock(f, fcntl.LOCK_EX)\n"
        "os.set_inheritable(f.fileno(), True)\n"
        "os.execvp('sleep', ['sleep', '30'])\n";
    auto r = run_ptool({"daemonize", "--user", user, "--", "/usr/bin/python3", "-c", script});
    REQUIRE(r.status == 0);
    int pid = reaper.add(parse_pid_line(r.out));
    REQUIRE(wait_until([&] { return pidfile_locked(path); }));
    return pid;
}

bool contains(const std::string& text, std::string_view part) {
    return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("daemonize --stop and --status refuse a pidfile another user planted in /tmp") {
    REQUIRE(geteuid() == 0);
    ProcessReaper reaper;
    TempDir shared;
    make_shared(shared);
    int victim = reaper.add(parse_pid_line(run_ptool({"daemonize", "--", "sleep", "30"}).out));
    std::string pidfile = shared / "d.pid";
    plant_locked_pidfile(reaper, "nobody", pidfile, std::to_string(victim));

    auto stop = run_ptool({"daemonize", "--stop", "--pidfile", pidfile});
    CHECK(stop.status == 1);
    CHECK(stop.err.rfind("ptool daemonize: " + pidfile + ": owned by uid 65534", 0) == 0);
    CHECK(contains(stop.err, "(refused)"));
    CHECK(process_alive(victim));
    CHECK(read_file(pidfile) == std::to_string(victim) + "\n");  // not ours: left alone

    auto status = run_ptool({"daemonize", "--status", "--pidfile", pidfile});
    CHECK(status.status == 4);
    CHECK(contains(status.err, "owned by uid 65534"));
}

TEST_CASE("daemonize --stop refuses a pid that does not hold the pidfile's lock") {
    ProcessReaper reaper;
    TempDir dir;
    int victim = reaper.add(parse_pid_line(run_ptool({"daemonize", "--", "sleep", "30"}).out));
    std::string pidfile = dir / "d.pid";
    // Root's own file, locked by some process, but naming another one.
    plant_locked_pidfile(reaper, "root", pidfile, std::to_string(victim));

    auto stop = run_ptool({"daemonize", "--stop", "--pidfile", pidfile});
    CHECK(stop.status == 1);
    CHECK(stop.err == "ptool daemonize: " + pidfile + ": pid " + std::to_string(victim) +
                          " does not hold the pidfile's lock: not the daemon (refused)\n");
    CHECK(process_alive(victim));
    CHECK(std::filesystem::exists(pidfile));
    CHECK(run_ptool({"daemonize", "--status", "--pidfile", pidfile}).status == 4);
}

TEST_CASE("daemonize --stop and --status do not follow a symlinked pidfile") {
    ProcessReaper reaper;
    TempDir dir;
    std::string real = dir / "real.pid", link = dir / "link.pid";
    auto r = run_ptool({"daemonize", "--pidfile", real, "--", "sleep", "30"});
    REQUIRE(r.status == 0);
    int pid = reaper.add(parse_pid_line(r.out));
    std::filesystem::create_symlink(real, link);

    auto stop = run_ptool({"daemonize", "--stop", "--pidfile", link});
    CHECK(stop.status == 1);
    CHECK(stop.err == "ptool daemonize: " + link + ": is a symlink (refused)\n");
    CHECK(process_alive(pid));
    CHECK(run_ptool({"daemonize", "--status", "--pidfile", link}).status == 4);
    // A second start through the link is refused too, and the real file stays.
    auto start = run_ptool({"daemonize", "--pidfile", link, "--", "true"});
    CHECK(start.status == 125);
    CHECK(read_file(real) == r.out);
}

TEST_CASE("daemonize --stop --user acts only on a daemon running as that user") {
    ProcessReaper reaper;
    TempDir dir;
    std::string pidfile = dir / "d.pid";
    auto r =
        run_ptool({"daemonize", "--user", "nobody", "--pidfile", pidfile, "--", "sleep", "30"});
    REQUIRE(r.status == 0);
    int pid = reaper.add(parse_pid_line(r.out));
    auto wrong = run_ptool({"daemonize", "--stop", "--user", "root", "--pidfile", pidfile});
    CHECK(wrong.status == 1);
    CHECK(wrong.err == "ptool daemonize: " + pidfile + ": pid " + std::to_string(pid) +
                           " runs as uid 65534, not --user root (refused)\n");
    CHECK(process_alive(pid));
    auto right = run_ptool({"daemonize", "--stop", "--user", "nobody", "--pidfile", pidfile});
    CHECK(right.status == 0);
    CHECK_FALSE(process_alive(pid));
    CHECK_FALSE(std::filesystem::exists(pidfile));
}

TEST_CASE("daemonize never replaces a stale pidfile owned by another user") {
    ProcessReaper reaper;
    TempDir shared;
    make_shared(shared);
    std::string pidfile = shared / "d.pid";
    REQUIRE(run(as_nobody({"sh", "-c", "echo 999999 > " + pidfile})).status == 0);
    auto r = run_ptool({"daemonize", "--pidfile", pidfile, "--", "sleep", "30"});
    if (r.status == 0) reaper.add(parse_pid_line(r.out));
    CHECK(r.status == 125);
    CHECK(contains(r.err, pidfile + ": owned by uid 65534"));
    CHECK(read_file(pidfile) == "999999\n");
    struct stat st;
    REQUIRE(stat(pidfile.c_str(), &st) == 0);
    CHECK(st.st_uid == 65534);
}

TEST_CASE(
    "daemonize --log --stdout --stderr refuse a symlink planted in another user's directory") {
    // Not /tmp itself: there the kernel's protected_symlinks already refuses to follow;
    // in a directory another user owns (say /var/log/app of the app user) it does not.
    TempDir shared, priv;
    make_shared(shared);
    std::string theirs = shared / "app";
    REQUIRE(run(as_nobody({"mkdir", theirs})).status == 0);
    std::string target = priv / "root-owned";
    write_file(target, "orig\n");
    std::string planted = theirs + "/log";
    REQUIRE(run(as_nobody({"ln", "-s", target, planted})).status == 0);
    for (const char* option : {"--log", "--stdout", "--stderr"}) {
        CAPTURE(option);
        auto r = run_ptool(
            {"daemonize", option, planted, "--", "sh", "-c", "echo pwned; echo pwned >&2"});
        CHECK(r.status == 125);
        CHECK(r.err == "ptool daemonize: " + planted +
                           ": is a symlink in a directory others can write (refused)\n");
    }
    CHECK(read_file(target) == "orig\n");
}

TEST_CASE("daemonize --log in a shared directory takes the caller's own file, not another's") {
    TempDir shared;
    make_shared(shared);
    std::string own = shared / "own.log";
    auto r = run_ptool({"daemonize", "--log", own, "--", "echo", "hi"});
    REQUIRE(r.status == 0);
    CHECK(wait_for_lines(own) == "hi\n");

    std::string foreign = shared / "foreign.log";
    REQUIRE(run(as_nobody({"touch", foreign})).status == 0);
    auto refused = run_ptool({"daemonize", "--log", foreign, "--", "echo", "hi"});
    CHECK(refused.status == 125);
    CHECK(contains(refused.err, foreign + ": owned by uid 65534, not by you"));
}

TEST_CASE("daemonize exits 125 when a log file cannot be opened") {
    TempDir dir;
    std::string log = dir / "missing/log";
    auto r = run_ptool({"daemonize", "--log", log, "--", "true"});
    CHECK(r.status == 125);
    CHECK(r.err == "ptool daemonize: " + log + ": No such file or directory\n");
}

TEST_CASE("daemonize with stdout on /dev/full exits 0, names the pid on stderr, daemon runs") {
    ProcessReaper reaper;
    TempDir dir;
    std::string err = dir / "err";
    auto r = run_shell("\"$PTOOL\" daemonize -- sleep 30 >/dev/full 2>" + err + "; echo $?");
    CHECK(r.out == "0\n");
    std::string text = read_file(err);
    std::string prefix = "ptool daemonize: started pid ";
    REQUIRE(text.rfind(prefix, 0) == 0);
    int pid = reaper.add(std::stoi(text.substr(prefix.size())));
    CHECK(text == prefix + std::to_string(pid) + ", but stdout: No space left on device\n");
    CHECK(process_alive(pid));
}

TEST_CASE("daemonize --wait-ready failure stops the daemon's whole process group") {
    ProcessReaper reaper;
    TempDir dir;
    std::string pids = dir / "pids";
    // A shell wrapper whose child would outlive a signal sent to the shell alone.
    auto r = run_ptool({"daemonize", "--wait-ready", "300ms", "--", "sh", "-c",
                        "sleep 30 & echo $! > " + pids + "; wait"});
    CHECK(r.status == 1);
    int child = reaper.add_from_file(pids);
    REQUIRE(child > 0);
    CHECK(wait_until([&] { return !process_alive(child); }));
}

TEST_CASE("daemonize --user names the operation and the user when it lacks the privilege") {
    auto r = run(as_nobody({ptool_bin(), "daemonize", "--user", "root", "--", "true"}));
    CHECK(r.status == 125);
    CHECK(r.err == "ptool daemonize: --user root: setgid: Operation not permitted\n");
}

TEST_CASE("spawn --uid without a passwd entry never keeps root's gid or groups") {
    REQUIRE(geteuid() == 0);
    auto bare = run_ptool({"spawn", "--uid", "12345", "--", "id"});
    CHECK(bare.status == 2);
    CHECK(bare.out.empty());
    CHECK(bare.err ==
          "ptool spawn: uid 12345 has no passwd entry, so no primary group: name a group too\n");
    auto given = run_ptool({"spawn", "--uid", "12345", "--gid", "12345", "--", "id"});
    CHECK(given.status == 0);
    CHECK(given.out == "uid=12345 gid=12345 groups=12345\n");
    TempDir dir;
    std::string log = dir / "log";
    auto daemon = run_ptool({"daemonize", "--user", "12345:12345", "--log", log, "--", "sh", "-c",
                             "id -u; id -g; id -G"});
    REQUIRE(daemon.status == 0);
    CHECK(wait_for_lines(log, 3) == "12345\n12345\n12345\n");
    auto refused = run_ptool({"daemonize", "--user", "12345", "--", "true"});
    CHECK(refused.status == 2);
}

TEST_CASE("daemonize --wait-ready leaves nothing in TMPDIR even when SIGKILLed") {
    ProcessReaper reaper;
    TempDir tmp, work;
    std::string pids = work / "pids";
    // Wait on the daemon's pid file (observable state), then SIGKILL the waiting caller.
    auto r = run_shell("TMPDIR=" + tmp.path().string() +
                       " \"$PTOOL\" daemonize --wait-ready 20s -- sh -c 'echo $$ > " + pids +
                       "; exec sleep 30' & p=$!; "
                       "while [ ! -s " +
                       pids +
                       " ]; do sleep 0.01; done; "
                       "ls -A " +
                       tmp.path().string() + "; kill -9 $p; wait $p; echo $?");
    reaper.add_from_file(pids);
    CHECK(r.out == "137\n");  // nothing listed, while waiting or after
    CHECK(std::filesystem::is_empty(tmp.path()));
}

TEST_CASE("daemonize --status as another user still sees root's daemon running") {
    ProcessReaper reaper;
    TempDir dir;
    REQUIRE(chmod(dir.path().c_str(), 0755) == 0);
    std::string pidfile = dir / "d.pid";
    auto r = run_ptool({"daemonize", "--pidfile", pidfile, "--", "sleep", "30"});
    REQUIRE(r.status == 0);
    int pid = reaper.add(parse_pid_line(r.out));
    auto status = run(as_nobody({ptool_bin(), "daemonize", "--status", "--pidfile", pidfile}));
    CHECK(status.status == 0);
    CHECK(status.out == "running (pid " + std::to_string(pid) + ")\n");
    auto stop = run(as_nobody({ptool_bin(), "daemonize", "--stop", "--pidfile", pidfile}));
    CHECK(stop.status == 1);  // it cannot tell, so it does not signal
    CHECK(process_alive(pid));
}
