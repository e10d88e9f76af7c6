// The restart decisions of restart_policy.hpp: backoff doubling and the sliding
// restart budget.
#include "libcommon/supervise/restart_policy.hpp"

#include <algorithm>

namespace ptool {

Duration restart_backoff(Duration base, Duration max, int level) {
    Duration d = base;
    for (int i = 0; i < level && d < max; ++i) d *= 2;
    return std::min(d, max);
}

bool RestartBudget::spend(std::chrono::steady_clock::time_point now) {
    times_.push_back(now);
    while (!times_.empty() && now - times_.front() > window_) times_.pop_front();
    return max_ <= 0 || static_cast<int>(times_.size()) <= max_;
}

std::vector<Duration> RestartBudget::ages(std::chrono::steady_clock::time_point now) const {
    std::vector<Duration> out;
    for (auto t : times_) out.push_back(std::chrono::duration_cast<Duration>(now - t));
    return out;
}

void RestartBudget::restore(const std::vector<Duration>& ages,
                            std::chrono::steady_clock::time_point now) {
    times_.clear();
    for (Duration age : ages) times_.push_back(now - std::max(age, Duration::zero()));
    std::sort(times_.begin(), times_.end());
}

Duration Backoff::next(Duration uptime) {
    if (uptime >= policy_.min_uptime) level_ = 0;  // it had run: start over from the base
    Duration delay = restart_backoff(policy_.delay, policy_.delay_max, level_);
    ++level_;
    ++restarts_;
    return delay;
}

}  // namespace ptool
