// The EventLoop: fds, timers, signals and child exits.
#include "libcommon/launch/event_loop.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "libcommon/core/fd.hpp"
#include "libcommon/launch/launcher.hpp"
#include "test_support.hpp"

using namespace ptool;
using namespace std::chrono_literals;

TEST_CASE("timers fire in deadline order and cancelled ones never fire") {
    EventLoop loop;
    std::vector<int> fired;
    auto start = std::chrono::steady_clock::now();  // before the deadlines are taken
    loop.add_timer(30ms, [&] { fired.push_back(3); });
    loop.add_timer(10ms, [&] { fired.push_back(1); });
    auto cancelled = loop.add_timer(20ms, [&] { fired.push_back(2); });
    loop.cancel_timer(cancelled);
    loop.run();
    CHECK(fired == std::vector<int>{1, 3});
    CHECK(std::chrono::steady_clock::now() - start >= 30ms);
}

TEST_CASE("run returns at once when nothing is watched") {
    EventLoop loop;
    loop.run();
    CHECK_FALSE(loop.run_once(0ms));
}

TEST_CASE("fd callbacks see readable data and hang-up and can unwatch themselves") {
    EventLoop loop;
    Pipe p = make_pipe();
    std::string got;
    loop.watch_fd(p.read.get(), EPOLLIN, [&](uint32_t) {
        char buf[64];
        ssize_t n = ::read(p.read.get(), buf, sizeof buf);
        if (n > 0)
            got.append(buf, static_cast<size_t>(n));
        else
            loop.unwatch_fd(p.read.get());
    });
    loop.add_timer(5ms, [&] { CHECK(write_full(p.write.get(), "abc") == 0); });
    loop.add_timer(15ms, [&] {
        CHECK(write_full(p.write.get(), "def") == 0);
        p.write.reset();
    });
    loop.run();
    CHECK(got == "abcdef");
}

TEST_CASE("stop ends run from inside a callback") {
    EventLoop loop;
    int fired = 0;
    loop.add_timer(1ms, [&] {
        ++fired;
        loop.stop();
    });
    loop.add_timer(10s, [&] { ++fired; });
    loop.run();
    CHECK(fired == 1);
    CHECK(loop.stopped());
}

TEST_CASE("watched signals arrive through the loop and are unblocked afterwards") {
    sigset_t before;
    pthread_sigmask(SIG_SETMASK, nullptr, &before);
    REQUIRE_FALSE(sigismember(&before, SIGUSR1));
    {
        EventLoop loop;
        int seen = 0;
        loop.watch_signal(SIGUSR1, [&](const signalfd_siginfo& info) {
            seen = static_cast<int>(info.ssi_signo);
            loop.stop();
        });
        loop.add_timer(5ms, [] { ::kill(::getpid(), SIGUSR1); });
        loop.add_timer(5s, [] {});
        loop.run();
        CHECK(seen == SIGUSR1);
        ::kill(::getpid(), SIGUSR1);  // pending at destruction: discarded, not delivered
    }
    sigset_t after;
    pthread_sigmask(SIG_SETMASK, nullptr, &after);
    CHECK_FALSE(sigismember(&after, SIGUSR1));
}

TEST_CASE("child exits are reported once with status and rusage through a pidfd") {
    bool use_pidfd = GENERATE(true, false);
    EventLoop loop(EventLoop::Options{use_pidfd});
    ChildSpec spec;
    spec.argv = {"sh", "-c", "exit 7"};
    Child quick = launch(spec);
    spec.argv = {"sleep", "0.05"};
    Child slow = launch(spec);
    std::vector<std::pair<pid_t, int>> exits;
    loop.watch_child(quick, [&](const ExitStatus& st) {
        exits.push_back({quick.pid(), st.code()});
    });
    loop.watch_child(slow, [&](const ExitStatus& st) {
        exits.push_back({slow.pid(), st.code()});
        CHECK(st.max_rss_kb() > 0);
    });
    loop.run();
    REQUIRE(exits.size() == 2);
    CHECK(exits[0] == std::make_pair(quick.pid(), 7));
    CHECK(exits[1] == std::make_pair(slow.pid(), 0));
    CHECK_FALSE(quick.running());
    CHECK_FALSE(slow.running());
    CHECK(test::zombie_children(getpid()).empty());
}

TEST_CASE("a timer can kill a child and the exit callback sees the signal") {
    EventLoop loop;
    ChildSpec spec;
    spec.argv = {"sleep", "30"};
    spec.new_process_group = true;
    Child child = launch(spec);
    int signal = 0;
    loop.watch_child(child, [&](const ExitStatus& st) { signal = st.signal(); });
    loop.add_timer(10ms, [&] { child.signal_group(SIGTERM); });
    loop.run();
    CHECK(signal == SIGTERM);
}

TEST_CASE("both pipes of a child are drained concurrently without deadlock") {
    EventLoop loop;
    ChildSpec spec;
    spec.argv = {"sh", "-c",
                 "head -c 10000000 /dev/zero >&2; head -c 10000000 /dev/zero; "
                 "head -c 3 /dev/zero"};
    spec.stdio[1] = StdioSpec::pipe();
    spec.stdio[2] = StdioSpec::pipe();
    Child child = launch(spec);
    size_t got[3] = {0, 0, 0};
    for (int i = 1; i <= 2; ++i) {
        int fd = child.stdio[i].get();
        set_nonblocking(fd);
        loop.watch_fd(fd, EPOLLIN, [&, i, fd](uint32_t) {
            char buf[65536];
            ssize_t n = ::read(fd, buf, sizeof buf);
            if (n > 0)
                got[i] += static_cast<size_t>(n);
            else if (n == 0)
                loop.unwatch_fd(fd);
        });
    }
    int code = -1;
    loop.watch_child(child, [&](const ExitStatus& st) { code = st.code(); });
    loop.run();
    CHECK(code == 0);
    CHECK(got[1] == 10000003);
    CHECK(got[2] == 10000000);
}
