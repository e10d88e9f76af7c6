// The fork-cluster master (Node's cluster module, pm2 cluster mode, einhorn): N
// workers, direct children, sharing listening sockets the master bound once, each
// with a Node-compatible IPC channel; readiness, restarts with backoff and a crash
// budget, retiring, rolling reload, scaling, message routing and a control socket,
// all on one EventLoop.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "libcommon/ipc.hpp"
#include "libcommon/listen.hpp"

namespace ptool {

using Duration = std::chrono::nanoseconds;

struct ClusterConfig {
    std::vector<std::string> command;  // PROGRAM ARGS...
    int workers = 1;
    std::vector<ListenAddress> listen;
    bool reuse_port = false;

    enum class Ready { message, exec };
    Ready ready = Ready::message;
    Duration ready_timeout = std::chrono::seconds(5);

    enum class Restart { always, on_failure, never };
    Restart restart = Restart::on_failure;
    Duration restart_delay = std::chrono::milliseconds(100);
    Duration restart_delay_max = std::chrono::seconds(30);
    int max_restarts = 10;  // 0: no limit
    Duration restart_window = std::chrono::seconds(60);
    Duration min_uptime = std::chrono::seconds(1);

    int stop_signal = 15;  // SIGTERM
    Duration grace = std::chrono::seconds(10);
    bool subreaper = false;
    std::string agent;  // shell command, empty: none
    bool json = false;
    std::string control_path;
    size_t max_message = kDefaultMaxMessage;  // per IPC message and control request
};

// Runs the master until it is stopped; returns the exit status (0 after a
// graceful shutdown, 1 when the crash budget ran out). Throws Error on setup
// failures (a port in use, a program that cannot be started).
int run_cluster(const ClusterConfig& config);

// The delay before restart number `level` (0-based) of one worker:
// base * 2^level, at most `max`.
Duration restart_backoff(Duration base, Duration max, int level);

// Restarts counted across all workers within a sliding window.
class RestartBudget {
public:
    RestartBudget(int max_restarts, Duration window) : max_(max_restarts), window_(window) {}
    // Records a restart at `now`; false when it exceeds the budget.
    bool spend(std::chrono::steady_clock::time_point now);

private:
    int max_;
    Duration window_;
    std::deque<std::chrono::steady_clock::time_point> times_;
};

// A message route: master, all, workers, agent, random, worker:ID, pid:PID.
struct RouteTarget {
    enum class Kind { master, all, workers, agent, random, worker_id, pid };
    Kind kind = Kind::master;
    long long number = 0;  // worker_id / pid
};
// nullopt when `text` names no target.
std::optional<RouteTarget> parse_route_target(std::string_view text);

}  // namespace ptool
