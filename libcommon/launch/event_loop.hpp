// One epoll loop for everything a supervising tool waits on: fd readiness, timers,
// signals (signalfd) and child exits (pidfd, or SIGCHLD + wait4 on kernels without
// it). spawn, exec, fork-cluster and daemonize all run on it, so timeouts, signal
// forwarding, pipe relaying and IPC happen in one place, single-threaded.
#pragma once

#include <sys/epoll.h>
#include <sys/signalfd.h>

#include <signal.h>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <vector>

#include "libcommon/core/fd.hpp"
#include "libcommon/launch/launcher.hpp"

namespace ptool {

class EventLoop {
public:
    using Clock = std::chrono::steady_clock;
    using FdCallback = std::function<void(uint32_t events)>;  // EPOLLIN/OUT/HUP/ERR bits
    using TimerCallback = std::function<void()>;
    using SignalCallback = std::function<void(const signalfd_siginfo&)>;
    using ExitCallback = std::function<void(const ExitStatus&)>;
    using TimerId = uint64_t;

    struct Options {
        bool use_pidfd = true;  // false: SIGCHLD + wait4 (the fallback; for tests)
    };

    EventLoop();
    explicit EventLoop(Options options);
    // Unblocks the signals it blocked (after discarding ones still pending for it).
    ~EventLoop();
    EventLoop(const EventLoop&) = delete;
    EventLoop& operator=(const EventLoop&) = delete;

    // Calls `callback` whenever `fd` is ready for `events` (level-triggered). The fd
    // stays owned by the caller; unwatch it before closing it.
    void watch_fd(int fd, uint32_t events, FdCallback callback);
    void modify_fd(int fd, uint32_t events);
    void unwatch_fd(int fd);
    bool watching_fd(int fd) const { return fds_.count(fd) != 0; }

    // Calls `callback` once, `after` from now. Cancelling a fired timer is a no-op.
    TimerId add_timer(std::chrono::nanoseconds after, TimerCallback callback);
    void cancel_timer(TimerId id);

    // Blocks `signo` (in this thread) and calls `callback` when it arrives.
    // Children started by launch() get an empty mask, so they still see it.
    void watch_signal(int signo, SignalCallback callback);
    // The same callback for every signal of `signos`, with one mask change.
    void watch_signals(std::span<const int> signos, SignalCallback callback);
    void unwatch_signal(int signo);

    // Reaps `child` when it ends (wait4 with rusage) and calls `callback` once.
    // `child` must outlive the watch (until the callback ran or unwatch_child).
    void watch_child(Child& child, ExitCallback callback);
    void unwatch_child(Child& child);

    // Runs until stop() or until nothing is watched (no fds, timers or children;
    // watched signals alone do not keep it running).
    void run();
    // One round: waits at most `timeout` (negative: no limit) and dispatches.
    // Returns false when there was nothing to wait for.
    bool run_once(std::chrono::milliseconds timeout = std::chrono::milliseconds(-1));
    void stop() { stopped_ = true; }
    bool stopped() const { return stopped_; }

private:
    struct ChildWatch {
        Child* child;
        ExitCallback callback;
    };
    struct FdWatch {
        uint32_t events;
        std::shared_ptr<FdCallback> callback;
    };

    void ensure_signalfd();
    void handle_signals();
    void reap_children_without_pidfd();
    void dispatch_child_exit(int pidfd_or_minus, pid_t pid);
    bool has_work() const;
    int next_timeout_ms(std::chrono::milliseconds cap) const;
    void fire_due_timers();

    Options options_;
    UniqueFd epoll_;
    UniqueFd signal_fd_;
    sigset_t watched_signals_;
    sigset_t blocked_by_us_;
    std::map<int, FdWatch> fds_;
    std::map<int, std::shared_ptr<SignalCallback>> signals_;
    std::multimap<Clock::time_point, std::pair<TimerId, std::shared_ptr<TimerCallback>>> timers_;
    TimerId next_timer_ = 1;
    std::map<pid_t, ChildWatch> children_;
    std::map<int, pid_t> pidfds_;  // pidfd -> pid, for children watched through pidfd
    bool sigchld_fallback_ = false;
    bool stopped_ = false;
};

// --timeout / --kill-signal / --kill-after as timeout(1) has them.
struct ChildTimeout {
    std::chrono::nanoseconds after{};
    int signal = SIGTERM;
    std::chrono::nanoseconds kill_after{};  // zero: no SIGKILL follow-up
};
// After `timeout.after`, runs `on_timeout` and stops the child with stop_child.
// `child` must outlive the loop's run. The timers keep run() going: stop() the loop
// once the child is done rather than waiting for run() to run dry.
void arm_child_timeout(EventLoop& loop, Child& child, const ChildTimeout& timeout,
                       std::function<void()> on_timeout);

// Sends `signal` to the child's tree (Child::signal_tree), then SIGCONT so that a
// stopped child acts on it (as timeout(1)); if the child still runs `kill_after`
// later (zero: never), SIGKILL to its tree and `on_kill` (called even when the child
// had ended by then). `child` must outlive the loop's run.
void stop_child(EventLoop& loop, Child& child, int signal, std::chrono::nanoseconds kill_after,
                std::function<void()> on_kill = {});

// Forwards every signal of forwarded_signals() (libcommon/core/signals.hpp) to the child's
// tree while the loop runs, except a terminal's signal that already reached a child
// sharing ptool's process group, and one the child sent ptool itself. Call it before
// launching, so that no signal slips in between (they are blocked).
void forward_signals(EventLoop& loop, Child& child);

}  // namespace ptool
