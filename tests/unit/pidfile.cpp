// Locked pidfiles: create, probe, remove.
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <filesystem>

#include "libcommon/core/error.hpp"
#include "test_support.hpp"
#include "tools/daemonize/pidfile.hpp"

using namespace ptool;

namespace {

size_t entries(const test::TempDir& dir) {
    size_t n = 0;
    for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator(dir.path())) ++n;
    return n;
}

// A child that keeps `fd` (and so its lock) open until killed, like a daemon.
pid_t hold_in_child(int fd) {
    pid_t pid = fork();
    if (pid == 0) {
        (void)fd;
        pause();
        _exit(0);
    }
    return pid;
}

void kill_and_reap(pid_t pid) {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
}

}  // namespace

TEST_CASE("parse_pid accepts a number with an optional newline only") {
    CHECK(parse_pid("1234\n") == 1234);
    CHECK(parse_pid("1234") == 1234);
    CHECK(parse_pid("") == 0);
    CHECK(parse_pid("12 34") == 0);
    CHECK(parse_pid("-5\n") == 0);
    CHECK(parse_pid("0\n") == 0);
    CHECK(parse_pid("99999999999") == 0);
}

TEST_CASE("PidfileLock publishes the pid atomically and keeps it locked") {
    test::TempDir dir;
    std::string path = dir / "d.pid";
    CHECK(probe_pidfile(path).state == PidfileState::missing);
    {
        PidfileLock lock = PidfileLock::acquire(path);
        // A placeholder holds the name while the daemon starts.
        auto starting = probe_pidfile(path);
        CHECK(starting.state == PidfileState::running);
        CHECK(starting.pid == 0);
        CHECK(fcntl(lock.lock_fd(), F_GETFD) & FD_CLOEXEC);
        lock.write_pid(4242);
        lock.publish();
        CHECK(test::read_file(path) == "4242\n");
        CHECK(entries(dir) == 1);  // no temp file left
        auto running = probe_pidfile(path);
        CHECK(running.state == PidfileState::running);
        CHECK(running.pid == 4242);
    }
    // The lock ends with the last holder; the file stays for --stop to remove.
    auto after = probe_pidfile(path);
    CHECK(after.state == PidfileState::stale);
    CHECK(after.pid == 4242);
    CHECK((std::filesystem::status(path).permissions() & std::filesystem::perms::all) ==
          (std::filesystem::perms::owner_read | std::filesystem::perms::owner_write |
           std::filesystem::perms::group_read | std::filesystem::perms::others_read));
}

TEST_CASE("PidfileLock refuses a second start while a daemon holds the lock") {
    test::TempDir dir;
    std::string path = dir / "d.pid";
    PidfileLock lock = PidfileLock::acquire(path);
    pid_t holder = hold_in_child(lock.lock_fd());
    lock.write_pid(holder);
    lock.publish();
    try {
        PidfileLock::acquire(path);
        FAIL("second acquire succeeded");
    } catch (const Error& e) {
        CHECK(std::string(e.what()) == "already running (pid " + std::to_string(holder) + ")");
        CHECK(e.exit_status() == 1);
    }
    CHECK(test::read_file(path) == std::to_string(holder) + "\n");
    kill_and_reap(holder);
}

TEST_CASE("PidfileLock keeps the lock alive in a daemon that inherited the fd") {
    test::TempDir dir;
    std::string path = dir / "d.pid";
    pid_t holder;
    {
        PidfileLock lock = PidfileLock::acquire(path);
        holder = hold_in_child(lock.lock_fd());
        lock.write_pid(holder);
        lock.publish();
    }
    CHECK(probe_pidfile(path).state == PidfileState::running);
    CHECK(probe_pidfile(path).pid == holder);
    CHECK_FALSE(remove_stale_pidfile(path));
    kill_and_reap(holder);
    CHECK(probe_pidfile(path).state == PidfileState::stale);
    CHECK(remove_stale_pidfile(path));
    CHECK(probe_pidfile(path).state == PidfileState::missing);
}

TEST_CASE("PidfileLock replaces a stale unlocked pidfile") {
    test::TempDir dir;
    std::string path = dir / "d.pid";
    test::write_file(path, "999999\n");
    CHECK(probe_pidfile(path).state == PidfileState::stale);
    PidfileLock lock = PidfileLock::acquire(path);
    lock.write_pid(1234);
    lock.publish();
    CHECK(test::read_file(path) == "1234\n");
    CHECK(entries(dir) == 1);
}

TEST_CASE("PidfileLock dropped before publish leaves no pidfile behind") {
    test::TempDir dir;
    std::string path = dir / "d.pid";
    { PidfileLock lock = PidfileLock::acquire(path); }
    CHECK(entries(dir) == 0);
    test::write_file(path, "999999\n");
    {
        PidfileLock lock = PidfileLock::acquire(path);
        lock.write_pid(5);
    }
    CHECK(entries(dir) == 0);  // the stale file went too: it named nothing alive
}

TEST_CASE("PidfileLock reports a pidfile in a missing directory with exit 125") {
    test::TempDir dir;
    try {
        PidfileLock::acquire(dir / "nodir/d.pid");
        FAIL("acquire succeeded");
    } catch (const SysError& e) {
        CHECK(std::string(e.what()) == dir / "nodir/d.pid" + ": No such file or directory");
        CHECK(e.exit_status() == 125);
    }
}

TEST_CASE("remove_own_pidfile removes only the file its lock is on") {
    test::TempDir dir;
    std::string path = dir / "d.pid";
    PidfileLock first = PidfileLock::acquire(path);
    first.write_pid(1);
    first.publish();
    UniqueFd mine(dup(first.lock_fd()));
    first = PidfileLock::acquire(dir / "other.pid");  // drops the first lock object
    // A successor replaced the file: ours must not remove it.
    std::filesystem::remove(path);
    test::write_file(path, "2\n");
    remove_own_pidfile(path, mine.get());
    CHECK(test::read_file(path) == "2\n");
    std::filesystem::remove(path);
    PidfileLock again = PidfileLock::acquire(path);
    again.write_pid(3);
    again.publish();
    remove_own_pidfile(path, again.lock_fd());
    CHECK_FALSE(std::filesystem::exists(path));
}

TEST_CASE("PidfileLock removes unlocked temp files a SIGKILLed start left, never locked ones") {
    test::TempDir dir;
    std::string path = dir / "d.pid";
    std::string orphan = dir / ".d.pid.ABCDEF", live = dir / ".d.pid.GHIJKL";
    test::write_file(orphan, "");
    test::write_file(live, "");
    test::write_file(dir / ".other.pid.ABCDEF", "");
    UniqueFd held = open_file(live, O_RDONLY);
    REQUIRE(flock(held.get(), LOCK_EX) == 0);  // a daemon that still runs unpublished
    PidfileLock lock = PidfileLock::acquire(path);
    CHECK_FALSE(std::filesystem::exists(orphan));
    CHECK(std::filesystem::exists(live));
    CHECK(std::filesystem::exists(dir / ".other.pid.ABCDEF"));
}
