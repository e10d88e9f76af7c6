// How spawn and exec end the program they run, as timeout(1) does: the kill signal
// (to the child, its process group, or with --kill-tree every descendant), SIGCONT so
// a stopped program acts on it, SIGKILL after a grace; each signal can be reported
// first (-v). KillTree is the rest of --kill-tree: the subreaper, reaping orphans
// while the loop runs and the sweep of what is left once the program ended.
#pragma once

#include <signal.h>

#include <chrono>
#include <functional>

#include "libcommon/launch/event_loop.hpp"

namespace ptool {

struct StopPlan {
    int signal = SIGTERM;                       // 0: none sent (as timeout -s 0)
    std::chrono::nanoseconds kill_after{};      // zero: no SIGKILL follow-up
    bool whole_tree = false;                    // every descendant, not the process group
    std::function<void(int signal)> on_signal;  // told before each signal is sent
};

// Sends plan.signal (then SIGCONT unless it is KILL or CONT), and SIGKILL
// plan.kill_after later if the child still runs, then `on_kill` (run even when the
// child had ended by then). `child` must outlive the loop's run.
void stop_child(EventLoop& loop, Child& child, const StopPlan& plan,
                std::function<void()> on_kill = {});

// --kill-tree for one run: constructed before the launch (ptool becomes a
// subreaper), watch() after it (orphans that end are reaped, never the child),
// sweep() once the child ended. Disabled, it does nothing.
class KillTree {
public:
    KillTree(EventLoop& loop, bool enabled);
    bool enabled() const { return enabled_; }
    void watch(const Child& child);
    // Every descendant left gets `signal` (then SIGCONT), SIGKILL after `grace`;
    // returns once none is left (or SIGKILL could not end them in 5s).
    void sweep(int signal, std::chrono::nanoseconds grace);

private:
    EventLoop& loop_;
    bool enabled_;
    pid_t child_ = -1;
};

}  // namespace ptool
