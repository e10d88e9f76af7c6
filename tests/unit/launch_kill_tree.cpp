// libcommon/launch/kill_tree: as a subreaper this test process finds a grandchild
// that setsid()s away as its descendant (and nothing that is not), and the sweep
// leaves no descendant and no zombie behind.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <vector>

#include "libcommon/core/fd.hpp"
#include "libcommon/launch/kill_tree.hpp"
#include "test_support.hpp"

using namespace ptool;

namespace {

bool contains(const std::vector<Descendant>& tree, pid_t pid) {
    return std::any_of(tree.begin(), tree.end(), [&](const Descendant& d) { return d.pid == pid; });
}

// A child that forks a grandchild which setsid()s and sleeps; the grandchild's pid
// arrives through the pipe once it has left the session.
struct ChildAndGrandchild {
    pid_t child = 0;
    pid_t grandchild = 0;
    ChildAndGrandchild() {
        int fds[2];
        REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
        child = ::fork();
        REQUIRE(child >= 0);
        if (child == 0) {
            ::signal(SIGTERM, SIG_DFL);  // not Catch's handler: a TERM ends the copy quietly
            pid_t g = ::fork();
            if (g == 0) {
                ::setsid();
                pid_t self = ::getpid();
                (void)!::write(fds[1], &self, sizeof self);
                for (;;) ::pause();
            }
            for (;;) ::pause();
        }
        ::close(fds[1]);
        REQUIRE(::read(fds[0], &grandchild, sizeof grandchild) == sizeof grandchild);
        ::close(fds[0]);
    }
    ~ChildAndGrandchild() {
        for (pid_t p : {grandchild, child})
            if (p > 0 && ::kill(p, SIGKILL) == 0) ::waitpid(p, nullptr, 0);
    }
};

}  // namespace

TEST_CASE("find_descendants finds a setsid grandchild and no process outside the tree") {
    become_subreaper();
    ChildAndGrandchild procs;
    auto tree = find_descendants();
    CHECK(contains(tree, procs.child));
    CHECK(contains(tree, procs.grandchild));
    CHECK_FALSE(contains(tree, ::getpid()));
    CHECK_FALSE(contains(tree, ::getppid()));
    CHECK_FALSE(contains(tree, 1));
    // Parents come before their children.
    auto at = [&](pid_t pid) {
        return std::find_if(tree.begin(), tree.end(),
                            [&](const Descendant& d) { return d.pid == pid; });
    };
    CHECK(at(procs.child) < at(procs.grandchild));
}

TEST_CASE("an orphan reparented to the subreaper is still found, and the sweep reaps it") {
    become_subreaper();
    ChildAndGrandchild procs;
    ::kill(procs.child, SIGKILL);
    ::waitpid(procs.child, nullptr, 0);
    procs.child = 0;
    REQUIRE(
        ptool::test::wait_until([&] { return contains(find_descendants(), procs.grandchild); }));
    CHECK(kill_descendants(SIGTERM, std::chrono::seconds(5)) >= 1);
    CHECK(find_descendants().empty());
    // Reaped by the sweep: no zombie is left for this process.
    CHECK(::waitpid(procs.grandchild, nullptr, WNOHANG) < 0);
    procs.grandchild = 0;
}

TEST_CASE("kill_descendants SIGKILLs what ignores the signal after the grace") {
    become_subreaper();
    int fds[2];
    REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
    pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        ::signal(SIGTERM, SIG_IGN);
        (void)!::write(fds[1], "i", 1);  // ignoring TERM from now on
        for (;;) ::pause();
    }
    ::close(fds[1]);
    char ready;
    REQUIRE(::read(fds[0], &ready, 1) == 1);
    ::close(fds[0]);
    kill_descendants(SIGTERM, std::chrono::milliseconds(50));
    CHECK(find_descendants().empty());
    CHECK(::waitpid(child, nullptr, WNOHANG) < 0);  // reaped already
}
