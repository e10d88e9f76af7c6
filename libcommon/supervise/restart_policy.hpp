// When a supervised child is started again, as pure logic (no clock, no loop): the
// restart mode, the backoff (start delay doubling to a cap, reset by a run that
// lasted), and the restart budget. daemonize --respawn and every fork-cluster slot
// decide with these, each with its own numbers.
#pragma once

#include <chrono>
#include <deque>
#include <vector>

#include "libcommon/core/parse.hpp"

namespace ptool {

enum class RestartMode { always, on_failure, never };

struct RestartPolicy {
    RestartMode mode = RestartMode::on_failure;
    Duration delay = std::chrono::milliseconds(100);  // before the first restart
    Duration delay_max = std::chrono::seconds(30);    // the doubling stops here
    Duration min_uptime = std::chrono::seconds(1);    // a run this long resets the delay

    // Does an exit (failed: not "exited with code 0") call for a restart?
    bool restarts_after(bool failed) const {
        return mode == RestartMode::always || (mode == RestartMode::on_failure && failed);
    }
};

// The delay before restart number `level` (0-based) of one child:
// base * 2^level, at most `max`.
Duration restart_backoff(Duration base, Duration max, int level);

// Restarts counted within a sliding window (fork-cluster: across all its workers;
// daemonize: a window without end, so a plain count).
class RestartBudget {
public:
    static constexpr Duration kForever = Duration::max();
    RestartBudget(int max_restarts, Duration window) : max_(max_restarts), window_(window) {}
    // Records a restart at `now`; false when it exceeds the budget.
    bool spend(std::chrono::steady_clock::time_point now);
    int max_restarts() const { return max_; }
    // The recorded restarts as their ages at `now`, and back (a supervisor's re-exec).
    std::vector<Duration> ages(std::chrono::steady_clock::time_point now) const;
    void restore(const std::vector<Duration>& ages, std::chrono::steady_clock::time_point now);

private:
    int max_;
    Duration window_;
    std::deque<std::chrono::steady_clock::time_point> times_;
};

// One child's place in its backoff sequence.
class Backoff {
public:
    explicit Backoff(const RestartPolicy& policy) : policy_(policy) {}
    // The delay before the next start, after a run of `uptime` (zero: it failed to
    // start); counts the restart.
    Duration next(Duration uptime);
    int restarts() const { return restarts_; }
    int level() const { return level_; }
    // The place a Backoff had (level(), restarts()), carried over a supervisor's re-exec.
    void restore(int level, int restarts) {
        level_ = level;
        restarts_ = restarts;
    }

private:
    RestartPolicy policy_;
    int level_ = 0;
    int restarts_ = 0;
};

}  // namespace ptool
