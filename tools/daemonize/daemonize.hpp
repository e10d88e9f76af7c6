// daemonize's options and its three actions beside starting (daemonize.cpp): stopping
// by a start-stop-daemon --retry schedule, the LSB status, and --restart; what --json
// prints for each ({"pid":..,"running":..}).
#pragma once

#include <signal.h>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "libcommon/core/fd.hpp"
#include "libcommon/core/json.hpp"
#include "libcommon/core/parse.hpp"

namespace ptool::daemonize {

// start-stop-daemon --retry: "TERM/30/KILL/5" (send TERM, wait up to 30 s, send KILL,
// wait up to 5 s), "30" (the stop signal, 30 s, KILL, 30 s); "forever" repeats the
// rest. Timeouts are seconds, or durations ("500ms").
struct StopSchedule {
    struct Step {
        int signal = 0;  // > 0: send it; 0: wait `wait`
        Duration wait{};
    };
    std::vector<Step> steps;
    std::optional<size_t> repeat_from;  // after "forever": where the loop starts again
};
// Throws UsageError naming the bad item.
StopSchedule parse_stop_schedule(std::string_view text, int stop_signal);

struct Options {
    std::vector<std::string> command;
    std::string cwd = "/";
    mode_t umask = 022;
    std::string log, stdout_path, stderr_path;
    std::string pidfile;
    std::optional<SpelledDuration> wait_ready;  // none: do not wait
    std::string user;                           // USER[:GROUP]
    std::vector<std::pair<std::string, std::string>> env;
    bool respawn = false;
    int max_restarts = 0;  // 0: no limit
    bool stop = false;
    bool status = false;
    bool restart = false;
    bool oknodo = false;
    bool json = false;
    int signal = SIGTERM;
    SpelledDuration timeout{std::chrono::seconds(10)};
    std::string retry;  // --retry SCHEDULE, parsed with the final --signal
};

int start_daemon(const Options& opts);
// --stop: 0 stopped (or, with --oknodo, nothing to stop); 1 nothing to stop; 2 still
// running at the end of a --retry schedule (start-stop-daemon's numbers).
int stop_daemon(const Options& opts);
// --status: the LSB codes 0 running, 1 dead with a pidfile, 3 not running, 4 unknown.
int daemon_status(const Options& opts);

// A pidfd for `pid` (invalid when it is gone).
UniqueFd open_pidfd(pid_t pid);

// {"pid":P|null,"running":B} and a newline: what --json prints.
std::string json_state(pid_t pid, bool running);

}  // namespace ptool::daemonize
