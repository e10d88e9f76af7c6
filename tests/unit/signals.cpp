// libcommon/signals: the forwarded list and the start-up state main() fixes.
#include "libcommon/core/signals.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <set>

using ptool::forwarded_signals;

TEST_CASE("forwarded_signals lists every catchable signal ptool has no use for, once each") {
    auto list = forwarded_signals();
    std::set<int> set(list.begin(), list.end());
    CHECK(set.size() == list.size());
    CHECK(std::is_sorted(list.begin(), list.end()));
    for (int sig : {SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM, SIGTERM, SIGSTKFLT, SIGCONT,
                    SIGURG, SIGVTALRM, SIGPROF, SIGWINCH, SIGIO, SIGPWR})
        CHECK(set.count(sig) == 1);
    for (int sig = SIGRTMIN; sig <= SIGRTMAX; ++sig) CHECK(set.count(sig) == 1);
    for (int sig : {SIGKILL, SIGSTOP, SIGCHLD, SIGPIPE, SIGTSTP, SIGTTIN, SIGTTOU, SIGXCPU, SIGXFSZ,
                    SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS, SIGABRT, 32, 33})
        CHECK(set.count(sig) == 0);
}

TEST_CASE("prepare_process_state fills closed fds 0-2 with /dev/null and un-ignores SIGCHLD") {
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        ::signal(SIGCHLD, SIG_IGN);
        ::close(0);
        ::close(2);
        ptool::prepare_process_state();
        struct stat null_st, st;
        int bad = 0;
        if (::stat("/dev/null", &null_st) < 0) bad |= 1;
        for (int fd : {0, 2})
            if (::fstat(fd, &st) < 0 || st.st_rdev != null_st.st_rdev) bad |= 2;
        struct sigaction sa;
        ::sigaction(SIGCHLD, nullptr, &sa);
        if (sa.sa_handler != SIG_DFL) bad |= 4;
        ::sigaction(SIGPIPE, nullptr, &sa);
        if (sa.sa_handler != SIG_IGN) bad |= 8;
        // A child started now can be waited for.
        pid_t grandchild = ::fork();
        if (grandchild == 0) ::_exit(7);
        int status = 0;
        if (::waitpid(grandchild, &status, 0) != grandchild || WEXITSTATUS(status) != 7) bad |= 16;
        ::_exit(bad);
    }
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
}
