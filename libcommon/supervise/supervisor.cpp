// The Supervisor of supervisor.hpp: one child's start, restart with backoff and
// budget, readiness and grace-then-kill, all as EventLoop callbacks.
#include "libcommon/supervise/supervisor.hpp"

#include <signal.h>

#include "libcommon/core/error.hpp"

namespace ptool {

Supervisor::Supervisor(EventLoop& loop, ChildSpec spec, RestartPolicy policy, RestartBudget& budget,
                       SupervisorHooks hooks, std::shared_ptr<Backoff> backoff)
    : loop_(loop),
      spec_(std::move(spec)),
      policy_(policy),
      budget_(budget),
      hooks_(std::move(hooks)),
      backoff_(backoff ? std::move(backoff) : std::make_shared<Backoff>(policy)) {}

Supervisor::~Supervisor() {
    cancel_timers();
    if (child_.running()) loop_.unwatch_child(child_);
}

void Supervisor::start() {
    launch_child(next_spec());
}

void Supervisor::start_or_retry() {
    ChildSpec made = next_spec();  // what making it throws is the caller's, not a launch failure
    try {
        launch_child(made);
    } catch (const Error& e) {
        on_exit(nullptr, e.what());
    }
}

ChildSpec Supervisor::next_spec() {
    return hooks_.make_spec ? hooks_.make_spec() : spec_;
}

void Supervisor::launch_child(const ChildSpec& spec) {
    watch_run(launch(spec), Duration::zero(), false);
    if (hooks_.started) hooks_.started(child_);
}

void Supervisor::adopt(Child child, Duration uptime, bool ready) {
    watch_run(std::move(child), uptime, ready);
}

void Supervisor::watch_run(Child child, Duration uptime, bool ready) {
    child_ = std::move(child);
    started_at_ = EventLoop::Clock::now() - uptime;
    ready_ = ready;
    loop_.watch_child(child_, [this](const ExitStatus& status) { on_exit(&status, {}); });
    if (!ready && ready_limit_ > Duration::zero())
        ready_timer_ = loop_.add_timer(ready_limit_, [this] {
            ready_timer_ = 0;
            if (on_ready_timeout_) on_ready_timeout_();
            mark_ready();
        });
}

void Supervisor::mark_ready() {
    if (ready_ || !child_.running()) return;
    ready_ = true;
    loop_.cancel_timer(ready_timer_);
    ready_timer_ = 0;
    if (hooks_.ready) hooks_.ready();
}

void Supervisor::set_ready_timeout(Duration limit, std::function<void()> on_timeout) {
    ready_limit_ = limit;
    on_ready_timeout_ = std::move(on_timeout);
}

void Supervisor::on_exit(const ExitStatus* status, std::string error) {
    cancel_timers();
    SupervisedExit exit{status, std::move(error)};
    bool failed = !status || !(status->exited() && status->code() == 0);
    bool wanted = hooks_.decide ? hooks_.decide(exit) : policy_.restarts_after(failed);
    if (stopping_ || !wanted) {
        exit.next = SupervisedExit::Next::stop;
    } else if (!budget_.spend(EventLoop::Clock::now())) {
        exit.next = SupervisedExit::Next::give_up;
    } else {
        exit.next = SupervisedExit::Next::restart;
        exit.delay =
            backoff_->next(status ? EventLoop::Clock::now() - started_at_ : Duration::zero());
    }
    exit.restarts = backoff_->restarts();
    if (hooks_.exited) hooks_.exited(exit);
    if (exit.next == SupervisedExit::Next::restart && !stopping_)
        restart_later(exit.delay);
    else
        finish();
}

// The done hook, once (a stop() from inside exited must not call it twice).
void Supervisor::finish() {
    if (done_) return;
    done_ = true;
    if (hooks_.done) hooks_.done();
}

void Supervisor::restart_later(Duration delay) {
    restart_due_ = EventLoop::Clock::now() + delay;
    restart_timer_ = loop_.add_timer(delay, [this] {
        restart_timer_ = 0;
        start_or_retry();
    });
}

void Supervisor::stop(int sig, Duration grace) {
    stopping_ = true;
    loop_.cancel_timer(restart_timer_);
    restart_timer_ = 0;
    if (!child_.running()) return finish();
    if (sig != 0) child_.signal_tree(sig);
    if (grace > Duration::zero()) {
        loop_.cancel_timer(kill_timer_);
        kill_timer_ = loop_.add_timer(grace, [this] {
            kill_timer_ = 0;
            if (hooks_.killed) hooks_.killed();
            child_.signal_tree(SIGKILL);
        });
    }
}

void Supervisor::cancel_timers() {
    for (EventLoop::TimerId* id : {&restart_timer_, &ready_timer_, &kill_timer_}) {
        if (*id) loop_.cancel_timer(*id);
        *id = 0;
    }
}

}  // namespace ptool
