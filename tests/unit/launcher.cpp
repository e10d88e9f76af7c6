// The launcher: stdio, fds, environment, cwd, identity, and how failures are told.
#include "libcommon/launch/launcher.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <atomic>
#include <cstdlib>
#include <sstream>
#include <thread>

#include "libcommon/core/fd.hpp"
#include "libcommon/core/parse.hpp"
#include "test_support.hpp"

using namespace ptool;

namespace {

struct Captured {
    std::string out;
    ExitStatus status;
    pid_t pid;
};

// Runs the spec with stdout piped back; both launch paths via `force_fork`.
Captured capture(ChildSpec spec) {
    spec.stdio[1] = StdioSpec::pipe();
    Child child = launch(spec);
    Captured c;
    c.pid = child.pid();
    c.out = read_all(child.stdio[1].get(), "child stdout");
    c.status = child.wait();
    return c;
}

std::vector<std::string> words(const std::string& text) {
    std::istringstream in(text);
    std::vector<std::string> out;
    for (std::string w; in >> w;) out.push_back(w);
    return out;
}

}  // namespace

TEST_CASE("launch runs a program found in PATH and reports its exit code") {
    bool force_fork = GENERATE(false, true);
    ChildSpec spec;
    spec.argv = {"sh", "-c", "echo hello; exit 3"};
    spec.force_fork = force_fork;
    CHECK(can_use_posix_spawn(spec) == !force_fork);
    Captured c = capture(spec);
    CHECK(c.out == "hello\n");
    CHECK(c.status.exited());
    CHECK(c.status.code() == 3);
    CHECK(c.status.shell_status() == 3);
}

TEST_CASE("launch reports a missing program as not found with exit status 127") {
    bool force_fork = GENERATE(false, true);
    ChildSpec spec;
    spec.argv = {"ptool-no-such-program-anywhere"};
    spec.force_fork = force_fork;
    try {
        launch(spec);
        FAIL("launch succeeded");
    } catch (const LaunchError& e) {
        CHECK(e.step() == LaunchStep::exec);
        CHECK(e.exit_status() == 127);
        CHECK(std::string(e.what()) == "ptool-no-such-program-anywhere: No such file or directory");
    }
    CHECK(test::zombie_children(getpid()).empty());
}

TEST_CASE("launch reports a directory or a non-executable file with exit status 126") {
    bool force_fork = GENERATE(false, true);
    test::TempDir dir;
    std::string plain = dir / "plain";
    test::write_file(plain, "echo hi\n");
    ChildSpec spec;
    spec.force_fork = force_fork;
    spec.argv = {dir.path().string()};
    try {
        launch(spec);
        FAIL("launch succeeded");
    } catch (const LaunchError& e) {
        CHECK(e.exit_status() == 126);
        CHECK(std::string(e.what()) == dir.path().string() + ": Is a directory");
    }
    spec.argv = {plain};
    try {
        launch(spec);
        FAIL("launch succeeded");
    } catch (const LaunchError& e) {
        CHECK(e.exit_status() == 126);
        CHECK(std::string(e.what()) == plain + ": Permission denied");
    }
}

TEST_CASE("launch reports a cwd that cannot be entered as exit status 125 naming the dir") {
    bool force_fork = GENERATE(false, true);
    ChildSpec spec;
    spec.force_fork = force_fork;
    spec.argv = {"true"};
    spec.cwd = "/nonexistent-ptool-dir";
    spec.cwd_option = "--cwd";  // the tool's option names the directory's source
    try {
        launch(spec);
        FAIL("launch succeeded");
    } catch (const LaunchError& e) {
        CHECK(e.step() == LaunchStep::chdir);
        CHECK(e.exit_status() == 125);
        CHECK(std::string(e.what()) == "--cwd /nonexistent-ptool-dir: No such file or directory");
    }
}

TEST_CASE("launch runs the child in the given cwd and resolves relative programs there") {
    bool force_fork = GENERATE(false, true);
    test::TempDir dir;
    test::write_file(dir / "script", "#!/bin/sh\npwd\n");
    ::chmod((dir / "script").c_str(), 0755);
    ChildSpec spec;
    spec.force_fork = force_fork;
    spec.argv = {"./script"};
    spec.cwd = dir.path().string();
    CHECK(capture(spec).out == dir.path().string() + "\n");
}

TEST_CASE("the child sees only fds 0-2 and the extra fds asked for even with leaky fds open") {
    bool force_fork = GENERATE(false, true);
    // A descriptor without O_CLOEXEC, as a careless library or our own parent might leave.
    int leaky = ::open("/dev/null", O_RDONLY);
    REQUIRE(leaky >= 0);
    Pipe extra = make_pipe();
    // Other threads opening and closing fds while we launch.
    std::atomic<bool> done{false};
    std::thread churn([&] {
        while (!done) ::close(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    });
    for (int round = 0; round < 20; ++round) {
        ChildSpec spec;
        spec.force_fork = force_fork;
        // ls opens the directory it lists as the lowest free fd: 3 without extras.
        spec.argv = {"ls", "/proc/self/fd"};
        CHECK(words(capture(spec).out) == std::vector<std::string>{"0", "1", "2", "3"});
        spec.extra_fds = {{extra.read.get(), 3}, {extra.write.get(), 5}};
        CHECK(words(capture(spec).out) == std::vector<std::string>{"0", "1", "2", "3", "4", "5"});
    }
    done = true;
    churn.join();
    ::close(leaky);
}

TEST_CASE("extra fds appear at their child numbers and stdio can be a given fd") {
    bool force_fork = GENERATE(false, true);
    Pipe channel = make_pipe();
    Pipe out = make_pipe();
    ChildSpec spec;
    spec.force_fork = force_fork;
    spec.argv = {"sh", "-c", "echo to-seven >&7; echo to-stdout"};
    spec.extra_fds = {{channel.write.get(), 7}};
    spec.stdio[1] = StdioSpec::from_fd(out.write.get());
    Child child = launch(spec);
    channel.write.reset();
    out.write.reset();
    CHECK(read_all(channel.read.get(), "channel") == "to-seven\n");
    CHECK(read_all(out.read.get(), "out") == "to-stdout\n");
    CHECK(child.wait().code() == 0);
}

TEST_CASE("stdio can be /dev/null or a file opened by the launcher") {
    bool force_fork = GENERATE(false, true);
    test::TempDir dir;
    ChildSpec spec;
    spec.force_fork = force_fork;
    spec.argv = {"sh", "-c", "cat; echo out; echo err >&2"};
    spec.stdio[0] = StdioSpec::null();
    spec.stdio[1] = StdioSpec::file(dir / "out", O_WRONLY | O_CREAT | O_TRUNC);
    spec.stdio[2] = StdioSpec::file(dir / "out", O_WRONLY | O_APPEND);
    CHECK(launch(spec).wait().code() == 0);
    CHECK(test::read_file(dir / "out") == "out\nerr\n");
    spec.stdio[1] = StdioSpec::file(dir / "missing/out", O_WRONLY | O_CREAT);
    try {
        launch(spec);
        FAIL("launch succeeded");
    } catch (const LaunchError& e) {
        CHECK(e.exit_status() == 125);
        CHECK(std::string(e.what()) == dir / "missing/out" + ": No such file or directory");
    }
}

TEST_CASE("environment edits set unset and clear variables and PATH comes from the child env") {
    bool force_fork = GENERATE(false, true);
    ::setenv("PTOOL_LAUNCHER_KEEP", "kept", 1);
    ::setenv("PTOOL_LAUNCHER_DROP", "dropped", 1);
    ChildSpec spec;
    spec.force_fork = force_fork;
    spec.argv = {"sh", "-c", "echo $PTOOL_LAUNCHER_KEEP-$PTOOL_LAUNCHER_DROP-$NEW"};
    spec.env_unset = {"PTOOL_LAUNCHER_DROP"};
    spec.env_set = {{"NEW", "one"}, {"NEW", "two"}};
    CHECK(capture(spec).out == "kept--two\n");

    spec.env_clear = true;
    spec.env_unset.clear();
    spec.env_set = {{"PATH", "/usr/bin:/bin"}};
    spec.argv = {"env"};
    CHECK(capture(spec).out == "PATH=/usr/bin:/bin\n");

    test::TempDir dir;
    test::write_file(dir / "only-here", "#!/bin/sh\necho found\n");
    ::chmod((dir / "only-here").c_str(), 0755);
    spec.env_set = {{"PATH", "/nonexistent:" + dir.path().string()}};
    spec.argv = {"only-here"};
    CHECK(capture(spec).out == "found\n");
    ::unsetenv("PTOOL_LAUNCHER_KEEP");
    ::unsetenv("PTOOL_LAUNCHER_DROP");
}

TEST_CASE("env_own_pid sets a variable to the child's own pid") {
    ChildSpec spec;
    spec.argv = {"sh", "-c", "echo $LISTEN_PID $$"};
    spec.env_own_pid = {"LISTEN_PID"};
    CHECK_FALSE(can_use_posix_spawn(spec));
    Captured c = capture(spec);
    CHECK(c.out == std::to_string(c.pid) + " " + std::to_string(c.pid) + "\n");
}

TEST_CASE("argv0 replaces the name the child sees") {
    bool force_fork = GENERATE(false, true);
    ChildSpec spec;
    spec.force_fork = force_fork;
    spec.argv = {"cat", "/proc/self/cmdline"};
    spec.argv0 = "renamed";
    CHECK(capture(spec).out == std::string("renamed\0/proc/self/cmdline\0", 27));
}

TEST_CASE("the child starts with an empty signal mask and default dispositions") {
    bool force_fork = GENERATE(false, true);
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    struct sigaction ignore {
    }, old_int{};
    ignore.sa_handler = SIG_IGN;
    ::sigaction(SIGINT, &ignore, &old_int);

    ChildSpec spec;
    spec.force_fork = force_fork;
    spec.argv = {"grep", "-E", "^Sig(Blk|Ign)", "/proc/self/status"};
    std::string out = capture(spec).out;
    ::sigaction(SIGINT, &old_int, nullptr);
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    CHECK(out == "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n");
}

TEST_CASE("new_session and new_process_group put the child in its own session or group") {
    bool force_fork = GENERATE(false, true);
    ChildSpec spec;
    spec.force_fork = force_fork;
    spec.argv = {"cat", "/proc/self/stat"};
    spec.new_session = true;
    Captured c = capture(spec);
    // Fields after "(comm)": state ppid pgrp session.
    auto fields = words(c.out.substr(c.out.rfind(')') + 1));
    CHECK(fields.at(2) == std::to_string(c.pid));
    CHECK(fields.at(3) == std::to_string(c.pid));

    spec.new_session = false;
    spec.new_process_group = true;
    c = capture(spec);
    fields = words(c.out.substr(c.out.rfind(')') + 1));
    CHECK(fields.at(2) == std::to_string(c.pid));
    CHECK(fields.at(3) == std::to_string(getsid(0)));
}

TEST_CASE("uid gid and supplementary groups are set in the child") {
    REQUIRE(geteuid() == 0);
    UserInfo nobody = lookup_user("nobody");
    ChildSpec spec;
    spec.argv = {"id"};
    spec.uid = nobody.uid;
    spec.gid = nobody.gid;
    spec.groups = user_groups("nobody", nobody.gid);
    CHECK_FALSE(can_use_posix_spawn(spec));
    CHECK(capture(spec).out == "uid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)\n");

    spec.groups = std::vector<gid_t>{nobody.gid, 0};
    CHECK(capture(spec).out ==
          "uid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup),0(root)\n");
}

TEST_CASE("umask is applied in the child") {
    ChildSpec spec;
    spec.argv = {"sh", "-c", "umask"};
    spec.umask = 077;
    CHECK(capture(spec).out == "0077\n");
}

TEST_CASE("the parent death signal kills the child when the launching thread ends") {
    Child child;
    std::thread launcher([&] {
        ChildSpec spec;
        spec.argv = {"sleep", "30"};
        spec.parent_death_signal = SIGKILL;
        child = launch(spec);
    });
    launcher.join();
    ExitStatus st = child.wait();
    CHECK(st.signal() == SIGKILL);
}

TEST_CASE("a Child that goes out of scope is killed and reaped") {
    pid_t pid;
    {
        ChildSpec spec;
        spec.argv = {"sleep", "30"};
        spec.new_process_group = true;
        Child child = launch(spec);
        pid = child.pid();
        CHECK(test::process_alive(pid));
    }
    CHECK_FALSE(test::process_alive(pid));
    CHECK(test::zombie_children(getpid()).empty());
}

TEST_CASE("wait reports signals and resource usage") {
    ChildSpec spec;
    spec.argv = {"sh", "-c", "kill -USR2 $$"};
    ExitStatus st = launch(spec).wait();
    CHECK_FALSE(st.exited());
    CHECK(st.code() == -1);
    CHECK(st.signal() == SIGUSR2);
    CHECK(st.shell_status() == 128 + SIGUSR2);
    CHECK(st.max_rss_kb() > 0);
}

TEST_CASE("try_wait and signal work on a running child and have a pidfd") {
    ChildSpec spec;
    spec.argv = {"sleep", "30"};
    Child child = launch(spec);
    CHECK(child.pidfd() >= 0);
    CHECK(fcntl(child.pidfd(), F_GETFD) & FD_CLOEXEC);
    CHECK_FALSE(child.try_wait());
    CHECK(child.signal(SIGTERM));
    ExitStatus st = child.wait();
    CHECK(st.signal() == SIGTERM);
    CHECK_FALSE(child.running());
    CHECK_FALSE(child.signal(SIGTERM));
}

TEST_CASE("released children are left running") {
    ChildSpec spec;
    spec.argv = {"sleep", "30"};
    pid_t pid;
    {
        Child child = launch(spec);
        pid = child.release();
    }
    CHECK(test::process_alive(pid));
    ::kill(pid, SIGKILL);
    int status;
    CHECK(::waitpid(pid, &status, 0) == pid);
}

TEST_CASE("stop_process ends a process that ignores the polite signal with SIGKILL") {
    ChildSpec spec;
    spec.argv = {"sh", "-c", "trap '' TERM; echo ready; exec sleep 30"};
    spec.stdio[1] = StdioSpec::pipe();
    Child child = launch(spec);
    char buf[6];
    REQUIRE(read_full(child.stdio[1].get(), buf, sizeof buf) == 6);  // the trap is set
    CHECK(stop_process(child.pid(), SIGTERM, std::chrono::milliseconds(200)));
    ExitStatus st = child.wait();
    CHECK(st.signal() == SIGKILL);
    CHECK(st.describe() == "was killed by SIGKILL");
}

TEST_CASE("stop_process of a pid that is gone is already done") {
    ChildSpec spec;
    spec.argv = {"true"};
    Child child = launch(spec);
    pid_t pid = child.pid();
    ExitStatus st = child.wait();
    CHECK(st.describe() == "exited with status 0");
    CHECK(stop_process(pid, SIGTERM, std::chrono::milliseconds(100)));
}
