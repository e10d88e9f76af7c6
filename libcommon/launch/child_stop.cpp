// Ending a child as timeout(1) does, and --kill-tree's subreaper and sweep
// (child_stop.hpp).
#include "libcommon/launch/child_stop.hpp"

#include "libcommon/launch/kill_tree.hpp"

namespace ptool {

namespace {

void send(Child& child, bool whole_tree, int signal) {
    if (whole_tree) {
        signal_descendants(find_descendants(), signal);  // the child among them
    } else {
        child.signal_tree(signal);
    }
}

}  // namespace

void stop_child(EventLoop& loop, Child& child, const StopPlan& plan,
                std::function<void()> on_kill) {
    if (plan.on_signal) plan.on_signal(plan.signal);
    send(child, plan.whole_tree, plan.signal);
    // A stopped child would keep the signal pending forever.
    if (plan.signal != SIGKILL && plan.signal != SIGCONT) send(child, plan.whole_tree, SIGCONT);
    if (plan.kill_after.count() > 0)
        loop.add_timer(plan.kill_after, [&child, plan, on_kill = std::move(on_kill)] {
            if (child.running() || plan.whole_tree) {
                if (plan.on_signal) plan.on_signal(SIGKILL);
                send(child, plan.whole_tree, SIGKILL);
            }
            if (on_kill) on_kill();
        });
}

KillTree::KillTree(EventLoop& loop, bool enabled) : loop_(loop), enabled_(enabled) {
    if (enabled_) become_subreaper();
}

void KillTree::watch(const Child& child) {
    if (!enabled_) return;
    child_ = child.pid();
    loop_.watch_signal(SIGCHLD, [this](const signalfd_siginfo&) { reap_orphans(child_); });
}

void KillTree::sweep(int signal, std::chrono::nanoseconds grace) {
    if (enabled_) kill_descendants(signal, grace, child_);
}

}  // namespace ptool
