// safe_open and the pidfile trust rules built on it (issue 9 §4).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <filesystem>
#include <functional>

#include "libcommon/core/error.hpp"
#include "libcommon/core/safe_open.hpp"
#include "test_support.hpp"
#include "tools/daemonize/pidfile.hpp"

using namespace ptool;

namespace {

std::string error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("safe_open follows a symlink in the caller's own directory") {
    test::TempDir dir;
    test::write_file(dir / "real", "x");
    std::filesystem::create_symlink(dir / "real", dir / "link");
    SafeFile file = safe_open(dir / "link", O_RDONLY);
    CHECK_FALSE(file.shared_dir);
    CHECK(file.st.st_size == 1);
}

TEST_CASE("safe_open refuses symlinks, foreign files and hard links in a shared directory") {
    REQUIRE(geteuid() == 0);
    test::TempDir dir, other;
    REQUIRE(chmod(dir.path().c_str(), 01777) == 0);
    test::write_file(other / "target", "secret");
    std::filesystem::create_symlink(other / "target", dir / "link");
    CHECK(error_of([&] { safe_open(dir / "link", O_RDONLY); }) ==
          dir / "link" + ": is a symlink in a directory others can write (refused)");

    test::write_file(dir / "foreign", "");
    REQUIRE(chown((dir / "foreign").c_str(), 65534, 65534) == 0);
    CHECK(error_of([&] { safe_open(dir / "foreign", O_RDONLY); }) ==
          dir / "foreign" +
              ": owned by uid 65534, not by you, in a directory others can write "
              "(refused)");

    test::write_file(dir / "mine", "");
    std::filesystem::create_hard_link(dir / "mine", dir / "alias");
    CHECK(error_of([&] { safe_open(dir / "mine", O_RDONLY); }).find("other hard links") !=
          std::string::npos);

    SafeFile created = safe_open(dir / "new", O_WRONLY | O_CREAT | O_EXCL, 0600);
    CHECK(created.shared_dir);
    CHECK(created.fd);
}

TEST_CASE("safe_open errors carry the exit status asked for") {
    test::TempDir dir;
    try {
        safe_open(dir / "missing/file", O_RDONLY, 0, SafeOpenOptions{.exit_status = 125});
        FAIL("no error");
    } catch (const SysError& e) {
        CHECK(e.err() == ENOENT);
        CHECK(e.exit_status() == 125);
    }
}

TEST_CASE("probe_pidfile refuses a pidfile others may write or one that is a symlink") {
    test::TempDir dir;
    std::string pidfile = dir / "d.pid";
    test::write_file(pidfile, "1\n");
    REQUIRE(chmod(pidfile.c_str(), 0666) == 0);
    CHECK(error_of([&] { probe_pidfile(pidfile); }) ==
          pidfile + ": writable by group or others (refused: not a pidfile of yours or root's)");
    REQUIRE(chmod(pidfile.c_str(), 0644) == 0);
    CHECK(probe_pidfile(pidfile).pid == 1);
    std::filesystem::create_symlink(pidfile, dir / "link.pid");
    CHECK(error_of([&] { probe_pidfile(dir / "link.pid"); }) ==
          dir / "link.pid" + ": is a symlink (refused)");
    CHECK_THROWS_AS(remove_stale_pidfile(dir / "link.pid"), Error);  // refused, not removed
    CHECK(std::filesystem::exists(pidfile));
}

TEST_CASE("process_holds_pidfile is true only for a process with that very file open") {
    test::TempDir dir;
    std::string pidfile = dir / "d.pid";
    test::write_file(pidfile, std::to_string(getpid()) + "\n");
    PidfileStatus status = probe_pidfile(pidfile);
    CHECK_FALSE(process_holds_pidfile(getpid(), status));
    UniqueFd held = open_file(pidfile, O_RDONLY);
    CHECK(process_holds_pidfile(getpid(), status));
    CHECK_FALSE(process_holds_pidfile(getppid(), status));
}
