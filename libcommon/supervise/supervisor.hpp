// One supervised child on an EventLoop: starts it from its ChildSpec, restarts it by
// its RestartPolicy (backoff, a restart budget that may be shared), tracks its
// readiness and stops it with grace-then-kill. It never blocks: the loop calls it
// back, it calls its user back (started / exited / ready / done). daemonize --respawn
// runs one; fork-cluster runs one per generation of each slot (tools/fork_cluster).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "libcommon/launch/event_loop.hpp"
#include "libcommon/launch/launcher.hpp"
#include "libcommon/supervise/restart_policy.hpp"

namespace ptool {

// What ended a run, and what the Supervisor does next.
struct SupervisedExit {
    enum class Next { restart, stop, give_up };
    const ExitStatus* status = nullptr;  // null: a restart failed to launch (see error)
    std::string error;
    Next next = Next::stop;
    Duration delay{};  // with Next::restart
    int restarts = 0;  // restarts so far, this one included
};

struct SupervisorHooks {
    // When set, what each start launches (fresh fds each time) instead of spec(); what
    // it throws is not a launch failure: it leaves start(), start_or_retry() and the loop.
    std::function<ChildSpec()> make_spec;
    // When set, whether an exit (or a failed launch) calls for a restart, in place of
    // the policy's mode; the budget still has its say. Called before `exited`.
    std::function<bool(const SupervisedExit&)> decide;
    std::function<void(Child&)> started;  // every start, the first one included
    std::function<void(const SupervisedExit&)> exited;
    std::function<void()> ready;   // once per start
    std::function<void()> done;    // supervision is over: stopped, not restarted, or gave up
    std::function<void()> killed;  // a stop's grace ran out: SIGKILL goes to the child's tree
};

class Supervisor {
public:
    // `backoff`: one shared with other Supervisors (the generations of one cluster
    // slot); null: its own, from `policy`.
    Supervisor(EventLoop& loop, ChildSpec spec, RestartPolicy policy, RestartBudget& budget,
               SupervisorHooks hooks, std::shared_ptr<Backoff> backoff = nullptr);
    ~Supervisor();
    Supervisor(const Supervisor&) = delete;
    Supervisor& operator=(const Supervisor&) = delete;

    // The first start; throws what launch() throws. Later starts are the Supervisor's.
    void start();
    // The first start, where a launch failure is an exit without status (restarted
    // like any other by `decide`).
    void start_or_retry();
    // No more restarts: `sig` (0: none) to the child's tree, SIGKILL to it after `grace`
    // (zero: never); done once it has exited (at once when none runs). Called again, it
    // sends its signal and starts its grace anew.
    void stop(int sig, Duration grace = Duration::zero());
    // Supervises `child`, a run that began `uptime` ago, as if start() had launched it
    // (no `started` hook): the same process carried over a re-exec of the supervisor
    // (fork-cluster's upgrade). Not ready: the ready timeout starts now.
    void adopt(Child child, Duration uptime, bool ready);
    // A start `delay` from now, as a pending restart is (restart_pending()).
    void start_after(Duration delay) { restart_later(delay); }
    // When the pending restart is due (meaningful while restart_pending()).
    EventLoop::Clock::time_point restart_due() const { return restart_due_; }
    // Passes `sig` to the running child; false when none runs.
    bool signal(int sig) { return child_.running() && child_.signal(sig); }
    // Readiness of the current run (READY=1, a message, ...): `ready` once per start.
    void mark_ready();
    // After each start, the child is taken as ready when it said nothing for `limit`
    // (zero: only mark_ready()); `on_timeout` runs first.
    void set_ready_timeout(Duration limit, std::function<void()> on_timeout);

    ChildSpec& spec() { return spec_; }  // later starts use it as it is then
    Child& child() { return child_; }
    bool stopping() const { return stopping_; }
    bool is_ready() const { return ready_; }
    int restarts() const { return backoff_->restarts(); }
    bool restart_pending() const { return restart_timer_ != 0; }

private:
    ChildSpec next_spec();
    void launch_child(const ChildSpec& spec);
    void watch_run(Child child, Duration uptime, bool ready);
    void on_exit(const ExitStatus* status, std::string error);
    void restart_later(Duration delay);
    void cancel_timers();
    void finish();

    EventLoop& loop_;
    ChildSpec spec_;
    RestartPolicy policy_;
    RestartBudget& budget_;
    SupervisorHooks hooks_;
    std::shared_ptr<Backoff> backoff_;
    Child child_;
    EventLoop::Clock::time_point started_at_;
    bool stopping_ = false;
    bool done_ = false;
    bool ready_ = false;
    Duration ready_limit_{};
    std::function<void()> on_ready_timeout_;
    EventLoop::TimerId restart_timer_ = 0;
    EventLoop::Clock::time_point restart_due_{};
    EventLoop::TimerId ready_timer_ = 0;
    EventLoop::TimerId kill_timer_ = 0;
};

}  // namespace ptool
